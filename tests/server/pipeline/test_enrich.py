"""The enrich stage between window and assess, on the real Redis Streams and PostgreSQL: closed
windows reach it on its own stream, it files re-ID and baseline rows and hands the context to
assess, and a redelivered window changes no table and makes no second event."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import asyncpg
import cv2
import numpy as np
import pytest
import redis.asyncio as aioredis

from inference_server.bus.publish import Publisher
from inference_server.metrics import Metrics
from inference_server.pipeline.assess import AssessStage, FallbackAssessor
from inference_server.pipeline.enrich import ContextBuilder, EnrichStage
from inference_server.store.streams import Keys, StreamEntry, Streams
from inference_server.store.windows import EnrichedWindow
from tests.server.pipeline.helpers import drop, make_settings, person_jpeg, running, wait_for
from tests.server.understanding.conftest import MediaFactory, person, window_of
from tests.support.models import sample_images
from tests.support.streams import stream_entries

if TYPE_CHECKING:
    from inference_server.ml.embedder_clip import ClipEmbedder

TZ = ZoneInfo("UTC")
T0 = datetime(2025, 5, 13, 14, 10, tzinfo=UTC)


async def _fields(redis: aioredis.Redis, stream: str) -> list[dict[str, str]]:
    return [fields for _id, fields in await stream_entries(redis, stream)]


async def _count(pool: asyncpg.Pool, table: str) -> int:
    return int(await pool.fetchval(f"SELECT count(*) FROM {table}"))


async def test_a_closed_window_goes_from_the_window_process_through_enrich_to_assess(
    tmp_path: Path, database_url: str, redis_prefix: str, redis_client: aioredis.Redis, keys: Keys
) -> None:
    settings = make_settings(tmp_path, database_url, redis_prefix)
    async with running(settings, ("ingest", "detect", "window")) as (services, _):
        pool = services.pool
        await pool.execute("INSERT INTO cameras (id, name) VALUES ('porch', 'Porch')")
        await pool.execute(
            "INSERT INTO zones (camera_id, name, zone_type, priority, polygon)"
            " VALUES ('porch', 'steps', 'entry_point', 3, $1::jsonb)",
            [[0, 0], [1, 0], [1, 1], [0, 1]],
        )
        now = time.time()
        for i in range(2):
            drop(
                settings.storage.watch_dir, "porch", f"snap_{i}.jpg", person_jpeg(300 + i), mtime=now - 5 + i
            )

        async def closed() -> bool:
            return any("window" in f for f in await _fields(redis_client, keys.stream("enrich")))

        await wait_for(closed, what="the closed window on the enrich stream")
        # The window stage hands closed windows to enrich only: nothing waits for assess yet,
        # and nobody has enriched (no baseline counts) or scored anything.
        assert await _fields(redis_client, keys.stream("assess")) == []
        assert (await _count(pool, "baseline_slots"), await _count(pool, "events")) == (0, 0)

    async with running(settings, ("enrich",)) as (services, _):
        pool = services.pool

        async def enriched() -> bool:
            return any("enriched" in f for f in await _fields(redis_client, keys.stream("assess")))

        await wait_for(enriched, what="the enriched window on the assess stream")
        [entry] = await _fields(redis_client, keys.stream("assess"))
        handed = EnrichedWindow.from_json(entry["enriched"])
        assert [z.name for z in handed.context.zones] == ["steps"]
        assert handed.context.tracks and handed.context.camera_name == "Porch"
        assert len(handed.media_ids) == 2 and handed.detection_ids
        # Enrich files its own rows (baseline counts) and scores nothing.
        slots = await pool.fetch("SELECT event_id::text, label, count FROM baseline_slots ORDER BY label")
        assert slots and {r["event_id"] for r in slots} == {handed.window.id}
        assert await _count(pool, "events") == 0

    async with running(settings, ("assess",)) as (services, _):
        pool = services.pool

        async def final() -> bool:
            return bool(await pool.fetchval("SELECT count(*) FROM events WHERE final") == 1)

        await wait_for(final, what="the final event from the assess process")
        row = await pool.fetchrow("SELECT id::text, zones, context FROM events WHERE final")
        assert row is not None and row["id"] == handed.window.id
        assert row["zones"] == ["steps"]
        assert row["context"] == handed.context.to_dict(), "assess scores the context enrich built"
        linked = await pool.fetchval("SELECT count(*) FROM media_files WHERE event_id = $1::uuid", row["id"])
        assert linked == 2
        # Assess wrote none of enrich's rows.
        assert (
            await pool.fetch("SELECT event_id::text, label, count FROM baseline_slots ORDER BY label")
            == slots
        )


@pytest.fixture(scope="module")
def clip() -> ClipEmbedder:
    import torch

    from inference_server.ml.embedder_clip import ClipEmbedder

    torch.manual_seed(0)  # random weights, but the same ones every run
    return ClipEmbedder("ViT-B-32", pretrained=None, device="cpu", batch_size=4)


def _bus_jpeg() -> bytes:
    bus = np.asarray(cv2.imread(str(sample_images()[0])))
    ok, buf = cv2.imencode(".jpg", cv2.resize(bus, (bus.shape[1] // 2, bus.shape[0] // 2)))
    assert ok
    return buf.tobytes()


async def _enrich_tables(pool: asyncpg.Pool) -> dict[str, Any]:
    """Everything the enrich stage writes, in a comparable form."""
    return {
        "entities": [
            tuple(r)
            for r in await pool.fetch(
                "SELECT id, label, sightings, cameras, first_seen, last_seen FROM entities"
            )
        ],
        "sightings": [
            tuple(r)
            for r in await pool.fetch(
                "SELECT entity_id, camera_id, event_id, detection_id, similarity FROM sightings ORDER BY id"
            )
        ],
        "baseline_slots": [
            tuple(r) for r in await pool.fetch("SELECT * FROM baseline_slots ORDER BY event_id, label")
        ],
        "baseline_cameras": [tuple(r) for r in await pool.fetch("SELECT * FROM baseline_cameras")],
        "baselines": [
            tuple(r)
            for r in await pool.fetch("SELECT * FROM baselines ORDER BY camera_id, hour_of_week, label")
        ],
        "baseline_progress": [tuple(r) for r in await pool.fetch("SELECT * FROM baseline_progress")],
    }


async def test_a_window_redelivered_after_enrich_wrote_changes_no_table_and_makes_one_event(
    pg_pool: asyncpg.Pool,
    redis_client: aioredis.Redis,
    keys: Keys,
    tmp_path: Path,
    clip: ClipEmbedder,
) -> None:
    streams = Streams(redis_client, keys)
    contexts = ContextBuilder(pg_pool, TZ, embedder=clip, media_dir=tmp_path, reid_threshold=0.95)
    enrich = EnrichStage(pool=pg_pool, contexts=contexts, streams=streams)
    assess = AssessStage(
        pool=pg_pool,
        tz=TZ,
        assessor=FallbackAssessor(None, Metrics(), 5.0),
        publisher=Publisher(redis_client, keys),
        metrics=Metrics(),
        streams=streams,
    )
    factory = MediaFactory(pg_pool, tmp_path)
    picture = _bus_jpeg()
    box = (0.06, 0.37, 0.31, 0.83)  # the man at the left of bus.jpg
    # Earlier events: on this camera an hour before (an hour slot that the later enrichment folds
    # into the baselines) and on another camera ten minutes before (the same man: a re-ID match).
    for camera, minutes in (("porch", 0), ("garden", 60)):
        at = T0 + timedelta(minutes=minutes)
        earlier, _ = await factory.add(camera, at, [person(*box)], data=picture)
        assert await enrich.enrich(window_of(camera, [(earlier, at)], {"person": 1})) is not None
    at = T0 + timedelta(minutes=70)
    media_id, _ = await factory.add("porch", at, [person(*box)], data=picture)
    window = window_of("porch", [(media_id, at)], {"person": 1})
    await streams.ensure_group("enrich", "enrichers")
    await streams.add("enrich", {"window": json.dumps(window.to_dict())})

    # First delivery: enrich writes and hands over, then "crashes" before its ack.
    [entry] = await streams.read("enrich", "enrichers", "worker-1", 10, 100)
    assert await enrich.handle([entry]) == [entry.id]
    after_first = await _enrich_tables(pg_pool)
    assert len(after_first["sightings"]) == 3 and len(after_first["entities"]) == 1
    assert after_first["baselines"], "the earlier hour slot was folded"

    # Another worker reclaims the unacknowledged entry and enriches it again.
    [again] = await streams.reclaim("enrich", "enrichers", "worker-2", 0, 10)
    assert again.id == entry.id and again.deliveries == 2
    assert await enrich.handle([again]) == [entry.id]
    await streams.ack("enrich", "enrichers", [entry.id])
    assert await _enrich_tables(pg_pool) == after_first, "no sighting, count or fold twice"

    handed = [f["enriched"] for f in await _fields(redis_client, keys.stream("assess"))]
    assert len(handed) == 2
    first, second = (EnrichedWindow.from_json(h) for h in handed)
    assert first == second
    [seen] = first.context.reid
    assert seen.camera == "garden" and seen.minutes_ago == 10.0
    assert [b.label for b in first.context.baseline] == ["person"]

    # Assess scores the first copy and skips the second: one event, published once.
    entries = [StreamEntry(str(i), {"enriched": h}) for i, h in enumerate(handed)]
    assert await assess.handle(entries) == ["0", "1"]
    assert await pg_pool.fetchval("SELECT count(*) FROM events WHERE final") == 1
    messages = [json.loads(f["message"]) for f in await _fields(redis_client, keys.stream("publish"))]
    assert [(m["type"], m["data"]["id"]) for m in messages] == [("event.created", window.id)]

    # Once the event is final, a late redelivery is not enriched again.
    assert await enrich.handle([StreamEntry("late", {"window": json.dumps(window.to_dict())})]) == ["late"]
    assert len(await _fields(redis_client, keys.stream("assess"))) == 2
    assert await _enrich_tables(pg_pool) == after_first
    contexts.close()


async def test_bad_entries_become_dead_letters_and_an_older_versions_window_is_moved_to_enrich(
    pg_pool: asyncpg.Pool, redis_client: aioredis.Redis, keys: Keys
) -> None:
    streams = Streams(redis_client, keys)
    enrich = EnrichStage(pool=pg_pool, contexts=ContextBuilder(pg_pool, TZ), streams=streams)
    assess = AssessStage(
        pool=pg_pool,
        tz=TZ,
        assessor=FallbackAssessor(None, Metrics(), 5.0),
        publisher=Publisher(redis_client, keys),
        metrics=Metrics(),
        streams=streams,
    )
    legacy = json.dumps(
        {
            "id": "5d0b3c3e-8f0e-4a43-9b8e-5c7f1f7a2b11",
            "camera": "porch",
            "started": 1.0,
            "last": 2.0,
            "media": ["3"],
            "objects": {"person": 1},
            "fast": False,
        }
    )
    assert await assess.handle([StreamEntry("1-0", {"window": legacy})]) == ["1-0"]
    assert await _fields(redis_client, keys.stream("enrich")) == [{"window": legacy}]

    assert await enrich.handle([StreamEntry("2-0", {"window": "{not json"})]) == ["2-0"]
    bad_context = json.dumps(
        {"window": json.loads(legacy), "context": {"camera": 1}, "media_ids": [], "detection_ids": []}
    )
    assert await assess.handle([StreamEntry("3-0", {"enriched": bad_context})]) == ["3-0"]
    dead = await pg_pool.fetch("SELECT stage, reason FROM dead_letters ORDER BY id")
    assert [r["stage"] for r in dead] == ["enrich", "assess"]
    assert dead[0]["reason"].startswith("malformed window")
    assert dead[1]["reason"].startswith("malformed enriched window: context")
    assert await _fields(redis_client, keys.stream("assess")) == []
    assert await _count(pg_pool, "events") == 0
