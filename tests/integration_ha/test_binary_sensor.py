"""Binary sensors: activity that switches itself off, and high risk against the threshold."""

from __future__ import annotations

from datetime import timedelta
from unittest.mock import patch

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    snapshot_platform,
)
from syrupy.assertion import SnapshotAssertion

from custom_components.home_security_intelligence.const import CONF_MIN_RISK

from .ha_state import state_of
from .hsi_server import FakeHsiServer, wait_for


async def test_binary_sensor_states(
    hass: HomeAssistant,
    hsi_server: FakeHsiServer,
    mock_entry: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    mock_entry.add_to_hass(hass)
    with patch("custom_components.home_security_intelligence.PLATFORMS", [Platform.BINARY_SENSOR]):
        assert await hass.config_entries.async_setup(mock_entry.entry_id)
        await hass.async_block_till_done()
    await snapshot_platform(hass, entity_registry, snapshot, mock_entry.entry_id)


async def test_activity_turns_off_after_hold(
    hass: HomeAssistant,
    hsi_server: FakeHsiServer,
    setup_entry: MockConfigEntry,
) -> None:
    event = hsi_server.add_event("garage", 10, {"cat": 1}, "A cat.", duration=timedelta(seconds=0))
    with patch(
        "custom_components.home_security_intelligence.binary_sensor.ACTIVITY_HOLD",
        timedelta(seconds=0.5),
    ):
        await hsi_server.push("event.created", event)
        await wait_for(lambda: state_of(hass, "binary_sensor.garage_activity").state == "on", hass)
        assert state_of(hass, "binary_sensor.garage_high_risk").state == "off"
        # A second update while active re-arms the timer instead of adding one.
        await setup_entry.runtime_data.coordinator.async_refresh()
        await wait_for(lambda: state_of(hass, "binary_sensor.garage_activity").state == "off", hass)


async def test_activity_already_open_at_startup(
    hass: HomeAssistant, hsi_server: FakeHsiServer, mock_entry: MockConfigEntry
) -> None:
    hsi_server.add_event("garage", 10, {"cat": 1}, "A cat.", duration=timedelta(seconds=0))
    mock_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_entry.entry_id)
    await hass.async_block_till_done()
    assert state_of(hass, "binary_sensor.garage_activity").state == "on"
    await hass.config_entries.async_unload(mock_entry.entry_id)


async def test_high_risk_threshold_from_options(
    hass: HomeAssistant, hsi_server: FakeHsiServer, mock_entry: MockConfigEntry
) -> None:
    mock_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(mock_entry, options={CONF_MIN_RISK: 73})
    await hass.config_entries.async_setup(mock_entry.entry_id)
    await hass.async_block_till_done()
    state = state_of(hass, "binary_sensor.front_door_high_risk")
    assert state.state == "off"
    assert state.attributes["threshold"] == 73
    await hass.config_entries.async_unload(mock_entry.entry_id)
