"""Event windows in Redis: grouping, closing, atomicity under concurrent workers, restarts."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import redis.asyncio as aioredis

from inference_server.store.streams import Keys
from inference_server.store.windows import (
    ClosedWindow,
    FastPathDecision,
    WindowStore,
    WindowUpdate,
    clear_pending,
    mark_pending,
)
from tests.support.streams import stream_entries

REDIS_URL = "redis://localhost:6379/0"


def store(redis: aioredis.Redis, keys: Keys, idle: float = 30.0, maximum: float = 90.0) -> WindowStore:
    return WindowStore(redis, keys, idle_s=idle, max_s=maximum)


async def closed(redis: aioredis.Redis, keys: Keys) -> list[ClosedWindow]:
    entries = await stream_entries(redis, keys.stream("enrich"))
    return [ClosedWindow.from_json(fields["window"]) for _id, fields in entries if "window" in fields]


async def fast_path_decisions(redis: aioredis.Redis, keys: Keys) -> list[FastPathDecision]:
    entries = await stream_entries(redis, keys.stream("assess"))
    return [FastPathDecision.from_json(f["preliminary"]) for _id, f in entries if "preliminary" in f]


async def add(
    ws: WindowStore, media_id: int, captured: float, now: float, camera: str = "cam", **kw: Any
) -> WindowUpdate:
    return await ws.add(
        camera=camera,
        new_id=f"w-{media_id}",
        media_id=media_id,
        captured=captured,
        now=now,
        counts=kw.get("counts", {"person": 1}),
        urgent=kw.get("urgent", False),
    )


async def test_detections_close_together_share_one_window(redis_client: aioredis.Redis, keys: Keys) -> None:
    ws = store(redis_client, keys)
    first = await add(ws, 1, captured=1000.0, now=1000.0)
    second = await add(ws, 2, captured=1010.0, now=1010.0, counts={"person": 2, "car": 1})
    assert first.opened and not second.opened
    assert first.window_id == second.window_id == "w-1"
    assert await ws.close_due(now=1020.0) == []  # not idle yet
    assert await ws.close_due(now=1041.0) == ["w-1"]
    [window] = await closed(redis_client, keys)
    assert window.media_ids == [1, 2]
    assert window.objects == {"person": 2, "car": 1}, "count = most seen at once, not the sum"
    assert (window.started, window.last) == (1000.0, 1010.0)


async def test_window_closes_after_idle_timeout(redis_client: aioredis.Redis, keys: Keys) -> None:
    ws = store(redis_client, keys, idle=5.0)
    await add(ws, 1, captured=100.0, now=100.0)
    assert await ws.close_due(now=104.9) == []
    assert await ws.close_due(now=105.1) == ["w-1"]
    assert await ws.open_count() == 0


async def test_window_longer_than_maximum_is_split(redis_client: aioredis.Redis, keys: Keys) -> None:
    ws = store(redis_client, keys, idle=30.0, maximum=90.0)
    updates = {}
    for i in range(1, 8):  # a detection every 20 s for 120 s: never idle, but too long
        t = (i - 1) * 20.0
        updates[i] = await add(ws, i, captured=t, now=t)
    assert updates[6].closed_window_id == "w-1" and updates[6].window_id == "w-6"
    assert updates[7].window_id == "w-6" and updates[7].closed_window_id is None
    [window] = await closed(redis_client, keys)
    assert window.media_ids == [1, 2, 3, 4, 5]


async def test_gap_in_capture_time_starts_a_new_window(redis_client: aioredis.Redis, keys: Keys) -> None:
    ws = store(redis_client, keys, idle=30.0)
    await add(ws, 1, captured=0.0, now=500.0)
    update = await add(ws, 2, captured=100.0, now=500.1)  # backlog processed late: capture gap decides
    assert update.opened and update.closed_window_id == "w-1"


async def test_redelivered_media_is_not_added_twice(redis_client: aioredis.Redis, keys: Keys) -> None:
    ws = store(redis_client, keys)
    await add(ws, 1, captured=0.0, now=0.0)
    again = await add(ws, 1, captured=0.0, now=1.0)
    assert again.duplicate and again.window_id == "w-1"
    await ws.close_due(now=0.0, force=True)
    after_close = await add(ws, 1, captured=0.0, now=2.0)
    assert after_close.duplicate, "a media already windowed never opens a second event"
    assert len(await closed(redis_client, keys)) == 1


async def test_fast_path_fires_once_per_window(redis_client: aioredis.Redis, keys: Keys) -> None:
    ws = store(redis_client, keys)
    a = await add(ws, 1, captured=0.0, now=0.0, urgent=True)
    b = await add(ws, 2, captured=1.0, now=1.0, urgent=True)
    assert (a.fast_path, b.fast_path) == (True, False)
    # The decision is on the assess stream at once, before the window closes: assess consumes it.
    assert await fast_path_decisions(redis_client, keys) == [FastPathDecision(a.window_id, "cam", 1)]
    await ws.close_due(now=0.0, force=True)
    [window] = await closed(redis_client, keys)
    assert window.fast
    # The closed window goes to the enrich stage; the assess stream holds only the decision.
    assess = await stream_entries(redis_client, keys.stream("assess"))
    assert [set(fields) for _id, fields in assess] == [{"preliminary"}]


async def test_concurrent_workers_build_one_consistent_window(keys: Keys) -> None:
    clients = [aioredis.from_url(REDIS_URL, decode_responses=True) for _ in range(8)]
    try:
        stores = [store(c, keys) for c in clients]
        await asyncio.gather(
            *(
                add(stores[i % 8], i, captured=float(i % 5), now=float(i % 5), counts={"person": i % 4 + 1})
                for i in range(1, 81)
            )
        )
        assert await stores[0].open_count() == 1
        closers = await asyncio.gather(*(s.close_due(now=1000.0) for s in stores))
        assert sum(len(c) for c in closers) == 1, "exactly one closer wins"
        [window] = await closed(clients[0], keys)
        assert window.media_ids == list(range(1, 81))
        assert window.objects == {"person": 4}
    finally:
        for c in clients:
            await c.aclose()


async def test_open_window_survives_a_restart(keys: Keys) -> None:
    before = aioredis.from_url(REDIS_URL, decode_responses=True)
    await add(store(before, keys), 1, captured=0.0, now=0.0)
    await before.aclose()
    after = aioredis.from_url(REDIS_URL, decode_responses=True)
    try:
        ws = store(after, keys)
        update = await add(ws, 2, captured=3.0, now=3.0)
        assert update.window_id == "w-1" and not update.opened
        assert await ws.close_due(now=100.0) == ["w-1"]
    finally:
        await after.aclose()


def test_closed_window_rejects_garbage() -> None:
    import pytest

    with pytest.raises((KeyError, ValueError, TypeError)):
        ClosedWindow.from_json("not json")
    with pytest.raises(KeyError):
        ClosedWindow.from_json(json.dumps({"camera": "x"}))


async def test_an_idle_window_waits_for_media_still_being_detected(
    redis_client: aioredis.Redis, keys: Keys
) -> None:
    """A detect backlog: the camera's next upload (captured 3 s later) is ingested but not yet
    detected when the window is idle on the wall clock. It holds the window, which then closes
    with both media, not as two events."""
    ws = store(redis_client, keys, idle=5.0, maximum=60.0)
    await add(ws, 1, captured=100.0, now=100.0)
    await mark_pending(redis_client, keys, "cam", 2, 103.0)
    await mark_pending(redis_client, keys, "other", 9, 101.0)  # another camera's: no effect here
    assert await ws.close_due(now=120.0) == []  # idle for 20 s, but media 2 is on its way
    update = await add(ws, 2, captured=103.0, now=121.0)
    assert update.window_id == "w-1" and not update.opened  # it joined, and left the pending set
    assert await redis_client.zscore(keys.pending("cam"), "2") is None
    assert await ws.close_due(now=125.0) == []
    assert await ws.close_due(now=126.5) == ["w-1"]
    [window] = await closed(redis_client, keys)
    assert window.media_ids == [1, 2]


async def test_only_media_within_reach_hold_and_never_beyond_the_hold(
    redis_client: aioredis.Redis, keys: Keys
) -> None:
    ws = store(redis_client, keys, idle=5.0, maximum=60.0)
    ws.hold_s = 30.0
    await add(ws, 1, captured=100.0, now=100.0)
    await mark_pending(redis_client, keys, "cam", 2, 106.0)  # captured > last + idle: a new window
    assert await ws.close_due(now=105.5) == ["w-1"]
    await add(ws, 3, captured=200.0, now=200.0)
    await mark_pending(redis_client, keys, "cam", 4, 202.0)  # lost in a crash: never arrives
    assert await ws.close_due(now=289.0) == []  # held past the 60 s maximum ...
    assert await ws.close_due(now=290.5) == ["w-3"]  # ... but no longer than 30 s more
    # Detect found nothing on media 2 (or dead-lettered it): it no longer holds anything.
    await clear_pending(redis_client, keys, [("cam", 2), ("cam", 4)])
    assert await redis_client.zcard(keys.pending("cam")) == 0


async def test_a_zero_hold_closes_on_the_wall_clock_alone(redis_client: aioredis.Redis, keys: Keys) -> None:
    ws = store(redis_client, keys, idle=5.0, maximum=60.0)
    ws.hold_s = 0.0
    await add(ws, 1, captured=100.0, now=100.0)
    await mark_pending(redis_client, keys, "cam", 2, 101.0)
    assert await ws.close_due(now=105.5) == ["w-1"]  # idle: closed, media 2 opens the next
