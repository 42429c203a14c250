"""The server's MQTT discovery payload (inference_server/mqtt/discovery.py), fed to this Home
Assistant's real MQTT integration: every component is created, with ids that include the server's
instance id and without the deprecated `object_id`; a removal payload removes the device."""

from __future__ import annotations

import json
from typing import Any

import pytest
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import async_fire_mqtt_message

from inference_server.mqtt.discovery import config_payload, config_topic

from .ha_state import state_of
from .hsi_server import INSTANCE_ID

pytestmark = pytest.mark.parametrize("expected_lingering_timers", [True])


def _devices_with(registry: dr.DeviceRegistry, identifier: tuple[str, str]) -> list[dr.DeviceEntry]:
    """Devices carrying an identifier, any config entry. Iterating the registry's devices yields
    ids on the floor and entries on 2026.x (where using it as a mapping is deprecated)."""
    entries = [d if isinstance(d, dr.DeviceEntry) else registry.async_get(d) for d in registry.devices]
    return [d for d in entries if d is not None and identifier in d.identifiers]


async def test_discovery_payload_creates_every_component(
    hass: HomeAssistant,
    mqtt_mock: Any,
    entity_registry: er.EntityRegistry,
    device_registry: dr.DeviceRegistry,
) -> None:
    payload = config_payload("front_door", "Front door", topic_prefix="hsi", instance_id=INSTANCE_ID)
    assert "object_id" not in payload
    async_fire_mqtt_message(hass, config_topic("homeassistant", "front_door", INSTANCE_ID), payload)
    await hass.async_block_till_done()

    dev = f"hsi_{INSTANCE_ID}_front_door"
    unique_ids = {e.unique_id: e for e in entity_registry.entities.values() if e.platform == "mqtt"}
    assert set(unique_ids) == {f"{dev}_{c}" for c in ("event", "risk", "summary", "activity", "snapshot")}
    devices = _devices_with(device_registry, ("mqtt", dev))
    assert [d.name for d in devices] == ["Front door"]
    assert devices[0].configuration_url is None

    event = {
        "id": "e1",
        "risk_level": "high",
        "risk_score": 70,
        "summary": "A person at the door.",
        "started_at": "2026-12-02T08:00:00+00:00",
        "ended_at": "2026-12-02T08:00:20+00:00",
        "objects": {"person": 1},
    }
    async_fire_mqtt_message(hass, "hsi/status", "online")
    async_fire_mqtt_message(hass, "hsi/front_door/risk", "70")
    async_fire_mqtt_message(hass, "hsi/front_door/event", json.dumps(event))
    await hass.async_block_till_done()
    risk = state_of(hass, unique_ids[f"{dev}_risk"].entity_id)
    assert risk.state == "70"
    summary = state_of(hass, unique_ids[f"{dev}_summary"].entity_id)
    assert summary.state == "A person at the door."
    assert summary.attributes["risk_level"] == "high"
    fired = state_of(hass, unique_ids[f"{dev}_event"].entity_id)
    assert fired.attributes["event_type"] == "high"

    # camera deleted (or the integration connected): the empty retained config removes the device
    async_fire_mqtt_message(hass, config_topic("homeassistant", "front_door", INSTANCE_ID), "")
    await hass.async_block_till_done()
    assert not _devices_with(device_registry, ("mqtt", dev))
