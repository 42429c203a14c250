"""WebSocket push: events arrive without polling, outages make entities unavailable, resume by cursor."""

from __future__ import annotations

import logging
from typing import Any
from unittest.mock import patch

import pytest
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_mock_service,
)

from custom_components.home_security_intelligence.api import HsiClient
from custom_components.home_security_intelligence.const import BUS_EVENT

from .ha_state import state_of
from .hsi_server import FakeHsiServer, wait_for


async def test_event_created_updates_entities_and_fires_bus_event(
    hass: HomeAssistant, hsi_server: FakeHsiServer, setup_entry: MockConfigEntry
) -> None:
    bus_events = async_capture_events(hass, BUS_EVENT)
    event = hsi_server.add_event("garage", 91, {"car": 1, "person": 0}, "Unknown car in the garage.")
    await hsi_server.push("event.created", event)
    await wait_for(lambda: state_of(hass, "sensor.garage_risk_score").state == "91", hass)

    state = state_of(hass, "event.garage_security_event")
    assert state.attributes["event_type"] == "vehicle"
    assert state.attributes["event_id"] == event["id"]
    assert state.attributes["score"] == 91
    assert state.attributes["level"] == "critical"
    assert state.attributes["summary"] == "Unknown car in the garage."
    assert state_of(hass, "sensor.garage_last_event").state == "Unknown car in the garage."
    assert state_of(hass, "binary_sensor.garage_activity").state == "on"
    assert state_of(hass, "binary_sensor.garage_high_risk").state == "on"
    assert state_of(hass, "sensor.hsi_test_unreviewed_events").state == "2"
    assert state_of(hass, "sensor.hsi_test_highest_risk_today").state == "91"
    # Another camera's event entity did not fire.
    assert state_of(hass, "event.front_door_security_event").state == "unknown"

    assert len(bus_events) == 1
    assert bus_events[0].data["type"] == "event.created"
    assert bus_events[0].data["id"] == event["id"]
    assert bus_events[0].data["config_entry_id"] == setup_entry.entry_id
    coordinator = setup_entry.runtime_data.coordinator
    assert coordinator.cursor == "c000001"
    assert coordinator.recent_events[0]["id"] == event["id"]


async def test_event_updated_refines_without_refiring(
    hass: HomeAssistant, hsi_server: FakeHsiServer, setup_entry: MockConfigEntry
) -> None:
    event = hsi_server.add_event("garage", 40, {"dog": 1}, "A dog.")
    await hsi_server.push("event.created", event)
    await wait_for(lambda: state_of(hass, "sensor.garage_risk_score").state == "40", hass)
    fired = state_of(hass, "event.garage_security_event").state
    assert state_of(hass, "event.garage_security_event").attributes["event_type"] == "animal"

    await hsi_server.push("event.updated", {**event, "risk_score": 20, "risk_level": "low", "reviewed": True})
    await wait_for(lambda: state_of(hass, "sensor.garage_risk_score").state == "20", hass)
    assert state_of(hass, "event.garage_security_event").state == fired
    # Reviewed: one fewer unreviewed event.
    assert state_of(hass, "sensor.hsi_test_unreviewed_events").state == "1"

    await hsi_server.push(
        "event.updated", {**event, "risk_score": 20, "risk_level": "low", "reviewed": False}
    )
    await wait_for(lambda: state_of(hass, "sensor.hsi_test_unreviewed_events").state == "2", hass)


async def test_alert_and_other_messages(
    hass: HomeAssistant, hsi_server: FakeHsiServer, setup_entry: MockConfigEntry
) -> None:
    bus_events = async_capture_events(hass, BUS_EVENT)
    event = hsi_server.add_event("front_door", 88, {"package": 1}, "Parcel taken.")
    for ws in hsi_server.ws_clients:
        await ws.send_str("not json")
        await ws.send_str("[1, 2]")
    await hsi_server.push("detection", {"label": "person"})
    await hsi_server.push("system", {"pipeline": "ok"})
    await hsi_server.push("alert", {"rule_id": 1, "event": event})
    await wait_for(lambda: len(bus_events) == 1, hass)
    assert bus_events[0].data["type"] == "alert"
    assert bus_events[0].data["rule_id"] == 1
    assert state_of(hass, "sensor.front_door_risk_score").state == "88"
    assert setup_entry.runtime_data.coordinator.cursor == "c000003"


async def test_ha_channel_alert_fires_the_alert_event_and_notifies(
    hass: HomeAssistant, hsi_server: FakeHsiServer, setup_entry: MockConfigEntry
) -> None:
    """A rule with the `ha` channel: the server sends the alert with its `ha` section, and Home
    Assistant fires home_security_intelligence_alert and calls the notify action it names."""
    alerts = async_capture_events(hass, "home_security_intelligence_alert")
    notified = async_mock_service(hass, "notify", "mobile_app_phone")
    event = hsi_server.add_event("front_door", 88, {"person": 1}, "Stranger at the door.")
    section = {
        "event_type": "home_security_intelligence_alert",
        "notify_service": "notify.mobile_app_phone",
        "title": "CRITICAL risk on Front door",
        "message": "Stranger at the door.",
        "tag": "hsi-alert-7",
        "group": "hsi-alerts",
        "event_id": event["id"],
        "camera": "front_door",
        "url": f"http://192.168.1.10:8000/api/events/{event['id']}",
        "image": f"http://192.168.1.10:8000/api/events/{event['id']}/snapshot",
    }
    await hsi_server.push("alert", {"id": 7, "rule_id": 1, "event": event, "channels": ["ha"], "ha": section})
    await wait_for(lambda: len(notified) == 1, hass)
    assert len(alerts) == 1
    fired = alerts[0].data
    assert fired["title"] == "CRITICAL risk on Front door"
    assert fired["tag"] == "hsi-alert-7"
    assert fired["config_entry_id"] == setup_entry.entry_id
    # The image is Home Assistant's signed snapshot path, not the server URL that needs its key.
    assert fired["image"].startswith(f"/api/home_security_intelligence/{setup_entry.entry_id}/events/")
    assert "authSig=" in fired["image"]
    call = notified[0].data
    assert call["title"] == "CRITICAL risk on Front door"
    assert call["message"] == "Stranger at the door."
    assert call["data"] == {
        "tag": "hsi-alert-7",
        "group": "hsi-alerts",
        "image": fired["image"],
        "url": section["url"],
    }

    # No notify action named: only the event. A notify action that does not exist: the event, and
    # a warning; a failing one: the push connection keeps running.
    await hsi_server.push("alert", {"id": 8, "event": event, "ha": {**section, "notify_service": None}})
    await hsi_server.push("alert", {"id": 9, "event": event, "ha": {**section, "notify_service": "nope"}})
    await wait_for(lambda: len(alerts) == 3, hass)
    assert len(notified) == 1

    async def _broken(call: Any) -> None:
        raise HomeAssistantError("phone unreachable")

    hass.services.async_register("notify", "broken", _broken)
    await hsi_server.push("alert", {"id": 10, "event": event, "ha": {**section, "notify_service": "broken"}})
    await wait_for(lambda: len(alerts) == 4, hass)
    await hass.async_block_till_done()
    assert setup_entry.runtime_data.coordinator.push_connected


async def test_event_of_unknown_camera_adds_it(
    hass: HomeAssistant, hsi_server: FakeHsiServer, setup_entry: MockConfigEntry
) -> None:
    event = hsi_server.add_event("backyard", 10, {"cat": 1}, "A cat.")
    event["camera_name"] = "Backyard"
    await hsi_server.push("event.created", event)
    await wait_for(lambda: hass.states.get("sensor.backyard_risk_score") is not None, hass)
    assert state_of(hass, "sensor.backyard_risk_score").state == "10"


async def test_older_pushed_event_does_not_replace_latest(
    hass: HomeAssistant, hsi_server: FakeHsiServer, setup_entry: MockConfigEntry
) -> None:
    old = {**hsi_server.events[0], "id": "evt-old", "started_at": "2024-01-01T00:00:00+00:00"}
    await hsi_server.push("event.updated", old)
    await wait_for(lambda: setup_entry.runtime_data.coordinator.cursor == "c000001", hass)
    assert state_of(hass, "sensor.front_door_last_event").attributes["event_id"] == "evt-1"


async def test_server_outage_makes_entities_unavailable_then_resumes_with_cursor(
    hass: HomeAssistant,
    hsi_server: FakeHsiServer,
    setup_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    first = hsi_server.add_event("garage", 30, {"person": 1}, "Someone.")
    await hsi_server.push("event.created", first)
    await wait_for(lambda: state_of(hass, "sensor.garage_risk_score").state == "30", hass)

    caplog.clear()
    await hsi_server.stop()
    await wait_for(lambda: state_of(hass, "sensor.garage_risk_score").state == STATE_UNAVAILABLE, hass)
    assert state_of(hass, "event.garage_security_event").state == STATE_UNAVAILABLE
    assert state_of(hass, "switch.hsi_test_alert_rule_night_intruder").state == STATE_UNAVAILABLE
    # Several failed reconnects, one log line.
    with patch.object(HsiClient, "ws_connect", autospec=True, side_effect=HsiClient.ws_connect) as attempts:
        await wait_for(lambda: attempts.call_count >= 3, hass)
    lost = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(lost) == 1, [r.getMessage() for r in lost]

    # An event happens while Home Assistant is disconnected.
    missed = hsi_server.add_event("garage", 95, {"person": 2}, "Two people at night.")
    hsi_server.log.append({"type": "event.created", "data": missed, "cursor": "c000002"})
    hsi_server.ws_queries.clear()
    await hsi_server.start()
    await wait_for(lambda: state_of(hass, "sensor.garage_risk_score").state == "95", hass)
    assert hsi_server.ws_queries[0] == {"client": "home_assistant", "since": "c000001"}
    assert state_of(hass, "event.garage_security_event").attributes["event_id"] == missed["id"]
    assert any("recovered" in r.getMessage() for r in caplog.records)


async def test_websocket_drop_reconnects(
    hass: HomeAssistant, hsi_server: FakeHsiServer, setup_entry: MockConfigEntry
) -> None:
    await hsi_server.push("system", {})
    await hsi_server.drop_websockets()
    await wait_for(lambda: len(hsi_server.ws_queries) == 2 and len(hsi_server.ws_clients) == 1, hass)
    assert hsi_server.ws_queries[1] == {"client": "home_assistant", "since": "c000001"}
    await wait_for(lambda: state_of(hass, "sensor.garage_risk_score").state != STATE_UNAVAILABLE, hass)


async def test_revoked_key_on_websocket_starts_reauth(
    hass: HomeAssistant, hsi_server: FakeHsiServer, setup_entry: MockConfigEntry
) -> None:
    hsi_server.api_key = "revoked"
    await hsi_server.drop_websockets()
    await wait_for(
        lambda: any(hass.config_entries.flow.async_progress_by_handler("home_security_intelligence")), hass
    )
    flow = hass.config_entries.flow.async_progress_by_handler("home_security_intelligence")[0]
    assert flow["context"]["source"] == "reauth"
    assert state_of(hass, "sensor.garage_risk_score").state == STATE_UNAVAILABLE


async def test_server_error_on_websocket_is_retried(
    hass: HomeAssistant, hsi_server: FakeHsiServer, setup_entry: MockConfigEntry
) -> None:
    hsi_server.fail_status = 503
    await hsi_server.drop_websockets()
    await wait_for(lambda: len(hsi_server.ws_queries) == 1 and hsi_server.requests[-1][1] == "/api/ws", hass)
    await wait_for(lambda: state_of(hass, "sensor.garage_risk_score").state == STATE_UNAVAILABLE, hass)
    hsi_server.fail_status = None
    await wait_for(lambda: len(hsi_server.ws_clients) == 1, hass)
    await wait_for(lambda: state_of(hass, "sensor.garage_risk_score").state != STATE_UNAVAILABLE, hass)


async def test_pushed_event_survives_a_poll_that_has_not_caught_up(
    hass: HomeAssistant, hsi_server: FakeHsiServer, setup_entry: MockConfigEntry
) -> None:
    # The server has not yet listed this event on the camera when the next poll runs.
    newer = {
        **hsi_server.events[0],
        "id": "evt-push",
        "started_at": "2025-01-02T04:00:00+00:00",
        "risk_score": 5,
    }
    await hsi_server.push("event.created", newer)
    await wait_for(lambda: state_of(hass, "sensor.front_door_risk_score").state == "5", hass)
    await setup_entry.runtime_data.coordinator.async_refresh()
    await hass.async_block_till_done()
    assert state_of(hass, "sensor.front_door_risk_score").state == "5"
