"""The client against misbehaving servers: every failure becomes a typed error."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import UTC, datetime

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession

from custom_components.home_security_intelligence.api import (
    HsiApiError,
    HsiClient,
    HsiConnectionError,
    _clean,
)

from .hsi_server import FakeHsiServer


async def _garbage(request: web.Request) -> web.Response:
    return web.Response(text="<html>not json</html>", status=int(request.query.get("status", 200)))


async def _truncated(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Length": "1000"})
    await response.prepare(request)
    await response.write(b"{")
    request.transport.close()  # type: ignore[union-attr]
    return response


@pytest.fixture
async def odd_server(socket_enabled: None) -> AsyncGenerator[TestServer]:
    app = web.Application()
    app.router.add_get("/api/system/info", _garbage)
    app.router.add_get("/api/system/stats", _truncated)
    app.router.add_get("/api/events/{id}/snapshot", _truncated)
    app.router.add_get("/api/ws", _garbage)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    yield server
    await server.close()


def test_filters_are_rendered() -> None:
    when = datetime(2025, 1, 2, tzinfo=UTC)
    assert _clean({"a": None, "b": True, "c": False, "d": when, "e": 5}) == {
        "b": "true",
        "c": "false",
        "d": "2025-01-02T00:00:00+00:00",
        "e": "5",
    }


async def test_malformed_answers(hass: HomeAssistant, odd_server: TestServer) -> None:
    client = HsiClient(async_get_clientsession(hass), str(odd_server.make_url("/")), "k")
    with pytest.raises(HsiConnectionError, match="invalid response"):
        await client.get_info()
    with pytest.raises(HsiConnectionError):
        await client.get_stats()
    with pytest.raises(HsiConnectionError):
        await client.get_snapshot("e1")
    with pytest.raises(HsiConnectionError, match="ws handshake: 200"):
        await client.ws_connect(None, 30)


async def test_error_without_json_body(hass: HomeAssistant, odd_server: TestServer) -> None:
    client = HsiClient(async_get_clientsession(hass), str(odd_server.make_url("/")), "k")
    client.base_url = client.base_url.with_query({})
    with pytest.raises(HsiApiError) as err:
        await client._json("GET", "system/info", params={"status": 404})
    assert err.value.status == 404
    assert err.value.code == "error"


async def test_event_detail_and_ws_refused(hass: HomeAssistant, hsi_server: FakeHsiServer) -> None:
    client = HsiClient(async_get_clientsession(hass), hsi_server.url, hsi_server.api_key)
    event = await client.get_event("evt-1")
    assert event["detections"] == []
    with pytest.raises(HsiApiError):
        await client.get_event("nope")
    port = hsi_server.port
    await hsi_server.stop()
    client = HsiClient(async_get_clientsession(hass), f"http://127.0.0.1:{port}", "k")
    with pytest.raises(HsiConnectionError):
        await client.ws_connect("c1", 30)
