"""One factory per stage: what `App.start` builds for each stage a process runs, in data-flow order.

Each factory builds the stage's objects from the app's services and settings, registers its
runners (`app.add_runner` / `app.add_worker`) and what must be released at stop (`app.on_stop`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from inference_server.runtime.app import App
from inference_server.settings import ConfigError, Settings

log = logging.getLogger(__name__)


async def build_ingest(app: App) -> None:
    """Watch dir -> media rows -> the detect stream."""
    from inference_server.pipeline.ingest import Ingest

    s, svc = app.settings, app.services
    app.ingest = Ingest(
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
    app.add_runner("ingest", app.ingest.run)


async def build_detect(app: App) -> None:
    """The detect stream -> stored detections -> the window stream (one entry per media with objects)."""
    from inference_server.pipeline.detect import DetectStage

    s, svc = app.settings, app.services
    if app.detector is None:
        raise ValueError("the detect stage needs a detector")
    detect = app.detect = DetectStage(
        pool=svc.pool,
        media_dir=s.storage.media_dir,
        detector=app.detector,
        streams=app.streams,
        metrics=svc.metrics,
        video_sample_seconds=s.detection.video_sample_seconds,
        video_max_frames=s.detection.video_max_frames,
        decode_target_side=s.detection.image_size,
        callers=s.detection.concurrency,
        max_pixels=s.ingest.max_image_pixels,
    )
    for n in range(s.detection.concurrency):
        app.add_worker(
            app.make_worker("detect", "detectors", detect.handle, s.detection.batch_size, suffix=f"-d{n}")
        )
    app.on_stop(detect.close)


async def build_window(app: App) -> None:
    """The window stream -> the cameras' windows -> closed windows onto the enrich stream, fast-path
    decisions onto the assess stream; trim streams, purge quarantine and audit rows."""
    from inference_server.pipeline.housekeeping import Housekeeping
    from inference_server.pipeline.window import WindowStage
    from inference_server.store.streams import Streams

    s, svc = app.settings, app.services
    window = WindowStage(
        pool=svc.pool,
        windows=app.windows,
        metrics=svc.metrics,
        timezone=svc.tz,
        urgent_rules=s.window.urgent_rules,
    )
    app.add_worker(app.make_worker("window", "windowers", window.handle, 32))
    # Any number of processes may run the closer: closing is atomic.
    app.add_runner("window", window.close_due)
    housekeeping = Housekeeping(
        streams=Streams(svc.redis, svc.keys),
        pool=svc.pool,
        quarantine_dir=s.storage.media_dir / "quarantine",
        stream_retention_s=s.streams.retention_seconds,
        publish_retention_s=s.streams.publish_retention_seconds,
        quarantine_retention_days=s.retention.quarantine_days,
        audit_retention_days=s.retention.audit_days,
    )
    app.add_runner("housekeeping", housekeeping.run)


async def build_enrich(app: App) -> None:
    """Closed windows -> context (zones, tracks, re-ID, plates, faces, baseline; this stage's writes) -> the
    assess stream; the hourly re-ID, plate and face retention."""
    from inference_server.domain.plates import PlateConfig
    from inference_server.pipeline.enrich import ContextBuilder, EnrichStage
    from inference_server.runtime.models import build_face_reader, build_plate_reader
    from inference_server.store import plates as plate_store
    from inference_server.store.understanding import delete_expired

    s, svc = app.settings, app.services
    plate_cameras = frozenset(s.plate_cameras)
    contexts = app.contexts = ContextBuilder(
        svc.pool,
        svc.tz,
        embedder=app.embedder,
        media_dir=s.storage.media_dir,
        reid_threshold=s.reid.threshold,
        reid_window_hours=s.reid.window_hours,
        plate_reader=build_plate_reader(s),
        plate_cameras=plate_cameras,
        plate_config=PlateConfig(
            min_confidence=s.plates.min_confidence,
            max_edit_distance=s.plates.max_edit_distance,
            retention_days=s.plates.retention_days,
        ),
        plate_max_tracks=s.plates.max_tracks,
        **_face_options(s, build_face_reader(s)),
    )
    app.on_stop(contexts.close)
    await contexts.prepare()  # pgvector index when the server has the extension
    app.enrich = EnrichStage(pool=svc.pool, contexts=contexts, streams=app.streams)
    app.add_worker(app.make_worker("enrich", "enrichers", app.enrich.handle, 4))
    days = s.reid.retention_days

    async def retention(stop: asyncio.Event) -> None:
        # At start, then hourly: delete re-ID sightings and embeddings older than the retention
        # window, and plate reads of cameras that opted out or older than theirs.
        while not stop.is_set():
            try:
                deleted = await delete_expired(svc.pool, datetime.now(UTC) - timedelta(days=days))
                if deleted:
                    log.info("retention deleted_sightings=%d older_than_days=%s", deleted, days)
                # Licence plates: a camera that opted out loses its reads; the rest expire.
                for camera, n in (
                    await plate_store.forget_cameras_except(svc.pool, sorted(plate_cameras))
                ).items():
                    log.info("plates disabled camera=%s deleted_reads=%d", camera, n)
                plate_days = s.plates.retention_days
                expired = await plate_store.expire(svc.pool, datetime.now(UTC) - timedelta(days=plate_days))
                if expired:
                    log.info("retention deleted_plate_reads=%d older_than_days=%s", expired, plate_days)
                await _face_retention(svc.pool, s)
            except Exception as exc:
                log.warning("retention: %s", exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=3600)

    app.add_runner("retention", retention)


async def build_assess(app: App) -> None:
    """Enriched windows and fast-path decisions -> risk -> stored, published events."""
    from inference_server.pipeline.assess import AssessStage, FallbackAssessor
    from inference_server.runtime.models import build_vision

    s, svc = app.settings, app.services
    vision = await asyncio.to_thread(build_vision, s)  # an in-process model loads for seconds
    if vision is not None:
        app.on_stop(vision.close)
    close_llm = getattr(app.llm, "close", None)  # an HTTP session (remote backends) or a model
    if callable(close_llm):
        app.on_stop(close_llm)
    assessor = FallbackAssessor(
        app.llm, svc.metrics, s.llm.timeout_seconds + 5, vision, s.llm.vlm_timeout_seconds + 5
    )
    app.assess = AssessStage(
        pool=svc.pool,
        tz=svc.tz,
        assessor=assessor,
        publisher=svc.publisher,
        metrics=svc.metrics,
        streams=app.streams,
        media_dir=s.storage.media_dir,
    )
    app.add_worker(app.make_worker("assess", "assessors", app.assess.handle, 4))


def _face_options(s: Settings, reader: Any) -> dict[str, Any]:
    """The ContextBuilder arguments of faces (opt-in per camera, docs/behaviour.md)."""
    from inference_server.domain.faces import FaceConfig

    return {
        "face_reader": reader,
        "face_cameras": frozenset(s.face_cameras),
        "face_config": FaceConfig(threshold=s.faces.threshold, retention_days=s.faces.retention_days),
        "face_max_tracks": s.faces.max_tracks,
    }


async def _face_retention(pool: Any, s: Settings) -> None:
    """Faces: a camera that opted out loses its embeddings, the rest expire after retention_days,
    and with faces off on every camera the gallery of known faces is deleted too."""
    from inference_server.store import faces as face_store

    enabled = s.face_cameras
    for camera, n in (await face_store.forget_cameras_except(pool, enabled)).items():
        log.info("faces disabled camera=%s deleted_faces=%d", camera, n)
    if not enabled:
        cleared = await face_store.clear_gallery(pool)
        if cleared:
            log.info("faces disabled on every camera deleted_known_faces=%d", cleared)
    days = s.faces.retention_days
    expired = await face_store.expire(pool, datetime.now(UTC) - timedelta(days=days))
    if expired:
        log.info("retention deleted_faces=%d older_than_days=%s", expired, days)


async def build_publish(app: App) -> None:
    """Published events -> alert rules and channels (group `alerts`) and, when configured, MQTT."""
    from inference_server.mqtt.publisher import MqttOptions, MqttPublisher
    from inference_server.notify.engine import AlertEngine, AlertSettings

    s, svc = app.settings, app.services
    engine = AlertEngine(
        pool=svc.pool, publisher=svc.publisher, tz=svc.tz, settings=AlertSettings.from_settings(s)
    )
    app.add_worker(app.make_worker("publish", "alerts", engine.handle, 16))
    app.add_runner("AlertEngine.run_digest", engine.run_digest)
    app.add_runner("AlertEngine.run_redeliveries", engine.run_redeliveries)
    if s.mqtt.url:
        mqtt = MqttPublisher(
            options=MqttOptions.from_settings(s),
            streams=app.streams,
            pool=svc.pool,
            metrics=svc.metrics,
            consumer=app.consumer,
            reclaim_idle_s=s.streams.reclaim_idle_seconds,
        )
        app.mqtt = mqtt
        app.add_runner("MqttPublisher.run", mqtt.run)


async def build_ftp(app: App) -> None:
    """The built-in FTP server: camera uploads into the watch dir."""
    from inference_server.pipeline.ftp import CameraFtpServer, parse_port_range

    s = app.settings
    users = {cam: c.ftp_password.get_secret_value() for cam, c in s.cameras.items() if c.ftp_password}
    if not users:
        raise ConfigError(
            "ftp_enabled is true but no camera has an ftp_password (cameras.<slug>.ftp_password)"
        )
    server = CameraFtpServer(
        s.storage.watch_dir,
        users,
        s.ftp.host,
        s.ftp.port,
        parse_port_range(s.ftp.passive_ports),
        max_file_bytes=s.ingest.max_file_bytes,
    )
    app.add_runner("CameraFtpServer.run", server.run)


async def build_api(app: App) -> None:
    """The HTTP API and WebSocket (listening once this returns), and the index of `POST /api/ask`."""
    from inference_server.api import ApiContext, create_app, start_api
    from inference_server.runtime.models import doctor_report

    s, svc = app.settings, app.services

    async def detector_ready() -> bool:
        return app.detector is not None or "detect" not in app.stages

    async def storage_ready() -> bool:
        # False while ingest cannot store uploads for lack of space (they wait in the watch dir).
        return app.ingest is None or app.ingest.storage_full is None

    ctx = ApiContext(
        settings=s,
        pool=svc.pool,
        redis=svc.redis,
        keys=svc.keys,
        metrics=svc.metrics,
        publisher=svc.publisher,
        media_dir=s.storage.media_dir,
        ready_checks={"detector": detector_ready, "storage": storage_ready},
        # Only where this process publishes to the broker (`hsi serve`, or api with publish).
        advisory_checks={"mqtt": app.mqtt.broker_connected} if app.mqtt is not None else {},
        stage_health=app.supervisor.health,
        stuck_stages=app.stuck_stages,
        stage_states=app.supervisor.describe,
        models=await asyncio.to_thread(doctor_report, s, app.model_plan),
    )
    ctx.ask_index = await open_ask_index(app)
    ctx.profile_pull = app.profile_pull
    llm = app.llm
    if s.ask.llm_answers and llm is not None and hasattr(llm, "complete_text"):
        ctx.ask_llm = llm
    runner = await start_api(create_app(ctx), s.api.host, s.api.port)
    app.on_stop(runner.cleanup)
    log.info("api listening host=%s port=%d keys_required=%s", s.api.host, s.api.port, s.api.keys_required)
    index = ctx.ask_index
    if index is not None:

        async def ask_indexer(stop: asyncio.Event) -> None:
            await run_ask_indexer(index, stop, s.ask.index_interval_seconds)

        app.add_runner("ask_index", ask_indexer)


async def open_ask_index(app: App) -> Any:
    """The semantic index of `POST /api/ask`, or None (ask_embedder none, or MiniLM missing in auto)."""
    from inference_server.ml.protocols import ModelUnavailable
    from inference_server.ml.text_embedder import MiniLMEmbedder
    from inference_server.store.ask_index import AskIndex

    s, svc = app.settings, app.services
    if s.ask.embedder == "none":
        return None
    try:
        embedder = await asyncio.to_thread(MiniLMEmbedder, s.ask.embedder_dir)
    except ModelUnavailable as exc:
        if s.ask.embedder == "minilm":
            raise ConfigError(f"ask_embedder is minilm but {exc}") from exc
        log.warning("fallback stage=ask semantic search off: %s", exc)
        return None
    vector = {"auto": None, "pgvector": True, "exact": False}[s.ask.vector_search]
    return await AskIndex.open(svc.pool, embedder, tz=svc.tz, vector_search=vector)


async def run_ask_indexer(index: Any, stop: asyncio.Event, interval_s: float) -> None:
    """Embed new, changed and old (back-fill) events until `stop`; a failure waits for the next turn."""
    while not stop.is_set():
        try:
            if await index.sync(batch=64, max_batches=16) >= 64 * 16:
                continue  # a back-fill: go on at once, yielding between rounds
        except Exception as exc:  # a database outage must not end the API
            log.warning("ask_index sync failed, retrying in %.0f s: %s", interval_s, exc)
        try:
            await asyncio.wait_for(stop.wait(), timeout=interval_s)
        except TimeoutError:
            pass


FACTORIES: dict[str, Callable[[App], Awaitable[None]]] = {
    "ingest": build_ingest,
    "detect": build_detect,
    "window": build_window,
    "enrich": build_enrich,
    "assess": build_assess,
    "publish": build_publish,
    "ftp": build_ftp,
    "api": build_api,
}
