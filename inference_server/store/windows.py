"""Per-camera event windows kept in Redis, changed only by atomic Lua scripts.

A window opens with the first detection of a camera, grows while detections keep coming, and
closes when the camera has been idle `idle` seconds (wall clock) or when a detection arrives
more than `max` seconds (capture time) after the window opened. An idle window is held open while
a media of its camera captured within its reach is still on its way (ingested, not yet detected
or windowed: the camera's `pending` set), up to `hold` seconds past its wall-clock maximum, so a
detect backlog on a busy machine does not split one burst into two events. Closing moves the window onto the
enrich stream (`window`) in the same atomic step, so concurrent workers can never close it twice,
and a restarted server finds every open window where it left it. The enrich stage puts the window
with its context on the assess stream (`enriched`, `EnrichedWindow`).

The fast path is a window decision too: the first urgent detection of a window puts a
`preliminary` entry (window id, camera, media id) on the assess stream in the same atomic step,
so the assess stage publishes a preliminary event at once; the enriched window refines it later.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import redis.asyncio as aioredis

from inference_server.domain.context import EventContext
from inference_server.store.streams import Keys

# KEYS: window hash, window media set, deadlines zset, assess stream, windowed marker, enrich stream,
#       the camera's pending set
# ARGV: camera, new_id, captured, now, idle, max, media_id, counts_json, urgent, marker_ttl
_ADD = """
redis.call('ZREM', KEYS[7], ARGV[7])
local function close(camera)
  local w = redis.call('HGETALL', KEYS[1])
  if #w == 0 then return nil end
  local h = {}
  for i = 1, #w, 2 do h[w[i]] = w[i + 1] end
  local objects = {}
  for k, v in pairs(h) do
    if string.sub(k, 1, 2) == 'n:' then objects[string.sub(k, 3)] = tonumber(v) end
  end
  local media = redis.call('SMEMBERS', KEYS[2])
  local doc = cjson.encode({id = h.id, camera = camera, started = tonumber(h.started),
    last = tonumber(h.last), media = media, objects = objects, fast = h.fast == '1'})
  redis.call('XADD', KEYS[6], '*', 'window', doc)
  redis.call('DEL', KEYS[1], KEYS[2])
  redis.call('ZREM', KEYS[3], camera)
  return h.id
end

local camera = ARGV[1]
local captured = tonumber(ARGV[3])
local now = tonumber(ARGV[4])
local idle = tonumber(ARGV[5])
local maxlen = tonumber(ARGV[6])
if redis.call('EXISTS', KEYS[5]) == 1 then
  return {redis.call('GET', KEYS[5]), '', 0, 0, 1}
end
local closed = ''
local started = tonumber(redis.call('HGET', KEYS[1], 'started') or '')
if started then
  local last = tonumber(redis.call('HGET', KEYS[1], 'last'))
  if captured - started > maxlen or captured - last > idle then
    closed = close(camera) or ''
    started = nil
  end
end
local opened = 0
if not started then
  redis.call('HSET', KEYS[1], 'id', ARGV[2], 'started', captured, 'last', captured,
    'opened', now, 'touched', now, 'fast', '0')
  opened = 1
else
  if captured > tonumber(redis.call('HGET', KEYS[1], 'last')) then
    redis.call('HSET', KEYS[1], 'last', captured)
  end
  if captured < started then redis.call('HSET', KEYS[1], 'started', captured) end
  redis.call('HSET', KEYS[1], 'touched', now)
end
redis.call('SADD', KEYS[2], ARGV[7])
for label, n in pairs(cjson.decode(ARGV[8])) do
  local cur = tonumber(redis.call('HGET', KEYS[1], 'n:' .. label) or '0')
  if n > cur then redis.call('HSET', KEYS[1], 'n:' .. label, n) end
end
local fast = 0
if ARGV[9] == '1' and redis.call('HGET', KEYS[1], 'fast') == '0' then
  redis.call('HSET', KEYS[1], 'fast', '1')
  fast = 1
end
local opened_at = tonumber(redis.call('HGET', KEYS[1], 'opened'))
redis.call('ZADD', KEYS[3], math.min(now + idle, opened_at + maxlen), camera)
local id = redis.call('HGET', KEYS[1], 'id')
if fast == 1 then
  redis.call('XADD', KEYS[4], '*', 'preliminary', cjson.encode({id = id, camera = camera,
    media_id = tonumber(ARGV[7])}))
end
redis.call('SET', KEYS[5], id, 'EX', tonumber(ARGV[10]))
return {id, closed, fast, opened, 0}
"""

# KEYS: window hash, window media set, deadlines zset, enrich stream, the camera's pending set
# ARGV: camera, now, idle, max, force, hold
_CLOSE = """
local w = redis.call('HGETALL', KEYS[1])
if #w == 0 then
  redis.call('ZREM', KEYS[3], ARGV[1])
  return ''
end
local h = {}
for i = 1, #w, 2 do h[w[i]] = w[i + 1] end
local now = tonumber(ARGV[2])
local idle = tonumber(ARGV[3])
local opened = tonumber(h.opened)
local too_long = now >= opened + tonumber(ARGV[4])
if ARGV[5] ~= '1' then
  if now < tonumber(h.touched) + idle and not too_long then
    return ''
  end
  -- Idle (or long) on the wall clock, but a media that would join it is still on its way: wait,
  -- at most `hold` seconds past the maximum (a pending entry lost in a crash cannot hold forever).
  local hold = tonumber(ARGV[6])
  if hold > 0 and now < opened + tonumber(ARGV[4]) + hold then
    local reach = redis.call('ZRANGEBYSCORE', KEYS[5], tonumber(h.started) - idle,
      tonumber(h.last) + idle, 'LIMIT', 0, 1)
    if #reach > 0 then return '' end
  end
end
local objects = {}
for k, v in pairs(h) do
  if string.sub(k, 1, 2) == 'n:' then objects[string.sub(k, 3)] = tonumber(v) end
end
local media = redis.call('SMEMBERS', KEYS[2])
local doc = cjson.encode({id = h.id, camera = ARGV[1], started = tonumber(h.started),
  last = tonumber(h.last), media = media, objects = objects, fast = h.fast == '1'})
redis.call('XADD', KEYS[4], '*', 'window', doc)
redis.call('DEL', KEYS[1], KEYS[2])
redis.call('ZREM', KEYS[3], ARGV[1])
return h.id
"""


@dataclass(frozen=True, slots=True)
class WindowUpdate:
    """What adding one media's detections did to its camera's window."""

    window_id: str
    closed_window_id: str | None
    fast_path: bool  # the window's first urgent detection: a `preliminary` entry went to assess
    opened: bool
    duplicate: bool  # the media had been added before (a redelivered queue entry)


@dataclass(frozen=True, slots=True)
class FastPathDecision:
    """A window's first urgent detection, as handed to the assess stage (field `preliminary`)."""

    window_id: str
    camera: str
    media_id: int

    @classmethod
    def from_json(cls, raw: str) -> FastPathDecision:
        """Parse the assess stream's `preliminary` field."""
        d = json.loads(raw)
        return cls(window_id=str(d["id"]), camera=str(d["camera"]), media_id=int(d["media_id"]))


@dataclass(frozen=True, slots=True)
class ClosedWindow:
    """A closed window as handed to the enrich stage (field `window`)."""

    id: str
    camera: str
    started: float
    last: float
    media_ids: list[int]
    objects: dict[str, int]
    fast: bool

    def to_dict(self) -> dict[str, Any]:
        """The JSON form, as the window scripts write it."""
        return {
            "id": self.id,
            "camera": self.camera,
            "started": self.started,
            "last": self.last,
            "media": list(self.media_ids),
            "objects": dict(self.objects),
            "fast": self.fast,
        }

    @classmethod
    def from_json(cls, raw: str) -> ClosedWindow:
        """Parse the enrich stream's `window` field."""
        return cls.from_dict(json.loads(raw))

    @classmethod
    def from_dict(cls, doc: Any) -> ClosedWindow:
        """Parse the JSON form (raises KeyError, ValueError or TypeError on bad input)."""
        if not isinstance(doc, dict):
            raise TypeError(f"expected a window object, got {type(doc).__name__}")
        media = doc.get("media") or []
        objects = doc.get("objects") or {}
        return cls(
            id=str(doc["id"]),
            camera=str(doc["camera"]),
            started=float(doc["started"]),
            last=float(doc["last"]),
            media_ids=sorted(int(m) for m in media) if isinstance(media, list) else [],
            objects={str(k): int(v) for k, v in objects.items()} if isinstance(objects, dict) else {},
            fast=bool(doc.get("fast")),
        )


@dataclass(frozen=True, slots=True)
class EnrichedWindow:
    """A closed window with its context, as the enrich stage hands it to assess (field `enriched`).

    The context travels as its one JSON form (`EventContext.to_dict` / `from_dict`); the ids are
    the media and detections the event links to.
    """

    window: ClosedWindow
    context: EventContext
    media_ids: list[int]
    detection_ids: list[int]

    def to_json(self) -> str:
        """The assess stream's `enriched` field."""
        return json.dumps(
            {
                "window": self.window.to_dict(),
                "context": self.context.to_dict(),
                "media_ids": self.media_ids,
                "detection_ids": self.detection_ids,
            }
        )

    @classmethod
    def from_json(cls, raw: str) -> EnrichedWindow:
        """Parse the `enriched` field (KeyError, ValueError incl. InvalidContext, or TypeError)."""
        doc = json.loads(raw)
        if not isinstance(doc, dict):
            raise TypeError(f"expected an object, got {type(doc).__name__}")
        return cls(
            window=ClosedWindow.from_dict(doc["window"]),
            context=EventContext.from_dict(doc["context"]),
            media_ids=_ids(doc["media_ids"]),
            detection_ids=_ids(doc["detection_ids"]),
        )


def _ids(value: Any) -> list[int]:
    if not isinstance(value, list) or not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        raise TypeError(f"expected a list of ids, got {value!r:.60}")
    return list(value)


class WindowStore:
    """Atomic window operations."""

    def __init__(
        self, redis: aioredis.Redis, keys: Keys, *, idle_s: float, max_s: float, hold_s: float = 300.0
    ) -> None:
        self.redis = redis
        self.keys = keys
        self.idle_s = idle_s
        self.max_s = max_s
        self.hold_s = hold_s
        self._add = redis.register_script(_ADD)
        self._close = redis.register_script(_CLOSE)

    async def add(
        self,
        *,
        camera: str,
        new_id: str,
        media_id: int,
        captured: float,
        now: float,
        counts: dict[str, int],
        urgent: bool,
    ) -> WindowUpdate:
        """Add one media's detections to the camera's open window (opening one if needed)."""
        keys = [
            self.keys.window(camera),
            self.keys.window_media(camera),
            self.keys.deadlines,
            self.keys.stream("assess"),
            self.keys.windowed(media_id),
            self.keys.stream("enrich"),
            self.keys.pending(camera),
        ]
        args = [
            camera,
            new_id,
            repr(captured),
            repr(now),
            repr(self.idle_s),
            repr(self.max_s),
            str(media_id),
            json.dumps(counts) if counts else "{}",
            "1" if urgent else "0",
            7 * 24 * 3600,
        ]
        window_id, closed, fast, opened, dup = await self._add(keys=keys, args=args)
        return WindowUpdate(
            window_id=_s(window_id),
            closed_window_id=_s(closed) or None,
            fast_path=int(fast) == 1,
            opened=int(opened) == 1,
            duplicate=int(dup) == 1,
        )

    async def close_due(self, now: float, *, force: bool = False) -> list[str]:
        """Close every window that is idle or too long (or all of them with force)."""
        cameras = await self.redis.zrangebyscore(self.keys.deadlines, "-inf", "+inf" if force else repr(now))
        closed: list[str] = []
        for cam in cameras:
            camera = _s(cam)
            keys = [
                self.keys.window(camera),
                self.keys.window_media(camera),
                self.keys.deadlines,
                self.keys.stream("enrich"),
                self.keys.pending(camera),
            ]
            args = [
                camera,
                repr(now),
                repr(self.idle_s),
                repr(self.max_s),
                "1" if force else "0",
                repr(self.hold_s),
            ]
            window_id = _s(await self._close(keys=keys, args=args))
            if window_id:
                closed.append(window_id)
        return closed

    async def open_count(self) -> int:
        """Number of open windows."""
        return int(await self.redis.zcard(self.keys.deadlines))


async def mark_pending(
    redis: aioredis.Redis, keys: Keys, camera: str, media_id: int, captured: float
) -> None:
    """A media of `camera` is on its way to the window stage (ingest, before queueing it)."""
    await redis.zadd(keys.pending(camera), {str(media_id): captured})


async def clear_pending(redis: aioredis.Redis, keys: Keys, done: Iterable[tuple[str, int]]) -> None:
    """These (camera, media id) will never reach the window stage (no detections, dead letter):
    they hold no window open any longer. Entries of those cameras captured over a week ago (lost
    in a crash) are dropped at the same time."""
    by_camera: dict[str, list[str]] = {}
    for camera, media_id in done:
        by_camera.setdefault(camera, []).append(str(media_id))
    if not by_camera:
        return
    async with redis.pipeline(transaction=False) as pipe:
        for camera, ids in by_camera.items():
            pipe.zrem(keys.pending(camera), *ids)
            pipe.zremrangebyscore(keys.pending(camera), "-inf", time.time() - 7 * 24 * 3600)
        await pipe.execute()


def _s(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode()
    return "" if value is None else str(value)
