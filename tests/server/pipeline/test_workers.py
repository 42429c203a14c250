"""Separate worker processes share a stream; a killed worker's entries are reclaimed."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from inference_server.settings import Settings
from tests.server.pipeline.helpers import drop, make_settings, person_jpeg, running, wait_for

ROOT = Path(__file__).resolve().parents[3]


def worker_env(settings: Settings) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "HSI_DATABASE_URL": settings.database.url,
            "HSI_REDIS_URL": settings.redis.url,
            "HSI_REDIS_PREFIX": settings.redis.prefix,
            "HSI_DATA_DIR": str(settings.storage.data_dir),
            "HSI_DETECTOR": "opencv",
            "HSI_RECLAIM_IDLE_SECONDS": "2",
            "HSI_DETECTOR_BATCH_SIZE": "4",
            "HSI_LOG_LEVEL": "INFO",
        }
    )
    return env


def start_worker(settings: Settings, log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "inference_server", "worker", "--stage", "detect"],
        cwd=ROOT,
        env=worker_env(settings),
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )


@pytest.mark.slow
async def test_killed_worker_loses_nothing_and_duplicates_nothing(
    tmp_path: Path, database_url: str, redis_prefix: str
) -> None:
    settings = make_settings(tmp_path, database_url, redis_prefix, batch_idle_seconds=2.0)
    log = tmp_path / "workers.log"
    files = 24
    # Ingest, windows, enrichment and assessment run here; detection runs in separate worker processes.
    async with running(settings, stages=("ingest", "window", "enrich", "assess")) as (services, _):
        first = start_worker(settings, log)
        try:
            for i in range(files):
                drop(settings.storage.watch_dir, f"cam{i % 3}", f"{i}.jpg", person_jpeg(500 + i))

            async def some_detected() -> bool:
                done = await services.pool.fetchval(
                    "SELECT count(*) FROM media_files WHERE status <> 'queued'"
                )
                return bool(done >= 3)

            await wait_for(some_detected, timeout=120, what="the first worker to make progress")
            first.send_signal(signal.SIGKILL)  # mid-stream: entries stay pending in its name
            first.wait(10)
            remaining = await services.pool.fetchval(
                "SELECT count(*) FROM media_files WHERE status = 'queued'"
            )
            assert remaining > 0, "the kill happened mid-stream"
            second = start_worker(settings, log)
            try:

                async def all_settled() -> bool:
                    media = await services.pool.fetchval("SELECT count(*) FROM media_files")
                    unsettled = await services.pool.fetchval(
                        "SELECT count(*) FROM media_files WHERE status = 'queued'"
                        " OR (status = 'detected' AND event_id IS NULL)"
                    )
                    final = await services.pool.fetchval("SELECT bool_and(final) FROM events")
                    return media == files and unsettled == 0 and bool(final)

                await wait_for(all_settled, timeout=180, what="every file to end in an event or dead letter")
            finally:
                second.terminate()
                second.wait(20)
        finally:
            if first.poll() is None:
                first.kill()
        rows = await services.pool.fetch("SELECT id, status, event_id FROM media_files")
        for r in rows:
            assert (r["status"] == "dead_letter") != (r["event_id"] is not None), dict(r)
        # No detection was stored twice for the same media and frame.
        assert (
            await services.pool.fetchval(
                "SELECT count(*) FROM (SELECT media_id, frame_index, label, x1, y1, count(*) FROM detections"
                " GROUP BY 1, 2, 3, 4, 5 HAVING count(*) > 1) d"
            )
            == 0
        )
        # Every detection belongs to exactly the event of its media.
        assert (
            await services.pool.fetchval(
                "SELECT count(*) FROM event_detections ed JOIN detections d ON d.id = ed.detection_id"
                " JOIN media_files m ON m.id = d.media_id WHERE m.event_id <> ed.event_id"
            )
            == 0
        )
    assert "reclaimed" in log.read_text(), "the second worker took over the dead worker's entries"


async def test_worker_with_unreachable_database_exits_with_one_line(tmp_path: Path) -> None:
    env = dict(
        os.environ,
        HSI_DATABASE_URL="postgresql://postgres@127.0.0.1:1/hsi",
        HSI_DETECTOR="opencv",
        HSI_DATA_DIR=str(tmp_path),
    )
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "inference_server",
        "worker",
        "--stage",
        "assess",
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 3
    last = err.decode().strip().splitlines()[-1]
    assert last.startswith("hsi: cannot connect to PostgreSQL at postgresql://postgres@127.0.0.1:1/hsi")


async def test_bad_configuration_exits_with_one_line(tmp_path: Path) -> None:
    env = dict(os.environ, HSI_API_PORT="not-a-port")
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "inference_server",
        "serve",
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 2
    assert (
        err.decode().strip()
        == "hsi: configuration error: setting 'api_port': Input should be a valid integer, unable to parse string as an integer"
    )
