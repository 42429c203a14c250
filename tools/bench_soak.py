"""`hsi bench --soak MINUTES --rate R`: a steady stream of uploads into a real `hsi serve` child.

For MINUTES, R uploads a second land in the watch folder, round-robin over `--cameras` cameras
(capture time = now, like cameras at home). Every `sample_s` the child's RSS, the depth of each
stage stream (entries waiting or in flight, the slowest group) and the counts so far are sampled.
Afterwards the run waits for the pipeline to drain and accounts for every upload: a media row,
or a dead letter / quarantine naming it. The report has start, end and peak RSS, the growth,
the deepest queue of each stream, uploads and events per second. It fails (BenchFailed, `hsi
bench` exits 2) when nothing was processed, when an upload is unaccounted for (lost) or stored
twice, or when the pipeline did not drain.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from typing import Any

import psutil

from inference_server.settings import Settings
from tools.uploads import with_marker

STREAMS = ("detect", "window", "enrich", "assess", "publish")


async def stream_depths(redis: Any, prefix: str) -> dict[str, int]:
    """Entries not yet acknowledged per stream (pending + lag), the slowest consumer group."""
    depths: dict[str, int] = {}
    for stage in STREAMS:
        deepest = 0
        with contextlib.suppress(Exception):  # no stream yet
            for group in await redis.xinfo_groups(f"{prefix}:stream:{stage}"):
                deepest = max(deepest, int(group.get("pending", 0)) + int(group.get("lag") or 0))
        depths[stage] = deepest
    return depths


def _mib(n: float) -> float:
    return round(n / 2**20, 1)


async def soak(
    settings: Settings,
    *,
    minutes: float,
    rate: float,
    cameras: int,
    env: dict[str, str],
    sample_s: float = 5.0,
    drain_stall_s: float = 60.0,
) -> dict[str, Any]:
    """Run the soak against the services of `settings` (the bench's own database and prefix)."""
    import asyncpg
    import redis.asyncio as aioredis

    from tools.bench import BenchFailed, PeakMemory, make_images, start_serve, stop_serve, wait_started

    if minutes <= 0 or rate <= 0 or cameras < 1:
        raise BenchFailed("nothing to measure: --soak minutes and --rate must be > 0, --cameras >= 1")
    total = max(1, round(minutes * 60 * rate))
    bases = make_images(min(16, total))
    watch = settings.storage.watch_dir
    watch.mkdir(parents=True, exist_ok=True)
    log_path = settings.storage.data_dir / "serve.log"
    print(
        f"Soak: {total} uploads at {rate:g}/s over {cameras} camera(s) for {minutes:g} min into a "
        "real hsi serve ...",
        flush=True,
    )
    child = start_serve(env, log_path)
    pool = await asyncpg.create_pool(settings.database.url, min_size=1, max_size=2)
    redis = aioredis.from_url(settings.redis.url, decode_responses=True)
    proc = psutil.Process(child.pid)
    samples: list[dict[str, Any]] = []
    names: list[str] = []
    try:
        await wait_started(child, log_path)
        rss_start = proc.memory_info().rss
        started = time.monotonic()

        async def sample() -> dict[str, Any]:
            row = await pool.fetchrow(
                "SELECT (SELECT count(*) FROM media_files) AS media,"
                " (SELECT count(*) FROM media_files WHERE status = 'queued') AS queued,"
                " (SELECT count(*) FROM events) AS events"
            )
            assert row is not None
            point = {
                "t_s": round(time.monotonic() - started, 1),
                "uploaded": len(names),
                "rss_mib": _mib(proc.memory_info().rss),
                "depths": await stream_depths(redis, settings.redis.prefix),
                "media": int(row["media"]),
                "queued": int(row["queued"]),
                "events": int(row["events"]),
            }
            samples.append(point)
            return point

        with PeakMemory(child.pid) as mem:
            next_sample = started
            for i in range(total):
                due = started + i / rate
                while (now := time.monotonic()) < due:
                    if now >= next_sample:
                        next_sample += sample_s
                        await sample()
                    await asyncio.sleep(min(due - now, 0.05))
                if child.poll() is not None:
                    raise BenchFailed(f"hsi serve exited during the soak (status {child.returncode})")
                camera = f"cam{i % cameras}"
                name = f"soak-{i:06d}.jpg"
                folder = watch / camera
                folder.mkdir(parents=True, exist_ok=True)
                tmp = folder / f".{name}.part"
                tmp.write_bytes(with_marker(bases[i % len(bases)], f"soak {settings.redis.prefix} {i}"))
                os.replace(tmp, folder / name)
                names.append(name)
            fed_s = time.monotonic() - started
            # Drain: every upload stored or rejected, nothing queued, every stream empty.
            last, last_change = None, time.monotonic()
            while True:
                point = await sample()
                rejected = int(
                    await pool.fetchval("SELECT count(*) FROM dead_letters WHERE stage = 'ingest'") or 0
                )
                state = (
                    point["media"],
                    rejected,
                    point["queued"],
                    point["events"],
                    *point["depths"].values(),
                )
                drained = (
                    point["media"] + rejected >= total
                    and point["queued"] == 0
                    and not any(point["depths"][s] for s in ("detect", "window", "enrich", "assess"))
                )
                if drained:
                    break
                if state != last:
                    last, last_change = state, time.monotonic()
                elif time.monotonic() - last_change > drain_stall_s or child.poll() is not None:
                    raise BenchFailed(
                        f"the pipeline did not drain: {point['media']} stored + {rejected} rejected of "
                        f"{total} uploads, {point['queued']} queued, depths {point['depths']}"
                    )
                await asyncio.sleep(min(sample_s, 1.0))
            # Windows close after batch_idle_seconds: the last events come a little later.
            await asyncio.sleep(settings.window.idle_seconds + 2.0)
            end = await sample()
            total_s = time.monotonic() - started
        rss_end = proc.memory_info().rss
        stored = {
            r["original_name"]: int(r["n"])
            for r in await pool.fetch(
                "SELECT original_name, count(*) AS n FROM media_files GROUP BY original_name"
            )
        }
        letters = [
            str(r["source_path"])
            for r in await pool.fetch("SELECT source_path FROM dead_letters WHERE stage = 'ingest'")
        ]
        statuses = {
            r["status"]: int(r["n"])
            for r in await pool.fetch("SELECT status, count(*) AS n FROM media_files GROUP BY status")
        }
        in_events = int(
            await pool.fetchval("SELECT count(*) FROM media_files WHERE event_id IS NOT NULL") or 0
        )
    finally:
        stop_serve(child)
        await pool.close()
        await redis.aclose()
    lost = [n for n in names if n not in stored and not any(p.endswith(f"/{n}") for p in letters)]
    twice = [n for n, k in stored.items() if k > 1]
    if not stored or end["events"] == 0:
        raise BenchFailed(f"the soak processed nothing: {len(stored)} uploads stored, {end['events']} events")
    if lost:
        raise BenchFailed(f"{len(lost)} of {total} uploads lost (e.g. {lost[:3]})")
    if twice:
        raise BenchFailed(f"{len(twice)} uploads stored twice (e.g. {twice[:3]})")
    max_depth = {s: max(p["depths"][s] for p in samples) for s in STREAMS}
    return {
        "mode": "soak",
        "machine": f"{os.cpu_count()} cores, {round(psutil.virtual_memory().total / 2**30)} GiB",
        "minutes": minutes,
        "rate_per_second": rate,
        "cameras": cameras,
        "detector": settings.detection.detector,
        "uploads": total,
        "stored": sum(stored.values()),
        "rejected": len(letters),
        "lost": 0,
        "duplicated": 0,
        "statuses": statuses,
        "in_events": in_events,
        "events": end["events"],
        "feed_seconds": round(fed_s, 1),
        "seconds_to_drained": round(total_s, 1),
        "uploads_per_second": round(total / total_s, 2),
        "events_per_second": round(end["events"] / total_s, 3),
        "memory": {
            "process": "hsi serve (one process, every stage)",
            "rss_start_mib": _mib(rss_start),
            "rss_end_mib": _mib(rss_end),
            "peak_rss_mib": _mib(mem.peak),
            "growth_mib": _mib(rss_end - rss_start),
        },
        "max_depth": max_depth,
        "sample_seconds": sample_s,
        "samples": samples,
    }


def print_soak(r: dict[str, Any]) -> None:
    """The soak's figures, a few lines."""
    m = r["memory"]
    print(
        f"\nhsi bench --soak — {r['minutes']:g} min at {r['rate_per_second']:g} uploads/s, {r['cameras']} "
        f"cameras, detector {r['detector']}, {r['machine']}\n"
        f"  uploads                  {r['uploads']} ({r['stored']} stored, {r['rejected']} rejected), "
        f"lost {r['lost']}, duplicated {r['duplicated']}; statuses {r['statuses']}\n"
        f"  events                   {r['events']} ({r['events_per_second']}/s; {r['in_events']} media "
        f"in events), drained after {r['seconds_to_drained']} s (fed for {r['feed_seconds']} s)\n"
        f"  hsi serve RSS            start {m['rss_start_mib']} MiB, end {m['rss_end_mib']} MiB, "
        f"peak {m['peak_rss_mib']} MiB, growth {m['growth_mib']} MiB\n"
        f"  max stream depth         "
        + ", ".join(f"{s} {d}" for s, d in r["max_depth"].items())
        + f"  ({len(r['samples'])} samples, every {r['sample_seconds']:g} s)"
    )
