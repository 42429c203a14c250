"""Ask your history: `POST /api/ask` answers a question with the events it found, cited by id."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from inference_server.api import schemas
from inference_server.api.routing import Call, Reply, Router
from inference_server.domain.ask import ParsedQuestion, parse_question
from inference_server.store import ask as store

router = Router()


def understood(parsed: ParsedQuestion) -> dict[str, Any]:
    """How the question was read, for the user to check."""
    return {
        "since": parsed.since.isoformat() if parsed.since else None,
        "until": parsed.until.isoformat() if parsed.until else None,
        "time_phrase": parsed.time_phrase,
        "cameras": list(parsed.cameras),
        "zones": list(parsed.zones),
        "categories": list(parsed.categories),
        "known": parsed.known,
        "min_level": parsed.min_level,
        "terms": list(parsed.terms),
        "night": parsed.night,
    }


def extractive_answer(hits: list[store.Retrieved], tz: ZoneInfo) -> str:
    """A templated answer from the retrieved events, citing each by id (no LLM involved)."""
    if not hits:
        return "No events match that question."
    lines = [f"{len(hits)} matching event{'s' if len(hits) != 1 else ''}:"]
    for hit in hits:
        e = hit.event
        when = e.started_at.astimezone(tz).strftime("%a %d %b %H:%M")
        lines.append(
            f"- {when} at {e.camera_name or e.camera}, {e.risk_level.value} ({e.risk_score}): {e.summary} [{e.id}]"
        )
    return "\n".join(lines)


@router.route(
    "POST",
    "/api/ask",
    summary="Ask the event history a question; the answer cites the events it is based on",
    tag="events",
    route_class="search",
    body=schemas.AskIn,
    responses={200: Reply("The answer with citations", schemas.AskOut)},
)
async def ask(call: Call) -> web.StreamResponse:
    body: schemas.AskIn = call.body
    tz = ZoneInfo(call.ctx.settings.timezone)
    cameras, zones = await store.names(call.ctx.pool)
    parsed = parse_question(body.question, datetime.now(tz), cameras, zones)
    hits = await store.retrieve(call.ctx.pool, parsed, limit=body.limit, tz=call.ctx.settings.timezone)
    citations = [
        {
            "id": h.event.id,
            "camera": h.event.camera,
            "started_at": h.event.started_at.isoformat(),
            "risk_score": h.event.risk_score,
            "risk_level": h.event.risk_level.value,
            "summary": h.event.summary,
            "score": h.score,
        }
        for h in hits
    ]
    return web.json_response(
        {"answer": extractive_answer(hits, tz), "citations": citations, "understood": understood(parsed)}
    )
