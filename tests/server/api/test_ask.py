"""`POST /api/ask` on the real server and PostgreSQL: filters from the question, fused ranking, citations."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiohttp import web

from inference_server.api import ApiContext
from inference_server.ml.llm_llama_cpp import LlamaCppAssessor
from inference_server.ml.llm_openai import OpenAIAssessor
from inference_server.ml.text_embedder import MiniLMEmbedder
from inference_server.store.ask_index import AskIndex
from tests.server.api.conftest import LiveApi, Seeder
from tests.server.ask.conftest import minilm
from tests.support.tiny_gguf import write_tiny_llama_gguf

__all__ = ["minilm"]


async def _ask(api: LiveApi, question: str, status: int = 200, **extra: Any) -> Any:
    resp = await api.request("POST", "/api/ask", json={"question": question, **extra})
    body = await resp.json()
    assert resp.status == status, body
    return body


async def test_questions_find_the_right_events_and_cite_them(api: LiveApi, seed: Seeder) -> None:
    seed.base = datetime.now(UTC).replace(microsecond=0) - timedelta(days=2)
    van = await seed.event(
        "driveway",
        score=55,
        summary="Unknown van parked in the driveway.",
        objects={"truck": 1},
        zones=["drive"],
    )
    await seed.event("driveway", minutes=10, score=10, summary="Resident's car arrives.", objects={"car": 1})
    await seed.event(
        "front_door", minutes=20, score=15, summary="Courier leaves a parcel.", objects={"person": 1}
    )
    await seed.event(
        "backyard", minutes=30, score=80, summary="Person tries the back door.", objects={"person": 1}
    )
    old = seed.base - timedelta(days=40)
    seed.base = old
    await seed.event(
        "driveway", score=60, summary="Van parked in the driveway weeks ago.", objects={"truck": 1}
    )

    body = await _ask(api, "did any vans park in the driveway in the last 7 days?")
    assert body["understood"]["cameras"] == ["driveway"] and body["understood"]["categories"] == ["vehicle"]
    ids = [c["id"] for c in body["citations"]]
    assert ids[0] == van["id"] and len(ids) == 2  # the old van is outside the time range
    assert f"[{van['id']}]" in body["answer"]

    suspicious = await _ask(api, "anything suspicious in the past 7 days?")
    assert [c["summary"] for c in suspicious["citations"]][:1] == ["Person tries the back door."]
    assert all(c["risk_level"] != "low" for c in suspicious["citations"])

    nothing = await _ask(api, "any bears at the front door yesterday?")
    assert nothing["citations"] == [] and nothing["answer"] == "No events match that question."


async def test_bad_questions_get_a_clear_error(api: LiveApi) -> None:
    for body in ({"question": ""}, {"question": "x" * 501}, {"q": "hi"}, {"question": "hi", "limit": 0}):
        resp = await api.request("POST", "/api/ask", json=body)
        assert resp.status == 400, body
        assert "error" in await resp.json()


# --- semantic retrieval and LLM-written answers -----------------------------------------------


async def _seed_three(seed: Seeder) -> dict[str, str]:
    seed.base = datetime.now(UTC).replace(microsecond=0) - timedelta(days=1)
    events = {}
    for minutes, camera, summary, objects, score in (
        (0, "street", "Delivery truck blocks the street.", {"truck": 1}, 22),
        (10, "backyard", "Person climbs over the back fence.", {"person": 1}, 75),
        (20, "driveway", "Resident's car parks in the driveway.", {"car": 1}, 8),
    ):
        e = await seed.event(camera, minutes=minutes, score=score, summary=summary, objects=objects)
        events[summary] = e["id"]
    return events


@pytest.fixture
async def completions() -> AsyncIterator[tuple[str, list[dict[str, Any]], list[str]]]:
    """An OpenAI-compatible server on 127.0.0.1: answers with the queued texts, records requests."""
    requests: list[dict[str, Any]] = []
    answers: list[str] = []

    async def chat(request: web.Request) -> web.Response:
        requests.append(await request.json())
        content = answers.pop(0) if answers else "I cannot tell."
        return web.json_response({"choices": [{"message": {"role": "assistant", "content": content}}]})

    app = web.Application()
    app.router.add_post("/v1/chat/completions", chat)
    runner = web.AppRunner(app, shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield f"http://127.0.0.1:{port}", requests, answers
    await runner.cleanup()


async def test_semantic_retrieval_and_an_llm_answer_citing_the_retrieved_events(
    start_api: Callable[..., Awaitable[LiveApi]],
    make_ctx: Callable[..., ApiContext],
    seed: Seeder,
    minilm: MiniLMEmbedder,
    completions: tuple[str, list[dict[str, Any]], list[str]],
) -> None:
    url, requests, answers = completions
    ids = await _seed_three(seed)
    ctx = make_ctx()
    ctx.ask_index = await AskIndex.open(ctx.pool, minilm, tz=ZoneInfo("UTC"))
    assert await ctx.ask_index.sync() == 3
    llm = OpenAIAssessor(url, "any", timeout_s=5.0)
    ctx.ask_llm = llm
    api = await start_api(ctx, admin=True)  # asking needs a key (keyless mode is read-only)
    try:
        answers.append("Yes: a delivery truck blocked the street [E1].")
        body = await _ask(api, "was the road obstructed in the last 3 days?")
        truck = ids["Delivery truck blocks the street."]
        assert body["retrieval"] == {"semantic": True, "search": "exact", "model": "all-MiniLM-L6-v2"}
        assert body["citations"][0]["id"] == truck  # no shared word: the embedding found it
        assert body["answered_by"] == "llm:openai" and body["llm_refused"] is None
        assert body["answer"] == f"Yes: a delivery truck blocked the street [{truck}]."
        prompt = requests[-1]["messages"][1]["content"]
        assert "[E1]" in prompt and "Delivery truck blocks the street." in prompt
        assert '"[E1]"' in requests[-1]["grammar"]  # references constrained to the retrieved ones

        # An answer citing an event that was not retrieved is refused: the extractive answer stands.
        answers.append("A person climbed the fence [E9].")
        refused = await _ask(api, "was the road obstructed in the last 3 days?")
        assert refused["answered_by"] == "extractive" and "[E9]" in refused["llm_refused"]
        assert refused["answer"].startswith(f"{len(refused['citations'])} matching event")
        stray = "0f0f0f0f-1111-2222-3333-444444444444"
        answers.append(f"Yes [E1], and event {stray} too.")
        invented = await _ask(api, "was the road obstructed in the last 3 days?")
        assert invented["answered_by"] == "extractive" and stray in invented["llm_refused"]
        answers.append("The street was blocked.")
        uncited = await _ask(api, "was the road obstructed in the last 3 days?")
        assert uncited["answered_by"] == "extractive" and "cites no event" in uncited["llm_refused"]
        # llm=false asks for the extractive answer without calling the LLM.
        calls = len(requests)
        plain = await _ask(api, "was the road obstructed in the last 3 days?", llm=False)
        assert plain["answered_by"] == "extractive" and len(requests) == calls
    finally:
        await llm.close()


async def test_a_real_gguf_under_the_answer_grammar_cites_only_retrieved_events(
    start_api: Callable[..., Awaitable[LiveApi]],
    make_ctx: Callable[..., ApiContext],
    seed: Seeder,
    tmp_path: Path,
) -> None:
    await _seed_three(seed)
    # The tiny vocabulary spells most words letter by letter: give the prompt room.
    model = write_tiny_llama_gguf(tmp_path / "tiny.gguf", context_length=4096)
    llm = LlamaCppAssessor(model, n_ctx=4096, seed=1)
    ctx = make_ctx()
    # A letter per token: the longest answer the grammar allows (~800 characters) must fit.
    ctx.settings = ctx.settings.replace(ask_llm_max_tokens=1200)
    ctx.ask_llm = llm
    api = await start_api(ctx, admin=True)  # asking needs a key (keyless mode is read-only)
    try:
        for question in ("anything in the last 3 days?", "any vehicles in the last 3 days?"):
            body = await _ask(api, question, limit=3)
            assert body["answered_by"] == "llm:llama_cpp", body["llm_refused"]  # noise, but well-formed
            marks = re.findall(r"\[([^\]]+)\]", body["answer"])
            assert marks and set(marks) <= {c["id"] for c in body["citations"]}
    finally:
        llm.close()


async def test_digest_route_gives_counts_notable_events_and_text(api: LiveApi, seed: Seeder) -> None:
    seed.base = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    alarm = await seed.event(
        "backyard", score=80, summary="Person tries the back door.", objects={"person": 1}
    )
    await seed.event("driveway", minutes=5, score=5, summary="Resident's car arrives.", objects={"car": 1})
    day = seed.base.date().isoformat()
    resp = await api.get(f"/api/ask/digest?period=day&date={day}")
    body = await resp.json()
    assert resp.status == 200, body
    assert body["events"] == 2 and body["by_camera"] == {"backyard": 1, "driveway": 1}
    assert [n["id"] for n in body["notable"]] == [alarm["id"]]
    assert body["text"].startswith(f"Day ending {day}: 2 event(s)")
    bad = await api.get("/api/ask/digest?period=month")
    assert bad.status == 400 and "error" in await bad.json()


async def test_a_question_without_any_filter_is_reworded_by_the_llm_into_filters_the_parser_knows(
    start_api: Callable[..., Awaitable[LiveApi]],
    make_ctx: Callable[..., ApiContext],
    seed: Seeder,
    completions: tuple[str, list[dict[str, Any]], list[str]],
) -> None:
    url, requests, answers = completions
    seed.base = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=3)
    door = await seed.event("front_door", score=15, summary="Courier leaves a parcel.", objects={"person": 1})
    await seed.event("driveway", minutes=5, score=10, summary="Resident's car arrives.", objects={"car": 1})
    ctx = make_ctx()
    llm = OpenAIAssessor(url, "any", timeout_s=5.0)
    ctx.ask_llm = llm
    api = await start_api(ctx, admin=True)

    def rewrites() -> list[dict[str, Any]]:
        return [r for r in requests if "{0,24}" in r.get("grammar", "")]

    try:
        answers.extend(["Was a person at the front door?", "A courier left a parcel [E1]."])
        body = await _ask(api, "did the mail carrier come by?")
        assert (
            len(rewrites()) == 1
            and rewrites()[0]["messages"][1]["content"] == "did the mail carrier come by?"
        )
        assert "front door" in rewrites()[0]["messages"][0]["content"]  # the home's own camera names
        understood = body["understood"]
        assert (
            understood["rewritten"] == "Was a person at the front door?"
            and understood["rewrite_refused"] is None
        )
        assert understood["cameras"] == ["front_door"] and understood["categories"] == ["person"]
        assert [c["id"] for c in body["citations"]] == [door["id"]]
        assert (
            body["answered_by"] == "llm:openai"
            and body["answer"] == f"A courier left a parcel [{door['id']}]."
        )

        # A rewording that names no filter is refused: the question is searched as it was asked.
        answers.append("Did the postman come?")
        plain = await _ask(api, "did the mail carrier come by?", llm=True)
        assert (
            plain["understood"]["rewritten"] is None and "names no" in plain["understood"]["rewrite_refused"]
        )
        assert plain["understood"]["cameras"] == [] and plain["understood"]["categories"] == []

        # A question the parser understands, or llm=false, never asks for a rewording.
        before = len(rewrites())
        understood_q = await _ask(api, "any person at the driveway today?")
        offline = await _ask(api, "did the mail carrier come by?", llm=False)
        assert len(rewrites()) == before
        assert (
            understood_q["understood"]["rewritten"] is None
            and understood_q["understood"]["rewrite_refused"] is None
        )
        assert offline["understood"]["rewrite_refused"] is None
    finally:
        await llm.close()
