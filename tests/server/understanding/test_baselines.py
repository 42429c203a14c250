"""Activity baselines in PostgreSQL: hourly counts filed by events, folded (zeros included) into
the decayed camera x hour-of-week x class model, and reported in the event context."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import asyncpg
import pytest

from inference_server.domain.baseline import BaselineConfig
from inference_server.domain.context import BaselineInfo
from inference_server.pipeline.enrich import ContextBuilder
from inference_server.store import media as media_store
from inference_server.store.understanding import (
    baseline_cells,
    fold_baselines,
    record_event_counts,
    slot_totals,
)
from tests.server.understanding.conftest import MediaFactory, person, window_of

TZ = ZoneInfo("Europe/Berlin")


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=TZ)


async def record(pool: asyncpg.Pool, camera: str, at: datetime, counts: dict[str, int]) -> datetime:
    return await record_event_counts(
        pool, event_id=str(uuid.uuid4()), camera=camera, started_at=at, counts=counts, tz=TZ
    )


async def test_finished_hours_are_folded_with_zeros_for_quiet_hours(pg_pool: asyncpg.Pool) -> None:
    await media_store.ensure_camera(pg_pool, "porch", "Porch")
    start = local(2025, 5, 12, 8, 0)  # Monday 08:00 = hour of week 8
    await record(pg_pool, "porch", start + timedelta(minutes=5), {"person": 1})
    await record(pg_pool, "porch", start + timedelta(hours=1, minutes=10), {"person": 2})
    await record(pg_pool, "porch", start + timedelta(hours=1, minutes=40), {"person": 1, "dog": 1})

    assert await fold_baselines(pg_pool, "porch", start + timedelta(hours=3), TZ) == 6  # 3 hours x 2 classes
    assert await fold_baselines(pg_pool, "porch", start + timedelta(hours=3), TZ) == 0  # nothing new

    means = {}
    for how in (8, 9, 10):
        cells = await baseline_cells(pg_pool, "porch", how)
        means[how] = {label: (c.mean, c.weight) for label, c in cells.items()}
    # The dog was first seen at 09:40 but the camera watched since 08:00: 08:00 is a zero for it.
    assert means == {
        8: {"person": (1.0, 1.0), "dog": (0.0, 1.0)},
        9: {"person": (3.0, 1.0), "dog": (1.0, 1.0)},
        10: {"person": (0.0, 1.0), "dog": (0.0, 1.0)},
    }
    assert await slot_totals(pg_pool, "porch", start.astimezone(UTC) + timedelta(hours=1)) == {
        "person": 3,
        "dog": 1,
    }


async def test_recording_an_event_again_replaces_its_counts(pg_pool: asyncpg.Pool) -> None:
    await media_store.ensure_camera(pg_pool, "porch", "Porch")
    event = str(uuid.uuid4())
    at = local(2025, 5, 12, 8, 30)
    for counts in ({"person": 2}, {"person": 1, "car": 1}):
        slot = await record_event_counts(
            pg_pool, event_id=event, camera="porch", started_at=at, counts=counts, tz=TZ
        )

    assert slot == local(2025, 5, 12, 8, 0).astimezone(UTC)
    assert await slot_totals(pg_pool, "porch", slot) == {"person": 1, "car": 1}


async def build_at(
    pool: asyncpg.Pool,
    tmp_path: Path,
    builder: ContextBuilder,
    camera: str,
    at: datetime,
    objects: dict[str, int],
) -> dict[str, BaselineInfo]:
    factory = MediaFactory(pool, tmp_path)
    detections = [
        person(0.1 + 0.2 * i, 0.2, 0.25 + 0.2 * i, 0.8, label=label) for i, label in enumerate(objects)
    ]
    media_id, _ = await factory.add(camera, at.astimezone(UTC), detections)
    context, _ = await builder.build(window_of(camera, [(media_id, at.astimezone(UTC))], objects))
    return {b.label: b for b in context.baseline}


async def test_cold_start_says_no_baseline_yet(pg_pool: asyncpg.Pool, tmp_path: Path) -> None:
    builder = ContextBuilder(pg_pool, TZ)

    info = await build_at(pg_pool, tmp_path, builder, "new_cam", local(2025, 5, 13, 3, 10), {"person": 3})

    assert info["person"].status == "no_baseline"
    assert info["person"].anomaly == 0.0 and info["person"].observed == 3.0
    assert "no baseline yet" in info["person"].description


async def test_a_learned_baseline_flags_unusual_activity_and_not_the_usual(
    pg_pool: asyncpg.Pool, tmp_path: Path
) -> None:
    await media_store.ensure_camera(pg_pool, "backyard", "Backyard")
    # Six weeks of history: two people every afternoon around 14:10, nobody at night, no cars.
    day = local(2025, 4, 1, 14, 10)
    for i in range(42):
        await record(pg_pool, "backyard", day + timedelta(days=i), {"person": 2})
    builder = ContextBuilder(pg_pool, TZ)

    night = await build_at(pg_pool, tmp_path, builder, "backyard", local(2025, 5, 13, 3, 10), {"person": 3})
    afternoon = await build_at(
        pg_pool, tmp_path, builder, "backyard", local(2025, 5, 13, 14, 12), {"person": 2, "car": 1}
    )

    # Tuesday 03:00 was folded as zero six times: three people are a very rare sight.
    assert night["person"].status == "ok" and night["person"].samples > 3.0
    assert night["person"].expected < 0.1
    assert night["person"].anomaly >= 0.9
    assert "3 people at 03:00 on a Tuesday; usually none" in night["person"].description
    # Two people on a Tuesday afternoon is what always happens.
    assert afternoon["person"].status == "ok" and afternoon["person"].expected == pytest.approx(2.0, abs=0.05)
    assert afternoon["person"].anomaly <= 0.1
    # A car never was seen here, but the camera was watching: its zeros count.
    assert afternoon["car"].status == "ok" and afternoon["car"].anomaly >= 0.5  # unusual


async def test_the_event_itself_teaches_the_baseline_once_its_hour_is_over(
    pg_pool: asyncpg.Pool, tmp_path: Path
) -> None:
    config = BaselineConfig(min_samples=0.5)
    builder = ContextBuilder(pg_pool, TZ, baseline_config=config)
    first = local(2025, 5, 13, 3, 10)

    before = await build_at(pg_pool, tmp_path, builder, "gate", first, {"person": 1})
    await fold_baselines(pg_pool, "gate", first + timedelta(hours=1), TZ, config)
    cells = await baseline_cells(pg_pool, "gate", 24 + 3)  # Tuesday 03:00
    a_week_later = await build_at(
        pg_pool, tmp_path, builder, "gate", first + timedelta(days=7), {"person": 1}
    )

    assert before["person"].status == "no_baseline"
    assert cells["person"].mean == 1.0 and cells["person"].weight == 1.0
    assert a_week_later["person"].status == "ok" and a_week_later["person"].expected > 0.8
    assert a_week_later["person"].anomaly < 0.5
