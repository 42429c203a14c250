"""Licence plates: the SQL behind plate reads and the gallery of known plates (domain/plates.py).

Every function takes plates in their normal form. The text lives only in `plate_reads`; an
event's context says per vehicle track only known / not known (and the gallery name). Deleting a
camera's reads (`forget_camera`) also empties those entries of the events they were read in.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg

from inference_server.domain.plates import PlateVisit


def _known(row: asyncpg.Record) -> dict[str, Any]:
    return {"plate": row["plate"], "name": row["name"], "created_at": row["created_at"].isoformat()}


async def known_plates(pool: asyncpg.Pool) -> dict[str, str | None]:
    """The gallery: plate -> name."""
    rows = await pool.fetch("SELECT plate, name FROM known_plates")
    return {r["plate"]: r["name"] for r in rows}


async def list_known(pool: asyncpg.Pool) -> list[dict[str, Any]]:
    """The gallery, plate order."""
    rows = await pool.fetch("SELECT plate, name, created_at FROM known_plates ORDER BY plate")
    return [_known(r) for r in rows]


async def set_known(pool: asyncpg.Pool, plate: str, name: str | None) -> dict[str, Any]:
    """Add a plate to the gallery or rename it."""
    row = await pool.fetchrow(
        "INSERT INTO known_plates (plate, name) VALUES ($1, $2)"
        " ON CONFLICT (plate) DO UPDATE SET name = EXCLUDED.name RETURNING plate, name, created_at",
        plate,
        name,
    )
    assert row is not None
    return _known(row)


async def delete_known(pool: asyncpg.Pool, plate: str) -> bool:
    """Remove a plate from the gallery; False when it was not in it."""
    return await pool.fetchval("DELETE FROM known_plates WHERE plate = $1 RETURNING plate", plate) is not None


async def save_reads(
    pool: asyncpg.Pool,
    *,
    camera: str,
    event_id: str,
    reads: Sequence[tuple[int, str, str, float, datetime]],
) -> None:
    """Store an event's reads `(track_id, label, plate, confidence, read_at)`; a second call for the
    same event replaces its reads (a redelivered window is read again, never counted twice)."""
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("DELETE FROM plate_reads WHERE event_id = $1::uuid", event_id)
        await conn.executemany(
            "INSERT INTO plate_reads (camera_id, event_id, track_id, label, plate, confidence, read_at)"
            " VALUES ($1, $2::uuid, $3, $4, $5, $6, $7)",
            [(camera, event_id, t, label, plate, conf, at) for t, label, plate, conf, at in reads],
        )


async def visits(
    pool: asyncpg.Pool, plates: list[str], since: datetime, tz: ZoneInfo, *, exclude_event: str | None = None
) -> list[PlateVisit]:
    """Past reads of these plates since `since`, one per plate x camera x local day (the event's own
    reads left out when `exclude_event` is given)."""
    if not plates:
        return []
    rows = await pool.fetch(
        "SELECT DISTINCT plate, camera_id, (read_at AT TIME ZONE $3)::date AS day FROM plate_reads"
        " WHERE plate = ANY($1::text[]) AND read_at >= $2"
        " AND ($4::uuid IS NULL OR event_id <> $4::uuid)",
        plates,
        since,
        str(tz),
        exclude_event,
    )
    return [PlateVisit(r["plate"], r["camera_id"], r["day"]) for r in rows]


async def list_reads(
    pool: asyncpg.Pool,
    *,
    camera: str | None = None,
    plate: str | None = None,
    before: datetime | None = None,
    limit: int = 100,
) -> list[dict[str, Any]]:
    """Reads, newest first, with whether the plate is in the gallery."""
    rows = await pool.fetch(
        "SELECT r.id, r.camera_id, r.event_id::text AS event_id, r.track_id, r.label, r.plate,"
        " r.confidence, r.read_at, k.name, (k.plate IS NOT NULL) AS known"
        " FROM plate_reads r LEFT JOIN known_plates k ON k.plate = r.plate"
        " WHERE ($1::text IS NULL OR r.camera_id = $1) AND ($2::text IS NULL OR r.plate = $2)"
        " AND ($3::timestamptz IS NULL OR r.read_at < $3)"
        " ORDER BY r.read_at DESC, r.id DESC LIMIT $4",
        camera,
        plate,
        before,
        limit,
    )
    return [
        {
            "id": r["id"],
            "camera": r["camera_id"],
            "event_id": r["event_id"],
            "track_id": r["track_id"],
            "label": r["label"],
            "plate": r["plate"],
            "confidence": round(float(r["confidence"]), 3),
            "read_at": r["read_at"].isoformat(),
            "known": r["known"],
            "name": r["name"],
        }
        for r in rows
    ]


async def forget_camera(pool: asyncpg.Pool, camera: str) -> int:
    """Delete every plate read of a camera and empty the plate entries of the events they were read
    in; how many reads were deleted."""
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(
            "UPDATE events SET context = jsonb_set(context, '{plates}', '[]'::jsonb)"
            " WHERE id IN (SELECT event_id FROM plate_reads WHERE camera_id = $1)",
            camera,
        )
        deleted = await conn.fetchval(
            "WITH d AS (DELETE FROM plate_reads WHERE camera_id = $1 RETURNING 1) SELECT count(*) FROM d",
            camera,
        )
    return int(deleted)


async def forget_cameras_except(pool: asyncpg.Pool, enabled: Sequence[str]) -> dict[str, int]:
    """`forget_camera` for every camera with plate reads that is not in `enabled` (start-up and
    housekeeping: turning a camera's plates off deletes what was read there); camera -> reads deleted."""
    rows = await pool.fetch(
        "SELECT DISTINCT camera_id FROM plate_reads WHERE NOT (camera_id = ANY($1::text[]))", list(enabled)
    )
    return {r["camera_id"]: await forget_camera(pool, r["camera_id"]) for r in rows}


async def expire(pool: asyncpg.Pool, older_than: datetime) -> int:
    """Delete reads older than the retention; how many."""
    n = await pool.fetchval(
        "WITH d AS (DELETE FROM plate_reads WHERE read_at < $1 RETURNING 1) SELECT count(*) FROM d",
        older_than,
    )
    return int(n)
