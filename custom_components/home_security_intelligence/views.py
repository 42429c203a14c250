"""Snapshots through Home Assistant, and a live event subscription every user may open.

Notification images: the server's snapshot URL needs the server's API key, which a phone does not
have (and must not get). Home Assistant serves the snapshot instead, at
`/api/home_security_intelligence/<entry id>/events/<event id>/snapshot`, fetched from the server
with the integration's key. The view requires Home Assistant authentication; the bus and alert
events carry a signed path (`authSig`, valid SNAPSHOT_LINK_TTL) that works without a login, as
a mobile-app notification image on the LAN or through Home Assistant's remote URL.

Live subscription: `subscribe_events` of Home Assistant's WebSocket API lets only administrators
subscribe to an integration's events; it refuses anyone else with an ERROR in the log. The command
`home_security_intelligence/subscribe_events` forwards this integration's bus events to every
logged-in user who may read the entry's entities (the same data the entity states show), and
refuses anyone else quietly, with a message that says why (the card's own command,
`home_security_intelligence/subscribe` in websocket.py, follows the same rule).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import voluptuous as vol
from aiohttp import web
from homeassistant.auth.models import User
from homeassistant.auth.permissions.const import POLICY_READ
from homeassistant.components import websocket_api
from homeassistant.components.http.auth import async_sign_path
from homeassistant.components.websocket_api.connection import ActiveConnection
from homeassistant.components.websocket_api.const import ERR_UNAUTHORIZED
from homeassistant.components.websocket_api.decorators import websocket_command
from homeassistant.components.websocket_api.messages import event_message
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.http import KEY_HASS, HomeAssistantView

from .api import HsiApiError, HsiError, quote_segment
from .const import BUS_EVENT, DOMAIN, LOGGER

SNAPSHOT_LINK_TTL = timedelta(hours=24)
SNAPSHOT_PATH = "/api/" + DOMAIN + "/{entry_id}/events/{event_id}/snapshot"
WS_SUBSCRIBE = f"{DOMAIN}/subscribe_events"


def snapshot_path(entry_id: str, event_id: str) -> str:
    """The view's path for one event's snapshot (segments quoted)."""
    return SNAPSHOT_PATH.format(entry_id=quote_segment(entry_id), event_id=quote_segment(event_id))


@callback
def async_signed_snapshot_path(hass: HomeAssistant, entry_id: str, event_id: str) -> str:
    """A path to the snapshot that works without a login until SNAPSHOT_LINK_TTL has passed."""
    return async_sign_path(hass, snapshot_path(entry_id, event_id), SNAPSHOT_LINK_TTL, use_content_user=True)


class HsiSnapshotView(HomeAssistantView):
    """An event's annotated snapshot, fetched from the server with the integration's key."""

    url = SNAPSHOT_PATH
    name = f"api:{DOMAIN}:snapshot"
    requires_auth = True

    async def get(self, request: web.Request, entry_id: str, event_id: str) -> web.StreamResponse:
        """Proxy GET /api/events/<id>/snapshot of the entry's server."""
        hass = request.app[KEY_HASS]
        entry = hass.config_entries.async_get_entry(entry_id)
        if entry is None or entry.domain != DOMAIN or entry.state is not ConfigEntryState.LOADED:
            return web.Response(status=404, text="No loaded Home Security Intelligence server with that id")
        try:
            image = await entry.runtime_data.client.get_snapshot(event_id)
        except HsiApiError as err:
            status = 404 if err.status == 404 else 502
            return web.Response(status=status, text=f"No snapshot for this event: {err.message}")
        except HsiError as err:
            LOGGER.debug("Snapshot of event %s unavailable: %s", event_id, err)
            return web.Response(status=502, text="The Home Security Intelligence server did not answer")
        return web.Response(
            body=image, content_type="image/jpeg", headers={"Cache-Control": "private, max-age=86400"}
        )


def _readable_entry_ids(hass: HomeAssistant, user: User) -> set[str] | None:
    """The entries whose entities this user may read; None for an administrator (every entry)."""
    if user.is_admin:
        return None
    registry = er.async_get(hass)
    return {
        entry.entry_id
        for entry in hass.config_entries.async_entries(DOMAIN)
        if any(
            user.permissions.check_entity(entity.entity_id, POLICY_READ)
            for entity in er.async_entries_for_config_entry(registry, entry.entry_id)
        )
    }


@websocket_command({vol.Required("type"): WS_SUBSCRIBE})
@callback
def _ws_subscribe_events(hass: HomeAssistant, connection: ActiveConnection, msg: dict[str, Any]) -> None:
    """Forward home_security_intelligence_event to this connection, for a user who may read the
    entities of the entry the event comes from."""
    readable = _readable_entry_ids(hass, connection.user)
    if readable is not None and not readable:
        # Answered, not raised: a raised Unauthorized is logged as an ERROR for every refusal.
        connection.send_error(
            msg["id"],
            ERR_UNAUTHORIZED,
            "you may not read the entities of any Home Security Intelligence server",
        )
        return

    @callback
    def _forward(event: Event[Any]) -> None:
        if readable is not None and event.data.get("config_entry_id") not in readable:
            return
        connection.send_message(
            event_message(msg["id"], {"event_type": event.event_type, "data": event.data})
        )

    connection.subscriptions[msg["id"]] = hass.bus.async_listen(BUS_EVENT, _forward)
    connection.send_result(msg["id"])


@callback
def async_register_views(hass: HomeAssistant) -> None:
    """Register the snapshot view and the WebSocket command (once, in async_setup)."""
    hass.http.register_view(HsiSnapshotView())
    websocket_api.async_register_command(hass, _ws_subscribe_events)
