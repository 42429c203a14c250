"""Zones stored in PostgreSQL and tracks across the media of one window reach the event context."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg

from inference_server.pipeline.enrich import ContextBuilder
from inference_server.store import queries
from inference_server.store.understanding import zones_for_camera
from tests.server.understanding.conftest import MediaFactory, person, window_of

TZ = ZoneInfo("Europe/Berlin")
T0 = datetime(2025, 5, 13, 1, 10, tzinfo=UTC)  # a Tuesday, 03:10 in Berlin


async def add_zone(
    pool: asyncpg.Pool,
    camera: str,
    name: str,
    zone_type: str,
    polygon: list[list[float]],
    priority: int = 0,
    enabled: bool = True,
) -> dict[str, Any] | None:
    await pool.execute("INSERT INTO cameras (id, name) VALUES ($1, $1) ON CONFLICT DO NOTHING", camera)
    return await queries.save_zone(
        pool,
        {
            "camera": camera,
            "name": name,
            "zone_type": zone_type,
            "priority": priority,
            "polygon": polygon,
            "enabled": enabled,
        },
    )


async def test_zones_come_back_as_domain_zones_highest_priority_first(pg_pool: asyncpg.Pool) -> None:
    await add_zone(pg_pool, "front_door", "lawn", "yard", [[0, 0.5], [1, 0.5], [1, 1], [0, 1]], priority=1)
    await add_zone(
        pg_pool, "front_door", "porch", "entry_point", [[0.6, 0.6], [0.9, 0.6], [0.9, 0.95]], priority=3
    )
    await add_zone(pg_pool, "backyard", "patio", "yard", [[0, 0], [1, 0], [1, 1]])

    zones = await zones_for_camera(pg_pool, "front_door")

    assert [(z.name, z.zone_type, z.priority) for z in zones] == [
        ("porch", "entry_point", 3),
        ("lawn", "yard", 1),
    ]
    assert zones[0].polygon == ((0.6, 0.6), (0.9, 0.6), (0.9, 0.95))
    assert zones[0].contains((0.85, 0.8)) and not zones[1].contains((0.5, 0.2))
    assert await zones_for_camera(pg_pool, "nowhere") == []


async def test_a_corrupt_stored_polygon_is_skipped_not_fatal(pg_pool: asyncpg.Pool) -> None:
    await add_zone(pg_pool, "front_door", "porch", "entry_point", [[0.6, 0.6], [0.9, 0.6], [0.9, 0.95]])
    await pg_pool.execute(
        "INSERT INTO zones (camera_id, name, zone_type, polygon) VALUES ('front_door', 'bad', 'yard', $1::jsonb)",
        [[0, 0], [1, 1]],
    )

    assert [z.name for z in await zones_for_camera(pg_pool, "front_door")] == ["porch"]


async def test_person_standing_at_the_door_across_three_snapshots_gives_a_zone_hit_with_dwell(
    pg_pool: asyncpg.Pool, tmp_path: Path
) -> None:
    await add_zone(
        pg_pool,
        "front_door",
        "front_door",
        "entry_point",
        [[0.4, 0.5], [0.8, 0.5], [0.8, 0.9], [0.4, 0.9]],
        3,
    )
    await add_zone(pg_pool, "front_door", "street", "sidewalk", [[0, 0], [1, 0], [1, 0.2], [0, 0.2]])
    factory = MediaFactory(pg_pool, tmp_path)
    media = []
    # Feet (bottom-centre) at (0.6, 0.8): inside the door polygon, in snapshots 0 s, 6 s and 12 s.
    for i, at in enumerate((T0, T0 + timedelta(seconds=6), T0 + timedelta(seconds=12))):
        media_id, _ = await factory.add(
            "front_door", at, [person(0.5 + 0.005 * i, 0.3, 0.7 + 0.005 * i, 0.8)]
        )
        media.append((media_id, at))
    window = window_of("front_door", media, {"person": 1})

    context, links = await ContextBuilder(pg_pool, TZ).build(window)

    [hit] = context.zones
    assert (hit.name, hit.zone_type, hit.priority, hit.labels) == (
        "front_door",
        "entry_point",
        3,
        ("person",),
    )
    # First to last sighting in the zone (12 s) plus one frame's worth (1 s).
    assert hit.dwell_seconds == 13.0
    [tr] = context.tracks
    assert tr.label == "person" and tr.frames == 3 and tr.zones == ("front_door",)
    assert tr.dwell_seconds == {"front_door": 13.0}
    assert context.local_time == "03:10" and context.weekday == "Tuesday" and context.is_night
    assert context.reid == ()  # no embedder configured
    assert len(links["media_ids"]) == 3 and len(links["detection_ids"]) == 3


async def test_tracks_follow_two_people_across_the_media_of_one_window(
    pg_pool: asyncpg.Pool, tmp_path: Path
) -> None:
    await add_zone(
        pg_pool, "driveway", "side_door", "entry_point", [[0.85, 0.4], [1, 0.4], [1, 0.7], [0.85, 0.7]], 2
    )
    factory = MediaFactory(pg_pool, tmp_path)
    media = []
    for i in range(4):
        at = T0 + timedelta(seconds=2 * i)
        dets = [
            # Walks right, toward the side door: feet from x=0.3 to x=0.6, y=0.6.
            person(0.25 + 0.1 * i, 0.2, 0.35 + 0.1 * i, 0.6, confidence=0.6 + 0.05 * i),
            # Stands still at the left edge, a car is parked too.
            person(0.02, 0.3, 0.1, 0.7, confidence=0.8),
            person(0.4, 0.75, 0.7, 0.98, confidence=0.7, label="car"),
        ]
        media_id, _ = await factory.add("driveway", at, dets)
        media.append((media_id, at))
    # The windows store sets "last" to the newest capture; the media arrive in any order.
    window = window_of("driveway", list(reversed(media)), {"person": 2, "car": 1})

    context, _ = await ContextBuilder(pg_pool, TZ).build(window)

    by_label = sorted((t.label, t.frames, t.duration_seconds) for t in context.tracks)
    assert by_label == [("car", 4, 7.0), ("person", 4, 7.0), ("person", 4, 7.0)]
    walker = max(
        (t for t in context.tracks if t.label == "person"),
        key=lambda t: t.approach.speed if t.approach else 0,
    )
    assert walker.approach is not None
    assert walker.approach.direction == "toward:side_door" and walker.approach.target_zone == "side_door"
    assert walker.approach.speed == 0.05 and walker.approach.eta_seconds is not None
    still = next(t for t in context.tracks if t.label == "person" and t is not walker)
    assert still.approach is not None and still.approach.direction == "stationary"
    assert context.frames == 4
