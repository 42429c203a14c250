"""`hsi bench`: N images through the whole pipeline, beside the same detector's raw loop."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import resource
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import psutil

from inference_server.settings import Settings
from tests.support.models import build_random_yolo, sample_images
from tools.bench_detector import raw_detector_loop
from tools.embedded import embedded_postgres, embedded_redis
from tools.uploads import with_marker


def make_images(n: int, seed: int = 0) -> list[bytes]:
    """N distinct camera-like JPEGs (1280x720 crops and scales of the bundled pictures)."""
    rng = np.random.default_rng(seed)
    sources = [cv2.imread(str(p)) for p in sample_images()]
    out: list[bytes] = []
    for i in range(n):
        src = sources[i % len(sources)]
        h, w = src.shape[:2]
        scale = rng.uniform(0.8, 1.0)
        ch, cw = int(h * scale), int(w * scale)
        y, x = int(rng.integers(0, h - ch + 1)), int(rng.integers(0, w - cw + 1))
        frame = cv2.resize(src[y : y + ch, x : x + cw], (1280, 720))
        ok, buf = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, 85])
        assert ok
        out.append(with_marker(buf.tobytes(), f"bench {seed} {i} {uuid.uuid4()}"))
    return out


class PeakMemory:
    """Samples this process's RSS every 50 ms."""

    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        proc = psutil.Process()
        while not self._stop.is_set():
            self.peak = max(self.peak, proc.memory_info().rss)
            self._stop.wait(0.05)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


async def run_bench(
    settings: Settings,
    *,
    images: int,
    detector: str,
    batch: int,
    api: bool,
    json_out: Path | None,
    alerts: int = 0,
) -> int:
    """Run the benchmark and print the figures."""
    with contextlib.ExitStack() as stack:
        updates: dict[str, Any] = {
            "redis_prefix": f"hsi-bench-{uuid.uuid4().hex[:8]}",
            "detector": detector,
            "detector_batch_size": batch,
            "ingest_stable_seconds": 0.2,
            "batch_idle_seconds": 2.0,
            "urgent_rules": [],
            "data_dir": settings.storage.data_dir.resolve() / "bench",
            "watch_dir": settings.storage.data_dir.resolve() / "bench" / "uploads",
            "media_dir": settings.storage.data_dir.resolve() / "bench" / "media",
        }
        embedded = settings.storage.data_dir / "embedded"
        if not settings.is_set("database_url"):
            updates["database_url"] = stack.enter_context(embedded_postgres(embedded / "postgres"))
        if not settings.is_set("redis_url"):
            updates["redis_url"] = stack.enter_context(embedded_redis(embedded / "redis"))
        if detector in ("onnx", "yolo") and not settings.detection.weights:
            weights = settings.storage.data_dir / "models" / "bench-yolo26n-random.pt"
            if not weights.exists():
                build_random_yolo(weights)
            updates["detector_weights"] = str(weights)
            # Random weights find little at the usual threshold; a low one keeps the later stages busy.
            updates["detector_confidence"] = (
                0.05 if not settings.is_set("detector_confidence") else settings.detection.confidence
            )
        bench_settings = settings.replace(**updates)
        results = await _bench(bench_settings, images) if images else {}
        if alerts:
            from tools.bench_alerts import alert_latency

            alert_settings = bench_settings.replace(
                detector="opencv",
                ingest_stable_seconds=settings.ingest.stable_seconds,
                redis_prefix=f"hsi-bench-{uuid.uuid4().hex[:8]}",
            )
            results["fast_path_alert"] = await alert_latency(alert_settings, alerts, _person_jpeg())
        if api:
            from inference_server.store.db import create_pool
            from tools.bench_api import bench_events_api

            pool = await create_pool(bench_settings.database.url)
            try:
                results["api"] = await bench_events_api(
                    pool, n_events=100_000, redis_url=bench_settings.redis.url
                )
            finally:
                await pool.close()
    _print(results)
    if json_out:
        json_out.write_text(json.dumps(results, indent=2))
    return 0


async def _bench(settings: Settings, n: int) -> dict[str, Any]:
    from inference_server.server import start_pipeline

    print(f"Preparing {n} images ...", flush=True)
    data = make_images(n)
    services, pipeline = await start_pipeline(settings, ("ingest", "detect", "window", "assess"))
    assert pipeline.detector is not None
    frames = [cv2.imdecode(np.frombuffer(d, np.uint8), cv2.IMREAD_COLOR) for d in data]
    print(f"Raw loop: {pipeline.detector.name} on {n} decoded frames ...", flush=True)
    raw = raw_detector_loop(pipeline.detector, frames, settings.detection.batch_size)
    t0 = time.perf_counter()
    for d in data:
        cv2.imdecode(np.frombuffer(d, np.uint8), cv2.IMREAD_COLOR)
    decode_s = time.perf_counter() - t0
    del frames
    stop = asyncio.Event()
    runner = asyncio.create_task(pipeline.run(stop))
    try:
        await asyncio.sleep(0.5)
        staging = settings.storage.data_dir / "staging"
        staging.mkdir(parents=True, exist_ok=True)
        paths = []
        for i, d in enumerate(data):
            p = staging / f"{i:05d}.jpg"
            p.write_bytes(d)
            paths.append(p)
        print(f"Pipeline: dropping {n} files into {settings.storage.watch_dir} ...", flush=True)
        with PeakMemory() as mem:
            started = time.perf_counter()
            for i, p in enumerate(paths):
                dest = settings.storage.watch_dir / f"cam{i % 4}" / p.name
                dest.parent.mkdir(parents=True, exist_ok=True)
                os.replace(p, dest)
            deadline = time.monotonic() + 600
            while True:
                if time.monotonic() > deadline:
                    raise TimeoutError("the pipeline did not process every image within 10 minutes")
                row = await services.pool.fetchrow(
                    "SELECT count(*) AS n, count(*) FILTER (WHERE status <> 'queued') AS done FROM media_files"
                )
                if row["n"] >= n and row["done"] >= n:
                    break
                await asyncio.sleep(0.05)
            detected_s = time.perf_counter() - started
            await pipeline.windows.close_due(time.time(), force=True)  # type: ignore[union-attr]
            while await pipeline.streams.depth("assess", "assessors"):
                await asyncio.sleep(0.05)
            total_s = time.perf_counter() - started
        events = await services.pool.fetchval("SELECT count(*) FROM events")
        detections = await services.pool.fetchval("SELECT count(*) FROM detections")
    finally:
        stop.set()
        with contextlib.suppress(Exception):
            await runner
        await services.close()
    # The settle wait is a fixed delay per file, not work: report it, and throughput without it.
    settle = settings.ingest.stable_seconds
    pipeline_ips = n / max(1e-9, detected_s - settle)
    return {
        "machine": f"{os.cpu_count()} cores, {round(psutil.virtual_memory().total / 2**30)} GiB",
        "images": n,
        "detector": raw["detector"],
        "batch_size": settings.detection.batch_size,
        "raw_detector": raw,
        "raw_decode_plus_detect_images_per_second": round(n / (raw["seconds"] + decode_s), 2),
        "pipeline_images_per_second": round(pipeline_ips, 2),
        "pipeline_seconds_to_all_detected": round(detected_s, 3),
        "pipeline_seconds_to_all_events": round(total_s, 3),
        "ingest_settle_seconds": settle,
        "overhead_ratio": round((detected_s - settle) / raw["seconds"], 3),
        "stage_latency_ms": services.metrics.latency_percentiles(),
        "peak_rss_mib": round(mem.peak / 2**20, 1),
        "max_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "events": events,
        "detections": detections,
    }


def _person_jpeg() -> bytes:
    image = cv2.imread(str(sample_images()[0]))
    ok, buf = cv2.imencode(".jpg", cv2.resize(image, (image.shape[1] // 2, image.shape[0] // 2)))
    assert ok
    return buf.tobytes()


def _print(r: dict[str, Any]) -> None:
    if "fast_path_alert" in r:
        a = r["fast_path_alert"]
        print(
            f"file landing -> MQTT alert (fast path, {a['detector']}, {a['samples']} samples): "
            f"median {a['median_ms']} ms, p95 {a['p95_ms']} ms, max {a['max_ms']} ms "
            f"(includes the {a['ingest_settle_seconds']} s upload-settle wait)"
        )
    if "raw_detector" not in r:
        return
    raw = r["raw_detector"]
    print()
    print(
        f"hsi bench — {r['images']} images, detector {r['detector']}, batch {r['batch_size']}, {r['machine']}"
    )
    print(
        f"  raw detector loop        {raw['images_per_second']:8.2f} images/s   "
        f"(p50 {raw['per_image_ms_p50']} ms, p95 {raw['per_image_ms_p95']} ms per image)"
    )
    print(f"  raw decode + detect      {r['raw_decode_plus_detect_images_per_second']:8.2f} images/s")
    print(
        f"  whole pipeline           {r['pipeline_images_per_second']:8.2f} images/s   "
        f"(all detected in {r['pipeline_seconds_to_all_detected']} s, events in {r['pipeline_seconds_to_all_events']} s)"
    )
    print(f"  overhead ratio           {r['overhead_ratio']:8.3f}   (pipeline time / raw detector time)")
    print(f"  peak memory              {r['peak_rss_mib']:8.1f} MiB RSS")
    print(f"  events {r['events']}, detections {r['detections']}")
    print(
        "  stage latency (ms)       "
        + "   ".join(
            f"{stage}: p50 {v['p50']} p95 {v['p95']}" for stage, v in sorted(r["stage_latency_ms"].items())
        )
    )
    if "api" in r:
        print(f"  GET /api/events          {json.dumps(r['api'])}")
