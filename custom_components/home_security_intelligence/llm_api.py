"""Assist: an LLM API whose tools list and search the server's events and ask its history."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import voluptuous as vol
from homeassistant.core import HomeAssistant
from homeassistant.helpers import llm
from homeassistant.util import dt as dt_util
from homeassistant.util.json import JsonObjectType, JsonValueType

from . import contract
from .api import HsiError
from .const import DOMAIN, MAX_EVENT_HISTORY
from .data import HsiConfigEntry

_FILTERS: dict[vol.Marker, Any] = {
    vol.Optional("since", description="Start of the time range, ISO 8601 (local time if no offset)"): str,
    vol.Optional("until", description="End of the time range, ISO 8601 (local time if no offset)"): str,
    vol.Optional("hours", description="Alternative to since: look back this many hours"): vol.All(
        vol.Coerce(int), vol.Range(min=1, max=24 * 31)
    ),
    vol.Optional("camera", description="Camera name or id"): str,
    vol.Optional("object", description="Object class seen, e.g. person, car, dog"): str,
    vol.Optional("min_risk", description="Minimum risk score 0-100"): vol.All(
        vol.Coerce(int), vol.Range(min=0, max=100)
    ),
    vol.Optional("limit", description="Maximum number of events (newest first)"): vol.All(
        vol.Coerce(int), vol.Range(min=1, max=MAX_EVENT_HISTORY)
    ),
}

# Home Assistant 2026.10 made tools return llm.ToolResult (a bare dict is deprecated) and added
# ToolAnnotations; the floor (2025.4) has neither, so both are looked up, not imported.
_TOOL_RESULT: Any = getattr(llm, "ToolResult", None)
_TOOL_ANNOTATIONS: Any = getattr(llm, "ToolAnnotations", None)


def _result(data: JsonObjectType) -> Any:
    """The tool's answer in the form this Home Assistant expects."""
    if _TOOL_RESULT is None:
        return data
    return _TOOL_RESULT(data=data, error="error" in data)


PROMPT = (
    "Use the security event tools to answer questions about what the cameras of "
    "'{title}' saw. Events have a risk score 0-100 ("
    + contract.bands_text()
    + "), a summary, the objects seen and the camera. Times are ISO 8601; now is {now}. "
    "Cameras: {cameras}. For questions in plain words ('was anyone in the garden last night?', "
    "'any unknown cars this week?') use ask_security_history; it answers from the events it cites. "
    "Answer briefly; mention the camera, the time and the risk."
)


class _EventTool(llm.Tool):
    """Shared filter handling of the event tools."""

    integration = DOMAIN

    def __init__(self, entry: HsiConfigEntry) -> None:
        self.entry = entry
        if _TOOL_ANNOTATIONS is not None:
            # Reads events from the local server: no writes, nothing outside the home network.
            self.annotations = _TOOL_ANNOTATIONS(
                read_only=True, destructive=False, idempotent=True, open_world=False
            )

    def _camera_id(self, value: str) -> str:
        cameras = self.entry.runtime_data.coordinator.data.cameras
        wanted = value.strip().casefold()
        for camera_id, camera in cameras.items():
            if wanted in (camera_id.casefold(), str(camera.get("name", "")).casefold()):
                return camera_id
        return value

    def _filters(self, args: dict[str, Any]) -> dict[str, Any]:
        filters: dict[str, Any] = {
            "limit": args.get("limit", self.entry.runtime_data.coordinator.event_history)
        }
        for key in ("object", "min_risk"):
            if key in args:
                filters[key] = args[key]
        if "camera" in args:
            filters["camera"] = self._camera_id(args["camera"])
        if "hours" in args:
            filters["since"] = (dt_util.utcnow() - timedelta(hours=args["hours"])).isoformat()
        for key in ("since", "until"):
            if key in args:
                filters[key] = _parse_time(args[key]).isoformat()
        return filters

    async def _fetch(self, query: str | None, args: dict[str, Any]) -> Any:
        return _result(await self._fetch_data(query, args))

    async def _fetch_data(self, query: str | None, args: dict[str, Any]) -> JsonObjectType:
        try:
            filters = self._filters(args)
        except ValueError as err:
            return {"error": str(err)}
        client = self.entry.runtime_data.client
        try:
            if query is None:
                page = await client.get_events(**filters)
            else:
                page = await client.search_events(query, **filters)
        except HsiError as err:
            return {"error": f"The security server could not answer: {err}"}
        events: list[JsonValueType] = [_compact(event) for event in page.get("events", [])]
        return {"count": len(events), "more_available": bool(page.get("next_cursor")), "events": events}


def _parse_time(value: str) -> datetime:
    parsed = dt_util.parse_datetime(value)
    if parsed is None:
        raise ValueError(f"not an ISO 8601 time: {value!r}")
    return dt_util.as_utc(parsed)


def _compact(event: dict[str, Any]) -> JsonObjectType:
    """What an answer needs, with times in local time."""
    started = dt_util.parse_datetime(str(event.get("started_at", "")))
    compact: JsonObjectType = {
        "id": event.get("id"),
        "camera": event.get("camera_name") or event.get("camera"),
        "time": dt_util.as_local(started).isoformat() if started else event.get("started_at"),
        "risk_score": event.get("risk_score"),
        "risk_level": event.get("risk_level"),
        "summary": event.get("summary"),
        "objects": event.get("objects", {}),
        "zones": event.get("zones", []),
        "reviewed": event.get("reviewed", False),
    }
    if event.get("snippet"):
        compact["snippet"] = event["snippet"]
    return compact


class ListEventsTool(_EventTool):
    """List events by time range, camera, object and minimum risk."""

    name = "list_security_events"
    description = (
        "List security camera events, newest first, filtered by time range, camera, "
        "object class and minimum risk score."
    )
    parameters = vol.Schema(_FILTERS)

    async def async_call(
        self, hass: HomeAssistant, tool_input: llm.ToolInput, llm_context: llm.LLMContext
    ) -> Any:
        """Query GET /api/events."""
        return await self._fetch(None, tool_input.tool_args)


class SearchEventsTool(_EventTool):
    """Full-text search over event summaries and reasoning."""

    name = "search_security_events"
    description = (
        "Search security camera events by words in their summary and reasoning "
        "(e.g. 'red car', 'delivery'), with the same optional filters."
    )
    parameters = vol.Schema({vol.Required("query", description="Words to search for"): str, **_FILTERS})

    async def async_call(
        self, hass: HomeAssistant, tool_input: llm.ToolInput, llm_context: llm.LLMContext
    ) -> Any:
        """Query GET /api/events/search."""
        args = dict(tool_input.tool_args)
        return await self._fetch(str(args.pop("query")), args)


class AskHistoryTool(_EventTool):
    """A question in plain words, answered by the server from the events it cites (POST /api/ask)."""

    name = "ask_security_history"
    description = (
        "Ask the security event history a question in plain words (time expressions such as "
        "'last night' or 'this week', camera and zone names, known/unknown people and vehicles). "
        "Returns an answer and the events it is based on."
    )
    parameters = vol.Schema(
        {
            vol.Required(
                "question", description="The question, e.g. 'Was anyone at the back door last night?'"
            ): str,
            vol.Optional("limit", description="Maximum number of events to cite"): vol.All(
                vol.Coerce(int), vol.Range(min=1, max=20)
            ),
        }
    )

    async def async_call(
        self, hass: HomeAssistant, tool_input: llm.ToolInput, llm_context: llm.LLMContext
    ) -> Any:
        """Query POST /api/ask; times of the cited events in local time."""
        args = tool_input.tool_args
        question = str(args.get("question", "")).strip()
        if not question:
            return _result({"error": "Ask a question."})
        try:
            answer = await self.entry.runtime_data.client.ask(question, args.get("limit"))
        except HsiError as err:
            return _result({"error": f"The security server could not answer: {err}"})
        cameras = self.entry.runtime_data.coordinator.data.cameras
        citations: list[JsonValueType] = [
            _compact({"camera_name": cameras.get(str(c.get("camera")), {}).get("name"), **c})
            for c in answer.get("citations") or []
            if isinstance(c, dict)
        ]
        return _result({"answer": str(answer.get("answer", "")), "events": citations})


class HsiLlmApi(llm.API):
    """The tools of one inference server."""

    def __init__(self, hass: HomeAssistant, entry: HsiConfigEntry) -> None:
        """One API per config entry."""
        super().__init__(hass=hass, id=f"{DOMAIN}-{entry.entry_id}", name=f"Security events ({entry.title})")
        self.entry = entry

    async def async_get_api_instance(self, llm_context: llm.LLMContext) -> llm.APIInstance:
        """Tools plus a short prompt naming the cameras."""
        cameras = self.entry.runtime_data.coordinator.data.cameras
        names = ", ".join(str(c.get("name") or cid) for cid, c in cameras.items()) or "none"
        return llm.APIInstance(
            api=self,
            api_prompt=PROMPT.format(title=self.entry.title, now=dt_util.now().isoformat(), cameras=names),
            llm_context=llm_context,
            tools=[ListEventsTool(self.entry), SearchEventsTool(self.entry), AskHistoryTool(self.entry)],
        )


def async_register_llm_api(hass: HomeAssistant, entry: HsiConfigEntry) -> Callable[[], None]:
    """Register the API; the returned callable unregisters it."""
    return llm.async_register_api(hass, HsiLlmApi(hass, entry))
