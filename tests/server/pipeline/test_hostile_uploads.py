"""Hostile uploads (issue 10): every file the watcher sees ends in a media row, a duplicate or a
dead letter, ingest never dies on one of them, and a bad name never forges a log line."""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import os
import struct
import zlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
import redis.asyncio as aioredis

from inference_server.metrics import Metrics
from inference_server.ml.frames import UndecodableMedia, decode_image
from inference_server.pipeline.ingest import Ingest
from inference_server.store.streams import Keys
from tests.server.pipeline.helpers import blank_jpeg, person_jpeg, wait_for


def make_ingest(tmp_path: Path, pool: asyncpg.Pool, redis: aioredis.Redis, keys: Keys, **kw: Any) -> Ingest:
    watch, media = tmp_path / "uploads", tmp_path / "media"
    watch.mkdir(exist_ok=True)
    return Ingest(
        watch_dir=watch,
        media_dir=media,
        pool=pool,
        redis=redis,
        keys=keys,
        metrics=Metrics(),
        max_file_bytes=5 * 1024 * 1024,
        stable_seconds=0.1,
        dedupe_ttl_seconds=60,
        rescan_seconds=kw.pop("rescan_seconds", 60.0),
        **kw,
    )


@contextlib.asynccontextmanager
async def watching(ingest: Ingest) -> AsyncIterator[asyncio.Task[None]]:
    stop = asyncio.Event()
    task = asyncio.create_task(ingest.run(stop))
    await asyncio.sleep(0.3)  # the watcher is up
    try:
        yield task
    finally:
        stop.set()
        await asyncio.wait_for(task, 20)


async def count(pool: asyncpg.Pool, sql: str) -> int:
    return int(await pool.fetchval(sql))


async def test_watcher_survives_a_non_utf8_name_and_keeps_ingesting(
    tmp_path: Path, pg_pool: asyncpg.Pool, redis_client: aioredis.Redis, keys: Keys
) -> None:
    ingest = make_ingest(tmp_path, pg_pool, redis_client, keys)
    cam = ingest.watch_dir / "cam1"
    cam.mkdir()
    async with watching(ingest) as task:
        with open(os.path.join(os.fsencode(cam), b"\xe9t\xe9.jpg"), "wb") as fh:
            fh.write(person_jpeg(11))
        folder = os.path.join(os.fsencode(ingest.watch_dir), b"cam\xff")
        os.mkdir(folder)
        with open(os.path.join(folder, b"a.jpg"), "wb") as fh:
            fh.write(blank_jpeg(1))
        (cam / "after.jpg").write_bytes(person_jpeg(12))

        async def settled() -> bool:
            return (
                await count(pg_pool, "SELECT count(*) FROM media_files") == 2
                and await count(pg_pool, "SELECT count(*) FROM dead_letters") == 1
            )

        await wait_for(settled, timeout=20, what="both files stored and the bad folder dead-lettered")
        assert not task.done(), "ingest is still running"
    names = sorted(r["original_name"] for r in await pg_pool.fetch("SELECT original_name FROM media_files"))
    assert names == sorted(["after.jpg", "\\xe9t\\xe9.jpg"])
    reason = await pg_pool.fetchval("SELECT reason FROM dead_letters")
    assert reason.startswith("bad_camera_name") and "cam\\xff" in reason
    assert os.listdir(ingest.watch_dir / "cam1") == []


@pytest.mark.parametrize("name", ["..jpg", "...", "a\nb.jpg"])
async def test_odd_names_end_in_a_row_or_a_dead_letter(
    tmp_path: Path, pg_pool: asyncpg.Pool, redis_client: aioredis.Redis, keys: Keys, name: str
) -> None:
    ingest = make_ingest(tmp_path, pg_pool, redis_client, keys)
    cam = ingest.watch_dir / "cam1"
    cam.mkdir()
    async with watching(ingest):
        (cam / name).write_bytes(b"not a picture at all" * 10)

        async def ended() -> bool:
            return await count(pg_pool, "SELECT count(*) FROM dead_letters") == 1

        await wait_for(ended, timeout=20, what=f"a dead letter for {name!r}")
    assert not (cam / name).exists()
    row = await pg_pool.fetchrow("SELECT reason, source_path FROM dead_letters")
    assert row is not None
    reason, source = row
    assert reason.startswith("bad_type") and "\n" not in source


async def test_fifo_gets_a_dead_letter_and_does_not_block_ingest(
    tmp_path: Path, pg_pool: asyncpg.Pool, redis_client: aioredis.Redis, keys: Keys
) -> None:
    ingest = make_ingest(tmp_path, pg_pool, redis_client, keys)
    cam = ingest.watch_dir / "cam1"
    cam.mkdir()
    async with watching(ingest):
        os.mkfifo(cam / "pipe.jpg")
        (cam / "real.jpg").write_bytes(person_jpeg(13))

        async def ended() -> bool:
            return (
                await count(pg_pool, "SELECT count(*) FROM dead_letters") == 1
                and await count(pg_pool, "SELECT count(*) FROM media_files") == 1
            )

        await wait_for(ended, timeout=30, what="the FIFO dead-lettered and the real file stored")
    assert (await pg_pool.fetchval("SELECT reason FROM dead_letters")).startswith("not_regular_file")


async def test_control_characters_in_a_name_never_reach_a_log_line_raw(
    tmp_path: Path,
    pg_pool: asyncpg.Pool,
    redis_client: aioredis.Redis,
    keys: Keys,
    caplog: pytest.LogCaptureFixture,
) -> None:
    ingest = make_ingest(tmp_path, pg_pool, redis_client, keys)
    forged = "x.jpg\n2026-01-01 ERROR forged line\r\x1b[31m"
    path = ingest.watch_dir / "cam1" / forged
    path.parent.mkdir()
    path.write_bytes(b"junk" * 20)
    caplog.set_level(logging.INFO)
    result = await ingest.ingest(path)
    assert result.outcome == "rejected"
    lines = [r.getMessage() for r in caplog.records]
    assert any("forged line" in line for line in lines), "the name is logged"
    for line in lines:
        assert "\n" not in line and "\r" not in line and "\x1b" not in line, line


async def test_unwritable_camera_media_folder_dead_letters_and_other_cameras_flow(
    tmp_path: Path, pg_pool: asyncpg.Pool, redis_client: aioredis.Redis, keys: Keys
) -> None:
    ingest = make_ingest(tmp_path, pg_pool, redis_client, keys, max_attempts=3)
    # A file where the camera's media folder should be: every write below it fails (as root,
    # permissions would not stop us), exactly like a read-only or broken folder.
    ingest.media_dir.mkdir(parents=True)
    (ingest.media_dir / "broken").write_text("in the way")
    (ingest.watch_dir / "broken").mkdir()
    (ingest.watch_dir / "fine").mkdir()
    bad = ingest.watch_dir / "broken" / "a.jpg"
    bad.write_bytes(person_jpeg(21))
    outcomes = [(await ingest.ingest(bad)).outcome for _ in range(3)]
    assert outcomes == ["failed", "failed", "rejected"], "attempts are spent, then a dead letter"
    good = ingest.watch_dir / "fine" / "b.jpg"
    good.write_bytes(person_jpeg(22))
    assert (await ingest.ingest(good)).outcome == "accepted"
    letter = await pg_pool.fetchrow("SELECT id, reason, payload FROM dead_letters")
    assert letter is not None
    assert letter["reason"].startswith("io_error")
    assert await count(pg_pool, "SELECT count(*) FROM media_files WHERE camera_id = 'broken'") == 0
    # Fix the folder and replay: the upload goes back to the watch dir and is stored.
    (ingest.media_dir / "broken").unlink()
    from inference_server.api.dlq import _restore_quarantined
    from inference_server.store import queries

    async def restore(payload: dict[str, Any]) -> None:
        await asyncio.to_thread(_restore_quarantined, payload, ingest.watch_dir)

    replay = await queries.prepare_replay(pg_pool, letter["id"], restore_quarantined=restore)
    assert replay is not None
    restored = [p for p in (ingest.watch_dir / "broken").iterdir()]
    assert len(restored) == 1
    assert (await ingest.ingest(restored[0])).outcome == "accepted"
    assert await count(pg_pool, "SELECT count(*) FROM media_files WHERE camera_id = 'broken'") == 1


async def test_paused_upload_to_the_watch_folder_is_not_ingested_truncated(
    tmp_path: Path, pg_pool: asyncpg.Pool, redis_client: aioredis.Redis, keys: Keys
) -> None:
    ingest = make_ingest(tmp_path, pg_pool, redis_client, keys)
    assert ingest.use_inotify, "this machine has inotify"
    (ingest.watch_dir / "cam1").mkdir()
    data = person_jpeg(31)
    async with watching(ingest):
        with open(ingest.watch_dir / "cam1" / "slow.jpg", "wb") as fh:
            fh.write(data[: len(data) // 2])
            fh.flush()
            await asyncio.sleep(1.5)  # far past stable_seconds (0.1) while the file is open
            assert await count(pg_pool, "SELECT count(*) FROM media_files") == 0
            assert await count(pg_pool, "SELECT count(*) FROM dead_letters") == 0
            fh.write(data[len(data) // 2 :])

        async def stored() -> bool:
            return await count(pg_pool, "SELECT count(*) FROM media_files") == 1

        await wait_for(stored, timeout=20, what="the completed upload")
    assert await pg_pool.fetchval("SELECT size_bytes FROM media_files") == len(data)


def _png_header_only(width: int, height: int) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    # A compressed stream of zeros: 1.2 GB once inflated, a few MB here.
    row = b"\0" * (width * 3 + 1)
    comp = zlib.compressobj(9)
    body = io.BytesIO()
    for _ in range(50):
        body.write(comp.compress(row))
    body.write(comp.flush())
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", body.getvalue()) + chunk(b"IEND", b"")


def test_decompression_bomb_png_is_refused_from_its_header() -> None:
    bomb = _png_header_only(20000, 20001)
    assert len(bomb) < 5 * 1024 * 1024
    with pytest.raises(UndecodableMedia, match="20000x20001 pixels is over the 40000000-pixel limit"):
        decode_image(bomb, 640, 40_000_000)
