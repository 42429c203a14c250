"""Publish: every event change goes on the publish stream (MQTT, alerts, WebSocket consume it)
and on the live pub/sub channel."""

from __future__ import annotations

import logging
from typing import Any

import redis.asyncio as aioredis

from inference_server.contract import messages
from inference_server.store.streams import Keys, Streams

log = logging.getLogger(__name__)

# The publish stream is history for resuming WebSocket clients, not a store: keep about this many.
PUBLISH_STREAM_MAXLEN = 100_000


class Publisher:
    """Fans a message out to the publish stream (durable) and the pub/sub channel (live)."""

    def __init__(self, redis: aioredis.Redis, keys: Keys) -> None:
        self.redis = redis
        self.keys = keys
        self.streams = Streams(redis, keys)

    async def publish(self, message_type: str, data: dict[str, Any]) -> str:
        """Publish one message; returns its stream id (the WebSocket resume cursor)."""
        entry_id = await self.streams.add(
            "publish", messages.encode(message_type, data), maxlen=PUBLISH_STREAM_MAXLEN
        )
        live = messages.envelope(messages.PublishMessage(message_type, data), entry_id)
        await self.redis.publish(self.keys.events_channel, live)
        log.info("published type=%s id=%s", message_type, data.get("id", ""))
        return entry_id
