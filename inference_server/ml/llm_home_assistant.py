"""Risk assessment by Home Assistant's AI Task (`llm_backend: home_assistant`).

The server calls HA's `ai_task.generate_data` action through HA's REST API
(`POST {ha_url}/api/services/ai_task/generate_data?return_response`, a long-lived access token as
bearer) with the same instructions and event facts as the other LLM backends and a `structure`
(HA's structured-output form: one selector per key), so whatever AI provider the user set up in
HA (Ollama, OpenAI, Google, ...) scores events. Inside the Home Assistant add-on the Supervisor
proxy (`http://supervisor/core`, token SUPERVISOR_TOKEN) is used when no URL is set.

Feature detection: before the first call, `GET /api/services` must list `ai_task.generate_data`
(HA 2025.8 and later); otherwise every call fails with a clear AssessmentFailed and the event is
scored by the heuristic (never a crash on older HA). The answer (`service_response.data`) is
validated by `parse_assessment` like any LLM answer.

Not done: snapshot attachments. HA's `attachments` take media-source ids of media HA itself
serves, and our key frames live on the inference server, so this backend is text-only; use the
vision step (`vlm_url`) for images. `ai_task.evaluate` (per-level probabilities) is not used: it
is not in any HA release this project can test against.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from typing import Any, Final

import aiohttp

from inference_server.domain.assessment import (
    REASONING_MAX_CHARS,
    SUMMARY_MAX_CHARS,
    InvalidAssessment,
    parse_assessment,
)
from inference_server.domain.context import EventContext
from inference_server.domain.prompt import build_messages
from inference_server.domain.risk import RiskAssessment
from inference_server.ml.protocols import AssessmentFailed

log = logging.getLogger(__name__)

SUPERVISOR_URL: Final = "http://supervisor/core"
TASK_NAME: Final = "Home Security Intelligence risk assessment"

# HA's structured output: a selector per key (ai_task.generate_data `structure`).
STRUCTURE: Final[dict[str, Any]] = {
    "risk_score": {
        "description": "Risk from 0 (ordinary life) to 100 (break-in in progress), an integer",
        "required": True,
        "selector": {"number": {"min": 0, "max": 100, "step": 1, "mode": "box"}},
    },
    "summary": {
        "description": f"One sentence for a phone notification, at most {SUMMARY_MAX_CHARS} characters",
        "required": True,
        "selector": {"text": {}},
    },
    "reasoning": {
        "description": f"The cues that set the score, at most {REASONING_MAX_CHARS} characters",
        "required": True,
        "selector": {"text": {"multiline": True}},
    },
}


class HomeAssistantAssessor:
    """Scores events with HA's ai_task.generate_data over the REST API."""

    name = "home_assistant"

    def __init__(
        self,
        url: str | None,
        token: str | None,
        *,
        entity_id: str | None = None,
        timeout_s: float = 30.0,
        session: aiohttp.ClientSession | None = None,
    ) -> None:
        """`url`/`token` None: the Supervisor proxy and SUPERVISOR_TOKEN (inside the add-on)."""
        self.base = (url or SUPERVISOR_URL).rstrip("/")
        self._token = token or os.environ.get("SUPERVISOR_TOKEN")
        self.entity_id = entity_id
        self.model_id = f"ha:{entity_id or 'default'}"
        self._timeout_s = timeout_s
        self._session = session
        self._owns_session = session is None
        self._available: bool | None = None  # feature detection result, None = not checked yet

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._token}"} if self._token else {}

    async def supports_ai_task(self) -> bool:
        """Whether this HA offers ai_task.generate_data (GET /api/services)."""
        session = self._ensure_session()
        async with session.get(f"{self.base}/api/services", headers=self._headers()) as response:
            body = await response.text()
            if response.status in (401, 403):
                raise AssessmentFailed(
                    f"Home Assistant at {self.base} refused the token (HTTP {response.status}): "
                    "set ha_token to a long-lived access token"
                )
            if response.status >= 400:
                raise AssessmentFailed(f"Home Assistant at {self.base} answered HTTP {response.status}")
        try:
            domains = json.loads(body)
            return any(
                d.get("domain") == "ai_task" and "generate_data" in (d.get("services") or {}) for d in domains
            )
        except (ValueError, AttributeError, TypeError) as exc:
            raise AssessmentFailed(f"Home Assistant at {self.base} sent an unreadable service list") from exc

    async def assess(self, context: EventContext) -> RiskAssessment:
        """A validated assessment from HA's AI Task, or AssessmentFailed saying why."""
        system, user = build_messages(context)
        payload: dict[str, Any] = {
            "task_name": TASK_NAME,
            "instructions": f"{system['content']}\n\n{user['content']}",
            "structure": STRUCTURE,
        }
        if self.entity_id:
            payload["entity_id"] = self.entity_id
        url = f"{self.base}/api/services/ai_task/generate_data?return_response"
        try:
            async with asyncio.timeout(self._timeout_s):
                if self._available is None:
                    self._available = await self.supports_ai_task()
                if not self._available:
                    raise AssessmentFailed(
                        f"Home Assistant at {self.base} has no ai_task.generate_data action "
                        "(it needs Home Assistant 2025.8 or later and an AI Task entity)"
                    )
                session = self._ensure_session()
                async with session.post(url, json=payload, headers=self._headers()) as response:
                    body = await response.text()
                    status = response.status
        except TimeoutError:
            raise AssessmentFailed(f"Home Assistant gave no answer within {self._timeout_s:g} s") from None
        except aiohttp.ClientError as exc:
            self._available = None  # check again once HA is back
            raise AssessmentFailed(
                f"cannot reach Home Assistant at {self.base} ({exc.__class__.__name__}): is ha_url right?"
            ) from exc
        if status >= 400:
            detail = " ".join(body.split())[:300]
            raise AssessmentFailed(
                f"Home Assistant answered HTTP {status} to ai_task.generate_data: {detail}"
            )
        try:
            data = json.loads(body)["service_response"]["data"]
        except (ValueError, KeyError, TypeError) as exc:
            raise AssessmentFailed("Home Assistant's answer has no service_response.data") from exc
        if (
            isinstance(data, dict)
            and isinstance(data.get("risk_score"), float)
            and data["risk_score"].is_integer()
        ):
            data["risk_score"] = int(data["risk_score"])  # HA's number selector gives 42.0
        text = data if isinstance(data, str) else json.dumps(data)
        try:
            return parse_assessment(text, self.name)
        except InvalidAssessment as exc:
            raise AssessmentFailed(f"the AI Task answer is invalid: {exc}") from exc

    def _ensure_session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
            self._owns_session = True
        return self._session

    async def close(self) -> None:
        """Close the HTTP session if this assessor created it."""
        if self._owns_session and self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None
