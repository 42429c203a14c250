"""`hsi serve` and `hsi worker`: run stages until asked to stop."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from dataclasses import replace
from typing import Any

from inference_server.app import (
    ALL_STAGES,
    Pipeline,
    Services,
    build_detector,
    build_embedder,
    build_llm,
    data_dirs,
    model_plan,
    open_services,
)
from inference_server.ml.models.plan import ModelPlan, load_failed
from inference_server.settings import ConfigError, Settings

log = logging.getLogger(__name__)


async def start_pipeline(settings: Settings, stages: tuple[str, ...]) -> tuple[Services, Pipeline]:
    """Open services and build the pipeline for the given stages."""
    await data_dirs(settings)
    plan = await asyncio.to_thread(model_plan, settings)
    detector = build_detector(settings, plan) if "detect" in stages else None
    if detector is not None and detector.name == "opencv" and plan.detector.backend != "opencv":
        plan = replace(plan, detector=load_failed(plan.detector))
    plan = _only_stages_run(plan, stages)
    plan.log_fallbacks()
    llm = build_llm(settings, plan) if "assess" in stages else None
    embedder = build_embedder(settings, plan) if "assess" in stages else None
    services = await open_services(settings)
    pipeline = Pipeline(services, stages, detector=detector, llm=llm, embedder=embedder)
    pipeline.model_plan = plan
    if "assess" in stages and pipeline.contexts is not None:
        await pipeline.contexts.prepare()  # pgvector index when the server has the extension
    return services, pipeline


def _only_stages_run(plan: ModelPlan, stages: tuple[str, ...]) -> ModelPlan:
    """A worker that does not run a stage does not fall back in it: drop those fallbacks."""
    from inference_server.ml.models.plan import StageChoice

    def keep(choice: StageChoice, stage: str) -> StageChoice:
        if stage in stages or not choice.fallback:
            return choice
        return replace(choice, fallback=False, reason=f"not run by this process ({choice.reason})")

    return replace(
        plan,
        detector=keep(plan.detector, "detect"),
        llm=keep(plan.llm, "assess"),
        embedder=keep(plan.embedder, "assess"),
    )


async def run_server(settings: Settings, *, stages: tuple[str, ...] | None, stop: asyncio.Event) -> int:
    """Run the selected stages (all of them for `serve`) until `stop` is set."""
    chosen = stages or ALL_STAGES
    if "ftp" in chosen and not settings.ftp.enabled and stages is None:
        chosen = tuple(s for s in chosen if s != "ftp")
    services, pipeline = await start_pipeline(settings, chosen)
    pipeline.profile_pull = start_profile_pull(settings, pipeline.model_plan)
    runners = []
    try:
        if "publish" in chosen:
            runners.extend(_publish_runners(services, pipeline))
        if "ftp" in chosen:
            runners.append(_ftp_runner(settings))
        if "api" in chosen:
            runners.append(await _api_runner(services, pipeline))
        pipeline.extra_tasks.extend(runners)
        log.info("hsi started stages=%s", ",".join(chosen))
        await pipeline.run(stop)
    finally:
        await services.close()
    log.info("hsi stopped")
    return 0


def start_profile_pull(settings: Settings, plan: ModelPlan | None) -> Any:
    """Start the background pull of `models_profile` (None when unset or "none")."""
    from inference_server.ml.models.manifest import UnknownModel, load_manifest
    from inference_server.ml.models.profile_pull import ProfilePull

    requested = (settings.models.profile or "").strip()
    if requested in ("", "none"):
        return None
    recommended = (plan or model_plan(settings)).recommendation.profile
    try:
        pull = ProfilePull.for_settings(
            settings.models_path,
            load_manifest(settings.models.manifest),
            requested,
            recommended,
            mirror=settings.models.mirror,
        )
    except UnknownModel as exc:
        raise ConfigError(f"models_profile: {exc}") from exc
    log.info("models_pull profile=%s (requested %s) starting in the background", pull.profile, requested)
    pull.start()
    return pull


def _doctor_report(settings: Settings, plan: ModelPlan | None) -> dict[str, object]:
    """The doctor report served in GET /api/system/info (hardware probed once, at start-up)."""
    from inference_server.ml.models.doctor import doctor_report
    from inference_server.ml.models.hardware import probe_hardware
    from inference_server.ml.models.manifest import load_manifest
    from inference_server.ml.models.plan import ModelSettings

    hw = probe_hardware(settings.models_path)
    plan = plan or model_plan(settings, hw)
    return doctor_report(
        ModelSettings.from_settings(settings), hw, load_manifest(settings.models.manifest), plan
    )


def _ftp_runner(settings: Settings):  # type: ignore[no-untyped-def]
    from inference_server.pipeline.ftp import CameraFtpServer, parse_port_range

    users = {cam: c.ftp_password.get_secret_value() for cam, c in settings.cameras.items() if c.ftp_password}
    if not users:
        raise ConfigError(
            "ftp_enabled is true but no camera has an ftp_password (cameras.<slug>.ftp_password)"
        )
    server = CameraFtpServer(
        settings.storage.watch_dir,
        users,
        settings.ftp.host,
        settings.ftp.port,
        parse_port_range(settings.ftp.passive_ports),
        max_file_bytes=settings.ingest.max_file_bytes,
    )
    return server.run


def _publish_runners(services: Services, pipeline: Pipeline):  # type: ignore[no-untyped-def]
    """Alert engine (consumer group `alerts`) and, when configured, the MQTT publisher."""
    from inference_server.mqtt.publisher import MqttOptions, MqttPublisher
    from inference_server.notify.engine import AlertEngine, AlertSettings
    from inference_server.store.streams import Streams

    s = services.settings
    engine = AlertEngine(
        pool=services.pool,
        publisher=services.publisher,
        tz=services.tz,
        settings=AlertSettings.from_settings(s),
    )
    streams = Streams(services.redis, services.keys)
    pipeline.workers.append(pipeline.make_worker(streams, "publish", "alerts", engine.handle, 16))
    runners: list[Callable[[asyncio.Event], Coroutine[Any, Any, None]]] = [
        engine.run_digest,
        engine.run_redeliveries,
    ]
    if s.mqtt.url:
        mqtt = MqttPublisher(
            options=MqttOptions.from_settings(s),
            streams=streams,
            pool=services.pool,
            metrics=services.metrics,
            consumer=pipeline.consumer,
            reclaim_idle_s=s.streams.reclaim_idle_seconds,
        )
        runners.append(mqtt.run)
    return runners


async def _api_runner(services: Services, pipeline: Pipeline):  # type: ignore[no-untyped-def]
    from inference_server.api import ApiContext, create_app, start_api

    async def detector_ready() -> bool:
        return pipeline.detector is not None or "detect" not in pipeline.stages

    s = services.settings
    ctx = ApiContext(
        settings=s,
        pool=services.pool,
        redis=services.redis,
        keys=services.keys,
        metrics=services.metrics,
        publisher=services.publisher,
        media_dir=s.storage.media_dir,
        ready_checks={"detector": detector_ready},
        stage_health=pipeline.supervisor.health,
        stage_states=pipeline.supervisor.describe,
        models=await asyncio.to_thread(_doctor_report, s, pipeline.model_plan),
    )
    ctx.ask_index = await open_ask_index(services)
    ctx.profile_pull = pipeline.profile_pull
    llm = pipeline.llm
    if s.ask.llm_answers and llm is not None and hasattr(llm, "complete_text"):
        ctx.ask_llm = llm
    runner = await start_api(create_app(ctx), s.api.host, s.api.port)
    log.info("api listening host=%s port=%d keys_required=%s", s.api.host, s.api.port, s.api.keys_required)

    async def run(stop: asyncio.Event) -> None:
        try:
            if ctx.ask_index is not None:
                await run_ask_indexer(ctx.ask_index, stop, s.ask.index_interval_seconds)
            await stop.wait()
        finally:
            await runner.cleanup()

    return run


async def open_ask_index(services: Services) -> Any:
    """The semantic index of `POST /api/ask`, or None (ask_embedder none, or MiniLM missing in auto)."""
    from inference_server.ml.protocols import ModelUnavailable
    from inference_server.ml.text_embedder import MiniLMEmbedder
    from inference_server.store.ask_index import AskIndex

    s = services.settings
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
    return await AskIndex.open(services.pool, embedder, tz=services.tz, vector_search=vector)


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
