"""Evaluation of `POST /api/ask` retrieval: a generated month of events on 4 cameras, 40 questions.

Each question names one notable event by what a resident would say (camera or zone, object, a
time expression, risk words); the metric is whether that event is among the top 5 (recall@5) and
how high (MRR). Time-parse accuracy is the share of questions whose parsed range contains the
event and is no longer than the phrase implies.

    python -m tools.ask_eval postgresql://localhost/hsi_ask_eval     # an empty scratch database

prints the figures before (full text, categories, recency, risk) and after adding the
all-MiniLM-L6-v2 embeddings to the fusion.
"""

from __future__ import annotations

import asyncio
import json
import random
import sys
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg

from inference_server.domain.ask import parse_question, question_for_embedding
from inference_server.domain.risk import RiskAssessment
from inference_server.store import ask as ask_store
from inference_server.store import events as event_store
from inference_server.store import media as media_store
from inference_server.store.ask_index import AskIndex, TextEmbedder
from inference_server.store.db import create_pool, migrate

TZ = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 11, 30, 20, 0, tzinfo=TZ)  # a Monday evening
CAMERAS = {"front_door": "Front door", "driveway": "Driveway", "backyard": "Backyard", "street": "Street"}


# Routine, every day: (camera, hour, objects, score, summary)
ROUTINE = (
    ("front_door", 12, {"person": 1}, 12, "Mail carrier drops letters at the door."),
    ("driveway", 18, {"car": 1}, 8, "Resident's car parks in the driveway."),
    ("backyard", 23, {"cat": 1}, 4, "A cat crosses the lawn."),
    ("street", 8, {"car": 3}, 3, "Morning traffic passes on the street."),
    ("street", 17, {"person": 2}, 6, "People walk past on the sidewalk."),
)
# Notable events: (days ago, hour, camera, objects, score, summary, two questions)
NOTABLE = (
    (0, 2, "backyard", {"person": 1}, 82, "Person tries the back door handle at night.",
     ("did anyone try the back door last night?", "anything suspicious in the backyard last night?")),
    (1, 14, "front_door", {"person": 1}, 35, "Unknown person takes a parcel from the porch.",
     ("was a package taken at the front door yesterday?", "who took the parcel yesterday afternoon?")),
    (1, 22, "driveway", {"truck": 1}, 58, "Unknown van idles in the driveway with lights off.",
     ("any unknown vans in the driveway yesterday?", "vehicle idling in the driveway last week or yesterday night")),
    (2, 3, "street", {"car": 1}, 40, "Dark sedan stops in front of the house at 3am.",
     ("did a car stop on the street on saturday?", "anything unusual on the street on saturday night")),
    (3, 16, "backyard", {"dog": 1}, 20, "A loose dog digs in the flower bed.",
     ("was there a dog in the backyard on friday?", "any animals in the backyard on friday afternoon")),
    (4, 1, "front_door", {"person": 2}, 90, "Two people with covered faces try the front door.",
     ("did anyone try the front door on thursday?", "anything critical at the front door this month")),
    (5, 10, "driveway", {"person": 1}, 30, "Stranger looks into the parked car.",
     ("did a stranger look into the car on wednesday?", "unknown person in the driveway on wednesday morning")),
    (6, 19, "front_door", {"person": 1}, 25, "Visitor rings the doorbell and waits.",
     ("did someone ring the doorbell on tuesday?", "visitors at the front door on tuesday evening")),
    (8, 13, "street", {"truck": 1}, 22, "Delivery truck blocks the street.",
     ("was a truck blocking the street in the last 2 weeks?", "delivery truck on the street in the past 2 weeks")),
    (9, 2, "backyard", {"person": 1}, 75, "Person climbs over the back fence.",
     ("did anyone climb the fence in the last 2 weeks?", "suspicious person in the backyard in the past 2 weeks")),
    (10, 15, "driveway", {"car": 1}, 28, "Unknown car turns around in the driveway.",
     ("did a car turn around in the driveway in the last 14 days?", "unknown vehicle in the driveway in the past 2 weeks")),
    (11, 21, "front_door", {"person": 1}, 45, "Person lingers at the front door after dark.",
     ("did someone linger at the front door in the last 2 weeks?", "anyone waiting at the front door in the last 14 days at night")),
    (13, 11, "backyard", {"bird": 4}, 5, "Birds feed on the lawn.",
     ("were there birds in the backyard in the last 14 days?", "birds on the lawn in the past 14 days")),
    (15, 4, "street", {"person": 3}, 50, "Group walks slowly past, checking car doors.",
     ("did people check car doors on the street in the last 3 weeks?", "group checking cars in the past 3 weeks")),
    (17, 9, "front_door", {"person": 1}, 15, "Meter reader walks to the side gate.",
     ("was the meter reader here in the last 3 weeks?", "meter reader at the front door in the past 3 weeks")),
    (19, 23, "driveway", {"person": 1}, 66, "Person with a flashlight walks up the driveway.",
     ("did someone with a flashlight come up the driveway in the last 3 weeks?", "flashlight in the driveway in the past 3 weeks")),
    (21, 12, "backyard", {"person": 1}, 18, "Landscaper mows the lawn.",
     ("did the landscaper mow the lawn this month?", "landscaper in the backyard this month")),
    (24, 20, "street", {"car": 1}, 33, "Same car passes slowly for the third time.",
     ("did a car pass slowly on the street this month?", "car passing slowly in the last 4 weeks")),
    (26, 7, "front_door", {"person": 1}, 21, "Jogger stops at the mailbox.",
     ("did a jogger stop at the mailbox in the last 4 weeks?", "jogger at the front door in the past 4 weeks")),
    (28, 1, "backyard", {"bear": 1}, 70, "A bear knocks over the bins.",
     ("was there a bear in the backyard in the last 30 days?", "bear at the bins in the past 30 days")),
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Report:
    """The evaluation's figures."""

    questions: int
    recall_at_5: float
    mrr: float
    time_parse_accuracy: float
    events: int
    retrieval: str = "lexical"  # "lexical" | "lexical+semantic (<search>)"

    def to_json(self) -> dict[str, Any]:
        """The JSON form."""
        return {
            "questions": self.questions,
            "recall_at_5": round(self.recall_at_5, 3),
            "mrr": round(self.mrr, 3),
            "time_parse_accuracy": round(self.time_parse_accuracy, 3),
            "events": self.events,
            "retrieval": self.retrieval,
        }


async def _event(
    pool: asyncpg.Pool, camera: str, at: datetime, objects: dict[str, int], score: int, summary: str
) -> str:
    event, _ = await event_store.save_event(
        pool,
        event_id=str(uuid.uuid4()),
        camera=camera,
        started_at=at,
        ended_at=at + timedelta(seconds=40),
        assessment=RiskAssessment(score, summary, f"Scored {score}: {summary}", "heuristic"),
        objects=objects,
        zones=[],
        context={},
        fast_path=False,
        final=True,
        media_ids=[],
        detection_ids=[],
    )
    return event.id


async def generate_month(pool: asyncpg.Pool, seed: int = 7) -> list[tuple[str, datetime, tuple[str, str]]]:
    """Store 30 days of routine events plus the notable ones; returns (id, time, questions) of the notable."""
    rng = random.Random(seed)
    for camera, name in CAMERAS.items():
        await media_store.ensure_camera(pool, camera, name)
    midnight = NOW.replace(hour=0, minute=0)
    for day in range(30):
        for camera, hour, objects, score, summary in ROUTINE:
            at = midnight - timedelta(days=day) + timedelta(hours=hour, minutes=rng.randint(0, 50))
            if at < NOW:
                await _event(pool, camera, at, objects, score + rng.randint(0, 4), summary)
    notable = []
    for days, hour, camera, objects, score, summary, questions in NOTABLE:
        at = midnight - timedelta(days=days) + timedelta(hours=hour, minutes=rng.randint(0, 50))
        notable.append((await _event(pool, camera, at, objects, score, summary), at, questions))
    return notable


async def evaluate(
    pool: asyncpg.Pool, embedder: TextEmbedder | None = None, *, vector_search: bool | None = None
) -> Report:
    """Generate the month in `pool` (an empty, migrated database) and run every question.

    With an `embedder`, events are indexed (pgvector where the server has it, unless
    `vector_search` is False) and semantic similarity joins the fusion.
    """
    notable = await generate_month(pool)
    index = None
    if embedder is not None:
        index = await AskIndex.open(pool, embedder, tz=TZ, vector_search=vector_search)
        await index.sync()
    return await ask_all(pool, notable, index)


async def ask_all(
    pool: asyncpg.Pool, notable: list[tuple[str, datetime, tuple[str, str]]], index: AskIndex | None
) -> Report:
    """Ask every question of the notable events; the figures."""
    cameras, zones = await ask_store.names(pool)
    hits = 0
    reciprocal = 0.0
    parsed_ok = 0
    total = 0
    for event_id, at, questions in notable:
        for question in questions:
            total += 1
            parsed = parse_question(question, NOW, cameras, zones)
            if (
                parsed.since is not None
                and parsed.since <= at
                and (parsed.until is None or at < parsed.until)
            ):
                parsed_ok += 1
            vector = None
            if index is not None:
                vector = (await index.embed_texts([question_for_embedding(question, parsed)]))[0]
            found = [
                r.event.id
                for r in await ask_store.retrieve(
                    pool, parsed, limit=5, tz=str(TZ), index=index, question_vector=vector
                )
            ]
            if event_id in found:
                hits += 1
                reciprocal += 1.0 / (found.index(event_id) + 1)
    events = int(await pool.fetchval("SELECT count(*) FROM events"))
    retrieval = "lexical"
    if index is not None:
        retrieval = f"lexical+semantic ({index.model}, {'pgvector' if index.vector_search else 'exact'})"
    return Report(total, hits / total, reciprocal / total, parsed_ok / total, events, retrieval)


async def _main(url: str) -> None:
    from inference_server.ml.text_embedder import MiniLMEmbedder

    pool = await create_pool(url, max_size=4)
    try:
        await migrate(pool)
        if await pool.fetchval("SELECT count(*) FROM events"):
            raise SystemExit("error: the database already has events; give an empty scratch database")
        notable = await generate_month(pool)
        before = await ask_all(pool, notable, None)
        index = await AskIndex.open(pool, MiniLMEmbedder(), tz=TZ)
        await index.sync()
        after = await ask_all(pool, notable, index)
        print(json.dumps({"before": before.to_json(), "after": after.to_json()}, indent=2))
    finally:
        await pool.close()


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit("usage: python -m tools.ask_eval POSTGRESQL_URL (an empty scratch database)")
    asyncio.run(_main(sys.argv[1]))
