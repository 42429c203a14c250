"""Benchmark of the events API on a large table: `GET /api/events` throughput and latency, search p95.

Run it against a scratch database (it adds `n_events` events on cameras named `bench_cam_*`):

    python -m tools.bench_api postgresql://localhost/hsi_bench 100000
"""

from __future__ import annotations

import asyncio
import json
import random
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import aiohttp
import asyncpg
import redis.asyncio as aioredis
from aiohttp import web
from asyncpg.pool import PoolConnectionProxy

from inference_server.api.app import create_app
from inference_server.api.context import ApiContext, ApiLimits
from inference_server.bus.publish import Publisher
from inference_server.domain.risk import level_for_score
from inference_server.metrics import Metrics
from inference_server.settings import Settings
from inference_server.store.streams import Keys

CAMERAS = 8
_SUBJECTS = (
    "a person",
    "a courier",
    "a white van",
    "a dark sedan",
    "a cat",
    "a dog",
    "a cyclist",
    "two people",
    "a delivery driver",
    "a pickup truck",
)
_ACTIONS = (
    "walked up the path",
    "idled in the driveway",
    "crossed the lawn",
    "rang the doorbell",
    "tried the door handle",
    "left a parcel",
    "passed on the sidewalk",
    "lingered by the back gate",
)
_TIMES = ("at night", "in the afternoon", "at dawn", "in the evening", "around midday")
_REASONS = (
    "Familiar pattern for this hour.",
    "Unusual for this camera and hour.",
    "Short visit, no loitering.",
    "Stayed several minutes near an entry point.",
    "Moved toward the house quickly.",
    "Matches a resident seen earlier.",
)
_OBJECTS = ("person", "car", "truck", "dog", "cat", "bicycle")
_ZONES = ("Porch", "Driveway", "Sidewalk", "Yard", "Back gate")
SEARCHES = (
    "van",
    '"white van"',
    "person OR dog",
    "parcel -courier",
    "driveway night",
    "door handle",
    "cyclist OR bicycle",
    "back gate",
)


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


async def seed_events(pool: asyncpg.Pool, n_events: int, *, seed: int = 7) -> int:
    """Make sure at least `n_events` bench events exist (COPY in batches); returns how many were added."""
    existing = await pool.fetchval("SELECT count(*) FROM events WHERE camera_id LIKE 'bench_cam_%'")
    missing = n_events - int(existing)
    if missing <= 0:
        return 0
    rng = random.Random(seed + int(existing))
    async with pool.acquire() as conn:
        for c in range(CAMERAS):
            await conn.execute(
                "INSERT INTO cameras (id, name) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING",
                f"bench_cam_{c}",
                f"Bench camera {c}",
            )
        start = datetime.now(UTC) - timedelta(days=90)
        columns = [
            "id",
            "camera_id",
            "started_at",
            "ended_at",
            "risk_score",
            "risk_level",
            "summary",
            "reasoning",
            "objects",
            "zones",
            "context",
            "fast_path",
            "final",
            "assessed_by",
        ]
        batch: list[tuple[Any, ...]] = []
        for _ in range(missing):
            score = min(100, int(rng.expovariate(1 / 18)))
            started = start + timedelta(seconds=rng.uniform(0, 90 * 86400))
            objects = {rng.choice(_OBJECTS): rng.randint(1, 3) for _ in range(rng.randint(1, 2))}
            summary = f"{rng.choice(_SUBJECTS).capitalize()} {rng.choice(_ACTIONS)} {rng.choice(_TIMES)}."
            batch.append(
                (
                    uuid.UUID(int=rng.getrandbits(128), version=4),
                    f"bench_cam_{rng.randrange(CAMERAS)}",
                    started,
                    started + timedelta(seconds=rng.randint(5, 90)),
                    score,
                    level_for_score(score).value,
                    summary,
                    f"{rng.choice(_REASONS)} {rng.choice(_REASONS)}",
                    json.dumps(objects),
                    rng.sample(_ZONES, rng.randint(0, 2)),
                    "{}",
                    False,
                    True,
                    "heuristic",
                )
            )
            if len(batch) >= 10_000:
                await _copy(conn, batch, columns)
                batch = []
        if batch:
            await _copy(conn, batch, columns)
        await conn.execute("ANALYZE events")
    return missing


async def _copy(
    conn: asyncpg.Connection | PoolConnectionProxy, rows: list[tuple[Any, ...]], columns: list[str]
) -> None:
    # Text-format COPY via a staging table keeps jsonb handling independent of the pool's codecs.
    async with conn.transaction():
        await conn.execute(
            "CREATE TEMP TABLE bench_stage (id uuid, camera_id text, started_at timestamptz,"
            " ended_at timestamptz, risk_score smallint, risk_level text, summary text, reasoning text,"
            " objects text, zones text[],"
            " context text, fast_path boolean, final boolean, assessed_by text) ON COMMIT DROP"
        )
        await conn.copy_records_to_table("bench_stage", records=rows, columns=columns)
        await conn.execute(
            f"INSERT INTO events ({', '.join(columns)}) SELECT id, camera_id, started_at, ended_at,"
            " risk_score, risk_level, summary, reasoning, objects::jsonb, zones, context::jsonb, fast_path,"
            " final, assessed_by FROM bench_stage"
        )


async def _timed_gets(session: aiohttp.ClientSession, urls: list[str]) -> list[float]:
    latencies: list[float] = []
    for url in urls:
        started = time.perf_counter()
        async with session.get(url) as resp:
            body = await resp.read()
            if resp.status != 200:
                raise RuntimeError(f"GET {url} answered {resp.status}: {body[:200]!r}")
        latencies.append((time.perf_counter() - started) * 1000.0)
    return latencies


async def bench_events_api(
    pool: asyncpg.Pool,
    n_events: int = 100_000,
    *,
    redis_url: str = "redis://localhost:6379/0",
    clients: int = 4,
    requests_per_client: int = 250,
    search_requests: int = 200,
    media_dir: Path | None = None,
) -> dict[str, Any]:
    """Seed `n_events` events, serve the API on 127.0.0.1, and measure it.

    Returns events, seed_seconds, list_rps, list_p50_ms, list_p95_ms (a mix of first pages, filtered
    pages and cursor follow-ups by `clients` concurrent clients) and search_p50_ms / search_p95_ms.
    """
    seed_started = time.perf_counter()
    added = await seed_events(pool, n_events)
    seed_seconds = time.perf_counter() - seed_started
    total = int(await pool.fetchval("SELECT count(*) FROM events"))
    redis = aioredis.from_url(redis_url, decode_responses=True)
    keys = Keys(f"hsibench:{uuid.uuid4().hex[:8]}")
    settings = Settings.from_flat(api_keys_required="false", redis_prefix=keys.prefix)
    ctx = ApiContext(
        settings=settings,
        pool=pool,
        redis=redis,
        keys=keys,
        metrics=Metrics(),
        publisher=Publisher(redis, keys),
        media_dir=media_dir or Path(settings.storage.media_dir),
        limits=ApiLimits(enabled=False),
    )
    runner = web.AppRunner(create_app(ctx), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    base = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as session:
            first = await (await session.get(base + "/api/events?limit=50")).json()
            cursor = first["next_cursor"]
            rng = random.Random(11)
            variants = [
                "/api/events?limit=50",
                "/api/events?limit=50&camera=bench_cam_3",
                "/api/events?limit=50&min_risk=60",
                "/api/events?limit=50&level=high,critical",
                "/api/events?limit=50&object=dog",
                "/api/events?limit=50&reviewed=false",
                f"/api/events?limit=50&cursor={cursor}",
            ]
            plans = [
                [base + rng.choice(variants) for _ in range(requests_per_client)] for _ in range(clients)
            ]
            await _timed_gets(session, [base + v for v in variants])  # warm up plans and caches
            started = time.perf_counter()
            results = await asyncio.gather(*(_timed_gets(session, plan) for plan in plans))
            elapsed = time.perf_counter() - started
            list_latencies = [v for r in results for v in r]
            search_urls = [
                base + "/api/events/search?q=" + quote(SEARCHES[i % len(SEARCHES)], safe="")
                for i in range(search_requests)
            ]
            halves = [search_urls[0::2], search_urls[1::2]]
            search_results = await asyncio.gather(*(_timed_gets(session, h) for h in halves))
            search_latencies = [v for r in search_results for v in r]
    finally:
        await runner.cleanup()
        async for key in redis.scan_iter(match=f"{keys.prefix}:*"):
            await redis.delete(key)
        await redis.aclose()
    return {
        "events": total,
        "events_added": added,
        "seed_seconds": round(seed_seconds, 1),
        "clients": clients,
        "list_requests": len(list_latencies),
        "list_rps": round(len(list_latencies) / elapsed, 1),
        "list_p50_ms": round(statistics.median(list_latencies), 2),
        "list_p95_ms": round(_percentile(list_latencies, 0.95), 2),
        "search_requests": len(search_latencies),
        "search_p50_ms": round(statistics.median(search_latencies), 2),
        "search_p95_ms": round(_percentile(search_latencies, 0.95), 2),
    }


async def _main(database_url: str, n_events: int) -> None:
    from inference_server.store.db import create_pool, migrate

    pool = await create_pool(database_url, max_size=10)
    try:
        await migrate(pool)
        print(json.dumps(await bench_events_api(pool, n_events), indent=2))
    finally:
        await pool.close()


if __name__ == "__main__":
    asyncio.run(_main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 100_000))
