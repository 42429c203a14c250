"""WebSocket: live fan-out from Redis pub/sub, slow clients dropped, resume without gaps, auth."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import asyncpg
import pytest

from inference_server.api import ApiLimits, state_of
from inference_server.store import api_keys
from tests.server.api.conftest import LiveApi


async def _next(ws: aiohttp.ClientWebSocketResponse) -> dict[str, Any]:
    msg = await ws.receive(timeout=5.0)
    assert msg.type == aiohttp.WSMsgType.TEXT, msg
    body: dict[str, Any] = json.loads(msg.data)
    return body


async def test_live_messages_reach_every_client_with_a_cursor(api: LiveApi) -> None:
    one = await api.session.ws_connect(api.url + "/api/ws")
    two = await api.session.ws_connect(api.url + "/api/ws")
    await asyncio.sleep(0.1)
    cursor = await api.ctx.publisher.publish("event.created", {"id": "e1", "risk_score": 10})
    for ws in (one, two):
        message = await _next(ws)
        assert message == {"type": "event.created", "data": {"id": "e1", "risk_score": 10}, "cursor": cursor}
    await one.close()
    await two.close()


async def test_a_slow_client_is_dropped_while_the_other_keeps_receiving(
    start_api: Callable[..., Awaitable[LiveApi]],
) -> None:
    api = await start_api(limits=ApiLimits(enabled=False, ws_queue_size=32, ws_send_timeout_seconds=30))
    hub = state_of(api.app).hub
    fast = await api.session.ws_connect(api.url + "/api/ws", max_msg_size=0)
    slow = await api.session.ws_connect(api.url + "/api/ws", max_msg_size=0)  # never reads until the end
    await asyncio.sleep(0.1)
    received: list[str] = []

    async def read_fast() -> None:
        while True:
            msg = await fast.receive()
            if msg.type != aiohttp.WSMsgType.TEXT:
                return
            received.append(json.loads(msg.data)["cursor"])

    reader = asyncio.create_task(read_fast())
    padding = "x" * 64 * 1024
    sent: list[str] = []
    for i in range(600):
        sent.append(await api.ctx.publisher.publish("detection", {"i": i, "pad": padding}))
        if hub.dropped_total:
            break
        await asyncio.sleep(0.002)  # the fast reader keeps up; the slow one never reads
    assert hub.dropped_total == 1, "the slow client was never dropped"
    print(f"slow client dropped after {len(sent)} messages of 64 KiB")
    for i in range(5):  # the survivor keeps receiving after the drop
        sent.append(await api.ctx.publisher.publish("detection", {"i": f"after-{i}"}))
    for _ in range(200):
        if len(received) >= len(sent):
            break
        await asyncio.sleep(0.05)
    assert received == sent
    assert len(hub.clients) == 1
    # The slow client finds its connection closed (1013 "try again later", or cut) once it reads.
    kinds = set()
    for _ in range(10_000):
        msg = await slow.receive(timeout=5)
        kinds.add(msg.type)
        if msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR):
            break
    assert kinds & {aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR}
    if aiohttp.WSMsgType.CLOSE in kinds:
        assert slow.close_code in (1013, 1006)
    reader.cancel()
    await fast.close()
    await slow.close()


async def test_resume_from_a_cursor_misses_nothing_and_repeats_nothing(api: LiveApi) -> None:
    ws = await api.session.ws_connect(api.url + "/api/ws")
    await asyncio.sleep(0.1)
    first = [await api.ctx.publisher.publish("event.created", {"n": n}) for n in range(3)]
    got = [(await _next(ws))["cursor"] for _ in range(3)]
    assert got == first
    await ws.close()
    missed = [await api.ctx.publisher.publish("event.updated", {"n": n}) for n in range(3, 6)]

    async def publish_more() -> list[str]:
        ids = []
        for n in range(6, 30):
            ids.append(await api.ctx.publisher.publish("alert", {"n": n}))
            await asyncio.sleep(0)
        return ids

    racing = asyncio.create_task(publish_more())  # published while the client reconnects
    again = await api.session.ws_connect(api.url + f"/api/ws?since={got[-1]}")
    later = await racing
    messages = [await _next(again) for _ in range(len(missed) + len(later))]
    assert [m["cursor"] for m in messages] == missed + later
    assert [m["data"]["n"] for m in messages] == list(range(3, 30))
    with pytest.raises(asyncio.TimeoutError):
        await again.receive(timeout=0.3)  # nothing twice
    await again.close()
    bad = await api.session.get(
        api.url + "/api/ws?since=yesterday", headers={"Upgrade": "websocket", "Connection": "Upgrade"}
    )
    assert bad.status == 400


async def test_websocket_requires_a_key_by_header_query_or_subprotocol(
    start_api: Callable[..., Awaitable[LiveApi]], pg_pool: asyncpg.Pool
) -> None:
    _, key = await api_keys.create_key(pg_pool, "ha", "read")
    api = await start_api(keys_required=True)
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await api.session.ws_connect(api.url + "/api/ws")
    assert refused.value.status == 401
    with pytest.raises(aiohttp.WSServerHandshakeError):
        await api.session.ws_connect(api.url + "/api/ws", headers={"X-API-Key": key + "x"})
    by_header = await api.session.ws_connect(api.url + "/api/ws", headers={"X-API-Key": key})
    by_query = await api.session.ws_connect(api.url + f"/api/ws?api_key={key}")
    by_protocol = await api.session.ws_connect(api.url + "/api/ws", protocols=(f"hsi-key.{key}",))
    assert by_protocol.protocol == f"hsi-key.{key}"
    await asyncio.sleep(0.1)
    cursor = await api.ctx.publisher.publish("system", {"kind": "hello"})
    for ws in (by_header, by_query, by_protocol):
        assert (await _next(ws))["cursor"] == cursor
        await ws.close()
    failures = await pg_pool.fetchval("SELECT count(*) FROM audit_log WHERE action = 'auth.failed'")
    assert failures == 2


async def test_the_home_assistant_integration_marks_itself_and_discovery_is_withdrawn(
    start_api: Callable[..., Awaitable[LiveApi]],
) -> None:
    """An integration's /api/ws stream (client=home_assistant) records it; /api/system/info then
    reports MQTT discovery as withdrawn, so Home Assistant shows each camera once."""
    api = await start_api()
    api.ctx.settings = api.ctx.settings.replace(mqtt_url="mqtt://127.0.0.1:1883", mqtt_discovery=True)
    info = await (await api.session.get(api.url + "/api/system/info")).json()
    assert info["mqtt_discovery"] is True and info["mqtt_discovery_suppressed"] is False

    plain = await api.session.ws_connect(api.url + "/api/ws")  # another client: nothing recorded
    await plain.close()
    info = await (await api.session.get(api.url + "/api/system/info")).json()
    assert info["mqtt_discovery"] is True

    ws = await api.session.ws_connect(api.url + "/api/ws?client=home_assistant")
    info = await (await api.session.get(api.url + "/api/system/info")).json()
    assert info["mqtt_discovery"] is False and info["mqtt_discovery_suppressed"] is True
    await ws.close()
