"""Websocket commands of the Lovelace card: events with signed media URLs, live updates, questions
about the history (with the cited events' snapshots), a camera's tripwires and a re-ID entity's
timeline.

Home Assistant lets only administrators subscribe to custom bus events, so the card does not use
`subscribe_events`: `home_security_intelligence/subscribe` forwards this integration's events to
any user who may read the entry's entities. Media URLs are signed for the asking user, so an
`<img>` or `<video>` can load them through the authenticated media view (media.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

import voluptuous as vol
from homeassistant.auth.models import User
from homeassistant.auth.permissions.const import POLICY_CONTROL, POLICY_READ
from homeassistant.components import websocket_api
from homeassistant.components.http.auth import async_sign_path
from homeassistant.components.websocket_api.connection import ActiveConnection
from homeassistant.components.websocket_api.const import ERR_NOT_FOUND, ERR_UNAUTHORIZED
from homeassistant.components.websocket_api.decorators import async_response, websocket_command
from homeassistant.components.websocket_api.messages import event_message
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er

from .api import HsiApiError, HsiAuthError, HsiError
from .const import BUS_EVENT, DOMAIN
from .data import HsiConfigEntry
from .media import SIGNED_URL_LIFETIME, event_media_path, stored_media_path
from .services import ask_response

# One risk level or several separated by commas, as the server's `level` filter takes them.
_LEVELS: Final = r"^(low|medium|high|critical)(,(low|medium|high|critical))*$"
_ENTRY: Final = vol.Optional("config_entry_id")

Signer = Callable[[str], str]


@callback
def async_register_websocket_commands(hass: HomeAssistant) -> None:
    """Register the card's commands (once, in async_setup)."""
    websocket_api.async_register_command(hass, ws_events)
    websocket_api.async_register_command(hass, ws_event)
    websocket_api.async_register_command(hass, ws_subscribe)
    websocket_api.async_register_command(hass, ws_review)
    websocket_api.async_register_command(hass, ws_ask)
    websocket_api.async_register_command(hass, ws_tripwires)
    websocket_api.async_register_command(hass, ws_entity_history)


def _entry(
    hass: HomeAssistant, connection: ActiveConnection, msg: dict[str, Any], policy: str = POLICY_READ
) -> HsiConfigEntry | None:
    """The entry asked for (or the only loaded one), when this user may read it (or, with
    POLICY_CONTROL, change it); else answers the error."""
    loaded: list[HsiConfigEntry] = [
        entry for entry in hass.config_entries.async_entries(DOMAIN) if entry.state is ConfigEntryState.LOADED
    ]
    if entry_id := msg.get("config_entry_id"):
        loaded = [entry for entry in loaded if entry.entry_id == entry_id]
    if len(loaded) != 1:
        message = (
            "no loaded Home Security Intelligence entry"
            if not loaded
            else "several servers: pass config_entry_id"
        )
        connection.send_error(msg["id"], ERR_NOT_FOUND, message)
        return None
    entry = loaded[0]
    if not _may(hass, connection.user, entry, policy):
        what = "read" if policy == POLICY_READ else "control"
        connection.send_error(msg["id"], ERR_UNAUTHORIZED, f"you may not {what} this entry's entities")
        return None
    return entry


def _may(hass: HomeAssistant, user: User, entry: HsiConfigEntry, policy: str) -> bool:
    """Whether the user may read (or control) at least one entity of the entry (what the card shows)."""
    if user.is_admin:
        return True
    entities = er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
    return any(user.permissions.check_entity(entity.entity_id, policy) for entity in entities)


def _signer(hass: HomeAssistant, connection: ActiveConnection) -> Signer:
    token = connection.refresh_token_id

    def sign(path: str) -> str:
        return async_sign_path(hass, path, SIGNED_URL_LIFETIME, refresh_token_id=token)

    return sign


def with_media_urls(entry_id: str, event: dict[str, Any], sign: Signer) -> dict[str, Any]:
    """The event plus URLs of its snapshot, clip and stored files that the browser can load."""
    event_id = str(event.get("id", ""))
    media = [stored_media_path(entry_id, str(url)) for url in event.get("media") or []]
    return {
        **event,
        "snapshot_url": sign(event_media_path(entry_id, event_id, "snapshot")),
        "clip_url": sign(event_media_path(entry_id, event_id, "clip")),
        "media_urls": [sign(path) for path in media if path is not None],
    }


def _send_server_error(connection: ActiveConnection, msg_id: int, err: HsiError) -> None:
    """Answer a failed server call (never raised: Home Assistant logs a raised error as an ERROR)."""
    if isinstance(err, HsiAuthError):
        # The integration's API key, not the user: a read-scope key (403) or a refused one (401).
        # The same translated message an action gives.
        key = "forbidden" if err.status == 403 else "auth_failed"
        refusal = HomeAssistantError(translation_domain=DOMAIN, translation_key=key)
        connection.send_error(msg_id, key, str(refusal), translation_domain=DOMAIN, translation_key=key)
        return
    code = "not_found" if isinstance(err, HsiApiError) and err.status == 404 else "server_unavailable"
    connection.send_error(msg_id, code, str(err))


@websocket_command(
    {
        vol.Required("type"): f"{DOMAIN}/events",
        _ENTRY: str,
        vol.Optional("camera"): vol.All(str, vol.Length(min=1, max=64)),
        vol.Optional("level"): vol.All(str, vol.Match(_LEVELS)),
        vol.Optional("reviewed"): bool,
        vol.Optional("limit", default=20): vol.All(int, vol.Range(min=1, max=100)),
        vol.Optional("cursor"): vol.All(str, vol.Length(max=200)),
    }
)
@async_response
async def ws_events(hass: HomeAssistant, connection: ActiveConnection, msg: dict[str, Any]) -> None:
    """A page of events (newest first), with media URLs, and the cameras to filter by."""
    if (entry := _entry(hass, connection, msg)) is None:
        return
    filters = {key: msg[key] for key in ("camera", "level", "reviewed", "limit", "cursor") if key in msg}
    try:
        page = await entry.runtime_data.client.get_events(**filters)
    except HsiError as err:
        _send_server_error(connection, msg["id"], err)
        return
    sign = _signer(hass, connection)
    coordinator = entry.runtime_data.coordinator
    cameras = [
        {"id": camera_id, "name": camera.get("name") or camera_id, "muted_until": camera.get("muted_until")}
        for camera_id, camera in (coordinator.data.cameras if coordinator.data else {}).items()
    ]
    connection.send_result(
        msg["id"],
        {
            "config_entry_id": entry.entry_id,
            "events": [with_media_urls(entry.entry_id, event, sign) for event in page.get("events", [])],
            "next_cursor": page.get("next_cursor"),
            "cameras": cameras,
        },
    )


@websocket_command(
    {
        vol.Required("type"): f"{DOMAIN}/event",
        _ENTRY: str,
        vol.Required("event_id"): vol.All(str, vol.Match(r"^[A-Za-z0-9_-]{1,64}$")),
    }
)
@async_response
async def ws_event(hass: HomeAssistant, connection: ActiveConnection, msg: dict[str, Any]) -> None:
    """One event with its detections, re-ID sightings and media URLs."""
    if (entry := _entry(hass, connection, msg)) is None:
        return
    try:
        event = await entry.runtime_data.client.get_event(msg["event_id"])
    except HsiError as err:
        _send_server_error(connection, msg["id"], err)
        return
    connection.send_result(msg["id"], with_media_urls(entry.entry_id, event, _signer(hass, connection)))


@websocket_command({vol.Required("type"): f"{DOMAIN}/subscribe", _ENTRY: str})
@callback
def ws_subscribe(hass: HomeAssistant, connection: ActiveConnection, msg: dict[str, Any]) -> None:
    """Forward the entry's created and updated events to this connection."""
    if (entry := _entry(hass, connection, msg)) is None:
        return
    entry_id = entry.entry_id
    sign = _signer(hass, connection)

    @callback
    def forward(bus_event: Event[dict[str, Any]]) -> None:
        data = dict(bus_event.data)
        if data.get("config_entry_id") != entry_id:
            return
        kind = data.pop("type", None)
        data.pop("config_entry_id", None)
        event = data.get("event") if kind == "alert" else data
        if not isinstance(event, dict) or not event.get("id"):
            return
        connection.send_message(
            event_message(msg["id"], {"kind": kind, "event": with_media_urls(entry_id, event, sign)})
        )

    connection.subscriptions[msg["id"]] = hass.bus.async_listen(BUS_EVENT, forward)
    connection.send_result(msg["id"])


# The card's review buttons: what each sends as PATCH /api/events/{id} (feedback, reviewed).
REVIEW_ACTIONS: Final[dict[str, tuple[str | None, bool]]] = {
    "reviewed": (None, True),
    "unreviewed": (None, False),
    "false_alarm": ("false_alarm", True),
    "expected": ("expected", True),
    "threat": ("threat", True),
}


@websocket_command(
    {
        vol.Required("type"): f"{DOMAIN}/review",
        _ENTRY: str,
        vol.Required("event_id"): vol.All(str, vol.Match(r"^[A-Za-z0-9_-]{1,64}$")),
        vol.Required("action"): vol.In(tuple(REVIEW_ACTIONS)),
    }
)
@async_response
async def ws_review(hass: HomeAssistant, connection: ActiveConnection, msg: dict[str, Any]) -> None:
    """Mark an event reviewed / not reviewed, or answer it (false alarm, expected, threat).

    An answer is the server's `feedback`: similar later events of that camera score lower (false
    alarm, expected) or higher (threat). "Not reviewed" also clears the answer. Needs control
    permission on the entry's entities (a read-only user sees the card but cannot change it).
    """
    if (entry := _entry(hass, connection, msg, POLICY_CONTROL)) is None:
        return
    feedback, reviewed = REVIEW_ACTIONS[msg["action"]]
    client = entry.runtime_data.client
    event_id = msg["event_id"]
    try:
        if msg["action"] == "reviewed":  # keeps an earlier answer as it is
            event = await client.review_event(event_id, reviewed=True, notes=None)
        elif reviewed:
            event = await client.give_feedback(event_id, feedback)  # an answer marks it reviewed
        else:
            await client.give_feedback(event_id, None)
            event = await client.review_event(event_id, reviewed=False, notes=None)
    except HsiError as err:
        _send_server_error(connection, msg["id"], err)
        return
    connection.send_result(msg["id"], with_media_urls(entry.entry_id, event, _signer(hass, connection)))


@websocket_command(
    {
        vol.Required("type"): f"{DOMAIN}/ask",
        _ENTRY: str,
        vol.Required("question"): vol.All(str, vol.Strip, vol.Length(min=1, max=500)),
        vol.Optional("limit"): vol.All(int, vol.Range(min=1, max=20)),
    }
)
@async_response
async def ws_ask(hass: HomeAssistant, connection: ActiveConnection, msg: dict[str, Any]) -> None:
    """The card's Ask box: the `ask` action's answer, each cited event with its camera's name and
    a signed snapshot URL (the card shows them as rows that open the event)."""
    if (entry := _entry(hass, connection, msg)) is None:
        return
    try:
        result = await entry.runtime_data.client.ask(msg["question"], msg.get("limit"))
    except HsiError as err:
        _send_server_error(connection, msg["id"], err)
        return
    answer = ask_response(result)
    sign = _signer(hass, connection)
    coordinator = entry.runtime_data.coordinator
    cameras = coordinator.data.cameras if coordinator.data else {}
    answer["citations"] = [
        {
            **citation,
            "camera_name": citation.get("camera_name")
            or (cameras.get(str(citation.get("camera"))) or {}).get("name")
            or citation.get("camera"),
            "snapshot_url": sign(event_media_path(entry.entry_id, str(citation.get("id", "")), "snapshot")),
        }
        for citation in answer["citations"]
    ]
    connection.send_result(msg["id"], {"config_entry_id": entry.entry_id, **answer})


@websocket_command(
    {
        vol.Required("type"): f"{DOMAIN}/tripwires",
        _ENTRY: str,
        vol.Optional("camera"): vol.All(str, vol.Length(min=1, max=64)),
    }
)
@async_response
async def ws_tripwires(hass: HomeAssistant, connection: ActiveConnection, msg: dict[str, Any]) -> None:
    """The tripwires (of one camera), for the card's camera view; changed with the
    set_tripwire / delete_tripwire actions."""
    if (entry := _entry(hass, connection, msg)) is None:
        return
    try:
        tripwires = await entry.runtime_data.client.get_tripwires(msg.get("camera"))
    except HsiError as err:
        _send_server_error(connection, msg["id"], err)
        return
    connection.send_result(msg["id"], {"tripwires": tripwires})


@websocket_command(
    {
        vol.Required("type"): f"{DOMAIN}/entity_history",
        _ENTRY: str,
        vol.Required("reid_entity"): vol.All(str, vol.Match(r"^[0-9a-fA-F-]{32,36}$")),
        vol.Optional("limit", default=50): vol.All(int, vol.Range(min=1, max=500)),
    }
)
@async_response
async def ws_entity_history(hass: HomeAssistant, connection: ActiveConnection, msg: dict[str, Any]) -> None:
    """Where and when a re-identified person or vehicle was seen, newest first, with each
    sighting's event (score, level, summary): the card's per-entity timeline."""
    if (entry := _entry(hass, connection, msg)) is None:
        return
    try:
        history = await entry.runtime_data.client.get_entity_history(msg["reid_entity"], msg["limit"])
    except HsiError as err:
        _send_server_error(connection, msg["id"], err)
        return
    connection.send_result(
        msg["id"],
        {
            "entity": {k: v for k, v in history.items() if k != "history"},
            "history": history.get("history", []),
        },
    )
