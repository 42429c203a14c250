"""Supervised stages: a stage task that crashes is restarted with backoff, counted in
`hsi_stage_restarts_total`, and `/api/system/ready` answers 503 naming it until it runs again."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from aiohttp import ClientSession
from aiohttp.test_utils import TestServer

from inference_server.api import ApiContext, create_app
from inference_server.api.context import ApiLimits
from inference_server.runtime.app import App
from inference_server.runtime.services import Services
from tests.server.pipeline.helpers import make_settings, wait_for


class FlakyRedis:
    """The stage's dependency: the real Redis, whose first call raises (a lost connection)."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.calls = 0

    async def ping(self) -> bool:
        self.calls += 1
        if self.calls == 1:
            raise ConnectionResetError("connection reset by peer")
        return bool(await self.services.redis.ping())


def heartbeat_stage(dependency: FlakyRedis) -> Any:
    async def heartbeat(stop: asyncio.Event) -> None:
        while not stop.is_set():
            await dependency.ping()
            try:
                await asyncio.wait_for(stop.wait(), timeout=0.2)
            except TimeoutError:
                pass

    return heartbeat


def _api_context(services: Services, pipeline: App) -> ApiContext:
    return ApiContext(
        settings=services.settings,
        pool=services.pool,
        redis=services.redis,
        keys=services.keys,
        metrics=services.metrics,
        publisher=services.publisher,
        media_dir=services.settings.storage.media_dir,
        limits=ApiLimits(enabled=False),
        stage_health=pipeline.supervisor.health,
    )


async def test_a_crashed_stage_is_restarted_and_ready_names_it_meanwhile(
    tmp_path: Path, database_url: str, redis_prefix: str
) -> None:
    settings = make_settings(tmp_path, database_url, redis_prefix, api_keys_required="false")
    pipeline = App(settings, ("window",))
    await pipeline.start()
    services = pipeline.services
    dependency = FlakyRedis(services)
    pipeline.add_runner("heartbeat", heartbeat_stage(dependency))
    pipeline.supervisor.initial_backoff_s = 3.0  # long enough to look at the down state
    server = TestServer(create_app(_api_context(services, pipeline)), host="127.0.0.1")
    await server.start_server()
    stop = asyncio.Event()
    runner = asyncio.create_task(pipeline.run(stop))
    try:
        async with ClientSession() as session:
            await wait_for(lambda: _down(pipeline, "heartbeat"), timeout=10, what="the crash")
            async with session.get(server.make_url("/api/system/ready")) as response:
                body = await response.json()
                assert response.status == 503
                assert body["checks"]["stage:heartbeat"] is False
                assert body["checks"]["stage:window"] is True
            async with session.get(server.make_url("/api/system/stats")) as response:
                assert (await response.json())["pipeline"] == "degraded"

            async def ready_again() -> bool:
                async with session.get(server.make_url("/api/system/ready")) as response:
                    return response.status == 200

            await wait_for(ready_again, timeout=30, what="the restart")
            assert dependency.calls >= 2  # it runs again, against the real Redis
            async with session.get(server.make_url("/metrics")) as response:
                metrics = await response.text()
            assert 'hsi_stage_restarts_total{stage="heartbeat"} 1.0' in metrics
            state = pipeline.supervisor.states["heartbeat"]
            assert state.restarts == 1 and "connection reset" in state.last_error
    finally:
        stop.set()
        await asyncio.wait_for(runner, 30)
        await server.close()
        await pipeline.stop()


async def test_a_stage_that_finishes_is_not_restarted_or_reported_down(
    tmp_path: Path, database_url: str, redis_prefix: str
) -> None:
    settings = make_settings(tmp_path, database_url, redis_prefix)
    pipeline = App(settings, ("window",))
    await pipeline.start()
    runs = 0

    async def nothing_to_do(stop: asyncio.Event) -> None:
        nonlocal runs
        runs += 1

    pipeline.add_runner("nothing_to_do", nothing_to_do)
    pipeline.supervisor.initial_backoff_s = 0.1
    stop = asyncio.Event()
    runner = asyncio.create_task(pipeline.run(stop))
    try:
        await wait_for(lambda: _finished(pipeline, "nothing_to_do"), timeout=10, what="the stage to finish")
        await asyncio.sleep(0.5)
        assert runs == 1
        assert pipeline.supervisor.down() == []
        assert "nothing_to_do" not in pipeline.supervisor.health()
    finally:
        stop.set()
        await asyncio.wait_for(runner, 30)
        await pipeline.stop()


async def _down(pipeline: App, name: str) -> bool:
    return name in pipeline.supervisor.down()


async def _finished(pipeline: App, name: str) -> bool:
    state = pipeline.supervisor.states.get(name)
    return state is not None and state.finished
