"""Risk assessment by any OpenAI-compatible chat server (llama.cpp server, vLLM, NIM, Ollama)."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any, Final

import aiohttp

from inference_server.domain.assessment import ASSESSMENT_SCHEMA, InvalidAssessment, parse_assessment
from inference_server.domain.context import EventContext
from inference_server.domain.prompt import build_messages
from inference_server.domain.risk import RiskAssessment
from inference_server.ml.grammar import assessment_gbnf
from inference_server.ml.protocols import AssessmentFailed

log = logging.getLogger(__name__)

# How the answer is constrained, best first. Servers differ: llama-cpp-python's server (0.3.36)
# takes `grammar` but refuses a json_schema response_format (HTTP 500 carrying a validation
# error); llama.cpp's own server refuses both at once; OpenAI refuses the unknown `grammar`
# field. A refusal moves to the next way, and the way that worked is kept for later calls.
# The answer is validated in every case.
_CONSTRAINTS: Final = ("schema+grammar", "grammar", "schema", "none")
_REJECTED_STATUSES: Final = frozenset({400, 422})
_MAX_ERROR_BODY = 300


class OpenAIAssessor:
    """Scores events through POST {base_url}/v1/chat/completions, output constrained and validated."""

    name = "openai"

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        api_key: str | None = None,
        timeout_s: float = 30.0,
        session: aiohttp.ClientSession | None = None,
        max_tokens: int = 400,
        temperature: float = 0.1,
    ) -> None:
        """`base_url` may end with or without /v1; a given session is used but not closed."""
        base = base_url.rstrip("/")
        if base.endswith("/v1"):
            base = base[: -len("/v1")]
        self.url = f"{base}/v1/chat/completions"
        self._model = model
        self._api_key = api_key
        self._timeout_s = timeout_s
        self._session = session
        self._owns_session = session is None
        self._max_tokens = max_tokens
        self._temperature = temperature
        self._constraint = 0  # index into _CONSTRAINTS

    async def assess(self, context: EventContext) -> RiskAssessment:
        """Return a validated assessment, or raise AssessmentFailed saying why."""
        messages = build_messages(context)
        started = time.perf_counter()
        try:
            async with asyncio.timeout(self._timeout_s):
                text = await self._complete(messages)
        except TimeoutError:
            raise AssessmentFailed(f"{self.url} gave no answer within {self._timeout_s:g} s") from None
        except aiohttp.ClientConnectionError as exc:
            raise AssessmentFailed(
                f"cannot reach the LLM server at {self.url} ({exc.__class__.__name__}: {exc}): "
                "is it running and is HSI_LLM_URL right?"
            ) from exc
        except aiohttp.ClientError as exc:
            raise AssessmentFailed(f"request to {self.url} failed: {exc.__class__.__name__}: {exc}") from exc
        try:
            assessment = parse_assessment(text, self.name)
        except InvalidAssessment as exc:
            raise AssessmentFailed(f"the answer of {self.url} is invalid: {exc}") from exc
        log.debug("llm_assessed backend=openai seconds=%.3f", time.perf_counter() - started)
        return assessment

    async def complete_text(
        self, messages: list[dict[str, str]], *, grammar: str | None = None, max_tokens: int = 300
    ) -> str:
        """Free text for `messages` (the ask answers): sent with `grammar` where the server takes
        it, without when it refuses it. Raises AssessmentFailed on any failure, timeout included."""
        session = self._ensure_session()
        headers = {"Authorization": f"Bearer {self._api_key}"} if self._api_key else {}
        base: dict[str, Any] = {
            "model": self._model,
            "messages": messages,
            "temperature": self._temperature,
            "max_tokens": max_tokens,
            "stream": False,
        }
        attempts = [{**base, "grammar": grammar}, base] if grammar else [base]
        try:
            async with asyncio.timeout(self._timeout_s):
                for n, payload in enumerate(attempts):
                    async with session.post(self.url, json=payload, headers=headers) as response:
                        body = (await response.read()).decode("utf-8", errors="replace")
                        if _refuses_constraint(response.status, body) and n + 1 < len(attempts):
                            continue
                        if response.status >= 400:
                            raise AssessmentFailed(_http_error(self.url, response.status, body))
                        return _answer_text(self.url, body)
        except TimeoutError:
            raise AssessmentFailed(f"{self.url} gave no answer within {self._timeout_s:g} s") from None
        except aiohttp.ClientError as exc:
            raise AssessmentFailed(f"request to {self.url} failed: {exc.__class__.__name__}: {exc}") from exc
        raise AssertionError("unreachable")  # pragma: no cover

    async def _complete(self, messages: list[dict[str, str]]) -> str:
        session = self._ensure_session()
        headers = {"Authorization": f"Bearer {self._api_key}"} if self._api_key else {}
        for index in range(self._constraint, len(_CONSTRAINTS)):
            payload = self._payload(messages, _CONSTRAINTS[index])
            async with session.post(self.url, json=payload, headers=headers) as response:
                body = (await response.read()).decode("utf-8", errors="replace")
                if _refuses_constraint(response.status, body) and index + 1 < len(_CONSTRAINTS):
                    log.info(
                        "llm_constraint_rejected url=%s constraint=%s status=%d next=%s",
                        self.url,
                        _CONSTRAINTS[index],
                        response.status,
                        _CONSTRAINTS[index + 1],
                    )
                    continue
                if response.status >= 400:
                    raise AssessmentFailed(_http_error(self.url, response.status, body))
                self._constraint = index
                return _answer_text(self.url, body)
        raise AssertionError("unreachable")  # pragma: no cover

    def _payload(self, messages: list[dict[str, str]], constraint: str) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "model": self._model,
            "messages": messages,
            "temperature": self._temperature,
            "max_tokens": self._max_tokens,
            "stream": False,
        }
        if "schema" in constraint:
            payload["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": "risk_assessment", "strict": True, "schema": ASSESSMENT_SCHEMA},
            }
        if "grammar" in constraint:
            payload["grammar"] = assessment_gbnf()
        return payload

    def _ensure_session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self._timeout_s))
            self._owns_session = True
        return self._session

    async def close(self) -> None:
        """Close the HTTP session if this assessor created it."""
        if self._owns_session and self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None


def _refuses_constraint(status: int, body: str) -> bool:
    if status in _REJECTED_STATUSES:
        return True
    return status == 500 and ("response_format" in body or "grammar" in body)


def _http_error(url: str, status: int, body: str) -> str:
    detail = " ".join(body.split())[:_MAX_ERROR_BODY]
    hint = " Check the API key." if status in (401, 403) else ""
    return f"{url} answered HTTP {status}: {detail or '(empty body)'}.{hint}"


def _answer_text(url: str, body: str) -> str:
    """The assistant message of a chat completion response body."""
    try:
        data = json.loads(body)
        choice = data["choices"][0]
        content = choice["message"]["content"]
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        shown = " ".join(body.split())[:120]
        raise AssessmentFailed(f"{url} did not answer with a chat completion: {shown!r}") from exc
    if not isinstance(content, str):
        raise AssessmentFailed(f"{url} answered without message content")
    if choice.get("finish_reason") == "length":
        raise AssessmentFailed(f"{url} cut the answer off at max_tokens before the JSON object closed")
    return content
