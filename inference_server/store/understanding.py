"""Understanding data in PostgreSQL: zones, activity baselines and re-ID entities/sightings.

Baselines. A closed event files its object counts under the local hour slot it started in
(`record_event_counts`). `fold_baselines` later turns every *finished* hour slot of a camera into
one observation per class of the decayed model in domain/baseline.py, and an hour in which the
camera saw nothing of a class is folded as a zero: quiet hours are evidence too. A camera is
counted from its first recorded event (`baseline_cameras.tracking_since`); a class first seen later
is back-filled with zeros from then on (at most `MAX_BACKFILL` back), because the camera was
watching and saw none. Folding is lazy: the enrich stage folds a camera's finished slots before
it scores that camera's next event, so no timer is needed. A count recorded for a slot that was
already folded (a window assessed very late) is not added to the model.

Re-ID. Every sighting keeps its embedding as a portable float4[]. Where the server has pgvector,
`setup_vector_search` adds a `vector(<dims>)` copy with an HNSW cosine index and `ReidStore`
searches with `<=>`; elsewhere it loads the candidates of the re-ID window and matches them
exactly in the application (domain/reid.py). Both give the same answer on the same data.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final
from zoneinfo import ZoneInfo

import asyncpg

from inference_server.domain.baseline import (
    DEFAULT_CONFIG,
    BaselineCell,
    BaselineConfig,
    hour_of_week,
    observe,
)
from inference_server.domain.context import ReidSighting
from inference_server.domain.detections import OBJECT_CATEGORY, category_of
from inference_server.domain.reid import DEFAULT_THRESHOLD, ReidCandidate, best_match, sightings
from inference_server.domain.zones import InvalidZone, Zone
from inference_server.store.db import Connection

log = logging.getLogger(__name__)

HOUR: Final = timedelta(hours=1)
# How far back a never-folded class is filled with zeros; older samples would weigh little anyway
# (26 weeks is six half-lives of the default model).
MAX_BACKFILL: Final = timedelta(weeks=26)
# Nearest rows fetched from the pgvector index per search; enough for the best per entity/camera.
VECTOR_SEARCH_LIMIT: Final = 64
_VECTOR_LOCK: Final = 0x48_53_49_56  # advisory lock: one process alters `sightings` at a time


# --- zones -------------------------------------------------------------------------------------


async def zones_for_camera(pool: asyncpg.Pool, camera: str) -> list[Zone]:
    """The camera's zones as domain objects, highest priority first (disabled ones included).

    A stored polygon that no longer validates is skipped with a warning rather than failing the
    event: the zone API validates on write, so this only guards against hand-edited rows.
    """
    rows = await pool.fetch(
        "SELECT id, camera_id, name, zone_type, priority, polygon, enabled FROM zones"
        " WHERE camera_id = $1 ORDER BY priority DESC, id",
        camera,
    )
    zones: list[Zone] = []
    for row in rows:
        try:
            zones.append(
                Zone(
                    id=str(row["id"]),
                    camera=row["camera_id"],
                    name=row["name"],
                    zone_type=row["zone_type"],
                    priority=row["priority"],
                    polygon=tuple((float(p[0]), float(p[1])) for p in row["polygon"]),
                    enabled=row["enabled"],
                )
            )
        except (InvalidZone, TypeError, ValueError, IndexError) as exc:
            log.warning("zone skipped camera=%s zone=%s reason=%s", camera, row["name"], exc)
    return zones


# --- baselines ---------------------------------------------------------------------------------


def slot_start(at: datetime, tz: ZoneInfo) -> datetime:
    """The start (in UTC) of the local hour slot that `at` falls in."""
    local = at.astimezone(tz).replace(minute=0, second=0, microsecond=0)
    return local.astimezone(UTC)


async def record_event_counts(
    pool: asyncpg.Pool,
    *,
    event_id: str,
    camera: str,
    started_at: datetime,
    counts: dict[str, int],
    tz: ZoneInfo,
) -> datetime:
    """File one event's object counts under its local hour slot; returns the slot start (UTC).

    Idempotent per event: recording the same event again replaces its counts. The camera must
    exist. Starts the camera's tracking (`baseline_cameras`) on its first event.
    """
    start = slot_start(started_at, tz)
    rows = [(uuid.UUID(event_id), label, camera, start, int(n)) for label, n in counts.items() if n > 0]
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(
            "INSERT INTO baseline_cameras (camera_id, tracking_since) VALUES ($1, $2)"
            " ON CONFLICT (camera_id) DO UPDATE"
            " SET tracking_since = LEAST(baseline_cameras.tracking_since, EXCLUDED.tracking_since)",
            camera,
            start,
        )
        await conn.execute("DELETE FROM baseline_slots WHERE event_id = $1", uuid.UUID(event_id))
        if rows:
            await conn.executemany(
                "INSERT INTO baseline_slots (event_id, label, camera_id, slot_start, count)"
                " VALUES ($1, $2, $3, $4, $5)",
                rows,
            )
    return start


async def fold_baselines(
    pool: asyncpg.Pool,
    camera: str,
    until: datetime,
    tz: ZoneInfo,
    config: BaselineConfig = DEFAULT_CONFIG,
    labels: Sequence[str] = (),
) -> int:
    """Fold every finished hour slot of the camera before `until` (the start of its local hour)
    into its baseline cells.

    Each class ever counted on the camera (plus `labels`) gets one observation per hour slot
    since it was last folded: the slot's summed event counts, or zero. Returns the number of
    (slot, class) observations made. One transaction, serialized per camera, so concurrent
    workers never fold a slot twice.
    """
    until = slot_start(until, tz)  # only whole hour slots are folded
    folded = 0
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(hashtext('hsi_baseline:' || $1))", camera)
        since = await conn.fetchval(
            "SELECT tracking_since FROM baseline_cameras WHERE camera_id = $1", camera
        )
        if since is None:
            return 0
        progress = {
            r["label"]: r["folded_until"]
            for r in await conn.fetch(
                "SELECT label, folded_until FROM baseline_progress WHERE camera_id = $1", camera
            )
        }
        counted = await conn.fetch("SELECT DISTINCT label FROM baseline_slots WHERE camera_id = $1", camera)
        all_labels = sorted(set(progress) | {r["label"] for r in counted} | set(labels))
        for label in all_labels:
            start = max(progress.get(label, since), until - MAX_BACKFILL)
            hours = int((until - start) / HOUR)
            if hours <= 0:
                continue
            totals = [0] * hours
            for r in await conn.fetch(
                "SELECT slot_start, count FROM baseline_slots"
                " WHERE camera_id = $1 AND label = $2 AND slot_start >= $3 AND slot_start < $4",
                camera,
                label,
                start,
                start + hours * HOUR,
            ):
                totals[int((r["slot_start"] - start) / HOUR)] += r["count"]
            cells = {c.hour_of_week: c for c in await _load_cells(conn, camera, label)}
            changed: set[int] = set()
            for i, total in enumerate(totals):
                begin = start + i * HOUR
                how = hour_of_week(begin.astimezone(tz))
                cell = cells.get(how) or BaselineCell(camera=camera, hour_of_week=how, label=label)
                cells[how] = observe(cell, total, begin + HOUR, config)
                changed.add(how)
            await conn.executemany(
                "INSERT INTO baselines (camera_id, hour_of_week, label, mean, variance, weight, updated_at)"
                " VALUES ($1, $2, $3, $4, $5, $6, $7)"
                " ON CONFLICT (camera_id, hour_of_week, label) DO UPDATE SET mean = EXCLUDED.mean,"
                " variance = EXCLUDED.variance, weight = EXCLUDED.weight, updated_at = EXCLUDED.updated_at",
                [
                    (
                        camera,
                        how,
                        label,
                        cells[how].mean,
                        cells[how].variance,
                        cells[how].weight,
                        cells[how].updated_at,
                    )
                    for how in sorted(changed)
                ],
            )
            await conn.execute(
                "INSERT INTO baseline_progress (camera_id, label, folded_until) VALUES ($1, $2, $3)"
                " ON CONFLICT (camera_id, label) DO UPDATE SET folded_until = EXCLUDED.folded_until",
                camera,
                label,
                start + hours * HOUR,
            )
            folded += hours
    if folded:
        log.info("baseline folded camera=%s observations=%d until=%s", camera, folded, until.isoformat())
    return folded


async def baseline_cells(pool: asyncpg.Pool, camera: str, how: int) -> dict[str, BaselineCell]:
    """The camera's cells of one hour of the week, by class."""
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT * FROM baselines WHERE camera_id = $1 AND hour_of_week = $2", camera, how
        )
    return {r["label"]: _cell(r) for r in rows}


async def slot_totals(pool: asyncpg.Pool, camera: str, start: datetime) -> dict[str, int]:
    """The objects of each class the camera's events filed under one hour slot, summed."""
    rows = await pool.fetch(
        "SELECT label, sum(count)::int AS total FROM baseline_slots"
        " WHERE camera_id = $1 AND slot_start = $2 GROUP BY label",
        camera,
        start,
    )
    return {r["label"]: r["total"] for r in rows}


async def _load_cells(conn: Connection, camera: str, label: str) -> list[BaselineCell]:
    rows = await conn.fetch(
        "SELECT * FROM baselines WHERE camera_id = $1 AND label = $2 FOR UPDATE", camera, label
    )
    return [_cell(r) for r in rows]


def _cell(row: asyncpg.Record) -> BaselineCell:
    return BaselineCell(
        camera=row["camera_id"],
        hour_of_week=row["hour_of_week"],
        label=row["label"],
        mean=row["mean"],
        variance=row["variance"],
        weight=row["weight"],
        updated_at=row["updated_at"],
    )


# --- re-ID -------------------------------------------------------------------------------------


async def setup_vector_search(pool: asyncpg.Pool, dimensions: int) -> bool:
    """Make pgvector search available for embeddings of `dimensions`; False where it cannot be.

    Creates the extension when the server offers it (needs the right to), adds
    `sightings.embedding_vec vector(dimensions)` and an HNSW cosine index, and back-fills the
    column from the float4[] embeddings of that length. When the column exists with another
    width (the embedding model changed) it is rebuilt. Safe to call from several processes.
    """
    if dimensions < 1:
        raise ValueError(f"dimensions must be positive, got {dimensions}")
    async with pool.acquire() as conn:
        available = await conn.fetchval("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'")
        if available is None:
            log.info("reid search=exact reason=pgvector not installed on the server")
            return False
        await conn.execute("SELECT pg_advisory_lock($1)", _VECTOR_LOCK)
        try:
            try:
                await conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
            except asyncpg.PostgresError as exc:
                log.warning("reid search=exact reason=cannot create extension vector: %s", exc)
                return False
            current = await conn.fetchval(
                "SELECT format_type(atttypid, atttypmod) FROM pg_attribute"
                " WHERE attrelid = 'sightings'::regclass AND attname = 'embedding_vec' AND NOT attisdropped"
            )
            wanted = f"vector({dimensions})"
            async with conn.transaction():
                if current is not None and current != wanted:
                    log.warning("reid rebuilding embedding_vec from=%s to=%s", current, wanted)
                    await conn.execute("ALTER TABLE sightings DROP COLUMN embedding_vec")
                    current = None
                if current is None:
                    # The width is an integer we checked, not user text: safe to place in DDL.
                    await conn.execute(
                        f"ALTER TABLE sightings ADD COLUMN embedding_vec vector({int(dimensions)})"
                    )
                    await conn.execute(
                        "UPDATE sightings SET embedding_vec = embedding::vector"
                        " WHERE array_length(embedding, 1) = $1",
                        dimensions,
                    )
                await conn.execute(
                    "CREATE INDEX IF NOT EXISTS sightings_embedding_hnsw_idx"
                    " ON sightings USING hnsw (embedding_vec vector_cosine_ops)"
                )
        finally:
            await conn.execute("SELECT pg_advisory_unlock($1)", _VECTOR_LOCK)
    log.info("reid search=pgvector dims=%d", dimensions)
    return True


@dataclass(frozen=True, slots=True)
class ReidResult:
    """What matching one crop did: its entity, whether it is new, and where else it was seen."""

    entity_id: str
    created: bool
    similarity: float | None  # to the best match; None for a new entity
    sightings: tuple[ReidSighting, ...]  # matches on OTHER cameras, most similar first


@dataclass(frozen=True, slots=True)
class ReidSearch:
    """The matches of one embedding at or above the threshold."""

    best: tuple[str, float] | None  # (entity id, similarity) of the most similar match
    found: list[ReidSighting]  # every match, the best per (entity, camera), most similar first


def _category_labels(label: str) -> list[str]:
    """The labels a crop of `label` may be matched with: its category's (a car may be a truck)."""
    category = category_of(label)
    if category == "other":
        return [label]
    return sorted({label, *(lbl for lbl, cat in OBJECT_CATEGORY.items() if cat == category)})


class ReidStore:
    """Entities and sightings; finds who a new crop is (pgvector or exact search).

    Use `await ReidStore.open(pool, dimensions)` to detect pgvector (and prepare it); pass
    `vector_search=False` to force the exact path. Searches consider sightings of the same
    category (person, vehicle) within `window_hours` before the crop was seen, on every camera.
    """

    def __init__(
        self,
        pool: asyncpg.Pool,
        dimensions: int,
        *,
        vector_search: bool,
        threshold: float = DEFAULT_THRESHOLD,
        window_hours: float = 24.0,
    ) -> None:
        self.pool = pool
        self.dimensions = dimensions
        self.vector_search = vector_search
        self.threshold = threshold
        self.window = timedelta(hours=window_hours)
        # pgvector >= 0.8 can keep scanning the HNSW index until enough rows pass the filters.
        self.iterative_scan = False

    @classmethod
    async def open(
        cls,
        pool: asyncpg.Pool,
        dimensions: int,
        *,
        vector_search: bool | None = None,
        threshold: float = DEFAULT_THRESHOLD,
        window_hours: float = 24.0,
    ) -> ReidStore:
        """A store using pgvector when `vector_search` is None (auto) or True and the server has it.

        Raises RuntimeError when `vector_search` is True and pgvector cannot be set up.
        """
        use_vector = False
        if vector_search is not False:
            use_vector = await setup_vector_search(pool, dimensions)
            if vector_search and not use_vector:
                raise RuntimeError("pgvector search was asked for but the server cannot provide it")
        store = cls(
            pool, dimensions, vector_search=use_vector, threshold=threshold, window_hours=window_hours
        )
        if use_vector:
            version = await pool.fetchval("SELECT extversion FROM pg_extension WHERE extname = 'vector'")
            store.iterative_scan = _version_at_least(str(version or "0"), (0, 8))
        return store

    async def match_or_create(
        self,
        embedding: Sequence[float],
        *,
        label: str,
        camera: str,
        seen_at: datetime,
        event_id: str | None = None,
        detection_id: int | None = None,
    ) -> ReidResult:
        """Match a crop's embedding to a recent entity (or found a new one) and record the sighting.

        The best match at or above the threshold on any camera (this one included) gives the
        entity; the result's sightings are the matches on other cameras, the best per (entity,
        camera). Recording the same (event, detection) again changes nothing.
        """
        vector = self._checked(embedding)
        result = await self.search(vector, label=label, seen_at=seen_at)
        others = tuple(s for s in result.found if s.camera != camera)
        best_similarity = result.best[1] if result.best else None
        event_uuid = uuid.UUID(event_id) if event_id else None
        async with self.pool.acquire() as conn, conn.transaction():
            if detection_id is not None and event_uuid is not None:
                existing = await conn.fetchval(
                    "SELECT entity_id FROM sightings WHERE event_id = $1 AND detection_id = $2",
                    event_uuid,
                    detection_id,
                )
                if existing is not None:
                    return ReidResult(str(existing), False, best_similarity, others)
            entity = None
            if result.best is not None:
                entity = await conn.fetchval(
                    "UPDATE entities SET last_seen = GREATEST(last_seen, $2),"
                    " first_seen = LEAST(first_seen, $2), sightings = sightings + 1,"
                    " cameras = CASE WHEN $3::text = ANY(cameras) THEN cameras ELSE cameras || $3::text END"
                    " WHERE id = $1 RETURNING id",
                    uuid.UUID(result.best[0]),
                    seen_at,
                    camera,
                )
            created = entity is None  # no match, or the match was deleted by retention meanwhile
            if created:
                entity = await conn.fetchval(
                    "INSERT INTO entities (label, first_seen, last_seen, cameras, sightings)"
                    " VALUES ($1, $2, $2, ARRAY[$3::text], 1) RETURNING id",
                    label,
                    seen_at,
                    camera,
                )
            similarity = None if created else best_similarity
            args: list[Any] = [entity, camera, event_uuid, detection_id, label, seen_at, similarity, vector]
            if self.vector_search:
                await conn.execute(
                    "INSERT INTO sightings (entity_id, camera_id, event_id, detection_id, label, seen_at,"
                    " similarity, embedding, embedding_vec) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::text::vector)",
                    *args,
                    _vector_text(vector),
                )
            else:
                await conn.execute(
                    "INSERT INTO sightings (entity_id, camera_id, event_id, detection_id, label, seen_at,"
                    " similarity, embedding) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                    *args,
                )
        return ReidResult(str(entity), created, similarity, others)

    async def search(self, embedding: Sequence[float], *, label: str, seen_at: datetime) -> ReidSearch:
        """The recorded sightings like this embedding (same category, within the window before
        `seen_at`, similarity >= threshold), without recording anything."""
        vector = self._checked(embedding)
        search = self._search_vector if self.vector_search else self._search_exact
        return await search(vector, _category_labels(label), seen_at - self.window, seen_at)

    def _checked(self, embedding: Sequence[float]) -> list[float]:
        vector = [float(v) for v in embedding]
        if len(vector) != self.dimensions:
            raise ValueError(f"embedding has {len(vector)} values, the store expects {self.dimensions}")
        return vector

    async def _search_exact(
        self, vector: list[float], labels: list[str], since: datetime, seen_at: datetime
    ) -> ReidSearch:
        """Every candidate of the window, compared in the application (domain/reid.py)."""
        rows = await self.pool.fetch(
            "SELECT entity_id, camera_id, label, seen_at, embedding FROM sightings"
            " WHERE seen_at >= $1 AND seen_at <= $2 AND label = ANY($3::text[])"
            " AND array_length(embedding, 1) = $4 ORDER BY seen_at DESC, id DESC",
            since,
            seen_at,
            labels,
            self.dimensions,
        )
        candidates = [
            ReidCandidate(
                entity_id=str(r["entity_id"]),
                vector=r["embedding"],
                label=r["label"],
                camera=r["camera_id"],
                minutes_ago=_minutes(seen_at, r["seen_at"]),
            )
            for r in rows
        ]
        match = best_match(vector, candidates, self.threshold)
        found = sightings(vector, candidates, self.threshold)
        return ReidSearch(None if match is None else (match.entity_id, match.similarity), found)

    async def _search_vector(
        self, vector: list[float], labels: list[str], since: datetime, seen_at: datetime
    ) -> ReidSearch:
        """The nearest sightings by pgvector's cosine distance `<=>` (HNSW index)."""
        text = _vector_text(vector)
        async with self.pool.acquire() as conn, conn.transaction():
            # An HNSW scan yields at most ef_search rows before the filters (time, class) apply.
            await conn.execute("SELECT set_config('hnsw.ef_search', $1, true)", str(VECTOR_SEARCH_LIMIT * 2))
            if self.iterative_scan:
                await conn.execute("SELECT set_config('hnsw.iterative_scan', 'relaxed_order', true)")
            rows = await conn.fetch(
                "SELECT entity_id, camera_id, label, seen_at, distance FROM ("
                " SELECT id, entity_id, camera_id, label, seen_at,"
                " embedding_vec <=> $1::text::vector AS distance FROM sightings"
                " WHERE seen_at >= $2 AND seen_at <= $3 AND label = ANY($4::text[])"
                " AND embedding_vec IS NOT NULL"
                " ORDER BY embedding_vec <=> $1::text::vector LIMIT $5) AS nearest"
                " ORDER BY distance, seen_at DESC, id DESC",
                text,
                since,
                seen_at,
                labels,
                VECTOR_SEARCH_LIMIT,
            )
        best: tuple[str, float] | None = None
        found: list[ReidSighting] = []
        keys: set[tuple[str, str]] = set()
        for r in rows:
            similarity = max(-1.0, min(1.0, 1.0 - float(r["distance"])))
            if similarity < self.threshold:
                break  # rows come most similar first
            entity = str(r["entity_id"])
            if best is None:
                best = (entity, similarity)
            if (entity, r["camera_id"]) in keys:
                continue
            keys.add((entity, r["camera_id"]))
            found.append(
                ReidSighting(
                    entity_id=entity,
                    label=r["label"],
                    camera=r["camera_id"],
                    minutes_ago=_minutes(seen_at, r["seen_at"]),
                    similarity=round(similarity, 4),
                )
            )
        return ReidSearch(best, found)


def _version_at_least(version: str, wanted: tuple[int, ...]) -> bool:
    parts: list[int] = []
    for piece in version.split("."):
        digits = "".join(ch for ch in piece if ch.isdigit())
        parts.append(int(digits) if digits else 0)
    return tuple(parts) >= wanted


def _minutes(now: datetime, then: datetime) -> float:
    return round(max(0.0, (now - then).total_seconds() / 60.0), 2)


def _vector_text(vector: Sequence[float]) -> str:
    return "[" + ",".join(repr(float(v)) for v in vector) + "]"


async def delete_expired(pool: asyncpg.Pool, older_than: datetime) -> int:
    """Delete sightings (and their embeddings) seen before `older_than`, and entities left with
    none; also drop folded hourly counts that old. Returns the number of sightings deleted."""
    async with pool.acquire() as conn, conn.transaction():
        deleted = await conn.fetchval(
            "WITH gone AS (DELETE FROM sightings WHERE seen_at < $1 RETURNING 1) SELECT count(*) FROM gone",
            older_than,
        )
        await conn.execute(
            "DELETE FROM entities e WHERE e.last_seen < $1"
            " AND NOT EXISTS (SELECT 1 FROM sightings s WHERE s.entity_id = e.id)",
            older_than,
        )
        await conn.execute(
            "DELETE FROM baseline_slots b USING baseline_progress p"
            " WHERE b.camera_id = p.camera_id AND b.label = p.label"
            " AND b.slot_start < p.folded_until AND b.slot_start < $1",
            older_than,
        )
    if deleted:
        log.info("reid retention deleted_sightings=%d older_than=%s", deleted, older_than.isoformat())
    return int(deleted or 0)
