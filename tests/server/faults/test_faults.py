"""The fault suite (issue 10): real `hsi worker` / `hsi serve` processes on the machine's
PostgreSQL and Redis, a steady stream of uploads from several cameras, and one fault per test.

Every test ends with the account of `rig.Rig.account`: each upload ended in exactly one published
final event, or a dead letter with its reason, or quarantine; nothing lost, nothing duplicated.
Faults are triggered by progress (a worker holding entries, a number of events), never by time,
and nothing asserts how long anything took. `HSI_FAULTS_RESULTS=FILE` collects each test's
tally; `python -m tests.server.faults.table FILE` prints the table of docs/reliability.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import socket
import struct
import subprocess
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import aiohttp
import asyncpg
import pytest
from aiohttp import web

from tests.server.conftest import PG_ADMIN_URL, REDIS_URL
from tests.server.faults.rig import Rig, Tally, Upload
from tests.server.pipeline.helpers import person_jpeg
from tests.server.pipeline.tcp_proxy import TcpProxy

pytestmark = pytest.mark.slow

CAMERAS = 8


def person_uploads(n: int, *, seed: int, cameras: int = CAMERAS) -> list[Upload]:
    """n uploads with people in them, round-robin over `cameras` cameras, each unique."""
    return [
        Upload(f"cam{i % cameras:02d}", f"snap_{seed}_{i:03d}.jpg", person_jpeg(seed * 1000 + i))
        for i in range(n)
    ]


def consumer(proc: subprocess.Popen[bytes], suffix: str = "") -> str:
    """The consumer name a worker process reads its stream with (hostname-pid, see App)."""
    return f"{socket.gethostname()}-{proc.pid}{suffix}"


async def holds(rig: Rig, stage: str, group: str, name: str) -> int:
    """Entries of `stage` delivered to consumer `name` and not acknowledged."""
    assert rig.redis is not None
    with contextlib.suppress(Exception):
        for c in await rig.redis.xinfo_consumers(rig.keys.stream(stage), group):
            if c["name"] == name:
                return int(c["pending"])
    return 0


def assert_all_accounted(tally: Tally, uploads: list[Upload], rig: Rig) -> None:
    tally.record()
    assert tally.lost == 0 and tally.duplicated == 0, "\n".join(tally.problems) + "\n" + rig.tails()
    assert tally.unexpected(uploads) == [], rig.tails()


@contextlib.asynccontextmanager
async def rig_for(
    tmp_path: Path,
    database_url: str,
    redis_prefix: str,
    *,
    workers_database_url: str | None = None,
    workers_redis_url: str | None = None,
    **kw: object,
) -> AsyncIterator[Rig]:
    rig = Rig(
        tmp_path,
        database_url=database_url,
        redis_url=REDIS_URL,
        redis_prefix=redis_prefix,
        **kw,  # type: ignore[arg-type]
    )
    if workers_database_url:
        rig.env["HSI_DATABASE_URL"] = workers_database_url
    if workers_redis_url:
        rig.env["HSI_REDIS_URL"] = workers_redis_url
    async with rig:
        yield rig


# ---------------------------------------------------------------------- 1. SIGKILL of workers


async def test_sigkill_of_detect_and_assess_workers_mid_stream_loses_and_duplicates_nothing(
    tmp_path: Path, pg_pool: asyncpg.Pool, database_url: str, redis_prefix: str
) -> None:
    uploads = person_uploads(32, seed=1)
    async with rig_for(tmp_path, database_url, redis_prefix) as rig:
        await rig.start("front", "ingest", "window")
        await rig.start("detect-1", "detect")
        await rig.start("detect-2", "detect")
        await rig.start("assess-1", "enrich", "assess")
        feeder = asyncio.create_task(rig.feed(uploads))
        detect_1 = consumer(rig.procs["detect-1"], "-d0")
        await rig.until(
            lambda: _positive(holds(rig, "detect", "detectors", detect_1)),
            "detect-1 to hold entries",
            interval=0.01,
        )
        rig.kill("detect-1")  # mid-batch: its entries stay pending in its name
        assess_1 = consumer(rig.procs["assess-1"])
        await rig.until(
            lambda: _positive(holds(rig, "assess", "assessors", assess_1)),
            "assess-1 to hold a window",
            interval=0.01,
        )
        rig.kill("assess-1")
        await rig.start("assess-2", "enrich", "assess")
        await feeder
        tally = await rig.settle("SIGKILL of a detect and an assess worker mid-stream, restart", uploads)
        reclaimed = rig.log("detect-2").read_text() + rig.log("assess-2").read_text()
        assert reclaimed.count("reclaimed=") >= 2, "both dead workers' entries were taken over"
    assert_all_accounted(tally, uploads, rig)


async def _positive(n: Awaitable[int]) -> bool:
    return await n > 0


async def test_sigkill_of_the_ingest_and_window_process_mid_stream_loses_nothing(
    tmp_path: Path, pg_pool: asyncpg.Pool, database_url: str, redis_prefix: str
) -> None:
    uploads = person_uploads(24, seed=2)
    async with rig_for(tmp_path, database_url, redis_prefix) as rig:
        await rig.start("front-1", "ingest", "window")
        await rig.start("detect", "detect")
        await rig.start("assess", "enrich", "assess")
        feeder = asyncio.create_task(rig.feed(uploads))
        await rig.until(lambda: _at_least(rig, "SELECT count(*) FROM media_files", 6), "six uploads ingested")
        rig.kill("front-1")  # uploads keep landing while nobody ingests; windows stay open
        await feeder
        await rig.start("front-2", "ingest", "window")
        tally = await rig.settle("SIGKILL of the ingest + window process mid-stream, restart", uploads)
    assert_all_accounted(tally, uploads, rig)


async def _at_least(rig: Rig, sql: str, n: int) -> bool:
    return await rig.count(sql) >= n


# ---------------------------------------------------------------------- 2. connections cut


def _proxied_pg(database_url: str, port: int) -> str:
    db_name = database_url.rsplit("/", 1)[1]
    user = PG_ADMIN_URL.split("//", 1)[1].split("@", 1)[0]
    return f"postgresql://{user}@127.0.0.1:{port}/{db_name}"


def _appends_to(key: str) -> Callable[[bytes], bool]:
    """Whether a client's bytes (RESP) append to stream `key`: `XADD key`, or a script (EVAL)
    naming it."""
    name = f"${len(key)}\r\n{key}\r\n".encode()
    return lambda data: name in data and (b"$4\r\nXADD\r\n" + name in data or b"$4\r\nEVAL\r\n" in data)


async def test_redis_and_postgres_connections_cut_mid_stream_lose_and_duplicate_nothing(
    tmp_path: Path, pg_pool: asyncpg.Pool, database_url: str, redis_prefix: str
) -> None:
    pg, rd = TcpProxy("127.0.0.1", 5432), TcpProxy("127.0.0.1", 6379)
    await pg.start()
    await rd.start()
    uploads = person_uploads(32, seed=3)
    async with rig_for(
        tmp_path,
        database_url,
        redis_prefix,
        workers_database_url=_proxied_pg(database_url, pg.port),
        workers_redis_url=f"redis://127.0.0.1:{rd.port}/0",
    ) as rig:
        await rig.start("front", "ingest", "window")
        await rig.start("detect", "detect")
        await rig.start("assess", "enrich", "assess")
        # Two cuts at the worst moments: ingest's hand-over to detect right after the media row is
        # committed, and assess's publication right after the event is committed.
        queued = rd.drop_on(_appends_to(rig.keys.stream("detect")))
        published = rd.drop_on(_appends_to(rig.keys.stream("publish")))
        feeder = asyncio.create_task(rig.feed(uploads, every_s=0.1))
        await asyncio.wait_for(asyncio.gather(queued.wait(), published.wait()), 120)
        # Then every connection of both services, twice, and one outage of each.
        for sql, n in (("SELECT count(*) FROM media_files", 12), ("SELECT count(*) FROM events", 4)):
            await rig.until(lambda sql=sql, n=n: _at_least(rig, sql, n), sql)  # type: ignore[misc]
            pg.drop()
            rd.drop()
        await rig.until(lambda: _at_least(rig, "SELECT count(*) FROM media_files", 20), "20 ingested")
        await rd.cut()
        await asyncio.sleep(3)  # an outage of a few seconds (its length is not what is tested)
        await rd.start()
        await rig.until(lambda: _at_least(rig, "SELECT count(*) FROM media_files", 26), "26 ingested")
        await pg.cut()
        await asyncio.sleep(3)
        await pg.start()
        await feeder
        tally = await rig.settle(
            "Redis and PostgreSQL connections cut (at the hand-over after a commit, drops, 3 s outages)",
            uploads,
        )
    await pg.cut()
    await rd.cut()
    assert_all_accounted(tally, uploads, rig)


# ---------------------------------------------------------------------- 3. dead or hanging LLM


@contextlib.asynccontextmanager
async def broken_llm() -> AsyncIterator[tuple[str, dict[str, int]]]:
    """An OpenAI-compatible server on loopback that never gives a usable answer: in turn it
    hangs, answers 500, answers 200 with garbage, and closes the connection."""
    calls = {"hang": 0, "500": 0, "garbage": 0, "close": 0}
    modes = list(calls)
    forever = asyncio.Event()

    async def chat(request: web.Request) -> web.StreamResponse:
        mode = modes[sum(calls.values()) % len(modes)]
        calls[mode] += 1
        await request.read()
        if mode == "hang":
            await forever.wait()
        if mode == "500":
            return web.Response(status=500, text="internal error")
        if mode == "garbage":
            return web.Response(text='{"choices": [{"message": {"content": "risk: ???"}}', status=200)
        assert request.transport is not None
        request.transport.abort()
        return web.Response()

    app = web.Application()
    app.router.add_post("/v1/chat/completions", chat)
    runner = web.AppRunner(app, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}", calls
    finally:
        forever.set()
        await runner.cleanup()


async def test_a_dead_or_hanging_llm_falls_back_to_the_heuristic_for_every_event(
    tmp_path: Path, pg_pool: asyncpg.Pool, database_url: str, redis_prefix: str
) -> None:
    uploads = person_uploads(24, seed=4)
    async with (
        broken_llm() as (url, calls),
        rig_for(
            tmp_path,
            database_url,
            redis_prefix,
            extra_env={
                "HSI_LLM_BACKEND": "openai",
                "HSI_LLM_URL": url,
                "HSI_LLM_MODEL": "broken",
                "HSI_LLM_TIMEOUT_SECONDS": "1",
            },
        ) as rig,
    ):
        await rig.start("front", "ingest", "window")
        await rig.start("detect", "detect")
        await rig.start("assess", "enrich", "assess")
        await rig.feed(uploads)
        tally = await rig.settle("LLM server hangs / 500 / garbage / closes (rotating)", uploads)
        by = await pg_pool.fetch("SELECT assessed_by, model, count(*) AS n FROM events GROUP BY 1, 2")
        assessed = rig.log("assess").read_text()
    assert [(r["assessed_by"], r["model"]) for r in by] == [("heuristic", "heuristic")], by
    assert all(n >= 1 for n in calls.values()), calls  # every failure mode was met
    assert assessed.count("assess fallback backend=openai") >= sum(r["n"] for r in by)
    assert "gave no answer within 1 s" in assessed
    assert_all_accounted(tally, uploads, rig)


# ---------------------------------------------------------------------- 4. full disk


def _mount_tmpfs(path: Path, size: str) -> bool:
    path.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], capture_output=True, check=False
    )
    return done.returncode == 0


def _fill(folder: Path) -> Path:
    """Write a filler file until the file system says ENOSPC."""
    filler = folder / "filler.bin"
    with filler.open("wb") as fh:
        try:
            while True:
                fh.write(b"\0" * 65536)
                fh.flush()
        except OSError as exc:
            assert exc.errno == errno.ENOSPC, exc
    return filler


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _ready(port: int) -> tuple[int, dict[str, bool]]:
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"http://127.0.0.1:{port}/api/system/ready") as resp,
    ):
        body = await resp.json()
        return resp.status, dict(body["checks"])


async def test_a_full_media_disk_keeps_uploads_says_so_in_ready_and_ingests_them_once_space_returns(
    tmp_path: Path, pg_pool: asyncpg.Pool, database_url: str, redis_prefix: str
) -> None:
    media = tmp_path / "media-disk"
    if os.geteuid() != 0 or not _mount_tmpfs(media, "8m"):
        pytest.skip("needs root to mount a small tmpfs as the media disk")
    port = _free_port()
    try:
        before, during = person_uploads(4, seed=5), person_uploads(12, seed=6)
        async with rig_for(
            tmp_path,
            database_url,
            redis_prefix,
            media_dir=media,
            extra_env={"HSI_API_PORT": str(port), "HSI_API_KEYS_REQUIRED": "false"},
        ) as rig:
            await rig.start("serve")  # every stage and the API in one process
            await rig.feed(before)
            await rig.until(lambda: rig.settled(before), "the uploads before the disk filled")
            filler = _fill(media)
            await rig.feed(during)
            await rig.until(lambda: _not_ready_for_storage(port), "ready to name the full disk")
            status, checks = await _ready(port)
            assert status == 503 and checks["storage"] is False, checks
            # Nothing was given up meanwhile: every upload still waits in the watch folder.
            waiting = sorted(p.name for p in rig.watch_dir.rglob("*.jpg"))
            assert waiting == sorted(u.name for u in during)
            assert await rig.count("SELECT count(*) FROM dead_letters") == 0
            filler.unlink()  # space returns
            tally = await rig.settle("media disk full (tmpfs ENOSPC), then space returns", before + during)
            status, checks = await _ready(port)
            assert status == 200 and checks["storage"] is True, checks
            assert "media storage is full" in rig.log("serve").read_text()
    finally:
        subprocess.run(["umount", "-l", str(media)], check=False)
    assert_all_accounted(tally, before + during, rig)


async def _not_ready_for_storage(port: int) -> bool:
    with contextlib.suppress(aiohttp.ClientError, KeyError, ValueError):
        _status, checks = await _ready(port)
        return checks.get("storage") is False
    return False


# ---------------------------------------------------------------------- 5. hostile uploads


def _huge_png(width: int = 20000, height: int = 20001) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" * 4096))
        + chunk(b"IEND", b"")
    )


def hostile_uploads() -> list[Upload]:
    good = person_jpeg(7_000)
    return [
        Upload("cam00", "truncated.jpg", good[: len(good) // 2], expect="dead_letter"),
        Upload("cam01", "zero.jpg", b"", expect="quarantined"),
        Upload("cam02", "bomb.png", _huge_png(), expect="dead_letter"),
        Upload("cam03", "not-an-image.jpg", b"#!/bin/sh\nrm -rf /\n" * 10, expect="quarantined"),
        Upload("cam04", "a\nlevel=ERROR forged=1.jpg", person_jpeg(7_001)),
        Upload("cam05", os.fsdecode(b"\xe9t\xe9.jpg"), person_jpeg(7_002)),
        Upload("cam06", "..jpg", person_jpeg(7_003)),
        Upload("cam07", "x" * 200 + ".jpg", person_jpeg(7_004)),
        Upload("Bad Camera!", "ok.jpg", person_jpeg(7_005), expect="quarantined"),
        Upload("", "no-camera-folder.jpg", person_jpeg(7_006), expect="quarantined"),
    ]


async def test_hostile_uploads_in_a_burst_are_quarantined_with_a_reason_and_the_rest_unaffected(
    tmp_path: Path, pg_pool: asyncpg.Pool, database_url: str, redis_prefix: str
) -> None:
    good = person_uploads(24, seed=8)
    hostile = hostile_uploads()
    mixed = [u for i, g in enumerate(good) for u in ([g, hostile[i]] if i < len(hostile) else [g])]
    async with rig_for(tmp_path, database_url, redis_prefix) as rig:
        await rig.start("front", "ingest", "window")
        await rig.start("detect", "detect")
        await rig.start("assess", "enrich", "assess")
        await rig.feed(mixed, every_s=0.02)
        tally = await rig.settle("hostile uploads mixed into a burst", mixed)
        reasons = {
            r["reason"].split(":", 1)[0]
            for r in await pg_pool.fetch("SELECT reason FROM dead_letters WHERE stage = 'ingest'")
        }
        detect_reasons = [
            r["reason"] for r in await pg_pool.fetch("SELECT reason FROM dead_letters WHERE stage = 'detect'")
        ]
        logs = "".join(rig.log(n).read_text() for n in ("front", "detect", "assess"))
    assert reasons == {"empty", "bad_type", "bad_camera_name", "no_camera_folder"}, reasons
    assert sorted(r.split(" (")[0].split(":")[0] for r in detect_reasons) == sorted(
        ["cannot decode image", "cannot decode image"]
    ), detect_reasons
    assert any("truncated JPEG" in r for r in detect_reasons), detect_reasons
    assert any("pixels" in r for r in detect_reasons), detect_reasons
    assert "\nlevel=ERROR forged=1" not in logs  # a name never forges a log line
    assert_all_accounted(tally, mixed, rig)


def test_uploads_are_unique() -> None:
    # The account keys uploads by camera and name, and dedupe by content: both must be unique.
    seen = person_uploads(32, seed=1) + person_uploads(32, seed=3) + hostile_uploads()
    assert len({(u.camera, u.name) for u in seen}) == len(seen)
    assert len({u.data for u in seen}) == len(seen)
