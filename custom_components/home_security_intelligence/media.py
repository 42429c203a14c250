"""Event media for the browser: an authenticated Home Assistant view that proxies the server.

The inference server wants an API key, which must never reach a browser. This view streams a
snapshot, clip or stored media file from the server of one config entry, and Home Assistant's own
authentication guards it: a bearer token, or a signed path (`authSig`) for `<img>` and `<video>`,
which cannot send headers. Range requests pass through, so a clip can be seeked.
"""

from __future__ import annotations

import re
from datetime import timedelta
from http import HTTPStatus
from typing import Final, Literal

from aiohttp import web
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers.http import HomeAssistantView

from .api import HsiApiError, HsiAuthError, HsiError
from .const import DOMAIN, LOGGER
from .data import HsiConfigEntry

MediaKind = Literal["snapshot", "clip"]
MEDIA_BASE: Final = f"/api/{DOMAIN}"
# How long a signed media URL handed to a browser stays valid.
SIGNED_URL_LIFETIME: Final = timedelta(hours=1)
_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_SEGMENT = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
_PASSED_HEADERS: Final = (
    "Content-Type",
    "Content-Length",
    "Content-Range",
    "Accept-Ranges",
    "Last-Modified",
    "ETag",
)
_CHUNK: Final = 64 * 1024


def event_media_path(entry_id: str, event_id: str, kind: MediaKind) -> str:
    """The Home Assistant path of an event's snapshot or clip."""
    return f"{MEDIA_BASE}/{entry_id}/events/{event_id}/{kind}"


def stored_media_path(entry_id: str, server_url: str) -> str | None:
    """The Home Assistant path of a stored media file, given its server URL (`/api/media/...`)."""
    relative = server_url.removeprefix("/api/media/")
    if relative == server_url or not _safe_relative(relative):
        return None
    return f"{MEDIA_BASE}/{entry_id}/media/{relative}"


def _safe_relative(relative: str) -> bool:
    parts = relative.split("/")
    return 0 < len(parts) <= 16 and all(_SEGMENT.match(part) for part in parts)


class HsiEventMediaView(HomeAssistantView):
    """GET an event's snapshot or clip, or a stored media file, through Home Assistant."""

    url = MEDIA_BASE + "/{entry_id}/events/{event_id}/{kind}"
    extra_urls = [MEDIA_BASE + "/{entry_id}/media/{path:.+}"]
    name = f"api:{DOMAIN}:media"
    requires_auth = True

    def __init__(self, hass: HomeAssistant) -> None:
        """Look entries up at request time: entries come and go."""
        self.hass = hass

    async def get(
        self,
        request: web.Request,
        entry_id: str,
        event_id: str | None = None,
        kind: str | None = None,
        path: str | None = None,
    ) -> web.StreamResponse:
        """Stream the media from the entry's server."""
        entry = self.hass.config_entries.async_get_entry(entry_id)
        if entry is None or entry.domain != DOMAIN or entry.state is not ConfigEntryState.LOADED:
            return _problem(HTTPStatus.NOT_FOUND, "no loaded Home Security Intelligence entry with that id")
        typed: HsiConfigEntry = entry
        if path is not None:
            if not _safe_relative(path):
                return _problem(HTTPStatus.NOT_FOUND, "no such media file")
            server_path = f"media/{path}"
        elif event_id is not None and _ID.match(event_id) and kind in ("snapshot", "clip"):
            server_path = f"events/{event_id}/{kind}"
        else:
            return _problem(HTTPStatus.NOT_FOUND, "no such media")
        client = typed.runtime_data.client
        try:
            upstream = await client.open_media(server_path, range_header=request.headers.get("Range"))
        except HsiApiError as err:  # 404 no frame / no clip, 416 bad range
            return _problem(err.status, err.message or "not available")
        except HsiAuthError:
            return _problem(HTTPStatus.BAD_GATEWAY, "the inference server refused the integration's API key")
        except HsiError as err:
            LOGGER.debug("Media %s unavailable: %s", server_path, err)
            return _problem(HTTPStatus.BAD_GATEWAY, "the inference server is unavailable")
        try:
            response = web.StreamResponse(status=upstream.status)
            for header in _PASSED_HEADERS:
                if header in upstream.headers:
                    response.headers[header] = upstream.headers[header]
            response.headers["Cache-Control"] = "private, max-age=300"
            await response.prepare(request)
            async for chunk in upstream.content.iter_chunked(_CHUNK):
                await response.write(chunk)
            await response.write_eof()
            return response
        finally:
            upstream.release()


def _problem(status: int, message: str) -> web.Response:
    return web.json_response({"message": message}, status=int(status))
