"""Reading a Redis stream whole in a test, typed (what the stages put on it)."""

from __future__ import annotations

import redis.asyncio as aioredis

from inference_server.store.streams import stream_range


async def stream_entries(redis: aioredis.Redis, stream: str) -> list[tuple[str, dict[str, str]]]:
    """Every entry of `stream`, oldest first, as (id, fields) in text."""
    return await stream_range(redis, stream, start="-", count=1_000_000)
