"""HTTP and WebSocket client of the inference server: the only module that talks to it."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, quote_plus

import aiohttp
from yarl import URL

from . import contract


class HsiError(Exception):
    """Base error of the inference server client."""


class HsiConnectionError(HsiError):
    """The server could not be reached or answered with a server error."""


class HsiInvalidResponseError(HsiConnectionError):
    """Something answered, but not with the JSON an inference server sends."""


class HsiAuthError(HsiError):
    """The API key was refused (401) or its scope does not allow the request (403)."""

    def __init__(self, message: str, status: int = 401) -> None:
        """Keep the status: 403 means "valid key, not allowed", 401 "no valid key"."""
        super().__init__(message)
        self.status = status


class HsiApiError(HsiError):
    """The server rejected the request (4xx other than auth)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        """Keep the server's error code and message."""
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message


REQUEST_TIMEOUT = aiohttp.ClientTimeout(total=15)
# Media is streamed: no total limit (a clip is cut by ffmpeg on its first request), but a server
# that stops sending is given up on.
MEDIA_TIMEOUT = aiohttp.ClientTimeout(total=None, sock_connect=10, sock_read=120)

# What PUT accepts (the server forbids other fields, e.g. a stored rule's bookkeeping).
ZONE_FIELDS = contract.ZONE_FIELDS
RULE_FIELDS = contract.RULE_FIELDS


def writable(item: Mapping[str, Any], fields: tuple[str, ...]) -> dict[str, Any]:
    """The part of a stored zone or rule that may be sent back in a PUT."""
    return {key: item[key] for key in fields if key in item}


def _listing(payload: Any, key: str) -> list[dict[str, Any]]:
    """Accept both {"<key>": [...]} and a bare list."""
    if isinstance(payload, Mapping):
        payload = payload.get(key, [])
    return list(payload or [])


def quote_segment(value: object) -> str:
    """One URL path segment: every character that could end or escape it ("/", "?", "#", "%",
    "..") is percent-encoded, so an id can never reach another route."""
    text = str(value)
    if text in (".", ".."):
        return text.replace(".", "%2E")
    return quote(text, safe="")


def _redact(text: str, private: tuple[str, ...]) -> str:
    """`text` without any of the `private` values (licence plates, names of people): an error
    message reaches Home Assistant's log, so it must not carry them in any form a URL or the server
    may have given them (as typed, percent- or form-encoded, in the server's normal form of a
    plate), whatever the case."""
    forms: set[str] = set()
    for value in private:
        normal = "".join(c for c in value.upper() if c.isascii() and c.isalnum())
        query = URL.build(query={"q": value}).raw_query_string.removeprefix("q=")
        forms |= {value, quote(value, safe=""), quote_plus(value), query, normal}
    # A derived form shorter than 3 characters is no plate (the server wants 4 to 10), but a value
    # as given is redacted whatever its length (a person may be called "Al"). As whole words only,
    # so that the message around it stays readable.
    forms = {form for form in forms if len(form) >= 3} | {value for value in private if value.strip()}
    if not forms:
        return text
    alternatives = "|".join(re.escape(form) for form in sorted(forms, key=len, reverse=True))
    pattern = f"(?<![A-Za-z0-9])(?:{alternatives})(?![A-Za-z0-9])"
    return re.sub(pattern, "<redacted>", text, flags=re.IGNORECASE)


def _cause(err: BaseException, private: tuple[str, ...]) -> BaseException | None:
    """The cause to chain: none for a request with private values, whose library error may quote
    the URL (a logged traceback prints the chain); the redacted message says what happened."""
    return None if private else err


def _clean(params: Mapping[str, Any]) -> dict[str, str]:
    """Drop unset filters and render values the way the API expects."""
    out: dict[str, str] = {}
    for key, value in params.items():
        if value is None:
            continue
        if isinstance(value, bool):
            out[key] = "true" if value else "false"
        elif hasattr(value, "isoformat"):
            out[key] = value.isoformat()
        else:
            out[key] = str(value)
    return out


class HsiClient:
    """Typed access to the inference server's /api routes."""

    def __init__(self, session: aiohttp.ClientSession, url: str, api_key: str) -> None:
        """Use the shared Home Assistant client session."""
        self._session = session
        self.base_url = URL(url.rstrip("/"))
        self._api_key = api_key

    @property
    def _headers(self) -> dict[str, str]:
        return {"X-API-Key": self._api_key, "Accept": "application/json"}

    def _url(self, path: str) -> URL:
        # encoded=True: the path's segments are quoted already (see quote_segment); yarl must not
        # decode %2F back into "/" or normalise "..".
        base = self.base_url.raw_path.rstrip("/")
        return self.base_url.with_path(f"{base}/api/{path}", encoded=True)

    async def _raw(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        timeout: aiohttp.ClientTimeout = REQUEST_TIMEOUT,
        private: tuple[str, ...] = (),
    ) -> aiohttp.ClientResponse:
        """Send a request; an error answer raises. `private` values never appear in an error's
        message (see _redact)."""
        where = _redact(path, private)
        try:
            response = await self._session.request(
                method,
                self._url(path),
                params=_clean(params or {}),
                json=json,
                headers={**self._headers, **(headers or {})},
                timeout=timeout,
            )
        except aiohttp.ClientResponseError as err:
            # Raised by the response parser only (no raise_for_status): something listens there,
            # but it does not speak HTTP (an SSH or MQTT port, say).
            raise HsiInvalidResponseError(
                f"{method} {where}: not an HTTP answer: {_redact(str(err.message), private)}"
            ) from _cause(err, private)
        except (aiohttp.ClientError, TimeoutError) as err:
            detail = _redact(str(err) or type(err).__name__, private)
            raise HsiConnectionError(f"{method} {where}: {detail}") from _cause(err, private)
        if response.status < 400:
            return response
        try:
            body = await response.json(content_type=None)
            error = body.get("error", {}) if isinstance(body, Mapping) else {}
        except (aiohttp.ClientError, ValueError):
            error = {}
        finally:
            response.release()
        code = _redact(str(error.get("code", "error")), private)
        message = _redact(str(error.get("message", response.reason or "")), private)
        if response.status in (401, 403):
            raise HsiAuthError(message or "API key refused", response.status)
        if response.status >= 500:
            raise HsiConnectionError(f"{method} {where}: {response.status} {message}")
        raise HsiApiError(response.status, code, message)

    async def _json(self, method: str, path: str, *, private: tuple[str, ...] = (), **kwargs: Any) -> Any:
        response = await self._raw(method, path, private=private, **kwargs)
        try:
            if response.status == 204:
                return None
            return await response.json(content_type=None)
        except (aiohttp.ClientError, ValueError, TimeoutError) as err:
            where = _redact(path, private)
            raise HsiInvalidResponseError(
                f"{method} {where}: invalid response: {_redact(str(err), private)}"
            ) from _cause(err, private)
        finally:
            response.release()

    # --- system ---------------------------------------------------------------------------
    async def get_info(self) -> dict[str, Any]:
        """Instance id, version and API version (validates the key)."""
        info = await self._json("GET", "system/info")
        if not isinstance(info, Mapping):
            raise HsiInvalidResponseError(f"GET system/info: not a JSON object: {str(info)[:80]}")
        return dict(info)

    async def get_stats(self) -> dict[str, Any]:
        """Queue depths, counts of today's events and pipeline health."""
        return dict(await self._json("GET", "system/stats"))

    # --- cameras --------------------------------------------------------------------------
    async def get_cameras(self) -> list[dict[str, Any]]:
        """Every camera with its latest event."""
        return _listing(await self._json("GET", "cameras"), "cameras")

    async def mute_camera(self, camera: str, minutes: int) -> dict[str, Any]:
        """Mute a camera's alerts for a while (0 unmutes)."""
        return dict(
            await self._json("POST", f"cameras/{quote_segment(camera)}/mute", json={"minutes": minutes})
        )

    # --- events ---------------------------------------------------------------------------
    async def get_events(self, **filters: Any) -> dict[str, Any]:
        """Events newest first, filtered; returns {"events", "next_cursor"}."""
        return dict(await self._json("GET", "events", params=filters))

    async def search_events(self, query: str, **filters: Any) -> dict[str, Any]:
        """Full-text search over summaries and reasoning."""
        return dict(await self._json("GET", "events/search", params={"q": query, **filters}))

    async def get_event(self, event_id: str) -> dict[str, Any]:
        """One event with its detections."""
        return dict(await self._json("GET", f"events/{quote_segment(event_id)}"))

    async def review_event(self, event_id: str, *, reviewed: bool, notes: str | None) -> dict[str, Any]:
        """Mark an event reviewed (or not) and attach notes."""
        body: dict[str, Any] = {"reviewed": reviewed}
        if notes is not None:
            body["notes"] = notes
        return dict(await self._json("PATCH", f"events/{quote_segment(event_id)}", json=body))

    async def get_snapshot(self, event_id: str) -> bytes:
        """The event's annotated best frame (JPEG)."""
        response = await self._raw("GET", f"events/{quote_segment(event_id)}/snapshot")
        try:
            return await response.read()
        except (aiohttp.ClientError, TimeoutError) as err:
            raise HsiConnectionError(f"snapshot {event_id}: {err}") from err
        finally:
            response.release()

    async def open_media(
        self, path: str, *, params: Mapping[str, Any] | None = None, range_header: str | None = None
    ) -> aiohttp.ClientResponse:
        """Start streaming a snapshot, clip or media file; the caller reads and releases it."""
        headers = {"Accept": "*/*", **({"Range": range_header} if range_header else {})}
        return await self._raw("GET", path, params=params, headers=headers, timeout=MEDIA_TIMEOUT)

    # --- zones ----------------------------------------------------------------------------
    async def get_zones(self) -> list[dict[str, Any]]:
        """Every zone of every camera."""
        return _listing(await self._json("GET", "zones"), "zones")

    async def create_zone(self, zone: dict[str, Any]) -> dict[str, Any]:
        """Create a zone."""
        return dict(await self._json("POST", "zones", json=zone))

    async def update_zone(self, zone_id: str, zone: dict[str, Any]) -> dict[str, Any]:
        """Replace a zone."""
        return dict(await self._json("PUT", f"zones/{quote_segment(zone_id)}", json=zone))

    async def delete_zone(self, zone_id: str) -> None:
        """Delete a zone."""
        await self._json("DELETE", f"zones/{quote_segment(zone_id)}")

    # --- alert rules ----------------------------------------------------------------------
    async def get_alert_rules(self) -> list[dict[str, Any]]:
        """Every alert rule."""
        return _listing(await self._json("GET", "alert-rules"), "rules")

    async def create_alert_rule(self, rule: dict[str, Any]) -> dict[str, Any]:
        """Create an alert rule."""
        return dict(await self._json("POST", "alert-rules", json=rule))

    async def update_alert_rule(self, rule_id: str, rule: dict[str, Any]) -> dict[str, Any]:
        """Replace an alert rule."""
        return dict(await self._json("PUT", f"alert-rules/{quote_segment(rule_id)}", json=rule))

    # --- known entities and feedback -------------------------------------------------------
    async def get_entities(
        self, *, known: bool | None = None, label: str | None = None, limit: int | None = None
    ) -> list[dict[str, Any]]:
        """Re-identified people and vehicles, most recently seen first."""
        params = {"known": known, "label": label, "limit": limit}
        return _listing(await self._json("GET", "entities", params=params), "entities")

    async def update_entity(self, entity_id: str, patch: dict[str, Any]) -> dict[str, Any]:
        """Name an entity ("name", null clears it) and/or mark it known ("known")."""
        return dict(await self._json("PATCH", f"entities/{quote_segment(entity_id)}", json=patch))

    async def get_entity_history(self, entity_id: str, limit: int | None = None) -> dict[str, Any]:
        """An entity and where and when it was seen, newest first ({..., "history": [...]})."""
        path = f"entities/{quote_segment(entity_id)}/history"
        return dict(await self._json("GET", path, params={"limit": limit}))

    async def forget_entity(self, entity_id: str) -> None:
        """Delete an entity and every stored embedding of it."""
        await self._json("DELETE", f"entities/{quote_segment(entity_id)}")

    async def give_feedback(self, event_id: str, feedback: str | None) -> dict[str, Any]:
        """Answer an event (false_alarm, expected, threat; None clears the answer)."""
        return dict(
            await self._json("PATCH", f"events/{quote_segment(event_id)}", json={"feedback": feedback})
        )

    async def reset_feedback(self, camera: str | None) -> int:
        """Clear the answers of one camera (or of all); how many were cleared."""
        body = {"camera": camera} if camera else {}
        return int(dict(await self._json("POST", "feedback/reset", json=body)).get("cleared", 0))

    # --- ask --------------------------------------------------------------------------------
    async def ask(self, question: str, limit: int | None = None) -> dict[str, Any]:
        """Ask the event history a question: {"answer", "citations", "understood"}."""
        body: dict[str, Any] = {"question": question}
        if limit is not None:
            body["limit"] = limit
        return dict(await self._json("POST", "ask", json=body))

    async def get_digest(self, period: str = "day", day: str | None = None) -> dict[str, Any]:
        """The digest of a local day (or the 7 days ending with it): counts, notable and unusual
        events, changes from the usual pattern, and `text`."""
        return dict(await self._json("GET", "ask/digest", params={"period": period, "date": day}))

    # --- tripwires --------------------------------------------------------------------------
    async def get_tripwires(self, camera: str | None = None) -> list[dict[str, Any]]:
        """Tripwires (of one camera)."""
        return _listing(await self._json("GET", "tripwires", params={"camera": camera}), "tripwires")

    async def create_tripwire(self, tripwire: dict[str, Any]) -> dict[str, Any]:
        """Create a tripwire."""
        return dict(await self._json("POST", "tripwires", json=tripwire))

    async def update_tripwire(self, tripwire_id: str, tripwire: dict[str, Any]) -> dict[str, Any]:
        """Replace a tripwire."""
        return dict(await self._json("PUT", f"tripwires/{quote_segment(tripwire_id)}", json=tripwire))

    async def delete_tripwire(self, tripwire_id: str) -> None:
        """Delete a tripwire."""
        await self._json("DELETE", f"tripwires/{quote_segment(tripwire_id)}")

    # --- licence plates (admin key; plate text is identity data: kept out of error messages) ---
    async def get_known_plates(self) -> list[dict[str, Any]]:
        """The gallery of known plates."""
        return _listing(await self._json("GET", "plates/known"), "plates")

    async def set_known_plate(self, plate: str, name: str | None = None) -> dict[str, Any]:
        """Add a plate to the gallery (or rename it); the server stores its normal form."""
        body: dict[str, Any] = {"plate": plate}
        if name is not None:
            body["name"] = name
        return dict(await self._json("POST", "plates/known", json=body, private=(plate,)))

    async def delete_known_plate(self, plate: str) -> None:
        """Remove a plate from the gallery."""
        await self._json("DELETE", f"plates/known/{quote_segment(plate)}", private=(plate,))

    async def get_plate_reads(
        self,
        *,
        camera: str | None = None,
        plate: str | None = None,
        limit: int | None = None,
        before: str | None = None,
    ) -> list[dict[str, Any]]:
        """Plates read on the cameras that opted in, newest first."""
        params = {"camera": camera, "plate": plate, "limit": limit, "before": before}
        payload = await self._json("GET", "plates/reads", params=params, private=(plate,) if plate else ())
        return _listing(payload, "reads")

    async def forget_plates(self, camera: str) -> dict[str, Any]:
        """Delete every plate read of a camera: {"camera", "deleted"}."""
        return dict(await self._json("POST", "plates/forget", json={"camera": camera}))

    # --- known faces (admin key; a person's name is identity data: kept out of error messages) --
    async def get_known_faces(self) -> list[dict[str, Any]]:
        """The gallery of known faces: {"id", "name", "created_at"} each, never an embedding."""
        return _listing(await self._json("GET", "faces/known"), "faces")

    async def enrol_face(self, event_id: str, track_id: int, name: str) -> dict[str, Any]:
        """Copy the face the server stored for a person track of an event into the gallery under
        `name`; a 404 when that track has no stored face."""
        body = {"event_id": event_id, "track_id": track_id, "name": name}
        return dict(await self._json("POST", "faces/known", json=body, private=(name,)))

    async def rename_known_face(self, face_id: int, name: str) -> dict[str, Any]:
        """Give a gallery entry another name."""
        path = f"faces/known/{quote_segment(face_id)}"
        return dict(await self._json("PATCH", path, json={"name": name}, private=(name,)))

    async def delete_known_face(self, face_id: int) -> None:
        """Remove a gallery entry."""
        await self._json("DELETE", f"faces/known/{quote_segment(face_id)}")

    async def forget_faces(self, camera: str) -> dict[str, Any]:
        """Delete every face the server stored for a camera's events: {"camera", "deleted"}."""
        return dict(await self._json("POST", "faces/forget", json={"camera": camera}))

    # --- push -----------------------------------------------------------------------------
    async def ws_connect(self, since: str | None, heartbeat: float) -> aiohttp.ClientWebSocketResponse:
        """Open the /api/ws push stream, resuming after `since` when given."""
        # client=home_assistant: the server then withdraws its MQTT discovery devices, which
        # would show every camera a second time.
        params = {"client": "home_assistant", **({"since": since} if since else {})}
        try:
            return await self._session.ws_connect(
                self._url("ws").with_query(params),
                headers={"X-API-Key": self._api_key},
                heartbeat=heartbeat,
                timeout=aiohttp.ClientWSTimeout(ws_close=10),
            )
        except aiohttp.WSServerHandshakeError as err:
            if err.status in (401, 403):
                raise HsiAuthError("API key refused by /api/ws", err.status) from err
            raise HsiConnectionError(f"ws handshake: {err.status} {err.message}") from err
        except (aiohttp.ClientError, TimeoutError) as err:
            raise HsiConnectionError(f"ws: {err or type(err).__name__}") from err
