"""The alert engine end to end on the real PostgreSQL and Redis, with a real webhook receiver."""

from __future__ import annotations

import json
import socket
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import asyncpg
import pytest
import redis.asyncio as aioredis
from aiohttp import web

from inference_server.bus.publish import Publisher
from inference_server.notify.email import SmtpSettings
from inference_server.notify.engine import AlertEngine, AlertSettings
from inference_server.notify.webhook import WebhookSettings
from inference_server.store import alerts as alerts_store
from inference_server.store import queries
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


async def test_a_webhook_redirect_loop_is_one_dead_letter_not_an_outage_and_replay_delivers(
    pg_pool: asyncpg.Pool, redis_client: aioredis.Redis, keys: Keys, tmp_path: Path
) -> None:
    hits: list[str] = []
    looping = True

    async def handler(request: web.Request) -> web.Response:
        hits.append(request.path)
        if looping:
            raise web.HTTPTemporaryRedirect("/hook")
        return web.Response(status=204)

    app = web.Application()
    app.router.add_post("/hook", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    url = f"http://127.0.0.1:{port}/hook"
    try:
        # Retries as for an outage (4 attempts), so a loop retried like one would cost 16 POSTs.
        webhook = WebhookSettings(allow_private=("127.0.0.1/32",), backoff_seconds=0.01, max_attempts=4)
        engine = AlertEngine(
            pool=pg_pool,
            publisher=Publisher(redis_client, keys),
            tz=UTC,
            settings=AlertSettings(public_url="http://hsi.test:8000", media_dir=tmp_path, webhook=webhook),
        )
        await alerts_store.create_rule(pg_pool, rule_doc(url, channels=[{"type": "webhook", "url": url}]))
        await engine.process_event(event_json(risk_score=80))
        assert len(hits) == 4  # one POST and three redirects, not retried
        [letter] = await pg_pool.fetch("SELECT * FROM dead_letters WHERE stage = 'alerts'")
        payload = json.loads(letter["payload"]) if isinstance(letter["payload"], str) else letter["payload"]
        assert payload["kind"] == "delivery" and payload["channel"] == "webhook"
        assert "redirect" in letter["reason"] and "webhook" in letter["reason"]

        looping = False  # the receiver is fixed; an admin replays the letter
        hits.clear()
        replay = await queries.prepare_replay(pg_pool, letter["id"])
        assert replay is not None and replay.action == "alerts"
        assert await engine.redeliver_replayed() == 1
        assert hits == ["/hook"]
        assert await pg_pool.fetchval("SELECT count(*) FROM dead_letters WHERE stage = 'alerts'") == 1
    finally:
        await runner.cleanup()


class RefusingMailbox:
    """An SMTP server (aiosmtpd) that refuses every recipient until told otherwise."""

    def __init__(self) -> None:
        self.refuse = True
        self.delivered: list[list[str]] = []

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        if self.refuse:
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.delivered.append(list(envelope.rcpt_tos))
        return "250 OK"


async def test_a_refused_email_is_a_dead_letter_and_replay_delivers(
    pg_pool: asyncpg.Pool, redis_client: aioredis.Redis, keys: Keys, tmp_path: Path
) -> None:
    from aiosmtpd.controller import Controller

    mailbox = RefusingMailbox()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        engine = AlertEngine(
            pool=pg_pool,
            publisher=Publisher(redis_client, keys),
            tz=UTC,
            settings=AlertSettings(
                public_url="http://hsi.test:8000",
                media_dir=tmp_path,
                smtp=SmtpSettings(host="127.0.0.1", port=port, security="none"),
            ),
        )
        channels = [{"type": "email", "to": ["me@home.test"]}]
        await alerts_store.create_rule(pg_pool, rule_doc("http://unused.test/", channels=channels))
        await engine.process_event(event_json(risk_score=80))
        [letter] = await pg_pool.fetch("SELECT * FROM dead_letters WHERE stage = 'alerts'")
        payload = json.loads(letter["payload"]) if isinstance(letter["payload"], str) else letter["payload"]
        assert payload["kind"] == "delivery" and payload["channel"] == "email"
        assert letter["reason"].startswith("email delivery failed")
        assert mailbox.delivered == []

        mailbox.refuse = False
        assert await queries.prepare_replay(pg_pool, letter["id"]) is not None
        assert await engine.redeliver_replayed() == 1
        assert mailbox.delivered == [["me@home.test"]]
    finally:
        controller.stop()


async def test_an_alert_committed_but_never_delivered_is_delivered_on_redelivery(
    engine: AlertEngine, pg_pool: asyncpg.Pool, hook: tuple[str, list[dict[str, Any]]]
) -> None:
    """An attempt that committed the alert and then died (SIGKILL, a lost connection) before any
    delivery: the redelivered event message delivers it, once."""
    url, received = hook
    created = await alerts_store.create_rule(
        pg_pool, rule_doc(url, channels=[{"type": "webhook", "url": url}])
    )
    rule_id = created["id"]
    event = await add_event(pg_pool, camera="front", risk_score=70)
    # What the dead attempt left: the alert row, no delivery.
    [rule] = [r for r in await alerts_store.enabled_rules(pg_pool) if r.id == rule_id]
    await alerts_store.raise_alert(pg_pool, rule=rule, group_key="g", event=event, objects=["person"])
    entry = StreamEntry("1-0", {"message": json.dumps({"type": "event.created", "data": event})})
    assert await engine.handle([entry]) == ["1-0"]
    assert len(received) == 1 and received[0]["new"] is True
    [alert] = await alerts_store.list_alerts(pg_pool)
    assert [(d["channel"], d["outcome"]) for d in alert["deliveries"]] == [("webhook", "ok")]
    await engine.handle([entry])  # and again: delivered already, not twice
    assert len(received) == 1


async def test_a_publication_cut_off_after_delivery_is_retried_without_sending_twice(
    pg_pool: asyncpg.Pool,
    redis_client: aioredis.Redis,
    keys: Keys,
    tmp_path: Path,
    hook: tuple[str, list[dict[str, Any]]],
) -> None:
    """Redis is gone when the alert message is published: the batch fails (the worker retries
    it), the webhook already went and is recorded, so the retry publishes without sending it
    again."""
    url, received = hook
    settings = AlertSettings(
        public_url="http://hsi.test:8000",
        media_dir=tmp_path,
        webhook=WebhookSettings(allow_private=("127.0.0.1/32",), backoff_seconds=0.01),
    )
    with socket.socket() as probe:  # a port nothing listens on: Redis is down
        probe.bind(("127.0.0.1", 0))
        dead_port = int(probe.getsockname()[1])
    dead = aioredis.Redis(host="127.0.0.1", port=dead_port, socket_connect_timeout=1)
    try:
        down = AlertEngine(pool=pg_pool, publisher=Publisher(dead, keys), tz=UTC, settings=settings)
        await alerts_store.create_rule(pg_pool, rule_doc(url, channels=[{"type": "webhook", "url": url}]))
        event = await add_event(pg_pool, camera="front", risk_score=70)
        entry = StreamEntry("1-0", {"message": json.dumps({"type": "event.created", "data": event})})
        with pytest.raises(aioredis.ConnectionError):
            await down.handle([entry])
        assert len(received) == 1
    finally:
        await dead.aclose()
    up = AlertEngine(pool=pg_pool, publisher=Publisher(redis_client, keys), tz=UTC, settings=settings)
    assert await up.handle([entry]) == ["1-0"]
    assert len(received) == 1  # not sent twice
    [message] = await published_alerts(redis_client, keys)
    assert message["event"]["id"] == event["id"]
    [alert] = await alerts_store.list_alerts(pg_pool)
    assert [(d["channel"], d["outcome"]) for d in alert["deliveries"]] == [("webhook", "ok")]
