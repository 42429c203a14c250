"""Tripwires (directed lines per camera) and the entity history: the behaviour aggregate's SQL."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg

from inference_server.domain.behaviour import Visit
from inference_server.domain.zones import InvalidZone, Tripwire

log = logging.getLogger(__name__)


class TripwireConflict(Exception):
    """The camera already has a tripwire of that name."""


class UnknownCamera(Exception):
    """The tripwire names a camera that does not exist."""


def _row(row: asyncpg.Record) -> dict[str, Any]:
    return {
        "id": row["id"],
        "camera": row["camera_id"],
        "name": row["name"],
        "a": [round(float(row["a_x"]), 6), round(float(row["a_y"]), 6)],
        "b": [round(float(row["b_x"]), 6), round(float(row["b_y"]), 6)],
        "enabled": row["enabled"],
    }


async def list_tripwires(pool: asyncpg.Pool, camera: str | None = None) -> list[dict[str, Any]]:
    """Tripwires, optionally of one camera, by camera then id."""
    rows = await pool.fetch(
        "SELECT * FROM tripwires WHERE ($1::text IS NULL OR camera_id = $1) ORDER BY camera_id, id",
        camera,
    )
    return [_row(r) for r in rows]


async def get_tripwire(pool: asyncpg.Pool, tripwire_id: int) -> dict[str, Any] | None:
    """One tripwire by id."""
    row = await pool.fetchrow("SELECT * FROM tripwires WHERE id = $1", tripwire_id)
    return _row(row) if row else None


async def save_tripwire(
    pool: asyncpg.Pool, data: dict[str, Any], tripwire_id: int | None = None
) -> dict[str, Any] | None:
    """Create (id None) or replace a tripwire; None when replacing one that does not exist.

    `data` has camera, name, a, b (points as [x, y]) and enabled, already validated.
    Raises UnknownCamera and TripwireConflict.
    """
    values = (
        data["camera"],
        data["name"],
        data["a"][0],
        data["a"][1],
        data["b"][0],
        data["b"][1],
        data["enabled"],
    )
    try:
        if tripwire_id is None:
            row = await pool.fetchrow(
                "INSERT INTO tripwires (camera_id, name, a_x, a_y, b_x, b_y, enabled)"
                " VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *",
                *values,
            )
        else:
            row = await pool.fetchrow(
                "UPDATE tripwires SET camera_id = $1, name = $2, a_x = $3, a_y = $4, b_x = $5,"
                " b_y = $6, enabled = $7, updated_at = now() WHERE id = $8 RETURNING *",
                *values,
                tripwire_id,
            )
    except asyncpg.ForeignKeyViolationError as exc:
        raise UnknownCamera(f"no camera {data['camera']!r}") from exc
    except asyncpg.UniqueViolationError as exc:
        raise TripwireConflict(
            f"camera {data['camera']!r} already has a tripwire named {data['name']!r}"
        ) from exc
    return _row(row) if row else None


async def delete_tripwire(pool: asyncpg.Pool, tripwire_id: int) -> dict[str, Any] | None:
    """Delete a tripwire; returns what was deleted (None: no such tripwire)."""
    row = await pool.fetchrow("DELETE FROM tripwires WHERE id = $1 RETURNING *", tripwire_id)
    return _row(row) if row else None


async def tripwires_for_camera(pool: asyncpg.Pool, camera: str) -> list[Tripwire]:
    """The camera's enabled tripwires as domain objects (a row that no longer validates is skipped)."""
    rows = await pool.fetch(
        "SELECT * FROM tripwires WHERE camera_id = $1 AND enabled ORDER BY id",
        camera,
    )
    lines: list[Tripwire] = []
    for row in rows:
        try:
            lines.append(
                Tripwire(
                    name=row["name"],
                    a=(float(row["a_x"]), float(row["a_y"])),
                    b=(float(row["b_x"]), float(row["b_y"])),
                )
            )
        except InvalidZone as exc:
            log.warning("tripwire skipped camera=%s tripwire=%s reason=%s", camera, row["name"], exc)
    return lines


# --- entity history ----------------------------------------------------------------------------


async def entity_visits(
    pool: asyncpg.Pool, entity_ids: list[str], since: datetime, tz: ZoneInfo
) -> list[Visit]:
    """Past sightings of these entities since `since`, one per entity x camera x local day."""
    if not entity_ids:
        return []
    rows = await pool.fetch(
        "SELECT DISTINCT entity_id::text AS entity_id, label, camera_id,"
        " (seen_at AT TIME ZONE $3)::date AS day"
        " FROM sightings WHERE entity_id = ANY($1::uuid[]) AND seen_at >= $2",
        entity_ids,
        since,
        str(tz),
    )
    return [Visit(r["entity_id"], r["label"], r["camera_id"], r["day"]) for r in rows]


async def entity(pool: asyncpg.Pool, entity_id: str) -> dict[str, Any] | None:
    """One re-ID entity (None when unknown)."""
    row = await pool.fetchrow(
        "SELECT id::text AS id, label, first_seen, last_seen, cameras, sightings FROM entities"
        " WHERE id = $1::uuid",
        entity_id,
    )
    if row is None:
        return None
    return {
        "id": row["id"],
        "label": row["label"],
        "first_seen": row["first_seen"].isoformat(),
        "last_seen": row["last_seen"].isoformat(),
        "cameras": list(row["cameras"]),
        "sightings": row["sightings"],
    }


async def entity_history(
    pool: asyncpg.Pool, entity_id: str, *, limit: int = 200, before: datetime | None = None
) -> list[dict[str, Any]]:
    """The entity's sightings, newest first: camera, time, event and similarity."""
    rows = await pool.fetch(
        "SELECT s.camera_id, s.seen_at, s.event_id::text AS event_id, s.similarity, s.label,"
        " e.risk_score, e.risk_level, e.summary"
        " FROM sightings s LEFT JOIN events e ON e.id = s.event_id"
        " WHERE s.entity_id = $1::uuid AND ($2::timestamptz IS NULL OR s.seen_at < $2)"
        " ORDER BY s.seen_at DESC, s.id DESC LIMIT $3",
        entity_id,
        before,
        limit,
    )
    return [
        {
            "camera": r["camera_id"],
            "seen_at": r["seen_at"].isoformat(),
            "event_id": r["event_id"],
            "label": r["label"],
            "similarity": None if r["similarity"] is None else round(float(r["similarity"]), 4),
            "risk_score": r["risk_score"],
            "risk_level": r["risk_level"],
            "summary": r["summary"],
        }
        for r in rows
    ]
