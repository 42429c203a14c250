"""Set-up, unload, reload and start-up failures."""

from __future__ import annotations

import pytest
from aiohttp import web
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.home_security_intelligence.const import DOMAIN

from .ha_state import entry_state, state_of
from .hsi_server import INSTANCE_ID, FakeHsiServer, find_device, wait_for


async def test_setup_creates_server_and_camera_devices(
    hass: HomeAssistant, hsi_server: FakeHsiServer, setup_entry: MockConfigEntry
) -> None:
    assert setup_entry.state is ConfigEntryState.LOADED
    devices = dr.async_entries_for_config_entry(dr.async_get(hass), setup_entry.entry_id)
    names = sorted(str(d.name) for d in devices)
    assert names == ["Front door", "Garage", "HSI Test"]
    registry = dr.async_get(hass)
    server = find_device(registry, (DOMAIN, INSTANCE_ID), setup_entry.entry_id)
    camera = find_device(registry, (DOMAIN, f"{INSTANCE_ID}_front_door"), setup_entry.entry_id)
    assert camera.via_device_id == server.id
    assert server.sw_version == "0.1.0"
    # No "Visit" link: the status page at the root needs an API key from a browser (401).
    assert server.configuration_url is None
    assert camera.configuration_url is None
    assert state_of(hass, "sensor.front_door_risk_score").state == "72"


async def test_unload_and_reload(
    hass: HomeAssistant, hsi_server: FakeHsiServer, setup_entry: MockConfigEntry
) -> None:
    assert await hass.config_entries.async_reload(setup_entry.entry_id)
    await hass.async_block_till_done()
    assert setup_entry.state is ConfigEntryState.LOADED
    await wait_for(lambda: len(hsi_server.ws_clients) == 1, hass)

    assert await hass.config_entries.async_unload(setup_entry.entry_id)
    await hass.async_block_till_done()
    assert entry_state(setup_entry) is ConfigEntryState.NOT_LOADED
    assert state_of(hass, "sensor.front_door_risk_score").state == "unavailable"
    # The push connection is closed with the entry.
    await wait_for(lambda: not hsi_server.ws_clients, hass)


async def test_unreachable_server_retries_setup(
    hass: HomeAssistant, hsi_server: FakeHsiServer, mock_entry: MockConfigEntry
) -> None:
    await hsi_server.stop()
    mock_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_entry.entry_id)
    assert mock_entry.state is ConfigEntryState.SETUP_RETRY


async def test_failing_first_refresh_retries_setup(
    hass: HomeAssistant,
    hsi_server: FakeHsiServer,
    mock_entry: MockConfigEntry,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def broken(request: web.Request) -> web.Response:
        return web.Response(status=500)

    monkeypatch.setattr(
        hsi_server, "_stats", broken
    )  # only stats fails: info works, the first refresh does not
    await hsi_server.stop()
    await hsi_server.start()
    mock_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_entry.entry_id)
    assert mock_entry.state is ConfigEntryState.SETUP_RETRY
    monkeypatch.undo()


@pytest.mark.parametrize("route", ["_info", "_events", "_cameras"])
async def test_revoked_key_at_setup_starts_reauth(
    hass: HomeAssistant, hsi_server: FakeHsiServer, mock_entry: MockConfigEntry, route: str
) -> None:
    async def refused(request: web.Request) -> web.Response:
        return web.json_response({"error": {"code": "unauthorized", "message": "revoked"}}, status=401)

    setattr(hsi_server, route, refused)
    await hsi_server.stop()
    await hsi_server.start()
    mock_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_entry.entry_id)
    await hass.async_block_till_done()
    assert mock_entry.state is ConfigEntryState.SETUP_ERROR
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert flows[0]["context"]["source"] == "reauth"


async def test_failing_event_seed_retries_setup(
    hass: HomeAssistant,
    hsi_server: FakeHsiServer,
    mock_entry: MockConfigEntry,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def broken(request: web.Request) -> web.Response:
        return web.Response(status=502)

    monkeypatch.setattr(hsi_server, "_events", broken)
    await hsi_server.stop()
    await hsi_server.start()
    mock_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_entry.entry_id)
    assert mock_entry.state is ConfigEntryState.SETUP_RETRY
