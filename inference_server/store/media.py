"""Media files, detections and dead letters (PostgreSQL)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from inference_server.domain.detections import Box, Detection
from inference_server.store.db import Executor


@dataclass(frozen=True, slots=True)
class MediaRecord:
    """A stored upload."""

    id: int
    camera: str
    sha256: str
    path: str
    original_name: str
    kind: str
    size_bytes: int
    captured_at: datetime
    status: str
    event_id: str | None


@dataclass(frozen=True, slots=True)
class StoredDetection:
    """A detection as persisted, with its frame."""

    id: int
    media_id: int
    frame_index: int
    frame_offset_s: float
    detection: Detection


def _media(row: asyncpg.Record) -> MediaRecord:
    return MediaRecord(
        id=row["id"],
        camera=row["camera_id"],
        sha256=row["sha256"],
        path=row["path"],
        original_name=row["original_name"],
        kind=row["kind"],
        size_bytes=row["size_bytes"],
        captured_at=row["captured_at"],
        status=row["status"],
        event_id=str(row["event_id"]) if row["event_id"] else None,
    )


async def ensure_camera(conn: Executor, camera: str, name: str) -> None:
    """Create the camera on first sight and record that it was seen."""
    await conn.execute(
        "INSERT INTO cameras (id, name, last_seen_at) VALUES ($1, $2, now())"
        " ON CONFLICT (id) DO UPDATE SET last_seen_at = now()",
        camera,
        name,
    )


async def insert_media(
    pool: asyncpg.Pool,
    *,
    camera: str,
    camera_name: str,
    sha256: str,
    path: str,
    original_name: str,
    kind: str,
    size_bytes: int,
    captured_at: datetime,
) -> int | None:
    """Record an accepted upload; None when the same content (SHA-256) was stored before."""
    async with pool.acquire() as conn, conn.transaction():
        await ensure_camera(conn, camera, camera_name)
        media_id: int | None = await conn.fetchval(
            "INSERT INTO media_files (camera_id, sha256, path, original_name, kind, size_bytes, captured_at)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (sha256) DO NOTHING RETURNING id",
            camera,
            sha256,
            path,
            original_name,
            kind,
            size_bytes,
            captured_at,
        )
        return media_id


async def media_exists(pool: asyncpg.Pool, sha256: str) -> bool:
    """Whether content with this hash is already stored."""
    return bool(await pool.fetchval("SELECT 1 FROM media_files WHERE sha256 = $1", sha256))


async def get_media_many(pool: asyncpg.Pool, ids: list[int]) -> dict[int, MediaRecord]:
    """Media records by id."""
    rows = await pool.fetch("SELECT * FROM media_files WHERE id = ANY($1::bigint[])", ids)
    return {r["id"]: _media(r) for r in rows}


async def queued_media_ids(pool: asyncpg.Pool) -> list[int]:
    """Uploads accepted but not yet detected (to re-enqueue after a crash)."""
    rows = await pool.fetch("SELECT id FROM media_files WHERE status = 'queued' ORDER BY id")
    return [r["id"] for r in rows]


async def media_around(
    pool: asyncpg.Pool, camera: str, event_id: str, start: datetime, end: datetime
) -> list[tuple[str, str]]:
    """(path, kind) of the event's media and of the camera's other media captured between `start` and
    `end`, oldest first; dead letters left out."""
    rows = await pool.fetch(
        "SELECT path, kind FROM media_files WHERE camera_id = $1 AND status <> 'dead_letter'"
        " AND (event_id = $2 OR captured_at BETWEEN $3 AND $4) ORDER BY captured_at, id",
        camera,
        event_id,
        start,
        end,
    )
    return [(r["path"], r["kind"]) for r in rows]


async def save_detections(
    pool: asyncpg.Pool,
    results: dict[int, list[tuple[int, float, list[Detection]]]],
    detector: str | None = None,
) -> set[int]:
    """Persist the detections of several media files and mark them done, in one transaction.

    `detector` is the id of the model that found them (e.g. yolo26n, opencv-hog), kept per row.

    Idempotent: media already processed (a redelivered queue entry) are skipped; returns the ids
    whose detections were written now.
    """
    if not results:
        return set()
    async with pool.acquire() as conn, conn.transaction():
        rows = await conn.fetch(
            "SELECT id FROM media_files WHERE id = ANY($1::bigint[]) AND status = 'queued' ORDER BY id FOR UPDATE",
            list(results),
        )
        fresh = {r["id"] for r in rows}
        values = [
            (media_id, idx, offset, d.label, d.confidence, d.box.x1, d.box.y1, d.box.x2, d.box.y2, detector)
            for media_id in sorted(fresh)
            for idx, offset, dets in results[media_id]
            for d in dets
        ]
        if values:
            await conn.executemany(
                "INSERT INTO detections"
                " (media_id, frame_index, frame_offset_s, label, confidence, x1, y1, x2, y2, detector)"
                " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                values,
            )
        with_objects = [m for m in fresh if any(dets for _i, _o, dets in results[m])]
        await conn.execute(
            "UPDATE media_files SET status = CASE WHEN id = ANY($2::bigint[]) THEN 'detected' ELSE 'no_objects' END"
            " WHERE id = ANY($1::bigint[])",
            sorted(fresh),
            with_objects,
        )
        return fresh


async def detections_for_media(pool: asyncpg.Pool, media_ids: list[int]) -> list[StoredDetection]:
    """Every detection of the given media, in frame order."""
    rows = await pool.fetch(
        "SELECT * FROM detections WHERE media_id = ANY($1::bigint[]) ORDER BY media_id, frame_index, id",
        media_ids,
    )
    return [
        StoredDetection(
            id=r["id"],
            media_id=r["media_id"],
            frame_index=r["frame_index"],
            frame_offset_s=r["frame_offset_s"],
            detection=Detection(r["label"], float(r["confidence"]), Box(r["x1"], r["y1"], r["x2"], r["y2"])),
        )
        for r in rows
    ]


async def add_dead_letter(
    pool: asyncpg.Pool,
    *,
    stage: str,
    reason: str,
    media_id: int | None = None,
    source_path: str | None = None,
    payload: dict[str, Any] | None = None,
    attempts: int = 1,
) -> int | None:
    """Record something that could not be processed, with the reason. One per media and stage."""
    async with pool.acquire() as conn, conn.transaction():
        dl_id: int | None = await conn.fetchval(
            "INSERT INTO dead_letters (stage, media_id, source_path, reason, payload, attempts)"
            " VALUES ($1, $2, $3, $4, $5::jsonb, $6)"
            # A media that fails again after a replay gets its dead letter back, with the new reason.
            " ON CONFLICT (media_id, stage) WHERE media_id IS NOT NULL DO UPDATE SET"
            " reason = EXCLUDED.reason, attempts = dead_letters.attempts + EXCLUDED.attempts,"
            " replayed_at = NULL, created_at = now() RETURNING id",
            stage,
            media_id,
            source_path,
            reason,
            payload or {},
            attempts,
        )
        if media_id is not None:
            await conn.execute("UPDATE media_files SET status = 'dead_letter' WHERE id = $1", media_id)
        return dl_id


async def stored_path(pool: asyncpg.Pool, sha256: str) -> str | None:
    """The media-dir path of stored content with this hash, if any."""
    value = await pool.fetchval("SELECT path FROM media_files WHERE sha256 = $1", sha256)
    return str(value) if value is not None else None


async def update_dead_letter_payload(
    pool: asyncpg.Pool, dead_letter_id: int | None, changes: dict[str, Any]
) -> None:
    """Merge keys into a dead letter's payload (e.g. a quarantine move that failed)."""
    if dead_letter_id is None:
        return
    await pool.execute(
        "UPDATE dead_letters SET payload = payload || $2::jsonb WHERE id = $1", dead_letter_id, changes
    )
