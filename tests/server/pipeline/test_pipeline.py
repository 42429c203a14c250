"""End to end on the real PostgreSQL and Redis: uploads in, scored events out."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import asyncpg
import cv2
import numpy as np
import pytest
import redis.asyncio as aioredis

from inference_server.domain.risk import level_for_score
from inference_server.settings import UrgentRule
from inference_server.store.streams import Keys
from tests.server.pipeline.helpers import blank_jpeg, drop, make_settings, person_jpeg, running, wait_for
from tests.support.models import sample_images
from tests.support.streams import stream_entries


async def events(pool: asyncpg.Pool) -> list[asyncpg.Record]:
    return await pool.fetch("SELECT * FROM events ORDER BY started_at")


async def published(redis: aioredis.Redis, keys: Keys) -> list[dict[str, Any]]:
    return [json.loads(f["message"]) for _id, f in await stream_entries(redis, keys.stream("publish"))]


async def test_upload_burst_becomes_one_scored_event(
    tmp_path: Path, database_url: str, redis_prefix: str, redis_client: aioredis.Redis, keys: Keys
) -> None:
    settings = make_settings(tmp_path, database_url, redis_prefix)
    async with running(settings) as (services, _pipeline):
        now = time.time()
        for i in range(3):
            drop(
                settings.storage.watch_dir,
                "Front_Door",
                f"MDAlarm_{i}.jpg",
                person_jpeg(i * 2),
                mtime=now - 10 + i * 0.5,
            )

        async def one_final_event() -> bool:
            return bool(await services.pool.fetchval("SELECT count(*) FROM events WHERE final") == 1)

        await wait_for(one_final_event, what="the burst's event")
        [event] = await events(services.pool)
        assert event["camera_id"] == "front_door"
        assert 0 <= event["risk_score"] <= 100
        assert event["risk_level"] == level_for_score(event["risk_score"]).value
        assert event["objects"]["person"] >= 1
        assert event["summary"] and event["reasoning"]
        assert event["assessed_by"] == "heuristic" and event["model"] == "heuristic"
        detectors = await services.pool.fetch("SELECT DISTINCT detector FROM detections")
        assert [r["detector"] for r in detectors] == ["opencv-hog"]  # which model found them, kept per row
        statuses = await services.pool.fetch("SELECT status, event_id FROM media_files")
        assert {r["status"] for r in statuses} == {"detected"}
        # Each held the window while on its way; none holds anything now.
        assert await redis_client.zcard(keys.pending("front_door")) == 0
        assert {r["event_id"] for r in statuses} == {event["id"]}
        messages = await published(redis_client, keys)
        assert [m["type"] for m in messages] == ["event.created"]
        data = messages[0]["data"]
        assert data["id"] == str(event["id"]) and data["camera_name"] == "Front Door"
        assert data["model"] == "heuristic"
        assert len(data["media"]) == 3 and all(u.startswith("/api/media/front_door/") for u in data["media"])
        assert set(data) >= {
            "id",
            "camera",
            "camera_name",
            "started_at",
            "ended_at",
            "risk_score",
            "risk_level",
            "summary",
            "reasoning",
            "objects",
            "zones",
            "fast_path",
            "reviewed",
            "media",
            "assessed_by",
            "model",
        }


async def test_files_present_at_start_and_arriving_while_down_are_processed_once(
    tmp_path: Path, database_url: str, redis_prefix: str
) -> None:
    settings = make_settings(tmp_path, database_url, redis_prefix)
    drop(settings.storage.watch_dir, "porch", "before_start.jpg", person_jpeg(10), mtime=time.time() - 300)
    async with running(settings) as (services, _):

        async def first() -> bool:
            return bool(await services.pool.fetchval("SELECT count(*) FROM events WHERE final") == 1)

        await wait_for(first, what="event of the file present at start-up")
    # The server is down: a camera keeps uploading.
    drop(settings.storage.watch_dir, "porch", "while_down.jpg", person_jpeg(12), mtime=time.time())
    drop(settings.storage.watch_dir, "porch", "duplicate_of_first.jpg", person_jpeg(10), mtime=time.time())
    async with running(settings) as (services, _):

        async def second() -> bool:
            return bool(await services.pool.fetchval("SELECT count(*) FROM events WHERE final") == 2)

        await wait_for(second, what="event of the file uploaded while down")
        assert await services.pool.fetchval("SELECT count(*) FROM media_files") == 2
    async with running(settings) as (services, _):
        await _settle()
        assert await services.pool.fetchval("SELECT count(*) FROM media_files") == 2
        assert await services.pool.fetchval("SELECT count(*) FROM events") == 2
    assert not any(p.is_file() for p in settings.storage.watch_dir.rglob("*")), "the upload folder is drained"


async def test_corrupt_media_becomes_a_dead_letter_and_others_continue(
    tmp_path: Path, database_url: str, redis_prefix: str, redis_client: aioredis.Redis, keys: Keys
) -> None:
    settings = make_settings(tmp_path, database_url, redis_prefix)
    good = person_jpeg(20)
    async with running(settings) as (services, _):
        drop(settings.storage.watch_dir, "cam", "truncated.jpg", good[: len(good) // 3])
        drop(
            settings.storage.watch_dir,
            "cam",
            "broken.mp4",
            b"\x00\x00\x00\x18ftypmp42" + b"\x00garbage" * 100,
        )
        drop(settings.storage.watch_dir, "cam", "good.jpg", good)

        async def settled() -> bool:
            dead = await services.pool.fetchval("SELECT count(*) FROM dead_letters WHERE stage = 'detect'")
            final = await services.pool.fetchval("SELECT count(*) FROM events WHERE final")
            return bool(dead == 2 and final == 1)

        await wait_for(settled, what="two dead letters and one event")
        reasons = [
            r["reason"] for r in await services.pool.fetch("SELECT reason FROM dead_letters ORDER BY id")
        ]
        assert all(r.startswith("cannot decode") for r in reasons)
        assert (
            await services.pool.fetchval("SELECT count(*) FROM media_files WHERE status = 'dead_letter'") == 2
        )
        assert await redis_client.zcard(keys.pending("cam")) == 0  # dead letters hold no window open


async def test_image_without_objects_makes_no_event(
    tmp_path: Path, database_url: str, redis_prefix: str, redis_client: aioredis.Redis, keys: Keys
) -> None:
    settings = make_settings(tmp_path, database_url, redis_prefix)
    async with running(settings) as (services, _):
        drop(settings.storage.watch_dir, "garage", "shadow.jpg", blank_jpeg())

        async def done() -> bool:
            return bool(await services.pool.fetchval("SELECT status FROM media_files") == "no_objects")

        await wait_for(done, what="the blank image to be processed")
        await _settle(1.5)
        assert await services.pool.fetchval("SELECT count(*) FROM events") == 0
        assert await redis_client.zcard(keys.pending("garage")) == 0  # detect let go of it


async def test_ingest_marks_each_media_pending_for_its_camera(
    tmp_path: Path, database_url: str, redis_prefix: str, redis_client: aioredis.Redis, keys: Keys
) -> None:
    """Until detect (or the window stage) is done with it, a media holds its camera's idle window
    open (store/windows.py): ingest marks it, by capture time, before queueing it."""
    settings = make_settings(tmp_path, database_url, redis_prefix)
    captured = time.time() - 30
    async with running(settings, stages=("ingest",)) as (services, _):
        drop(settings.storage.watch_dir, "porch", "MDAlarm_1.jpg", person_jpeg(3), mtime=captured)

        async def queued() -> bool:
            return bool(await services.pool.fetchval("SELECT count(*) FROM media_files") == 1)

        await wait_for(queued, what="the upload to be stored")
        media_id = await services.pool.fetchval("SELECT id FROM media_files")
        pending: list[Any] = await redis_client.zrange(keys.pending("porch"), 0, -1, withscores=True)
        assert [int(m) for m, _s in pending] == [media_id]
        assert abs(float(pending[0][1]) - captured) < 1.0


async def test_urgent_detection_publishes_a_preliminary_event_then_refines_it(
    tmp_path: Path, database_url: str, redis_prefix: str, redis_client: aioredis.Redis, keys: Keys
) -> None:
    settings = make_settings(
        tmp_path,
        database_url,
        redis_prefix,
        batch_idle_seconds=4.0,
        urgent_rules=[UrgentRule(label="person", min_confidence=0.0, hours=list(range(24)))],
    )
    async with running(settings) as (services, _):
        drop(settings.storage.watch_dir, "back_door", "a.jpg", person_jpeg(30))

        async def preliminary() -> bool:
            return any(m["type"] == "event.created" for m in await published(redis_client, keys))

        await wait_for(preliminary, timeout=30, what="the fast-path event")
        row = await services.pool.fetchrow("SELECT fast_path, final FROM events")
        assert row is not None
        assert (row["fast_path"], row["final"]) == (True, False), "published before the window closed"

        async def refined() -> bool:
            return any(m["type"] == "event.updated" for m in await published(redis_client, keys))

        await wait_for(refined, timeout=30, what="the refined event")
        created, updated = await published(redis_client, keys)
        assert created["data"]["id"] == updated["data"]["id"]
        assert updated["data"]["fast_path"] is True
        assert await services.pool.fetchval("SELECT count(*) FROM events") == 1


async def test_video_clip_is_sampled_into_an_event(
    tmp_path: Path, database_url: str, redis_prefix: str
) -> None:
    settings = make_settings(tmp_path, database_url, redis_prefix)
    bus = np.asarray(cv2.imread(str(sample_images()[0])))
    bus = cv2.resize(bus, (405, 540))  # keep the aspect: HOG wants upright people
    clip = tmp_path / "clip.mp4"
    writer = cv2.VideoWriter(str(clip), cv2.VideoWriter.fourcc(*"mp4v"), 2.0, (405, 540))
    for shift in range(6):
        writer.write(np.roll(bus, shift * 10, axis=1))
    writer.release()
    async with running(settings) as (services, _):
        drop(settings.storage.watch_dir, "yard", "alarm.mp4", clip.read_bytes())

        async def event() -> bool:
            return bool(await services.pool.fetchval("SELECT count(*) FROM events WHERE final") == 1)

        await wait_for(event, what="the clip's event")
        frames = await services.pool.fetchval("SELECT count(DISTINCT frame_index) FROM detections")
        assert frames >= 2, "several frames of the clip were examined"
        assert await services.pool.fetchval("SELECT kind FROM media_files") == "video"


async def _settle(seconds: float = 2.0) -> None:
    import asyncio

    await asyncio.sleep(seconds)


@pytest.mark.parametrize("count", [12])
async def test_many_cameras_at_once(tmp_path: Path, database_url: str, redis_prefix: str, count: int) -> None:
    # A window closes after `batch_idle_seconds` without a new detection: on a loaded 2-core box
    # the HOG detector can take longer than the 1.5 s of make_settings between one camera's files,
    # which splits its burst in two events. This test is about many cameras, not that timing.
    settings = make_settings(tmp_path, database_url, redis_prefix, batch_idle_seconds=6.0)
    async with running(settings) as (services, _):
        for i in range(count):
            drop(settings.storage.watch_dir, f"cam{i % 4}", f"{i}.jpg", person_jpeg(100 + i))

        async def all_done() -> bool:
            return bool(await services.pool.fetchval("SELECT count(*) FROM events WHERE final") == 4)

        await wait_for(all_done, what="one event per camera")
        per_camera = await services.pool.fetch("SELECT camera_id, count(*) FROM media_files GROUP BY 1")
        assert {r["count"] for r in per_camera} == {3}


async def test_file_moved_into_a_brand_new_camera_folder_is_not_missed(
    tmp_path: Path, database_url: str, redis_prefix: str
) -> None:
    settings = make_settings(tmp_path, database_url, redis_prefix)
    staging = tmp_path / "staging"
    staging.mkdir()
    async with running(settings) as (services, _):
        await _settle(1.0)
        for i in range(3):
            src = staging / f"{i}.jpg"
            src.write_bytes(person_jpeg(8800 + i))
            folder = settings.storage.watch_dir / f"newcam{i}"
            folder.mkdir()
            src.replace(folder / "snap.jpg")  # lands before the watcher can add the new folder

        async def all_ingested() -> bool:
            return bool(await services.pool.fetchval("SELECT count(*) FROM media_files") == 3)

        await wait_for(all_ingested, timeout=30, what="files in new folders to be ingested")
