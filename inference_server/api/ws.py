"""WebSocket `/api/ws`: live messages from Redis pub/sub, resumable from the publish stream.

Every message carries `cursor`, the id of its entry on the publish stream. A client that
reconnects with `?since=<cursor>` first receives every entry after that id (XRANGE), then the
live feed; it is registered for live messages *before* the backfill is read and skips anything
at or below the last cursor it was sent, so nothing is lost and nothing arrives twice.

Each client has a bounded queue. The pub/sub reader only ever does `put_nowait`: a client whose
queue is full is disconnected (close code 1013, "try again later": reconnect with `since`) and
never slows the others.

A socket opened with an API key is closed (code 4001, "API key revoked") within
`key_cache_seconds` (15 s) of the key's revocation.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
from collections.abc import Callable
from typing import Any

import asyncpg
import redis.asyncio as aioredis
from aiohttp import WSMsgType, web

from inference_server.api.errors import ApiError, error_response
from inference_server.contract import messages
from inference_server.store import api_keys, queries
from inference_server.store.streams import stream_range

log = logging.getLogger(__name__)

_CURSOR = re.compile(r"^\d{1,20}(-\d{1,20})?$")
CLOSE_TOO_SLOW = 1013
BACKFILL_BATCH = 500


def cursor_key(cursor: str) -> tuple[int, int]:
    """Stream ids order by (milliseconds, sequence)."""
    ms, _, seq = cursor.partition("-")
    return int(ms), int(seq or 0)


def envelope(entry_id: str, fields: dict[str, str]) -> str | None:
    """The client message of a publish-stream entry (None when the entry is not a message)."""
    message = messages.decode(fields)
    return None if message is None else messages.envelope(message, entry_id)


class WsClient:
    """One connected socket and its bounded queue of (cursor, text)."""

    def __init__(self, ws: web.WebSocketResponse, request: web.Request, queue_size: int, actor: str) -> None:
        self.ws = ws
        self.request = request
        self.actor = actor
        self.queue: asyncio.Queue[tuple[str, str]] = asyncio.Queue(maxsize=queue_size)
        self.dropped = False


class Hub:
    """Fans pub/sub messages out to every client of this process."""

    def __init__(
        self,
        redis: aioredis.Redis,
        channel: str,
        *,
        queue_size: int,
        send_timeout_s: float,
        publish_stream: str | None = None,
    ) -> None:
        self.redis = redis
        self.channel = channel
        self.queue_size = queue_size
        self.send_timeout_s = send_timeout_s
        self.publish_stream = publish_stream
        self.clients: set[WsClient] = set()
        self.dropped_total = 0
        self.last_cursor: str | None = None
        self._task: asyncio.Task[None] | None = None
        self._closers: set[asyncio.Task[None]] = set()
        self._subscribed = asyncio.Event()

    async def start(self) -> None:
        """Start reading the channel."""
        self._task = asyncio.create_task(self._run(), name="ws-hub")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._subscribed.wait(), 5.0)

    async def stop(self) -> None:
        """Stop reading and close every client."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        for client in list(self.clients):
            with contextlib.suppress(Exception):
                await asyncio.wait_for(client.ws.close(code=1001, message=b"server shutting down"), 2.0)
        for task in list(self._closers):
            task.cancel()

    async def _run(self) -> None:
        delay = 0.5
        while True:
            pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(self.channel)
                self._subscribed.set()
                if self.last_cursor is not None and self.publish_stream:
                    await self._catch_up()
                delay = 0.5
                while True:
                    message = await pubsub.get_message(timeout=1.0)
                    if message and message.get("type") == "message":
                        self.broadcast(str(message["data"]))
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("ws hub lost Redis pub/sub, retrying in %.1fs: %s", delay, exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()  # type: ignore[no-untyped-call]

    async def _catch_up(self) -> None:
        """After a pub/sub reconnect, replay what was published meanwhile (clients drop duplicates)."""
        assert self.publish_stream is not None and self.last_cursor is not None
        entries = await stream_range(
            self.redis, self.publish_stream, start=f"({self.last_cursor}", count=10_000
        )
        for entry_id, fields in entries:
            text = envelope(entry_id, fields)
            if text is not None:
                self._fan_out(entry_id, text)

    def broadcast(self, raw: str) -> None:
        """Queue a pub/sub message for every client (never blocks)."""
        try:
            cursor = json.loads(raw).get("cursor")
        except (ValueError, AttributeError):
            return
        if not isinstance(cursor, str) or not _CURSOR.match(cursor):
            return
        self._fan_out(cursor, raw)

    def _fan_out(self, cursor: str, text: str) -> None:
        if self.last_cursor is None or cursor_key(cursor) > cursor_key(self.last_cursor):
            self.last_cursor = cursor
        for client in list(self.clients):
            if client.dropped:
                continue
            try:
                client.queue.put_nowait((cursor, text))
            except asyncio.QueueFull:
                self.drop(client, "queue full")

    def register(self, client: WsClient) -> None:
        """Start queueing live messages for the client."""
        self.clients.add(client)

    def unregister(self, client: WsClient) -> None:
        """Stop queueing for the client."""
        self.clients.discard(client)

    def drop(self, client: WsClient, reason: str) -> None:
        """Disconnect a client that cannot keep up (close 1013), without waiting for it."""
        if client.dropped:
            return
        client.dropped = True
        self.clients.discard(client)
        self.dropped_total += 1
        log.warning("ws client dropped actor=%s reason=%s", client.actor, reason)
        task = asyncio.create_task(self._close_slow(client))
        self._closers.add(task)
        task.add_done_callback(self._closers.discard)

    async def _close_slow(self, client: WsClient) -> None:
        try:
            await asyncio.wait_for(client.ws.close(code=CLOSE_TOO_SLOW, message=b"client too slow"), 2.0)
        except Exception as exc:
            log.info("ws slow client close did not complete, aborting: %s", type(exc).__name__)
        finally:
            transport = client.request.transport
            if transport is not None and not transport.is_closing():
                transport.abort()


async def _send(hub: Hub, client: WsClient, text: str) -> bool:
    try:
        await asyncio.wait_for(client.ws.send_str(text), hub.send_timeout_s)
        return True
    except (TimeoutError, ConnectionError, RuntimeError):
        hub.drop(client, "send timed out or failed")
        return False


async def _pump(hub: Hub, client: WsClient, publish_stream: str, since: str | None) -> None:
    """Backfill from `since`, then forward live messages newer than the last one sent."""
    last = since
    if since is not None:
        first = await stream_range(hub.redis, publish_stream, start="-", count=1)
        if first and since not in ("0", "0-0") and cursor_key(first[0][0]) > cursor_key(since):
            # The stream was trimmed past the client's cursor: say so rather than pretend.
            gap = json.dumps(
                {
                    "type": "system",
                    "data": {"kind": "resume_gap", "since": since, "oldest": first[0][0]},
                    "cursor": since,
                }
            )
            if not await _send(hub, client, gap):
                return
        while True:
            entries = await stream_range(hub.redis, publish_stream, start=f"({last}", count=BACKFILL_BATCH)
            for entry_id, fields in entries:
                text = envelope(entry_id, fields)
                last = entry_id
                if text is not None and not await _send(hub, client, text):
                    return
            if len(entries) < BACKFILL_BATCH:
                break
    while not client.dropped:
        cursor, text = await client.queue.get()
        if last is not None and cursor_key(cursor) <= cursor_key(last):
            continue
        if not await _send(hub, client, text):
            return
        last = cursor


CLOSE_KEY_REVOKED = 4001


async def _close_when_revoked(
    pool: asyncpg.Pool, ws: web.WebSocketResponse, key_id: str, every_s: float
) -> None:
    """Close the socket (4001 "API key revoked") within `every_s` of its key being revoked: the
    same window after which a revoked key stops working for HTTP requests."""
    while not ws.closed:
        await asyncio.sleep(every_s)
        try:
            active = await api_keys.key_is_active(pool, key_id)
        except Exception as exc:  # the database being down does not end anyone's live feed
            log.debug("ws key check skipped: %s", exc)
            continue
        if not active:
            log.info("ws closing key_id=%s reason=key revoked", key_id)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(ws.close(code=CLOSE_KEY_REVOKED, message=b"API key revoked"), 2.0)
            return


def websocket_handler(state_key: Any) -> Callable[[web.Request], Any]:
    """The `/api/ws` handler bound to the app's state key."""

    async def handle(request: web.Request) -> web.StreamResponse:
        state = request.app[state_key]
        hub: Hub = state.hub
        since = request.query.get("since")
        try:
            if request.headers.get("Upgrade", "").lower() != "websocket":
                raise ApiError(
                    400, "websocket_required", "connect with a WebSocket client (Upgrade: websocket)"
                )
            if since is not None and not _CURSOR.match(since):
                raise ApiError(400, "invalid_cursor", "since must be a cursor from a previous message")
            principal, protocol = await state.guard(request, "read", "read", websocket=True)
        except ApiError as exc:
            return error_response(exc.status, exc.code, exc.message, exc.headers)
        ws = web.WebSocketResponse(
            heartbeat=state.limits.ws_heartbeat_seconds,
            protocols=(protocol,) if protocol else (),
            max_msg_size=64 * 1024,
        )
        if request.query.get("client") == "home_assistant":
            # The integration is set up: MQTT discovery withdraws its duplicate devices.
            try:
                await queries.mark_integration_seen(state.ctx.pool)
            except Exception as exc:  # never refuse the stream over the bookkeeping
                log.warning("ws could not record the integration: %s", exc)
        await ws.prepare(request)
        client = WsClient(ws, request, hub.queue_size, principal.actor)
        hub.register(client)
        pump = asyncio.create_task(_pump(hub, client, state.ctx.keys.stream("publish"), since))

        def pump_done(task: asyncio.Task[None]) -> None:
            if not task.cancelled() and task.exception() is not None:
                log.warning("ws stream failed actor=%s error=%s", client.actor, task.exception())
                hub.drop(client, "stream error")

        pump.add_done_callback(pump_done)
        revocation = None
        if principal.key_id is not None:
            revocation = asyncio.create_task(
                _close_when_revoked(state.ctx.pool, ws, principal.key_id, state.limits.key_cache_seconds)
            )
        try:
            async for msg in ws:
                if msg.type == WSMsgType.TEXT and msg.data.strip() == '{"type":"ping"}':
                    await ws.send_str('{"type":"pong"}')
                if pump.done():
                    break
        finally:
            hub.unregister(client)
            if revocation is not None:
                revocation.cancel()
            pump.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await pump
            if not ws.closed:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(ws.close(), 2.0)
        return ws

    return handle
