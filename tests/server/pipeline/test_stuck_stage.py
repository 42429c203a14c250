"""A stage that cannot make progress (the same entry failing for `stuck_stage_seconds`) is named in
`/api/system/ready` (503, `progress:<stage>/<group>`) and in `stats`; the clock is injected."""

from __future__ import annotations

import asyncio
from pathlib import Path

from aiohttp import ClientSession
from aiohttp.test_utils import TestServer

from inference_server.api import ApiContext, create_app
from inference_server.api.context import ApiLimits
from inference_server.runtime.app import App
from inference_server.store.streams import StreamEntry
from tests.server.pipeline.helpers import make_settings, wait_for

NAME = "detect/stucktest"


class Clock:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_an_entry_failing_for_stuck_stage_seconds_is_named_in_ready_and_stats(
    tmp_path: Path, database_url: str, redis_prefix: str
) -> None:
    settings = make_settings(
        tmp_path,
        database_url,
        redis_prefix,
        api_keys_required="false",
        max_attempts=1000,
        stuck_stage_seconds=300,
    )
    pipeline = App(settings, ("window",))
    await pipeline.start()
    calls = 0
    broken = True

    async def handler(entries: list[StreamEntry]) -> list[str]:
        nonlocal calls
        calls += 1
        if broken:
            raise ValueError("cannot decode the media")
        return [e.id for e in entries]

    clock = Clock()
    worker = pipeline.make_worker("detect", "stucktest", handler, 1)
    worker.clock = clock
    pipeline.add_worker(worker)
    entry_id = await pipeline.streams.add("detect", {"media_id": "1"})
    services = pipeline.services
    ctx = ApiContext(
        settings=settings,
        pool=services.pool,
        redis=services.redis,
        keys=services.keys,
        metrics=services.metrics,
        publisher=services.publisher,
        media_dir=settings.storage.media_dir,
        limits=ApiLimits(enabled=False),
        stage_health=pipeline.supervisor.health,
        stuck_stages=pipeline.stuck_stages,
    )
    server = TestServer(create_app(ctx), host="127.0.0.1")
    await server.start_server()
    stop = asyncio.Event()
    runner = asyncio.create_task(pipeline.run(stop))

    async def called(n: int) -> bool:
        return calls >= n

    try:
        async with ClientSession() as session:
            await wait_for(lambda: called(1), timeout=20, what="the first failure")
            async with session.get(server.make_url("/api/system/ready")) as response:
                body = await response.json()
                assert response.status == 200 and body["checks"][f"progress:{NAME}"] is True, body

            clock.now += 301  # five minutes on, the same entry fails again
            seen = calls
            await wait_for(lambda: called(seen + 1), timeout=30, what="the retry")
            async with session.get(server.make_url("/api/system/ready")) as response:
                body = await response.json()
                assert response.status == 503 and body["checks"][f"progress:{NAME}"] is False, body
                others = [k for k in body["checks"] if k.startswith("progress:") and k != f"progress:{NAME}"]
                assert all(body["checks"][k] for k in others), body
            async with session.get(server.make_url("/api/system/stats")) as response:
                stats = await response.json()
            assert stats["pipeline"] == "degraded"
            [stuck] = stats["stuck"]
            assert stuck["stage"] == NAME and stuck["entry"] == entry_id
            assert stuck["failing_seconds"] >= 300 and "cannot decode the media" in stuck["error"]

            broken = False  # fixed: the entry goes through and the stage is no longer stuck

            async def ready_again() -> bool:
                async with session.get(server.make_url("/api/system/ready")) as response:
                    return response.status == 200

            await wait_for(ready_again, timeout=30, what="progress")
            async with session.get(server.make_url("/api/system/stats")) as response:
                assert (await response.json())["stuck"] == []
    finally:
        stop.set()
        await asyncio.wait_for(runner, 30)
        await server.close()
        await pipeline.stop()


async def test_a_failure_that_is_not_retried_here_again_is_forgotten(
    tmp_path: Path, database_url: str, redis_prefix: str
) -> None:
    settings = make_settings(tmp_path, database_url, redis_prefix, stuck_stage_seconds=300)
    pipeline = App(settings, ("window",))
    await pipeline.start()
    try:

        async def handler(entries: list[StreamEntry]) -> list[str]:
            raise ValueError("boom")

        clock = Clock()
        worker = pipeline.make_worker("detect", "stucktest", handler, 1)
        worker.clock = clock
        entry = StreamEntry("1-1", {"media_id": "1"}, 1)
        try:
            await worker._process([entry], asyncio.Event())
        except ValueError:
            pass
        assert worker.stuck() is None  # failing, but not for long
        clock.now += 301
        # Not failed again here lately (another worker finished it, or it was dead-lettered).
        assert worker.stuck() is None
    finally:
        await pipeline.stop()
