"""Actions: responses, effects on the server and translated errors."""

from __future__ import annotations

import logging
from typing import Any

import pytest
import voluptuous as vol
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.home_security_intelligence.const import DOMAIN

from .ha_state import state_of
from .hsi_server import ENTITY_ID, INSTANCE_ID, FakeHsiServer


async def _call(hass: HomeAssistant, service: str, data: dict[str, Any], response: bool = False) -> Any:
    return await hass.services.async_call(DOMAIN, service, data, blocking=True, return_response=response)


async def test_get_events_filters_and_default_limit(
    hass: HomeAssistant, hsi_server: FakeHsiServer, setup_entry: MockConfigEntry
) -> None:
    hsi_server.add_event("garage", 15, {"car": 1}, "A car parks.")
    result = await _call(hass, "get_events", {}, response=True)
    assert [e["id"] for e in result["events"]] == ["evt-2", "evt-1"]
    assert result["next_cursor"] is None
    assert hsi_server.requests[-1][2]["limit"] == "20"

    result = await _call(
        hass,
        "get_events",
        {
            "config_entry_id": setup_entry.entry_id,
            "camera": "front_door",
            "min_risk": 50,
            "level": "high",
            "object": "person",
            "reviewed": False,
            "since": "2025-01-01 00:00:00",
            "until": "2025-01-03T00:00:00+00:00",
            "limit": 1,
        },
        response=True,
    )
    assert [e["id"] for e in result["events"]] == ["evt-1"]
    query = hsi_server.requests[-1][2]
    assert query["reviewed"] == "false"
    assert query["since"].startswith("2025-01-01T") and query["until"] == "2025-01-03T00:00:00+00:00"


async def test_search_events(
    hass: HomeAssistant, hsi_server: FakeHsiServer, setup_entry: MockConfigEntry
) -> None:
    result = await _call(hass, "search_events", {"query": "lingers"}, response=True)
    assert result["events"][0]["snippet"] == "A person lingers at the front door."
    result = await _call(hass, "search_events", {"query": "spaceship"}, response=True)
    assert result == {"events": [], "next_cursor": None}


async def test_review_event_updates_server_and_counter(
    hass: HomeAssistant, hsi_server: FakeHsiServer, setup_entry: MockConfigEntry
) -> None:
    await _call(hass, "review_event", {"event_id": "evt-1", "notes": "The neighbour."})
    assert hsi_server.events[0]["reviewed"] is True
    assert hsi_server.events[0]["notes"] == "The neighbour."
    assert state_of(hass, "sensor.front_door_last_event").attributes["reviewed"] is True
    assert state_of(hass, "sensor.hsi_test_unreviewed_events").state == "0"


async def test_review_missing_event_is_a_validation_error(
    hass: HomeAssistant, hsi_server: FakeHsiServer, setup_entry: MockConfigEntry
) -> None:
    with pytest.raises(ServiceValidationError) as err:
        await _call(hass, "review_event", {"event_id": "nope"})
    assert err.value.translation_key == "not_found"
    assert err.value.translation_placeholders == {"message": "event nope does not exist"}


async def test_zones_create_update_delete(
    hass: HomeAssistant, hsi_server: FakeHsiServer, setup_entry: MockConfigEntry
) -> None:
    polygon = [[0, 0.5], [1, 0.5], [1, 1]]
    result = await _call(
        hass, "set_zone", {"camera": "garage", "name": "Drive", "polygon": polygon}, response=True
    )
    zone = result["zone"]
    assert zone["id"] == 2
    assert hsi_server.zones["2"]["zone_type"] == "other"
    assert hsi_server.zones["2"]["polygon"] == [[0.0, 0.5], [1.0, 0.5], [1.0, 1.0]]

    await _call(hass, "set_zone", {"zone_id": "1", "priority": 9, "enabled": False})
    assert hsi_server.zones["1"]["priority"] == 9
    assert hsi_server.zones["1"]["name"] == "Porch"  # untouched fields kept

    await _call(hass, "delete_zone", {"zone_id": "1"})
    assert "1" not in hsi_server.zones


async def test_zone_errors(
    hass: HomeAssistant, hsi_server: FakeHsiServer, setup_entry: MockConfigEntry
) -> None:
    with pytest.raises(ServiceValidationError) as err:
        await _call(hass, "set_zone", {"zone_id": "404", "name": "x"})
    assert err.value.translation_key == "zone_not_found"
    with pytest.raises(ServiceValidationError) as err:
        await _call(hass, "set_zone", {"name": "x"})
    assert err.value.translation_key == "zone_fields_missing"
    assert err.value.translation_placeholders == {"fields": "camera, polygon"}
    with pytest.raises(ServiceValidationError) as err:
        await _call(hass, "set_zone", {"camera": "moon", "name": "x", "polygon": [[0, 0], [1, 0], [1, 1]]})
    assert err.value.translation_key == "invalid_request"
    with pytest.raises(ServiceValidationError) as err:
        await _call(hass, "delete_zone", {"zone_id": "404"})
    assert err.value.translation_key == "not_found"


@pytest.mark.parametrize(
    "zone_id",
    ["../alert-rules/1", "..", "1/../../alert-rules/1", "1?x=1", "1#frag", "%2e%2e%2falert-rules%2f1"],
)
async def test_ids_never_leave_their_path_segment(
    hass: HomeAssistant, hsi_server: FakeHsiServer, setup_entry: MockConfigEntry, zone_id: str
) -> None:
    # An id with "/", "..", "?", "#" or "%" stays one segment of /api/zones/{id}: it must not
    # delete alert rule 1 (or zone 1) through path traversal.
    with pytest.raises(ServiceValidationError) as err:
        await _call(hass, "delete_zone", {"zone_id": zone_id})
    assert err.value.translation_key == "not_found"
    assert "1" in hsi_server.rules
    assert "1" in hsi_server.zones
    method, path, _query = hsi_server.requests[-1]
    assert method == "DELETE"
    assert path == f"/api/zones/{zone_id}"  # the server decoded exactly the id that was sent


async def test_alert_rules_create_and_update(
    hass: HomeAssistant, hsi_server: FakeHsiServer, setup_entry: MockConfigEntry
) -> None:
    result = await _call(
        hass,
        "set_alert_rule",
        {"name": "Parcel", "conditions": {"object": "package"}, "channels": {"type": "ha"}},
        response=True,
    )
    assert result["rule"]["id"] == 2
    assert hsi_server.rules["2"]["channels"] == [{"type": "ha"}]
    assert hsi_server.rules["2"]["severity"] == "medium"  # the server's default
    # The new rule's switch appears at once.
    assert state_of(hass, "switch.hsi_test_alert_rule_parcel").state == "on"

    await _call(
        hass,
        "set_alert_rule",
        {"rule_id": "1", "cooldown_seconds": 60, "enabled": False, "severity": "critical"},
    )
    assert hsi_server.rules["1"]["cooldown_seconds"] == 60
    assert hsi_server.rules["1"]["severity"] == "critical"
    assert hsi_server.rules["1"]["name"] == "Night intruder"
    assert state_of(hass, "switch.hsi_test_alert_rule_night_intruder").state == "off"


async def test_alert_rule_errors(
    hass: HomeAssistant, hsi_server: FakeHsiServer, setup_entry: MockConfigEntry
) -> None:
    with pytest.raises(ServiceValidationError) as err:
        await _call(hass, "set_alert_rule", {"rule_id": "404", "enabled": True})
    assert err.value.translation_key == "rule_not_found"
    with pytest.raises(ServiceValidationError) as err:
        await _call(hass, "set_alert_rule", {"enabled": True})
    assert err.value.translation_key == "rule_fields_missing"


async def test_snooze_camera(
    hass: HomeAssistant, hsi_server: FakeHsiServer, setup_entry: MockConfigEntry
) -> None:
    await _call(hass, "snooze_camera", {"camera": "garage"})
    assert hsi_server.cameras["garage"]["muted_until"] is not None
    coordinator = setup_entry.runtime_data.coordinator
    assert coordinator.data.cameras["garage"]["muted_until"] == hsi_server.cameras["garage"]["muted_until"]
    assert hsi_server.requests[-1][:2] == ("POST", "/api/cameras/garage/mute")
    # The snooze is visible: a timestamp sensor of the camera.
    state = state_of(hass, "sensor.garage_snoozed_until")
    assert state.attributes["device_class"] == "timestamp"
    muted_until = dt_util.parse_datetime(hsi_server.cameras["garage"]["muted_until"])
    assert muted_until is not None
    assert dt_util.parse_datetime(state.state) == muted_until.replace(microsecond=0)
    assert state_of(hass, "sensor.front_door_snoozed_until").state == "unknown"
    await _call(hass, "snooze_camera", {"camera": "garage", "minutes": 0})
    assert coordinator.data.cameras["garage"]["muted_until"] is None
    assert state_of(hass, "sensor.garage_snoozed_until").state == "unknown"
    # A snooze that has run out shows as not snoozed.
    coordinator.data.cameras["garage"]["muted_until"] = "2020-01-01T00:00:00+00:00"
    coordinator.async_update_listeners()
    assert state_of(hass, "sensor.garage_snoozed_until").state == "unknown"
    with pytest.raises(ServiceValidationError):
        await _call(hass, "snooze_camera", {"camera": "moon"})


@pytest.mark.parametrize(
    ("status", "error", "key"),
    [
        (401, HomeAssistantError, "auth_failed"),
        (403, ServiceValidationError, "forbidden"),
        (503, HomeAssistantError, "cannot_connect"),
        (418, HomeAssistantError, "api_error"),
    ],
)
async def test_server_errors_are_translated(
    hass: HomeAssistant,
    hsi_server: FakeHsiServer,
    setup_entry: MockConfigEntry,
    status: int,
    error: type[HomeAssistantError],
    key: str,
) -> None:
    hsi_server.fail_status = status
    with pytest.raises(error) as err:
        await _call(hass, "get_events", {}, response=True)
    assert err.value.translation_domain == DOMAIN
    assert err.value.translation_key == key
    hsi_server.fail_status = None


async def test_unreachable_server_is_translated(
    hass: HomeAssistant, hsi_server: FakeHsiServer, setup_entry: MockConfigEntry
) -> None:
    await hsi_server.stop()
    with pytest.raises(HomeAssistantError) as err:
        await _call(hass, "search_events", {"query": "x"}, response=True)
    assert err.value.translation_key == "cannot_connect"


async def test_entry_selection(
    hass: HomeAssistant, hsi_server: FakeHsiServer, setup_entry: MockConfigEntry
) -> None:
    with pytest.raises(ServiceValidationError) as err:
        await _call(hass, "get_events", {"config_entry_id": "unknown"}, response=True)
    assert err.value.translation_key == "entry_not_loaded"
    assert "config entry id unknown is not loaded" in str(err.value)

    other = MockConfigEntry(domain=DOMAIN, unique_id="other", data={"url": "http://x", "api_key": "k"})
    other.add_to_hass(hass)
    other.mock_state(hass, setup_entry.state)
    with pytest.raises(ServiceValidationError) as err:
        await _call(hass, "get_events", {}, response=True)
    assert err.value.translation_key == "entry_ambiguous"
    other.mock_state(hass, other.state.NOT_LOADED)

    await hass.config_entries.async_unload(setup_entry.entry_id)
    with pytest.raises(ServiceValidationError) as err:
        await _call(hass, "get_events", {}, response=True)
    # A message of its own, without an empty placeholder ("No loaded ... server .").
    assert err.value.translation_key == "no_entry_loaded"
    assert not err.value.translation_placeholders
    assert str(err.value).startswith("No Home Security Intelligence server is loaded. Set one up")
    assert " ." not in str(err.value)
    assert INSTANCE_ID  # the unloaded entry keeps its registry entries


@pytest.mark.parametrize(
    ("service", "data"),
    [
        ("review_event", {"event_id": "evt-1"}),
        ("snooze_camera", {"camera": "garage"}),
        ("set_zone", {"zone_id": "1", "priority": 2}),
        ("set_zone", {"camera": "garage", "name": "Drive", "polygon": [[0, 0], [1, 0], [1, 1]]}),
        ("delete_zone", {"zone_id": "1"}),
        ("set_alert_rule", {"rule_id": "1", "enabled": False}),
        ("set_alert_rule", {"name": "New"}),
        ("name_entity", {"reid_entity": ENTITY_ID, "name": "Dad"}),
        ("forget_entity", {"reid_entity": ENTITY_ID}),
        ("give_feedback", {"event_id": "evt-1", "feedback": "expected"}),
        ("reset_feedback", {}),
        ("set_tripwire", {"camera": "garage", "name": "Fence", "a": [0.1, 0.5], "b": [0.9, 0.5]}),
        ("delete_tripwire", {"tripwire_id": "1"}),
    ],
)
async def test_read_only_key_refusal_is_a_translated_error_from_the_ui(
    hass: HomeAssistant,
    hsi_server: FakeHsiServer,
    mock_entry: MockConfigEntry,
    hass_ws_client: Any,
    caplog: pytest.LogCaptureFixture,
    service: str,
    data: dict[str, Any],
) -> None:
    """As the UI calls an action (WebSocket call_service) with a read-scope key: a translated
    error the user can act on, and no "Unexpected exception" traceback in the log."""
    mock_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        mock_entry, data={**mock_entry.data, "api_key": hsi_server.read_only_key}
    )
    assert await hass.config_entries.async_setup(mock_entry.entry_id)
    await hass.async_block_till_done()
    client = await hass_ws_client(hass)
    await client.send_json_auto_id(
        {"type": "call_service", "domain": DOMAIN, "service": service, "service_data": data}
    )
    answer = await client.receive_json()
    assert answer["success"] is False
    assert answer["error"]["code"] == "service_validation_error"
    assert answer["error"]["translation_key"] == "forbidden"
    assert "The API key is valid but its scope does not allow this action" in answer["error"]["message"]
    assert "Unexpected exception" not in caplog.text
    # One ERROR line with the translated message; the traceback only at DEBUG level.
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING and r.exc_info]
    await hass.config_entries.async_unload(mock_entry.entry_id)


async def test_list_name_and_forget_a_known_entity(
    hass: HomeAssistant, hsi_server: FakeHsiServer, setup_entry: MockConfigEntry
) -> None:
    result = await _call(hass, "list_known_entities", {"known": False, "label": "person"}, response=True)
    assert [e["id"] for e in result["entities"]] == [ENTITY_ID]
    assert hsi_server.requests[-1][2] == {"known": "false", "label": "person"}
    result = await _call(hass, "name_entity", {"reid_entity": ENTITY_ID, "name": "  Dad "}, response=True)
    assert result["entity"]["name"] == "Dad" and result["entity"]["known"] is True
    assert hsi_server.entities[ENTITY_ID]["name"] == "Dad"
    assert (await _call(hass, "list_known_entities", {"known": False}, response=True)) == {"entities": []}
    # Marked unknown again, keeping its name (no name given: the name is not sent).
    await _call(hass, "name_entity", {"reid_entity": ENTITY_ID, "known": False})
    assert hsi_server.entities[ENTITY_ID] | {"name": "Dad", "known": False} == hsi_server.entities[ENTITY_ID]

    history = await _call(hass, "get_entity_history", {"reid_entity": ENTITY_ID, "limit": 1}, response=True)
    assert history["entity"]["cameras"] == ["front_door", "garage"]
    assert [(h["event_id"], h["camera"]) for h in history["history"]] == [("evt-1", "front_door")]
    assert hsi_server.requests[-1][:3] == ("GET", f"/api/entities/{ENTITY_ID}/history", {"limit": "1"})

    await _call(hass, "forget_entity", {"reid_entity": ENTITY_ID})
    assert ENTITY_ID not in hsi_server.entities
    assert hsi_server.requests[-1][:2] == ("DELETE", f"/api/entities/{ENTITY_ID}")
    with pytest.raises(ServiceValidationError) as err:
        await _call(hass, "get_entity_history", {"reid_entity": ENTITY_ID}, response=True)
    assert err.value.translation_key == "not_found"
    with pytest.raises(ServiceValidationError) as err:
        await _call(hass, "forget_entity", {"reid_entity": ENTITY_ID})
    assert err.value.translation_key == "not_found"
    with pytest.raises(ServiceValidationError) as err:
        await _call(hass, "name_entity", {"reid_entity": ENTITY_ID, "name": "Mum"})
    assert err.value.translation_key == "not_found"


async def test_name_entity_refuses_a_blank_name(
    hass: HomeAssistant, hsi_server: FakeHsiServer, setup_entry: MockConfigEntry
) -> None:
    with pytest.raises(vol.Invalid):
        await _call(hass, "name_entity", {"reid_entity": ENTITY_ID, "name": "   "})
    assert hsi_server.entities[ENTITY_ID]["name"] is None


async def test_give_feedback_updates_the_event_and_the_entities(
    hass: HomeAssistant, hsi_server: FakeHsiServer, setup_entry: MockConfigEntry
) -> None:
    result = await _call(
        hass, "give_feedback", {"event_id": "evt-1", "feedback": "false_alarm"}, response=True
    )
    assert result["event"]["feedback"] == "false_alarm"
    assert hsi_server.events[0]["feedback"] == "false_alarm"
    assert hsi_server.requests[-1][:2] == ("PATCH", "/api/events/evt-1")
    # Feedback marks the event reviewed: the counter and the last-event sensor follow at once.
    state = state_of(hass, "sensor.front_door_last_event")
    assert state.attributes["reviewed"] is True and state.attributes["feedback"] == "false_alarm"
    assert state_of(hass, "sensor.hsi_test_unreviewed_events").state == "0"

    await _call(hass, "give_feedback", {"event_id": "evt-1", "feedback": "clear"})
    assert hsi_server.events[0]["feedback"] is None
    assert state_of(hass, "sensor.front_door_last_event").attributes["feedback"] is None
    with pytest.raises(vol.Invalid):
        await _call(hass, "give_feedback", {"event_id": "evt-1", "feedback": "maybe"})
    with pytest.raises(ServiceValidationError) as err:
        await _call(hass, "give_feedback", {"event_id": "nope", "feedback": "threat"})
    assert err.value.translation_key == "not_found"


async def test_reset_feedback_of_one_camera_or_all(
    hass: HomeAssistant, hsi_server: FakeHsiServer, setup_entry: MockConfigEntry
) -> None:
    hsi_server.add_event("garage", 15, {"car": 1}, "A car parks.")
    await _call(hass, "give_feedback", {"event_id": "evt-1", "feedback": "expected"})
    await _call(hass, "give_feedback", {"event_id": "evt-2", "feedback": "threat"})
    assert await _call(hass, "reset_feedback", {"camera": "garage"}, response=True) == {"cleared": 1}
    assert [e["feedback"] for e in hsi_server.events] == [None, "expected"]
    assert await _call(hass, "reset_feedback", {}, response=True) == {"cleared": 1}
    assert [e["feedback"] for e in hsi_server.events] == [None, None]


async def test_ask_returns_the_answer_and_the_cited_event_ids(
    hass: HomeAssistant, hsi_server: FakeHsiServer, setup_entry: MockConfigEntry
) -> None:
    hsi_server.add_event("garage", 15, {"car": 1}, "A car parks in the garage.")
    result = await _call(hass, "ask", {"question": "Who lingers at the door?", "limit": 3}, response=True)
    assert hsi_server.asked[-1] == {"question": "Who lingers at the door?", "limit": 3}
    assert result["event_ids"] == ["evt-1"]
    assert result["answered_by"] == "extractive"
    assert [c["id"] for c in result["citations"]] == ["evt-1"]
    assert "[evt-1]" in result["answer"]
    assert result["understood"]["terms"] == ["lingers", "door"]

    result = await _call(hass, "ask", {"question": "Any spaceships?"}, response=True)
    assert result["event_ids"] == [] and result["answer"] == "No events match that question."
    assert "limit" not in hsi_server.asked[-1]
    with pytest.raises(vol.Invalid):
        await _call(hass, "ask", {"question": "  "}, response=True)
    # Ask only answers: calling it without asking for the response is refused.
    with pytest.raises(ServiceValidationError):
        await _call(hass, "ask", {"question": "Who lingers?"})


async def test_get_digest_of_a_day_or_week(
    hass: HomeAssistant, hsi_server: FakeHsiServer, setup_entry: MockConfigEntry
) -> None:
    hsi_server.add_event("garage", 15, {"car": 1}, "A car parks in the garage.")
    result = await _call(hass, "get_digest", {}, response=True)
    assert hsi_server.requests[-1][:3] == ("GET", "/api/ask/digest", {"period": "day"})
    assert result["type"] == "event_digest" and result["events"] == 2
    assert result["by_camera"] == {"garage": 1, "front_door": 1}
    assert result["text"].startswith("Day ending ")

    result = await _call(hass, "get_digest", {"period": "week", "date": "2025-01-05"}, response=True)
    assert hsi_server.requests[-1][2] == {"period": "week", "date": "2025-01-05"}
    assert result["text"] == "Week ending 2025-01-05: 2 event(s)"
    with pytest.raises(vol.Invalid):
        await _call(hass, "get_digest", {"period": "month"}, response=True)
    with pytest.raises(vol.Invalid):
        await _call(hass, "get_digest", {"date": "yesterday"}, response=True)


async def test_tripwires_create_update_delete(
    hass: HomeAssistant, hsi_server: FakeHsiServer, setup_entry: MockConfigEntry
) -> None:
    result = await _call(
        hass,
        "set_tripwire",
        {"camera": "garage", "name": "Back fence", "a": [0.1, 0.6], "b": [0.9, 0.6]},
        response=True,
    )
    assert result["tripwire"] == {
        "id": 1,
        "camera": "garage",
        "name": "Back fence",
        "a": [0.1, 0.6],
        "b": [0.9, 0.6],
        "enabled": True,
    }
    await _call(hass, "set_tripwire", {"tripwire_id": "1", "enabled": False, "b": [0.9, 0.7]})
    assert (
        hsi_server.tripwires["1"] | {"enabled": False, "b": [0.9, 0.7], "name": "Back fence"}
        == (hsi_server.tripwires["1"])
    )
    assert hsi_server.requests[-1][:2] == ("PUT", "/api/tripwires/1")
    await _call(hass, "delete_tripwire", {"tripwire_id": "1"})
    assert hsi_server.tripwires == {}


async def test_tripwire_errors(
    hass: HomeAssistant, hsi_server: FakeHsiServer, setup_entry: MockConfigEntry
) -> None:
    with pytest.raises(ServiceValidationError) as err:
        await _call(hass, "set_tripwire", {"tripwire_id": "7", "name": "x"})
    assert err.value.translation_key == "tripwire_not_found"
    assert err.value.translation_placeholders == {"tripwire_id": "7"}
    with pytest.raises(ServiceValidationError) as err:
        await _call(hass, "set_tripwire", {"camera": "garage", "a": [0, 0]})
    assert err.value.translation_key == "tripwire_fields_missing"
    assert err.value.translation_placeholders == {"fields": "name, b"}
    with pytest.raises(ServiceValidationError) as err:
        await _call(hass, "set_tripwire", {"camera": "garage", "name": "x", "a": [0.5, 0.5], "b": [0.5, 0.5]})
    assert err.value.translation_key == "invalid_request"
    assert err.value.translation_placeholders == {"message": "tripwire: a and b must differ"}
    with pytest.raises(vol.Invalid):
        await _call(hass, "set_tripwire", {"camera": "garage", "name": "x", "a": [0.5, 1.5], "b": [0, 0]})
    with pytest.raises(ServiceValidationError) as err:
        await _call(hass, "delete_tripwire", {"tripwire_id": "7"})
    assert err.value.translation_key == "not_found"


async def test_alert_rule_behaviours(
    hass: HomeAssistant, hsi_server: FakeHsiServer, setup_entry: MockConfigEntry
) -> None:
    result = await _call(
        hass,
        "set_alert_rule",
        {
            "name": "Prowler",
            "conditions": {"objects": ["person"]},
            "behaviours": ["perimeter_walk", "loitering"],
        },
        response=True,
    )
    assert result["rule"]["conditions"] == {
        "objects": ["person"],
        "behaviours": ["perimeter_walk", "loitering"],
    }
    # Behaviours alone keep the stored conditions; an empty list removes the condition.
    await _call(hass, "set_alert_rule", {"rule_id": "1", "behaviours": "tailgating"})
    assert hsi_server.rules["1"]["conditions"] == {"min_risk": 70, "behaviours": ["tailgating"]}
    await _call(hass, "set_alert_rule", {"rule_id": "1", "behaviours": []})
    assert hsi_server.rules["1"]["conditions"] == {"min_risk": 70}
    with pytest.raises(vol.Invalid):
        await _call(hass, "set_alert_rule", {"rule_id": "1", "behaviours": ["lurking"]})
