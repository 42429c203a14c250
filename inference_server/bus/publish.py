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
# How long `publish_once` remembers a publication (redeliveries come within minutes).
PUBLISHED_MARKER_TTL_S = 7 * 86400


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

    async def publish_once(self, message_type: str, data: dict[str, Any], *, kind: str) -> str | None:
        """Publish the `kind` publication (preliminary | final) of event `data["id"]` unless it
        is on the stream already: the stream entry and its marker are one atomic step, so a
        stage that retries after a connection cut, or a redelivered entry, publishes it once.
        Returns the stream id, or None when it had been published."""
        entry_id = await self.streams.add_once(
            "publish",
            messages.encode(message_type, data),
            marker=self.keys.published(str(data["id"]), kind),
            ttl_s=PUBLISHED_MARKER_TTL_S,
            maxlen=PUBLISH_STREAM_MAXLEN,
        )
        if entry_id is None:
            log.info("published before type=%s id=%s kind=%s", message_type, data.get("id", ""), kind)
            return None
        live = messages.envelope(messages.PublishMessage(message_type, data), entry_id)
        await self.redis.publish(self.keys.events_channel, live)
        log.info("published type=%s id=%s", message_type, data.get("id", ""))
        return entry_id

    async def was_published(self, event_id: str, kind: str) -> bool:
        """Whether `publish_once` put this publication of the event on the stream."""
        return await self.streams.is_marked(self.keys.published(event_id, kind))
