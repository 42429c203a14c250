"""Cameras and rules added on the server appear without a restart; a camera the server stops
listing keeps its device (unavailable) until the user deletes it; deleted rules' switches go."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from custom_components.home_security_intelligence.const import DOMAIN

from .ha_state import state_of
from .hsi_server import INSTANCE_ID, FakeHsiServer, find_device


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
    entry_id = setup_entry.entry_id
    assert find_device(device_registry, (DOMAIN, f"{INSTANCE_ID}_driveway"), entry_id) is not None

    # Gone from the server's answer: nothing is wiped, the entities turn unavailable.
    del hsi_server.cameras["garage"]
    await coordinator.async_refresh()
    await hass.async_block_till_done()
    assert find_device(device_registry, (DOMAIN, f"{INSTANCE_ID}_garage"), entry_id) is not None
    assert state_of(hass, "sensor.garage_risk_score").state == "unavailable"
    assert state_of(hass, "image.garage_snapshot").state == "unavailable"

    # It comes back: the same entities are available again.
    hsi_server.add_camera("garage", "Garage")
    await coordinator.async_refresh()
    await hass.async_block_till_done()
    assert state_of(hass, "sensor.garage_risk_score").state == "unknown"


async def test_empty_camera_list_wipes_nothing(
    hass: HomeAssistant,
    hsi_server: FakeHsiServer,
    setup_entry: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
) -> None:
    # A server answering an empty list for a moment (restarting, database being restored).
    coordinator = setup_entry.runtime_data.coordinator
    saved = dict(hsi_server.cameras)
    hsi_server.cameras.clear()
    await coordinator.async_refresh()
    await hass.async_block_till_done()
    devices = dr.async_entries_for_config_entry(device_registry, setup_entry.entry_id)
    assert sorted(str(d.name) for d in devices) == ["Front door", "Garage", "HSI Test"]
    hsi_server.cameras.update(saved)
    await coordinator.async_refresh()
    await hass.async_block_till_done()
    assert state_of(hass, "sensor.front_door_risk_score").state == "72"


async def test_deleted_device_of_a_returning_camera_gets_new_entities(
    hass: HomeAssistant,
    hsi_server: FakeHsiServer,
    setup_entry: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
) -> None:
    coordinator = setup_entry.runtime_data.coordinator
    identifier = (DOMAIN, f"{INSTANCE_ID}_garage")
    del hsi_server.cameras["garage"]
    await coordinator.async_refresh()
    await hass.async_block_till_done()
    device = find_device(device_registry, identifier, setup_entry.entry_id)
    device_registry.async_remove_device(device.id)  # as the device page's "Delete" does
    await hass.async_block_till_done()
    assert hass.states.get("sensor.garage_risk_score") is None

    hsi_server.add_camera("garage", "Garage")
    await coordinator.async_refresh()
    await hass.async_block_till_done()
    assert state_of(hass, "sensor.garage_risk_score").state == "unknown"
    assert find_device(device_registry, identifier, setup_entry.entry_id) is not None


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
    assert state_of(hass, "switch.hsi_test_alert_rule_garage_open").state == "off"

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
    assert state_of(hass, "sensor.garage_risk_score").state == "unavailable"
    assert find_device(device_registry, (DOMAIN, f"{INSTANCE_ID}_garage"), setup_entry.entry_id) is not None
    hsi_server.fail_status = None
    await coordinator.async_refresh()
    await hass.async_block_till_done()
    assert state_of(hass, "sensor.garage_risk_score").state == "unknown"


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
        device = find_device(device_registry, (DOMAIN, identifier), setup_entry.entry_id)
        await client.send_json_auto_id(
            {
                "type": "config/device_registry/remove_config_entry",
                "config_entry_id": setup_entry.entry_id,
                "device_id": device.id,
            }
        )
        return bool((await client.receive_json())["success"])

    assert not await remove(INSTANCE_ID)
    assert not await remove(f"{INSTANCE_ID}_garage")
    # The server no longer lists the garage: now the user may delete its device.
    del hsi_server.cameras["garage"]
    await setup_entry.runtime_data.coordinator.async_refresh()
    await hass.async_block_till_done()
    assert await remove(f"{INSTANCE_ID}_garage")
    assert find_device(device_registry, (DOMAIN, f"{INSTANCE_ID}_garage"), setup_entry.entry_id) is None
    assert hass.states.get("sensor.garage_risk_score") is None


async def test_a_reload_keeps_every_device_and_what_the_user_changed(
    hass: HomeAssistant,
    hsi_server: FakeHsiServer,
    setup_entry: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
    entity_registry: er.EntityRegistry,
) -> None:
    # No cameras selected in the options (every camera): a restart or reload removes no device,
    # so device and entity names the user gave survive it.
    entry_id = setup_entry.entry_id
    garage = find_device(device_registry, (DOMAIN, f"{INSTANCE_ID}_garage"), entry_id)
    device_registry.async_update_device(garage.id, name_by_user="Carport")
    entity_registry.async_update_entity("sensor.garage_risk_score", name="Carport risk")
    assert await hass.config_entries.async_reload(entry_id)
    await hass.async_block_till_done()
    after = find_device(device_registry, (DOMAIN, f"{INSTANCE_ID}_garage"), entry_id)
    assert after.id == garage.id
    assert after.name_by_user == "Carport"
    registered = entity_registry.async_get("sensor.garage_risk_score")
    assert registered is not None and registered.name == "Carport risk"
    devices = dr.async_entries_for_config_entry(device_registry, entry_id)
    assert sorted(str(d.name) for d in devices) == ["Front door", "Garage", "HSI Test"]


async def test_deselecting_a_camera_in_the_options_removes_its_device(
    hass: HomeAssistant,
    hsi_server: FakeHsiServer,
    setup_entry: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
) -> None:
    entry_id = setup_entry.entry_id
    hass.config_entries.async_update_entry(setup_entry, options={"cameras": ["garage"]})
    await hass.async_block_till_done()  # the update listener reloads the entry
    assert find_device(device_registry, (DOMAIN, f"{INSTANCE_ID}_front_door"), entry_id) is None
    assert find_device(device_registry, (DOMAIN, f"{INSTANCE_ID}_garage"), entry_id) is not None
    assert hass.states.get("sensor.front_door_risk_score") is None
