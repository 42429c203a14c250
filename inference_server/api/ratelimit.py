"""Sliding-window rate limits in Redis, shared by every server process.

Each bucket is a sorted set of request timestamps (Redis server time, so processes agree); one
Lua call trims the window, counts, and either admits the request or says when the oldest request
leaves the window (the Retry-After).
"""

from __future__ import annotations

import math
import secrets
from dataclasses import dataclass

import redis.asyncio as aioredis

# KEYS: buckets. ARGV: window_ms, limit, member. Admits only if every bucket has room.
_SLIDING_WINDOW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local retry = 0
for i, key in ipairs(KEYS) do
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
  if redis.call('ZCARD', key) >= limit then
    local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
    local wait = tonumber(oldest[2]) + window - now
    if wait > retry then retry = wait end
  end
end
if retry > 0 then return retry end
for i, key in ipairs(KEYS) do
  redis.call('ZADD', key, now, ARGV[3])
  redis.call('PEXPIRE', key, window)
end
return 0
"""


@dataclass(frozen=True, slots=True)
class Verdict:
    """Admitted, or refused with the seconds to wait."""

    allowed: bool
    retry_after_s: int = 0


class RateLimiter:
    """Per-bucket sliding windows (a bucket: route class + API key or client address)."""

    def __init__(self, redis: aioredis.Redis, prefix: str, window_seconds: float) -> None:
        self.redis = redis
        self.prefix = f"{prefix}:ratelimit"
        self.window_ms = max(1, int(window_seconds * 1000))
        self._script = redis.register_script(_SLIDING_WINDOW)

    def bucket(self, route_class: str, who: str) -> str:
        """The Redis key of a bucket."""
        return f"{self.prefix}:{route_class}:{who}"

    async def hit(self, buckets: list[str], limit: int) -> Verdict:
        """Count one request against every bucket, unless one of them is full."""
        if limit <= 0 or not buckets:
            return Verdict(True)
        member = secrets.token_hex(8)
        wait_ms = int(await self._script(keys=buckets, args=[self.window_ms, limit, member]))
        if wait_ms <= 0:
            return Verdict(True)
        return Verdict(False, max(1, math.ceil(wait_ms / 1000)))
