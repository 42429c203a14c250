"""`/api/system/ready` names the MQTT broker: the machine's real Mosquitto vs a closed port.

The broker is an output (entries wait for it, nothing is lost), so a broker that cannot be reached
is a named false check and a "degraded" status, never a 503.
"""

from __future__ import annotations

import asyncio
import socket
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable

import aiomqtt
import pytest
import redis.asyncio as aioredis

from inference_server.api import ApiContext
from inference_server.metrics import Metrics
from inference_server.mqtt.publisher import MqttOptions, MqttPublisher
from inference_server.store.streams import Keys, Streams
from tests.server.api.conftest import LiveApi

BROKER_PORT = 1883


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
async def publisher_to(
    redis_client: aioredis.Redis, keys: Keys, run_id: str
) -> AsyncIterator[Callable[[int], Awaitable[MqttPublisher]]]:
    running: list[tuple[asyncio.Event, asyncio.Task[None], str]] = []

    async def start(port: int) -> MqttPublisher:
        prefix = f"hsitest/{run_id}/{uuid.uuid4().hex[:8]}"
        options = MqttOptions(
            url=f"mqtt://127.0.0.1:{port}",
            topic_prefix=prefix,
            reconnect_min_seconds=0.2,
            reconnect_max_seconds=0.4,
            publish_timeout_seconds=2.0,
        )
        publisher = MqttPublisher(
            options=options, streams=Streams(redis_client, keys), pool=None, metrics=Metrics(), consumer="t"
        )
        stop = asyncio.Event()
        running.append((stop, asyncio.create_task(publisher.run(stop)), prefix))
        return publisher

    yield start
    for stop, task, prefix in running:
        stop.set()
        await asyncio.wait_for(task, 10)
        async with aiomqtt.Client("127.0.0.1", BROKER_PORT) as cleaner:  # nothing left retained
            await cleaner.publish(f"{prefix}/status", b"", qos=1, retain=True)


async def _api_with(
    make_ctx: Callable[..., ApiContext], start_api: Callable[..., Awaitable[LiveApi]], mqtt: MqttPublisher
) -> LiveApi:
    ctx = make_ctx()
    ctx.advisory_checks = {"mqtt": mqtt.broker_connected}
    return await start_api(ctx)


async def test_an_unreachable_broker_is_a_named_false_check_not_a_503(
    make_ctx: Callable[..., ApiContext],
    start_api: Callable[..., Awaitable[LiveApi]],
    publisher_to: Callable[[int], Awaitable[MqttPublisher]],
) -> None:
    mqtt = await publisher_to(_closed_port())
    api = await _api_with(make_ctx, start_api, mqtt)
    resp = await api.get("/api/system/ready")
    body = await resp.json()
    assert resp.status == 200, body
    assert body["status"] == "ready" and body["checks"]["mqtt"] is False
    assert body["checks"]["database"] is True and body["checks"]["redis"] is True
    status = await (await api.get("/api/system/status")).json()
    assert status["status"] == "degraded" and status["checks"]["mqtt"] is False
    assert (await (await api.get("/api/system/stats")).json())["pipeline"] == "degraded"


async def test_a_connected_broker_is_a_true_check(
    make_ctx: Callable[..., ApiContext],
    start_api: Callable[..., Awaitable[LiveApi]],
    publisher_to: Callable[[int], Awaitable[MqttPublisher]],
) -> None:
    mqtt = await publisher_to(BROKER_PORT)
    await asyncio.wait_for(mqtt.connected.wait(), 15)
    api = await _api_with(make_ctx, start_api, mqtt)
    resp = await api.get("/api/system/ready")
    body = await resp.json()
    assert resp.status == 200 and body["checks"]["mqtt"] is True, body
    status = await (await api.get("/api/system/status")).json()
    assert status["status"] == "ok", status


async def test_a_failing_required_check_still_makes_ready_503(
    make_ctx: Callable[..., ApiContext],
    start_api: Callable[..., Awaitable[LiveApi]],
    publisher_to: Callable[[int], Awaitable[MqttPublisher]],
) -> None:
    async def detector_down() -> bool:
        return False

    mqtt = await publisher_to(BROKER_PORT)
    await asyncio.wait_for(mqtt.connected.wait(), 15)
    ctx = make_ctx(detector=detector_down)
    ctx.advisory_checks = {"mqtt": mqtt.broker_connected}
    api = await start_api(ctx)
    resp = await api.get("/api/system/ready")
    body = await resp.json()
    assert resp.status == 503 and body["checks"] == {
        "database": True,
        "redis": True,
        "detector": False,
        "mqtt": True,
    }, body
