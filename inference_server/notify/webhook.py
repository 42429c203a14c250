"""Webhook channel: signed JSON POSTs with retries, safe against server-side request forgery.

SSRF policy: the host is resolved first and every address must be public (not loopback, private,
link-local, multicast, reserved, shared/CGNAT or a cloud metadata address); the connection then
goes to exactly the vetted addresses (a pinned resolver), so DNS rebinding cannot swap them.
Redirects are not followed automatically: each hop (at most 3) is vetted again. Home users whose
endpoint is on the LAN list its network in `allow_private` (e.g. ["192.168.1.0/24"]); metadata
addresses stay blocked even then.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import ipaddress
import json
import logging
import socket
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult

from inference_server.logs import redact_url
from inference_server.notify.types import Delivery

log = logging.getLogger(__name__)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

METADATA_ADDRESSES = frozenset(
    {
        ipaddress.ip_address("169.254.169.254"),  # AWS, GCP, Azure, OpenStack, ...
        ipaddress.ip_address("169.254.170.2"),  # AWS ECS task metadata
        ipaddress.ip_address("100.100.100.200"),  # Alibaba Cloud
        ipaddress.ip_address("fd00:ec2::254"),  # AWS IPv6
    }
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_REDIRECTS = (301, 302, 303, 307, 308)
MAX_REDIRECTS = 3


class BlockedAddress(Exception):
    """The target resolves to an address the SSRF policy forbids."""


@dataclass(frozen=True, slots=True)
class WebhookSettings:
    """Server-wide webhook settings (see docs/alerts.md)."""

    allow_private: tuple[str, ...] = ()
    timeout_seconds: float = 10.0
    max_attempts: int = 4
    backoff_seconds: float = 1.0
    user_agent: str = "HomeSecurityIntelligence/0.1"

    def networks(self) -> list[IPNetwork]:
        """The allow-list as networks (single addresses become /32 or /128)."""
        return [ipaddress.ip_network(item, strict=False) for item in self.allow_private]


def _embedded_v4(ip: IPAddress) -> ipaddress.IPv4Address | None:
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return ip.ipv4_mapped
        if ip.sixtofour is not None:
            return ip.sixtofour
        if ip.teredo is not None:
            return ip.teredo[1]
        if ip in _NAT64:
            return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def blocked_reason(ip: IPAddress, allow: Sequence[IPNetwork] = ()) -> str | None:
    """Why the policy forbids connecting to `ip` (None: allowed)."""
    if ip in METADATA_ADDRESSES:
        return f"{ip} is a cloud metadata address"
    inner = _embedded_v4(ip)
    if inner is not None:
        reason = blocked_reason(inner, allow)
        return f"{ip} embeds {inner}: {reason}" if reason else None
    if any(ip.version == net.version and ip in net for net in allow):
        return None
    if ip.is_multicast:
        return f"{ip} is a multicast address"
    if ip.is_global:
        return None
    for attr, words in (
        ("is_loopback", "a loopback"),
        ("is_link_local", "a link-local"),
        ("is_unspecified", "an unspecified"),
        ("is_private", "a private"),
        ("is_reserved", "a reserved"),
    ):
        if getattr(ip, attr):
            return f"{ip} is {words} address"
    return f"{ip} is not a public address"


async def vet_host(host: str, port: int, allow: Sequence[IPNetwork]) -> list[ResolveResult]:
    """Resolve a host and check every address; BlockedAddress if any is forbidden.

    One forbidden address blocks the host: a name that resolves to both a public and a private
    address is a classic rebinding set-up.
    """
    try:
        literal: IPAddress | None = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        literal = None
    if literal is not None:
        infos = [(socket.AF_INET6 if literal.version == 6 else socket.AF_INET, str(literal))]
    else:
        loop = asyncio.get_running_loop()
        try:
            raw = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except socket.gaierror as exc:
            raise OSError(f"cannot resolve {host}: {exc}") from exc
        infos = [(family, str(sockaddr[0])) for family, _t, _p, _c, sockaddr in raw]
    results: list[ResolveResult] = []
    for family, address in infos:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
        reason = blocked_reason(ip, allow)
        if reason:
            raise BlockedAddress(f"{host} -> {reason}")
        results.append(
            ResolveResult(
                hostname=host, host=str(ip), port=port, family=family, proto=0, flags=socket.AI_NUMERICHOST
            )
        )
    if not results:
        raise OSError(f"cannot resolve {host}: no addresses")
    return results


class _PinnedResolver(AbstractResolver):
    """Answers only with the addresses vetted before the request; anything else is refused."""

    def __init__(self, host: str, results: list[ResolveResult]) -> None:
        self._host = host
        self._results = results

    async def resolve(self, host: str, port: int = 0, family: int = socket.AF_INET) -> list[ResolveResult]:
        if host != self._host:
            raise OSError(f"{host} was not vetted")
        return [dict(r, port=port or r["port"]) for r in self._results]  # type: ignore[misc]

    async def close(self) -> None:
        return None


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The X-HSI-Signature value: "sha256=" + hex HMAC-SHA256 of "<timestamp>." + body."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


class TooManyRedirects(Exception):
    """The receiver redirected more than MAX_REDIRECTS times: a permanent failure."""


@dataclass
class WebhookChannel:
    """POSTs the alert JSON to a rule's webhook URL."""

    settings: WebhookSettings = field(default_factory=WebhookSettings)
    type: str = "webhook"

    async def send(self, payload: dict[str, Any], url: str, secret: str | None = None) -> Delivery:
        """Deliver once, retrying 5xx / 429 / connection errors with exponential backoff."""
        body = json.dumps(payload, default=str, separators=(",", ":")).encode()
        allow = self.settings.networks()
        attempts = 0
        delay = self.settings.backoff_seconds
        last = ""
        while attempts < self.settings.max_attempts:
            attempts += 1
            try:
                status, final_url = await self._post_following_redirects(url, body, secret, allow)
            except BlockedAddress as exc:
                log.warning("webhook blocked url=%s reason=%s", _redact(url), exc)
                return Delivery("webhook", _redact(url), "blocked", str(exc), attempts - 1)
            except TooManyRedirects as exc:
                # The receiver's configuration, not an outage: retrying would only repeat the loop.
                log.warning("webhook failed url=%s reason=%s", _redact(url), exc)
                return Delivery("webhook", _redact(url), "failed", str(exc), attempts)
            except (TimeoutError, aiohttp.ClientError, OSError) as exc:
                last = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            else:
                if 200 <= status < 300:
                    return Delivery("webhook", _redact(url), "ok", f"HTTP {status}", attempts)
                last = f"HTTP {status} from {_redact(final_url)}"
                if status < 500 and status != 429:
                    return Delivery("webhook", _redact(url), "failed", last, attempts)
            if attempts < self.settings.max_attempts:
                await asyncio.sleep(delay)
                delay *= 2
        log.warning("webhook failed url=%s attempts=%d last=%s", _redact(url), attempts, last)
        return Delivery("webhook", _redact(url), "failed", last, attempts)

    async def _post_following_redirects(
        self, url: str, body: bytes, secret: str | None, allow: Sequence[IPNetwork]
    ) -> tuple[int, str]:
        current = url
        for _hop in range(MAX_REDIRECTS + 1):
            status, location = await self._post_once(current, body, secret, allow)
            if status in _REDIRECTS and location:
                nxt = urljoin(current, location)
                if urlsplit(nxt).scheme not in ("http", "https"):
                    raise BlockedAddress(f"redirect to a non-HTTP URL {_redact(nxt)}")
                log.info("webhook redirect from=%s to=%s", _redact(current), _redact(nxt))
                current = nxt
                continue
            return status, current
        raise TooManyRedirects(
            f"more than {MAX_REDIRECTS} redirects (a redirect loop?), last {_redact(current)}"
        )

    async def _post_once(
        self, url: str, body: bytes, secret: str | None, allow: Sequence[IPNetwork]
    ) -> tuple[int, str | None]:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise BlockedAddress(f"not an http(s) URL: {_redact(url)}")
        port = parts.port or (443 if parts.scheme == "https" else 80)
        vetted = await vet_host(parts.hostname, port, allow)
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            "User-Agent": self.settings.user_agent,
            "X-HSI-Timestamp": timestamp,
            "X-HSI-Event": "alert",
        }
        if secret:
            headers["X-HSI-Signature"] = sign(secret, timestamp, body)
        connector = aiohttp.TCPConnector(
            resolver=_PinnedResolver(parts.hostname, vetted), use_dns_cache=False
        )
        timeout = aiohttp.ClientTimeout(total=self.settings.timeout_seconds)
        async with (
            aiohttp.ClientSession(connector=connector, timeout=timeout, trust_env=False) as session,
            session.post(url, data=body, headers=headers, allow_redirects=False) as response,
        ):
            await response.read()
            return response.status, response.headers.get("Location")


def _redact(url: str) -> str:
    # Webhook URLs are the user's: tokens may sit in any query parameter, so drop the query.
    return redact_url(url, drop_query=True)
