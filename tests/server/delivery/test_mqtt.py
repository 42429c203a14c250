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
from datetime import UTC, datetime, timedelta
from typing import Any

import aiomqtt
import asyncpg
import pytest
import redis.asyncio as aioredis

from inference_server.bus.publish import Publisher
from inference_server.metrics import Metrics
from inference_server.mqtt.publisher import MqttOptions, MqttPublisher
from inference_server.store import queries
from inference_server.store.streams import Keys, Streams

from .helpers import TcpProxy, add_camera, add_event, event_json

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
    instance = running.publisher.instance_id
    assert instance  # the server's instance id, from the database
    dev = f"hsi_{instance}_front"
    config_topic = f"{prefix}/ha/device/{dev}/config"
    raw = await subscriber.wait_for(lambda: subscriber.payloads(config_topic))
    config = json.loads(raw[0])
    assert config["device"]["identifiers"] == [dev]
    assert "configuration_url" not in config["device"]  # the status page needs a key: no Visit link
    assert all(c["unique_id"].startswith(f"{dev}_") for c in config["components"].values())
    # the device of an older server version (no instance id in its id) is cleared
    assert subscriber.payloads(f"{prefix}/ha/device/hsi_front/config") == [b""]
    assert config["device"]["name"] == "Front door"
    assert config["origin"]["name"] == "Home Security Intelligence"
    assert config["availability"][0]["topic"] == f"{prefix}/status"
    platforms = {c["platform"] for c in config["components"].values()}
    assert platforms == {"event", "sensor", "binary_sensor", "image"}
    assert sorted(config["components"]) == sorted(c["unique_id"] for c in config["components"].values())
    assert all("object_id" not in c for c in config["components"].values())
    image = config["components"][f"{dev}_snapshot"]
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


async def test_two_servers_on_one_broker_never_collide(
    running: Running, subscriber: Subscriber, prefix: str, pg_pool: asyncpg.Pool
) -> None:
    await subscriber.wait_for(lambda: subscriber.payloads(f"{prefix}/status") == [b"online"])
    other = "1c1c1c1c-2d2d-4e4e-8f8f-000000000001"
    options = MqttOptions(
        url=running.publisher.options.url,
        topic_prefix=f"{prefix}/second",
        discovery=True,
        discovery_prefix=f"{prefix}/ha",
        instance_id=other,
        reconnect_min_seconds=0.2,
    )
    second = MqttPublisher(
        options=options, streams=running.publisher.streams, pool=None, metrics=Metrics(), consumer="second"
    )
    second._names["front"] = "Front door"  # the same camera id on the other server
    stop = asyncio.Event()
    task = asyncio.create_task(second.run(stop))
    try:
        await subscriber.wait_for(lambda: subscriber.payloads(f"{prefix}/ha/device/hsi_{other}_front/config"))
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)
    mine = f"{prefix}/ha/device/hsi_{running.publisher.instance_id}_front/config"
    assert json.loads(subscriber.payloads(mine)[-1])["device"]["identifiers"] != [f"hsi_{other}_front"]


async def test_reviewing_an_old_event_does_not_become_the_latest(
    running: Running, subscriber: Subscriber, prefix: str, pg_pool: asyncpg.Pool
) -> None:
    await subscriber.wait_for(lambda: subscriber.payloads(f"{prefix}/status") == [b"online"])
    old = await add_event(
        pg_pool, camera="front", risk_score=90, started_at=datetime.now(UTC) - timedelta(days=2)
    )
    new = await add_event(pg_pool, camera="front", risk_score=12)
    await running.events.publish("event.created", new)
    await subscriber.wait_for(lambda: subscriber.payloads(f"{prefix}/front/risk") == [b"12"])
    # The user reviews last week's event: it is announced on hsi/events, but the camera's retained
    # latest event and risk stay those of the newest event.
    await running.events.publish("event.updated", {**old, "reviewed": True})
    await subscriber.wait_for(lambda: len(subscriber.payloads(f"{prefix}/events")) == 2)
    assert json.loads(subscriber.payloads(f"{prefix}/events")[-1])["id"] == old["id"]
    await running.events.publish("event.updated", {**new, "reviewed": True})
    await subscriber.wait_for(lambda: len(subscriber.payloads(f"{prefix}/events")) == 3)
    await subscriber.wait_for(lambda: len(subscriber.payloads(f"{prefix}/front/event")) == 2)
    assert [json.loads(p)["id"] for p in subscriber.payloads(f"{prefix}/front/event")] == [
        new["id"],
        new["id"],
    ]
    assert subscriber.payloads(f"{prefix}/front/risk") == [b"12", b"12"]


async def test_discovery_is_withdrawn_once_the_integration_is_set_up(
    running: Running, subscriber: Subscriber, prefix: str, pg_pool: asyncpg.Pool
) -> None:
    """One device per camera in Home Assistant: with the integration connected (it marks itself on
    /api/ws), the publisher clears its discovery configs instead of duplicating the cameras."""
    await subscriber.wait_for(lambda: subscriber.payloads(f"{prefix}/status") == [b"online"])
    config_topic = f"{prefix}/ha/device/hsi_{running.publisher.instance_id}_front/config"
    await subscriber.wait_for(lambda: subscriber.payloads(config_topic))
    assert running.publisher.suppressed is False
    await queries.mark_integration_seen(pg_pool)
    running.publisher._suppression_checked = 0.0  # skip the once-a-minute cache
    await running.events.publish("event.created", event_json(camera="front", risk_score=30))
    await subscriber.wait_for(lambda: subscriber.payloads(config_topic)[-1] == b"")
    assert running.publisher.suppressed is True
    # Home Assistant restarts: discovery is not published again.
    count = len(subscriber.payloads(config_topic))
    async with aiomqtt.Client(*BROKER) as ha:
        await ha.publish(f"{prefix}/ha/status", "online", qos=1)
    await running.events.publish("event.created", event_json(camera="front", risk_score=31))
    await subscriber.wait_for(lambda: len(subscriber.payloads(f"{prefix}/front/risk")) == 2)
    assert len(subscriber.payloads(config_topic)) == count
    # The integration has not connected for longer than a week: discovery comes back.
    await pg_pool.execute(
        "UPDATE system_info SET value = (now() - interval '8 days')::text WHERE key = 'integration_seen_at'"
    )
    running.publisher._suppression_checked = 0.0
    await running.events.publish("event.created", event_json(camera="front", risk_score=32))
    await subscriber.wait_for(lambda: subscriber.payloads(config_topic)[-1] != b"")
    assert running.publisher.suppressed is False


async def _pending(redis_client: aioredis.Redis, keys: Keys) -> int:
    groups = {g["name"]: g for g in await redis_client.xinfo_groups(keys.stream("publish"))}
    return int(groups["mqtt"]["pending"]) + int(groups["mqtt"].get("lag") or 0)
