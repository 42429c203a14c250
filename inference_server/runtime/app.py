"""`App`: one process of the server, built from the stages it runs, started and stopped in order.

    app = App(settings, ("detect",))     # `hsi worker --stage detect`: the detector and nothing else
    await app.start()                    # services, then each stage in data-flow order
    await app.run(stop)                  # every runner supervised (restarted on a crash) until stop
    await app.stop()                     # stage resources in reverse order, then the connections

Only the stages asked for are built (`runtime/stages.py` has one factory per stage): a detect
worker loads no LLM, no embedder and no context builder; an enrich worker loads the re-ID embedder
and nothing else; an assess worker loads the LLM, no detector and no embedder.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from inference_server.bus.worker import StreamWorker
from inference_server.ml.models.plan import ModelPlan, load_failed
from inference_server.ml.protocols import Detector, Embedder, RiskAssessor
from inference_server.pipeline.assess import AssessStage
from inference_server.pipeline.detect import DetectStage
from inference_server.pipeline.enrich import ContextBuilder, EnrichStage
from inference_server.pipeline.ingest import Ingest
from inference_server.runtime.models import (
    build_detector,
    build_embedder,
    build_llm,
    model_plan,
    only_stages_run,
    start_profile_pull,
)
from inference_server.runtime.services import Services, data_dirs, open_services
from inference_server.runtime.supervisor import StageRunner, StageState, Supervisor
from inference_server.settings import Settings
from inference_server.store import db
from inference_server.store import media as media_store
from inference_server.store.streams import StreamEntry, Streams
from inference_server.store.windows import WindowStore

if TYPE_CHECKING:  # aiomqtt is imported only by a process that publishes to a broker
    from inference_server.mqtt.publisher import MqttPublisher

log = logging.getLogger(__name__)

# In data-flow order, which is also the start order (the API last: it reports on the others).
ALL_STAGES = ("ingest", "detect", "window", "enrich", "assess", "publish", "ftp", "api")
WORKER_STAGES = ("ingest", "detect", "window", "enrich", "assess", "publish")


class App:
    """The stages of one process over shared services, with ordered start/stop."""

    def __init__(
        self,
        settings: Settings,
        stages: Sequence[str],
        *,
        pull_models: bool = False,
        detector: Detector | None = None,
    ) -> None:
        """`detector`: one built by the caller (the bench's replay detector) instead of the plan's."""
        unknown = sorted(set(stages) - set(ALL_STAGES))
        if unknown:
            raise ValueError(f"unknown stage(s) {', '.join(unknown)}; known: {', '.join(ALL_STAGES)}")
        self.settings = settings
        self.stages = tuple(stage for stage in ALL_STAGES if stage in stages)
        self.consumer = f"{socket.gethostname()}-{os.getpid()}"
        self.detector: Detector | None = detector
        self.llm: RiskAssessor | None = None
        self.embedder: Embedder | None = None
        self.model_plan: ModelPlan | None = None
        self.pull_models = pull_models  # start the background pull of `models_profile` (`hsi serve`)
        self.profile_pull: Any = None  # that pull (ml/models/profile_pull.py), or None
        # Built by the stage factories, None where this process does not run the stage.
        self.ingest: Ingest | None = None
        self.detect: DetectStage | None = None
        self.contexts: ContextBuilder | None = None
        self.enrich: EnrichStage | None = None
        self.assess: AssessStage | None = None
        self.mqtt: MqttPublisher | None = None
        self.workers: list[StreamWorker] = []
        self._services: Services | None = None
        self._supervisor: Supervisor | None = None
        self._windows: WindowStore | None = None
        self._streams: Streams | None = None
        self._runners: list[tuple[str, StageRunner]] = []
        self._closers: list[Callable[[], Awaitable[None] | None]] = []

    # What start() built (an error before it, not a None for every caller to check).
    @property
    def services(self) -> Services:
        """The connections (after `start`)."""
        if self._services is None:
            raise RuntimeError("App.start() has not run")
        return self._services

    @property
    def supervisor(self) -> Supervisor:
        """The supervisor of this process's runners (after `start`)."""
        if self._supervisor is None:
            raise RuntimeError("App.start() has not run")
        return self._supervisor

    @property
    def windows(self) -> WindowStore:
        """The event windows in Redis (after `start`)."""
        if self._windows is None:
            raise RuntimeError("App.start() has not run")
        return self._windows

    @property
    def streams(self) -> Streams:
        """The Redis Streams between stages (after `start`)."""
        if self._streams is None:
            raise RuntimeError("App.start() has not run")
        return self._streams

    async def start(self) -> None:
        """Load the models the stages need, connect, and build each stage in data-flow order."""
        from inference_server.runtime.stages import FACTORIES

        s = self.settings
        await data_dirs(s)
        plan = await asyncio.to_thread(model_plan, s)
        if "detect" in self.stages and self.detector is None:
            self.detector = build_detector(s, plan)
            if self.detector.name == "opencv" and plan.detector.backend != "opencv":
                plan = replace(plan, detector=load_failed(plan.detector))
        plan = only_stages_run(plan, self.stages)
        plan.log_fallbacks()
        self.model_plan = plan
        if "assess" in self.stages:
            self.llm = build_llm(s, plan)
        if "enrich" in self.stages:
            self.embedder = build_embedder(s, plan)
        services = self._services = await open_services(s)
        if self.pull_models:
            self.profile_pull = start_profile_pull(s, plan)
        self._supervisor = Supervisor(services.metrics)
        self._streams = Streams(services.redis, services.keys)
        self._windows = WindowStore(
            services.redis,
            services.keys,
            idle_s=s.window.idle_seconds,
            max_s=s.window.max_seconds,
            hold_s=s.window.backlog_hold_seconds,
        )
        try:
            for stage in self.stages:
                await FACTORIES[stage](self)
        except BaseException:
            await self.stop()
            raise

    def add_runner(self, name: str, runner: StageRunner) -> None:
        """Run `runner(stop)` supervised (restarted on a crash) from `run` on."""
        self._runners.append((name, runner))

    def add_worker(self, worker: StreamWorker) -> None:
        """Run a stream worker supervised."""
        self.workers.append(worker)
        self.add_runner(f"{worker.stage}/{worker.group}", worker.run)

    def stuck_stages(self) -> dict[str, dict[str, object] | None]:
        """Each stream worker (`stage/group`): its stuck entry, or None while it makes progress."""
        return {f"{w.stage}/{w.group}": w.stuck() for w in self.workers}

    def on_stop(self, close: Callable[[], Awaitable[None] | None]) -> None:
        """Call `close` at stop, after the runners ended (in reverse order of registration)."""
        self._closers.append(close)

    def make_worker(
        self,
        stage: str,
        group: str,
        handler: Callable[[list[StreamEntry]], Awaitable[list[str]]],
        batch: int,
        suffix: str = "",
    ) -> StreamWorker:
        """A consumer of `group` on the stream of `stage`, dead-lettering exhausted entries."""
        s = self.settings
        return StreamWorker(
            streams=self.streams,
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
            stuck_after_s=s.streams.stuck_seconds,
        )

    async def _probe_services(self) -> None:
        """Both services answer (raises otherwise): tells a bad batch from an outage."""
        await db.ping(self.services.pool)
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

    async def run(self, stop: asyncio.Event) -> None:
        """Run every runner of this process, supervised, until `stop` is set."""
        supervisor = self.supervisor
        named: list[tuple[str, StageRunner]] = []
        for name, runner in self._runners:  # each known (and "running") before the first task starts
            unique = supervisor.unique_name(name)
            supervisor.states[unique] = StageState(unique, running=True)
            named.append((unique, runner))
        tasks = [
            asyncio.create_task(supervisor.supervise(name, runner, stop), name=f"hsi-stage-{name}")
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

    async def stop(self) -> None:
        """Release what the stages hold (reverse order), then close the connections."""
        while self._closers:
            close = self._closers.pop()
            try:
                result = close()
                if result is not None:
                    await result
            except Exception as exc:
                log.warning("stop: %r failed: %s", close, exc)
        if self._services is not None:
            await self._services.close()
            self._services = None


async def serve(settings: Settings, *, stages: tuple[str, ...] | None, stop: asyncio.Event) -> int:
    """`hsi serve` (every stage; ftp when enabled) and `hsi worker --stage ...` until `stop` is set."""
    chosen = stages or tuple(s for s in ALL_STAGES if s != "ftp" or settings.ftp.enabled)
    app = App(settings, chosen, pull_models=True)
    await app.start()
    try:
        log.info("hsi started stages=%s", ",".join(app.stages))
        await app.run(stop)
    finally:
        await app.stop()
    log.info("hsi stopped")
    return 0


def _report_crash(task: asyncio.Task[Any]) -> None:
    # A stage that dies must say so loudly, not vanish until shutdown.
    if not task.cancelled() and task.exception() is not None:
        log.error("stage task crashed: %r", task.exception(), exc_info=task.exception())
