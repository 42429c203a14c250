"""Faces: the SQL behind face embeddings and the gallery of known faces (domain/faces.py).

Embeddings live only in `face_embeddings` (one per person track of an event, cameras that opted
in) and `known_faces` (enrolled by copying one of those); nothing here returns a vector to a
caller outside the server. An event's context says per person track only known / not known (and
the gallery name). Deleting a camera's faces (`forget_camera`) also empties those entries of the
events they were seen in.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import asyncpg

from inference_server.domain.faces import KnownFace


def _known(row: asyncpg.Record) -> dict[str, Any]:
    return {"id": row["id"], "name": row["name"], "created_at": row["created_at"].isoformat()}


async def gallery(pool: asyncpg.Pool) -> list[KnownFace]:
    """Every enrolled embedding with its person's name (for matching, inside the server only)."""
    rows = await pool.fetch("SELECT id, name, embedding FROM known_faces ORDER BY id")
    return [KnownFace(r["id"], r["name"], tuple(float(v) for v in r["embedding"])) for r in rows]


async def list_known(pool: asyncpg.Pool) -> list[dict[str, Any]]:
    """The gallery without its embeddings, name then id order."""
    rows = await pool.fetch("SELECT id, name, created_at FROM known_faces ORDER BY name, id")
    return [_known(r) for r in rows]


async def enrol(pool: asyncpg.Pool, *, event_id: str, track_id: int, name: str) -> dict[str, Any] | None:
    """Copy the face embedding of an event's track into the gallery under `name`; None when that
    track has no stored face (never seen, expired, or its camera opted out)."""
    row = await pool.fetchrow(
        "INSERT INTO known_faces (name, embedding)"
        " SELECT $3, embedding FROM face_embeddings WHERE event_id = $1::uuid AND track_id = $2"
        " RETURNING id, name, created_at",
        event_id,
        track_id,
        name,
    )
    return _known(row) if row is not None else None


async def event_faces(pool: asyncpg.Pool, event_id: str) -> list[dict[str, Any]]:
    """The faces of an event's person tracks as its context records them (known or not, the
    gallery's name), each with whether its face is still stored (`enrollable`: `enrol` can copy
    it; False once expired or its camera opted out). Track order; no embeddings."""
    rows = await pool.fetch(
        """
        SELECT (f->>'track_id')::int AS track_id, coalesce((f->>'known')::boolean, false) AS known,
               f->>'name' AS name,
               EXISTS (SELECT 1 FROM face_embeddings s
                       WHERE s.event_id = e.id AND s.track_id = (f->>'track_id')::int) AS enrollable
        FROM events e, jsonb_array_elements(
            CASE WHEN jsonb_typeof(e.context->'faces') = 'array' THEN e.context->'faces' ELSE '[]' END) f
        WHERE e.id = $1::uuid AND jsonb_typeof(f->'track_id') = 'number'
        ORDER BY 1
        """,
        event_id,
    )
    return [dict(r) for r in rows]


async def rename_known(pool: asyncpg.Pool, known_id: int, name: str) -> dict[str, Any] | None:
    """Rename one gallery entry; None when there is no such entry."""
    row = await pool.fetchrow(
        "UPDATE known_faces SET name = $2 WHERE id = $1 RETURNING id, name, created_at", known_id, name
    )
    return _known(row) if row is not None else None


async def delete_known(pool: asyncpg.Pool, known_id: int) -> bool:
    """Remove one gallery entry; False when there was none."""
    return await pool.fetchval("DELETE FROM known_faces WHERE id = $1 RETURNING id", known_id) is not None


async def clear_gallery(pool: asyncpg.Pool) -> int:
    """Delete every gallery entry (faces turned off on every camera); how many."""
    n = await pool.fetchval("WITH d AS (DELETE FROM known_faces RETURNING 1) SELECT count(*) FROM d")
    return int(n)


async def save_faces(
    pool: asyncpg.Pool,
    *,
    camera: str,
    event_id: str,
    faces: Sequence[tuple[int, Sequence[float], float, datetime]],
) -> None:
    """Store an event's faces `(track_id, embedding, score, seen_at)`; a second call for the same
    event replaces them (a redelivered window is seen again, never stored twice)."""
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("DELETE FROM face_embeddings WHERE event_id = $1::uuid", event_id)
        await conn.executemany(
            "INSERT INTO face_embeddings (camera_id, event_id, track_id, embedding, score, seen_at)"
            " VALUES ($1, $2::uuid, $3, $4::real[], $5, $6)",
            [(camera, event_id, t, list(emb), score, at) for t, emb, score, at in faces],
        )


async def count_faces(pool: asyncpg.Pool, camera: str | None = None) -> int:
    """How many face embeddings are stored (of one camera)."""
    n = await pool.fetchval(
        "SELECT count(*) FROM face_embeddings WHERE $1::text IS NULL OR camera_id = $1", camera
    )
    return int(n)


async def forget_camera(pool: asyncpg.Pool, camera: str) -> int:
    """Delete every face embedding of a camera and empty the face entries of the events they were
    seen in; how many embeddings were deleted."""
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(
            "UPDATE events SET context = jsonb_set(context, '{faces}', '[]'::jsonb)"
            " WHERE id IN (SELECT event_id FROM face_embeddings WHERE camera_id = $1)"
            " AND context ? 'faces'",
            camera,
        )
        deleted = await conn.fetchval(
            "WITH d AS (DELETE FROM face_embeddings WHERE camera_id = $1 RETURNING 1) SELECT count(*) FROM d",
            camera,
        )
    return int(deleted)


async def forget_cameras_except(pool: asyncpg.Pool, enabled: Sequence[str]) -> dict[str, int]:
    """`forget_camera` for every camera with face embeddings that is not in `enabled` (start-up and
    housekeeping: turning a camera's faces off deletes what was seen there); camera -> deleted."""
    rows = await pool.fetch(
        "SELECT DISTINCT camera_id FROM face_embeddings WHERE NOT (camera_id = ANY($1::text[]))",
        list(enabled),
    )
    return {r["camera_id"]: await forget_camera(pool, r["camera_id"]) for r in rows}


async def expire(pool: asyncpg.Pool, older_than: datetime) -> int:
    """Delete face embeddings older than the retention; how many. (The events keep their
    known / not-known entries: they hold no biometric data.)"""
    n = await pool.fetchval(
        "WITH d AS (DELETE FROM face_embeddings WHERE seen_at < $1 RETURNING 1) SELECT count(*) FROM d",
        older_than,
    )
    return int(n)
