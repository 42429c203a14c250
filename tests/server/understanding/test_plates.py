"""Licence plates through the real OCR (rapidocr's bundled PP-OCR models), the real enrich stage
and PostgreSQL: off by default, read and stored on an opted-in camera, matched against the
gallery, repeated visits, redelivery, and deletion when a camera opts out."""

from __future__ import annotations

import json
import logging
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import asyncpg
import cv2
import numpy as np
import pytest

from inference_server.domain.context import EventContext, PlateSighting
from inference_server.domain.detections import Box, Detection
from inference_server.domain.heuristic import score_context
from inference_server.domain.plates import assemble
from inference_server.domain.risk import RiskAssessment
from inference_server.ml.embedder_clip import crop
from inference_server.pipeline.enrich import ContextBuilder
from inference_server.store import events as event_store
from inference_server.store import plates as plate_store
from tests.server.understanding.conftest import MediaFactory, window_of
from tools.bench_plates import render

pytest.importorskip("rapidocr_onnxruntime")

from inference_server.ml.plates import RapidPlateReader

TZ = ZoneInfo("UTC")
EVENING = datetime(2026, 11, 20, 18, 30, tzinfo=UTC)
PLATE = "KD482TX"
CAR = (400, 250, 880, 600)  # pixels of a 1280x720 frame
CAR_BOX = Box(CAR[0] / 1280, CAR[1] / 720, CAR[2] / 1280, CAR[3] / 720)


@pytest.fixture(scope="module")
def reader() -> RapidPlateReader:
    return RapidPlateReader()


def car_jpeg(text: str = PLATE, height: int = 52, seed: int = 3) -> bytes:
    """A street frame with a box-shaped car carrying a rendered plate with known text."""
    frame = np.full((720, 1280, 3), 70, np.uint8)
    cv2.rectangle(frame, (CAR[0], CAR[1]), (CAR[2], CAR[3]), (40, 40, 150), -1)
    cv2.rectangle(frame, (CAR[0] + 40, CAR[1] + 20), (CAR[2] - 40, CAR[1] + 130), (160, 150, 140), -1)
    plate = render(text, height, 0.0, 0.0, random.Random(seed))
    h, w = plate.shape[:2]
    y, x = CAR[3] - h - 10, (CAR[0] + CAR[2]) // 2 - w // 2
    frame[y : y + h, x : x + w] = plate
    ok, buf = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, 95])
    assert ok
    return buf.tobytes()


def car(confidence: float = 0.9) -> Detection:
    return Detection("car", confidence, CAR_BOX)


def test_the_bundled_ocr_reads_a_rendered_plate_on_a_car_crop(reader: RapidPlateReader) -> None:
    frame = cv2.imdecode(np.frombuffer(car_jpeg(), np.uint8), cv2.IMREAD_COLOR)
    assert frame is not None
    read = assemble(reader.read(crop(frame, CAR_BOX, pad=0.05)))
    assert read is not None and read.text == PLATE and read.confidence >= 0.7
    # A car without a plate gives no read, and crops too small to hold one are skipped.
    blank = np.full((350, 480, 3), 90, np.uint8)
    assert assemble(reader.read(blank)) is None
    assert reader.read(np.zeros((6, 40, 3), np.uint8)) == []


async def _visit(
    builder: ContextBuilder, factory: MediaFactory, camera: str, at: datetime, data: bytes
) -> tuple[EventContext, str]:
    media_id, _ = await factory.add(camera, at, [car()], data=data)
    window = window_of(camera, [(media_id, at)], {"car": 1})
    context, _ = await builder.build(window)
    return context, window.id


async def test_plates_are_off_unless_the_camera_opts_in(
    pg_pool: asyncpg.Pool, tmp_path: Path, reader: RapidPlateReader
) -> None:
    factory = MediaFactory(pg_pool, tmp_path)
    nobody = ContextBuilder(pg_pool, TZ, media_dir=tmp_path, plate_reader=reader)  # no camera opted in
    other = ContextBuilder(
        pg_pool, TZ, media_dir=tmp_path, plate_reader=reader, plate_cameras=frozenset({"gate"})
    )
    for builder in (nobody, other):
        context, _ = await _visit(builder, factory, "driveway", EVENING, car_jpeg())
        assert context.plates == ()
    assert await pg_pool.fetchval("SELECT count(*) FROM plate_reads") == 0


async def test_an_opted_in_camera_stores_the_read_but_never_puts_the_text_in_context_or_logs(
    pg_pool: asyncpg.Pool, tmp_path: Path, reader: RapidPlateReader, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    builder = ContextBuilder(
        pg_pool, TZ, media_dir=tmp_path, plate_reader=reader, plate_cameras=frozenset({"driveway"})
    )
    context, event_id = await _visit(
        builder, factory := MediaFactory(pg_pool, tmp_path), "driveway", EVENING, car_jpeg()
    )
    [sighting] = context.plates
    assert sighting == PlateSighting(track_id=sighting.track_id, label="car", known=False, name=None)
    assert PLATE not in json.dumps(context.to_dict())
    assert EventContext.from_dict(context.to_dict()) == context  # the stored JSON parses back
    assert PLATE not in caplog.text and "plates event=" in caplog.text
    [row] = await plate_store.list_reads(pg_pool, camera="driveway")
    assert row["plate"] == PLATE and row["event_id"] == event_id and row["known"] is False
    assert row["label"] == "car" and row["confidence"] >= 0.7

    # A redelivered window is read again and replaces its read: never two rows.
    media_id = await pg_pool.fetchval("SELECT max(media_id) FROM detections")
    await builder.build(window_of("driveway", [(media_id, EVENING)], {"car": 1}, event_id=event_id))
    assert await pg_pool.fetchval("SELECT count(*) FROM plate_reads") == 1
    # An unreadable picture costs the read, never the event.
    broken, _ = await _visit(builder, factory, "driveway", EVENING + timedelta(minutes=3), b"not a jpeg")
    assert broken.plates == () and broken.camera == "driveway"


async def test_a_known_plate_makes_the_vehicle_known_and_lowers_the_score(
    pg_pool: asyncpg.Pool, tmp_path: Path, reader: RapidPlateReader
) -> None:
    builder = ContextBuilder(
        pg_pool, TZ, media_dir=tmp_path, plate_reader=reader, plate_cameras=frozenset({"driveway"})
    )
    factory = MediaFactory(pg_pool, tmp_path)
    night = EVENING.replace(hour=2)
    stranger, _ = await _visit(builder, factory, "driveway", night, car_jpeg())
    assert "known_vehicle" not in stranger.attributes
    await plate_store.set_known(pg_pool, "KD482TX", "our car")
    ours, _ = await _visit(builder, factory, "driveway", night + timedelta(minutes=10), car_jpeg(seed=9))
    [sighting] = ours.plates
    assert sighting.known is True and sighting.name == "our car"
    assert "known_vehicle" in ours.attributes
    assert score_context(ours).risk_score < score_context(stranger).risk_score
    [latest, _first] = await plate_store.list_reads(pg_pool)
    assert latest["known"] is True and latest["name"] == "our car"


async def test_an_unknown_plate_on_three_days_is_a_repeated_visit_and_opting_out_deletes_it(
    pg_pool: asyncpg.Pool, tmp_path: Path, reader: RapidPlateReader
) -> None:
    builder = ContextBuilder(
        pg_pool, TZ, media_dir=tmp_path, plate_reader=reader, plate_cameras=frozenset({"driveway"})
    )
    factory = MediaFactory(pg_pool, tmp_path)
    contexts = []
    for day in range(3):
        at = EVENING + timedelta(days=day)
        context, event_id = await _visit(builder, factory, "driveway", at, car_jpeg(seed=day))
        contexts.append(context)
        await event_store.save_event(
            pg_pool,
            event_id=event_id,
            camera="driveway",
            started_at=at,
            ended_at=at,
            assessment=RiskAssessment(
                risk_score=30, summary="A car.", reasoning="-", assessed_by="heuristic"
            ),
            objects={"car": 1},
            zones=[],
            context=context.to_dict(),
            fast_path=False,
            final=True,
            media_ids=[],
            detection_ids=[],
        )
    assert [b.kind for b in contexts[1].behaviours] == []
    [visit] = [b for b in contexts[2].behaviours if b.kind == "repeated_visits"]
    assert (
        visit.subject == "car" and "3 different days" in visit.explanation and PLATE not in visit.explanation
    )
    assert score_context(contexts[2]).risk_score > score_context(contexts[0]).risk_score

    # The camera opts out: its reads and the plate entries of its events are deleted.
    before = await pg_pool.fetch("SELECT context->'plates' AS plates FROM events")
    assert [len(r["plates"]) for r in before] == [1, 1, 1]
    assert await plate_store.forget_cameras_except(pg_pool, ["gate"]) == {"driveway": 3}
    assert await pg_pool.fetchval("SELECT count(*) FROM plate_reads") == 0
    stored = await pg_pool.fetch("SELECT context->'plates' AS plates FROM events")
    assert [r["plates"] for r in stored] == [[], [], []]
    assert await plate_store.forget_cameras_except(pg_pool, ["gate"]) == {}


async def test_retention_expires_old_reads(pg_pool: asyncpg.Pool) -> None:
    await pg_pool.execute("INSERT INTO cameras (id, name) VALUES ('gate', 'Gate')")
    old, new = datetime.now(UTC) - timedelta(days=40), datetime.now(UTC)
    for n, at in enumerate((old, new)):
        await plate_store.save_reads(
            pg_pool,
            camera="gate",
            event_id=f"00000000-0000-0000-0000-00000000000{n}",
            reads=[(1, "car", "AB123CD", 0.9, at)],
        )
    assert await plate_store.expire(pg_pool, datetime.now(UTC) - timedelta(days=30)) == 1
    [row] = await plate_store.list_reads(pg_pool)
    assert row["read_at"] == new.isoformat()


def test_the_reader_is_built_only_when_a_camera_opts_in() -> None:
    from inference_server.runtime.models import build_plate_reader
    from inference_server.settings import Settings

    assert build_plate_reader(Settings()) is None
    settings = Settings.from_flat(cameras={"driveway": {"plates": True}, "porch": {"name": "Porch"}})
    assert settings.plate_cameras == ["driveway"]
    assert isinstance(build_plate_reader(settings), RapidPlateReader)
