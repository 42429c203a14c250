"""Licence plate actions: refused without the user's consent, the gallery and the reads with it,
translated errors, and no plate text in Home Assistant's log."""

from __future__ import annotations

import logging
from typing import Any

import pytest
import voluptuous as vol
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.home_security_intelligence.const import CONF_IDENTITY_CONSENT, DOMAIN

from .hsi_server import READ_PLATE, FakeHsiServer

PLATE = "AB-123 CD"  # as typed; the server stores AB123CD
STORED = "AB123CD"

# Every plate action with valid data.
PLATE_CALLS: list[tuple[str, dict[str, Any]]] = [
    ("list_known_plates", {}),
    ("set_known_plate", {"plate": PLATE, "name": "Our car"}),
    ("delete_known_plate", {"plate": PLATE}),
    ("get_plate_reads", {"plate": PLATE}),
    ("forget_plates", {"camera": "garage"}),
]
RESPONSE_ONLY = {"list_known_plates", "get_plate_reads"}


async def _call(hass: HomeAssistant, service: str, data: dict[str, Any], response: bool = False) -> Any:
    return await hass.services.async_call(DOMAIN, service, data, blocking=True, return_response=response)


async def _consent(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Turn the consent option on (the entry reloads, as after the options flow)."""
    hass.config_entries.async_update_entry(entry, options={**entry.options, CONF_IDENTITY_CONSENT: True})
    await hass.async_block_till_done()


@pytest.fixture
async def consented(hass: HomeAssistant, setup_entry: MockConfigEntry) -> MockConfigEntry:
    """The integration loaded with the user's consent to identity features."""
    await _consent(hass, setup_entry)
    return setup_entry


@pytest.mark.parametrize(("service", "data"), PLATE_CALLS)
async def test_plate_actions_are_refused_without_consent(
    hass: HomeAssistant,
    hsi_server: FakeHsiServer,
    setup_entry: MockConfigEntry,
    service: str,
    data: dict[str, Any],
) -> None:
    before = len(hsi_server.requests)
    with pytest.raises(ServiceValidationError) as err:
        await _call(hass, service, data, response=service in RESPONSE_ONLY)
    assert err.value.translation_domain == DOMAIN
    assert err.value.translation_key == "identity_consent_required"
    assert err.value.translation_placeholders == {"title": "HSI Test"}
    assert str(err.value).startswith(
        "Licence plate and face actions are off for HSI Test: they need your consent."
    )
    # Nothing reached the server: no plate was sent, nothing deleted.
    assert [r for r in hsi_server.requests[before:] if r[1].startswith("/api/plates")] == []
    assert len(hsi_server.plate_reads) == 2


async def test_consent_given_then_withdrawn_in_the_options(
    hass: HomeAssistant, hsi_server: FakeHsiServer, setup_entry: MockConfigEntry
) -> None:
    await _consent(hass, setup_entry)
    assert (await _call(hass, "list_known_plates", {}, response=True)) == {"plates": []}
    hass.config_entries.async_update_entry(setup_entry, options={CONF_IDENTITY_CONSENT: False})
    await hass.async_block_till_done()
    with pytest.raises(ServiceValidationError) as err:
        await _call(hass, "list_known_plates", {}, response=True)
    assert err.value.translation_key == "identity_consent_required"


async def test_gallery_add_rename_list_and_delete(
    hass: HomeAssistant, hsi_server: FakeHsiServer, consented: MockConfigEntry
) -> None:
    result = await _call(hass, "set_known_plate", {"plate": PLATE, "name": " Our car "}, response=True)
    assert result == {
        "plate": {"plate": STORED, "name": "Our car", "created_at": "2025-01-03T00:00:00+00:00"}
    }
    assert hsi_server.requests[-1][:2] == ("POST", "/api/plates/known")
    # Renamed (same normal form), and one without a name: the name is not sent.
    await _call(hass, "set_known_plate", {"plate": "ab 123 cd", "name": "Dad's car"})
    await _call(hass, "set_known_plate", {"plate": "KL-55 MN"})
    listed = await _call(hass, "list_known_plates", {}, response=True)
    assert [(p["plate"], p["name"]) for p in listed["plates"]] == [(STORED, "Dad's car"), ("KL55MN", None)]

    await _call(hass, "delete_known_plate", {"plate": PLATE})
    assert hsi_server.requests[-1][:2] == ("DELETE", "/api/plates/known/AB-123 CD")
    assert set(hsi_server.known_plates) == {"KL55MN"}
    with pytest.raises(ServiceValidationError) as err:
        await _call(hass, "delete_known_plate", {"plate": PLATE})
    assert err.value.translation_key == "not_found"
    assert err.value.translation_placeholders == {"message": "that plate is not in the gallery"}


@pytest.mark.parametrize(
    ("plate", "in_gallery"),
    [("AB/12/34", False), ("../../tripwires/1", False), ("12?34#x", True), ("%2e%2e", False)],
)
async def test_a_plate_never_leaves_its_path_segment(
    hass: HomeAssistant, hsi_server: FakeHsiServer, consented: MockConfigEntry, plate: str, in_gallery: bool
) -> None:
    # "/", "..", "?", "#" and "%" stay in the one segment of /api/plates/known/{plate}: the
    # server reads exactly the text sent (and normalises it: "12?34#x" is the plate 1234X).
    hsi_server.known_plates["1234X"] = {
        "plate": "1234X",
        "name": None,
        "created_at": "2025-01-03T00:00:00+00:00",
    }
    hsi_server.tripwires["1"] = {"id": 1, "camera": "garage", "name": "x", "a": [0, 0], "b": [1, 1]}
    if in_gallery:
        await _call(hass, "delete_known_plate", {"plate": plate})
    else:
        with pytest.raises(ServiceValidationError) as err:
            await _call(hass, "delete_known_plate", {"plate": plate})
        assert err.value.translation_key == "not_found"
    method, path, _query = hsi_server.requests[-1]
    assert (method, path) == ("DELETE", f"/api/plates/known/{plate}")
    assert ("1234X" in hsi_server.known_plates) is not in_gallery
    assert "1" in hsi_server.tripwires


async def test_plate_reads_filtered_with_gallery_names(
    hass: HomeAssistant, hsi_server: FakeHsiServer, consented: MockConfigEntry
) -> None:
    await _call(hass, "set_known_plate", {"plate": READ_PLATE, "name": "Neighbour"})
    result = await _call(hass, "get_plate_reads", {}, response=True)
    assert [(r["plate"], r["known"], r["name"]) for r in result["reads"]] == [
        (READ_PLATE, True, "Neighbour"),
        ("KL55MN", False, None),
    ]
    assert hsi_server.requests[-1][:3] == ("GET", "/api/plates/reads", {})

    result = await _call(
        hass,
        "get_plate_reads",
        {"camera": "garage", "plate": "xy-987 z", "limit": 1, "before": "2025-01-03T00:00:00+00:00"},
        response=True,
    )
    assert [r["id"] for r in result["reads"]] == [2]
    assert hsi_server.requests[-1][2] == {
        "camera": "garage",
        "plate": "xy-987 z",
        "limit": "1",
        "before": "2025-01-03T00:00:00+00:00",
    }
    # Paging: older than the last read of the first answer.
    result = await _call(hass, "get_plate_reads", {"before": "2025-01-02T03:04:05+00:00"}, response=True)
    assert [r["plate"] for r in result["reads"]] == ["KL55MN"]
    # Reads only answer: calling without asking for the response is refused.
    with pytest.raises(ServiceValidationError):
        await _call(hass, "get_plate_reads", {})


async def test_forget_plates_of_a_camera(
    hass: HomeAssistant, hsi_server: FakeHsiServer, consented: MockConfigEntry
) -> None:
    assert await _call(hass, "forget_plates", {"camera": "front_door"}, response=True) == {
        "camera": "front_door",
        "deleted": 0,
    }
    assert await _call(hass, "forget_plates", {"camera": "garage"}, response=True) == {
        "camera": "garage",
        "deleted": 2,
    }
    assert hsi_server.plate_reads == []
    assert (await _call(hass, "get_plate_reads", {"camera": "garage"}, response=True)) == {"reads": []}
    await _call(hass, "forget_plates", {"camera": "garage"})  # without a response: still done


async def test_plate_validation_errors(
    hass: HomeAssistant, hsi_server: FakeHsiServer, consented: MockConfigEntry
) -> None:
    invalid: list[tuple[str, dict[str, Any]]] = [
        ("set_known_plate", {"plate": "   "}),
        ("set_known_plate", {"plate": "A" * 21}),
        ("set_known_plate", {"plate": PLATE, "name": "  "}),
        ("set_known_plate", {"name": "Our car"}),
        ("delete_known_plate", {}),
        ("get_plate_reads", {"limit": 501}),
        ("get_plate_reads", {"before": "last week"}),
        ("forget_plates", {}),
    ]
    for service, data in invalid:
        with pytest.raises(vol.Invalid):
            await _call(hass, service, data, response=service in RESPONSE_ONLY)
    assert hsi_server.known_plates == {}
    # The server's own checks: no plate after normalising, a camera id that is no slug.
    with pytest.raises(ServiceValidationError) as err:
        await _call(hass, "set_known_plate", {"plate": "A-1"})
    assert err.value.translation_key == "invalid_request"
    assert err.value.translation_placeholders == {"message": "plate: a plate has 4-10 letters or digits"}
    with pytest.raises(ServiceValidationError) as err:
        await _call(hass, "forget_plates", {"camera": "Front Door"})
    assert err.value.translation_key == "invalid_request"
    with pytest.raises(ServiceValidationError) as err:
        await _call(hass, "get_plate_reads", {"camera": "Front Door"}, response=True)
    assert err.value.translation_key == "invalid_request"
    assert len(hsi_server.plate_reads) == 2


@pytest.mark.parametrize(("service", "data"), PLATE_CALLS)
async def test_a_read_key_is_refused_for_every_plate_action(
    hass: HomeAssistant,
    hsi_server: FakeHsiServer,
    mock_entry: MockConfigEntry,
    service: str,
    data: dict[str, Any],
) -> None:
    """Plates need the admin scope on the server, reads included."""
    mock_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        mock_entry,
        data={**mock_entry.data, "api_key": hsi_server.read_only_key},
        options={CONF_IDENTITY_CONSENT: True},
    )
    assert await hass.config_entries.async_setup(mock_entry.entry_id)
    await hass.async_block_till_done()
    with pytest.raises(ServiceValidationError) as err:
        await _call(hass, service, data, response=service in RESPONSE_ONLY)
    assert err.value.translation_key == "forbidden"
    await hass.config_entries.async_unload(mock_entry.entry_id)


@pytest.mark.parametrize(
    ("status", "error", "key"),
    [
        (401, HomeAssistantError, "auth_failed"),
        (503, HomeAssistantError, "cannot_connect"),
        (418, HomeAssistantError, "api_error"),
    ],
)
@pytest.mark.parametrize(("service", "data"), PLATE_CALLS)
async def test_server_errors_are_translated_without_the_plate(
    hass: HomeAssistant,
    hsi_server: FakeHsiServer,
    consented: MockConfigEntry,
    service: str,
    data: dict[str, Any],
    status: int,
    error: type[HomeAssistantError],
    key: str,
) -> None:
    hsi_server.fail_status = status
    with pytest.raises(error) as err:
        await _call(hass, service, data, response=service in RESPONSE_ONLY)
    assert err.value.translation_key == key
    message = f"{err.value} {err.value.translation_placeholders} {err.value.__cause__!r}"
    # A library error may quote the URL: it is not chained (a logged traceback prints the chain).
    assert err.value.__cause__ is not None and err.value.__cause__.__cause__ is None
    for form in (PLATE, "AB-123%20CD", "AB-123+CD", STORED):
        assert form.lower() not in message.lower(), message
    hsi_server.fail_status = None


async def test_no_plate_text_in_the_log_when_the_server_is_down(
    hass: HomeAssistant,
    hsi_server: FakeHsiServer,
    consented: MockConfigEntry,
    hass_ws_client: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """As the UI calls the actions (WebSocket call_service), with everything logged: a failure
    is logged by Home Assistant with its message, and that message names no plate."""
    # Everything the integration logs, and Home Assistant's errors. (Home Assistant's own debug
    # log writes every call_service event with its data: docs/home_assistant.md says so.)
    caplog.set_level(logging.DEBUG, logger="custom_components.home_security_intelligence")
    hsi_server.fail_status = 503
    client = await hass_ws_client(hass)
    for service, data in [
        ("set_known_plate", {"plate": PLATE, "name": "Our car"}),
        ("delete_known_plate", {"plate": PLATE}),
    ]:
        await client.send_json_auto_id(
            {"type": "call_service", "domain": DOMAIN, "service": service, "service_data": data}
        )
        answer = await client.receive_json()
        assert answer["success"] is False
        assert answer["error"]["translation_key"] == "cannot_connect"
    await client.send_json_auto_id(
        {
            "type": "call_service",
            "domain": DOMAIN,
            "service": "get_plate_reads",
            "service_data": {"plate": PLATE},
            "return_response": True,
        }
    )
    assert (await client.receive_json())["error"]["translation_key"] == "cannot_connect"
    await hsi_server.stop()  # and unreachable: the connection error names no plate either
    await client.send_json_auto_id(
        {
            "type": "call_service",
            "domain": DOMAIN,
            "service": "delete_known_plate",
            "service_data": {"plate": PLATE},
        }
    )
    assert (await client.receive_json())["error"]["translation_key"] == "cannot_connect"
    # What reaches Home Assistant's log at its default level (warnings and errors), and everything
    # the integration logs. (Not the fake server's access log, nor Home Assistant's debug lines.)
    logged = "\n".join(
        f"{record.getMessage()} {record.exc_text or ''}"
        for record in caplog.records
        if record.levelno >= logging.WARNING or record.name.startswith("custom_components." + DOMAIN)
    )
    # The failures were logged (the floor release logs each with its traceback, newer ones with
    # its message only) ...
    assert "POST plates/known: 503" in logged and "GET plates/reads: 503" in logged
    assert "DELETE plates/known/<redacted>: 503" in logged
    assert "DELETE plates/known/<redacted>: Cannot connect" in logged
    for form in (PLATE, "AB-123%20CD", "AB-123+CD", STORED):
        assert form.lower() not in logged.lower()  # ... without the plate


async def test_a_connection_error_with_a_plate_is_not_chained_to_the_library_error(
    hass: HomeAssistant, hsi_server: FakeHsiServer, consented: MockConfigEntry
) -> None:
    """aiohttp's errors may quote the URL (InvalidURL, redirects): a logged traceback prints the
    chain, so the client's error for a plate request carries only its redacted message."""
    await hsi_server.stop()
    with pytest.raises(HomeAssistantError) as err:
        await _call(hass, "delete_known_plate", {"plate": PLATE})
    client_error = err.value.__cause__
    assert client_error is not None and "DELETE plates/known/<redacted>: Cannot connect" in str(client_error)
    assert client_error.__cause__ is None and client_error.__suppress_context__
    # Without a plate the library error stays chained, for debugging.
    with pytest.raises(HomeAssistantError) as err:
        await _call(hass, "forget_plates", {"camera": "garage"})
    assert err.value.__cause__ is not None and err.value.__cause__.__cause__ is not None
