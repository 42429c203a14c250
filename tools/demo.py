"""`hsi demo`: sample uploads in, scored events out, on embedded services when none are configured."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path

import cv2
import numpy as np

from inference_server.domain.events import Event
from inference_server.settings import Settings
from tests.support.models import sample_images
from tools.console import Console, Step
from tools.embedded import embedded_postgres, embedded_redis
from tools.uploads import with_marker

log = logging.getLogger(__name__)

DEMO_ZONES = [
    # camera, name, type, priority, polygon
    ("front_door", "Porch", "entry_point", 3, [[0.25, 0.45], [0.95, 0.45], [0.95, 1.0], [0.25, 1.0]]),
    ("driveway", "Driveway", "driveway", 2, [[0.0, 0.55], [1.0, 0.55], [1.0, 1.0], [0.0, 1.0]]),
]


def _encode(image: np.ndarray, marker: str) -> bytes:
    # The marker names the run and the camera: the same picture on two cameras is two uploads.
    ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 90])
    assert ok
    return with_marker(buf.tobytes(), marker)


def _read_image(path: Path) -> np.ndarray:
    image = cv2.imread(str(path))
    if image is None:
        raise FileNotFoundError(f"cannot read the sample image {path}")
    return image


def _walk(image: np.ndarray, steps: int) -> list[np.ndarray]:
    """Frames of a camera following a subject: sliding crops across the picture."""
    h, w = image.shape[:2]
    cw = int(w * 0.8)
    return [image[:, int((w - cw) * i / max(1, steps - 1)) :][:, :cw].copy() for i in range(steps)]


def _write_upload(dest: Path, data: bytes, when: datetime) -> None:
    # Cameras write under a temporary name and rename, as FTP clients do; ingest ignores dot-files.
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.part")
    tmp.write_bytes(data)
    os.utime(tmp, (when.timestamp(), when.timestamp()))
    os.replace(tmp, dest)


def make_uploads(watch_dir: Path, tz_now: datetime, marker: str) -> dict[str, int]:
    """Write the demo's camera uploads; returns files per camera."""
    bus_path, zidane_path = sample_images()
    bus = _read_image(bus_path)
    zidane = _read_image(zidane_path)
    night = (tz_now - timedelta(days=1)).replace(hour=2, minute=47, second=10, microsecond=0)
    noon = (tz_now - timedelta(days=1)).replace(hour=12, minute=30, second=0, microsecond=0)
    evening = (tz_now - timedelta(days=1)).replace(hour=23, minute=10, second=0, microsecond=0)
    counts: dict[str, int] = {}

    # Someone walks up to the front door in the middle of the night.
    for i, frame in enumerate(_walk(bus, 3)):
        _write_upload(
            watch_dir / "front_door" / f"MDAlarm_{i:03d}.jpg",
            _encode(frame, marker + " front_door"),
            night + timedelta(seconds=i),
        )
    counts["front_door"] = 3
    # People at the driveway at lunchtime (zidane.jpg is found by YOLO; the offline detector
    # only finds upright full-body people).
    for i, frame in enumerate([bus, zidane, *_walk(bus, 2)]):
        _write_upload(
            watch_dir / "driveway" / f"snap_{i:03d}.jpg",
            _encode(frame, marker + " driveway"),
            noon + timedelta(seconds=i),
        )
    counts["driveway"] = 4
    # A short clip: the camera's MP4 of someone crossing the back yard.
    clip_dir = watch_dir / "backyard"
    clip_dir.mkdir(parents=True, exist_ok=True)
    clip_tmp = clip_dir / ".clip-writing.mp4"  # hidden: ingest ignores it until renamed
    frames = _walk(bus, 6)
    h, w = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(clip_tmp), cv2.VideoWriter.fourcc(*"mp4v"), 2.0, (w, h))
    # A marker frame makes the clip's bytes unique per run.
    seed = int(uuid.UUID(marker).int % 255)
    for f in frames:
        writer.write(f)
    writer.write(np.full_like(frames[0], seed))
    writer.release()
    os.utime(clip_tmp, (evening.timestamp(), evening.timestamp()))
    os.replace(clip_tmp, clip_dir / "alarm_clip.mp4")
    counts["backyard"] = 1
    # An empty scene: motion from a shadow, no object.
    gradient = np.tile(np.linspace(40, 200, 640, dtype=np.uint8), (480, 1))
    empty = cv2.cvtColor(gradient, cv2.COLOR_GRAY2BGR)
    _write_upload(watch_dir / "garage" / "snapshot.jpg", _encode(empty, marker), noon)
    counts["garage"] = 1
    return counts


def format_table(events: list[Event], tz_name: str) -> str:
    """A plain-text table of events."""
    from zoneinfo import ZoneInfo

    tz = ZoneInfo(tz_name)
    rows = [("camera", "time", "objects", "score", "level", "by", "summary")]
    for e in events:
        objects = ", ".join(f"{n} {label}" for label, n in sorted(e.objects.items())) or "-"
        rows.append(
            (
                e.camera,
                e.started_at.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S"),
                objects,
                str(e.risk_score),
                e.risk_level.value,
                e.assessed_by,
                e.summary,
            )
        )
    widths = [min(60, max(len(r[i]) for r in rows)) for i in range(len(rows[0]) - 1)]
    lines = []
    for n, r in enumerate(rows):
        lines.append("  ".join(c.ljust(w)[:w] for c, w in zip(r[:-1], widths, strict=True)) + "  " + r[-1])
        if n == 0:
            lines.append("-" * (sum(widths) + 2 * len(widths) + 40))
    return "\n".join(lines)


async def run_demo(settings: Settings, log_path: Path | None = None) -> int:
    """Run the whole pipeline on the demo uploads and print the resulting events.

    Only our own lines reach the terminal; the embedded services', the libraries' and our own
    logs go to `log_path` (default `<data_dir>/demo.log`), named in the first line.
    """
    log_path = log_path or settings.storage.data_dir / "demo.log"
    with Console(log_path) as console:
        console.print(f"Home Security Intelligence demo. Logs of the services and libraries: {log_path}")
        try:
            return await _run_demo(settings, console)
        except Exception as exc:
            log.exception("demo failed")
            console.print(f"The demo failed: {exc}. The log has the details: {log_path}")
            raise


async def _run_demo(settings: Settings, console: Console) -> int:
    with contextlib.ExitStack() as stack:
        updates: dict[str, object] = {
            "ingest_stable_seconds": min(settings.ingest.stable_seconds, 0.3),
            "redis_prefix": settings.redis.prefix if settings.is_set("redis_prefix") else "hsi-demo",
        }
        embedded_dir = settings.storage.data_dir / "embedded"
        if not settings.is_set("database_url"):
            with console.step(
                f"No HSI_DATABASE_URL: starting embedded PostgreSQL in {embedded_dir / 'postgres'}"
            ):
                updates["database_url"] = await asyncio.to_thread(
                    stack.enter_context, embedded_postgres(embedded_dir / "postgres")
                )
        if not settings.is_set("redis_url"):
            with console.step(f"No HSI_REDIS_URL: starting embedded Redis in {embedded_dir / 'redis'}"):
                updates["redis_url"] = await asyncio.to_thread(
                    stack.enter_context, embedded_redis(embedded_dir / "redis")
                )
        run_dir = settings.storage.data_dir / "demo"
        if not settings.is_set("watch_dir"):
            updates["watch_dir"] = run_dir / "uploads"
        if not settings.is_set("media_dir"):
            updates["media_dir"] = run_dir / "media"
        demo_settings = settings.replace(**updates)
        return await _run(demo_settings, console)


async def _run(settings: Settings, console: Console) -> int:
    from inference_server.runtime.app import App

    stages = ("ingest", "detect", "window", "enrich", "assess")
    started = time.perf_counter()
    with console.step("Loading the models and connecting to PostgreSQL and Redis"):
        pipeline = App(settings, stages)
        await pipeline.start()
        services = pipeline.services
    assert pipeline.detector is not None
    console.print(
        f"Detector: {pipeline.detector.name}   Risk assessor: {pipeline.llm.name if pipeline.llm else 'heuristic'}"
        f"   Time zone: {settings.timezone}"
    )
    if pipeline.model_plan is not None:
        for fallback in pipeline.model_plan.fallbacks:
            console.print(
                f"Fallback: {fallback.stage} runs {fallback.backend} ({fallback.reason}); fix: {fallback.fix}"
            )
    marker = str(uuid.uuid4())
    stop = asyncio.Event()
    runner: asyncio.Task[None] | None = None
    try:
        for camera, name, zone_type, priority, polygon in DEMO_ZONES:
            await services.pool.execute(
                "INSERT INTO cameras (id, name) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                camera,
                camera.replace("_", " ").title(),
            )
            await services.pool.execute(
                "INSERT INTO zones (camera_id, name, zone_type, priority, polygon) VALUES ($1, $2, $3, $4, $5)"
                " ON CONFLICT (camera_id, name) DO NOTHING",
                camera,
                name,
                zone_type,
                priority,
                polygon,
            )
        runner = asyncio.create_task(pipeline.run(stop))
        now = datetime.now(services.tz)
        since = datetime.now(services.tz) - timedelta(seconds=1)
        counts = await asyncio.to_thread(make_uploads, settings.storage.watch_dir, now, marker)
        total = sum(counts.values())
        console.print(f"Uploaded {total} files from {len(counts)} cameras into {settings.storage.watch_dir}")
        with console.step(f"Detecting, grouping and scoring the {total} uploads") as step:
            await _wait_until_done(services, pipeline, total, since, timeout=300, step=step)
        rows = await services.pool.fetch(
            "SELECT DISTINCT event_id FROM media_files WHERE ingested_at >= $1 AND event_id IS NOT NULL",
            since,
        )
        from inference_server.store import events as event_store

        events = [e for r in rows if (e := await event_store.fetch_event(services.pool, str(r["event_id"])))]
        events.sort(key=lambda e: (e.started_at, e.camera))
        console.print()
        for line in format_table(events, settings.timezone).splitlines():
            console.print(line)
        console.print()
        summary = await services.pool.fetchrow(
            "SELECT count(*) FILTER (WHERE status = 'no_objects') AS empty,"
            " count(*) FILTER (WHERE status = 'dead_letter') AS dead FROM media_files WHERE ingested_at >= $1",
            since,
        )
        assert summary is not None
        console.print(
            f"{len(events)} events from {total} uploads ({summary['empty']} without objects, "
            f"{summary['dead']} dead letters) in {time.perf_counter() - started:.1f} s"
        )
        return 0 if events else 1
    finally:
        stop.set()
        if runner is not None:
            with contextlib.suppress(Exception):
                await runner
        await pipeline.stop()


async def _wait_until_done(  # type: ignore[no-untyped-def]
    services, pipeline, total: int, since: datetime, timeout: float, step: Step
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        row = await services.pool.fetchrow(
            "SELECT count(*) AS n, count(*) FILTER (WHERE status = 'queued') AS queued,"
            " count(DISTINCT event_id) AS events"
            " FROM media_files WHERE ingested_at >= $1",
            since,
        )
        detected = int(row["n"]) - int(row["queued"])
        if (
            row["n"] >= total
            and row["queued"] == 0
            and await pipeline.streams.depth("detect", "detectors") == 0
            and await pipeline.streams.depth("window", "windowers") == 0
        ):
            # Every upload is detected and windowed: close the open windows now rather than after
            # an idle timer, so how the uploads group into events never depends on how fast this
            # machine detected them (a 2 s timer split one camera's burst in two under load).
            await pipeline.windows.close_due(time.time(), force=True)
        open_windows = await pipeline.windows.open_count()
        # Enrich acknowledges a window only after its context is on the assess stream.
        assess_depth = await pipeline.streams.depth("enrich", "enrichers") + await pipeline.streams.depth(
            "assess", "assessors"
        )
        step.detail = f"{detected} of {total} uploads detected, {row['events']} events"
        if row["n"] >= total and row["queued"] == 0 and open_windows == 0 and assess_depth == 0:
            await asyncio.sleep(0.5)
            return
        await asyncio.sleep(0.3)
    raise TimeoutError("the demo pipeline did not finish within the time limit")
