"""Webhook channel against real aiohttp servers on loopback: signature, retries, SSRF policy."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import ipaddress
import json
import socket
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web

from inference_server.notify.webhook import WebhookChannel, WebhookSettings, blocked_reason

SECRET = "webhook-secret-123"
PAYLOAD = {"id": 1, "rule": "Night", "risk_score": 91, "event": {"id": "e1", "camera": "front"}}


@dataclass
class Receiver:
    """A real HTTP server that records what reached it."""

    host: str
    port: int = 0
    hits: list[dict[str, Any]] = field(default_factory=list)
    responses: list[Callable[[], web.StreamResponse]] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/hook"

    async def handler(self, request: web.Request) -> web.StreamResponse:
        self.hits.append(
            {"headers": dict(request.headers), "body": await request.read(), "path": request.path}
        )
        if self.responses:
            return self.responses.pop(0)()
        return web.json_response({"ok": True})


async def _serve(host: str) -> tuple[Receiver, web.AppRunner]:
    receiver = Receiver(host)
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", receiver.handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, host, 0)
    await site.start()
    receiver.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return receiver, runner


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    rec, runner = await _serve("127.0.0.1")
    yield rec
    await runner.cleanup()


@pytest.fixture
async def other_receiver() -> AsyncIterator[Receiver]:
    rec, runner = await _serve("127.0.0.2")
    yield rec
    await runner.cleanup()


def redirect(status: int, location: str) -> web.Response:
    return web.Response(status=status, headers={"Location": location})


def channel(*allow: str) -> WebhookChannel:
    return WebhookChannel(WebhookSettings(allow_private=allow, backoff_seconds=0.01, timeout_seconds=5))


async def test_allowed_lan_endpoint_receives_a_signed_request(receiver: Receiver) -> None:
    before = int(time.time())
    result = await channel("127.0.0.1/32").send(PAYLOAD, receiver.url, SECRET)
    assert (result.outcome, result.attempts) == ("ok", 1)
    assert len(receiver.hits) == 1
    hit = receiver.hits[0]
    assert json.loads(hit["body"]) == PAYLOAD
    timestamp = hit["headers"]["X-HSI-Timestamp"]
    assert abs(int(timestamp) - before) <= 2
    expected = hmac.new(SECRET.encode(), timestamp.encode() + b"." + hit["body"], hashlib.sha256).hexdigest()
    assert hit["headers"]["X-HSI-Signature"] == f"sha256={expected}"
    assert hit["headers"]["Content-Type"] == "application/json"


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
async def test_default_policy_blocks_loopback_and_never_connects(receiver: Receiver, host: str) -> None:
    url = receiver.url.replace("127.0.0.1", host)
    result = await channel().send(PAYLOAD, url, SECRET)
    assert result.outcome == "blocked"
    assert result.attempts == 0
    assert "loopback" in result.detail
    await asyncio.sleep(0.05)
    assert receiver.hits == []


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("http://10.1.2.3/hook", "private"),
        ("http://192.168.1.20:8123/api/webhook/x", "private"),
        ("http://169.254.169.254/latest/meta-data/", "metadata"),
        ("http://[fd00:ec2::254]/latest/meta-data/", "metadata"),
        ("http://[::1]:8080/", "loopback"),
        ("http://0.0.0.0:8080/", "unspecified"),
    ],
)
async def test_default_policy_blocks_private_link_local_and_metadata(url: str, words: str) -> None:
    result = await channel().send(PAYLOAD, url, SECRET)
    assert result.outcome == "blocked"
    assert result.attempts == 0  # refused before any connection attempt
    assert words in result.detail


async def test_metadata_stays_blocked_even_when_link_local_is_allowed() -> None:
    result = await channel("169.254.0.0/16").send(PAYLOAD, "http://169.254.169.254/latest/", SECRET)
    assert result.outcome == "blocked"


async def test_redirect_to_a_blocked_address_is_refused(receiver: Receiver, other_receiver: Receiver) -> None:
    receiver.responses.append(lambda: redirect(302, other_receiver.url))
    result = await channel("127.0.0.1/32").send(PAYLOAD, receiver.url, SECRET)
    assert result.outcome == "blocked"
    assert "127.0.0.2" in result.detail
    assert len(receiver.hits) == 1
    assert other_receiver.hits == []


async def test_redirects_to_allowed_addresses_are_followed_up_to_three(receiver: Receiver) -> None:
    receiver.responses.append(lambda: redirect(307, "/second"))
    result = await channel("127.0.0.1/32").send(PAYLOAD, receiver.url, SECRET)
    assert result.outcome == "ok"
    assert [h["path"] for h in receiver.hits] == ["/hook", "/second"]
    assert receiver.hits[1]["headers"]["X-HSI-Signature"].startswith("sha256=")

    receiver.hits.clear()
    receiver.responses.extend([lambda: redirect(307, "/loop")] * 4)
    result = await WebhookChannel(
        WebhookSettings(allow_private=("127.0.0.1/32",), backoff_seconds=0.01, max_attempts=1)
    ).send(PAYLOAD, receiver.url, SECRET)
    assert result.outcome == "failed"
    assert "redirects" in result.detail
    assert len(receiver.hits) == 4


async def test_server_errors_are_retried_with_backoff_and_client_errors_are_not(receiver: Receiver) -> None:
    receiver.responses.extend([lambda: web.Response(status=503), lambda: web.Response(status=502)])
    started = time.perf_counter()
    result = await channel("127.0.0.1/32").send(PAYLOAD, receiver.url, SECRET)
    assert (result.outcome, result.attempts) == ("ok", 3)
    assert time.perf_counter() - started >= 0.03  # 0.01 + 0.02 s of backoff

    receiver.hits.clear()
    receiver.responses.append(lambda: web.Response(status=404))
    result = await channel("127.0.0.1/32").send(PAYLOAD, receiver.url, SECRET)
    assert (result.outcome, result.attempts) == ("failed", 1)
    assert "404" in result.detail


async def test_connection_errors_are_retried_then_fail() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    result = await channel("127.0.0.1/32").send(PAYLOAD, f"http://127.0.0.1:{port}/", SECRET)
    assert (result.outcome, result.attempts) == ("failed", 4)


async def test_connection_goes_to_the_vetted_address_so_dns_rebinding_cannot_swap_it(
    receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    loop = asyncio.get_running_loop()
    answers = iter(["127.0.0.1", "10.66.66.66", "10.66.66.66"])
    lookups: list[str] = []

    async def rebinding_dns(host: str, port: int, **_: Any) -> list[Any]:
        lookups.append(host)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (next(answers), port))]

    monkeypatch.setattr(loop, "getaddrinfo", rebinding_dns)
    url = f"http://hooks.rebind.test:{receiver.port}/hook"
    result = await channel("127.0.0.1/32").send(PAYLOAD, url, SECRET)
    assert result.outcome == "ok"
    assert lookups == ["hooks.rebind.test"]  # resolved once; the connection used the vetted address
    assert len(receiver.hits) == 1
    assert receiver.hits[0]["headers"]["Host"].startswith("hooks.rebind.test")


async def test_a_name_with_any_private_address_is_blocked(monkeypatch: pytest.MonkeyPatch) -> None:
    loop = asyncio.get_running_loop()

    async def mixed_dns(host: str, port: int, **_: Any) -> list[Any]:
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", port)),
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("192.168.0.10", port)),
        ]

    monkeypatch.setattr(loop, "getaddrinfo", mixed_dns)
    result = await channel().send(PAYLOAD, "https://mixed.example.test/hook", SECRET)
    assert result.outcome == "blocked"
    assert "192.168.0.10" in result.detail


@pytest.mark.parametrize(
    ("address", "blocked"),
    [
        ("8.8.8.8", False),
        ("2606:4700:4700::1111", False),
        ("127.0.0.1", True),
        ("10.0.0.1", True),
        ("172.16.5.4", True),
        ("192.168.1.1", True),
        ("100.64.0.1", True),
        ("169.254.169.254", True),
        ("169.254.1.1", True),
        ("224.0.0.251", True),
        ("240.0.0.1", True),
        ("0.0.0.0", True),
        ("::1", True),
        ("fe80::1", True),
        ("fd00:ec2::254", True),
        ("fc00::1", True),
        ("ff02::1", True),
        ("::ffff:127.0.0.1", True),
        ("64:ff9b::a00:1", True),
        ("2002:a00:1::1", True),
    ],
)
def test_address_policy(address: str, blocked: bool) -> None:
    assert (blocked_reason(ipaddress.ip_address(address)) is not None) is blocked
