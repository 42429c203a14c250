"""Known entities and feedback through the real PostgreSQL, the real enrich stage and the API."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import asyncpg
import cv2
import pytest
import redis.asyncio as aioredis

from inference_server.bus.publish import Publisher
from inference_server.domain.context import EventContext
from inference_server.domain.feedback import adjustment, situation
from inference_server.domain.heuristic import score_context
from inference_server.domain.risk import RiskAssessment
from inference_server.metrics import Metrics
from inference_server.ml.embedder_clip import ClipEmbedder
from inference_server.pipeline.assess import AssessStage, FallbackAssessor
from inference_server.pipeline.enrich import ContextBuilder, EnrichStage
from inference_server.store import events as event_store
from inference_server.store import feedback
from inference_server.store.streams import Keys, Streams
from tests.server.understanding.conftest import MediaFactory, person, window_of
from tests.support.models import sample_images

TZ = ZoneInfo("UTC")
NIGHT = datetime(2025, 5, 13, 2, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def clip() -> ClipEmbedder:
    import torch

    torch.manual_seed(0)
    return ClipEmbedder("ViT-B-32", pretrained=None, device="cpu", batch_size=4)


def _bus_jpeg() -> bytes:
    bus = cv2.imread(str(sample_images()[0]))
    assert bus is not None
    ok, buf = cv2.imencode(".jpg", cv2.resize(bus, (bus.shape[1] // 2, bus.shape[0] // 2)))
    assert ok
    return buf.tobytes()


async def test_a_named_known_resident_lowers_later_events_and_forgetting_deletes_embeddings(
    pg_pool: asyncpg.Pool, tmp_path: Path, clip: ClipEmbedder
) -> None:
    picture = _bus_jpeg()
    builder = ContextBuilder(pg_pool, TZ, embedder=clip, media_dir=tmp_path, reid_threshold=0.95)
    factory = MediaFactory(pg_pool, tmp_path)
    box = (0.06, 0.37, 0.31, 0.83)

    async def visit(minutes: int) -> EventContext:
        at = NIGHT + timedelta(minutes=minutes)
        media_id, _ = await factory.add("back_door", at, [person(*box)], data=picture)
        context, _ = await builder.build(window_of("back_door", [(media_id, at)], {"person": 1}))
        return context

    first = await visit(0)
    assert first.known == () and "known_resident" not in first.attributes
    [entity] = await feedback.list_entities(pg_pool)
    assert entity["known"] is False and entity["name"] is None
    named = await feedback.update_entity(pg_pool, entity["id"], name="Dad", known=True)
    assert named is not None and named["name"] == "Dad" and named["known"] is True
    assert [e["id"] for e in await feedback.list_entities(pg_pool, known=True)] == [entity["id"]]

    second = await visit(5)
    [known] = second.known
    assert known.entity_id == entity["id"] and known.name == "Dad" and known.label == "person"
    assert "known_resident" in second.attributes
    assert score_context(second).risk_score < score_context(first).risk_score

    sightings = await pg_pool.fetchval(
        "SELECT count(*) FROM sightings WHERE entity_id = $1::uuid", entity["id"]
    )
    assert sightings == 2
    assert await feedback.forget_entity(pg_pool, entity["id"]) == 2
    assert await pg_pool.fetchval("SELECT count(*) FROM sightings") == 0
    assert await feedback.forget_entity(pg_pool, entity["id"]) is None
    builder.close()


async def test_feedback_on_similar_events_changes_later_scores_by_the_documented_amount(
    pg_pool: asyncpg.Pool, redis_client: aioredis.Redis, keys: Keys, tmp_path: Path
) -> None:
    contexts = ContextBuilder(pg_pool, TZ)
    stage = AssessStage(
        pool=pg_pool,
        tz=TZ,
        assessor=FallbackAssessor(None, Metrics(), 5.0),
        publisher=Publisher(redis_client, keys),
        metrics=Metrics(),
    )
    factory = MediaFactory(pg_pool, tmp_path)
    for day in range(5):  # five earlier evenings, scored low, answered "expected"
        at = datetime(2025, 5, 1 + day, 18, 30, tzinfo=UTC)
        await factory.add("driveway", at, [person(0.4, 0.4, 0.6, 0.9, label="car")])
        event, _ = await event_store.save_event(
            pg_pool,
            event_id=str(uuid.uuid4()),
            camera="driveway",
            started_at=at,
            ended_at=at + timedelta(seconds=30),
            assessment=RiskAssessment(20, "A car.", "r", "heuristic"),
            objects={"car": 1},
            zones=[],
            context={},
            fast_path=False,
            final=True,
            media_ids=[],
            detection_ids=[],
        )
        assert await feedback.set_feedback(pg_pool, event.id, "expected")
    at = datetime(2025, 5, 8, 18, 40, tzinfo=UTC)
    media_id, _ = await factory.add("driveway", at, [person(0.4, 0.4, 0.6, 0.9, label="car")])
    window = window_of("driveway", [(media_id, at)], {"car": 1})
    context, _ = await contexts.build(window)
    plain = score_context(context)
    assert plain.risk_level.value == "low"
    adjusted = await stage.with_feedback(context, plain, window.id)
    assert adjusted.risk_score == max(0, plain.risk_score - 15)
    assert "Feedback: lowered by 15: 5 similar events scored low marked 5 expected." in adjusted.reasoning
    # A night-time car is another situation: no change.
    night_ctx, _ = await contexts.build(window_of("driveway", [(media_id, NIGHT)], {"car": 1}))
    assert (await stage.with_feedback(night_ctx, plain, str(uuid.uuid4()))).risk_score == plain.risk_score
    # Reset: the answers no longer count.
    assert await feedback.reset_feedback(pg_pool, "driveway") == 5
    assert (await stage.with_feedback(context, plain, window.id)).risk_score == plain.risk_score


async def test_answers_on_a_known_resident_do_not_move_a_strangers_score(
    pg_pool: asyncpg.Pool, tmp_path: Path
) -> None:
    """ "That's us" on the resident taking out the bin at night lowers the next such event, not a
    stranger on the same driveway at the same hour (known-ness is part of the situation)."""
    factory = MediaFactory(pg_pool, tmp_path)
    for day in range(4):
        at = datetime(2025, 5, 1 + day, 22, 30, tzinfo=UTC)
        await factory.add("driveway", at, [person(0.4, 0.4, 0.6, 0.9)])
        event, _ = await event_store.save_event(
            pg_pool,
            event_id=str(uuid.uuid4()),
            camera="driveway",
            started_at=at,
            ended_at=at + timedelta(seconds=30),
            assessment=RiskAssessment(20, "Dad with the bin.", "r", "heuristic"),
            objects={"person": 1},
            zones=["drive"],
            context={"attributes": ["known_resident"], "known": []},
            fast_path=False,
            final=True,
            media_ids=[],
            detection_ids=[],
        )
        assert await feedback.set_feedback(pg_pool, event.id, "expected")
    before = datetime(2025, 5, 9, 22, 40, tzinfo=UTC)
    past = await feedback.past_feedback(pg_pool, "driveway", before, TZ, 90)
    assert len(past) == 4 and all(p.situation.known for p in past)
    resident = situation("driveway", {"person": 1}, ["drive"], 22, known=True, level="low")
    stranger = situation("driveway", {"person": 1}, ["drive"], 22, level="low")
    assert adjustment(resident, past).points == -12
    assert adjustment(stranger, past).points == 0


async def test_answers_are_keyed_by_the_level_the_event_was_scored_at(
    pg_pool: asyncpg.Pool, redis_client: aioredis.Redis, keys: Keys, tmp_path: Path
) -> None:
    """ "Expected" on the driveway's low-scored evening cars lowers the next low-scored car, not a
    medium-scored one (the scorer saw something more there: nobody answered that); the stored
    event keeps the level it was scored at, and later answers on it count for that level even
    when feedback moved its final score into another band."""
    contexts = ContextBuilder(pg_pool, TZ)
    stage = AssessStage(
        pool=pg_pool,
        tz=TZ,
        assessor=FallbackAssessor(None, Metrics(), 5.0),
        publisher=Publisher(redis_client, keys),
        metrics=Metrics(),
    )
    factory = MediaFactory(pg_pool, tmp_path)
    car = [person(0.4, 0.4, 0.6, 0.9, label="car")]
    at = datetime(2025, 5, 8, 18, 40, tzinfo=UTC)
    media_id, _ = await factory.add("driveway", at, car)  # the camera exists from here on

    async def earlier(day: int, score: int, scored_level: str | None, kind: str) -> str:
        when = datetime(2025, 5, 1 + day, 18, 30, tzinfo=UTC)
        event, _ = await event_store.save_event(
            pg_pool,
            event_id=str(uuid.uuid4()),
            camera="driveway",
            started_at=when,
            ended_at=when + timedelta(seconds=30),
            assessment=RiskAssessment(score, "A car.", "r", "heuristic"),
            objects={"car": 1},
            zones=[],
            context={},
            fast_path=False,
            final=True,
            media_ids=[],
            detection_ids=[],
            scored_level=scored_level,
        )
        assert await feedback.set_feedback(pg_pool, event.id, kind)
        return event.id

    for day in range(3):
        await earlier(day, 10, None, "expected")  # scored low, nothing moved it
    # Scored medium (45) and lowered by feedback to 20 (low): its answer speaks about medium cars.
    moved = [await earlier(3 + day, 20, "medium", "false_alarm") for day in range(2)]
    stored = await pg_pool.fetch(
        "SELECT scored_level, risk_level FROM events WHERE id = ANY($1::uuid[])", moved
    )
    assert {(r["scored_level"], r["risk_level"]) for r in stored} == {("medium", "low")}

    window = window_of("driveway", [(media_id, at)], {"car": 1})
    context, _ = await contexts.build(window)
    low = score_context(context)
    assert low.risk_level.value == "low"
    medium = RiskAssessment(45, "A car lingers.", "r", "heuristic")

    lowered = await stage.with_feedback(context, low, window.id)
    assert lowered.risk_score == max(0, low.risk_score - 9)
    assert lowered.reasoning.endswith(
        "Feedback: lowered by 9: 3 similar events scored low marked 3 expected."
    )
    lowered_medium = await stage.with_feedback(context, medium, window.id)
    assert lowered_medium.risk_score == 45 - 10
    assert lowered_medium.reasoning.endswith(
        "Feedback: lowered by 10: 2 similar events scored medium marked 2 false alarm."
    )

    # The real stages store the scored level next to the adjusted score.
    enriched = await EnrichStage(pool=pg_pool, contexts=contexts, streams=Streams(redis_client, keys)).enrich(
        window
    )
    assert enriched is not None
    event = await stage.assess_window(enriched)
    assert event is not None and event.risk_score == lowered.risk_score
    row = await pg_pool.fetchrow("SELECT scored_level, risk_level FROM events WHERE id = $1::uuid", event.id)
    assert row is not None and (row["scored_level"], row["risk_level"]) == ("low", "low")
    assert await feedback.set_feedback(pg_pool, event.id, "expected")
    past = await feedback.past_feedback(pg_pool, "driveway", at + timedelta(days=1), TZ, 90)
    assert sorted(p.situation.level or "" for p in past) == ["low"] * 4 + ["medium"] * 2
