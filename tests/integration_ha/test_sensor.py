"""Sensors: risk score and last event per camera; server counters and pipeline health."""

from __future__ import annotations

from unittest.mock import patch

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry, snapshot_platform
from syrupy.assertion import SnapshotAssertion

from .ha_state import state_of
from .hsi_server import FakeHsiServer


async def test_sensor_states(
    hass: HomeAssistant,
    hsi_server: FakeHsiServer,
    mock_entry: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    mock_entry.add_to_hass(hass)
    with patch("custom_components.home_security_intelligence.PLATFORMS", [Platform.SENSOR]):
        assert await hass.config_entries.async_setup(mock_entry.entry_id)
        await hass.async_block_till_done()
    await snapshot_platform(hass, entity_registry, snapshot, mock_entry.entry_id)
    pipeline = entity_registry.async_get("sensor.hsi_test_pipeline_health")
    assert pipeline is not None
    assert pipeline.entity_category == "diagnostic"


async def test_pipeline_degraded_and_unknown_values(
    hass: HomeAssistant, hsi_server: FakeHsiServer, setup_entry: MockConfigEntry
) -> None:
    coordinator = setup_entry.runtime_data.coordinator
    hsi_server.stats["pipeline"] = "degraded"
    hsi_server.stats["highest_risk_today"] = None
    hsi_server.cameras["front_door"]["last_event"]["summary"] = "x" * 400
    await coordinator.async_refresh()
    await hass.async_block_till_done()
    assert state_of(hass, "sensor.hsi_test_pipeline_health").state == "degraded"
    assert state_of(hass, "sensor.hsi_test_highest_risk_today").state == "unknown"
    assert len(state_of(hass, "sensor.front_door_last_event").state) == 255
    hsi_server.stats["pipeline"] = "exploded"
    await coordinator.async_refresh()
    await hass.async_block_till_done()
    assert state_of(hass, "sensor.hsi_test_pipeline_health").state == "unknown"
