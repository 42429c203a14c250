"""The alert engine end to end on the real PostgreSQL and Redis, with a real webhook receiver."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import asyncpg
import pytest
import redis.asyncio as aioredis
from aiohttp import web

from inference_server.bus.publish import Publisher
from inference_server.notify.engine import AlertEngine, AlertSettings
from inference_server.notify.webhook import WebhookSettings
from inference_server.store import alerts as alerts_store
from inference_server.store.streams import Keys, StreamEntry
from tests.support.streams import stream_entries

from .helpers import add_camera, add_event, event_json


@pytest.fixture
async def hook() -> AsyncIterator[tuple[str, list[dict[str, Any]]]]:
    received: list[dict[str, Any]] = []

    async def handler(request: web.Request) -> web.Response:
        received.append(await request.json())
        return web.Response(status=204)

    app = web.Application()
    app.router.add_post("/hook", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield f"http://127.0.0.1:{port}/hook", received
    await runner.cleanup()


@pytest.fixture
def engine(pg_pool: asyncpg.Pool, redis_client: aioredis.Redis, keys: Keys, tmp_path: Path) -> AlertEngine:
    settings = AlertSettings(
        public_url="http://hsi.test:8000",
        media_dir=tmp_path,
        webhook=WebhookSettings(allow_private=("127.0.0.1/32",), backoff_seconds=0.01),
    )
    return AlertEngine(pool=pg_pool, publisher=Publisher(redis_client, keys), tz=UTC, settings=settings)


def rule_doc(url: str, **overrides: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "name": "Person",
        "severity": "high",
        "conditions": {"min_risk_score": 50, "objects": ["person"]},
        "channels": [
            {"type": "webhook", "url": url, "secret": "0123456789"},
            {"type": "mqtt"},
            {"type": "ha", "notify_service": "notify.mobile_app_phone"},
        ],
        "cooldown_seconds": 600,
        "group_window_seconds": 120,
    }
    doc.update(overrides)
    return doc


async def published_alerts(redis_client: aioredis.Redis, keys: Keys) -> list[dict[str, Any]]:
    items = await stream_entries(redis_client, keys.stream("publish"))
    messages = [json.loads(fields["message"]) for _id, fields in items]
    return [m["data"] for m in messages if m["type"] == "alert"]


async def test_matching_event_raises_one_alert_on_every_channel(
    engine: AlertEngine,
    pg_pool: asyncpg.Pool,
    hook: tuple[str, list[dict[str, Any]]],
    redis_client: aioredis.Redis,
    keys: Keys,
) -> None:
    url, received = hook
    await alerts_store.create_rule(pg_pool, rule_doc(url))
    event = await add_event(pg_pool, camera="front", risk_score=70)
    entry = StreamEntry("1-0", {"message": json.dumps({"type": "event.created", "data": event})})
    other = StreamEntry("2-0", {"message": json.dumps({"type": "detection", "data": {}})})
    assert await engine.handle([entry, other]) == ["1-0", "2-0"]

    assert len(received) == 1
    assert received[0]["event"]["id"] == event["id"]
    assert received[0]["url"] == f"http://hsi.test:8000/api/events/{event['id']}"
    alerts = await alerts_store.list_alerts(pg_pool)
    assert len(alerts) == 1
    assert sorted((d["channel"], d["outcome"]) for d in alerts[0]["deliveries"]) == [
        ("ha", "ok"),
        ("mqtt", "ok"),
        ("webhook", "ok"),
    ]
    [message] = await published_alerts(redis_client, keys)
    assert message["channels"] == ["ha", "mqtt"]
    assert message["ha"]["notify_service"] == "notify.mobile_app_phone"
    assert message["ha"]["image"].endswith(f"/api/events/{event['id']}/snapshot")
    assert message["new"] is True

    # the refined version of the same event updates the alert, and is not delivered again
    await engine.handle(
        [StreamEntry("3-0", {"message": json.dumps({"type": "event.updated", "data": event})})]
    )
    assert len(received) == 1
    assert (await alerts_store.list_alerts(pg_pool))[0]["updates"] == 1


async def test_cooldown_and_cross_camera_grouping(
    engine: AlertEngine, pg_pool: asyncpg.Pool, hook: tuple[str, list[dict[str, Any]]]
) -> None:
    url, received = hook
    await alerts_store.create_rule(pg_pool, rule_doc(url))
    await engine.process_event(event_json(camera="front", risk_score=65))
    # same camera, object and zone within the cooldown: nothing new
    assert await engine.process_event(event_json(camera="front", risk_score=66)) == []
    # the intruder walks past two more cameras: one alert, updated, not re-sent
    await engine.process_event(event_json(camera="side", risk_score=68))
    await engine.process_event(event_json(camera="back", risk_score=70))
    alerts = await alerts_store.list_alerts(pg_pool)
    assert len(alerts) == 1
    assert alerts[0]["cameras"] == ["front", "side", "back"]
    assert len(received) == 1
    # ... until the risk level rises: then the updated alert is delivered again
    [message] = await engine.process_event(event_json(camera="garage", risk_score=95))
    assert message["escalated"] is True and message["new"] is False
    assert len(received) == 2
    assert (await alerts_store.list_alerts(pg_pool))[0]["risk_level"] == "critical"


async def test_non_matching_muted_and_quiet(
    engine: AlertEngine, pg_pool: asyncpg.Pool, hook: tuple[str, list[dict[str, Any]]]
) -> None:
    url, received = hook
    await alerts_store.create_rule(pg_pool, rule_doc(url))
    assert await engine.process_event(event_json(risk_score=20)) == []
    assert await engine.process_event(event_json(objects={"cat": 1})) == []

    await add_camera(pg_pool, "garage")
    await pg_pool.execute("UPDATE cameras SET muted_until = now() + interval '1 hour' WHERE id = 'garage'")
    assert await engine.process_event(event_json(camera="garage", risk_score=90)) == []

    await alerts_store.set_alert_setting(
        pg_pool,
        "quiet_hours",
        {"enabled": True, "schedule": {"ranges": ["00:00-24:00"]}, "bypass_severity": "critical"},
    )
    [message] = await engine.process_event(event_json(camera="front", risk_score=90))
    assert message["quiet"] is True and message["channels"] == []
    assert received == []
    alerts = await alerts_store.list_alerts(pg_pool)
    assert [(a["status"], a["deliveries"]) for a in alerts] == [("quiet", [])]

    # a critical rule bypasses quiet hours
    await alerts_store.create_rule(pg_pool, rule_doc(url, name="Critical", severity="critical"))
    await engine.process_event(event_json(camera="back", risk_score=90))
    assert len(received) == 1


async def test_blocked_webhook_is_recorded_as_blocked(engine: AlertEngine, pg_pool: asyncpg.Pool) -> None:
    await alerts_store.create_rule(
        pg_pool,
        rule_doc(
            "http://169.254.169.254/latest/meta-data/",
            channels=[{"type": "webhook", "url": "http://169.254.169.254/latest/meta-data/"}],
        ),
    )
    await engine.process_event(event_json(risk_score=80))
    [alert] = await alerts_store.list_alerts(pg_pool)
    assert [(d["channel"], d["outcome"], d["attempts"]) for d in alert["deliveries"]] == [
        ("webhook", "blocked", 0)
    ]


async def test_daily_digest_is_sent_once(
    engine: AlertEngine, pg_pool: asyncpg.Pool, hook: tuple[str, list[dict[str, Any]]]
) -> None:
    url, received = hook
    await alerts_store.create_rule(pg_pool, rule_doc(url, channels=[]))
    await engine.process_event(event_json(camera="front", risk_score=80))
    await alerts_store.set_alert_setting(
        pg_pool, "digest", {"enabled": True, "time": "23:59", "channels": [{"type": "webhook", "url": url}]}
    )
    today = datetime.now(UTC).date()
    digest = await engine.send_digest(today)
    assert digest is not None and digest["alerts"] == 1
    assert digest["by_camera"] == {"front": 1}
    assert received[-1]["type"] == "digest"
    assert await engine.send_digest(today) is None
    assert await engine.send_digest(date(2000, 1, 1)) is not None  # another day: an (empty) digest


async def test_snapshot_is_read_only_from_inside_the_media_folder(
    engine: AlertEngine, tmp_path: Path
) -> None:
    (tmp_path / "front").mkdir()
    (tmp_path / "front" / "a.jpg").write_bytes(b"\xff\xd8jpeg")
    outside = tmp_path.parent / "secret.jpg"
    outside.write_bytes(b"\xff\xd8secret")
    snap = await engine._snapshot(event_json(media=["/api/media/front/a.jpg"]))
    assert snap is not None and snap.data == b"\xff\xd8jpeg"
    assert await engine._snapshot(event_json(media=["/api/media/../secret.jpg"])) is None
