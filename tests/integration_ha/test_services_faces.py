"""Face gallery actions: refused without the user's consent, enrol / list / rename / delete and
forget with it, translated errors, and no person's name in Home Assistant's log."""

from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import quote, quote_plus

import pytest
import voluptuous as vol
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from pytest_homeassistant_custom_component.common import MockConfigEntry
from yarl import URL

from custom_components.home_security_intelligence.const import CONF_IDENTITY_CONSENT, DOMAIN

from .hsi_server import FACE_TRACKS, FakeHsiServer

# A name with a space, a dash and a letter outside ASCII: every form a URL or a server could give
# it must stay out of error messages and the log.
NAME = "Zoë Marie-Claire"
NAME_FORMS = (
    NAME,
    quote(NAME, safe=""),
    quote_plus(NAME),
    URL.build(query={"q": NAME}).raw_query_string.removeprefix("q="),
    "Marie-Claire",
)
CREATED_AT = "2025-01-03T00:00:00+00:00"  # the fake's enrolment time

# Every face action with valid data.
FACE_CALLS: list[tuple[str, dict[str, Any]]] = [
    ("list_known_faces", {}),
    ("enrol_face", {"event_id": "evt-1", "track_id": 1, "name": NAME}),
    ("rename_known_face", {"face_id": 1, "name": NAME}),
    ("delete_known_face", {"face_id": 1}),
    ("forget_faces", {"camera": "front_door"}),
]
# The actions that send a person's name.
NAME_CALLS = [(service, data) for service, data in FACE_CALLS if "name" in data]
RESPONSE_ONLY = {"list_known_faces"}


async def _call(hass: HomeAssistant, service: str, data: dict[str, Any], response: bool = False) -> Any:
    return await hass.services.async_call(DOMAIN, service, data, blocking=True, return_response=response)


async def _consent(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Turn the consent option on (the entry reloads, as after the options flow)."""
    hass.config_entries.async_update_entry(entry, options={**entry.options, CONF_IDENTITY_CONSENT: True})
    await hass.async_block_till_done()


def _face(face_id: int, name: str) -> dict[str, Any]:
    return {"id": face_id, "name": name, "created_at": CREATED_AT}


def _assert_no_name(text: str) -> None:
    for form in NAME_FORMS:
        assert form.lower() not in text.lower(), text


@pytest.fixture
async def consented(hass: HomeAssistant, setup_entry: MockConfigEntry) -> MockConfigEntry:
    """The integration loaded with the user's consent to identity features."""
    await _consent(hass, setup_entry)
    return setup_entry


@pytest.fixture
def enrolled(hsi_server: FakeHsiServer) -> FakeHsiServer:
    """Face 1 in the gallery (for rename and delete)."""
    hsi_server.known_faces[1] = _face(1, "Alex")
    return hsi_server


@pytest.mark.parametrize(("service", "data"), FACE_CALLS)
async def test_face_actions_are_refused_without_consent(
    hass: HomeAssistant,
    enrolled: FakeHsiServer,
    setup_entry: MockConfigEntry,
    service: str,
    data: dict[str, Any],
) -> None:
    before = len(enrolled.requests)
    with pytest.raises(ServiceValidationError) as err:
        await _call(hass, service, data, response=service in RESPONSE_ONLY)
    assert err.value.translation_domain == DOMAIN
    assert err.value.translation_key == "identity_consent_required"
    assert err.value.translation_placeholders == {"title": "HSI Test"}
    assert str(err.value).startswith(
        "Licence plate and face actions are off for HSI Test: they need your consent."
    )
    assert '"I consent to licence plate and face features"' in str(err.value)
    # Nothing reached the server: no name was sent, nothing enrolled, renamed or deleted.
    assert [r for r in enrolled.requests[before:] if r[1].startswith("/api/faces")] == []
    assert enrolled.known_faces == {1: _face(1, "Alex")}
    assert len(enrolled.stored_faces) == len(FACE_TRACKS)


async def test_consent_given_then_withdrawn_in_the_options(
    hass: HomeAssistant, hsi_server: FakeHsiServer, setup_entry: MockConfigEntry
) -> None:
    await _consent(hass, setup_entry)
    assert (await _call(hass, "list_known_faces", {}, response=True)) == {"faces": []}
    hass.config_entries.async_update_entry(setup_entry, options={CONF_IDENTITY_CONSENT: False})
    await hass.async_block_till_done()
    with pytest.raises(ServiceValidationError) as err:
        await _call(hass, "list_known_faces", {}, response=True)
    assert err.value.translation_key == "identity_consent_required"


async def test_enrol_list_rename_and_delete(
    hass: HomeAssistant, hsi_server: FakeHsiServer, consented: MockConfigEntry
) -> None:
    result = await _call(
        hass, "enrol_face", {"event_id": "evt-1", "track_id": 1, "name": f" {NAME} "}, response=True
    )
    assert result == {"face": _face(1, NAME)}
    assert hsi_server.requests[-1][:2] == ("POST", "/api/faces/known")
    # The fake takes exactly {"event_id", "track_id" (an integer), "name"}; a number typed as text
    # (as the UI's box may send it) is an integer on the wire.
    await _call(hass, "enrol_face", {"event_id": "evt-1", "track_id": "2", "name": "Alex"})
    assert set(hsi_server.known_faces) == {1, 2}
    listed = await _call(hass, "list_known_faces", {}, response=True)
    assert listed == {"faces": [_face(2, "Alex"), _face(1, NAME)]}  # the server's order: by name

    assert await _call(hass, "rename_known_face", {"face_id": 1, "name": " Zoë "}, response=True) == {
        "face": _face(1, "Zoë")
    }
    assert hsi_server.requests[-1][:2] == ("PATCH", "/api/faces/known/1")
    await _call(hass, "rename_known_face", {"face_id": "2", "name": "Alex B."})  # without a response
    assert [(f["id"], f["name"]) for f in hsi_server.known_faces.values()] == [(1, "Zoë"), (2, "Alex B.")]

    await _call(hass, "delete_known_face", {"face_id": 1})
    assert hsi_server.requests[-1][:2] == ("DELETE", "/api/faces/known/1")
    assert set(hsi_server.known_faces) == {2}
    gone: list[tuple[str, dict[str, Any]]] = [
        ("delete_known_face", {"face_id": 1}),
        ("rename_known_face", {"face_id": 1, "name": NAME}),
    ]
    for service, data in gone:
        with pytest.raises(ServiceValidationError) as err:
            await _call(hass, service, data)
        assert err.value.translation_key == "not_found"
        assert err.value.translation_placeholders == {"message": "that face is not in the gallery"}
    assert set(hsi_server.known_faces) == {2}


async def test_enrolling_a_track_without_a_stored_face_says_why(
    hass: HomeAssistant, hsi_server: FakeHsiServer, consented: MockConfigEntry
) -> None:
    for event_id, track_id in [("evt-1", 9), ("evt-missing", 1)]:
        with pytest.raises(ServiceValidationError) as err:
            await _call(hass, "enrol_face", {"event_id": event_id, "track_id": track_id, "name": NAME})
        assert err.value.translation_domain == DOMAIN
        assert err.value.translation_key == "face_not_stored"
        assert err.value.translation_placeholders == {"event_id": event_id, "track_id": str(track_id)}
        message = str(err.value)
        assert message.startswith(f"The server has no stored face for track {track_id} of event {event_id}")
        assert "has faces enabled" in message and "has not expired" in message
        _assert_no_name(f"{message} {err.value.translation_placeholders} {err.value.__cause__}")
    assert hsi_server.known_faces == {}
    # A forgotten face can no longer be enrolled either.
    await _call(hass, "forget_faces", {"camera": "front_door"})
    with pytest.raises(ServiceValidationError) as err:
        await _call(hass, "enrol_face", {"event_id": "evt-1", "track_id": 1, "name": NAME})
    assert err.value.translation_key == "face_not_stored"


async def test_forget_faces_of_a_camera_keeps_the_gallery(
    hass: HomeAssistant, enrolled: FakeHsiServer, consented: MockConfigEntry
) -> None:
    assert await _call(hass, "forget_faces", {"camera": "garage"}, response=True) == {
        "camera": "garage",
        "deleted": 0,
    }
    assert await _call(hass, "forget_faces", {"camera": "front_door"}, response=True) == {
        "camera": "front_door",
        "deleted": len(FACE_TRACKS),
    }
    assert enrolled.requests[-1][:2] == ("POST", "/api/faces/forget")
    assert enrolled.stored_faces == {}
    assert enrolled.known_faces == {1: _face(1, "Alex")}
    await _call(hass, "forget_faces", {"camera": "front_door"})  # without a response: still done


async def test_response_data_shapes(
    hass: HomeAssistant, enrolled: FakeHsiServer, consented: MockConfigEntry
) -> None:
    listed = await _call(hass, "list_known_faces", {}, response=True)
    assert list(listed) == ["faces"]
    assert [set(face) for face in listed["faces"]] == [{"id", "name", "created_at"}]
    enrolled_face = await _call(hass, "enrol_face", FACE_CALLS[1][1], response=True)
    assert list(enrolled_face) == ["face"] and set(enrolled_face["face"]) == {"id", "name", "created_at"}
    renamed = await _call(hass, "rename_known_face", {"face_id": 1, "name": "Sam"}, response=True)
    assert renamed == {"face": _face(1, "Sam")}
    forgotten = await _call(hass, "forget_faces", {"camera": "front_door"}, response=True)
    assert forgotten == {"camera": "front_door", "deleted": len(FACE_TRACKS)}
    assert isinstance(forgotten["deleted"], int)
    # Listing only answers: calling it without asking for the response is refused; deleting
    # answers nothing.
    with pytest.raises(ServiceValidationError):
        await _call(hass, "list_known_faces", {})
    with pytest.raises(ServiceValidationError):
        await _call(hass, "delete_known_face", {"face_id": 1}, response=True)
    assert 1 in enrolled.known_faces


async def test_face_validation_errors(
    hass: HomeAssistant, enrolled: FakeHsiServer, consented: MockConfigEntry
) -> None:
    invalid: list[tuple[str, dict[str, Any]]] = [
        ("enrol_face", {"event_id": "evt-1", "track_id": 1}),
        ("enrol_face", {"event_id": "evt-1", "track_id": 1, "name": "   "}),
        ("enrol_face", {"event_id": "evt-1", "track_id": 1, "name": "A" * 65}),
        ("enrol_face", {"event_id": "evt-1", "track_id": "one", "name": NAME}),
        ("enrol_face", {"event_id": "evt-1", "track_id": -1, "name": NAME}),
        ("enrol_face", {"event_id": " ", "track_id": 1, "name": NAME}),
        ("enrol_face", {"track_id": 1, "name": NAME}),
        ("rename_known_face", {"face_id": 1}),
        ("rename_known_face", {"face_id": 0, "name": NAME}),
        ("rename_known_face", {"face_id": 1, "name": ""}),
        ("delete_known_face", {"face_id": "abc"}),
        ("delete_known_face", {}),
        ("forget_faces", {}),
    ]
    for service, data in invalid:
        with pytest.raises(vol.Invalid):
            await _call(hass, service, data)
    assert enrolled.known_faces == {1: _face(1, "Alex")}
    assert not [r for r in enrolled.requests if r[1].startswith("/api/faces")]
    # The server's own check: a camera id that is no slug.
    with pytest.raises(ServiceValidationError) as err:
        await _call(hass, "forget_faces", {"camera": "Front Door"})
    assert err.value.translation_key == "invalid_request"
    assert len(enrolled.stored_faces) == len(FACE_TRACKS)


@pytest.mark.parametrize(("service", "data"), FACE_CALLS)
async def test_a_read_key_is_refused_for_every_face_action(
    hass: HomeAssistant,
    enrolled: FakeHsiServer,
    mock_entry: MockConfigEntry,
    service: str,
    data: dict[str, Any],
) -> None:
    """Faces need the admin scope on the server, the gallery's list included."""
    mock_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        mock_entry,
        data={**mock_entry.data, "api_key": enrolled.read_only_key},
        options={CONF_IDENTITY_CONSENT: True},
    )
    assert await hass.config_entries.async_setup(mock_entry.entry_id)
    await hass.async_block_till_done()
    with pytest.raises(ServiceValidationError) as err:
        await _call(hass, service, data, response=service in RESPONSE_ONLY)
    assert err.value.translation_key == "forbidden"
    assert enrolled.known_faces == {1: _face(1, "Alex")}
    assert len(enrolled.stored_faces) == len(FACE_TRACKS)
    await hass.config_entries.async_unload(mock_entry.entry_id)


@pytest.mark.parametrize(
    ("status", "key"),
    [(401, "auth_failed"), (503, "cannot_connect"), (418, "api_error"), (400, "invalid_request")],
)
@pytest.mark.parametrize(("service", "data"), FACE_CALLS)
async def test_server_errors_are_translated(
    hass: HomeAssistant,
    enrolled: FakeHsiServer,
    consented: MockConfigEntry,
    service: str,
    data: dict[str, Any],
    status: int,
    key: str,
) -> None:
    enrolled.fail_status = status
    with pytest.raises(HomeAssistantError) as err:
        await _call(hass, service, data, response=service in RESPONSE_ONLY)
    assert err.value.translation_key == key
    assert isinstance(err.value, ServiceValidationError) is (key == "invalid_request")
    _assert_no_name(f"{err.value} {err.value.translation_placeholders} {err.value.__cause__!r}")
    enrolled.fail_status = None


@pytest.mark.parametrize(
    ("status", "key"),
    [(401, "auth_failed"), (503, "cannot_connect"), (418, "api_error"), (400, "invalid_request")],
)
@pytest.mark.parametrize(("service", "data"), NAME_CALLS)
async def test_a_name_the_server_quotes_back_is_redacted(
    hass: HomeAssistant,
    enrolled: FakeHsiServer,
    consented: MockConfigEntry,
    service: str,
    data: dict[str, Any],
    status: int,
    key: str,
) -> None:
    """Should a server's error message quote the name it was sent (as typed, percent- or
    form-encoded, any case), the integration's error message does not."""
    enrolled.fail_status = status
    enrolled.fail_message = f"{NAME.upper()} refused ({quote(NAME, safe='')}, {quote_plus(NAME)}, {NAME})"
    with pytest.raises(HomeAssistantError) as err:
        await _call(hass, service, data, response=service in RESPONSE_ONLY)
    assert err.value.translation_key == key
    message = f"{err.value} {err.value.translation_placeholders} {err.value.__cause__!r}"
    _assert_no_name(message)
    assert "<redacted> refused (<redacted>, <redacted>, <redacted>)" in message
    # A library error may quote the request: it is not chained (a logged traceback prints it).
    assert err.value.__cause__ is not None and err.value.__cause__.__cause__ is None


async def test_a_short_name_is_redacted_too(
    hass: HomeAssistant, hsi_server: FakeHsiServer, consented: MockConfigEntry
) -> None:
    """A plate has at least 4 characters, a person's name may have 2: it is redacted all the same
    (as a whole word: the message around it stays readable)."""
    hsi_server.fail_status = 400
    hsi_server.fail_message = "al: Al is not allowed, also not Alma"
    with pytest.raises(ServiceValidationError) as err:
        await _call(hass, "enrol_face", {"event_id": "evt-1", "track_id": 1, "name": "Al"})
    assert err.value.translation_placeholders == {
        "message": "<redacted>: <redacted> is not allowed, also not Alma"
    }


async def test_no_name_in_the_log_when_the_server_is_down(
    hass: HomeAssistant,
    enrolled: FakeHsiServer,
    consented: MockConfigEntry,
    hass_ws_client: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """As the UI calls the actions (WebSocket call_service), with everything logged: a failure
    is logged by Home Assistant with its message, and that message names no person."""
    caplog.set_level(logging.DEBUG, logger="custom_components.home_security_intelligence")
    enrolled.fail_status = 503
    enrolled.fail_message = f"cannot store {NAME}"  # a server that quotes the name back
    client = await hass_ws_client(hass)
    for service, data in NAME_CALLS:
        await client.send_json_auto_id(
            {"type": "call_service", "domain": DOMAIN, "service": service, "service_data": data}
        )
        answer = await client.receive_json()
        assert answer["success"] is False
        assert answer["error"]["translation_key"] == "cannot_connect"
        _assert_no_name(str(answer["error"]))
    await enrolled.stop()  # and unreachable: the connection error names no person either
    for service, data in NAME_CALLS:
        await client.send_json_auto_id(
            {"type": "call_service", "domain": DOMAIN, "service": service, "service_data": data}
        )
        answer = await client.receive_json()
        assert answer["error"]["translation_key"] == "cannot_connect"
        _assert_no_name(str(answer["error"]))
    # What reaches Home Assistant's log at its default level (warnings and errors), and everything
    # the integration logs. (Not the fake server's access log, nor Home Assistant's debug lines.)
    logged = "\n".join(
        f"{record.getMessage()} {record.exc_text or ''}"
        for record in caplog.records
        if record.levelno >= logging.WARNING or record.name.startswith("custom_components." + DOMAIN)
    )
    # Each failure was logged (the floor release logs it with its traceback, newer ones with its
    # message only) ...
    assert "POST faces/known: 503 cannot store <redacted>" in logged
    assert "PATCH faces/known/1: 503 cannot store <redacted>" in logged
    # (unreachable: "Cannot connect", or a broken pipe when a kept-alive connection was reused)
    assert re.search(r"POST faces/known: (?!503)", logged)
    assert re.search(r"PATCH faces/known/1: (?!503)", logged)
    _assert_no_name(logged)  # ... without the name


async def test_a_connection_error_with_a_name_is_not_chained_to_the_library_error(
    hass: HomeAssistant, enrolled: FakeHsiServer, consented: MockConfigEntry
) -> None:
    """aiohttp's errors may quote the request: a logged traceback prints the chain, so the
    client's error for a request with a name carries only its redacted message."""
    await enrolled.stop()
    with pytest.raises(HomeAssistantError) as err:
        await _call(hass, "rename_known_face", {"face_id": 1, "name": NAME})
    client_error = err.value.__cause__
    # (Cannot connect, or a broken pipe when a kept-alive connection was reused.)
    assert client_error is not None and str(client_error).startswith("PATCH faces/known/1: ")
    assert client_error.__cause__ is None and client_error.__suppress_context__
    # Without a name the library error stays chained, for debugging.
    with pytest.raises(HomeAssistantError) as err:
        await _call(hass, "delete_known_face", {"face_id": 1})
    assert err.value.__cause__ is not None and err.value.__cause__.__cause__ is not None
