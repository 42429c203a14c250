"""The Home Assistant tests' fake server (tests/integration_ha/hsi_server.py) speaks the real API:
every route it fakes exists in the server's /api/openapi.json with that method, and what it
answers matches the documented response schema for that status."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from jsonschema_rs import Draft202012Validator  # schemathesis' validator

from tests.integration_ha.hsi_server import API_KEY, ENTITY_ID, FakeHsiServer
from tests.server.api.conftest import LiveApi

_PARAM = re.compile(r"\{[^}]+\}")
# Sample requests for each faked operation: (method, path with ids filled in, JSON body).
_CALLS: list[tuple[str, str, dict[str, Any] | None]] = [
    ("GET", "/api/system/health", None),
    ("GET", "/api/system/info", None),
    ("GET", "/api/system/stats", None),
    ("GET", "/api/cameras", None),
    ("POST", "/api/cameras/front_door/mute", {"minutes": 30}),
    ("GET", "/api/events?limit=1", None),
    ("GET", "/api/events?limit=500", None),
    ("GET", "/api/events/search?q=person", None),
    ("GET", "/api/events/evt-1", None),
    ("GET", "/api/events/evt-missing", None),
    ("PATCH", "/api/events/evt-1", {"reviewed": True, "notes": "ok"}),
    ("GET", "/api/events/evt-1/snapshot", None),
    ("GET", "/api/events/evt-1/clip", None),
    ("GET", "/api/media/x.jpg", None),
    ("GET", "/api/zones", None),
    (
        "POST",
        "/api/zones",
        {"camera": "garage", "name": "Door", "zone_type": "entry_point", "polygon": [[0, 0], [1, 0], [1, 1]]},
    ),
    ("POST", "/api/zones", {"camera": "garage", "name": "Door", "bogus": 1}),
    (
        "PUT",
        "/api/zones/1",
        {
            "camera": "front_door",
            "name": "Porch",
            "zone_type": "entry_point",
            "polygon": [[0, 0], [1, 0], [1, 1]],
        },
    ),
    ("DELETE", "/api/zones/1", None),
    ("GET", "/api/alert-rules", None),
    ("POST", "/api/alert-rules", {"name": "Any person", "conditions": {"objects": ["person"]}}),
    ("PUT", "/api/alert-rules/1", {"name": "Night intruder", "enabled": False}),
    ("DELETE", "/api/alert-rules/1", None),
    ("PATCH", "/api/events/evt-1", {"feedback": "false_alarm"}),
    ("PATCH", "/api/events/evt-1", {"feedback": "maybe"}),
    ("POST", "/api/feedback/reset", {"camera": "front_door"}),
    ("POST", "/api/feedback/reset", {}),
    ("GET", "/api/entities?known=false", None),
    ("PATCH", f"/api/entities/{ENTITY_ID}", {"name": "Dad", "known": True}),
    ("PATCH", f"/api/entities/{ENTITY_ID}", {"nick": "Dad"}),
    ("GET", f"/api/entities/{ENTITY_ID}/history?limit=5", None),
    ("DELETE", f"/api/entities/{ENTITY_ID}", None),
    ("DELETE", f"/api/entities/{ENTITY_ID}", None),
    ("PATCH", f"/api/entities/{ENTITY_ID}", {"known": True}),
    ("GET", f"/api/entities/{ENTITY_ID}/history", None),
    ("POST", "/api/ask", {"question": "Was a person at the front door?", "limit": 3}),
    ("POST", "/api/ask", {"question": "Any spaceships?"}),
    ("GET", "/api/ask/digest", None),
    ("GET", "/api/ask/digest?period=day&date=2026-11-30", None),
    ("GET", "/api/tripwires", None),
    ("POST", "/api/tripwires", {"camera": "garage", "name": "Fence", "a": [0.1, 0.5], "b": [0.9, 0.5]}),
    ("POST", "/api/tripwires", {"camera": "moon", "name": "Fence", "a": [0.1, 0.5], "b": [0.9, 0.5]}),
    ("GET", "/api/tripwires?camera=garage", None),
    (
        "PUT",
        "/api/tripwires/1",
        {"camera": "garage", "name": "Fence", "a": [0.1, 0.5], "b": [0.9, 0.6], "enabled": False},
    ),
    ("PUT", "/api/tripwires/9", {"camera": "garage", "name": "Fence", "a": [0.1, 0.5], "b": [0.9, 0.6]}),
    ("DELETE", "/api/tripwires/1", None),
    ("DELETE", "/api/tripwires/1", None),
    ("GET", "/api/plates/known", None),
    ("POST", "/api/plates/known", {"plate": "AB-123 CD", "name": "our car"}),
    ("POST", "/api/plates/known", {"plate": "KL55MN"}),
    ("POST", "/api/plates/known", {"plate": "A-1"}),
    ("GET", "/api/plates/known", None),
    ("GET", "/api/plates/reads", None),
    ("GET", "/api/plates/reads?camera=garage&plate=xy-987z&limit=1&before=2025-01-03T00:00:00%2B00:00", None),
    ("GET", "/api/plates/reads?camera=Front%20Door", None),
    ("DELETE", "/api/plates/known/AB123CD", None),
    ("DELETE", "/api/plates/known/AB123CD", None),
    ("POST", "/api/plates/forget", {"camera": "garage"}),
    ("POST", "/api/plates/forget", {"camera": "Front Door"}),
    ("GET", "/api/faces/known", None),
    ("POST", "/api/faces/known", {"event_id": "evt-1", "track_id": 1, "name": "Alex"}),
    ("POST", "/api/faces/known", {"event_id": "evt-1", "track_id": 9, "name": "Alex"}),
    ("POST", "/api/faces/known", {"event_id": "evt-1", "track_id": 1, "name": ""}),
    ("GET", "/api/faces/known", None),
    ("PATCH", "/api/faces/known/1", {"name": "Sam"}),
    ("PATCH", "/api/faces/known/99", {"name": "Sam"}),
    ("DELETE", "/api/faces/known/1", None),
    ("DELETE", "/api/faces/known/1", None),
    ("POST", "/api/faces/forget", {"camera": "front_door"}),
    ("POST", "/api/faces/forget", {"camera": "Front Door"}),
]


def _template(path: str) -> str:
    return _PARAM.sub("{}", path)


def _faked_operations(fake: FakeHsiServer) -> set[tuple[str, str]]:
    """(method, path template) of every HTTP route the fake server registered (not the WebSocket)."""
    assert fake._runner is not None
    return {
        (route.method, _template(route.resource.canonical))
        for route in fake._runner.app.router.routes()
        if route.method != "HEAD" and route.resource is not None and route.resource.canonical != "/api/ws"
    }


@pytest.fixture
async def fake() -> AsyncIterator[FakeHsiServer]:
    server = FakeHsiServer()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def openapi(api: LiveApi) -> dict[str, Any]:
    response = await api.get("/api/openapi.json")
    assert response.status == 200
    document: dict[str, Any] = await response.json()
    return document


def _documented(openapi: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (method.upper(), _template(path)): operation
        for path, item in openapi["paths"].items()
        for method, operation in item.items()
        if method in ("get", "post", "put", "patch", "delete")
    }


def _operation_for(
    documented: dict[tuple[str, str], dict[str, Any]], method: str, path: str
) -> dict[str, Any]:
    concrete = path.split("?", 1)[0].strip("/").split("/")
    for (doc_method, template), operation in documented.items():
        parts = template.strip("/").split("/")
        if doc_method == method and len(parts) == len(concrete):
            if all(p == "{}" or p == c for p, c in zip(parts, concrete, strict=True)):
                # A literal segment beats a parameter (/events/search is not /events/{id}).
                return operation
    raise AssertionError(f"{method} {path} is not in /api/openapi.json")


async def test_every_faked_route_exists_in_the_servers_openapi_document(
    fake: FakeHsiServer, openapi: dict[str, Any], api: LiveApi
) -> None:
    documented = _documented(openapi)
    faked = _faked_operations(fake)
    assert faked, "the fake server registered no routes"
    missing = sorted(f"{m} {p}" for m, p in faked - set(documented))
    assert missing == [], f"the fake server fakes routes the real server does not have: {missing}"
    # The WebSocket is not an OpenAPI operation: the real server must still serve it.
    assert any(r.resource is not None and r.resource.canonical == "/api/ws" for r in api.app.router.routes())


async def test_what_the_fake_server_answers_matches_the_documented_responses(
    fake: FakeHsiServer, openapi: dict[str, Any]
) -> None:
    documented = _documented(openapi)
    # Every faked operation is exercised by a sample call.
    faked = _faked_operations(fake)
    called = {(m, _template_of(documented, m, p)) for m, p, _ in _CALLS}
    assert faked <= called, f"add sample calls for {sorted(faked - called)}"
    async with aiohttp.ClientSession(headers={"X-API-Key": API_KEY}) as session:
        for method, path, body in _CALLS:
            operation = _operation_for(documented, method, path)
            async with session.request(method, fake.url + path, json=body) as response:
                status = str(response.status)
                assert status in operation["responses"], (
                    f"{method} {path}: the fake answers {status}, the server documents "
                    f"{sorted(operation['responses'])}"
                )
                content = operation["responses"][status].get("content", {})
                if "application/json" not in content:
                    continue
                payload = await response.json()
                schema = {**content["application/json"]["schema"], "components": openapi["components"]}
                errors = list(Draft202012Validator(schema).iter_errors(payload))
                assert not errors, f"{method} {path} ({status}): " + "; ".join(
                    f"{'/'.join(map(str, e.instance_path)) or '<root>'}: {e.message}" for e in errors[:5]
                )


def _template_of(documented: dict[tuple[str, str], dict[str, Any]], method: str, path: str) -> str:
    operation = _operation_for(documented, method, path)
    return next(t for (m, t), op in documented.items() if op is operation and m == method)
