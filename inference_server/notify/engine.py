"""The alert engine: events from the publish stream -> matching rules -> one alert -> channels.

For every event.created / event.updated message (consumer group `alerts` of the publish stream):
1. enabled rules are matched (domain.alert_rules), the schedule judged at the event's local start;
2. a muted camera (cameras.muted_until) raises nothing;
3. an event already alerted by a rule (a refined fast-path event) updates that alert;
4. otherwise the rule x camera x object x zone cooldown is claimed atomically in PostgreSQL (exactly
   one worker wins), and the alert is created or - within the rule's group window - the open alert
   of the same group is updated (one intruder passing several cameras is one alert);
5. a new alert, or one whose risk level rose, is delivered on each channel unless quiet hours hold
   it back (severity below the bypass); every delivery outcome is recorded;
6. the alert is published as an "alert" message (WebSocket, MQTT publisher, HA integration).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from pathlib import Path
from typing import Any

import asyncpg

from inference_server.bus.publish import Publisher
from inference_server.contract import messages
from inference_server.domain.alert_rules import (
    AlertRule,
    InvalidRule,
    cooldown_keys,
    facts_from_event,
    group_key,
    in_schedule,
    matched_objects,
    matches,
    parse_channel,
    parse_schedule,
    severity_rank,
)
from inference_server.notify.email import EmailChannel, SmtpSettings, Snapshot
from inference_server.notify.ha import HomeAssistantChannel, ha_section
from inference_server.notify.mqtt_channel import MqttChannel
from inference_server.notify.types import Delivery
from inference_server.notify.webhook import WebhookChannel, WebhookSettings
from inference_server.settings import Settings
from inference_server.store import alerts as store
from inference_server.store.errors import is_transient
from inference_server.store.media import add_dead_letter
from inference_server.store.streams import StreamEntry

log = logging.getLogger(__name__)

DEAD_LETTER_STAGE = "alerts"
DIRECT_CHANNELS = ("email", "webhook")
MAX_SNAPSHOT_BYTES = 5 * 1024 * 1024
MEDIA_URL_PREFIX = "/api/media/"


@dataclass(frozen=True, slots=True)
class AlertSettings:
    """Server-wide alert settings (the server's `email`, `webhook`, `api` and `mqtt` sections)."""

    public_url: str = "http://127.0.0.1:8000"
    media_dir: Path = Path(".data/media")
    topic_prefix: str = "hsi"
    smtp: SmtpSettings = field(default_factory=SmtpSettings)
    webhook: WebhookSettings = field(default_factory=WebhookSettings)

    @classmethod
    def from_settings(cls, settings: Settings) -> AlertSettings:
        """Build from the server's settings."""
        email = settings.email
        return cls(
            public_url=settings.api.base_url.rstrip("/"),
            media_dir=settings.storage.media_dir,
            topic_prefix=settings.mqtt.topic_prefix,
            smtp=SmtpSettings(
                host=email.host,
                port=email.port,
                username=email.username,
                password=email.password.get_secret_value() if email.password else None,
                sender=email.sender or "hsi@localhost",
                security=email.security,
                ca_file=email.ca_file,
            ),
            webhook=WebhookSettings(
                allow_private=tuple(settings.webhook.allow_private),
                timeout_seconds=settings.webhook.timeout_seconds,
            ),
        )


class AlertEngine:
    """Turns published events into alerts; `handle` is the StreamWorker handler of group `alerts`."""

    def __init__(
        self,
        *,
        pool: asyncpg.Pool,
        publisher: Publisher,
        tz: tzinfo,
        settings: AlertSettings | None = None,
        email: EmailChannel | None = None,
        webhook: WebhookChannel | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.pool = pool
        self.publisher = publisher
        self.tz = tz
        self.settings = settings or AlertSettings()
        self.email = email or EmailChannel(self.settings.smtp)
        self.webhook = webhook or WebhookChannel(self.settings.webhook)
        self.mqtt = MqttChannel(self.settings.topic_prefix)
        self.ha = HomeAssistantChannel()
        self.clock = clock or (lambda: datetime.now(UTC))

    # -- stream handler ------------------------------------------------------------------------

    async def handle(self, entries: list[StreamEntry]) -> list[str]:
        """Process event messages of a publish-stream batch; returns the ids to ack.

        Messages of other types (alerts we published ourselves, detections) are acked untouched.
        A bad message is logged and acked; a PostgreSQL/Redis outage propagates, so the worker
        retries the batch (alerts already raised for an event are then updated, not repeated).
        """
        done: list[str] = []
        for entry in entries:
            message = messages.decode(entry.fields)
            if message is None:
                log.warning("alerts bad message id=%s", entry.id)
            elif message.is_event:
                try:
                    await self.process_event(message.data)
                except Exception as exc:
                    if is_transient(exc):
                        raise
                    log.exception("alerts failed event=%s", message.data.get("id"))
                    # Never lost: the message waits as a dead letter; replaying it runs it again.
                    await add_dead_letter(
                        self.pool,
                        stage=DEAD_LETTER_STAGE,
                        reason=f"alert processing failed: {type(exc).__name__}: {exc}"[:2000],
                        payload={
                            "kind": "message",
                            "message": {"type": message.type, "data": message.data},
                            "entry": entry.id,
                        },
                    )
            done.append(entry.id)
        return done

    # -- one event -----------------------------------------------------------------------------

    async def process_event(self, event: dict[str, Any]) -> list[dict[str, Any]]:
        """Raise or update alerts for one Event JSON; returns the alert messages published."""
        rules = await store.enabled_rules(self.pool)
        if not rules:
            return []
        context = await store.event_context(self.pool, str(event.get("id", "")))
        facts = facts_from_event(event, context)
        local_start = _parse_time(event.get("started_at"), self.clock()).astimezone(self.tz)
        matching = [r for r in rules if matches(r, facts, local_start)]
        if not matching:
            return []
        muted = await store.camera_muted_until(self.pool, facts.camera)
        if muted is not None:
            log.info(
                "alerts skipped camera=%s muted_until=%s event=%s",
                facts.camera,
                muted.isoformat(),
                facts.event_id,
            )
            return []
        quiet_bypass = await self._quiet_bypass(self.clock().astimezone(self.tz))
        published: list[dict[str, Any]] = []
        for rule in matching:
            message = await self._apply_rule(rule, event, facts, quiet_bypass)
            if message is not None:
                published.append(message)
        return published

    async def _apply_rule(
        self, rule: AlertRule, event: dict[str, Any], facts: Any, quiet_bypass: int | None
    ) -> dict[str, Any] | None:
        assert rule.id is not None
        held_back = quiet_bypass is not None and severity_rank(rule.severity) < quiet_bypass
        existing = await store.alert_for_event(self.pool, rule.id, facts.event_id)
        unsent = False
        if existing is not None:
            alert, escalated = await store.update_alert_with_event(self.pool, existing["id"], event)
            created = False
            # Committed by an attempt that stopped before any delivery (killed, or its connection
            # lost after the commit): the redelivered message delivers it now.
            unsent = (
                existing["status"] == "sent"
                and bool(rule.channels)
                and not await store.has_deliveries(self.pool, existing["id"])
            )
        else:
            keys = cooldown_keys(rule, facts)
            won = await store.claim_cooldowns(self.pool, keys, rule.cooldown_seconds)
            if not won:
                log.info("alerts cooldown rule=%s event=%s", rule.id, facts.event_id)
                return None
            alert, created, escalated = await store.raise_alert(
                self.pool,
                rule=rule,
                group_key=group_key(rule, facts),
                event=event,
                objects=matched_objects(rule, facts),
                status="quiet" if held_back else "sent",
            )
        deliver = (created or escalated or unsent) and not held_back
        link = f"{self.settings.public_url}/api/events/{facts.event_id}"
        snapshot_url = f"{self.settings.public_url}/api/events/{facts.event_id}/snapshot"
        payload: dict[str, Any] = {
            **alert,
            "new": created or unsent,
            "escalated": escalated,
            "quiet": held_back,
            "event": event,
            "url": link,
            "snapshot_url": snapshot_url,
            "clip_url": f"{self.settings.public_url}/api/events/{facts.event_id}/clip",
            "channels": [],
        }
        deliveries: list[Delivery] = []
        if deliver:
            deliveries = await self._deliver_direct(rule, payload, event, link)
            # Recorded before publishing: a retry after a failed publication finds them and does
            # not send e-mails and webhooks twice.
            await self._record(alert["id"], deliveries)
            handed = [ch for ch in rule.channels if ch.type in ("mqtt", "ha")]
            payload["channels"] = sorted({ch.type for ch in handed})
            for ch in handed:
                if ch.type == "ha":
                    payload["ha"] = ha_section(
                        payload, dict(ch.settings), link=link, snapshot_url=snapshot_url
                    )
        stream_id: str | None = None
        error = ""
        try:
            stream_id = await self.publisher.publish("alert", payload)
        except Exception as exc:
            if not payload["channels"]:
                raise
            error = f"{type(exc).__name__}: {exc}"
        if deliver:
            handed_off: list[Delivery] = []
            for ch in rule.channels:
                if ch.type == "mqtt":
                    handed_off.append(self.mqtt.handed_off(stream_id, error))
                elif ch.type == "ha":
                    handed_off.append(self.ha.handed_off(stream_id, ch.settings.get("notify_service"), error))
            await self._record(alert["id"], handed_off)
            deliveries += handed_off
        await self._dead_letter_failures(rule, alert["id"], facts.event_id, deliveries)
        log.info(
            "alert id=%s rule=%s event=%s new=%s escalated=%s quiet=%s deliveries=%s",
            alert["id"],
            rule.id,
            facts.event_id,
            created,
            escalated,
            held_back,
            ",".join(f"{d.channel}:{d.outcome}" for d in deliveries) or "-",
        )
        return payload

    async def _record(self, alert_id: int, deliveries: list[Delivery]) -> None:
        for d in deliveries:
            await store.record_delivery(
                self.pool,
                alert_id,
                d.channel,
                d.outcome,
                target=d.target,
                detail=d.detail,
                attempts=d.attempts,
            )

    async def _dead_letter_failures(
        self, rule: AlertRule, alert_id: int, event_id: str, deliveries: list[Delivery]
    ) -> None:
        """A delivery that failed for good (retries spent, refused, blocked) becomes a dead letter
        naming the channel and reason; replaying it delivers on that channel again."""
        for d in deliveries:
            if d.outcome == "ok" or d.channel not in DIRECT_CHANNELS:
                continue
            log.warning(
                "dead_letter stage=alerts alert=%s channel=%s target=%s reason=%s",
                alert_id,
                d.channel,
                d.target,
                d.detail,
            )
            await add_dead_letter(
                self.pool,
                stage=DEAD_LETTER_STAGE,
                reason=f"{d.channel} delivery {d.outcome} (target {d.target}): {d.detail}"[:2000],
                payload={
                    "kind": "delivery",
                    "alert_id": alert_id,
                    "rule_id": rule.id,
                    "event_id": event_id,
                    "channel": d.channel,
                    "target": d.target,
                },
                attempts=max(1, d.attempts),
            )

    async def redeliver_replayed(self) -> int:
        """Deliver again the alert dead letters an admin replayed; returns how many were taken."""
        letters = await store.claim_replayed_dead_letters(self.pool, DEAD_LETTER_STAGE, limit=20)
        for letter in letters:
            payload = letter["payload"]
            try:
                if payload.get("kind") == "message":
                    message = payload.get("message") or {}
                    await self.process_event(dict(message.get("data") or {}))
                elif payload.get("kind") == "delivery":
                    await self._redeliver(payload)
            except Exception as exc:
                if is_transient(exc):
                    raise
                log.exception("alerts replay failed dead_letter=%s", letter["id"])
                await add_dead_letter(
                    self.pool,
                    stage=DEAD_LETTER_STAGE,
                    reason=f"replay failed: {type(exc).__name__}: {exc}"[:2000],
                    payload={k: v for k, v in payload.items() if k != "redelivered_at"},
                )
        return len(letters)

    async def _redeliver(self, letter: dict[str, Any]) -> None:
        alert = await store.get_alert(self.pool, int(letter["alert_id"]))
        rules = {r.id: r for r in await store.all_rules(self.pool)}
        rule = rules.get(int(letter["rule_id"]))
        if alert is None or rule is None:
            raise LookupError("its alert or rule no longer exists")
        event_id = str(letter.get("event_id", ""))
        event = await store.event_json(self.pool, event_id) or {"id": event_id}
        link = f"{self.settings.public_url}/api/events/{event_id}"
        payload: dict[str, Any] = {
            **alert,
            "new": False,
            "escalated": False,
            "quiet": False,
            "redelivery": True,
            "event": event,
            "url": link,
            "snapshot_url": f"{self.settings.public_url}/api/events/{event_id}/snapshot",
            "clip_url": f"{self.settings.public_url}/api/events/{event_id}/clip",
            "channels": [],
        }
        only = str(letter.get("channel"))
        target = str(letter.get("target", ""))
        deliveries = [
            d
            for d in await self._deliver_direct(rule, payload, event, link, only=only)
            if d.target == target or not target
        ]
        for d in deliveries:
            await store.record_delivery(
                self.pool,
                alert["id"],
                d.channel,
                d.outcome,
                target=d.target,
                detail=d.detail,
                attempts=d.attempts,
            )
        log.info(
            "alert redelivered id=%s channel=%s outcomes=%s",
            alert["id"],
            only,
            ",".join(d.outcome for d in deliveries) or "-",
        )
        await self._dead_letter_failures(rule, alert["id"], event_id, deliveries)

    async def run_redeliveries(self, stop: asyncio.Event, poll_seconds: float = 5.0) -> None:
        """Poll for replayed alert dead letters and deliver them again, until `stop` is set."""
        while not stop.is_set():
            try:
                await self.redeliver_replayed()
            except Exception as exc:
                log.warning("alerts replay waiting: %s", exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=poll_seconds)

    async def _deliver_direct(
        self,
        rule: AlertRule,
        payload: dict[str, Any],
        event: dict[str, Any],
        link: str,
        *,
        only: str | None = None,
    ) -> list[Delivery]:
        jobs = []
        kinds: list[tuple[str, str]] = []
        snapshot: Snapshot | None = None
        channels = [ch for ch in rule.channels if only is None or ch.type == only]
        if any(ch.type == "email" for ch in channels):
            snapshot = await self._snapshot(event)
        for ch in channels:
            if ch.type == "email":
                kinds.append(("email", ", ".join(ch.settings["to"])))
                jobs.append(
                    self.email.send(
                        payload,
                        list(ch.settings["to"]),
                        link=link,
                        snapshot=snapshot,
                        subject_prefix=str(ch.settings.get("subject_prefix", "[HSI]")),
                    )
                )
            elif ch.type == "webhook":
                kinds.append(("webhook", str(ch.settings["url"]).split("?", 1)[0]))
                jobs.append(self.webhook.send(payload, str(ch.settings["url"]), ch.settings.get("secret")))
        results = await asyncio.gather(*jobs, return_exceptions=True)
        deliveries: list[Delivery] = []
        for (kind, target), result in zip(kinds, results, strict=True):
            if isinstance(result, BaseException):
                log.error("alerts channel=%s crashed: %r", kind, result)
                deliveries.append(Delivery(kind, target, "failed", f"{type(result).__name__}: {result}", 1))
            else:
                deliveries.append(result)
        return deliveries

    async def _snapshot(self, event: dict[str, Any]) -> Snapshot | None:
        """The event's first image from the media folder (confined to it), for inline e-mail."""
        root = self.settings.media_dir.resolve()
        candidates: list[str] = []
        for url in event.get("media") or []:
            if isinstance(url, str) and url.startswith(MEDIA_URL_PREFIX):
                candidates.append(url[len(MEDIA_URL_PREFIX) :])
        if not candidates:
            candidates = [
                p
                for p, kind in await store.event_media_paths(self.pool, str(event.get("id", "")))
                if kind == "image"
            ]
        for rel in candidates:
            suffix = rel.lower().rsplit(".", 1)[-1]
            if suffix not in ("jpg", "jpeg", "png"):
                continue
            path = (root / rel).resolve()
            if not path.is_relative_to(root) or not path.is_file():
                continue
            if path.stat().st_size > MAX_SNAPSHOT_BYTES:
                continue
            data = await asyncio.to_thread(path.read_bytes)
            return Snapshot(data, "png" if suffix == "png" else "jpeg")
        return None

    async def _quiet_bypass(self, now_local: datetime) -> int | None:
        """During quiet hours: the lowest severity rank still delivered; None outside quiet hours."""
        doc = await store.get_alert_setting(self.pool, "quiet_hours")
        if not doc or not doc.get("enabled", True):
            return None
        try:
            schedule = parse_schedule(doc.get("schedule", {}), "quiet_hours.schedule", bounded=False)
        except InvalidRule as exc:
            log.warning("alerts quiet hours ignored: %s", exc)
            return None
        if not in_schedule(schedule, now_local):
            return None
        return severity_rank(str(doc.get("bypass_severity", "critical")))

    # -- daily digest --------------------------------------------------------------------------

    async def build_digest(self, until: datetime, hours: float = 24.0) -> dict[str, Any]:
        """A summary of the alerts of the `hours` before `until`: counts and the top five."""
        since = until - timedelta(hours=hours)
        alerts = await store.list_alerts(self.pool, limit=1000, since=since, until=until)
        by_severity = Counter(a["severity"] for a in alerts)
        by_camera: Counter[str] = Counter()
        for a in alerts:
            by_camera.update(a["cameras"])
        top = sorted(alerts, key=lambda a: (-a["risk_score"], a["created_at"]))[:5]
        from inference_server.store.digest import event_digest

        # The events of the local day before `until` (store/digest.py): counts, notable, unusual.
        events = await event_digest(
            self.pool, self.tz, "day", (until.astimezone(self.tz) - timedelta(days=1)).date()
        )
        return {
            "type": "digest",
            "since": since.isoformat(),
            "until": until.isoformat(),
            "alerts": len(alerts),
            "held_back_by_quiet_hours": sum(1 for a in alerts if a["status"] == "quiet"),
            "by_severity": dict(by_severity),
            "by_camera": dict(by_camera),
            "top": [
                {
                    k: a[k]
                    for k in ("id", "rule", "severity", "risk_score", "summary", "cameras", "created_at")
                }
                for a in top
            ],
            "event_digest": events,
        }

    async def send_digest(self, day: date) -> dict[str, Any] | None:
        """Send the digest for a local day once (claimed in PostgreSQL); None when another worker
        already did or no digest is configured."""
        doc = await store.get_alert_setting(self.pool, "digest")
        if not doc or not doc.get("enabled", True):
            return None
        if not await store.claim_digest_day(self.pool, day):
            return None
        hh, mm = _digest_time(doc)
        until = datetime.combine(day, time(hh, mm), self.tz)
        digest = await self.build_digest(until)
        outcomes: list[Delivery] = []
        for i, raw in enumerate(doc.get("channels", [])):
            try:
                ch = parse_channel(raw, f"digest.channels[{i}]")
            except InvalidRule as exc:
                log.warning("digest channel ignored: %s", exc)
                continue
            if ch.type == "email":
                outcomes.append(await self.email.send_digest(digest, list(ch.settings["to"])))
            elif ch.type == "webhook":
                outcomes.append(
                    await self.webhook.send(digest, str(ch.settings["url"]), ch.settings.get("secret"))
                )
        await self.publisher.publish("system", {"id": f"digest-{day.isoformat()}", "digest": digest})
        outcome = "empty" if not outcomes else "ok" if all(o.outcome == "ok" for o in outcomes) else "failed"
        await store.finish_digest_day(self.pool, day, alerts=digest["alerts"], outcome=outcome)
        log.info("digest day=%s alerts=%d outcome=%s", day, digest["alerts"], outcome)
        return digest

    async def run_digest(self, stop: asyncio.Event, poll_seconds: float = 30.0) -> None:
        """Send each day's digest at the configured local time ("time": "HH:MM", default 08:00)."""
        while not stop.is_set():
            try:
                doc = await store.get_alert_setting(self.pool, "digest")
                if doc and doc.get("enabled", True):
                    now = self.clock().astimezone(self.tz)
                    hh, mm = _digest_time(doc)
                    if (now.hour, now.minute) >= (hh, mm):
                        await self.send_digest(now.date())
            except Exception as exc:
                if not is_transient(exc):
                    log.exception("digest failed")
                else:
                    log.warning("digest waiting for services: %s", exc)
            try:
                await asyncio.wait_for(stop.wait(), timeout=poll_seconds)
            except TimeoutError:
                pass


def _digest_time(doc: dict[str, Any]) -> tuple[int, int]:
    raw = str(doc.get("time", "08:00"))
    try:
        hh, mm = (int(p) for p in raw.split(":", 1))
        if 0 <= hh <= 23 and 0 <= mm <= 59:
            return hh, mm
    except ValueError:
        pass
    return 8, 0


def _parse_time(value: Any, default: datetime) -> datetime:
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
        except ValueError:
            pass
    return default
