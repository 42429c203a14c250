"""Known entities and residents' feedback: the SQL behind naming/forgetting entities and review answers."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg

from inference_server.domain.feedback import PastFeedback, is_known, situation


def _entity(row: asyncpg.Record) -> dict[str, Any]:
    return {
        "id": row["id"],
        "label": row["label"],
        "name": row["name"],
        "known": row["known"],
        "first_seen": row["first_seen"].isoformat(),
        "last_seen": row["last_seen"].isoformat(),
        "cameras": list(row["cameras"]),
        "sightings": row["sightings"],
    }


_ENTITY_COLUMNS = "id::text AS id, label, name, known, first_seen, last_seen, cameras, sightings"


async def list_entities(
    pool: asyncpg.Pool, *, known: bool | None = None, label: str | None = None, limit: int = 100
) -> list[dict[str, Any]]:
    """Entities, most recently seen first, optionally only known/unknown ones or one label."""
    rows = await pool.fetch(
        f"SELECT {_ENTITY_COLUMNS} FROM entities"
        " WHERE ($1::boolean IS NULL OR known = $1) AND ($2::text IS NULL OR label = $2)"
        " ORDER BY last_seen DESC, id LIMIT $3",
        known,
        label,
        limit,
    )
    return [_entity(r) for r in rows]


async def update_entity(
    pool: asyncpg.Pool, entity_id: str, *, name: str | None, known: bool | None, clear_name: bool = False
) -> dict[str, Any] | None:
    """Name an entity and/or mark it known; None when there is no such entity."""
    row = await pool.fetchrow(
        f"UPDATE entities SET name = CASE WHEN $4 THEN NULL ELSE COALESCE($2, name) END,"
        f" known = COALESCE($3, known) WHERE id = $1::uuid RETURNING {_ENTITY_COLUMNS}",
        entity_id,
        name,
        known,
        clear_name,
    )
    return _entity(row) if row else None


async def forget_entity(pool: asyncpg.Pool, entity_id: str) -> int | None:
    """Delete an entity and every sighting (embedding) of it; the number of sightings deleted, or None."""
    async with pool.acquire() as conn, conn.transaction():
        count = await conn.fetchval("SELECT count(*) FROM sightings WHERE entity_id = $1::uuid", entity_id)
        found = await conn.fetchval("DELETE FROM entities WHERE id = $1::uuid RETURNING id", entity_id)
    return None if found is None else int(count)


async def known_entities(pool: asyncpg.Pool, entity_ids: list[str]) -> dict[str, tuple[str, str | None]]:
    """Of these entities, the known ones: id -> (label, name)."""
    if not entity_ids:
        return {}
    rows = await pool.fetch(
        "SELECT id::text AS id, label, name FROM entities WHERE known AND id = ANY($1::uuid[])",
        entity_ids,
    )
    return {r["id"]: (r["label"], r["name"]) for r in rows}


async def set_feedback(pool: asyncpg.Pool, event_id: str, kind: str | None) -> bool:
    """Store (or clear, with None) the residents' answer on an event; it also marks it reviewed."""
    found = await pool.fetchval(
        "UPDATE events SET feedback = $2, feedback_at = CASE WHEN $2::text IS NULL THEN NULL ELSE now() END,"
        " reviewed = reviewed OR $2::text IS NOT NULL, updated_at = now() WHERE id = $1::uuid RETURNING id",
        event_id,
        kind,
    )
    return found is not None


async def past_feedback(
    pool: asyncpg.Pool,
    camera: str,
    before: datetime,
    tz: ZoneInfo,
    lookback_days: int,
    *,
    exclude_event: str | None = None,
    limit: int = 1000,
) -> list[PastFeedback]:
    """The answers on this camera's events of the last `lookback_days` before `before`, each with
    the level its event was scored at before feedback."""
    rows = await pool.fetch(
        "SELECT feedback, objects, zones, started_at, COALESCE(scored_level, risk_level) AS level,"
        " context->'attributes' AS attributes, context->'known' AS known FROM events"
        " WHERE camera_id = $1 AND feedback IS NOT NULL AND started_at < $2 AND started_at >= $3"
        " AND ($4::uuid IS NULL OR id <> $4::uuid)"
        " ORDER BY started_at DESC LIMIT $5",
        camera,
        before,
        before - timedelta(days=lookback_days),
        exclude_event,
        limit,
    )
    out: list[PastFeedback] = []
    for r in rows:
        objects = r["objects"]
        if isinstance(objects, str):
            objects = json.loads(objects)
        counts = {str(k): int(v) for k, v in dict(objects).items() if isinstance(v, int)}
        attributes, known = r["attributes"], r["known"]
        known_here = is_known(
            attributes if isinstance(attributes, list) else (), known if isinstance(known, list) else ()
        )
        hour = r["started_at"].astimezone(tz).hour
        key = situation(camera, counts, r["zones"], hour, known_here, r["level"])
        out.append(PastFeedback(r["feedback"], key))
    return out


async def reset_feedback(pool: asyncpg.Pool, camera: str | None) -> int:
    """Clear the answers (of one camera, or all); the number of events cleared."""
    result = await pool.execute(
        "UPDATE events SET feedback = NULL, feedback_at = NULL"
        " WHERE feedback IS NOT NULL AND ($1::text IS NULL OR camera_id = $1)",
        camera,
    )
    return int(result.split()[-1])
