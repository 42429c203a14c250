"""Read models and small writes behind the HTTP API (PostgreSQL).

Filters are composed from fixed SQL fragments with numbered parameters (never values in the SQL
text), so each query shape gets a plan that uses the right index: keyset pagination walks
`events_started_idx`, search uses the GIN index on `search_vector`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

import asyncpg

from inference_server.domain.events import Event
from inference_server.store.events import event_from_row


class Conflict(Exception):
    """The write clashes with the stored state (duplicate name, nothing to replay, ...)."""


class UnknownReference(Exception):
    """The write names something that does not exist (e.g. an unknown camera)."""


_EVENT_COLUMNS = """
e.id, e.camera_id, e.started_at, e.ended_at, e.risk_score, e.risk_level, e.summary, e.reasoning,
e.objects, e.zones, e.fast_path, e.reviewed, e.notes, e.assessed_by, e.model, e.updated_at,
e.feedback, e.context->'behaviours' AS behaviours, c.name AS camera_name,
COALESCE((SELECT array_agg(m.path ORDER BY m.captured_at, m.id) FROM media_files m
          WHERE m.event_id = e.id), '{}') AS media_paths
"""


@dataclass(frozen=True, slots=True)
class EventFilters:
    """The list filters shared by listing and search; None means "any"."""

    cameras: list[str] = field(default_factory=list)
    since: datetime | None = None
    until: datetime | None = None
    min_risk: int | None = None
    levels: list[str] = field(default_factory=list)
    object: str | None = None
    reviewed: bool | None = None


class _Params:
    """Numbered query parameters collected alongside the SQL fragments that use them."""

    def __init__(self) -> None:
        self.values: list[Any] = []

    def add(self, value: Any) -> str:
        self.values.append(value)
        return f"${len(self.values)}"


def _filter_sql(filters: EventFilters, params: _Params) -> list[str]:
    where: list[str] = []
    if filters.cameras:
        where.append(f"e.camera_id = ANY({params.add(filters.cameras)}::text[])")
    if filters.since is not None:
        where.append(f"e.started_at >= {params.add(filters.since)}")
    if filters.until is not None:
        where.append(f"e.started_at < {params.add(filters.until)}")
    if filters.min_risk is not None:
        where.append(f"e.risk_score >= {params.add(filters.min_risk)}")
    if filters.levels:
        where.append(f"e.risk_level = ANY({params.add(filters.levels)}::text[])")
    if filters.object is not None:
        where.append(f"e.objects ? {params.add(filters.object)}")
    if filters.reviewed is not None:
        where.append(f"e.reviewed = {params.add(filters.reviewed)}")
    return where


async def list_events(
    pool: asyncpg.Pool, filters: EventFilters, *, limit: int, after: tuple[datetime, str] | None = None
) -> list[Event]:
    """Newest first; `after` is the (started_at, id) of the last event of the previous page."""
    params = _Params()
    where = _filter_sql(filters, params)
    if after is not None:
        where.append(f"(e.started_at, e.id) < ({params.add(after[0])}, {params.add(after[1])}::uuid)")
    sql = (
        f"SELECT {_EVENT_COLUMNS} FROM events e JOIN cameras c ON c.id = e.camera_id"
        f" {'WHERE ' + ' AND '.join(where) if where else ''}"
        f" ORDER BY e.started_at DESC, e.id DESC LIMIT {params.add(limit)}"
    )
    rows = await pool.fetch(sql, *params.values)
    return [event_from_row(r) for r in rows]


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One search result: the event, a highlighted snippet (HTML-escaped, <mark> around hits), rank."""

    event: Event
    snippet: str
    rank: float


def _headline(alias: str, tsq: str) -> str:
    """ts_headline over HTML-escaped summary and reasoning: safe to show as HTML, <mark> on hits."""
    text = (
        f"replace(replace(replace({alias}.summary || ' — ' || {alias}.reasoning,"
        " '&', '&amp;'), '<', '&lt;'), '>', '&gt;')"
    )
    options = (
        'StartSel=<mark>, StopSel=</mark>, MaxWords=30, MinWords=8, MaxFragments=2, FragmentDelimiter=" … "'
    )
    return f"ts_headline('english', {text}, {tsq}, '{options}') AS snippet"


# Relevance ranks the newest matches only: ranking every match of a broad term ("person") costs
# ~150 ms on 100k events, the newest 1000 cost a few. sort=newest pages through every match.
RELEVANCE_WINDOW = 1000


async def search_events(
    pool: asyncpg.Pool,
    query: str,
    filters: EventFilters,
    *,
    limit: int,
    sort: str = "relevance",
    after: tuple[float, datetime, str] | None = None,
) -> list[SearchHit]:
    """Full-text search (websearch syntax: "phrases", OR, -exclusion) combined with the filters.

    sort "relevance": best rank first (then newest) among the newest RELEVANCE_WINDOW matches;
    "newest": every match, newest first. `after` is the (rank, started_at, id) of the previous
    page's last hit (rank ignored for "newest").
    """
    params = _Params()
    # The tsquery is written inline (not in a CTE) so that, with a custom plan, PostgreSQL folds it
    # to a constant and estimates how many rows match: a broad term then walks the time index,
    # a rare one uses the GIN index.
    tsq = f"websearch_to_tsquery('english', {params.add(query)})"
    where = [f"e.search_vector @@ {tsq}", *_filter_sql(filters, params)]
    if sort == "newest":
        if after is not None:
            where.append(f"(e.started_at, e.id) < ({params.add(after[1])}, {params.add(after[2])}::uuid)")
        sql = f"""
            SELECT p.*, {_headline("p", tsq)}
            FROM (
                SELECT {_EVENT_COLUMNS}, ts_rank(e.search_vector, {tsq}) AS rank
                FROM events e JOIN cameras c ON c.id = e.camera_id
                WHERE {" AND ".join(where)}
                ORDER BY e.started_at DESC, e.id DESC LIMIT {params.add(limit)}
            ) p
            ORDER BY p.started_at DESC, p.id DESC
        """
    else:
        page_where = "true"
        if after is not None:
            page_where = (
                f"(cand.rank, cand.started_at, cand.id) < ({params.add(after[0])}::real,"
                f" {params.add(after[1])}, {params.add(after[2])}::uuid)"
            )
        sql = f"""
            WITH cand AS MATERIALIZED (
                SELECT e.id, e.started_at, ts_rank(e.search_vector, {tsq}) AS rank
                FROM events e
                WHERE {" AND ".join(where)}
                ORDER BY e.started_at DESC, e.id DESC LIMIT {RELEVANCE_WINDOW}
            ),
            page AS MATERIALIZED (
                SELECT cand.* FROM cand WHERE {page_where}
                ORDER BY cand.rank DESC, cand.started_at DESC, cand.id DESC LIMIT {params.add(limit)}
            )
            SELECT {_EVENT_COLUMNS}, page.rank, {_headline("e", tsq)}
            FROM page JOIN events e ON e.id = page.id JOIN cameras c ON c.id = e.camera_id
            ORDER BY page.rank DESC, page.started_at DESC, page.id DESC
        """
    async with pool.acquire() as conn, conn.transaction():
        # asyncpg prepares statements; a generic plan would not see the search terms.
        await conn.execute("SET LOCAL plan_cache_mode = force_custom_plan")
        rows = await conn.fetch(sql, *params.values)
    return [SearchHit(event_from_row(r), r["snippet"], float(r["rank"])) for r in rows]


async def get_event(pool: asyncpg.Pool, event_id: str) -> Event | None:
    """One event by id."""
    row = await pool.fetchrow(
        f"SELECT {_EVENT_COLUMNS} FROM events e JOIN cameras c ON c.id = e.camera_id WHERE e.id = $1::uuid",
        event_id,
    )
    return event_from_row(row) if row else None


async def event_version(pool: asyncpg.Pool, event_id: str) -> datetime | None:
    """When the event last changed (None: no such event); keys rendered snapshots."""
    value: datetime | None = await pool.fetchval(
        "SELECT updated_at FROM events WHERE id = $1::uuid", event_id
    )
    return value


SIGHTING_SPAN_HOURS: Final = 24


async def event_sightings(pool: asyncpg.Pool, event_id: str, limit: int = 20) -> list[dict[str, Any]]:
    """Re-ID: where the people and vehicles of this event were seen on OTHER cameras within
    SIGHTING_SPAN_HOURS of it, one row per entity x camera x event, nearest in time first."""
    rows = await pool.fetch(
        """
        WITH anchor AS (SELECT camera_id, started_at, ended_at FROM events WHERE id = $1::uuid),
             mine AS (SELECT DISTINCT entity_id FROM sightings WHERE event_id = $1::uuid)
        SELECT s.entity_id::text AS entity_id, en.name AS entity_name, en.known, s.camera_id,
               coalesce(c.name, s.camera_id) AS camera_name, s.event_id::text AS event_id,
               min(s.label) AS label, min(s.seen_at) AS seen_at, max(s.similarity) AS similarity,
               min(e.risk_score) AS risk_score, min(e.risk_level) AS risk_level
        FROM sightings s
        JOIN mine USING (entity_id)
        JOIN anchor a ON true
        JOIN entities en ON en.id = s.entity_id
        LEFT JOIN cameras c ON c.id = s.camera_id
        LEFT JOIN events e ON e.id = s.event_id
        WHERE s.camera_id <> a.camera_id
          AND s.seen_at >= a.started_at - make_interval(hours => $2)
          AND s.seen_at <= a.ended_at + make_interval(hours => $2)
        GROUP BY s.entity_id, en.name, en.known, s.camera_id, c.name, s.event_id
        ORDER BY abs(extract(epoch FROM min(s.seen_at) - min(a.started_at))), s.camera_id
        LIMIT $3
        """,
        event_id,
        SIGHTING_SPAN_HOURS,
        limit,
    )
    return [
        {
            "entity_id": r["entity_id"],
            "entity_name": r["entity_name"],
            "known": r["known"],
            "camera": r["camera_id"],
            "camera_name": r["camera_name"],
            "event_id": r["event_id"],
            "label": r["label"],
            "seen_at": r["seen_at"].isoformat(),
            "similarity": None if r["similarity"] is None else round(float(r["similarity"]), 4),
            "risk_score": r["risk_score"],
            "risk_level": r["risk_level"],
        }
        for r in rows
    ]


async def event_detections(pool: asyncpg.Pool, event_id: str) -> list[dict[str, Any]]:
    """The detections grouped into an event, in media and frame order."""
    rows = await pool.fetch(
        """
        SELECT d.label, d.confidence, d.x1, d.y1, d.x2, d.y2, d.media_id, d.frame_index, d.detector
        FROM event_detections ed JOIN detections d ON d.id = ed.detection_id
        WHERE ed.event_id = $1::uuid
        ORDER BY d.media_id, d.frame_index, d.id
        """,
        event_id,
    )
    return [
        {
            "label": r["label"],
            "confidence": round(float(r["confidence"]), 4),
            "box": [round(float(r[k]), 5) for k in ("x1", "y1", "x2", "y2")],
            "media_id": r["media_id"],
            "frame": r["frame_index"],
            "detector": r["detector"],
        }
        for r in rows
    ]


@dataclass(frozen=True, slots=True)
class BestFrame:
    """The frame that shows an event best, with the boxes to draw on it."""

    path: str
    kind: str
    frame_index: int
    offset_s: float
    boxes: list[tuple[str, float, float, float, float, float]]  # label, confidence, x1, y1, x2, y2


async def best_frame(pool: asyncpg.Pool, event_id: str) -> BestFrame | None:
    """The frame holding the event's most confident detection; else its first image; else None."""
    async with pool.acquire() as conn:
        top = await conn.fetchrow(
            """
            SELECT d.media_id, d.frame_index, d.frame_offset_s, m.path, m.kind
            FROM event_detections ed JOIN detections d ON d.id = ed.detection_id
            JOIN media_files m ON m.id = d.media_id
            WHERE ed.event_id = $1::uuid
            ORDER BY d.confidence DESC, d.media_id, d.frame_index LIMIT 1
            """,
            event_id,
        )
        if top is None:
            media = await conn.fetchrow(
                "SELECT path, kind FROM media_files WHERE event_id = $1::uuid"
                " ORDER BY (kind = 'image') DESC, captured_at, id LIMIT 1",
                event_id,
            )
            if media is None:
                return None
            return BestFrame(media["path"], media["kind"], 0, 0.0, [])
        rows = await conn.fetch(
            """
            SELECT d.label, d.confidence, d.x1, d.y1, d.x2, d.y2
            FROM event_detections ed JOIN detections d ON d.id = ed.detection_id
            WHERE ed.event_id = $1::uuid AND d.media_id = $2 AND d.frame_index = $3
            ORDER BY d.confidence DESC
            """,
            event_id,
            top["media_id"],
            top["frame_index"],
        )
    boxes = [
        (r["label"], float(r["confidence"]), float(r["x1"]), float(r["y1"]), float(r["x2"]), float(r["y2"]))
        for r in rows
    ]
    return BestFrame(top["path"], top["kind"], top["frame_index"], float(top["frame_offset_s"]), boxes)


async def update_event(
    pool: asyncpg.Pool, event_id: str, *, reviewed: bool | None, notes: str | None
) -> Event | None:
    """Set reviewed and/or notes; None when there is no such event."""
    found = await pool.fetchval(
        "UPDATE events SET reviewed = COALESCE($2, reviewed), notes = COALESCE($3, notes), updated_at = now()"
        " WHERE id = $1::uuid RETURNING id",
        event_id,
        reviewed,
        notes,
    )
    if found is None:
        return None
    return await get_event(pool, event_id)


# --- cameras -----------------------------------------------------------------------------------


async def list_cameras(pool: asyncpg.Pool, camera_id: str | None = None) -> list[dict[str, Any]]:
    """Cameras with their newest event (as an Event, or None)."""
    rows = await pool.fetch(
        """
        SELECT c.id, c.name, c.last_seen_at, c.muted_until, le.id AS last_event_id
        FROM cameras c
        LEFT JOIN LATERAL (
            SELECT e.id FROM events e WHERE e.camera_id = c.id ORDER BY e.started_at DESC, e.id DESC LIMIT 1
        ) le ON true
        WHERE ($1::text IS NULL OR c.id = $1)
        ORDER BY c.id
        """,
        camera_id,
    )
    event_ids = [r["last_event_id"] for r in rows if r["last_event_id"] is not None]
    events: dict[str, Event] = {}
    if event_ids:
        event_rows = await pool.fetch(
            f"SELECT {_EVENT_COLUMNS} FROM events e JOIN cameras c ON c.id = e.camera_id"
            " WHERE e.id = ANY($1::uuid[])",
            event_ids,
        )
        events = {str(r["id"]): event_from_row(r) for r in event_rows}
    return [
        {
            "id": r["id"],
            "name": r["name"],
            "last_seen_at": r["last_seen_at"],
            "muted_until": r["muted_until"],
            "last_event": events.get(str(r["last_event_id"])) if r["last_event_id"] else None,
        }
        for r in rows
    ]


async def camera_names(pool: asyncpg.Pool) -> dict[str, str]:
    """Every known camera's display name by id."""
    rows = await pool.fetch("SELECT id, name FROM cameras ORDER BY id")
    return {r["id"]: r["name"] for r in rows}


async def camera_name(pool: asyncpg.Pool, camera_id: str) -> str | None:
    """The stored display name of a camera (None when unknown or unnamed)."""
    name = await pool.fetchval("SELECT name FROM cameras WHERE id = $1", camera_id)
    return str(name) if name else None


async def mute_camera(pool: asyncpg.Pool, camera_id: str, minutes: int) -> bool:
    """Mute alerts of a camera for `minutes` (0 unmutes); False when there is no such camera."""
    found = await pool.fetchval(
        "UPDATE cameras SET muted_until = CASE WHEN $2 = 0 THEN NULL"
        " ELSE now() + make_interval(mins => $2) END WHERE id = $1 RETURNING id",
        camera_id,
        minutes,
    )
    return found is not None


# --- zones -------------------------------------------------------------------------------------


def _zone(row: asyncpg.Record) -> dict[str, Any]:
    return {
        "id": row["id"],
        "camera": row["camera_id"],
        "name": row["name"],
        "zone_type": row["zone_type"],
        "priority": row["priority"],
        "polygon": [[float(x), float(y)] for x, y in row["polygon"]],
        "enabled": row["enabled"],
    }


async def list_zones(pool: asyncpg.Pool, camera_id: str | None = None) -> list[dict[str, Any]]:
    """Zones, optionally of one camera, by camera then priority (highest first)."""
    rows = await pool.fetch(
        "SELECT * FROM zones WHERE ($1::text IS NULL OR camera_id = $1)"
        " ORDER BY camera_id, priority DESC, id",
        camera_id,
    )
    return [_zone(r) for r in rows]


async def get_zone(pool: asyncpg.Pool, zone_id: int) -> dict[str, Any] | None:
    """One zone by id."""
    row = await pool.fetchrow("SELECT * FROM zones WHERE id = $1", zone_id)
    return _zone(row) if row else None


async def save_zone(
    pool: asyncpg.Pool, data: dict[str, Any], zone_id: int | None = None
) -> dict[str, Any] | None:
    """Create (zone_id None) or replace a zone; None when replacing a zone that does not exist.

    Raises UnknownReference for an unknown camera and Conflict for a duplicate name on the camera.
    """
    values = (
        data["camera"],
        data["name"],
        data["zone_type"],
        data["priority"],
        [list(p) for p in data["polygon"]],
        data["enabled"],
    )
    try:
        if zone_id is None:
            row = await pool.fetchrow(
                "INSERT INTO zones (camera_id, name, zone_type, priority, polygon, enabled)"
                " VALUES ($1, $2, $3, $4, $5::jsonb, $6) RETURNING *",
                *values,
            )
        else:
            row = await pool.fetchrow(
                "UPDATE zones SET camera_id = $1, name = $2, zone_type = $3, priority = $4,"
                " polygon = $5::jsonb, enabled = $6, updated_at = now() WHERE id = $7 RETURNING *",
                *values,
                zone_id,
            )
    except asyncpg.ForeignKeyViolationError as exc:
        raise UnknownReference(f"camera {data['camera']!r} does not exist") from exc
    except asyncpg.UniqueViolationError as exc:
        raise Conflict(f"camera {data['camera']!r} already has a zone named {data['name']!r}") from exc
    return _zone(row) if row else None


async def delete_zone(pool: asyncpg.Pool, zone_id: int) -> dict[str, Any] | None:
    """Delete a zone; returns what was deleted (None: no such zone)."""
    row = await pool.fetchrow("DELETE FROM zones WHERE id = $1 RETURNING *", zone_id)
    return _zone(row) if row else None


# --- dead letters ------------------------------------------------------------------------------


def _dead_letter(row: asyncpg.Record) -> dict[str, Any]:
    return {
        "id": row["id"],
        "stage": row["stage"],
        "media_id": row["media_id"],
        "source_path": row["source_path"],
        "reason": row["reason"],
        "payload": dict(row["payload"]) if isinstance(row["payload"], dict) else {"value": row["payload"]},
        "attempts": row["attempts"],
        "created_at": row["created_at"],
        "replayed_at": row["replayed_at"],
    }


async def list_dead_letters(
    pool: asyncpg.Pool,
    *,
    limit: int,
    before_id: int | None = None,
    include_replayed: bool = True,
    stage: str | None = None,
) -> list[dict[str, Any]]:
    """Dead letters, newest first, keyset-paginated by id."""
    rows = await pool.fetch(
        """
        SELECT * FROM dead_letters
        WHERE ($1::bigint IS NULL OR id < $1) AND ($2 OR replayed_at IS NULL)
          AND ($3::text IS NULL OR stage = $3)
        ORDER BY id DESC LIMIT $4
        """,
        before_id,
        include_replayed,
        stage,
        limit,
    )
    return [_dead_letter(r) for r in rows]


@dataclass(frozen=True, slots=True)
class Replay:
    """A dead letter made ready for another try.

    With a media: the media is queued again (the caller enqueues it on the detect stream).
    Ingest, without a media: the quarantined file went back into the watch dir. Alerts: the
    alert engine delivers it again (it polls for replayed alert dead letters).
    """

    dead_letter: dict[str, Any]
    media_id: int | None
    media_path: str | None
    action: str  # "detect" | "watch_dir" | "alerts"


RestoreQuarantined = Callable[[dict[str, Any]], Awaitable[None]]


async def prepare_replay(
    pool: asyncpg.Pool, dead_letter_id: int, *, restore_quarantined: RestoreQuarantined | None = None
) -> Replay | None:
    """Make a dead letter ready for another try and mark it replayed, in one transaction.

    None when there is no such dead letter; Conflict when there is nothing to replay. For a
    media the caller then enqueues it on the detect stream (a crash in between leaves the media
    'queued', which start-up re-enqueues). An ingest dead letter with a quarantined file calls
    `restore_quarantined(payload)`, which moves the file back (or raises Conflict).
    """
    async with pool.acquire() as conn, conn.transaction():
        row = await conn.fetchrow("SELECT * FROM dead_letters WHERE id = $1 FOR UPDATE", dead_letter_id)
        if row is None:
            return None
        payload = dict(row["payload"]) if isinstance(row["payload"], dict) else {}
        path: str | None = None
        if row["media_id"] is not None:
            path = await conn.fetchval(
                "UPDATE media_files SET status = 'queued' WHERE id = $1 RETURNING path", row["media_id"]
            )
            if path is None:
                raise Conflict("the media of this dead letter no longer exists")
            action = "detect"
        elif row["stage"] == "alerts" and payload.get("kind") in ("delivery", "message"):
            action = "alerts"
        elif row["stage"] == "ingest" and payload.get("quarantined_to") and restore_quarantined:
            if row["replayed_at"] is not None:
                raise Conflict("this dead letter was replayed already: its file went back to the watch dir")
            await restore_quarantined(payload)
            action = "watch_dir"
        else:
            raise Conflict("this dead letter has no stored media or quarantined file to replay")
        updated = await conn.fetchrow(
            "UPDATE dead_letters SET replayed_at = now(),"
            " payload = payload - 'redelivered_at' WHERE id = $1 RETURNING *",
            dead_letter_id,
        )
    assert updated is not None
    media_id = int(row["media_id"]) if row["media_id"] is not None else None
    return Replay(_dead_letter(updated), media_id, str(path) if path else None, action)


# --- system ------------------------------------------------------------------------------------


async def instance_id(pool: asyncpg.Pool) -> str:
    """The installation's stable id."""
    value = await pool.fetchval("SELECT value FROM system_info WHERE key = 'instance_id'")
    return str(value or "")


# A Home Assistant integration connected to /api/ws within this long counts as "set up": the
# server then withdraws its MQTT discovery devices, which would duplicate the integration's.
INTEGRATION_ACTIVE_SECONDS = 7 * 24 * 3600


async def mark_integration_seen(pool: asyncpg.Pool) -> None:
    """Record that the Home Assistant integration connected (its /api/ws stream)."""
    await pool.execute(
        "INSERT INTO system_info (key, value) VALUES ('integration_seen_at', now()::text)"
        " ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value"
    )


async def integration_active(pool: asyncpg.Pool, within_seconds: int = INTEGRATION_ACTIVE_SECONDS) -> bool:
    """Whether the Home Assistant integration connected within the last `within_seconds`."""
    value = await pool.fetchval(
        "SELECT value::timestamptz > now() - make_interval(secs => $1)"
        " FROM system_info WHERE key = 'integration_seen_at'",
        float(within_seconds),
    )
    return bool(value)


async def latest_event_of_camera(pool: asyncpg.Pool, camera: str) -> tuple[str, datetime] | None:
    """Id and start of the camera's newest event (by start), if it has any."""
    row = await pool.fetchrow(
        "SELECT id::text AS id, started_at FROM events WHERE camera_id = $1"
        " ORDER BY started_at DESC, id DESC LIMIT 1",
        camera,
    )
    return None if row is None else (str(row["id"]), row["started_at"])


async def event_stats(pool: asyncpg.Pool, today_start: datetime) -> dict[str, Any]:
    """Counts for the stats route: last hour, today, unreviewed, highest risk today, open dead letters."""
    row = await pool.fetchrow(
        """
        SELECT
          (SELECT count(*) FROM events WHERE started_at >= now() - interval '1 hour') AS last_hour,
          (SELECT count(*) FROM events WHERE started_at >= $1) AS today,
          (SELECT max(risk_score) FROM events WHERE started_at >= $1) AS highest_today,
          (SELECT count(*) FROM events WHERE NOT reviewed) AS unreviewed,
          (SELECT count(*) FROM dead_letters WHERE replayed_at IS NULL) AS dead_letters
        """,
        today_start,
    )
    assert row is not None
    return {
        "events_last_hour": int(row["last_hour"]),
        "events_today": int(row["today"]),
        "highest_risk_today": row["highest_today"],
        "unreviewed_events": int(row["unreviewed"]),
        "dead_letters": int(row["dead_letters"]),
    }
