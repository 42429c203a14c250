"""Cameras and rules added or removed on the server appear or disappear without a restart."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from custom_components.home_security_intelligence.const import DOMAIN

from .hsi_server import INSTANCE_ID, FakeHsiServer


async def test_cameras_come_and_go(
    hass: HomeAssistant,
    hsi_server: FakeHsiServer,
    setup_entry: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
) -> None:
    coordinator = setup_entry.runtime_data.coordinator
    hsi_server.add_camera("driveway", "Driveway")
    await coordinator.async_refresh()
    await hass.async_block_till_done()
    assert hass.states.get("sensor.driveway_risk_score") is not None
    assert hass.states.get("event.driveway_security_event") is not None
    assert device_registry.async_get_device({(DOMAIN, f"{INSTANCE_ID}_driveway")}) is not None

    del hsi_server.cameras["garage"]
    await coordinator.async_refresh()
    await hass.async_block_till_done()
    assert device_registry.async_get_device({(DOMAIN, f"{INSTANCE_ID}_garage")}) is None
    assert hass.states.get("sensor.garage_risk_score") is None
    assert hass.states.get("image.garage_snapshot") is None

    # It comes back: its entities are created again.
    hsi_server.add_camera("garage", "Garage")
    await coordinator.async_refresh()
    await hass.async_block_till_done()
    assert hass.states.get("sensor.garage_risk_score").state == "unknown"


async def test_rules_come_and_go(
    hass: HomeAssistant,
    hsi_server: FakeHsiServer,
    setup_entry: MockConfigEntry,
    entity_registry: er.EntityRegistry,
) -> None:
    coordinator = setup_entry.runtime_data.coordinator
    hsi_server.rules["9"] = {"id": 9, "name": "Garage open", "enabled": False, "severity": "low"}
    await coordinator.async_refresh()
    await hass.async_block_till_done()
    assert hass.states.get("switch.hsi_test_alert_rule_garage_open").state == "off"

    del hsi_server.rules["1"]
    await coordinator.async_refresh()
    await hass.async_block_till_done()
    assert hass.states.get("switch.hsi_test_alert_rule_night_intruder") is None
    assert entity_registry.async_get_entity_id("switch", DOMAIN, f"{INSTANCE_ID}_rule_1") is None


async def test_failed_poll_removes_nothing(
    hass: HomeAssistant,
    hsi_server: FakeHsiServer,
    setup_entry: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
) -> None:
    coordinator = setup_entry.runtime_data.coordinator
    hsi_server.fail_status = 500
    await coordinator.async_refresh()
    await hass.async_block_till_done()
    assert hass.states.get("sensor.garage_risk_score").state == "unavailable"
    assert device_registry.async_get_device({(DOMAIN, f"{INSTANCE_ID}_garage")}) is not None
    hsi_server.fail_status = None
    await coordinator.async_refresh()
    await hass.async_block_till_done()
    assert hass.states.get("sensor.garage_risk_score").state == "unknown"


async def test_user_can_delete_only_gone_camera_devices(
    hass: HomeAssistant,
    hsi_server: FakeHsiServer,
    setup_entry: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
    hass_ws_client: WebSocketGenerator,
) -> None:
    assert await async_setup_component(hass, "config", {})
    client = await hass_ws_client(hass)

    async def remove(identifier: str) -> bool:
        device = device_registry.async_get_device({(DOMAIN, identifier)})
        await client.send_json_auto_id(
            {
                "type": "config/device_registry/remove_config_entry",
                "config_entry_id": setup_entry.entry_id,
                "device_id": device.id,
            }
        )
        return (await client.receive_json())["success"]

    assert not await remove(INSTANCE_ID)
    assert not await remove(f"{INSTANCE_ID}_garage")
    stale = device_registry.async_get_or_create(
        config_entry_id=setup_entry.entry_id, identifiers={(DOMAIN, f"{INSTANCE_ID}_old")}
    )
    assert stale
    assert await remove(f"{INSTANCE_ID}_old")
