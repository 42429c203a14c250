"""Events (PostgreSQL): the system of record of what happened."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from inference_server.domain.events import Event
from inference_server.domain.risk import RiskAssessment
from inference_server.store.db import Executor

MEDIA_URL_PREFIX = "/api/media/"


async def save_event(
    pool: asyncpg.Pool,
    *,
    event_id: str,
    camera: str,
    started_at: datetime,
    ended_at: datetime,
    assessment: RiskAssessment,
    objects: dict[str, int],
    zones: list[str],
    context: dict[str, Any],
    fast_path: bool,
    final: bool,
    media_ids: list[int],
    detection_ids: list[int],
    scored_level: str | None = None,
) -> tuple[Event, bool]:
    """Insert or refine an event with its detections and media, in one transaction.

    `scored_level` is the level the scorer gave before residents' feedback moved the score (what
    later feedback is keyed on); None: the assessment's own level.
    Returns the stored event and whether it was created (False: an existing preliminary event was
    refined). A final event is never overwritten by a preliminary one.
    """
    async with pool.acquire() as conn, conn.transaction():
        row = await conn.fetchrow(
            """
            INSERT INTO events (id, camera_id, started_at, ended_at, risk_score, risk_level, summary,
                                reasoning, objects, zones, context, fast_path, final, assessed_by, model, scored_level)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
            ON CONFLICT (id) DO UPDATE SET
                started_at = LEAST(events.started_at, EXCLUDED.started_at),
                ended_at = GREATEST(events.ended_at, EXCLUDED.ended_at),
                risk_score = EXCLUDED.risk_score, risk_level = EXCLUDED.risk_level,
                summary = EXCLUDED.summary, reasoning = EXCLUDED.reasoning,
                objects = EXCLUDED.objects, zones = EXCLUDED.zones, context = EXCLUDED.context,
                fast_path = events.fast_path OR EXCLUDED.fast_path, final = EXCLUDED.final,
                assessed_by = EXCLUDED.assessed_by, model = EXCLUDED.model,
                scored_level = EXCLUDED.scored_level, updated_at = now()
            WHERE NOT events.final OR EXCLUDED.final
            RETURNING (xmax = 0) AS created
            """,
            event_id,
            camera,
            started_at,
            ended_at,
            assessment.risk_score,
            assessment.risk_level.value,
            assessment.summary,
            assessment.reasoning,
            objects,
            zones,
            context,
            fast_path,
            final,
            assessment.assessed_by,
            assessment.model,
            scored_level or assessment.risk_level.value,
        )
        created = bool(row["created"]) if row else False
        if media_ids:
            await conn.execute(
                "UPDATE media_files SET event_id = $1 WHERE id = ANY($2::bigint[])", event_id, media_ids
            )
        if detection_ids:
            await conn.execute(
                "INSERT INTO event_detections (event_id, detection_id)"
                " SELECT $1, unnest($2::bigint[]) ON CONFLICT DO NOTHING",
                event_id,
                detection_ids,
            )
        event = await fetch_event(conn, event_id)
    assert event is not None
    return event, created


async def is_final(pool: asyncpg.Pool, event_id: str) -> bool:
    """Whether the event exists and has been refined by its closed window."""
    return bool(await pool.fetchval("SELECT final FROM events WHERE id = $1", event_id))


@dataclass(frozen=True, slots=True)
class EventSpan:
    """Where and when an event happened (what a clip of it needs)."""

    camera: str
    started_at: datetime
    ended_at: datetime


async def event_span(pool: asyncpg.Pool, event_id: str) -> EventSpan | None:
    """The event's camera and time span, or None when there is no such event."""
    row = await pool.fetchrow("SELECT camera_id, started_at, ended_at FROM events WHERE id = $1", event_id)
    if row is None:
        return None
    return EventSpan(camera=row["camera_id"], started_at=row["started_at"], ended_at=row["ended_at"])


_SELECT = """
SELECT e.*, c.name AS camera_name, e.context->'behaviours' AS behaviours,
       COALESCE((SELECT array_agg(m.path ORDER BY m.captured_at, m.id) FROM media_files m
                 WHERE m.event_id = e.id), '{}') AS media_paths
FROM events e JOIN cameras c ON c.id = e.camera_id
"""


def _behaviours(value: Any) -> list[dict[str, Any]]:
    """The behaviours of the stored context (JSON text or decoded), in the Event JSON shape."""
    if isinstance(value, str):
        value = json.loads(value)
    if not isinstance(value, list):
        return []
    keys = ("kind", "subject", "strength", "explanation", "entity_id")
    return [{k: item.get(k) for k in keys} for item in value if isinstance(item, dict)]


def event_from_row(row: asyncpg.Record) -> Event:
    """Build the domain event from a row of the _SELECT shape (or queries' _EVENT_COLUMNS)."""
    return Event(
        id=str(row["id"]),
        camera=row["camera_id"],
        camera_name=row["camera_name"],
        started_at=row["started_at"],
        ended_at=row["ended_at"],
        risk_score=row["risk_score"],
        summary=row["summary"],
        reasoning=row["reasoning"],
        objects=dict(row["objects"]),
        assessed_by=row["assessed_by"],
        model=row["model"],
        zones=list(row["zones"]),
        fast_path=row["fast_path"],
        reviewed=row["reviewed"],
        notes=row["notes"],
        media=[MEDIA_URL_PREFIX + p for p in row["media_paths"]],
        feedback=row["feedback"],
        behaviours=_behaviours(row["behaviours"]),
    )


async def fetch_event(conn: Executor, event_id: str) -> Event | None:
    """One event by id."""
    row = await conn.fetchrow(_SELECT + " WHERE e.id = $1", event_id)
    return event_from_row(row) if row else None


async def recent_events(pool: asyncpg.Pool, limit: int = 50) -> list[Event]:
    """The newest events."""
    rows = await pool.fetch(_SELECT + " ORDER BY e.started_at DESC, e.id DESC LIMIT $1", limit)
    return [event_from_row(r) for r in rows]
