"""Who is calling: API keys from the database (header, bearer, or for WebSockets query/subprotocol).

Keys are verified with the store's salted scrypt hash; a successful check is remembered for a few
seconds under an HMAC of the key (process-local secret), so steady traffic does not pay for
scrypt on every request and a revoked key stops working within `key_cache_seconds`. A failed check
is remembered too (`failure_cache_seconds`): repeating a wrong key costs a dictionary look-up, not
another scrypt. A wrong key can never become right (keys are random), so the only cost of this
cache is memory, which is bounded.

Without a key, where keys are not required (`api_keys_required: false`, or `auto` on loopback),
a caller may read but never write: every write needs an admin key.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from typing import Any

import asyncpg
from aiohttp import web

from inference_server.store import api_keys

WS_PROTOCOL_PREFIX = "hsi-key."


@dataclass(frozen=True, slots=True)
class Principal:
    """The caller: a database key, or anonymous (allowed only when keys are not required)."""

    actor: str  # "key:<id>:<name>" or "anonymous"
    scope: str  # "read" | "admin"
    key_id: str | None = None

    def allows(self, needed: str) -> bool:
        """Whether this scope covers the operation's scope."""
        if needed == "none":
            return True
        if needed == "read":
            return self.scope in ("read", "admin")
        return self.scope == "admin"


class AuthFailed(Exception):
    """No usable key; `reason` is safe to show and log (never the key itself)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def client_address(request: web.Request) -> str:
    """The peer address (proxies are not trusted: X-Forwarded-For is ignored)."""
    return request.remote or ""


def presented_key(request: web.Request, *, websocket: bool = False) -> tuple[str | None, str | None]:
    """(key, offered subprotocol) from X-API-Key, `Authorization: Bearer`, and for WebSockets
    also `?api_key=` and `Sec-WebSocket-Protocol: hsi-key.<key>`."""
    key = request.headers.get("X-API-Key")
    if not key:
        auth = request.headers.get("Authorization", "")
        if auth[:7].lower() == "bearer ":
            key = auth[7:].strip()
    protocol = None
    if websocket:
        for offered in request.headers.get("Sec-WebSocket-Protocol", "").split(","):
            offered = offered.strip()
            if offered.startswith(WS_PROTOCOL_PREFIX):
                protocol = offered
                key = key or offered[len(WS_PROTOCOL_PREFIX) :]
                break
        if not key:
            key = request.query.get("api_key")
    return (key.strip() if key else None), protocol


class KeyVerifier:
    """Verifies keys against the database with a short success cache."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        cache_seconds: float,
        *,
        failure_cache_seconds: float = 600.0,
        failure_cache_size: int = 10_000,
    ) -> None:
        self.pool = pool
        self.cache_seconds = cache_seconds
        self.failure_cache_seconds = failure_cache_seconds
        self.failure_cache_size = failure_cache_size
        self._secret = secrets.token_bytes(32)
        self._cache: dict[bytes, tuple[float, dict[str, Any]]] = {}
        self._failed: dict[bytes, float] = {}
        self._touched: dict[str, float] = {}
        self.hashes_computed = 0  # full checks done (successes and failures not yet cached)

    def _digest(self, key: str) -> bytes:
        return hmac.new(self._secret, key.encode("utf-8", "surrogatepass"), hashlib.sha256).digest()

    async def verify(self, key: str) -> dict[str, Any] | None:
        """The key's record, or None."""
        if len(key) > 256:
            return None
        now = time.monotonic()
        digest = self._digest(key)
        hit = self._cache.get(digest)
        record: dict[str, Any] | None
        if hit is not None and now - hit[0] < self.cache_seconds:
            record = hit[1]
        else:
            failed_at = self._failed.get(digest)
            if failed_at is not None and now - failed_at < self.failure_cache_seconds:
                return None
            self.hashes_computed += 1
            try:
                record = await api_keys.verify_key(self.pool, key)
            except UnicodeError:
                record = None
            if record is None:
                self._cache.pop(digest, None)
                if len(self._failed) >= self.failure_cache_size:
                    # Oldest first: dicts keep insertion order.
                    for old in list(self._failed)[: self.failure_cache_size // 2]:
                        del self._failed[old]
                self._failed[digest] = now
                return None
            if len(self._cache) > 1024:
                self._cache.clear()
            self._cache[digest] = (now, record)
        assert record is not None
        key_id = str(record["id"])
        if now - self._touched.get(key_id, -1e9) > 60.0:
            self._touched[key_id] = now
            await api_keys.touch_key(self.pool, key_id)
        return record

    def forget(self) -> None:
        """Drop cached checks (after a revocation in this process)."""
        self._cache.clear()


async def authenticate(
    request: web.Request, verifier: KeyVerifier, *, keys_required: bool, websocket: bool = False
) -> tuple[Principal, str | None]:
    """The caller and the WebSocket subprotocol to echo; raises AuthFailed.

    A presented key is always checked (a wrong key is refused even where keys are optional).
    Without a key, callers are anonymous readers when keys are not required: writes (admin
    scope) always need a key.
    """
    key, protocol = presented_key(request, websocket=websocket)
    if key:
        record = await verifier.verify(key)
        if record is None:
            raise AuthFailed("invalid or revoked API key")
        return Principal(
            f"key:{record['id']}:{record['name']}", str(record["scope"]), str(record["id"])
        ), protocol
    if keys_required:
        raise AuthFailed("an API key is required: send it in the X-API-Key header")
    return Principal("anonymous", "read"), protocol
