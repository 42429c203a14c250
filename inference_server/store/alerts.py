"""Alert rules, alerts, deliveries, cooldowns and alert settings (PostgreSQL)."""

from __future__ import annotations

import uuid
from datetime import date, datetime, tzinfo
from typing import Any

import asyncpg

from inference_server.contract.risk import LEVELS, level_for_score, level_rank
from inference_server.domain.alert_rules import (
    AlertRule,
    InvalidRule,
    facts_from_event,
    parse_rule,
    rule_to_json,
    why_not,
)
from inference_server.store.db import Connection, Executor
from inference_server.store.events import fetch_event


class NotFound(LookupError):
    """A rule or event that does not exist; the message names it."""


# ---------------------------------------------------------------------------------------------
# Rules (the API's CRUD)

_RULE_COLUMNS = (
    "id, name, enabled, severity, conditions, channels, cooldown_seconds, group_window_seconds,"
    " created_at, updated_at"
)


def _rule_json(row: asyncpg.Record) -> dict[str, Any]:
    rule = _rule_from_row(row)
    out = rule_to_json(rule)
    out["created_at"] = row["created_at"].isoformat()
    out["updated_at"] = row["updated_at"].isoformat()
    return out


def _rule_from_row(row: asyncpg.Record) -> AlertRule:
    return parse_rule(
        {
            "id": row["id"],
            "name": row["name"],
            "enabled": row["enabled"],
            "severity": row["severity"],
            "conditions": row["conditions"],
            "channels": row["channels"],
            "cooldown_seconds": row["cooldown_seconds"],
            "group_window_seconds": row["group_window_seconds"],
        },
        stored=True,
    )


async def list_rules(pool: asyncpg.Pool) -> list[dict[str, Any]]:
    """Every rule as JSON, by id."""
    rows = await pool.fetch(f"SELECT {_RULE_COLUMNS} FROM alert_rules ORDER BY id")
    return [_rule_json(r) for r in rows]


async def get_rule(pool: asyncpg.Pool, rule_id: int) -> dict[str, Any] | None:
    """One rule as JSON, or None."""
    row = await pool.fetchrow(f"SELECT {_RULE_COLUMNS} FROM alert_rules WHERE id = $1", rule_id)
    return _rule_json(row) if row else None


async def create_rule(pool: asyncpg.Pool, data: dict[str, Any]) -> dict[str, Any]:
    """Validate (InvalidRule naming the field) and store a new rule; returns its JSON with the id."""
    body = {k: v for k, v in data.items() if k not in ("id", "created_at", "updated_at")}
    rule = rule_to_json(parse_rule(body))
    row = await pool.fetchrow(
        f"""
        INSERT INTO alert_rules (name, enabled, severity, conditions, channels, cooldown_seconds,
                                 group_window_seconds)
        VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {_RULE_COLUMNS}
        """,
        rule["name"],
        rule["enabled"],
        rule["severity"],
        rule["conditions"],
        rule["channels"],
        rule["cooldown_seconds"],
        rule["group_window_seconds"],
    )
    assert row is not None
    return _rule_json(row)


async def update_rule(pool: asyncpg.Pool, rule_id: int, data: dict[str, Any]) -> dict[str, Any] | None:
    """Replace a rule (PUT semantics: omitted fields take their defaults); None when it does not exist."""
    if data.get("id") is not None and data["id"] != rule_id:
        raise InvalidRule(f"id: {data['id']!r} does not match the rule being updated ({rule_id})")
    body = {k: v for k, v in data.items() if k not in ("id", "created_at", "updated_at")}
    rule = rule_to_json(parse_rule(body))
    row = await pool.fetchrow(
        f"""
        UPDATE alert_rules SET name = $2, enabled = $3, severity = $4, conditions = $5, channels = $6,
               cooldown_seconds = $7, group_window_seconds = $8, updated_at = now()
        WHERE id = $1 RETURNING {_RULE_COLUMNS}
        """,
        rule_id,
        rule["name"],
        rule["enabled"],
        rule["severity"],
        rule["conditions"],
        rule["channels"],
        rule["cooldown_seconds"],
        rule["group_window_seconds"],
    )
    return _rule_json(row) if row else None


async def delete_rule(pool: asyncpg.Pool, rule_id: int) -> bool:
    """Delete a rule (its alerts stay, detached); False when it did not exist."""
    result: str = await pool.execute("DELETE FROM alert_rules WHERE id = $1", rule_id)
    return result.endswith(" 1")


async def enabled_rules(pool: asyncpg.Pool) -> list[AlertRule]:
    """Every enabled rule, parsed."""
    rows = await pool.fetch(f"SELECT {_RULE_COLUMNS} FROM alert_rules WHERE enabled ORDER BY id")
    return [_rule_from_row(r) for r in rows]


async def test_rule(
    pool: asyncpg.Pool, rule_id: int, event_id: str, *, tz: tzinfo | None = None
) -> dict[str, Any]:
    """Judge a stored rule against a past event: {"matched", "reasons", "rule_id", "event_id", "enabled"}.

    The schedule is judged at the event's start in `tz` (the home's time zone; UTC if omitted).
    `matched` ignores whether the rule is enabled (that is reported separately). Raises NotFound
    for a missing rule or event, ValueError for an event id that is not a UUID.
    """
    try:
        uuid.UUID(str(event_id))
    except ValueError as exc:
        raise ValueError(f"event_id: not a UUID: {event_id!r}") from exc
    row = await pool.fetchrow(f"SELECT {_RULE_COLUMNS} FROM alert_rules WHERE id = $1", rule_id)
    if row is None:
        raise NotFound(f"alert rule {rule_id} does not exist")
    rule = _rule_from_row(row)
    event = await fetch_event(pool, str(event_id))
    if event is None:
        raise NotFound(f"event {event_id} does not exist")
    context = await event_context(pool, event.id)
    facts = facts_from_event(event.to_json(), context)
    local = event.started_at.astimezone(tz) if tz is not None else event.started_at
    reasons = why_not(rule, facts, local)
    return {
        "matched": not reasons,
        "reasons": reasons,
        "rule_id": rule_id,
        "event_id": event.id,
        "enabled": rule.enabled,
    }


test_rule.__test__ = False  # type: ignore[attr-defined]  # not a pytest test despite its name


# ---------------------------------------------------------------------------------------------
# Cooldowns


async def claim_cooldown(pool: asyncpg.Pool, key: str, seconds: int) -> bool:
    """Start the cooldown of `key` for `seconds` unless it is running; True for the one caller that did.

    Race-free: INSERT ... ON CONFLICT DO UPDATE ... WHERE until <= now() RETURNING gives a row to
    exactly one of any number of concurrent callers.
    """
    row = await pool.fetchval(
        """
        INSERT INTO alert_cooldowns (key, until) VALUES ($1, now() + make_interval(secs => $2))
        ON CONFLICT (key) DO UPDATE SET until = EXCLUDED.until
        WHERE alert_cooldowns.until <= now()
        RETURNING 1
        """,
        key,
        float(seconds),
    )
    return row is not None


async def claim_cooldowns(pool: asyncpg.Pool, keys: list[str], seconds: int) -> list[str]:
    """The keys whose cooldown this caller started (see claim_cooldown)."""
    won: list[str] = []
    for key in keys:
        if await claim_cooldown(pool, key, seconds):
            won.append(key)
    return won


async def purge_cooldowns(pool: asyncpg.Pool) -> int:
    """Delete expired cooldowns; returns how many."""
    result: str = await pool.execute("DELETE FROM alert_cooldowns WHERE until < now() - interval '1 day'")
    return int(result.split()[-1])


# ---------------------------------------------------------------------------------------------
# Alerts


def _alert_json(row: asyncpg.Record) -> dict[str, Any]:
    return {
        "id": row["id"],
        "rule_id": row["rule_id"],
        "rule": row["rule_name"],
        "severity": row["severity"],
        "group_key": row["group_key"],
        "status": row["status"],
        "event_ids": [str(e) for e in row["event_ids"]],
        "cameras": list(row["cameras"]),
        "objects": list(row["objects"]),
        "risk_score": row["risk_score"],
        "risk_level": row["risk_level"],
        "summary": row["summary"],
        "updates": row["updates"],
        "created_at": row["created_at"].isoformat(),
        "updated_at": row["updated_at"].isoformat(),
    }


async def alert_for_event(pool: asyncpg.Pool, rule_id: int, event_id: str) -> dict[str, Any] | None:
    """The alert a rule already raised for this event (an event.updated re-delivery), if any."""
    row = await pool.fetchrow(
        "SELECT * FROM alerts WHERE rule_id = $1 AND $2::uuid = ANY(event_ids) ORDER BY id DESC LIMIT 1",
        rule_id,
        event_id,
    )
    return _alert_json(row) if row else None


async def raise_alert(
    pool: asyncpg.Pool,
    *,
    rule: AlertRule,
    group_key: str,
    event: dict[str, Any],
    objects: list[str],
    status: str = "sent",
    window_seconds: int | None = None,
) -> tuple[dict[str, Any], bool, bool]:
    """Create an alert, or update the open alert of the same group (cross-camera grouping).

    An alert is open while its last update is younger than the rule's group window. Serialised per
    group with a transaction-scoped advisory lock, so concurrent workers never open two alerts for
    one group. Returns (alert JSON, created, escalated) where escalated means the risk level rose.
    """
    window = rule.group_window_seconds if window_seconds is None else window_seconds
    score = int(event["risk_score"])
    level = str(event.get("risk_level") or level_for_score(score).value)
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 48534))", group_key)
        row = None
        if window > 0:
            row = await conn.fetchrow(
                """
                SELECT * FROM alerts WHERE group_key = $1
                  AND updated_at > clock_timestamp() - make_interval(secs => $2)
                ORDER BY updated_at DESC LIMIT 1 FOR UPDATE
                """,
                group_key,
                float(window),
            )
        if row is None:
            new = await conn.fetchrow(
                """
                INSERT INTO alerts (rule_id, rule_name, severity, group_key, status, event_ids, cameras,
                                    objects, risk_score, risk_level, summary, created_at, updated_at)
                VALUES ($1, $2, $3, $4, $5, ARRAY[$6::uuid], ARRAY[$7::text], $8, $9, $10, $11,
                        clock_timestamp(), clock_timestamp())
                RETURNING *
                """,
                rule.id,
                rule.name,
                rule.severity,
                group_key,
                status,
                str(event["id"]),
                str(event["camera"]),
                objects,
                score,
                level,
                str(event.get("summary", "")),
            )
            assert new is not None
            return _alert_json(new), True, False
        return await _merge(conn, row, event, objects, score, level)


async def update_alert_with_event(
    pool: asyncpg.Pool, alert_id: int, event: dict[str, Any]
) -> tuple[dict[str, Any], bool]:
    """Fold a refined event into its existing alert; returns (alert JSON, escalated)."""
    score = int(event["risk_score"])
    level = str(event.get("risk_level") or level_for_score(score).value)
    async with pool.acquire() as conn, conn.transaction():
        row = await conn.fetchrow("SELECT * FROM alerts WHERE id = $1 FOR UPDATE", alert_id)
        if row is None:
            raise NotFound(f"alert {alert_id} does not exist")
        alert, _created, escalated = await _merge(conn, row, event, list(row["objects"]), score, level)
        return alert, escalated


async def _merge(
    conn: Connection,
    row: asyncpg.Record,
    event: dict[str, Any],
    objects: list[str],
    score: int,
    level: str,
) -> tuple[dict[str, Any], bool, bool]:
    escalated = level in LEVELS and level_rank(level) > level_rank(row["risk_level"])
    updated = await conn.fetchrow(
        """
        UPDATE alerts SET
            event_ids = CASE WHEN $2::uuid = ANY(event_ids) THEN event_ids ELSE event_ids || $2::uuid END,
            cameras = CASE WHEN $3 = ANY(cameras) THEN cameras ELSE cameras || $3 END,
            objects = ARRAY(SELECT DISTINCT unnest(objects || $4::text[]) ORDER BY 1),
            summary = CASE WHEN $5 >= risk_score THEN $7 ELSE summary END,
            risk_level = CASE WHEN $5 > risk_score THEN $6 ELSE risk_level END,
            risk_score = GREATEST(risk_score, $5),
            updates = updates + 1,
            updated_at = clock_timestamp()
        WHERE id = $1 RETURNING *
        """,
        row["id"],
        str(event["id"]),
        str(event["camera"]),
        objects,
        score,
        level,
        str(event.get("summary", "")),
    )
    assert updated is not None
    return _alert_json(updated), False, escalated


async def has_deliveries(pool: asyncpg.Pool, alert_id: int) -> bool:
    """Whether any delivery of the alert was recorded (any outcome)."""
    return bool(
        await pool.fetchval("SELECT EXISTS (SELECT 1 FROM alert_deliveries WHERE alert_id = $1)", alert_id)
    )


async def record_delivery(
    pool: asyncpg.Pool,
    alert_id: int,
    channel: str,
    outcome: str,
    *,
    target: str = "",
    detail: str = "",
    attempts: int = 1,
) -> None:
    """Record one delivery's outcome (ok | failed | blocked)."""
    await pool.execute(
        "INSERT INTO alert_deliveries (alert_id, channel, target, outcome, detail, attempts)"
        " VALUES ($1, $2, $3, $4, $5, $6)",
        alert_id,
        channel,
        target[:500],
        outcome,
        detail[:2000],
        attempts,
    )


async def list_alerts(
    pool: asyncpg.Pool, *, limit: int = 50, since: datetime | None = None, until: datetime | None = None
) -> list[dict[str, Any]]:
    """Alerts newest first, each with its deliveries."""
    rows = await pool.fetch(
        """
        SELECT * FROM alerts
        WHERE ($1::timestamptz IS NULL OR created_at >= $1) AND ($2::timestamptz IS NULL OR created_at < $2)
        ORDER BY created_at DESC, id DESC LIMIT $3
        """,
        since,
        until,
        limit,
    )
    alerts = [_alert_json(r) for r in rows]
    if alerts:
        deliveries = await pool.fetch(
            "SELECT * FROM alert_deliveries WHERE alert_id = ANY($1::bigint[]) ORDER BY at, id",
            [a["id"] for a in alerts],
        )
        by_alert: dict[int, list[dict[str, Any]]] = {}
        for d in deliveries:
            by_alert.setdefault(d["alert_id"], []).append(_delivery_json(d))
        for a in alerts:
            a["deliveries"] = by_alert.get(a["id"], [])
    return alerts


async def list_deliveries(pool: asyncpg.Pool, alert_id: int) -> list[dict[str, Any]]:
    """Every delivery of one alert, oldest first."""
    rows = await pool.fetch("SELECT * FROM alert_deliveries WHERE alert_id = $1 ORDER BY at, id", alert_id)
    return [_delivery_json(r) for r in rows]


def _delivery_json(row: asyncpg.Record) -> dict[str, Any]:
    return {
        "id": row["id"],
        "alert_id": row["alert_id"],
        "channel": row["channel"],
        "target": row["target"],
        "outcome": row["outcome"],
        "detail": row["detail"],
        "attempts": row["attempts"],
        "at": row["at"].isoformat(),
    }


# ---------------------------------------------------------------------------------------------
# Facts about events and cameras the engine needs


async def event_context(pool: Executor, event_id: str) -> dict[str, Any] | None:
    """The stored EventContext JSON of an event (confidences, re-ID cues), or None."""
    try:
        value = await pool.fetchval("SELECT context FROM events WHERE id = $1::uuid", str(event_id))
    except asyncpg.DataError:
        return None
    return dict(value) if isinstance(value, dict) else None


async def camera_muted_until(pool: asyncpg.Pool, camera: str) -> datetime | None:
    """When the camera's mute ends, if it is muted now."""
    value: datetime | None = await pool.fetchval(
        "SELECT muted_until FROM cameras WHERE id = $1 AND muted_until > now()", camera
    )
    return value


async def event_media_paths(pool: asyncpg.Pool, event_id: str) -> list[tuple[str, str]]:
    """(path relative to the media folder, kind) of an event's media, in capture order."""
    try:
        rows = await pool.fetch(
            "SELECT path, kind FROM media_files WHERE event_id = $1::uuid ORDER BY captured_at, id",
            str(event_id),
        )
    except asyncpg.DataError:
        return []
    return [(r["path"], r["kind"]) for r in rows]


# ---------------------------------------------------------------------------------------------
# Settings: quiet hours and digest


async def get_alert_setting(pool: asyncpg.Pool, key: str) -> dict[str, Any] | None:
    """An alert settings document ('quiet_hours' or 'digest'), or None."""
    value = await pool.fetchval("SELECT value FROM alert_settings WHERE key = $1", key)
    return dict(value) if isinstance(value, dict) else None


async def set_alert_setting(pool: asyncpg.Pool, key: str, value: dict[str, Any]) -> None:
    """Store an alert settings document (validated by the caller)."""
    await pool.execute(
        "INSERT INTO alert_settings (key, value) VALUES ($1, $2)"
        " ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = now()",
        key,
        value,
    )


async def claim_digest_day(pool: asyncpg.Pool, day: date) -> bool:
    """Claim the digest of a local day; True for the one caller (of any process) that gets it."""
    row = await pool.fetchval(
        "INSERT INTO alert_digests (day) VALUES ($1) ON CONFLICT (day) DO NOTHING RETURNING 1", day
    )
    return row is not None


async def finish_digest_day(pool: asyncpg.Pool, day: date, *, alerts: int, outcome: str) -> None:
    """Record how the digest of a day went (ok | failed | empty)."""
    await pool.execute(
        "UPDATE alert_digests SET sent_at = now(), alerts = $2, outcome = $3 WHERE day = $1",
        day,
        alerts,
        outcome,
    )


__all__ = [
    "NotFound",
    "alert_for_event",
    "camera_muted_until",
    "claim_cooldown",
    "claim_cooldowns",
    "claim_digest_day",
    "create_rule",
    "delete_rule",
    "enabled_rules",
    "event_context",
    "event_media_paths",
    "finish_digest_day",
    "get_alert_setting",
    "get_rule",
    "list_alerts",
    "list_deliveries",
    "list_rules",
    "raise_alert",
    "record_delivery",
    "set_alert_setting",
    "test_rule",
    "update_alert_with_event",
    "update_rule",
]


async def get_alert(pool: asyncpg.Pool, alert_id: int) -> dict[str, Any] | None:
    """One alert as JSON, or None."""
    row = await pool.fetchrow("SELECT * FROM alerts WHERE id = $1", alert_id)
    return _alert_json(row) if row else None


async def all_rules(pool: asyncpg.Pool) -> list[AlertRule]:
    """Every rule (enabled or not), parsed."""
    rows = await pool.fetch(f"SELECT {_RULE_COLUMNS} FROM alert_rules ORDER BY id")
    return [_rule_from_row(r) for r in rows]


async def event_json(pool: asyncpg.Pool, event_id: str) -> dict[str, Any] | None:
    """The Event JSON of an event, or None."""
    from inference_server.store.events import fetch_event

    try:
        event = await fetch_event(pool, event_id)
    except (asyncpg.DataError, ValueError):
        return None
    return event.to_json() if event else None


async def claim_replayed_dead_letters(pool: asyncpg.Pool, stage: str, *, limit: int) -> list[dict[str, Any]]:
    """Take the dead letters of `stage` an admin replayed and nobody has redone yet (each one is
    taken by exactly one worker: it is marked `redelivered_at` in the same statement)."""
    rows = await pool.fetch(
        "UPDATE dead_letters SET payload = payload || jsonb_build_object('redelivered_at', now())"
        " WHERE id IN (SELECT id FROM dead_letters WHERE stage = $1 AND replayed_at IS NOT NULL"
        " AND NOT payload ? 'redelivered_at' ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED)"
        " RETURNING id, payload",
        stage,
        limit,
    )
    return [{"id": r["id"], "payload": dict(r["payload"])} for r in rows]
