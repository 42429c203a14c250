"""The composition root builds only the stages a process runs; detections, windows and the fast path\ncross processes on streams."""

from __future__ import annotations

from pathlib import Path

import pytest

from inference_server.runtime.app import App
from inference_server.settings import UrgentRule
from inference_server.store.streams import stream_range
from tests.server.pipeline.helpers import drop, make_settings, person_jpeg, running, wait_for


async def test_a_detect_worker_builds_no_context_builder_assessor_or_llm(
    tmp_path: Path, database_url: str, redis_prefix: str
) -> None:
    settings = make_settings(tmp_path, database_url, redis_prefix, detect_concurrency=2)
    app = App(settings, ("detect",))
    await app.start()
    try:
        assert app.detect is not None and app.detector is not None
        assert (app.contexts, app.enrich, app.assess, app.llm, app.embedder, app.ingest) == (None,) * 6
        assert [(w.stage, w.group) for w in app.workers] == [("detect", "detectors")] * 2
    finally:
        await app.stop()


async def test_an_assess_worker_loads_no_detector_and_builds_no_context(
    tmp_path: Path, database_url: str, redis_prefix: str
) -> None:
    app = App(make_settings(tmp_path, database_url, redis_prefix), ("assess",))
    await app.start()
    try:
        assert app.detector is None and app.detect is None
        assert app.assess is not None
        assert (app.contexts, app.enrich, app.embedder) == (None, None, None)
        assert [(w.stage, w.group) for w in app.workers] == [("assess", "assessors")]
    finally:
        await app.stop()


async def test_an_enrich_worker_builds_contexts_and_no_detector_or_assessor(
    tmp_path: Path, database_url: str, redis_prefix: str
) -> None:
    app = App(make_settings(tmp_path, database_url, redis_prefix), ("enrich",))
    await app.start()
    try:
        assert app.enrich is not None and app.contexts is not None
        assert (app.detector, app.detect, app.assess, app.llm) == (None, None, None, None)
        assert [(w.stage, w.group) for w in app.workers] == [("enrich", "enrichers")]
    finally:
        await app.stop()


def test_an_unknown_stage_is_refused_before_anything_starts() -> None:
    with pytest.raises(ValueError, match="unknown stage"):
        App(make_settings(Path("/nonexistent"), "postgresql://localhost/x", "x"), ("detect", "telepathy"))


async def test_detect_hands_media_to_the_window_process_whose_fast_path_the_assess_process_consumes(
    tmp_path: Path, database_url: str, redis_prefix: str
) -> None:
    settings = make_settings(
        tmp_path,
        database_url,
        redis_prefix,
        batch_idle_seconds=30.0,
        urgent_rules=[UrgentRule(label="person", min_confidence=0.0, hours=list(range(24)))],
    )
    async with running(settings, ("ingest", "detect")) as (services, app):
        drop(settings.storage.watch_dir, "porch", "a.jpg", person_jpeg(7))
        window_stream = services.keys.stream("window")

        async def handed_over() -> bool:
            entries = await stream_range(services.redis, window_stream, start="-", count=10)
            return any("media_id" in fields for _id, fields in entries)

        await wait_for(handed_over, timeout=60, what="the detected media on the window stream")
        # Detect writes no window and decides nothing: that is the window stage's.
        assert await app.windows.open_count() == 0
        assert await stream_range(services.redis, services.keys.stream("assess"), start="-", count=10) == []
    async with running(settings, ("window",)) as (services, app):
        assess_stream = services.keys.stream("assess")

        async def decided() -> bool:
            entries = await stream_range(services.redis, assess_stream, start="-", count=10)
            return any("preliminary" in fields for _id, fields in entries)

        await wait_for(decided, timeout=60, what="the fast-path decision on the assess stream")
        assert await services.pool.fetchval("SELECT count(*) FROM events") == 0  # nobody assesses here
        assert app.assess is None
    async with running(settings, ("assess",)) as (services, _):

        async def preliminary_event() -> bool:
            return bool(
                await services.pool.fetchval("SELECT count(*) FROM events WHERE fast_path AND NOT final")
            )

        await wait_for(preliminary_event, timeout=60, what="the preliminary event from the assess process")
        camera = await services.pool.fetchval("SELECT camera_id FROM events")
        assert camera == "porch"
