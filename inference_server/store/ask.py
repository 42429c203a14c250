"""The retrieval behind `POST /api/ask`: structured filters, full-text rank, recency and risk, fused."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import asyncpg
import numpy as np

from inference_server.domain.ask import CATEGORY_LABELS, ParsedQuestion, rrf
from inference_server.domain.events import Event
from inference_server.store.ask_index import AskIndex
from inference_server.store.events import event_from_row
from inference_server.store.queries import _EVENT_COLUMNS

_LEVELS = ("low", "medium", "high", "critical")
CANDIDATES = 500


@dataclass(frozen=True, slots=True)
class Retrieved:
    """One retrieved event and its fused score."""

    event: Event
    score: float


SEMANTIC_WEIGHT = 3  # how many times the embedding ranking counts in the fusion


async def retrieve(
    pool: asyncpg.Pool,
    parsed: ParsedQuestion,
    *,
    limit: int = 5,
    tz: str = "UTC",
    index: AskIndex | None = None,
    question_vector: np.ndarray | None = None,
) -> list[Retrieved]:
    """The events that best answer the parsed question (at most `limit`).

    Cameras, time range, night, zones, minimum level and known/unknown are filters; object
    categories, the question's words (full text), recency, risk and, with an `index` and the
    question's embedding, semantic similarity are rankings fused by RRF.
    """
    params: list[Any] = []

    def add(value: Any) -> str:
        params.append(value)
        return f"${len(params)}"

    where = ["true"]
    if parsed.cameras:
        where.append(f"e.camera_id = ANY({add(list(parsed.cameras))}::text[])")
    if parsed.since is not None:
        where.append(f"e.started_at >= {add(parsed.since)}")
    if parsed.until is not None:
        where.append(f"e.started_at < {add(parsed.until)}")
    if parsed.min_level is not None:
        levels = list(_LEVELS[_LEVELS.index(parsed.min_level) :])
        where.append(f"e.risk_level = ANY({add(levels)}::text[])")
    if parsed.night:
        hour = f"extract(hour FROM e.started_at AT TIME ZONE {add(tz)})"
        where.append(f"({hour} >= 21 OR {hour} < 6)")
    if parsed.zones:
        where.append(f"e.zones && {add(list(parsed.zones))}::text[]")
    if parsed.known is not None:
        known_sql = "(e.context->'attributes') ?| array['known_resident','known_vehicle']"
        where.append(known_sql if parsed.known else f"NOT coalesce({known_sql}, false)")
    filter_params = list(params)
    labels = sorted({label for c in parsed.categories for label in CATEGORY_LABELS.get(c, (c,))})
    category_sql = f"e.objects ?| {add(labels)}::text[]" if labels else "false"
    terms = " | ".join(t.replace("'", "") for t in parsed.terms if t.isalnum())
    rank_sql = "0::real"
    if terms:
        rank_sql = f"ts_rank(e.search_vector, to_tsquery('english', {add(terms)}))"
    rows = await pool.fetch(
        f"SELECT {_EVENT_COLUMNS}, {rank_sql} AS text_rank, {category_sql} AS in_category FROM events e JOIN cameras c ON c.id = e.camera_id"
        f" WHERE {' AND '.join(where)} ORDER BY e.started_at DESC, e.id DESC LIMIT {add(CANDIDATES)}",
        *params,
    )
    by_id = {str(r["id"]): r for r in rows}
    rankings = {
        "recent": list(by_id),
        "risk": sorted(by_id, key=lambda i: -by_id[i]["risk_score"]),
    }
    if labels:
        rankings["category"] = [i for i in by_id if by_id[i]["in_category"]]
    if terms:
        matched = [i for i in by_id if by_id[i]["text_rank"] > 0]
        rankings["text"] = sorted(matched, key=lambda i: -by_id[i]["text_rank"])
        # The words of the question count three times: they are what the resident asked about.
        rankings["text2"] = rankings["text3"] = rankings["text"]
    if index is not None and question_vector is not None:
        nearest = await index.nearest(question_vector, where, filter_params)
        semantic = [i for i, _ in nearest]
        for n in range(SEMANTIC_WEIGHT):
            rankings[f"semantic{n}"] = semantic
        extra = [i for i in semantic[: 2 * limit] if i not in by_id]
        if extra:  # near in meaning but older than the newest CANDIDATES: fetch them too
            for r in await pool.fetch(
                f"SELECT {_EVENT_COLUMNS}, 0::real AS text_rank, false AS in_category"
                " FROM events e JOIN cameras c ON c.id = e.camera_id WHERE e.id = ANY($1::uuid[])",
                extra,
            ):
                by_id[str(r["id"])] = r
    fused = [(i, s) for i, s in rrf(rankings) if i in by_id]
    return [Retrieved(event_from_row(by_id[i]), round(s, 5)) for i, s in fused[:limit]]


async def names(pool: asyncpg.Pool) -> tuple[dict[str, str], dict[str, str]]:
    """Camera names and slugs -> slug, and zone names -> zone name, lower-cased, for the parser."""
    cameras: dict[str, str] = {}
    for r in await pool.fetch("SELECT id, name FROM cameras"):
        cameras[r["id"].lower()] = r["id"]
        cameras[r["id"].replace("_", " ").lower()] = r["id"]
        if r["name"]:
            cameras[str(r["name"]).lower()] = r["id"]
    zones = {str(r["name"]).lower(): r["name"] for r in await pool.fetch("SELECT DISTINCT name FROM zones")}
    return cameras, zones
