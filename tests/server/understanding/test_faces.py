"""Faces through the real OpenCV face code (the trained Haar cascade that ships with OpenCV, and
`cv2.FaceRecognizerSF` on an SFace-shaped test network), the real enrich stage and PostgreSQL:
off by default, stored on an opted-in camera without ever reaching the context or the log,
matched against the gallery, redelivery, retention, and deletion when a camera opts out.

The test recogniser is untrained: the same picture gives the same embedding (cosine ~1.0) and
other faces differ, but less than trained SFace's would (cosine 0.7-0.92 on the sample photos),
so these tests match at a threshold of 0.98 instead of SFace's 0.363.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import asyncpg
import cv2
import numpy as np
import pytest

from inference_server.domain.context import EventContext, FaceSighting
from inference_server.domain.detections import Box, Detection
from inference_server.domain.faces import FaceConfig
from inference_server.domain.heuristic import score_context
from inference_server.domain.risk import RiskAssessment
from inference_server.ml.faces import OpenCvFaceReader
from inference_server.pipeline.enrich import ContextBuilder
from inference_server.store import events as event_store
from inference_server.store import faces as face_store
from tests.server.understanding.conftest import MediaFactory, window_of
from tests.support.face_models import build_sface_onnx
from tests.support.models import sample_images

TZ = ZoneInfo("UTC")
NIGHT = datetime(2026, 11, 20, 2, 30, tzinfo=UTC)
CONFIG = FaceConfig(threshold=0.98)
# zidane.jpg (1280x720): the man on the right, whose face the cascade finds; the man on the left
# (face turned away) has none it can find.
ZIDANE = Box(0.545, 0.05, 0.915, 1.0)
ANCELOTTI = Box(0.08, 0.16, 0.5, 1.0)
# bus.jpg (810x1080): the man on the left, a face not in the gallery.
STRANGER = Box(40 / 810, 380 / 1080, 260 / 810, 920 / 1080)


def _photo(name: str) -> bytes:
    path = next(p for p in sample_images() if p.name == name)
    return path.read_bytes()


@pytest.fixture(scope="module")
def reader(tmp_path_factory: pytest.TempPathFactory) -> OpenCvFaceReader:
    return OpenCvFaceReader(build_sface_onnx(tmp_path_factory.mktemp("faces") / "sface.onnx"))


def builder_for(
    pool: asyncpg.Pool, media_dir: Path, reader: OpenCvFaceReader, *cameras: str
) -> ContextBuilder:
    return ContextBuilder(
        pool, TZ, media_dir=media_dir, face_reader=reader, face_cameras=frozenset(cameras), face_config=CONFIG
    )


async def _visit(
    builder: ContextBuilder,
    factory: MediaFactory,
    camera: str,
    at: datetime,
    data: bytes,
    boxes: tuple[Box, ...] = (ZIDANE,),
) -> tuple[EventContext, str]:
    media_id, _ = await factory.add(camera, at, [Detection("person", 0.9, b) for b in boxes], data=data)
    window = window_of(camera, [(media_id, at)], {"person": len(boxes)})
    context, _ = await builder.build(window)
    return context, window.id


async def _save(pool: asyncpg.Pool, camera: str, event_id: str, at: datetime, context: EventContext) -> None:
    await event_store.save_event(
        pool,
        event_id=event_id,
        camera=camera,
        started_at=at,
        ended_at=at,
        assessment=RiskAssessment(risk_score=30, summary="A person.", reasoning="-", assessed_by="heuristic"),
        objects={"person": 1},
        zones=[],
        context=context.to_dict(),
        fast_path=False,
        final=True,
        media_ids=[],
        detection_ids=[],
    )


def test_the_reader_finds_the_face_in_a_person_crop_and_embeds_it(reader: OpenCvFaceReader) -> None:
    frame = cv2.imdecode(np.frombuffer(_photo("zidane.jpg"), np.uint8), cv2.IMREAD_COLOR)
    assert frame is not None and reader.name == "haar+sface"
    h, w = frame.shape[:2]
    person = frame[round(ZIDANE.y1 * h) :, round(ZIDANE.x1 * w) : round(ZIDANE.x2 * w)]
    [face] = reader.read(person)
    assert len(face.embedding) == 128 and abs(float(np.linalg.norm(face.embedding)) - 1.0) < 1e-5
    # The face is in the upper part of the crop, about a quarter of the person's width.
    assert 0 < face.y < person.shape[0] * 0.4 and 0.2 < face.width / person.shape[1] < 0.5
    # No face in a blank crop, nor in one too small to hold one.
    assert reader.read(np.full((300, 200, 3), 120, np.uint8)) == []
    assert reader.read(np.zeros((10, 10, 3), np.uint8)) == []


async def test_faces_are_off_unless_the_camera_opts_in(
    pg_pool: asyncpg.Pool, tmp_path: Path, reader: OpenCvFaceReader
) -> None:
    factory = MediaFactory(pg_pool, tmp_path)
    for builder in (builder_for(pg_pool, tmp_path, reader), builder_for(pg_pool, tmp_path, reader, "gate")):
        context, _ = await _visit(builder, factory, "porch", NIGHT, _photo("zidane.jpg"))
        assert context.faces == ()
    assert await face_store.count_faces(pg_pool) == 0


async def test_an_opted_in_camera_stores_the_embedding_but_never_puts_it_in_context_or_logs(
    pg_pool: asyncpg.Pool, tmp_path: Path, reader: OpenCvFaceReader, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    builder = builder_for(pg_pool, tmp_path, reader, "porch")
    factory = MediaFactory(pg_pool, tmp_path)
    context, event_id = await _visit(
        builder, factory, "porch", NIGHT, _photo("zidane.jpg"), boxes=(ZIDANE, ANCELOTTI)
    )
    [sighting] = context.faces  # the man facing away shows no face
    assert sighting == FaceSighting(track_id=sighting.track_id, known=False, name=None)
    stored = await pg_pool.fetchrow(
        "SELECT embedding, track_id FROM face_embeddings WHERE event_id = $1", event_id
    )
    assert stored is not None and len(stored["embedding"]) == 128 and stored["track_id"] == sighting.track_id
    text = json.dumps(context.to_dict())
    assert "embedding" not in text and f"{stored['embedding'][0]:.4f}"[:6] not in text
    assert EventContext.from_dict(context.to_dict()) == context  # the stored JSON parses back
    assert "faces event=" in caplog.text and "embedding" not in caplog.text
    for value in stored["embedding"][:8]:
        assert f"{value:.5f}" not in caplog.text

    # A redelivered window is seen again and replaces its face: never two rows.
    media_id = await pg_pool.fetchval("SELECT max(media_id) FROM detections")
    await builder.build(window_of("porch", [(media_id, NIGHT)], {"person": 2}, event_id=event_id))
    assert await face_store.count_faces(pg_pool) == 1
    # An unreadable picture costs the face, never the event.
    broken, _ = await _visit(builder, factory, "porch", NIGHT + timedelta(minutes=3), b"not a jpeg")
    assert broken.faces == () and broken.camera == "porch"


async def test_an_enrolled_face_makes_the_person_known_and_lowers_the_score(
    pg_pool: asyncpg.Pool, tmp_path: Path, reader: OpenCvFaceReader
) -> None:
    builder = builder_for(pg_pool, tmp_path, reader, "porch")
    factory = MediaFactory(pg_pool, tmp_path)
    first, event_id = await _visit(builder, factory, "porch", NIGHT, _photo("zidane.jpg"))
    assert "known_resident" not in first.attributes
    [seen] = first.faces
    assert await face_store.enrol(pg_pool, event_id=event_id, track_id=seen.track_id + 99, name="Zin") is None
    known = await face_store.enrol(pg_pool, event_id=event_id, track_id=seen.track_id, name="Zin")
    assert known is not None and set(known) == {"id", "name", "created_at"}  # never the embedding

    again, _ = await _visit(builder, factory, "porch", NIGHT + timedelta(minutes=10), _photo("zidane.jpg"))
    [face] = again.faces
    assert face.known is True and face.name == "Zin"
    assert "known_resident" in again.attributes
    assert score_context(again).risk_score < score_context(first).risk_score

    # Another face is not in the gallery; with a stranger beside him, nobody is "known_resident".
    stranger, _ = await _visit(
        builder, factory, "porch", NIGHT + timedelta(minutes=20), _photo("bus.jpg"), (STRANGER,)
    )
    assert [f.known for f in stranger.faces] == [False] and "known_resident" not in stranger.attributes
    both, _ = await _visit(
        builder, factory, "porch", NIGHT + timedelta(minutes=30), _photo("zidane.jpg"), (ZIDANE, ANCELOTTI)
    )
    assert [f.known for f in both.faces] == [True] and "known_resident" not in both.attributes


async def test_opting_out_deletes_the_cameras_faces_and_turning_faces_off_everywhere_the_gallery(
    pg_pool: asyncpg.Pool, tmp_path: Path, reader: OpenCvFaceReader, caplog: pytest.LogCaptureFixture
) -> None:
    from inference_server.runtime.stages import _face_retention
    from inference_server.settings import Settings

    builder = builder_for(pg_pool, tmp_path, reader, "porch", "garden")
    factory = MediaFactory(pg_pool, tmp_path)
    for camera, minutes in (("porch", 0), ("porch", 5), ("garden", 10)):
        at = NIGHT + timedelta(minutes=minutes)
        context, event_id = await _visit(builder, factory, camera, at, _photo("zidane.jpg"))
        await _save(pg_pool, camera, event_id, at, context)
    [track] = {r["track_id"] for r in await pg_pool.fetch("SELECT track_id FROM face_embeddings")}
    assert await face_store.enrol(pg_pool, event_id=event_id, track_id=track, name="Zin") is not None
    before = await pg_pool.fetch(
        "SELECT camera_id, context->'faces' AS faces FROM events ORDER BY started_at"
    )
    assert [len(r["faces"]) for r in before] == [1, 1, 1]

    caplog.set_level(logging.INFO)
    # The porch opts out (garden stays in): its faces and its events' face entries go.
    await _face_retention(pg_pool, Settings.from_flat(cameras={"garden": {"faces": True}}))
    assert "faces disabled camera=porch deleted_faces=2" in caplog.text
    assert await face_store.count_faces(pg_pool, "porch") == 0 and await face_store.count_faces(pg_pool) == 1
    after = await pg_pool.fetch("SELECT camera_id, context->'faces' AS faces FROM events ORDER BY started_at")
    assert [(r["camera_id"], r["faces"]) for r in after][:2] == [("porch", []), ("porch", [])]
    assert len(after[2]["faces"]) == 1  # the garden keeps its own
    assert len(await face_store.list_known(pg_pool)) == 1  # the gallery stays while a camera uses it

    # Faces off on every camera: every embedding and the gallery are deleted.
    await _face_retention(pg_pool, Settings())
    assert await face_store.count_faces(pg_pool) == 0 and await face_store.list_known(pg_pool) == []
    assert "deleted_known_faces=1" in caplog.text and "Zin" not in caplog.text


async def test_retention_expires_old_face_embeddings(pg_pool: asyncpg.Pool) -> None:
    await pg_pool.execute("INSERT INTO cameras (id, name) VALUES ('gate', 'Gate')")
    old, new = datetime.now(UTC) - timedelta(days=40), datetime.now(UTC)
    for n, at in enumerate((old, new)):
        await face_store.save_faces(
            pg_pool,
            camera="gate",
            event_id=f"00000000-0000-0000-0000-00000000000{n}",
            faces=[(1, [1.0] + [0.0] * 127, 0.9, at)],
        )
    assert await face_store.expire(pg_pool, datetime.now(UTC) - timedelta(days=30)) == 1
    assert await pg_pool.fetchval("SELECT seen_at FROM face_embeddings") == new
