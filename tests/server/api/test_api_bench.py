"""The events API benchmark runs end to end (small here; `python -m tools.bench_api` for 100k)."""

from __future__ import annotations

import asyncpg

from tests.server.conftest import REDIS_URL
from tools.bench_api import bench_events_api


async def test_bench_reports_throughput_and_latency(pg_pool: asyncpg.Pool) -> None:
    result = await bench_events_api(
        pg_pool, 3000, redis_url=REDIS_URL, clients=2, requests_per_client=20, search_requests=16
    )
    assert result["events"] == 3000 and result["events_added"] == 3000
    assert result["list_requests"] == 40 and result["list_rps"] > 0
    assert 0 < result["list_p50_ms"] <= result["list_p95_ms"]
    assert 0 < result["search_p50_ms"] <= result["search_p95_ms"]
