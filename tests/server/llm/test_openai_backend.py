"""The OpenAI-compatible backend against a real llama_cpp.server and against broken servers."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator

import aiohttp
import pytest
from aiohttp import web

from inference_server.domain.context import EventContext
from inference_server.domain.prompt import build_messages
from inference_server.ml.grammar import assessment_gbnf
from inference_server.ml.llm_openai import OpenAIAssessor
from inference_server.ml.protocols import AssessmentFailed, RiskAssessor
from tests.support.tiny_gguf import write_tiny_llama_gguf

CONTEXT = EventContext(
    camera="driveway",
    camera_name="Driveway",
    started_at="2026-11-26T14:02:00+01:00",
    ended_at="2026-11-26T14:03:00+01:00",
    local_time="14:02",
    weekday="Thursday",
    is_night=False,
    objects={"person": 1, "truck": 1},
    attributes=("carrying_package",),
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real `python -m llama_cpp.server` serving the tiny GGUF; yields its base URL."""
    model = write_tiny_llama_gguf(tmp_path_factory.mktemp("llm") / "tiny.gguf")
    port = _free_port()
    log_path = model.with_suffix(".log")
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "llama_cpp.server",
                "--model",
                str(model),
                "--model_alias",
                "tiny",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--n_ctx",
                "4096",
                "--n_threads",
                "1",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            if process.poll() is not None:
                pytest.fail(
                    f"llama_cpp.server exited with {process.returncode}: {log_path.read_text()[-2000:]}"
                )
            try:
                with urllib.request.urlopen(f"{base_url}/v1/models", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"llama_cpp.server not ready after 90 s: {log_path.read_text()[-2000:]}")
            time.sleep(0.2)
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


async def test_assessment_through_a_real_llama_cpp_server(llama_server: str) -> None:
    assessor = OpenAIAssessor(f"{llama_server}/v1/", "tiny", timeout_s=60.0)
    try:
        first = await assessor.assess(CONTEXT)
        second = await assessor.assess(CONTEXT)
    finally:
        await assessor.close()

    typed: RiskAssessor = assessor  # satisfies the protocol (checked statically)
    assert typed.name == "openai"
    assert assessor.url == f"{llama_server}/v1/chat/completions"
    for assessment in (first, second):
        assert assessment.assessed_by == "openai"
        assert 0 <= assessment.risk_score <= 100


async def test_llama_cpp_server_takes_the_grammar_field_but_refuses_a_json_schema_response_format(
    llama_server: str,
) -> None:
    """Why the backend falls back: this server version refuses response_format json_schema."""
    base = {
        "model": "tiny",
        "messages": build_messages(CONTEXT),
        "max_tokens": 8,
        "grammar": assessment_gbnf(),
    }
    schema_format = {"type": "json_schema", "json_schema": {"name": "a", "schema": {"type": "object"}}}
    url = f"{llama_server}/v1/chat/completions"
    async with aiohttp.ClientSession() as session:
        async with session.post(url, json={**base, "response_format": schema_format}) as response:
            with_schema = response.status
            refusal = await response.text()
        async with session.post(url, json=base) as response:
            grammar_only = response.status
            body = await response.json()

    assert with_schema == 500  # a validation error, reported as 500 by this server
    assert "response_format" in refusal and "json_object" in refusal
    assert grammar_only == 200
    assert body["choices"][0]["message"]["content"].startswith("{")


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@pytest.fixture
async def fake_server() -> AsyncIterator[Callable[[Handler], Awaitable[str]]]:
    """Start a real aiohttp server answering /v1/chat/completions with a given handler."""
    runners: list[web.AppRunner] = []

    async def start(handler: Handler) -> str:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", handler)
        runner = web.AppRunner(app, shutdown_timeout=0.5)
        await runner.setup()
        runners.append(runner)
        port = _free_port()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        return f"http://127.0.0.1:{port}"

    yield start
    for runner in runners:
        await runner.cleanup()


def _completion(content: str) -> web.Response:
    return web.json_response({"choices": [{"message": {"role": "assistant", "content": content}}]})


async def _assess(base_url: str, timeout_s: float = 5.0) -> None:
    assessor = OpenAIAssessor(base_url, "any", timeout_s=timeout_s)
    try:
        await assessor.assess(CONTEXT)
    finally:
        await assessor.close()


async def test_server_answering_prose_gives_assessment_failed(
    fake_server: Callable[[Handler], Awaitable[str]],
) -> None:
    async def prose(request: web.Request) -> web.Response:
        return _completion("I think the risk is low, around 10.")

    url = await fake_server(prose)
    with pytest.raises(AssessmentFailed, match="invalid: the answer is not one JSON object"):
        await _assess(url)


async def test_server_answering_garbage_bytes_gives_assessment_failed(
    fake_server: Callable[[Handler], Awaitable[str]],
) -> None:
    async def garbage(request: web.Request) -> web.Response:
        return web.Response(body=b"\x00\xffnot json", content_type="application/octet-stream")

    url = await fake_server(garbage)
    with pytest.raises(AssessmentFailed, match="did not answer with a chat completion"):
        await _assess(url)


async def test_out_of_range_score_from_the_server_is_refused(
    fake_server: Callable[[Handler], Awaitable[str]],
) -> None:
    async def too_high(request: web.Request) -> web.Response:
        return _completion('{"risk_score": 9680, "summary": "x", "reasoning": "y"}')

    url = await fake_server(too_high)
    with pytest.raises(AssessmentFailed, match=r"within 0\.\.100"):
        await _assess(url)


async def test_server_error_gives_assessment_failed_with_the_status(
    fake_server: Callable[[Handler], Awaitable[str]],
) -> None:
    async def broken(request: web.Request) -> web.Response:
        return web.Response(status=500, text="model crashed")

    url = await fake_server(broken)
    with pytest.raises(AssessmentFailed, match="HTTP 500: model crashed"):
        await _assess(url)


async def test_rejected_constraints_fall_back_until_the_server_accepts(
    fake_server: Callable[[Handler], Awaitable[str]],
) -> None:
    seen: list[tuple[bool, bool]] = []

    async def openai_like(request: web.Request) -> web.Response:
        payload = await request.json()
        seen.append(("response_format" in payload, "grammar" in payload))
        if "grammar" in payload:
            return web.json_response(
                {"error": {"message": "Unrecognized request argument: grammar"}}, status=400
            )
        return _completion('{"risk_score": 12, "summary": "A delivery.", "reasoning": "Daytime, package."}')

    url = await fake_server(openai_like)
    assessor = OpenAIAssessor(url, "gpt", api_key="secret")
    try:
        first = await assessor.assess(CONTEXT)
        second = await assessor.assess(CONTEXT)
    finally:
        await assessor.close()

    assert first.risk_score == second.risk_score == 12
    # schema+grammar refused, grammar refused, schema accepted; later calls go straight to it.
    assert seen == [(True, True), (False, True), (True, False), (True, False)]


async def test_slow_server_gives_assessment_failed_after_the_timeout(
    fake_server: Callable[[Handler], Awaitable[str]],
) -> None:
    answered = asyncio.Event()

    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(5)
        answered.set()
        return _completion("{}")

    url = await fake_server(slow)
    with pytest.raises(AssessmentFailed, match=r"within 0\.3 s"):
        await _assess(url, timeout_s=0.3)
    # Proven by outcome, not elapsed time: the assessor gave up before the server ever answered.
    assert not answered.is_set()


async def test_connection_refused_gives_assessment_failed() -> None:
    url = f"http://127.0.0.1:{_free_port()}"

    with pytest.raises(AssessmentFailed, match="cannot reach the LLM server"):
        await _assess(url)
