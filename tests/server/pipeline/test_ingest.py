"""Ingest accepts complete, valid, new uploads and rejects everything else without losing it."""

from __future__ import annotations

import os
from pathlib import Path

import asyncpg
import pytest
import redis.asyncio as aioredis

from inference_server.metrics import Metrics
from inference_server.pipeline.ingest import Ingest, sniff_kind
from inference_server.store.streams import Keys
from tests.server.pipeline.helpers import blank_jpeg, person_jpeg
from tests.support.streams import stream_entries


@pytest.fixture
def dirs(tmp_path: Path) -> tuple[Path, Path]:
    watch, media = tmp_path / "uploads", tmp_path / "media"
    watch.mkdir()
    return watch, media


@pytest.fixture
def ingest(
    dirs: tuple[Path, Path], pg_pool: asyncpg.Pool, redis_client: aioredis.Redis, keys: Keys
) -> Ingest:
    watch, media = dirs
    return Ingest(
        watch_dir=watch,
        media_dir=media,
        pool=pg_pool,
        redis=redis_client,
        keys=keys,
        metrics=Metrics(),
        max_file_bytes=5 * 1024 * 1024,
        stable_seconds=0.1,
        dedupe_ttl_seconds=60,
    )


def put(watch: Path, rel: str, data: bytes) -> Path:
    path = watch / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


async def dead_letters(pool: asyncpg.Pool) -> list[str]:
    return [r["reason"] for r in await pool.fetch("SELECT reason FROM dead_letters ORDER BY id")]


def rejected_count(ingest: Ingest, reason: str) -> float:
    return ingest.metrics.registry.get_sample_value("hsi_ingest_rejected_total", {"reason": reason}) or 0.0


async def test_valid_jpeg_is_stored_moved_and_queued(
    ingest: Ingest, dirs: tuple[Path, Path], pg_pool: asyncpg.Pool, redis_client: aioredis.Redis, keys: Keys
) -> None:
    watch, media = dirs
    src = put(watch, "Front_Door/MDAlarm_20261126-021500.jpg", person_jpeg())
    result = await ingest.ingest(src)
    assert result.outcome == "accepted"
    row = await pg_pool.fetchrow("SELECT * FROM media_files WHERE id = $1", result.media_id)
    assert row is not None
    assert row["camera_id"] == "front_door" and row["kind"] == "image" and row["status"] == "queued"
    assert (media / row["path"]).read_bytes() == person_jpeg()
    assert not src.exists()
    entries = await stream_entries(redis_client, keys.stream("detect"))
    assert [e[1]["media_id"] for e in entries] == [str(result.media_id)]


async def test_same_content_twice_is_one_media(
    ingest: Ingest, dirs: tuple[Path, Path], pg_pool: asyncpg.Pool
) -> None:
    watch, _ = dirs
    first = await ingest.ingest(put(watch, "cam1/a.jpg", person_jpeg(1)))
    second = await ingest.ingest(put(watch, "cam1/b.jpg", person_jpeg(1)))
    assert (first.outcome, second.outcome) == ("accepted", "duplicate")
    assert await pg_pool.fetchval("SELECT count(*) FROM media_files") == 1


async def test_database_backstop_catches_duplicate_when_redis_forgot(
    ingest: Ingest, dirs: tuple[Path, Path], pg_pool: asyncpg.Pool, redis_client: aioredis.Redis, keys: Keys
) -> None:
    watch, _ = dirs
    await ingest.ingest(put(watch, "cam1/a.jpg", person_jpeg(2)))
    async for key in redis_client.scan_iter(match=f"{keys.prefix}:seen:*"):
        await redis_client.delete(key)
    again = await ingest.ingest(put(watch, "cam1/a2.jpg", person_jpeg(2)))
    assert again.outcome == "duplicate"
    assert await pg_pool.fetchval("SELECT count(*) FROM media_files") == 1


@pytest.mark.parametrize(
    ("rel", "data", "reason"),
    [
        ("cam1/empty.jpg", b"", "empty"),
        ("cam1/notes.jpg", b"this is plain text, not a picture\n" * 4, "bad_type"),
        ("cam1/script.mp4", b"#!/bin/sh\nrm -rf /\n", "bad_type"),
        ("bad name!/x.jpg", blank_jpeg(), "bad_camera_name"),
        ("loose.jpg", blank_jpeg(), "no_camera_folder"),
    ],
)
async def test_bad_uploads_are_quarantined_with_a_reason(
    ingest: Ingest, dirs: tuple[Path, Path], pg_pool: asyncpg.Pool, rel: str, data: bytes, reason: str
) -> None:
    watch, media = dirs
    src = put(watch, rel, data)
    result = await ingest.ingest(src)
    assert (result.outcome, result.reason) == ("rejected", reason)
    assert not src.exists(), "a rejected file leaves the upload folder"
    quarantined = list((media / "quarantine").iterdir())
    assert len(quarantined) == 1 and quarantined[0].read_bytes() == data, "nothing is lost"
    assert (await dead_letters(pg_pool))[0].startswith(reason)
    assert rejected_count(ingest, reason) == 1
    assert await pg_pool.fetchval("SELECT count(*) FROM media_files") == 0


async def test_two_gigabyte_file_is_rejected_without_reading_it(
    ingest: Ingest, dirs: tuple[Path, Path]
) -> None:
    watch, media = dirs
    big = watch / "cam1" / "huge.mp4"
    big.parent.mkdir()
    with big.open("wb") as fh:  # sparse: 2 GiB on paper, nothing on disk
        fh.truncate(2 * 1024**3)
    result = await ingest.ingest(big)
    assert (result.outcome, result.reason) == ("rejected", "too_large")
    assert (next((media / "quarantine").iterdir())).stat().st_size == 2 * 1024**3


async def test_non_utf8_file_name_is_accepted_and_recorded_readably(
    ingest: Ingest, dirs: tuple[Path, Path], pg_pool: asyncpg.Pool
) -> None:
    watch, _ = dirs
    (watch / "cam1").mkdir()
    raw = os.path.join(os.fsencode(watch / "cam1"), b"snap-\xff\xfe.jpg")
    with open(raw, "wb") as fh:
        fh.write(person_jpeg(3))
    result = await ingest.ingest(Path(os.fsdecode(raw)))
    assert result.outcome == "accepted"
    name = await pg_pool.fetchval("SELECT original_name FROM media_files")
    assert name == "snap-\\xff\\xfe.jpg"


async def test_non_utf8_camera_folder_is_rejected(
    ingest: Ingest, dirs: tuple[Path, Path], pg_pool: asyncpg.Pool
) -> None:
    watch, media = dirs
    folder = os.path.join(os.fsencode(watch), b"cam\xff")
    os.mkdir(folder)
    raw = os.path.join(folder, b"a.jpg")
    with open(raw, "wb") as fh:
        fh.write(blank_jpeg())
    result = await ingest.ingest(Path(os.fsdecode(raw)))
    assert (result.outcome, result.reason) == ("rejected", "bad_camera_name")
    assert "cam\\xff" in (await dead_letters(pg_pool))[0]


async def test_dot_dot_camera_folder_is_rejected(
    ingest: Ingest, dirs: tuple[Path, Path], tmp_path: Path
) -> None:
    watch, _ = dirs
    outside = tmp_path / "outside.jpg"
    outside.write_bytes(blank_jpeg())
    result = await ingest.ingest(watch / ".." / "outside.jpg")
    assert result.outcome == "rejected" and result.reason == "outside_watch_dir"
    assert outside.exists(), "files outside the watch dir are never touched"
    result = await ingest.ingest(Path(str(watch) + "/cam1/../../outside.jpg"))
    assert result.reason == "outside_watch_dir" and outside.exists()


async def test_symlinked_camera_folder_escaping_watch_dir_is_rejected(
    ingest: Ingest, dirs: tuple[Path, Path], tmp_path: Path
) -> None:
    watch, media = dirs
    secret = tmp_path / "secret"
    secret.mkdir()
    (secret / "passwd.jpg").write_bytes(person_jpeg(4))
    (watch / "evilcam").symlink_to(secret, target_is_directory=True)
    result = await ingest.ingest(watch / "evilcam" / "passwd.jpg")
    assert (result.outcome, result.reason) == ("rejected", "outside_watch_dir")
    assert (secret / "passwd.jpg").exists(), "the target outside the watch dir is left alone"


async def test_symlinked_file_is_rejected(ingest: Ingest, dirs: tuple[Path, Path], tmp_path: Path) -> None:
    watch, _ = dirs
    target = tmp_path / "elsewhere.jpg"
    target.write_bytes(person_jpeg(5))
    (watch / "cam1").mkdir()
    (watch / "cam1" / "link.jpg").symlink_to(target)
    result = await ingest.ingest(watch / "cam1" / "link.jpg")
    assert (result.outcome, result.reason) == ("rejected", "symlink")
    assert target.exists()


async def test_file_deleted_before_it_is_read_is_reported_not_fatal(
    ingest: Ingest, dirs: tuple[Path, Path]
) -> None:
    watch, _ = dirs
    result = await ingest.ingest(watch / "cam1" / "gone.jpg")
    assert result.outcome == "vanished"
    assert ingest.metrics.registry.get_sample_value("hsi_ingest_files_total", {"outcome": "vanished"}) == 1


async def test_temporary_upload_names_are_ignored_until_renamed(
    ingest: Ingest, dirs: tuple[Path, Path]
) -> None:
    watch, _ = dirs
    tmp = put(watch, "cam1/.upload.jpg.part", person_jpeg(6))
    assert (await ingest.ingest(tmp)).outcome == "ignored"
    assert tmp.exists()


def test_magic_bytes() -> None:
    assert sniff_kind(b"\xff\xd8\xff\xe0" + b"\0" * 12) == ("image", ".jpg")
    assert sniff_kind(b"\x89PNG\r\n\x1a\n" + b"\0" * 8) == ("image", ".png")
    assert sniff_kind(b"\0\0\0\x18ftypmp42" + b"\0" * 4) == ("video", ".mp4")
    with pytest.raises(Exception, match="not JPEG, PNG or MP4"):
        sniff_kind(b"GIF89a" + b"\0" * 10)


async def test_new_camera_folder_is_left_alone(ingest: Ingest, dirs: tuple[Path, Path]) -> None:
    watch, media = dirs
    (watch / "new_cam").mkdir()
    assert (await ingest.ingest(watch / "new_cam")).outcome == "ignored"
    assert (watch / "new_cam").is_dir() and not (media / "quarantine").exists()
