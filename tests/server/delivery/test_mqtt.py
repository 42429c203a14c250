"""MQTT publisher and HA discovery against the machine's real Mosquitto, read back by a real subscriber.

Every test uses its own topic prefix, so parallel runs never collide; the publisher reaches the
broker through a TCP proxy the test can cut, to observe the LWT and a broker outage.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import aiomqtt
import asyncpg
import pytest
import redis.asyncio as aioredis

from inference_server.metrics import Metrics
from inference_server.mqtt.publisher import MqttOptions, MqttPublisher
from inference_server.pipeline.publish import Publisher
from inference_server.store.streams import Keys, Streams

from .helpers import TcpProxy, add_camera, event_json

BROKER = ("127.0.0.1", 1883)


@dataclass
class Subscriber:
    """A real MQTT client recording every message under a prefix."""

    messages: list[tuple[str, bytes, bool, int]] = field(default_factory=list)

    def payloads(self, topic: str) -> list[bytes]:
        return [p for t, p, _r, _q in self.messages if t == topic]

    async def wait_for(self, check: Callable[[], Any], seconds: float = 10.0) -> Any:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            result = check()
            if result:
                return result
            await asyncio.sleep(0.05)
        raise AssertionError(f"timed out waiting; got topics {[m[0] for m in self.messages]}")


@pytest.fixture
def prefix(run_id: str) -> str:
    return f"hsitest/{run_id}/{uuid.uuid4().hex[:8]}"


@pytest.fixture
async def subscriber(prefix: str) -> AsyncIterator[Subscriber]:
    sub = Subscriber()
    async with aiomqtt.Client(*BROKER, identifier=f"sub-{uuid.uuid4().hex[:8]}") as client:
        await client.subscribe(f"{prefix}/#", qos=1)

        async def collect() -> None:
            async for m in client.messages:
                payload = m.payload if isinstance(m.payload, bytes) else str(m.payload).encode()
                sub.messages.append((m.topic.value, payload, bool(m.retain), m.qos))

        task = asyncio.create_task(collect())
        yield sub
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    # leave nothing retained on the shared broker
    async with aiomqtt.Client(*BROKER) as cleaner:
        for topic in {t for t, *_ in sub.messages}:
            await cleaner.publish(topic, b"", qos=1, retain=True)


@pytest.fixture
async def proxy() -> AsyncIterator[TcpProxy]:
    p = TcpProxy(*BROKER)
    await p.start()
    yield p
    await p.cut()


@dataclass
class Running:
    publisher: MqttPublisher
    events: Publisher
    stop: asyncio.Event
    task: asyncio.Task[None]


@pytest.fixture
async def running(
    prefix: str, proxy: TcpProxy, pg_pool: asyncpg.Pool, redis_client: aioredis.Redis, keys: Keys
) -> AsyncIterator[Running]:
    await add_camera(pg_pool, "front", "Front door")
    options = MqttOptions(
        url=f"mqtt://127.0.0.1:{proxy.port}",
        topic_prefix=prefix,
        discovery=True,
        discovery_prefix=f"{prefix}/ha",
        public_url="http://hsi.test:8000",
        reconnect_min_seconds=0.2,
        reconnect_max_seconds=0.4,
        keepalive=5,
    )
    publisher = MqttPublisher(
        options=options,
        streams=Streams(redis_client, keys),
        pool=pg_pool,
        metrics=Metrics(),
        consumer="test",
        block_ms=100,
        reclaim_idle_s=60,
    )
    stop = asyncio.Event()
    task = asyncio.create_task(publisher.run(stop))
    yield Running(publisher, Publisher(redis_client, keys), stop, task)
    stop.set()
    await asyncio.wait_for(task, 10)


async def test_events_alerts_and_discovery_reach_the_broker(
    running: Running, subscriber: Subscriber, prefix: str
) -> None:
    await subscriber.wait_for(lambda: subscriber.payloads(f"{prefix}/status") == [b"online"])
    config_topic = f"{prefix}/ha/device/hsi_front/config"
    raw = await subscriber.wait_for(lambda: subscriber.payloads(config_topic))
    config = json.loads(raw[0])
    assert config["device"]["identifiers"] == ["hsi_front"]
    assert config["device"]["name"] == "Front door"
    assert config["origin"]["name"] == "Home Security Intelligence"
    assert config["availability"][0]["topic"] == f"{prefix}/status"
    platforms = {c["platform"] for c in config["components"].values()}
    assert platforms == {"event", "sensor", "binary_sensor", "image"}
    assert sorted(config["components"]) == sorted(c["unique_id"] for c in config["components"].values())
    assert all("object_id" not in c for c in config["components"].values())
    image = config["components"]["hsi_front_snapshot"]
    assert image["url_topic"] == f"{prefix}/front/event"
    assert "http://hsi.test:8000/api/events/" in image["url_template"]

    event = event_json(camera="front", risk_score=77)
    await running.events.publish("event.created", event)
    await running.events.publish("alert", {"id": 1, "summary": "x", "channels": ["mqtt"], "event": event})
    await running.events.publish("alert", {"id": 2, "summary": "not for mqtt", "channels": ["ha"]})
    await subscriber.wait_for(lambda: subscriber.payloads(f"{prefix}/alerts"))
    assert json.loads(subscriber.payloads(f"{prefix}/events")[0])["id"] == event["id"]
    assert json.loads(subscriber.payloads(f"{prefix}/front/event")[0]) == event
    assert subscriber.payloads(f"{prefix}/front/risk") == [b"77"]
    alerts = [json.loads(p) for p in subscriber.payloads(f"{prefix}/alerts")]
    assert [a["id"] for a in alerts] == [1]
    assert "channels" not in alerts[0]
    assert [q for t, _p, _r, q in subscriber.messages if t == f"{prefix}/alerts"] == [1]

    # retained state: a late subscriber gets the camera's latest event, risk and status
    async with aiomqtt.Client(*BROKER) as late:
        await late.subscribe(f"{prefix}/front/+", qos=1)
        await late.subscribe(f"{prefix}/status", qos=1)
        got: dict[str, bytes] = {}
        async with asyncio.timeout(5):
            async for m in late.messages:
                assert m.retain
                got[m.topic.value] = m.payload if isinstance(m.payload, bytes) else b""
                if len(got) == 3:
                    break
    assert got[f"{prefix}/front/risk"] == b"77"

    # Home Assistant restarts: discovery is published again
    before = len(subscriber.payloads(config_topic))
    async with aiomqtt.Client(*BROKER) as ha:
        await ha.publish(f"{prefix}/ha/status", "online", qos=1)
    await subscriber.wait_for(lambda: len(subscriber.payloads(config_topic)) > before)

    # a deleted camera's device is removed with an empty retained payload
    await running.events.publish("camera.deleted", {"id": "front"})
    await subscriber.wait_for(lambda: subscriber.payloads(config_topic)[-1] == b"")
    await subscriber.wait_for(lambda: subscriber.payloads(f"{prefix}/front/event")[-1] == b"")


async def test_lwt_on_killed_connection_and_nothing_lost_while_the_broker_is_away(
    running: Running,
    subscriber: Subscriber,
    prefix: str,
    proxy: TcpProxy,
    redis_client: aioredis.Redis,
    keys: Keys,
) -> None:
    await subscriber.wait_for(lambda: subscriber.payloads(f"{prefix}/status") == [b"online"])
    await proxy.cut()  # the publisher's connection dies without a DISCONNECT
    await subscriber.wait_for(lambda: subscriber.payloads(f"{prefix}/status")[-1:] == [b"offline"])

    event = event_json(camera="front", risk_score=42)
    await running.events.publish("event.created", event)
    await asyncio.sleep(0.8)
    assert subscriber.payloads(f"{prefix}/events") == []
    groups = {g["name"]: g for g in await redis_client.xinfo_groups(keys.stream("publish"))}
    assert groups["mqtt"]["pending"] + (groups["mqtt"].get("lag") or 0) >= 1  # still owed to the broker

    await proxy.start()  # the broker is back; the publisher reconnects with backoff
    await subscriber.wait_for(lambda: subscriber.payloads(f"{prefix}/events"), seconds=10)
    assert json.loads(subscriber.payloads(f"{prefix}/events")[0])["id"] == event["id"]
    assert subscriber.payloads(f"{prefix}/status")[-1] == b"online"
    assert running.publisher.connections >= 2
    for _ in range(40):
        if await _pending(redis_client, keys) == 0:
            break
        await asyncio.sleep(0.05)
    assert await _pending(redis_client, keys) == 0


async def test_clean_stop_publishes_offline(running: Running, subscriber: Subscriber, prefix: str) -> None:
    await subscriber.wait_for(lambda: subscriber.payloads(f"{prefix}/status") == [b"online"])
    running.stop.set()
    await asyncio.wait_for(running.task, 10)
    await subscriber.wait_for(lambda: subscriber.payloads(f"{prefix}/status")[-1:] == [b"offline"])


async def _pending(redis_client: aioredis.Redis, keys: Keys) -> int:
    groups = {g["name"]: g for g in await redis_client.xinfo_groups(keys.stream("publish"))}
    return int(groups["mqtt"]["pending"]) + int(groups["mqtt"].get("lag") or 0)
