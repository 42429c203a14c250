"""What the Lovelace card talks to: its websocket commands and the authenticated media view."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry, MockUser
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator, WebSocketGenerator

from custom_components.home_security_intelligence.const import DOMAIN
from custom_components.home_security_intelligence.frontend import CARD_FILE
from custom_components.home_security_intelligence.media import event_media_path, stored_media_path

from .hsi_server import CLIP, ENTITY_ID, JPEG, FakeHsiServer, wait_for


async def _events(client: Any, **extra: Any) -> dict[str, Any]:
    await client.send_json_auto_id({"type": f"{DOMAIN}/events", **extra})
    return dict(await client.receive_json())


async def test_events_come_with_signed_media_urls_that_load_without_a_header(
    hass: HomeAssistant,
    hsi_server: FakeHsiServer,
    setup_entry: MockConfigEntry,
    hass_ws_client: WebSocketGenerator,
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    ws = await hass_ws_client(hass)
    reply = await _events(ws)
    assert reply["success"], reply
    result = reply["result"]
    assert result["config_entry_id"] == setup_entry.entry_id
    [event] = result["events"]
    assert event["id"] == "evt-1"
    assert event["summary"] == "A person lingers at the front door."
    assert {c["id"] for c in result["cameras"]} == {"front_door", "garage"}
    path = event_media_path(setup_entry.entry_id, "evt-1", "snapshot")
    assert event["snapshot_url"].startswith(f"{path}?authSig=")
    assert hsi_server.api_key not in str(result)  # the key never reaches the browser

    browser = await hass_client_no_auth()
    assert (await browser.get(path)).status == 401  # unsigned: refused
    response = await browser.get(event["snapshot_url"])
    assert response.status == 200
    assert response.headers["Content-Type"] == "image/jpeg"
    assert await response.read() == JPEG
    [media] = event["media_urls"]
    assert (await (await browser.get(media)).read()) == JPEG


async def test_filters_and_cursor_reach_the_server(
    hass: HomeAssistant,
    hsi_server: FakeHsiServer,
    setup_entry: MockConfigEntry,
    hass_ws_client: WebSocketGenerator,
) -> None:
    for score in (10, 45, 90):
        hsi_server.add_event("garage", score, {"car": 1}, f"Car scored {score}.")
    ws = await hass_ws_client(hass)
    reply = await _events(ws, camera="garage", level="high,critical", reviewed=False, limit=1)
    assert reply["success"], reply
    assert [e["risk_score"] for e in reply["result"]["events"]] == [90]
    assert hsi_server.requests[-1][2] == {
        "camera": "garage",
        "level": "high,critical",
        "reviewed": "false",
        "limit": "1",
    }
    first = await _events(ws, limit=2)
    assert first["result"]["next_cursor"]
    second = await _events(ws, limit=2, cursor=first["result"]["next_cursor"])
    ids = [e["id"] for e in first["result"]["events"] + second["result"]["events"]]
    assert len(ids) == len(set(ids)) == 4


async def test_bad_filters_are_refused_before_the_server(
    hass: HomeAssistant,
    hsi_server: FakeHsiServer,
    setup_entry: MockConfigEntry,
    hass_ws_client: WebSocketGenerator,
) -> None:
    ws = await hass_ws_client(hass)
    before = len(hsi_server.requests)
    for bad in ({"level": "severe"}, {"limit": 0}, {"level": "high,"}):
        reply = await _events(ws, **bad)
        assert not reply["success"]
        assert reply["error"]["code"] == "invalid_format"
    assert len(hsi_server.requests) == before


async def test_event_detail_and_its_errors(
    hass: HomeAssistant,
    hsi_server: FakeHsiServer,
    setup_entry: MockConfigEntry,
    hass_ws_client: WebSocketGenerator,
) -> None:
    ws = await hass_ws_client(hass)
    await ws.send_json_auto_id({"type": f"{DOMAIN}/event", "event_id": "evt-1"})
    reply = await ws.receive_json()
    assert reply["success"], reply
    assert reply["result"]["detections"] == []
    # The faces reach the card's dialog as the server sends them (its Faces section).
    assert [f["track_id"] for f in reply["result"]["faces"]] == [1, 2]
    assert reply["result"]["faces"][0] == {"track_id": 1, "known": False, "name": None, "enrollable": True}
    assert reply["result"]["clip_url"].startswith(event_media_path(setup_entry.entry_id, "evt-1", "clip"))

    await ws.send_json_auto_id({"type": f"{DOMAIN}/event", "event_id": "evt-404"})
    reply = await ws.receive_json()
    assert reply["error"]["code"] == "not_found"

    hsi_server.fail_status = 503
    await ws.send_json_auto_id({"type": f"{DOMAIN}/event", "event_id": "evt-1"})
    reply = await ws.receive_json()
    assert reply["error"]["code"] == "server_unavailable"
    reply = await _events(ws)
    assert reply["error"]["code"] == "server_unavailable"


async def test_commands_need_a_loaded_entry(
    hass: HomeAssistant,
    hsi_server: FakeHsiServer,
    setup_entry: MockConfigEntry,
    hass_ws_client: WebSocketGenerator,
) -> None:
    ws = await hass_ws_client(hass)
    reply = await _events(ws, config_entry_id="nope")
    assert reply["error"]["code"] == "not_found"
    second = MockConfigEntry(domain=DOMAIN, unique_id="other", data=dict(setup_entry.data))
    second.add_to_hass(hass)
    assert await hass.config_entries.async_setup(second.entry_id)
    await hass.async_block_till_done()
    reply = await _events(ws)
    assert reply["error"]["message"] == "several servers: pass config_entry_id"
    reply = await _events(ws, config_entry_id=second.entry_id)
    assert reply["success"]
    await hass.config_entries.async_unload(second.entry_id)
    await hass.async_block_till_done()


async def test_a_user_who_may_read_the_entities_gets_live_updates(
    hass: HomeAssistant,
    hsi_server: FakeHsiServer,
    setup_entry: MockConfigEntry,
    hass_ws_client: WebSocketGenerator,
    hass_read_only_access_token: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Not an administrator: subscribe_events for our bus event would be refused for this user,
    # with an ERROR in Home Assistant's log.
    ws = await hass_ws_client(hass, hass_read_only_access_token)
    await ws.send_json_auto_id({"type": "subscribe_events", "event_type": f"{DOMAIN}_event"})
    assert (await ws.receive_json())["error"]["code"] == "unauthorized"
    assert [r for r in caplog.records if r.levelno >= logging.ERROR]
    caplog.clear()

    await ws.send_json_auto_id({"type": f"{DOMAIN}/subscribe"})
    subscribed = await ws.receive_json()
    assert subscribed["success"], subscribed
    event = hsi_server.add_event("garage", 88, {"car": 1}, "A car idles at night.")
    await hsi_server.push("event.created", event)
    pushed = await ws.receive_json()
    assert pushed["type"] == "event"
    assert pushed["id"] == subscribed["id"]
    assert pushed["event"]["kind"] == "event.created"
    assert pushed["event"]["event"]["id"] == event["id"]
    assert pushed["event"]["event"]["snapshot_url"].startswith(
        event_media_path(setup_entry.entry_id, event["id"], "snapshot") + "?authSig="
    )
    await hsi_server.push("alert", {"event": {**event, "reviewed": True}, "rule": "x"})
    alert = await ws.receive_json()
    assert alert["event"]["kind"] == "alert"
    assert alert["event"]["event"]["reviewed"] is True
    # A push without an event (e.g. an alert about nothing) is not forwarded; the next one is.
    await hsi_server.push("alert", {"rule": "x"})
    await hsi_server.push("event.updated", {**event, "summary": "Updated."})
    updated = await ws.receive_json()
    assert updated["event"]["event"]["summary"] == "Updated."
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_the_card_never_uses_the_admin_only_subscribe_events() -> None:
    # Home Assistant refuses subscribe_events of a custom event to every non-admin user and logs an
    # ERROR each time; the card subscribes with the integration's own command.
    bundle = CARD_FILE.read_text()
    assert "subscribe_events" not in bundle
    assert "/subscribe" in bundle


async def test_a_user_who_may_not_read_the_entities_is_refused(
    hass: HomeAssistant,
    hsi_server: FakeHsiServer,
    setup_entry: MockConfigEntry,
    hass_ws_client: WebSocketGenerator,
    hass_read_only_user: MockUser,
    hass_read_only_access_token: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    hass_read_only_user.mock_policy({"entities": {"entity_ids": {"light.kitchen": True}}})
    ws = await hass_ws_client(hass, hass_read_only_access_token)
    for kind, extra in (
        ("events", {}),
        ("subscribe", {}),
        ("ask", {"question": "who?"}),
        ("tripwires", {}),
        ("entity_history", {"reid_entity": ENTITY_ID}),
    ):
        await ws.send_json_auto_id({"type": f"{DOMAIN}/{kind}", **extra})
        error = (await ws.receive_json())["error"]
        assert error["code"] == "unauthorized"
        # What the card shows ("Live updates unavailable: ..."); refused quietly, nothing logged.
        assert error["message"] == "you may not read this entry's entities"
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


async def test_clip_streams_with_range_and_errors_are_clear(
    hass: HomeAssistant,
    hsi_server: FakeHsiServer,
    setup_entry: MockConfigEntry,
    hass_client: ClientSessionGenerator,
) -> None:
    client = await hass_client()
    entry_id = setup_entry.entry_id
    clip = event_media_path(entry_id, "evt-1", "clip")
    whole = await client.get(clip)
    assert whole.status == 200
    assert whole.headers["Content-Type"] == "video/mp4"
    assert await whole.read() == CLIP
    part = await client.get(clip, headers={"Range": "bytes=100-199"})
    assert part.status == 206
    assert part.headers["Content-Range"] == f"bytes 100-199/{len(CLIP)}"
    assert await part.read() == CLIP[100:200]
    assert (await client.get(clip, headers={"Range": "bytes=9000-10"})).status == 416

    assert (await client.get(event_media_path(entry_id, "evt-404", "clip"))).status == 404
    assert (
        await client.get(event_media_path(entry_id, "evt-1", "clip").removesuffix("clip") + "thumbnail")
    ).status == 404
    assert (await client.get(event_media_path("no-such-entry", "evt-1", "clip"))).status == 404
    assert (await client.get(f"/api/{DOMAIN}/{entry_id}/media/a/.hidden.jpg")).status == 404
    assert (await client.get(f"/api/{DOMAIN}/{entry_id}/media/a/b%20c.jpg")).status == 404
    before = len(hsi_server.requests)
    traversal = await client.get(f"/api/{DOMAIN}/{entry_id}/media/a/..%2F..%2Fsecret.jpg")
    assert traversal.status in (400, 404)
    assert len(hsi_server.requests) == before  # refused before anything reached the server

    hsi_server.fail_status = 401
    assert (await client.get(clip)).status == 502
    await hsi_server.stop()
    response = await client.get(clip)
    assert response.status == 502
    assert "unavailable" in (await response.json())["message"]


def test_stored_media_paths_are_confined() -> None:
    assert (
        stored_media_path("e", "/api/media/front_door/2025/a.jpg")
        == "/api/home_security_intelligence/e/media/front_door/2025/a.jpg"
    )
    assert stored_media_path("e", "/elsewhere/a.jpg") is None
    assert stored_media_path("e", "/api/media/../a.jpg") is None
    assert stored_media_path("e", "/api/media/a//b.jpg") is None


async def test_reviewing_from_the_card_updates_the_server_and_pushes(
    hass: HomeAssistant,
    hsi_server: FakeHsiServer,
    setup_entry: MockConfigEntry,
    hass_ws_client: WebSocketGenerator,
) -> None:
    ws = await hass_ws_client(hass)
    await ws.send_json_auto_id(
        {
            "type": "call_service",
            "domain": DOMAIN,
            "service": "review_event",
            "service_data": {"event_id": "evt-1", "notes": "False alarm"},
        }
    )
    assert (await ws.receive_json())["success"]
    await wait_for(lambda: hsi_server.events[-1]["reviewed"], hass)
    assert hsi_server.events[-1]["notes"] == "False alarm"


async def test_review_buttons_send_the_servers_feedback_and_need_control(
    hass: HomeAssistant,
    hsi_server: FakeHsiServer,
    setup_entry: MockConfigEntry,
    hass_ws_client: WebSocketGenerator,
    hass_read_only_access_token: str,
) -> None:
    ws = await hass_ws_client(hass)

    async def review(action: str, client: Any = ws) -> dict[str, Any]:
        await client.send_json_auto_id({"type": f"{DOMAIN}/review", "event_id": "evt-1", "action": action})
        return dict(await client.receive_json())

    reply = await review("false_alarm")
    assert reply["success"], reply
    assert reply["result"]["reviewed"] is True and reply["result"]["feedback"] == "false_alarm"
    assert reply["result"]["snapshot_url"].startswith(
        event_media_path(setup_entry.entry_id, "evt-1", "snapshot")
    )
    assert hsi_server.requests[-1][:2] == ("PATCH", "/api/events/evt-1")
    assert _stored(hsi_server)["feedback"] == "false_alarm"

    await ws.send_json_auto_id({"type": f"{DOMAIN}/event", "event_id": "evt-1"})
    detail = await ws.receive_json()
    assert detail["result"]["feedback"] == "false_alarm" and detail["result"]["sightings"] == []

    reply = await review("reviewed")  # keeps the answer
    assert reply["success"] and reply["result"]["feedback"] == "false_alarm"

    reply = await review("unreviewed")  # clears the answer too
    assert reply["result"]["reviewed"] is False and reply["result"]["feedback"] is None
    assert _stored(hsi_server)["feedback"] is None

    reply = await review("snooze")
    assert reply["error"]["code"] == "invalid_format"

    # A read-only user sees the card but may not change events.
    reader = await hass_ws_client(hass, hass_read_only_access_token)
    reply = await review("expected", reader)
    assert reply["error"]["code"] == "unauthorized"
    assert _stored(hsi_server)["feedback"] is None


async def test_a_read_only_api_key_refuses_the_review_buttons_with_a_translated_error(
    hass: HomeAssistant,
    hsi_server: FakeHsiServer,
    mock_entry: MockConfigEntry,
    hass_ws_client: WebSocketGenerator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # The integration set up with a read-scope key: the card loads, its buttons are refused by
    # the server; the card says why (the action's message), nothing is logged.
    mock_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        mock_entry, data={**mock_entry.data, "api_key": hsi_server.read_only_key}
    )
    assert await hass.config_entries.async_setup(mock_entry.entry_id)
    await hass.async_block_till_done()
    caplog.clear()  # what set-up logs (custom integration warnings) is not the card's
    ws = await hass_ws_client(hass)
    assert (await _events(ws))["success"]
    await ws.send_json_auto_id({"type": f"{DOMAIN}/review", "event_id": "evt-1", "action": "false_alarm"})
    error = (await ws.receive_json())["error"]
    assert error["code"] == "forbidden"
    assert error["translation_key"] == "forbidden"
    assert error["message"].startswith("The API key is valid but its scope does not allow this action")
    assert _stored(hsi_server)["feedback"] is None
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    await hass.config_entries.async_unload(mock_entry.entry_id)


async def test_a_refused_api_key_is_named_as_such(
    hass: HomeAssistant,
    hsi_server: FakeHsiServer,
    setup_entry: MockConfigEntry,
    hass_ws_client: WebSocketGenerator,
) -> None:
    ws = await hass_ws_client(hass)
    hsi_server.api_key = "revoked"
    reply = await _events(ws)
    assert reply["error"]["code"] == "auth_failed"
    assert reply["error"]["message"].startswith("The server refused the API key.")


def _stored(server: FakeHsiServer, event_id: str = "evt-1") -> dict[str, Any]:
    return next(e for e in server.events if e["id"] == event_id)


async def test_the_ask_box_gets_the_answer_and_the_cited_events_with_snapshots(
    hass: HomeAssistant,
    hsi_server: FakeHsiServer,
    setup_entry: MockConfigEntry,
    hass_ws_client: WebSocketGenerator,
    hass_read_only_access_token: str,
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    hsi_server.add_event("garage", 15, {"car": 1}, "A car parks in the garage.")
    # Asking changes nothing: a resident with read access may ask.
    ws = await hass_ws_client(hass, hass_read_only_access_token)
    await ws.send_json_auto_id(
        {"type": f"{DOMAIN}/ask", "question": "  Who lingers at the door? ", "limit": 3}
    )
    reply = await ws.receive_json()
    assert reply["success"], reply
    assert hsi_server.asked[-1] == {"question": "Who lingers at the door?", "limit": 3}
    result = reply["result"]
    assert result["config_entry_id"] == setup_entry.entry_id
    assert result["event_ids"] == ["evt-1"] and "[evt-1]" in result["answer"]
    [cited] = result["citations"]
    assert cited["id"] == "evt-1" and cited["camera_name"] == "Front door"
    path = event_media_path(setup_entry.entry_id, "evt-1", "snapshot")
    assert cited["snapshot_url"].startswith(f"{path}?authSig=")
    browser = await hass_client_no_auth()
    assert (await (await browser.get(cited["snapshot_url"])).read()) == JPEG
    assert hsi_server.api_key not in str(result)

    for bad in ({"question": "   "}, {"question": "x" * 501}, {"question": "who?", "limit": 21}):
        await ws.send_json_auto_id({"type": f"{DOMAIN}/ask", **bad})
        assert (await ws.receive_json())["error"]["code"] == "invalid_format"
    hsi_server.fail_status = 503
    await ws.send_json_auto_id({"type": f"{DOMAIN}/ask", "question": "who?"})
    assert (await ws.receive_json())["error"]["code"] == "server_unavailable"


async def test_the_camera_view_lists_a_cameras_tripwires(
    hass: HomeAssistant,
    hsi_server: FakeHsiServer,
    setup_entry: MockConfigEntry,
    hass_ws_client: WebSocketGenerator,
) -> None:
    for camera, name in (("garage", "Back fence"), ("front_door", "Path")):
        await hass.services.async_call(
            DOMAIN,
            "set_tripwire",
            {"camera": camera, "name": name, "a": [0.1, 0.6], "b": [0.9, 0.6]},
            blocking=True,
        )
    ws = await hass_ws_client(hass)
    await ws.send_json_auto_id({"type": f"{DOMAIN}/tripwires", "camera": "garage"})
    reply = await ws.receive_json()
    assert reply["success"], reply
    assert [t["name"] for t in reply["result"]["tripwires"]] == ["Back fence"]
    assert hsi_server.requests[-1][:3] == ("GET", "/api/tripwires", {"camera": "garage"})
    await ws.send_json_auto_id({"type": f"{DOMAIN}/tripwires"})
    assert len((await ws.receive_json())["result"]["tripwires"]) == 2
    hsi_server.fail_status = 503
    await ws.send_json_auto_id({"type": f"{DOMAIN}/tripwires", "camera": "garage"})
    assert (await ws.receive_json())["error"]["code"] == "server_unavailable"


async def test_the_entity_timeline_lists_where_an_entity_was_seen(
    hass: HomeAssistant,
    hsi_server: FakeHsiServer,
    setup_entry: MockConfigEntry,
    hass_ws_client: WebSocketGenerator,
) -> None:
    ws = await hass_ws_client(hass)
    await ws.send_json_auto_id({"type": f"{DOMAIN}/entity_history", "reid_entity": ENTITY_ID, "limit": 2})
    reply = await ws.receive_json()
    assert reply["success"], reply
    result = reply["result"]
    assert result["entity"]["id"] == ENTITY_ID and result["entity"]["cameras"] == ["front_door", "garage"]
    assert "history" not in result["entity"]
    assert 1 <= len(result["history"]) <= 2
    assert {s["camera"] for s in result["history"]} <= {"front_door", "garage"}
    assert all(s["event_id"] and s["risk_level"] for s in result["history"])
    assert hsi_server.requests[-1][:3] == ("GET", f"/api/entities/{ENTITY_ID}/history", {"limit": "2"})
    for bad in ({"reid_entity": "../../events"}, {"reid_entity": ENTITY_ID, "limit": 0}, {}):
        await ws.send_json_auto_id({"type": f"{DOMAIN}/entity_history", **bad})
        assert (await ws.receive_json())["error"]["code"] == "invalid_format"
    await ws.send_json_auto_id(
        {"type": f"{DOMAIN}/entity_history", "reid_entity": "00000000-0000-0000-0000-000000000000"}
    )
    assert (await ws.receive_json())["error"]["code"] == "not_found"
    hsi_server.fail_status = 503
    await ws.send_json_auto_id({"type": f"{DOMAIN}/entity_history", "reid_entity": ENTITY_ID})
    assert (await ws.receive_json())["error"]["code"] == "server_unavailable"
