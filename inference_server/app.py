"""Composition root: opens the services, builds the stages and runs the ones asked for."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import asyncpg
import redis.asyncio as aioredis
from redis.exceptions import RedisError

from inference_server.config import ConfigError, Settings
from inference_server.metrics import Metrics
from inference_server.ml.protocols import Detector, Embedder, RiskAssessor
from inference_server.pipeline.assess import AssessStage, FallbackAssessor
from inference_server.pipeline.detect import DetectStage
from inference_server.pipeline.enrich import ContextBuilder
from inference_server.pipeline.housekeeping import Housekeeping
from inference_server.pipeline.ingest import Ingest
from inference_server.pipeline.publish import Publisher
from inference_server.pipeline.worker import StreamWorker
from inference_server.store import media as media_store
from inference_server.store.db import DatabaseUnavailable, create_pool, migrate, redact_url
from inference_server.store.streams import Keys, StreamEntry, Streams
from inference_server.store.windows import WindowStore

log = logging.getLogger(__name__)

ALL_STAGES = ("ingest", "detect", "window", "assess", "publish", "api", "ftp")
WORKER_STAGES = ("ingest", "detect", "window", "assess", "publish")


class ServiceUnavailable(RuntimeError):
    """A required service cannot be reached at start-up; the message says which and how to fix it."""


@dataclass
class Services:
    """Connections shared by every stage of one process."""

    settings: Settings
    pool: asyncpg.Pool
    redis: aioredis.Redis
    keys: Keys
    metrics: Metrics
    publisher: Publisher
    tz: ZoneInfo

    async def close(self) -> None:
        """Close the connections."""
        await self.pool.close()
        await self.redis.aclose()


def home_timezone(name: str) -> ZoneInfo:
    """The home's time zone, or ConfigError naming the bad value."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(f"setting 'timezone': unknown time zone {name!r}") from exc


async def open_services(settings: Settings, *, run_migrations: bool = True) -> Services:
    """Connect to PostgreSQL and Redis (and migrate); ServiceUnavailable with a one-line reason."""
    tz = home_timezone(settings.timezone)
    try:
        pool = await create_pool(settings.database_url)
    except DatabaseUnavailable as exc:
        raise ServiceUnavailable(f"{exc} (set HSI_DATABASE_URL)") from exc
    redis = aioredis.from_url(
        settings.redis_url, decode_responses=True, socket_connect_timeout=5, health_check_interval=15
    )
    try:
        await redis.ping()
    except (RedisError, OSError) as exc:
        await pool.close()
        await redis.aclose()
        raise ServiceUnavailable(
            f"cannot connect to Redis at {redact_url(settings.redis_url)}: {exc} (set HSI_REDIS_URL)"
        ) from exc
    if run_migrations:
        await migrate(pool)
    keys = Keys(settings.redis_prefix)
    return Services(settings, pool, redis, keys, Metrics(), Publisher(redis, keys), tz)


def build_detector(settings: Settings) -> Detector:
    """The configured detector (auto: ONNX on CPU, torch on CUDA, OpenCV when no weights exist)."""
    from inference_server.ml.detectors import build_detector as _build

    return _build(
        settings.detector,
        settings.detector_weights,
        confidence=settings.detector_confidence,
        classes=settings.detector_classes or None,
        image_size=settings.detector_image_size,
        cache_dir=settings.data_dir / "models",
    )


def build_embedder(settings: Settings) -> Embedder | None:
    """The re-ID embedder (CLIP) when enabled; loading takes seconds, so it happens at start-up."""
    if settings.embedder != "clip":
        return None
    from inference_server.ml.embedder_clip import ClipEmbedder

    return ClipEmbedder(settings.embedder_model, pretrained=settings.embedder_weights)


def build_llm(settings: Settings) -> RiskAssessor | None:
    """The configured LLM backend, or None for the heuristic alone."""
    if settings.llm_backend == "llama_cpp":
        from inference_server.ml.llm_llama_cpp import LlamaCppAssessor

        if settings.llm_model_path is None:
            raise ConfigError("setting 'llm_model_path': required when llm_backend is llama_cpp")
        return LlamaCppAssessor(settings.llm_model_path, timeout_s=settings.llm_timeout_seconds)
    if settings.llm_backend == "openai":
        from inference_server.ml.llm_openai import OpenAIAssessor

        if not settings.llm_url:
            raise ConfigError("setting 'llm_url': required when llm_backend is openai")
        return OpenAIAssessor(
            settings.llm_url,
            settings.llm_model,
            api_key=settings.llm_api_key,
            timeout_s=settings.llm_timeout_seconds,
        )
    return None


@dataclass
class Pipeline:
    """The stages of one process, built from shared services."""

    services: Services
    stages: tuple[str, ...]
    detector: Detector | None = None
    llm: RiskAssessor | None = None
    embedder: Embedder | None = None
    contexts: ContextBuilder | None = None
    consumer: str = field(default_factory=lambda: f"{socket.gethostname()}-{os.getpid()}")
    ingest: Ingest | None = None
    detect: DetectStage | None = None
    assess: AssessStage | None = None
    windows: WindowStore | None = None
    streams: Streams | None = None
    workers: list[StreamWorker] = field(default_factory=list)
    extra_tasks: list[Callable[[asyncio.Event], Awaitable[None]]] = field(default_factory=list)

    def __post_init__(self) -> None:
        s = self.services.settings
        svc = self.services
        self.windows = WindowStore(
            svc.redis, svc.keys, idle_s=s.batch_idle_seconds, max_s=s.batch_window_seconds
        )
        streams = self.streams = Streams(svc.redis, svc.keys)
        contexts = self.contexts = ContextBuilder(
            svc.pool,
            svc.tz,
            embedder=self.embedder,
            media_dir=s.media_dir,
            reid_threshold=s.reid_threshold,
            reid_window_hours=s.reid_window_hours,
        )
        assessor = FallbackAssessor(self.llm, svc.metrics, s.llm_timeout_seconds + 5)
        self.assess = AssessStage(
            pool=svc.pool, contexts=contexts, assessor=assessor, publisher=svc.publisher, metrics=svc.metrics
        )
        if "ingest" in self.stages:
            self.ingest = Ingest(
                watch_dir=s.watch_dir,
                media_dir=s.media_dir,
                pool=svc.pool,
                redis=svc.redis,
                keys=svc.keys,
                metrics=svc.metrics,
                max_file_bytes=s.max_file_bytes,
                stable_seconds=s.ingest_stable_seconds,
                dedupe_ttl_seconds=s.dedupe_ttl_seconds,
                camera_names={k: v.name for k, v in s.cameras.items() if v.name},
                max_attempts=s.max_attempts,
                open_timeout_seconds=s.ingest_open_timeout_seconds,
                abandoned_seconds=s.ingest_abandoned_seconds,
                rescan_seconds=s.ingest_rescan_seconds,
            )
        if "detect" in self.stages:
            if self.detector is None:
                raise ValueError("the detect stage needs a detector")
            self.detect = DetectStage(
                pool=svc.pool,
                media_dir=s.media_dir,
                detector=self.detector,
                windows=self.windows,
                metrics=svc.metrics,
                timezone=svc.tz,
                urgent_rules=s.urgent_rules,
                on_fast_path=self.assess.preliminary,
                video_sample_seconds=s.video_sample_seconds,
                video_max_frames=s.video_max_frames,
                decode_target_side=s.detector_image_size,
                max_pixels=s.max_image_pixels,
            )
            for n in range(s.detect_concurrency):
                self.workers.append(
                    self.make_worker(
                        streams,
                        "detect",
                        "detectors",
                        self.detect.handle,
                        s.detector_batch_size,
                        suffix=f"-d{n}",
                    )
                )
        if "assess" in self.stages:
            self.workers.append(self.make_worker(streams, "assess", "assessors", self.assess.handle, 4))

    def make_worker(
        self,
        streams: Streams,
        stage: str,
        group: str,
        handler: Callable[[list[StreamEntry]], Awaitable[list[str]]],
        batch: int,
        suffix: str = "",
    ) -> StreamWorker:
        """A consumer of `group` on the stream of `stage`, dead-lettering exhausted entries."""
        s = self.services.settings
        return StreamWorker(
            streams=streams,
            stage=stage,
            group=group,
            consumer=self.consumer + suffix,
            handler=handler,
            on_exhausted=self._dead_letter(stage),
            metrics=self.services.metrics,
            batch_size=batch,
            reclaim_idle_s=s.reclaim_idle_seconds,
            max_attempts=s.max_attempts,
            probe=self._probe_services,
        )

    async def _probe_services(self) -> None:
        """Both services answer (raises otherwise): tells a bad batch from an outage."""
        await self.services.pool.fetchval("SELECT 1")
        await self.services.redis.ping()

    def _dead_letter(self, stage: str) -> Callable[[StreamEntry, str], Awaitable[None]]:
        async def record(entry: StreamEntry, reason: str) -> None:
            media_id: int | None = None
            with contextlib.suppress(KeyError, ValueError):
                media_id = int(entry.fields["media_id"])
            log.warning(
                "dead_letter stage=%s entry=%s media_id=%s reason=%s", stage, entry.id, media_id, reason
            )
            await media_store.add_dead_letter(
                self.services.pool,
                stage=stage,
                reason=reason,
                media_id=media_id,
                payload={"entry": dict(entry.fields)},
                attempts=entry.deliveries,
            )
            self.services.metrics.dead_letters.labels(stage).inc()

        return record

    async def close_windows_loop(self, stop: asyncio.Event) -> None:
        """Close idle windows (any number of processes may run this: closing is atomic)."""
        assert self.windows is not None
        while not stop.is_set():
            try:
                await self.windows.close_due(time.time())
                self.services.metrics.open_windows.set(await self.windows.open_count())
            except Exception as exc:
                log.warning("window closer: %s", exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=0.5)

    def housekeeping(self) -> Housekeeping:
        """Stream trimming plus quarantine and audit retention."""
        s = self.services.settings
        return Housekeeping(
            streams=Streams(self.services.redis, self.services.keys),
            pool=self.services.pool,
            quarantine_dir=s.media_dir / "quarantine",
            stream_retention_s=s.stream_retention_seconds,
            publish_retention_s=s.publish_stream_retention_seconds,
            quarantine_retention_days=s.quarantine_retention_days,
            audit_retention_days=s.audit_retention_days,
        )

    async def retention_loop(self, stop: asyncio.Event) -> None:
        """Hourly: delete re-ID sightings and embeddings older than the retention window."""
        from inference_server.store.understanding import delete_expired

        days = self.services.settings.reid_retention_days
        while not stop.is_set():
            try:
                deleted = await delete_expired(self.services.pool, datetime.now(UTC) - timedelta(days=days))
                if deleted:
                    log.info("retention deleted_sightings=%d older_than_days=%s", deleted, days)
            except Exception as exc:
                log.warning("retention: %s", exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=3600)

    async def run(self, stop: asyncio.Event) -> None:
        """Run every stage of this process until `stop` is set."""
        coros: list[Awaitable[Any]] = [w.run(stop) for w in self.workers]
        if "assess" in self.stages:
            coros.append(self.retention_loop(stop))
        if self.ingest is not None:
            coros.append(self.ingest.run(stop))
        if "window" in self.stages:
            coros.append(self.close_windows_loop(stop))
            coros.append(self.housekeeping().run(stop))
        coros.extend(task(stop) for task in self.extra_tasks)
        tasks = [asyncio.create_task(c) for c in coros]  # type: ignore[arg-type]
        for t in tasks:
            t.add_done_callback(_report_crash)
        try:
            await stop.wait()
        finally:
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            if self.detect is not None:
                self.detect.close()
            if self.contexts is not None:
                self.contexts.close()


def _report_crash(task: asyncio.Task[Any]) -> None:
    # A stage that dies must say so loudly, not vanish until shutdown.
    if not task.cancelled() and task.exception() is not None:
        log.error("stage task crashed: %r", task.exception(), exc_info=task.exception())


async def data_dirs(settings: Settings) -> None:
    """Create the folders the server writes to."""
    for path in (settings.data_dir, settings.watch_dir, settings.media_dir):
        Path(path).mkdir(parents=True, exist_ok=True)
