"""Assist: the LLM API lists and searches events."""

from __future__ import annotations

import dataclasses
import importlib
from typing import Any

from homeassistant.core import Context, HomeAssistant
from homeassistant.helpers import llm
from pytest_homeassistant_custom_component.common import MockConfigEntry

from .hsi_server import FakeHsiServer


def _tool_schema(schema: Any, custom_serializer: Any) -> dict[str, Any]:
    """The JSON schema a conversation agent sends for a tool, converted the way this Home Assistant
    does it: probatio (the validation library that replaced voluptuous, 2026) where present,
    voluptuous_openapi before (the floor)."""
    try:
        probatio = importlib.import_module("probatio")
    except ImportError:
        converter = importlib.import_module("voluptuous_openapi")
        return dict(converter.convert(schema, custom_serializer=custom_serializer))
    return dict(probatio.to_openapi(schema, custom_serializer=custom_serializer, openapi_version="3.1.0"))


# LLMContext lost `user_prompt` after the floor: pass what this Home Assistant's one has.
_CONTEXT_ARGS: dict[str, Any] = {
    "platform": "test",
    "context": Context(),
    "user_prompt": "what happened?",
    "language": "en",
    "assistant": None,
    "device_id": None,
}
CONTEXT = llm.LLMContext(
    **{f.name: _CONTEXT_ARGS[f.name] for f in dataclasses.fields(llm.LLMContext) if f.name in _CONTEXT_ARGS}
)
TOOL_RESULT = getattr(llm, "ToolResult", None)  # 2026.10: tools return ToolResult, not a bare dict


async def _call_tool(instance: llm.APIInstance, tool_input: llm.ToolInput) -> Any:
    result = await instance.async_call_tool(tool_input)
    if TOOL_RESULT is None:
        return result
    assert isinstance(result, TOOL_RESULT)
    assert result.error == ("error" in result.data)
    return result.data


async def _api(hass: HomeAssistant, entry: MockConfigEntry) -> llm.APIInstance:
    return await llm.async_get_api(hass, f"home_security_intelligence-{entry.entry_id}", CONTEXT)


async def test_api_is_registered_and_unregistered(
    hass: HomeAssistant, hsi_server: FakeHsiServer, setup_entry: MockConfigEntry
) -> None:
    ids = [api.id for api in llm.async_get_apis(hass)]
    assert f"home_security_intelligence-{setup_entry.entry_id}" in ids
    instance = await _api(hass, setup_entry)
    assert [tool.name for tool in instance.tools] == [
        "list_security_events",
        "search_security_events",
        "ask_security_history",
    ]
    assert "Front door" in instance.api_prompt and "Garage" in instance.api_prompt
    await hass.config_entries.async_unload(setup_entry.entry_id)
    assert f"home_security_intelligence-{setup_entry.entry_id}" not in [
        api.id for api in llm.async_get_apis(hass)
    ]


async def test_list_events_by_time_camera_object_and_risk(
    hass: HomeAssistant, hsi_server: FakeHsiServer, setup_entry: MockConfigEntry
) -> None:
    hsi_server.add_event("garage", 20, {"cat": 1}, "A cat walks by.")
    instance = await _api(hass, setup_entry)
    result = await _call_tool(
        instance,
        llm.ToolInput(tool_name="list_security_events", tool_args={"camera": "Front Door", "min_risk": 50}),
    )
    assert result["count"] == 1
    event = result["events"][0]
    assert event["camera"] == "Front door"
    assert event["risk_score"] == 72
    assert event["summary"] == "A person lingers at the front door."
    assert hsi_server.requests[-1][2]["camera"] == "front_door"

    result = await _call_tool(
        instance,
        llm.ToolInput(
            tool_name="list_security_events",
            tool_args={
                "since": "2025-01-01T12:00:00",
                "until": "2025-01-03T00:00:00+00:00",
                "object": "person",
            },
        ),
    )
    assert [e["id"] for e in result["events"]] == ["evt-1"]

    result = await _call_tool(
        instance,
        llm.ToolInput(
            tool_name="list_security_events", tool_args={"hours": 1, "camera": "garage", "limit": 5}
        ),
    )
    assert [e["summary"] for e in result["events"]] == ["A cat walks by."]
    assert result["more_available"] is False

    result = await _call_tool(
        instance, llm.ToolInput(tool_name="list_security_events", tool_args={"since": "last tuesday"})
    )
    assert "error" in result


async def test_search_events(
    hass: HomeAssistant, hsi_server: FakeHsiServer, setup_entry: MockConfigEntry
) -> None:
    instance = await _api(hass, setup_entry)
    result = await _call_tool(
        instance,
        llm.ToolInput(
            tool_name="search_security_events", tool_args={"query": "lingers", "camera": "unknown"}
        ),
    )
    assert result["count"] == 0
    result = await _call_tool(
        instance, llm.ToolInput(tool_name="search_security_events", tool_args={"query": "front door"})
    )
    assert result["events"][0]["snippet"] == "A person lingers at the front door."

    await hsi_server.stop()
    result = await _call_tool(
        instance, llm.ToolInput(tool_name="search_security_events", tool_args={"query": "front door"})
    )
    assert result["error"].startswith("The security server could not answer")


async def test_tool_parameters_convert_to_json_schema(
    hass: HomeAssistant, hsi_server: FakeHsiServer, setup_entry: MockConfigEntry
) -> None:
    """Conversation agents send the tools to the model as OpenAPI/JSON schema."""
    instance = await _api(hass, setup_entry)
    schemas = {
        tool.name: _tool_schema(tool.parameters, instance.custom_serializer) for tool in instance.tools
    }
    assert schemas["search_security_events"]["required"] == ["query"]
    assert schemas["ask_security_history"]["required"] == ["question"]
    assert schemas["list_security_events"]["properties"]["min_risk"] == {
        "type": "integer",
        "minimum": 0,
        "maximum": 100,
        "description": "Minimum risk score 0-100",
    }
    assert set(schemas["list_security_events"]["properties"]) == {
        "since", "until", "hours", "camera", "object", "min_risk", "limit",
    }  # fmt: skip


async def test_ask_history_answers_with_the_cited_events(
    hass: HomeAssistant, hsi_server: FakeHsiServer, setup_entry: MockConfigEntry
) -> None:
    instance = await _api(hass, setup_entry)
    result = await _call_tool(
        instance,
        llm.ToolInput(tool_name="ask_security_history", tool_args={"question": "Who lingers at the door?"}),
    )
    assert "[evt-1]" in result["answer"]
    assert [(e["id"], e["camera"], e["risk_score"]) for e in result["events"]] == [
        ("evt-1", "Front door", 72)
    ]
    assert result["events"][0]["time"].startswith("2025-01-0")  # local time of the event
    assert hsi_server.asked[-1] == {"question": "Who lingers at the door?"}

    result = await _call_tool(
        instance, llm.ToolInput(tool_name="ask_security_history", tool_args={"question": "  "})
    )
    assert result == {"error": "Ask a question."}
    await hsi_server.stop()
    result = await _call_tool(
        instance,
        llm.ToolInput(tool_name="ask_security_history", tool_args={"question": "Anyone?", "limit": 2}),
    )
    assert result["error"].startswith("The security server could not answer")
