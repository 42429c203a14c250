"""Through the running pipeline: an upload's stored event carries the zones, tracks and baseline."""

from __future__ import annotations

import time
from pathlib import Path

import redis.asyncio as aioredis

from tests.server.pipeline.helpers import drop, make_settings, person_jpeg, running, wait_for


async def test_a_person_in_a_stored_zone_reaches_the_stored_event_context(
    tmp_path: Path, database_url: str, redis_prefix: str, redis_client: aioredis.Redis
) -> None:
    settings = make_settings(tmp_path, database_url, redis_prefix)
    async with running(settings) as (services, _pipeline):
        pool = services.pool
        await pool.execute("INSERT INTO cameras (id, name) VALUES ('front_door', 'Front Door')")
        # The whole frame is the porch: wherever the detector puts the people of bus.jpg.
        await pool.execute(
            "INSERT INTO zones (camera_id, name, zone_type, priority, polygon)"
            " VALUES ('front_door', 'porch', 'entry_point', 3, $1::jsonb)",
            [[0, 0], [1, 0], [1, 1], [0, 1]],
        )
        now = time.time()
        for i in range(2):
            drop(
                settings.storage.watch_dir,
                "front_door",
                f"snap_{i}.jpg",
                person_jpeg(100 + i),
                mtime=now - 5 + i,
            )

        async def final_event() -> bool:
            return bool(await pool.fetchval("SELECT count(*) FROM events WHERE final"))

        await wait_for(final_event, what="the final event")
        event = await pool.fetchrow("SELECT zones, context FROM events WHERE final")

    assert event is not None
    assert event["zones"] == ["porch"]
    context = event["context"]
    [hit] = context["zones"]
    assert hit["name"] == "porch" and hit["zone_type"] == "entry_point" and "person" in hit["labels"]
    assert hit["dwell_seconds"] >= 1.0
    assert context["tracks"] and all(t["frames"] >= 1 for t in context["tracks"])
    assert [b["status"] for b in context["baseline"] if b["label"] == "person"] == ["no_baseline"]
