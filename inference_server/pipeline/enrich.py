"""Enrich: build the EventContext of a window from its detections, zones, tracks, re-ID and baseline."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg

from inference_server.domain.context import EventContext
from inference_server.domain.detections import Detection
from inference_server.domain.names import display_name
from inference_server.store import media as media_store
from inference_server.store.windows import ClosedWindow

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def is_night(hour: int) -> bool:
    """Night for a home: 21:00-05:59 local time."""
    return hour >= 21 or hour < 6


def base_context(
    *,
    camera: str,
    camera_name: str,
    started: datetime,
    ended: datetime,
    tz: ZoneInfo,
    detections: list[Detection],
    objects: dict[str, int],
    frames: int,
    fast_path: bool = False,
) -> EventContext:
    """The context facts that need no database: time, objects and confidences."""
    local = started.astimezone(tz)
    best: dict[str, float] = defaultdict(float)
    for d in detections:
        best[d.label] = max(best[d.label], round(d.confidence, 3))
    return EventContext(
        camera=camera,
        camera_name=camera_name,
        started_at=started.isoformat(),
        ended_at=ended.isoformat(),
        local_time=f"{local:%H:%M}",
        weekday=WEEKDAYS[local.weekday()],
        is_night=is_night(local.hour),
        objects=dict(objects),
        max_confidence=dict(best),
        frames=frames,
        fast_path=fast_path,
    )


class ContextBuilder:
    """Loads what a closed window refers to and builds its context."""

    def __init__(self, pool: asyncpg.Pool, tz: ZoneInfo) -> None:
        self.pool = pool
        self.tz = tz

    async def camera_name(self, camera: str) -> str:
        """The configured or derived display name of a camera."""
        name = await self.pool.fetchval("SELECT name FROM cameras WHERE id = $1", camera)
        return str(name) if name else display_name(camera)

    async def build(self, window: ClosedWindow) -> tuple[EventContext, dict[str, Any]]:
        """The context plus the ids the event links to (`media_ids`, `detection_ids`)."""
        stored = await media_store.detections_for_media(self.pool, window.media_ids)
        records = await media_store.get_media_many(self.pool, window.media_ids)
        started = datetime.fromtimestamp(window.started, UTC)
        ended = datetime.fromtimestamp(window.last, UTC)
        frames = {(sd.media_id, sd.frame_index) for sd in stored}
        context = base_context(
            camera=window.camera,
            camera_name=await self.camera_name(window.camera),
            started=started,
            ended=ended,
            tz=self.tz,
            detections=[sd.detection for sd in stored],
            objects=window.objects,
            frames=max(1, len(frames)),
            fast_path=window.fast,
        )
        links = {
            "media_ids": sorted(records),
            "detection_ids": [sd.id for sd in stored],
        }
        return context, links
