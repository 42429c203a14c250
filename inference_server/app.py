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

from inference_server.logs import redact_url
from inference_server.metrics import Metrics
from inference_server.ml.llm_vision import VisionAssessor
from inference_server.ml.models.hardware import Hardware
from inference_server.ml.models.plan import OPENCV_MODEL_ID, ModelPlan
from inference_server.ml.protocols import Detector, Embedder, RiskAssessor
from inference_server.pipeline.assess import AssessStage, FallbackAssessor
from inference_server.pipeline.detect import DetectStage
from inference_server.pipeline.enrich import ContextBuilder
from inference_server.pipeline.housekeeping import Housekeeping
from inference_server.pipeline.ingest import Ingest
from inference_server.pipeline.publish import Publisher
from inference_server.pipeline.worker import StreamWorker
from inference_server.runtime.supervisor import StageState, Supervisor
from inference_server.settings import ConfigError, Settings
from inference_server.store import media as media_store
from inference_server.store.db import DatabaseUnavailable, create_pool, migrate
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
        pool = await create_pool(settings.database.url)
    except DatabaseUnavailable as exc:
        raise ServiceUnavailable(f"{exc} (set HSI_DATABASE_URL)") from exc
    redis = aioredis.from_url(
        settings.redis.url, decode_responses=True, socket_connect_timeout=5, health_check_interval=15
    )
    try:
        await redis.ping()
    except (RedisError, OSError) as exc:
        await pool.close()
        await redis.aclose()
        raise ServiceUnavailable(
            f"cannot connect to Redis at {redact_url(settings.redis.url)}: {exc} (set HSI_REDIS_URL)"
        ) from exc
    if run_migrations:
        await migrate(pool)
    keys = Keys(settings.redis.prefix)
    return Services(settings, pool, redis, keys, Metrics(), Publisher(redis, keys), tz)


def model_plan(settings: Settings, hardware: Hardware | None = None) -> ModelPlan:
    """Which backend and model each stage will use on this machine, and why (see ml/models/plan.py)."""
    from inference_server.ml.models.hardware import probe_hardware
    from inference_server.ml.models.manifest import load_manifest
    from inference_server.ml.models.plan import ModelSettings, make_plan

    hw = hardware if hardware is not None else probe_hardware(settings.models_path)
    return make_plan(ModelSettings.from_settings(settings), hw, load_manifest(settings.models.manifest))


def build_detector(settings: Settings, plan: ModelPlan | None = None) -> Detector:
    """The detector of the plan: YOLO26 from the model store (ONNX on CPU, torch on CUDA) or OpenCV,
    behind a dynamic batcher that merges the frames of concurrent detect workers."""
    from inference_server.ml.batching import DynamicBatcher
    from inference_server.ml.detectors import build_detector as _build
    from inference_server.ml.quantize import CalibrationSource

    choice = (plan or model_plan(settings)).detector
    kind, weights = settings.detection.detector, settings.detection.weights
    if kind == "auto":
        # The plan already announced a fallback; building "opencv" directly avoids a second warning.
        kind = "opencv" if choice.backend == "opencv" else "auto"
        weights = str(choice.path) if choice.path else weights
    elif weights is None and choice.path is not None:
        weights = str(choice.path)
    detector = _build(
        kind,
        weights,
        confidence=settings.detection.confidence,
        classes=settings.detection.classes or None,
        image_size=settings.detection.image_size,
        cache_dir=settings.models_path,
        intra_op_threads=settings.detection.threads,
        precision=settings.detection.precision,
        calibration=CalibrationSource(settings.storage.media_dir, settings.detection.calibration_frames),
    )
    model_id = choice.model_id if detector.name == choice.backend else None
    if model_id is None:
        model_id = (
            OPENCV_MODEL_ID
            if detector.name == "opencv"
            else (Path(weights).stem if weights else detector.name)
        )
    detector.model_id = model_id  # type: ignore[attr-defined]
    on_gpu = str(getattr(detector, "device", "")).startswith("cuda") or "CUDAExecutionProvider" in getattr(
        detector, "providers", ()
    )
    latency_ms = settings.detection.batch_latency_ms
    if latency_ms is None:
        latency_ms = 25.0 if on_gpu else 0.0
    batcher = DynamicBatcher(
        detector,
        max_batch=settings.detection.batch_size * settings.detection.concurrency,
        budget_s=latency_ms / 1000.0,
    )
    batcher.model_id = model_id  # type: ignore[attr-defined]
    return batcher


def build_embedder(settings: Settings, plan: ModelPlan | None = None) -> Embedder | None:
    """The re-ID embedder (CLIP) of the plan; loading takes seconds, so it happens at start-up."""
    choice = (plan or model_plan(settings)).embedder
    if choice.backend != "clip":
        return None
    from inference_server.ml.embedder_clip import ClipEmbedder

    return ClipEmbedder(
        str(choice.extra.get("model_name") or settings.reid.embedder_model),
        pretrained=choice.extra.get("pretrained"),
        pretrained_tag=choice.extra.get("pretrained_tag"),
    )


def build_llm(settings: Settings, plan: ModelPlan | None = None) -> RiskAssessor | None:
    """The LLM backend of the plan, or None for the heuristic alone."""
    choice = (plan or model_plan(settings)).llm
    if choice.backend == "llama_cpp":
        from inference_server.ml.llm_llama_cpp import LlamaCppAssessor

        path = choice.path or settings.llm.model_path
        if path is None:
            raise ConfigError("setting 'llm_model_path': required when llm_backend is llama_cpp")
        llama = LlamaCppAssessor(path, timeout_s=settings.llm.timeout_seconds)
        llama.model_id = choice.model_id or Path(path).stem  # type: ignore[attr-defined]
        return llama
    if choice.backend == "openai":
        from inference_server.ml.llm_openai import OpenAIAssessor

        if not settings.llm.url:
            raise ConfigError("setting 'llm_url': required when llm_backend is openai")
        remote = OpenAIAssessor(
            settings.llm.url,
            settings.llm.model,
            api_key=settings.llm.api_key.get_secret_value() if settings.llm.api_key else None,
            timeout_s=settings.llm.timeout_seconds,
        )
        remote.model_id = settings.llm.model  # type: ignore[attr-defined]
        return remote
    if choice.backend == "home_assistant":
        from inference_server.ml.llm_home_assistant import HomeAssistantAssessor

        if not settings.llm.ha_url and not os.environ.get("SUPERVISOR_TOKEN"):
            raise ConfigError(
                "setting 'ha_url': required when llm_backend is home_assistant (outside the add-on)"
            )
        return HomeAssistantAssessor(
            settings.llm.ha_url,
            (settings.llm.ha_token.get_secret_value() if settings.llm.ha_token else None),
            entity_id=settings.llm.ha_ai_task_entity,
            timeout_s=settings.llm.timeout_seconds,
        )
    return None


def build_vision(settings: Settings) -> VisionAssessor | None:
    """The vision step's backend when `vlm_url` is set, else None."""
    if not settings.llm.vlm_url:
        return None
    return VisionAssessor(
        settings.llm.vlm_url,
        settings.llm.vlm_model,
        api_key=(settings.llm.vlm_api_key.get_secret_value() if settings.llm.vlm_api_key else None),
        timeout_s=settings.llm.vlm_timeout_seconds,
        max_images=settings.llm.vlm_max_images,
        max_pixels=settings.llm.vlm_max_pixels,
    )


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
    model_plan: ModelPlan | None = None
    profile_pull: Any = None  # the background pull of `models_profile` (ml/models/profile_pull.py)
    extra_tasks: list[Callable[[asyncio.Event], Awaitable[None]]] = field(default_factory=list)
    supervisor: Supervisor = field(init=False)

    def __post_init__(self) -> None:
        s = self.services.settings
        self.supervisor = Supervisor(self.services.metrics)
        svc = self.services
        self.windows = WindowStore(
            svc.redis, svc.keys, idle_s=s.window.idle_seconds, max_s=s.window.max_seconds
        )
        streams = self.streams = Streams(svc.redis, svc.keys)
        contexts = self.contexts = ContextBuilder(
            svc.pool,
            svc.tz,
            embedder=self.embedder,
            media_dir=s.storage.media_dir,
            reid_threshold=s.reid.threshold,
            reid_window_hours=s.reid.window_hours,
        )
        assessor = FallbackAssessor(
            self.llm, svc.metrics, s.llm.timeout_seconds + 5, build_vision(s), s.llm.vlm_timeout_seconds + 5
        )
        self.assess = AssessStage(
            pool=svc.pool, contexts=contexts, assessor=assessor, publisher=svc.publisher, metrics=svc.metrics
        )
        if "ingest" in self.stages:
            self.ingest = Ingest(
                watch_dir=s.storage.watch_dir,
                media_dir=s.storage.media_dir,
                pool=svc.pool,
                redis=svc.redis,
                keys=svc.keys,
                metrics=svc.metrics,
                max_file_bytes=s.ingest.max_file_bytes,
                stable_seconds=s.ingest.stable_seconds,
                dedupe_ttl_seconds=s.ingest.dedupe_ttl_seconds,
                camera_names={k: v.name for k, v in s.cameras.items() if v.name},
                max_attempts=s.streams.max_attempts,
                open_timeout_seconds=s.ingest.open_timeout_seconds,
                abandoned_seconds=s.ingest.abandoned_seconds,
                rescan_seconds=s.ingest.rescan_seconds,
            )
        if "detect" in self.stages:
            if self.detector is None:
                raise ValueError("the detect stage needs a detector")
            self.detect = DetectStage(
                pool=svc.pool,
                media_dir=s.storage.media_dir,
                detector=self.detector,
                windows=self.windows,
                metrics=svc.metrics,
                timezone=svc.tz,
                urgent_rules=s.window.urgent_rules,
                on_fast_path=self.assess.preliminary,
                video_sample_seconds=s.detection.video_sample_seconds,
                video_max_frames=s.detection.video_max_frames,
                decode_target_side=s.detection.image_size,
                callers=s.detection.concurrency,
                max_pixels=s.ingest.max_image_pixels,
            )
            for n in range(s.detection.concurrency):
                self.workers.append(
                    self.make_worker(
                        streams,
                        "detect",
                        "detectors",
                        self.detect.handle,
                        s.detection.batch_size,
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
            reclaim_idle_s=s.streams.reclaim_idle_seconds,
            max_attempts=s.streams.max_attempts,
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
            quarantine_dir=s.storage.media_dir / "quarantine",
            stream_retention_s=s.streams.retention_seconds,
            publish_retention_s=s.streams.publish_retention_seconds,
            quarantine_retention_days=s.retention.quarantine_days,
            audit_retention_days=s.retention.audit_days,
        )

    async def retention_loop(self, stop: asyncio.Event) -> None:
        """Hourly: delete re-ID sightings and embeddings older than the retention window."""
        from inference_server.store.understanding import delete_expired

        days = self.services.settings.reid.retention_days
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
        runners: list[tuple[str, Callable[[asyncio.Event], Awaitable[Any]]]] = [
            (f"{w.stage}/{w.group}", w.run) for w in self.workers
        ]
        if "assess" in self.stages:
            runners.append(("retention", self.retention_loop))
        if self.ingest is not None:
            runners.append(("ingest", self.ingest.run))
        if "window" in self.stages:
            runners.append(("window", self.close_windows_loop))
            runners.append(("housekeeping", self.housekeeping().run))
        runners.extend((_runner_name(task), task) for task in self.extra_tasks)
        named: list[tuple[str, Callable[[asyncio.Event], Awaitable[Any]]]] = []
        for name, runner in runners:  # each known (and "running") before the first task starts
            unique = self.supervisor.unique_name(name)
            self.supervisor.states[unique] = StageState(unique, running=True)
            named.append((unique, runner))
        tasks = [
            asyncio.create_task(self.supervisor.supervise(name, runner, stop), name=f"hsi-stage-{name}")
            for name, runner in named
        ]
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


def _runner_name(runner: Callable[..., Any]) -> str:
    owner = getattr(runner, "__self__", None)
    name = getattr(runner, "__name__", "task")
    return f"{type(owner).__name__}.{name}" if owner is not None else name


def _report_crash(task: asyncio.Task[Any]) -> None:
    # A stage that dies must say so loudly, not vanish until shutdown.
    if not task.cancelled() and task.exception() is not None:
        log.error("stage task crashed: %r", task.exception(), exc_info=task.exception())


async def data_dirs(settings: Settings) -> None:
    """Create the folders the server writes to."""
    for path in (settings.storage.data_dir, settings.storage.watch_dir, settings.storage.media_dir):
        Path(path).mkdir(parents=True, exist_ok=True)
