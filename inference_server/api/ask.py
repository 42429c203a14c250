"""Ask your history: `POST /api/ask` answers a question with the events it found, cited by id."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from aiohttp import web

from inference_server.api import schemas
from inference_server.api.routing import Call, Reply, Router
from inference_server.domain.ask import ParsedQuestion, parse_question, question_for_embedding
from inference_server.domain.ask_answer import (
    InvalidAnswer,
    Source,
    answer_gbnf,
    build_answer_messages,
    references,
    validate,
)
from inference_server.domain.ask_rewrite import (
    InvalidRewrite,
    build_rewrite_messages,
    merge,
    needs_rewrite,
    rewrite_gbnf,
    validate_rewrite,
)
from inference_server.ml.protocols import AssessmentFailed
from inference_server.store import ask as store

log = logging.getLogger(__name__)


class AnswerWriter(Protocol):
    """An LLM backend that writes free text (ml/llm_openai.py, ml/llm_llama_cpp.py)."""

    name: str

    async def complete_text(
        self, messages: list[dict[str, str]], *, grammar: str | None = None, max_tokens: int = 300
    ) -> str:
        """The model's text for `messages`; raises AssessmentFailed on failure."""
        ...


router = Router()


def understood(
    parsed: ParsedQuestion, rewritten: str | None = None, rewrite_refused: str | None = None
) -> dict[str, Any]:
    """How the question was read (and how the LLM reworded it, if it did), for the user to check."""
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
        "rewritten": rewritten,
        "rewrite_refused": rewrite_refused,
    }


async def llm_rewrite(
    llm: AnswerWriter,
    question: str,
    parsed: ParsedQuestion,
    now: datetime,
    cameras: dict[str, str],
    zones: dict[str, str],
) -> tuple[ParsedQuestion, str | None, str | None]:
    """(the parse with the rewording's filters, the rewording, None) or (parsed, None, why not)."""
    try:
        text = await llm.complete_text(
            build_rewrite_messages(question, [n for n in cameras if "_" not in n], zones),
            grammar=rewrite_gbnf(),
            max_tokens=80,
        )
        rewritten = validate_rewrite(text)
        return merge(parsed, parse_question(rewritten, now, cameras, zones)), rewritten, None
    except (AssessmentFailed, InvalidRewrite) as exc:
        log.info("ask_llm_rewrite_refused backend=%s reason=%s", llm.name, exc)
        return parsed, None, str(exc)


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


async def llm_answer(
    llm: AnswerWriter, question: str, hits: list[store.Retrieved], tz: ZoneInfo, *, max_tokens: int = 400
) -> tuple[str | None, str | None]:
    """(validated answer citing event ids, None) or (None, why the LLM answer was not used)."""
    sources = [
        Source(
            h.event.id,
            h.event.started_at.astimezone(tz),
            h.event.camera_name or h.event.camera,
            h.event.risk_level.value,
            h.event.risk_score,
            h.event.summary,
        )
        for h in hits
    ]
    try:
        text = await llm.complete_text(
            build_answer_messages(question, sources),
            grammar=answer_gbnf(list(references(sources))),
            max_tokens=max_tokens,
        )
        answer, _cited = validate(text, sources)
    except (AssessmentFailed, InvalidAnswer) as exc:
        log.info("ask_llm_answer_refused backend=%s reason=%s", llm.name, exc)
        return None, str(exc)
    return answer, None


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
    settings = call.ctx.settings
    tz = ZoneInfo(settings.timezone)
    cameras, zones = await store.names(call.ctx.pool)
    now = datetime.now(tz)
    parsed = parse_question(body.question, now, cameras, zones)
    llm = call.ctx.ask_llm
    rewritten = rewrite_refused = None
    if llm is not None and body.llm and settings.ask.llm_rewrite and needs_rewrite(parsed):
        parsed, rewritten, rewrite_refused = await llm_rewrite(
            llm, body.question, parsed, now, cameras, zones
        )
    index = call.ctx.ask_index
    vector = None
    if index is not None:
        vector = (await index.embed_texts([question_for_embedding(body.question, parsed)]))[0]
    hits = await store.retrieve(
        call.ctx.pool, parsed, limit=body.limit, tz=settings.timezone, index=index, question_vector=vector
    )
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
    answer, answered_by, refused = extractive_answer(hits, tz), "extractive", None
    if llm is not None and hits and body.llm:
        written, refused = await llm_answer(
            llm, body.question, hits, tz, max_tokens=settings.ask.llm_max_tokens
        )
        if written is not None:
            answer, answered_by = written, f"llm:{llm.name}"
    retrieval = {
        "semantic": index is not None,
        "search": ("pgvector" if index.vector_search else "exact") if index is not None else None,
        "model": index.model if index is not None else None,
    }
    return web.json_response(
        {
            "answer": answer,
            "answered_by": answered_by,
            "llm_refused": refused,
            "citations": citations,
            "understood": understood(parsed, rewritten, rewrite_refused),
            "retrieval": retrieval,
        }
    )


@router.route(
    "GET",
    "/api/ask/digest",
    summary="A daily or weekly digest: counts, notable and unusual events, changes from the usual",
    tag="events",
    route_class="search",
    query=schemas.DigestQuery,
    responses={200: Reply("The digest of that day or week", schemas.EventDigest)},
)
async def digest(call: Call) -> web.StreamResponse:
    from inference_server.store.digest import event_digest, render_digest

    q: schemas.DigestQuery = call.query
    tz = ZoneInfo(call.ctx.settings.timezone)
    result = await event_digest(call.ctx.pool, tz, q.period, q.date or datetime.now(tz).date())
    return web.json_response({**result, "text": render_digest(result)})
