"""Snapshots through Home Assistant (signed paths, no server key) and the live subscription of
non-admin users."""

from __future__ import annotations

import logging

import pytest
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry, MockUser, async_capture_events
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator, WebSocketGenerator

from custom_components.home_security_intelligence.const import BUS_EVENT
from custom_components.home_security_intelligence.views import snapshot_path

from .hsi_server import JPEG, FakeHsiServer, wait_for


async def test_bus_event_carries_a_signed_snapshot_path_that_needs_no_login(
    hass: HomeAssistant,
    hsi_server: FakeHsiServer,
    setup_entry: MockConfigEntry,
    hass_client_no_auth: ClientSessionGenerator,
    hass_client: ClientSessionGenerator,
) -> None:
    bus_events = async_capture_events(hass, BUS_EVENT)
    event = hsi_server.add_event("garage", 70, {"person": 1}, "Someone in the garage.")
    await hsi_server.push("event.created", event)
    await wait_for(lambda: len(bus_events) == 1, hass)
    path = bus_events[0].data["snapshot_path"]
    assert path.startswith(snapshot_path(setup_entry.entry_id, event["id"]) + "?authSig=")
    assert hsi_server.api_key not in path

    anonymous = await hass_client_no_auth()
    response = await anonymous.get(path)  # a phone on the LAN, without the server's key
    assert response.status == 200
    assert response.content_type == "image/jpeg"
    assert await response.read() == JPEG
    # The same path unsigned, or with a forged signature, is refused.
    assert (await anonymous.get(path.split("?")[0])).status == 401
    assert (await anonymous.get(path[:-3] + "abc")).status == 401

    client = await hass_client()
    assert (await client.get(snapshot_path(setup_entry.entry_id, "evt-404"))).status == 404
    assert (await client.get(snapshot_path("no-such-entry", event["id"]))).status == 404
    hsi_server.snapshot_status = 500
    assert (await client.get(snapshot_path(setup_entry.entry_id, event["id"]))).status == 502
    hsi_server.snapshot_status = 404
    assert (await client.get(snapshot_path(setup_entry.entry_id, event["id"]))).status == 404


async def test_non_admin_user_can_subscribe_to_live_events(
    hass: HomeAssistant,
    hsi_server: FakeHsiServer,
    setup_entry: MockConfigEntry,
    hass_ws_client: WebSocketGenerator,
    hass_read_only_access_token: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    client = await hass_ws_client(hass, access_token=hass_read_only_access_token)
    # Home Assistant's own subscribe_events refuses a non-admin user for this event type, with an
    # ERROR in the log ...
    await client.send_json_auto_id({"type": "subscribe_events", "event_type": BUS_EVENT})
    refused = await client.receive_json()
    assert refused["success"] is False and refused["error"]["code"] == "unauthorized"
    assert [r for r in caplog.records if r.levelno >= logging.ERROR]
    caplog.clear()
    # ... the integration's command does not, and logs nothing.
    await client.send_json_auto_id({"type": "home_security_intelligence/subscribe_events"})
    answer = await client.receive_json()
    assert answer["success"] is True, answer
    # An event of a server whose entities this user may not read is not forwarded; ours is.
    hass.bus.async_fire(BUS_EVENT, {"id": "evt-elsewhere", "config_entry_id": "another-entry"})
    event = hsi_server.add_event("front_door", 30, {"cat": 1}, "A cat.")
    await hsi_server.push("event.created", event)
    message = await client.receive_json()
    assert message["type"] == "event"
    assert message["event"]["event_type"] == BUS_EVENT
    assert message["event"]["data"]["id"] == event["id"]
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


async def test_an_administrator_gets_the_events_of_every_server(
    hass: HomeAssistant,
    hsi_server: FakeHsiServer,
    setup_entry: MockConfigEntry,
    hass_ws_client: WebSocketGenerator,
) -> None:
    client = await hass_ws_client(hass)
    await client.send_json_auto_id({"type": "home_security_intelligence/subscribe_events"})
    assert (await client.receive_json())["success"] is True
    hass.bus.async_fire(BUS_EVENT, {"id": "evt-elsewhere", "config_entry_id": "another-entry"})
    message = await client.receive_json()
    assert message["event"]["data"]["id"] == "evt-elsewhere"


async def test_a_user_who_may_not_read_the_entities_is_refused_quietly(
    hass: HomeAssistant,
    hsi_server: FakeHsiServer,
    setup_entry: MockConfigEntry,
    hass_ws_client: WebSocketGenerator,
    hass_read_only_user: MockUser,
    hass_read_only_access_token: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Allowed to see a kitchen light only: none of this integration's events reach this user.
    hass_read_only_user.mock_policy({"entities": {"entity_ids": {"light.kitchen": True}}})
    client = await hass_ws_client(hass, access_token=hass_read_only_access_token)
    await client.send_json_auto_id({"type": "home_security_intelligence/subscribe_events"})
    answer = await client.receive_json()
    assert answer["success"] is False
    assert answer["error"]["code"] == "unauthorized"
    assert (
        answer["error"]["message"] == "you may not read the entities of any Home Security Intelligence server"
    )
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
