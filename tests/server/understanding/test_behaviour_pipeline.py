"""Tripwires stored in PostgreSQL, behaviours and entity history, through the real enrich stage."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import asyncpg
import cv2
import numpy as np
import pytest

from inference_server.domain.heuristic import score_context
from inference_server.ml.embedder_clip import ClipEmbedder
from inference_server.pipeline.enrich import ContextBuilder
from inference_server.store import tripwires
from tests.server.understanding.conftest import MediaFactory, person, window_of
from tests.server.understanding.test_zones_and_tracks import add_zone
from tests.support.models import sample_images

TZ = ZoneInfo("UTC")
NIGHT = datetime(2025, 5, 13, 2, 0, tzinfo=UTC)


async def _camera(pool: asyncpg.Pool, camera: str) -> None:
    await pool.execute("INSERT INTO cameras (id, name) VALUES ($1, $1) ON CONFLICT DO NOTHING", camera)


async def test_a_stored_tripwire_is_crossed_inbound_and_scores(pg_pool: asyncpg.Pool, tmp_path: Path) -> None:
    await _camera(pg_pool, "garden")
    # A vertical fence line at x=0.5 drawn top to bottom: walking right to left crosses it "in".
    line = await tripwires.save_tripwire(
        pg_pool, {"camera": "garden", "name": "fence", "a": [0.5, 0.0], "b": [0.5, 1.0], "enabled": True}
    )
    assert line is not None
    factory = MediaFactory(pg_pool, tmp_path)
    media = []
    for i, x in enumerate((0.7, 0.62, 0.54, 0.46, 0.38)):
        at = NIGHT + timedelta(seconds=2 * i)
        media_id, _ = await factory.add("garden", at, [person(x - 0.1, 0.4, x + 0.1, 0.8)])
        media.append((media_id, at))
    builder = ContextBuilder(pg_pool, TZ)
    context, _ = await builder.build(window_of("garden", media, {"person": 1}))
    [tr] = context.tracks
    assert [(c.line, c.label) for c in tr.crossings] == [("fence", "person")]
    assert tr.crossings[0].direction == "in"
    # A disabled tripwire is not used.
    await tripwires.save_tripwire(
        pg_pool,
        {"camera": "garden", "name": "fence", "a": [0.5, 0.0], "b": [0.5, 1.0], "enabled": False},
        line["id"],
    )
    again, _ = await builder.build(window_of("garden", media, {"person": 1}))
    assert again.tracks[0].crossings == ()
    assert score_context(context).risk_score > score_context(again).risk_score
    assert "crossed fence inbound" in score_context(context).reasoning


async def test_a_person_loitering_at_the_back_door_at_night_is_a_behaviour(
    pg_pool: asyncpg.Pool, tmp_path: Path
) -> None:
    await add_zone(
        pg_pool, "back", "Back door", "entry_point", [[0.3, 0.5], [0.7, 0.5], [0.7, 1.0], [0.3, 1.0]], 3
    )
    factory = MediaFactory(pg_pool, tmp_path)
    media = []
    for i in range(6):  # 0 s .. 50 s at the door: above the 30 s night threshold
        at = NIGHT + timedelta(seconds=10 * i)
        media_id, _ = await factory.add("back", at, [person(0.45, 0.4, 0.55, 0.8)])
        media.append((media_id, at))
    context, _ = await ContextBuilder(pg_pool, TZ).build(window_of("back", media, {"person": 1}))
    kinds = [b.kind for b in context.behaviours]
    assert kinds == ["loitering"]
    assert "Back door" in context.behaviours[0].explanation
    assessment = score_context(context)
    assert "behaviour: person stayed 51 s in Back door" in assessment.reasoning


@pytest.fixture(scope="module")
def clip() -> ClipEmbedder:
    import torch

    torch.manual_seed(0)  # random weights, but the same ones every run
    return ClipEmbedder("ViT-B-32", pretrained=None, device="cpu", batch_size=4)


async def test_the_same_car_on_three_days_is_a_repeated_visit_with_a_history(
    pg_pool: asyncpg.Pool, tmp_path: Path, clip: ClipEmbedder
) -> None:
    bus = cv2.imread(str(sample_images()[0]))
    assert bus is not None
    bus = cv2.resize(bus, (bus.shape[1] // 2, bus.shape[0] // 2))
    ok, buf = cv2.imencode(".jpg", np.ascontiguousarray(bus))
    assert ok
    builder = ContextBuilder(
        pg_pool, TZ, embedder=clip, media_dir=tmp_path, reid_threshold=0.95, reid_window_hours=24
    )
    factory = MediaFactory(pg_pool, tmp_path)
    box = (0.06, 0.37, 0.31, 0.83)
    contexts = []
    start = datetime(2025, 5, 10, 18, 0, tzinfo=UTC)
    for day in range(3):  # 23 h apart: each visit is within the re-ID window of the one before
        at = start + timedelta(hours=23 * day)
        media_id, _ = await factory.add("street", at, [person(*box, label="car")], data=buf.tobytes())
        context, _ = await builder.build(window_of("street", [(media_id, at)], {"car": 1}))
        contexts.append(context)
    builder.close()
    assert [b.kind for b in contexts[1].behaviours] == []
    [found] = contexts[2].behaviours
    assert found.kind == "repeated_visits" and "3 different days" in found.explanation
    assert found.entity_id is not None
    entity = await tripwires.entity(pg_pool, found.entity_id)
    assert entity is not None and entity["cameras"] == ["street"] and entity["sightings"] == 3
    history = await tripwires.entity_history(pg_pool, found.entity_id)
    assert [h["camera"] for h in history] == ["street"] * 3
    assert history[0]["seen_at"] > history[-1]["seen_at"]
