"""Set-up, unload, reload and start-up failures."""

from __future__ import annotations

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.home_security_intelligence.const import DOMAIN

from .hsi_server import INSTANCE_ID, FakeHsiServer


async def test_setup_creates_server_and_camera_devices(
    hass: HomeAssistant, hsi_server: FakeHsiServer, setup_entry: MockConfigEntry
) -> None:
    assert setup_entry.state is ConfigEntryState.LOADED
    devices = dr.async_entries_for_config_entry(dr.async_get(hass), setup_entry.entry_id)
    names = sorted(d.name for d in devices)
    assert names == ["Front door", "Garage", "HSI Test"]
    server = dr.async_get(hass).async_get_device({(DOMAIN, INSTANCE_ID)})
    camera = dr.async_get(hass).async_get_device({(DOMAIN, f"{INSTANCE_ID}_front_door")})
    assert camera.via_device_id == server.id
    assert server.sw_version == "0.1.0"
    assert hass.states.get("sensor.front_door_risk_score").state == "72"
