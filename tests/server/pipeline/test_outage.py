"""PostgreSQL or Redis down for 30 s: the server keeps running and loses nothing."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from tests.server.conftest import PG_ADMIN_URL
from tests.server.pipeline.helpers import drop, make_settings, person_jpeg, running, wait_for
from tests.server.pipeline.tcp_proxy import TcpProxy

OUTAGE_SECONDS = 30


@pytest.mark.slow
@pytest.mark.parametrize("service", ["postgres", "redis"])
async def test_service_down_for_30_seconds_loses_nothing(
    tmp_path: Path, database_url: str, redis_prefix: str, service: str
) -> None:
    proxy = TcpProxy("127.0.0.1", 5432 if service == "postgres" else 6379)
    await proxy.start()
    if service == "postgres":
        db_name = database_url.rsplit("/", 1)[1]
        user = PG_ADMIN_URL.split("//", 1)[1].split("@", 1)[0]
        overrides = {"database_url": f"postgresql://{user}@127.0.0.1:{proxy.port}/{db_name}"}
        database_url = overrides.pop("database_url")
    else:
        overrides = {"redis_url": f"redis://127.0.0.1:{proxy.port}/0"}
    settings = make_settings(tmp_path, database_url, redis_prefix, **overrides)
    async with running(settings) as (services, pipeline):
        drop(settings.storage.watch_dir, "cam_a", "before.jpg", person_jpeg(700), mtime=time.time() - 200)

        async def first_event() -> bool:
            return bool(await services.pool.fetchval("SELECT count(*) FROM events WHERE final") == 1)

        await wait_for(first_event, what="the event before the outage")
        await proxy.cut()
        drop(settings.storage.watch_dir, "cam_b", "during_1.jpg", person_jpeg(702), mtime=time.time() - 100)
        await asyncio.sleep(OUTAGE_SECONDS / 2)
        drop(settings.storage.watch_dir, "cam_c", "during_2.jpg", person_jpeg(704), mtime=time.time())
        await asyncio.sleep(OUTAGE_SECONDS / 2)
        await proxy.start()

        async def all_events() -> bool:
            try:
                return bool(await services.pool.fetchval("SELECT count(*) FROM events WHERE final") == 3)
            except Exception:
                return False

        await wait_for(all_events, timeout=120, what="the uploads made during the outage")
        assert await services.pool.fetchval("SELECT count(*) FROM dead_letters") == 0
        errors = services.metrics.registry.get_sample_value
        total = sum(
            errors("hsi_service_errors_total", {"stage": s}) or 0 for s in ("ingest", "detect", "assess")
        )
        assert total >= 1, "the outage was noticed and counted"
    await proxy.cut()
