"""`hsi bench`: N images through the whole pipeline, beside the same detector's raw loop.

Honest by construction: every run gets its own PostgreSQL database (created on the configured
server, dropped afterwards), its own Redis key prefix (deleted afterwards) and its own upload and
media folders, so a second run never counts the first one's rows; a run that processed fewer
files than it dropped, or measured nothing, raises BenchFailed (`hsi bench` exits 2).

Two kinds of detector: the real one (a random-weight YOLO26n built locally, on ONNX Runtime or
OpenVINO: real cost, but noise for detections) and `--recorded`, the load generator of
tools/bench_load.py, which returns recorded detections so windows, enrich, assess and publish
see real event counts (its cost is the named real detector's, or a fixed sleep with
`--detector replay`). Files land in bursts per camera, with capture times (mtime) a window
apart, so windows close as they would at home.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import resource
import shutil
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import cv2
import numpy as np
import psutil

from inference_server.settings import Settings
from tests.support.models import sample_images
from tools.bench_detector import raw_detector_loop
from tools.bench_load import ReplayDetector, record_detections
from tools.embedded import embedded_postgres, embedded_redis
from tools.uploads import with_marker


def make_images(n: int, seed: int = 0) -> list[bytes]:
    """N distinct camera-like JPEGs (1280x720 crops and scales of the bundled pictures)."""
    rng = np.random.default_rng(seed)
    sources = [_decode(p.read_bytes()) for p in sample_images()]
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
    """Samples a process's RSS every 50 ms (this process by default)."""

    def __init__(self, pid: int | None = None) -> None:
        self.peak = 0
        self._pid = pid
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        proc = psutil.Process(self._pid)
        while not self._stop.is_set():
            with contextlib.suppress(psutil.Error):
                self.peak = max(self.peak, proc.memory_info().rss)
            self._stop.wait(0.05)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


SCHEMA_VERSION = 2
MODES = ("model", "recorded")


class BenchFailed(RuntimeError):
    """The run measured nothing, or less than it was given: its numbers must not be reported."""


async def run_bench(
    settings: Settings,
    *,
    images: int,
    detector: str,
    batch: int,
    api: bool,
    json_out: Path | None,
    alerts: int = 0,
    recorded: bool = False,
    replay_ms: float = 30.0,
    cameras: int = 4,
    burst: int = 5,
    compare: Path | None = None,
    precision: str | None = None,
    threads: int | None = None,
    int8: bool = False,
    serve: bool = False,
    soak_minutes: float | None = None,
    soak_rate: float = 1.0,
    soak_sample_seconds: float = 5.0,
) -> int:
    """Run the benchmark, print the figures (and the ratios against `compare`); 0 on success."""
    if images < 1 and not (api or alerts or int8 or soak_minutes):
        raise BenchFailed("nothing to measure: --images must be at least 1")
    if detector == "replay" and not recorded:
        recorded = True  # the replay detector is the load generator
    baseline = load_result(compare) if compare else None
    run_id = uuid.uuid4().hex[:10]
    root = settings.storage.data_dir.resolve() / "bench" / run_id
    results: dict[str, Any] = {}
    async with contextlib.AsyncExitStack() as stack:
        server_url = settings.database.url
        redis_url = settings.redis.url
        embedded = settings.storage.data_dir / "embedded"
        if not settings.is_set("database_url"):
            server_url = stack.enter_context(embedded_postgres(embedded / "postgres"))
        if not settings.is_set("redis_url"):
            redis_url = stack.enter_context(embedded_redis(embedded / "redis"))
        database_url = await stack.enter_async_context(fresh_database(server_url, run_id))
        prefix = f"hsi-bench-{run_id}"
        await stack.enter_async_context(fresh_redis_prefix(redis_url, prefix))
        stack.callback(shutil.rmtree, root, True)
        updates: dict[str, Any] = {
            "database_url": database_url,
            "redis_url": redis_url,
            "redis_prefix": prefix,
            "detector": "opencv" if detector == "replay" else detector,
            "detector_batch_size": batch,
            "ingest_stable_seconds": 0.2,
            "batch_idle_seconds": 2.0,
            "batch_window_seconds": 60.0,
            "urgent_rules": [],
            "data_dir": root,
            "watch_dir": root / "uploads",
            "media_dir": root / "media",
            "models_dir": settings.models_path.resolve(),
        }
        if precision is not None:
            updates["detector_precision"] = precision
        if threads is not None:
            updates["detector_threads"] = threads
        if detector in ("onnx", "openvino", "yolo") and not settings.detection.weights:
            updates["detector_weights"] = str(random_yolo_weights(settings.models_path.resolve(), detector))
            # Random weights find little at the usual threshold; a low one keeps the later stages busy.
            updates["detector_confidence"] = (
                0.05 if not settings.is_set("detector_confidence") else settings.detection.confidence
            )
        bench_settings = settings.replace(**updates)
        if soak_minutes:
            from tools.bench_soak import soak

            results = await soak(
                bench_settings,
                minutes=soak_minutes,
                rate=soak_rate,
                cameras=cameras,
                env=serve_env(bench_settings),
                sample_s=soak_sample_seconds,
            )
        elif images and serve:
            results = await serve_memory(bench_settings, images, cameras=cameras, burst=burst)
        elif images:
            results = await _bench(
                bench_settings,
                images,
                detector=detector,
                recorded=recorded,
                replay_ms=replay_ms,
                cameras=cameras,
                burst=burst,
            )
        if alerts:
            from tools.bench_alerts import alert_latency

            alert_settings = bench_settings.replace(
                detector="opencv",
                ingest_stable_seconds=settings.ingest.stable_seconds,
                redis_prefix=f"{prefix}-alerts",
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
        if int8:
            from tools.bench_int8 import int8_report

            onnx = (
                Path(settings.detection.weights)
                if settings.detection.weights and settings.detection.weights.endswith(".onnx")
                else random_yolo_weights(settings.models_path.resolve(), "onnx")
            )
            print("INT8 vs FP32: quantizing (once) and timing ...", flush=True)
            frames = [_decode(d) for d in make_images(40, seed=1)]
            results["int8"] = await asyncio.to_thread(
                int8_report, onnx, settings.models_path.resolve(), frames
            )
    _print(results)
    if "int8" in results:
        from tools.bench_int8 import print_int8

        print_int8(results["int8"])
    if baseline is not None:
        print_comparison(compare_results(results, baseline), compare)
    if json_out:
        json_out.write_text(json.dumps(results, indent=2))
        print(f"  written to {json_out}")
    return 0


@contextlib.asynccontextmanager
async def fresh_database(server_url: str, run_id: str) -> AsyncIterator[str]:
    """A new, empty database on the server of `server_url`, dropped (forcibly) afterwards."""
    import asyncpg

    name = f"hsi_bench_{run_id}"
    parts = urlsplit(server_url)
    url = urlunsplit(parts._replace(path=f"/{name}"))
    try:
        conn = await asyncpg.connect(server_url)
    except (OSError, asyncpg.PostgresError) as exc:
        raise BenchFailed(f"cannot reach PostgreSQL to create the bench's database: {exc}") from exc
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    try:
        yield url
    finally:
        conn = await asyncpg.connect(server_url)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()


@contextlib.asynccontextmanager
async def fresh_redis_prefix(redis_url: str, prefix: str) -> AsyncIterator[str]:
    """A key prefix nothing else uses; its keys are deleted afterwards."""
    import redis.asyncio as aioredis

    client = aioredis.from_url(redis_url, decode_responses=True)
    try:
        if [k async for k in client.scan_iter(match=f"{prefix}:*", count=100)]:
            raise BenchFailed(f"Redis already holds keys under the bench's prefix {prefix!r}")
        yield prefix
    finally:
        async for key in client.scan_iter(match=f"{prefix}*", count=500):
            await client.delete(key)
        await client.aclose()


def random_yolo_weights(models_dir: Path, detector: str, model: str = "yolo26n") -> Path:
    """A random-weight YOLO (.pt for yolo, its ONNX export otherwise), built once in a child process.

    The child imports torch and ultralytics; this process then loads only the runtime it
    measures, so its RSS is what a server would have.
    """
    pt = models_dir / f"bench-{model}-random.pt"
    onnx_marker = models_dir / f"bench-{model}-random.onnx-path"
    if pt.is_file() and (
        detector == "yolo" or (onnx_marker.is_file() and Path(onnx_marker.read_text()).is_file())
    ):
        return pt if detector == "yolo" else Path(onnx_marker.read_text())
    code = (
        "import sys; from pathlib import Path\n"
        "from tests.support.models import build_random_yolo\n"
        "from inference_server.ml.detector_onnx import export_onnx\n"
        "pt, cache = Path(sys.argv[1]), Path(sys.argv[2])\n"
        "pt.exists() or build_random_yolo(pt, sys.argv[3])\n"
        "print(export_onnx(pt, cache, 640))\n"
    )
    root = Path(__file__).resolve().parent.parent
    print(f"Building a random-weight {model} in a child process ...", flush=True)
    done = subprocess.run(
        [sys.executable, "-c", code, str(pt), str(models_dir), model],
        capture_output=True,
        text=True,
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
        check=False,
    )
    if done.returncode != 0:
        raise BenchFailed(f"building the random-weight {model} failed:\n{done.stderr[-2000:]}")
    onnx = Path(done.stdout.strip().splitlines()[-1])
    onnx_marker.write_text(str(onnx))
    return pt if detector == "yolo" else onnx


def camera_schedule(n: int, cameras: int, burst: int, now: float) -> list[tuple[str, float]]:
    """(camera, capture time) of each of n files: bursts of `burst` files per camera, 1 s apart,
    bursts 2 minutes apart in capture time (past the bench's 60 s window), ending before `now`."""
    if cameras < 1 or burst < 1:
        raise ValueError("cameras and burst must be at least 1")
    per_camera = -(-n // cameras)
    span = (per_camera // burst + 1) * 120.0
    out = []
    for i in range(n):
        cam, k = i % cameras, i // cameras
        out.append((f"cam{cam}", now - span + (k // burst) * 120.0 + (k % burst) * 1.0))
    return out


def _pct(values: Sequence[float]) -> dict[str, float | int]:
    if not values:
        return {"count": 0}
    ordered = sorted(values)
    return {
        "count": len(ordered),
        "p50": round(float(np.percentile(ordered, 50)), 1),
        "p95": round(float(np.percentile(ordered, 95)), 1),
        "max": round(ordered[-1], 1),
    }


async def _bench(
    settings: Settings,
    n: int,
    *,
    detector: str,
    recorded: bool,
    replay_ms: float,
    cameras: int,
    burst: int,
) -> dict[str, Any]:
    from inference_server.contract import messages
    from inference_server.runtime.app import App
    from inference_server.runtime.models import build_detector
    from inference_server.runtime.services import data_dirs
    from inference_server.store.streams import stream_range

    rss_start = psutil.Process().memory_info().rss
    print(f"Preparing {n} images ...", flush=True)
    data = make_images(n)
    await data_dirs(settings)
    real = None if detector == "replay" else build_detector(settings)
    det: Any = real
    if recorded:
        samples = record_detections(sample_images(), settings.models_path / "bench-recorded-detections.json")
        det = ReplayDetector(samples, inner=real, fixed_ms=replay_ms)
        det.model_id = "replay"
    pipeline = App(settings, ("ingest", "detect", "window", "enrich", "assess"), detector=det)
    await pipeline.start()
    services = pipeline.services
    distinct = [_decode(d) for d in data[:32]]
    frames = [distinct[i % len(distinct)] for i in range(n)]
    print(f"Raw loop: {det.name} on {n} decoded frames ...", flush=True)
    raw = raw_detector_loop(det, frames, settings.detection.batch_size)
    t0 = time.perf_counter()
    for d in data:
        cv2.imdecode(np.frombuffer(d, np.uint8), cv2.IMREAD_COLOR)
    decode_s = time.perf_counter() - t0
    del frames, distinct
    if recorded:
        det._next = 0  # the pipeline replays the recording from its start, like every run
    staging = settings.storage.data_dir / "staging"
    staging.mkdir(parents=True, exist_ok=True)
    schedule = camera_schedule(n, cameras, burst, time.time() - 60)
    paths = []
    for i, (d, (_, captured)) in enumerate(zip(data, schedule, strict=True)):
        p = staging / f"{i:05d}.jpg"
        p.write_bytes(d)
        os.utime(p, (captured, captured))
        paths.append(p)
    del data
    rss_before_pipeline = psutil.Process().memory_info().rss
    stop = asyncio.Event()
    runner = asyncio.create_task(pipeline.run(stop))
    dropped_at: dict[str, float] = {}
    try:
        await asyncio.sleep(0.5)
        print(
            f"Pipeline: dropping {n} files for {cameras} camera(s) into {settings.storage.watch_dir} ...",
            flush=True,
        )
        with PeakMemory() as mem:
            started = time.perf_counter()
            for p, (camera, _) in zip(paths, schedule, strict=True):
                dest = settings.storage.watch_dir / camera / p.name
                dest.parent.mkdir(parents=True, exist_ok=True)
                os.replace(p, dest)
                dropped_at[p.name] = time.time()
            processed, rejected = await _wait_processed(services, n)
            detected_s = time.perf_counter() - started
            if processed < n:
                raise BenchFailed(
                    f"processed {processed} of the {n} files dropped ({rejected} rejected or dead-lettered): "
                    "its numbers would not be the pipeline's"
                )
            # Detected is not yet windowed: let the window stage add every media before closing.
            while await pipeline.streams.depth("detect", "detectors") or await pipeline.streams.depth(
                "window", "windowers"
            ):
                await asyncio.sleep(0.05)
            await pipeline.windows.close_due(time.time(), force=True)
            # Enrich acknowledges a window only after its context is on the assess stream.
            while await pipeline.streams.depth("enrich", "enrichers") or await pipeline.streams.depth(
                "assess", "assessors"
            ):
                await asyncio.sleep(0.05)
            total_s = time.perf_counter() - started
        pool = services.pool
        counts = await _fetchrow(
            pool,
            "SELECT (SELECT count(*) FROM media_files) AS media,"
            " (SELECT count(*) FROM events) AS events,"
            " (SELECT count(*) FROM detections) AS detections",
        )
        rows = await pool.fetch(
            "SELECT e.id::text AS id, extract(epoch FROM e.created_at) AS created,"
            " array_agg(m.original_name) AS names"
            " FROM events e JOIN media_files m ON m.event_id = e.id GROUP BY e.id, e.created_at"
        )
        published: dict[str, float] = {}
        for entry_id, fields in await stream_range(
            services.redis, services.keys.stream("publish"), start="-", count=1_000_000
        ):
            msg = messages.decode(fields)
            if msg is not None and msg.is_event and str(msg.data.get("id")) not in published:
                published[str(msg.data.get("id"))] = int(entry_id.split("-")[0]) / 1000.0
        stages = services.metrics.latency_percentiles()
        # The raw loop again, now the pipeline is idle: on a shared machine the load changes over
        # a run, so the faster of the two is the reference (the conservative choice for the ratio).
        frames = [_decode(p.read_bytes()) for p in sorted(settings.storage.media_dir.rglob("*.jpg"))[:32]]
        if not frames:
            raise BenchFailed(f"no stored media under {settings.storage.media_dir} after the run")
        if recorded:
            det._next = 0
        raw_after = raw_detector_loop(
            det, [frames[i % len(frames)] for i in range(n)], settings.detection.batch_size
        )
        del frames
    finally:
        stop.set()
        with contextlib.suppress(Exception):
            await runner
        await pipeline.stop()
        close = getattr(det, "close", None)
        if callable(close):
            close()
    to_event: list[float] = []
    to_published: list[float] = []
    for row in rows:
        last = max((dropped_at[name] for name in row["names"] if name in dropped_at), default=None)
        if last is None:
            continue
        to_event.append((float(row["created"]) - last) * 1000.0)
        if row["id"] in published:
            to_published.append((published[row["id"]] - last) * 1000.0)
    if counts["media"] != n:
        raise BenchFailed(f"the bench's own database holds {counts['media']} files, not the {n} it dropped")
    # The settle wait is a fixed delay per file, not work: report it, and throughput without it.
    settle = settings.ingest.stable_seconds
    busy_s = max(1e-9, detected_s - settle)
    if raw["seconds"] <= 0 or busy_s <= 0:
        raise BenchFailed("measured nothing: zero time in the raw loop or the pipeline")
    pipeline_ips = n / busy_s
    raw_runs = [raw["images_per_second"], raw_after["images_per_second"]]
    if raw_after["images_per_second"] > raw["images_per_second"]:
        raw = raw_after
    raw["runs_images_per_second"] = raw_runs
    events = int(counts["events"])
    if recorded and events == 0:
        raise BenchFailed("the load generator replayed detections but no event was stored")
    return {
        "schema": SCHEMA_VERSION,
        "run_id": settings.redis.prefix,
        "machine": f"{os.cpu_count()} cores, {round(psutil.virtual_memory().total / 2**30)} GiB",
        "mode": "recorded" if recorded else "model",
        "mode_note": (
            "load generator: recorded OpenCV detections of bus.jpg/zidane.jpg replayed; cost = "
            + (
                f"the real {real.name} detector"
                if real is not None
                else f"a fixed {replay_ms:g} ms/frame sleep"
            )
            if recorded
            else "real detector (random weights: its detections are noise)"
        ),
        "images": n,
        "cameras": cameras,
        "burst": burst,
        "detector": raw["detector"],
        "precision": settings.detection.precision,
        "threads": settings.detection.threads,
        "batch_size": settings.detection.batch_size,
        "raw_detector": raw,
        "raw_decode_plus_detect_images_per_second": round(n / (raw["seconds"] + decode_s), 2),
        "pipeline_images_per_second": round(pipeline_ips, 2),
        "pipeline_vs_raw": round(pipeline_ips / raw["images_per_second"], 3),
        "pipeline_seconds_to_all_detected": round(detected_s, 3),
        "pipeline_seconds_to_all_events": round(total_s, 3),
        "ingest_settle_seconds": settle,
        "overhead_ratio": round(busy_s / raw["seconds"], 3),
        "files_dropped": n,
        "files_processed": processed,
        "events": events,
        "events_per_second": round(events / total_s, 2),
        "detections": int(counts["detections"]),
        "stages": {
            stage: {
                "items": int(v["count"]),
                "items_per_second": round(v["count"] / total_s, 2),
                "p50_ms": v["p50"],
                "p95_ms": v["p95"],
            }
            for stage, v in sorted(stages.items())
        },
        "file_to_event_ms": _pct(to_event),
        "file_to_published_ms": _pct(to_published),
        "memory": {
            "process": "bench process = one hsi serve-equivalent pipeline (ingest, detect, window, assess)",
            "rss_at_start_mib": round(rss_start / 2**20, 1),
            "rss_before_pipeline_mib": round(rss_before_pipeline / 2**20, 1),
            "peak_rss_mib": round(mem.peak / 2**20, 1),
            "max_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "torch_loaded": "torch" in sys.modules,
            "ultralytics_loaded": "ultralytics" in sys.modules,
        },
    }


async def _wait_processed(services: Any, n: int, *, stall_s: float = 60.0) -> tuple[int, int]:
    """Wait until n files are processed or nothing moves for `stall_s`; (processed, rejected)."""
    last_change, last = time.monotonic(), (-1, -1)
    while True:
        row = await _fetchrow(
            services.pool,
            "SELECT count(*) FILTER (WHERE status IN ('detected', 'no_objects')) AS done,"
            " count(*) FILTER (WHERE status = 'dead_letter') AS dead FROM media_files",
        )
        rejected = _rejected(services.metrics) + int(row["dead"])
        now = (int(row["done"]), rejected)
        if now[0] + now[1] >= n:
            return now
        if now != last:
            last, last_change = now, time.monotonic()
        elif time.monotonic() - last_change > stall_s:
            return now
        await asyncio.sleep(0.05)


async def _fetchrow(pool: Any, query: str) -> Any:
    row = await pool.fetchrow(query)
    if row is None:
        raise BenchFailed(f"no row from {query!r}")
    return row


def _decode(data: bytes) -> np.ndarray:
    frame = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if frame is None:
        raise BenchFailed("a generated bench JPEG does not decode")
    return frame


def _rejected(metrics: Any) -> int:
    """Uploads ingest rejected so far (too big, not media, ...)."""
    return int(
        sum(
            sample.value
            for metric in metrics.ingest_rejected.collect()
            for sample in metric.samples
            if sample.name.endswith("_total")
        )
    )


# --- JSON results and comparison ------------------------------------------------------------

# Higher is better for these; for the rest (seconds, latencies, memory) lower is better.
_HIGHER_IS_BETTER = ("images_per_second", "events_per_second", "pipeline_vs_raw", "items_per_second")


def load_result(path: Path) -> dict[str, Any]:
    """An earlier run's JSON; BenchFailed naming the file when it is not one."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise BenchFailed(f"--compare {path}: not a readable bench JSON file ({exc})") from exc
    if not isinstance(data, dict) or "raw_detector" not in data:
        raise BenchFailed(f"--compare {path}: no 'raw_detector' in it: not an hsi bench result")
    return data


def _flatten(d: dict[str, Any], prefix: str = "") -> dict[str, float]:
    out: dict[str, float] = {}
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, bool):
            continue
        if isinstance(v, int | float):
            out[key] = float(v)
        elif isinstance(v, dict):
            out.update(_flatten(v, key + "."))
    return out


def compare_results(now: dict[str, Any], before: dict[str, Any]) -> dict[str, dict[str, float | None]]:
    """For each number both runs have: before, now and now/before (None where before is 0)."""
    a, b = _flatten(now), _flatten(before)
    skip = ("schema", "images", "cameras", "burst", "batch_size", "threads", "files_dropped")
    out: dict[str, dict[str, float | None]] = {}
    for key in sorted(a.keys() & b.keys()):
        leaf = key.rsplit(".", 1)[-1]
        if leaf in skip or leaf in ("count", "items", "max", "detections", "seconds_to_first"):
            continue
        ratio = None if b[key] == 0 else round(a[key] / b[key], 3)
        out[key] = {"before": b[key], "now": a[key], "ratio": ratio}
    return out


def print_comparison(ratios: dict[str, dict[str, float | None]], path: Path | None) -> None:
    """The ratios, one line each, marked better/worse by the metric's direction."""
    print(f"\ncompared with {path} (ratio = now / before)")
    for key, r in ratios.items():
        ratio = r["ratio"]
        if ratio is None:
            verdict = "(before was 0)"
        else:
            higher = any(key.endswith(h) for h in _HIGHER_IS_BETTER)
            better = ratio > 1 if higher else ratio < 1
            verdict = "same" if ratio == 1 else ("better" if better else "worse")
        print(f"  {key:58s} {r['before']!s:>10} -> {r['now']!s:>10}   x{ratio}  {verdict}")


def _person_jpeg() -> bytes:
    image = _decode(sample_images()[0].read_bytes())
    ok, buf = cv2.imencode(".jpg", cv2.resize(image, (image.shape[1] // 2, image.shape[0] // 2)))
    assert ok
    return buf.tobytes()


def serve_env(settings: Settings) -> dict[str, str]:
    """The environment of an `hsi serve` child on the bench's services and folders (every stage,
    the API on a free port, the heuristic scorer)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HSI_")}
    env.update(
        {
            "HSI_DATABASE_URL": settings.database.url,
            "HSI_REDIS_URL": settings.redis.url,
            "HSI_REDIS_PREFIX": settings.redis.prefix,
            "HSI_DATA_DIR": str(settings.storage.data_dir),
            "HSI_MODELS_DIR": str(settings.models_path),
            "HSI_DETECTOR": settings.detection.detector,
            "HSI_DETECTOR_PRECISION": settings.detection.precision,
            "HSI_DETECTOR_THREADS": str(settings.detection.threads),
            "HSI_DETECTOR_CONFIDENCE": str(settings.detection.confidence),
            "HSI_DETECTOR_BATCH_SIZE": str(settings.detection.batch_size),
            "HSI_LLM_BACKEND": "heuristic",
            "HSI_API_PORT": "0",
            "HSI_INGEST_STABLE_SECONDS": str(settings.ingest.stable_seconds),
            "HSI_BATCH_IDLE_SECONDS": str(settings.window.idle_seconds),
            "HSI_BATCH_WINDOW_SECONDS": str(settings.window.max_seconds),
            "HSI_URGENT_RULES": "[]",
            "HSI_MAX_FILE_BYTES": str(settings.ingest.max_file_bytes),
        }
    )
    if settings.detection.weights:
        env["HSI_DETECTOR_WEIGHTS"] = settings.detection.weights
    env["PYTHONPATH"] = str(Path(__file__).resolve().parent.parent)
    return env


def start_serve(env: dict[str, str], log_path: Path) -> subprocess.Popen[bytes]:
    """`hsi serve` as a child process with `env`, its output in `log_path`."""
    with log_path.open("w") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "inference_server", "serve"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=Path(__file__).resolve().parent.parent,
        )


def stop_serve(child: subprocess.Popen[bytes]) -> None:
    """SIGTERM, and SIGKILL if it has not exited within 30 s."""
    child.terminate()
    try:
        child.wait(timeout=30)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()


async def wait_started(child: subprocess.Popen[bytes], log_path: Path, timeout_s: float = 300) -> None:
    """Until the child logged "hsi started"; BenchFailed with its log's end if it exits or hangs."""
    deadline = time.monotonic() + timeout_s
    while "hsi started" not in log_path.read_text(errors="replace"):
        if child.poll() is not None or time.monotonic() > deadline:
            raise BenchFailed(f"hsi serve did not start: {log_path.read_text(errors='replace')[-2000:]}")
        await asyncio.sleep(0.2)


async def serve_memory(settings: Settings, n: int, *, cameras: int, burst: int) -> dict[str, Any]:
    """A real `hsi serve` child process (every stage, the API on a free port, the heuristic) on
    this run's database: n files over `cameras` cameras; its peak RSS, sampled every 50 ms."""
    import asyncpg

    env = serve_env(settings)
    data = make_images(n)
    staging = settings.storage.data_dir / "staging"
    staging.mkdir(parents=True, exist_ok=True)
    schedule = camera_schedule(n, cameras, burst, time.time() - 60)
    paths = []
    for i, (d, (_, captured)) in enumerate(zip(data, schedule, strict=True)):
        p = staging / f"{i:05d}.jpg"
        p.write_bytes(d)
        os.utime(p, (captured, captured))
        paths.append(p)
    del data
    log_path = settings.storage.data_dir / "serve.log"
    print(f"Starting hsi serve (a child process) for {cameras} cameras ...", flush=True)
    child = start_serve(env, log_path)
    try:
        with PeakMemory(child.pid) as mem:
            await wait_started(child, log_path)
            rss_started = psutil.Process(child.pid).memory_info().rss
            started = time.perf_counter()
            for p, (camera, _) in zip(paths, schedule, strict=True):
                dest = settings.storage.watch_dir / camera / p.name
                dest.parent.mkdir(parents=True, exist_ok=True)
                os.replace(p, dest)
            pool = await asyncpg.create_pool(settings.database.url, min_size=1, max_size=1)
            try:
                last, last_change = -1, time.monotonic()
                while True:
                    row = await _fetchrow(
                        pool,
                        "SELECT count(*) FILTER (WHERE status <> 'queued') AS done,"
                        " (SELECT count(*) FROM events) AS events FROM media_files",
                    )
                    if int(row["done"]) >= n:
                        break
                    if int(row["done"]) != last:
                        last, last_change = int(row["done"]), time.monotonic()
                    elif time.monotonic() - last_change > 60 or child.poll() is not None:
                        raise BenchFailed(f"hsi serve processed {row['done']} of the {n} files dropped")
                    await asyncio.sleep(0.1)
                seconds = time.perf_counter() - started
                await asyncio.sleep(1.0)  # windows closing, assess: still inside the sampled span
                events = int((await _fetchrow(pool, "SELECT count(*) AS n FROM events"))["n"])
            finally:
                await pool.close()
        maps = [m.path for m in psutil.Process(child.pid).memory_maps()]
        torch_loaded = any("libtorch" in path for path in maps)
        openvino_loaded = any("libopenvino" in path for path in maps)
    finally:
        stop_serve(child)
    return {
        "schema": SCHEMA_VERSION,
        "run_id": settings.redis.prefix,
        "machine": f"{os.cpu_count()} cores, {round(psutil.virtual_memory().total / 2**30)} GiB",
        "mode": "serve",
        "mode_note": "a real hsi serve child process (all stages, API, heuristic), real detector",
        "images": n,
        "cameras": cameras,
        "detector": settings.detection.detector,
        "precision": settings.detection.precision,
        "files_dropped": n,
        "files_processed": n,
        "events": events,
        "serve_images_per_second": round(n / seconds, 2),
        "memory": {
            "process": "hsi serve (one process, every stage)",
            "rss_after_start_mib": round(rss_started / 2**20, 1),
            "peak_rss_mib": round(mem.peak / 2**20, 1),
            "torch_loaded": torch_loaded,
            "openvino_loaded": openvino_loaded,
        },
    }


def _print(r: dict[str, Any]) -> None:
    if r.get("mode") == "soak":
        from tools.bench_soak import print_soak

        print_soak(r)
        return
    if r.get("mode") == "serve":
        m = r["memory"]
        print(
            f"\nhsi bench --serve — {r['images']} images, {r['cameras']} cameras, detector {r['detector']} "
            f"({r['precision']}), {r['machine']}\n"
            f"  hsi serve process        peak {m['peak_rss_mib']} MiB RSS (after start {m['rss_after_start_mib']} MiB); "
            f"{r['files_processed']} files, {r['events']} events, {r['serve_images_per_second']} images/s"
        )
        return
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
    mem = r["memory"]
    print()
    print(
        f"hsi bench — {r['images']} images, {r['cameras']} cameras, detector {r['detector']} "
        f"({r['precision']}), batch {r['batch_size']}, {r['machine']}"
    )
    print(f"  mode                     {r['mode']}: {r['mode_note']}")
    print(
        f"  raw detector loop        {raw['images_per_second']:8.2f} images/s   "
        f"(p50 {raw['per_image_ms_p50']} ms, p95 {raw['per_image_ms_p95']} ms per image)"
    )
    print(f"  raw decode + detect      {r['raw_decode_plus_detect_images_per_second']:8.2f} images/s")
    print(
        f"  whole pipeline           {r['pipeline_images_per_second']:8.2f} images/s   "
        f"(all detected in {r['pipeline_seconds_to_all_detected']} s, events in {r['pipeline_seconds_to_all_events']} s)"
    )
    print(f"  pipeline / raw           {r['pipeline_vs_raw']:8.3f}")
    print(
        f"  files                    {r['files_processed']} processed of {r['files_dropped']} dropped; "
        f"{r['events']} events ({r['events_per_second']}/s), {r['detections']} detections"
    )
    for name, key in (("file -> event", "file_to_event_ms"), ("file -> published", "file_to_published_ms")):
        v = r[key]
        if v.get("count"):
            print(
                f"  {name:24s} p50 {v['p50']} ms, p95 {v['p95']} ms ({v['count']} events, from its last file)"
            )
    for stage, v in r["stages"].items():
        print(
            f"  stage {stage:18s} {v['items_per_second']:8.2f} items/s   p50 {v['p50_ms']} ms, p95 {v['p95_ms']} ms"
        )
    print(
        f"  peak memory              {mem['peak_rss_mib']:8.1f} MiB RSS during the pipeline "
        f"(at start {mem['rss_at_start_mib']}, torch loaded: {mem['torch_loaded']})"
    )
    if "api" in r:
        print(f"  GET /api/events          {json.dumps(r['api'])}")
