"""Redis Streams with consumer groups: every queue of the pipeline."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import ResponseError
from redis.typing import EncodableT, FieldT

STAGES = ("detect", "window", "enrich", "assess", "publish")


@dataclass(frozen=True, slots=True)
class StreamEntry:
    """One queue entry as delivered to a consumer."""

    id: str
    fields: dict[str, str]
    deliveries: int = 1


class Keys:
    """Every Redis key the server uses, under one prefix so test runs and installs never collide."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix

    def stream(self, stage: str) -> str:
        """The stream feeding a stage."""
        return f"{self.prefix}:stream:{stage}"

    def seen(self, sha256: str) -> str:
        """Dedupe marker of an upload's content."""
        return f"{self.prefix}:seen:{sha256}"

    def window(self, camera: str) -> str:
        """The open event window of a camera."""
        return f"{self.prefix}:window:{camera}"

    def window_media(self, camera: str) -> str:
        """Media ids of a camera's open window."""
        return f"{self.prefix}:window:{camera}:media"

    def windowed(self, media_id: int) -> str:
        """Marker: this media was already added to a window (redelivery is a no-op)."""
        return f"{self.prefix}:windowed:{media_id}"

    def published(self, event_id: str, kind: str) -> str:
        """Marker: the `kind` (preliminary | final) publication of an event is on the publish stream."""
        return f"{self.prefix}:published:{event_id}:{kind}"

    def pending(self, camera: str) -> str:
        """Sorted set of a camera's media between ingest and the window stage, by capture time."""
        return f"{self.prefix}:pending:{camera}"

    @property
    def deadlines(self) -> str:
        """Sorted set of open windows by the wall-clock time they become idle."""
        return f"{self.prefix}:windows"

    @property
    def events_channel(self) -> str:
        """Pub/sub channel of live messages for WebSocket fan-out."""
        return f"{self.prefix}:events"

    @property
    def latency(self) -> str:
        """Hash prefix for stage latency samples."""
        return f"{self.prefix}:latency"


class Streams:
    """Producer/consumer operations on the pipeline's streams."""

    def __init__(self, redis: aioredis.Redis, keys: Keys) -> None:
        self.redis = redis
        self.keys = keys

    async def ensure_group(self, stage: str, group: str) -> None:
        """Create the consumer group (and the stream) if needed."""
        try:
            await self.redis.xgroup_create(self.keys.stream(stage), group, id="0", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    async def add(self, stage: str, fields: dict[str, Any], *, maxlen: int | None = None) -> str:
        """Append an entry; values are JSON-encoded unless already strings. `maxlen` trims
        approximately (only acknowledged history should ever be trimmed: size it generously)."""
        encoded: dict[FieldT, EncodableT] = {
            k: v if isinstance(v, str) else json.dumps(v) for k, v in fields.items()
        }
        entry_id = await self.redis.xadd(self.keys.stream(stage), encoded, maxlen=maxlen, approximate=True)
        return _text(entry_id)

    async def add_once(
        self, stage: str, fields: dict[str, Any], *, marker: str, ttl_s: int, maxlen: int | None = None
    ) -> str | None:
        """Append an entry unless `marker` is set, and set it, in one atomic step: a retry after
        a lost reply (or a redelivery) never appends it twice. None when it was appended before."""
        encoded: list[EncodableT] = []
        for k, v in fields.items():
            encoded += [k, v if isinstance(v, str) else json.dumps(v)]
        entry_id = await self.redis.eval(
            _ADD_ONCE, 2, self.keys.stream(stage), marker, ttl_s, maxlen or 0, *encoded
        )
        return None if entry_id is None else _text(entry_id)

    async def is_marked(self, marker: str) -> bool:
        """Whether an `add_once` marker is set."""
        return bool(await self.redis.exists(marker))

    async def unfinished(self, stage: str, group: str, limit: int = 100_000) -> list[StreamEntry]:
        """The entries `group` has not finished: delivered and pending, or not yet delivered
        (from its oldest pending entry on; entries finished after that one come along)."""
        stream = self.keys.stream(stage)
        try:
            groups = await self.redis.xinfo_groups(stream)
        except ResponseError:
            return []  # no stream yet
        start = "-"
        for g in groups:
            if g["name"] == group:
                last = _id_key(str(g.get("last-delivered-id") or "0-0"))
                first = (last[0], last[1] + 1)
                if int(g.get("pending", 0)):
                    summary = await self.redis.xpending(stream, group)
                    if summary and summary.get("min"):
                        first = min(first, _id_key(str(summary["min"])))
                start = f"{first[0]}-{first[1]}"
        return [
            StreamEntry(entry_id, fields)
            for entry_id, fields in await stream_range(self.redis, stream, start=start, count=limit)
        ]

    async def read(
        self, stage: str, group: str, consumer: str, count: int, block_ms: int
    ) -> list[StreamEntry]:
        """New entries for this consumer (blocking up to block_ms)."""
        result = await self.redis.xreadgroup(
            group, consumer, {self.keys.stream(stage): ">"}, count=count, block=block_ms
        )
        if not result:
            return []
        if not isinstance(result, list):
            # The client speaks RESP2 ([[stream, entries], ...]); RESP3 would answer a map.
            raise TypeError(f"unexpected XREADGROUP reply of type {type(result).__name__}")
        entries: list[StreamEntry] = []
        for _stream, items in result:
            for entry_id, fields in items:
                entries.append(StreamEntry(_text(entry_id), _fields(fields)))
        return entries

    async def reclaim(
        self, stage: str, group: str, consumer: str, min_idle_ms: int, count: int
    ) -> list[StreamEntry]:
        """Take over entries a dead consumer left pending longer than min_idle_ms (XAUTOCLAIM)."""
        stream = self.keys.stream(stage)
        # Redis 7 answers [next, entries, deleted ids]; Redis 6.2 (e.g. embedded) [next, entries].
        reply = await self.redis.xautoclaim(
            stream, group, consumer, min_idle_time=min_idle_ms, start_id="0-0", count=count
        )
        items = reply[1]
        if not items:
            return []
        ids = [entry_id for entry_id, _ in items]
        counts = await self.delivery_counts(stage, group, ids)
        return [
            StreamEntry(entry_id, fields, counts.get(entry_id, 1)) for entry_id, fields in items if fields
        ]

    async def delivery_counts(self, stage: str, group: str, ids: list[str]) -> dict[str, int]:
        """How many times each pending entry was delivered."""
        if not ids:
            return {}
        rows = await self.redis.xpending_range(
            self.keys.stream(stage),
            group,
            min=min(ids, key=_id_key),
            max=max(ids, key=_id_key),
            count=len(ids) * 4,
        )
        return {_text(r["message_id"]): int(r["times_delivered"]) for r in rows}

    async def ack(self, stage: str, group: str, ids: list[str]) -> None:
        """Mark entries done."""
        if ids:
            await self.redis.xack(self.keys.stream(stage), group, *ids)

    async def depth(self, stage: str, group: str) -> int:
        """Entries not yet acknowledged by the group (waiting + in flight)."""
        stream = self.keys.stream(stage)
        try:
            groups = await self.redis.xinfo_groups(stream)
        except ResponseError:
            return 0
        for g in groups:
            if g["name"] == group:
                lag = g.get("lag") or 0
                return int(g.get("pending", 0)) + int(lag)
        return 0

    async def trim(self, stage: str, keep_seconds: float, now_ms: int) -> int:
        """Delete history older than `keep_seconds` that every consumer group has finished.

        The cut (XTRIM MINID) is the oldest of: each group's oldest pending entry, the entry
        after each group's last delivered one, and `now - keep_seconds`. So an entry a live
        group has not read, or read and not acknowledged, is never dropped; a stream without
        any group is left alone. Returns the number of entries removed.
        """
        stream = self.keys.stream(stage)
        try:
            groups = await self.redis.xinfo_groups(stream)
        except ResponseError:
            return 0  # no such stream yet
        if not groups:
            return 0
        cut = (max(0, now_ms - int(keep_seconds * 1000)), 0)
        for group in groups:
            last = _id_key(str(group.get("last-delivered-id") or "0-0"))
            cut = min(cut, (last[0], last[1] + 1))
            if int(group.get("pending", 0)):
                oldest = await self.redis.xpending(stream, group["name"])
                if oldest and oldest.get("min"):
                    cut = min(cut, _id_key(str(oldest["min"])))
        if cut <= (0, 0):
            return 0
        removed: int = await self.redis.xtrim(stream, minid=f"{cut[0]}-{cut[1]}", approximate=False)
        return removed


async def stream_range(
    redis: aioredis.Redis, stream: str, *, start: str, end: str = "+", count: int
) -> list[tuple[str, dict[str, str]]]:
    """Up to `count` entries of a stream from `start` to `end` (XRANGE bounds), as (id, fields)."""
    rows = await redis.xrange(stream, min=start, max=end, count=count)
    return [
        (_text(entry_id), _fields(fields))
        for entry_id, fields in rows or []
        if entry_id is not None and fields is not None
    ]


# KEYS: stream, marker; ARGV: marker TTL (s), MAXLEN (0: none), field, value, ...
_ADD_ONCE = """
if not redis.call('SET', KEYS[2], '1', 'NX', 'EX', ARGV[1]) then
  return false
end
if tonumber(ARGV[2]) > 0 then
  return redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[2], '*', unpack(ARGV, 3))
end
return redis.call('XADD', KEYS[1], '*', unpack(ARGV, 3))
"""


def _id_key(entry_id: str) -> tuple[int, int]:
    ms, _, seq = entry_id.partition("-")
    return int(ms), int(seq or 0)


def _text(value: bytes | str | int) -> str:
    """A reply value as text (the client decodes responses; bytes only without decode_responses)."""
    return value.decode() if isinstance(value, bytes) else str(value)


def _fields(raw: Mapping[bytes | str, bytes | str]) -> dict[str, str]:
    """An entry's fields as text."""
    return {_text(k): _text(v) for k, v in raw.items()}
