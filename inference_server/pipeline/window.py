"""The window stage: the only writer of event windows.

Detect puts each media that has detections on the window stream (`media_id`); this stage reads
the stored detections, decides urgency (the fast path) and adds the media to its camera's open
window, and a runner closes the windows that went idle or grew too long. Every change to a
window is one atomic Lua script in `store/windows.py`, so any number of processes may run it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections import Counter
from zoneinfo import ZoneInfo

import asyncpg

from inference_server.domain.detections import Detection
from inference_server.metrics import Metrics
from inference_server.pipeline.urgency import is_urgent
from inference_server.settings import UrgentRule
from inference_server.store import media as media_store
from inference_server.store.media import MediaRecord
from inference_server.store.streams import StreamEntry
from inference_server.store.windows import WindowStore, clear_pending

log = logging.getLogger(__name__)

Frames = list[tuple[int, float, list[Detection]]]


def per_frame_counts(frames: Frames) -> dict[str, int]:
    """Objects of each class present at once: the maximum over frames, not the sum."""
    counts: Counter[str] = Counter()
    for _idx, _offset, dets in frames:
        for label, n in Counter(d.label for d in dets).items():
            counts[label] = max(counts[label], n)
    return dict(counts)


class WindowStage:
    """Window-stream entries -> the camera's open window; idle and long windows -> assess."""

    def __init__(
        self,
        *,
        pool: asyncpg.Pool,
        windows: WindowStore,
        metrics: Metrics,
        timezone: ZoneInfo,
        urgent_rules: list[UrgentRule],
    ) -> None:
        self.pool = pool
        self.windows = windows
        self.metrics = metrics
        self.timezone = timezone
        self.urgent_rules = urgent_rules

    async def handle(self, entries: list[StreamEntry]) -> list[str]:
        """Add a batch of detected media to their windows; returns the entry ids to acknowledge."""
        done: list[str] = []
        by_media: dict[int, list[str]] = {}
        for entry in entries:
            try:
                by_media.setdefault(int(entry.fields["media_id"]), []).append(entry.id)
            except (KeyError, ValueError):
                log.warning("window malformed entry id=%s fields=%r", entry.id, entry.fields)
                await media_store.add_dead_letter(
                    self.pool, stage="window", reason="malformed queue entry", payload=dict(entry.fields)
                )
                done.append(entry.id)
        records = await media_store.get_media_many(self.pool, list(by_media))
        frames: dict[int, Frames] = {}
        for sd in await media_store.detections_for_media(self.pool, list(records)) if records else []:
            media_frames = frames.setdefault(sd.media_id, [])
            if not media_frames or media_frames[-1][0] != sd.frame_index:
                media_frames.append((sd.frame_index, sd.frame_offset_s, []))
            media_frames[-1][2].append(sd.detection)
        for media_id in sorted(by_media):
            media = records.get(media_id)
            if media is None:
                log.warning("window unknown media_id=%d", media_id)
            elif media_id in frames:
                await self._add(media, frames[media_id])  # also clears it from the pending set
            done.extend(by_media[media_id])
        await clear_pending(
            self.windows.redis,
            self.windows.keys,
            ((m.camera, m.id) for m in records.values() if m.id not in frames),
        )
        return done

    async def _add(self, media: MediaRecord, frames: Frames) -> None:
        all_dets = [d for _i, _o, dets in frames for d in dets]
        local = media.captured_at.astimezone(self.timezone)
        urgent = is_urgent(all_dets, media.camera, local, self.urgent_rules)
        update = await self.windows.add(
            camera=media.camera,
            new_id=str(uuid.uuid4()),
            media_id=media.id,
            captured=media.captured_at.timestamp(),
            now=time.time(),
            counts=per_frame_counts(frames),
            urgent=urgent,
        )
        if update.duplicate:
            return
        log.info(
            "window media_id=%d camera=%s window=%s opened=%s closed_previous=%s",
            media.id,
            media.camera,
            update.window_id,
            update.opened,
            update.closed_window_id,
        )
        if update.fast_path:
            log.info(
                "window fast_path media_id=%d camera=%s window=%s", media.id, media.camera, update.window_id
            )

    async def close_due(self, stop: asyncio.Event) -> None:
        """Close idle or too long windows onto the assess stream until `stop` is set."""
        while not stop.is_set():
            try:
                await self.windows.close_due(time.time())
                self.metrics.open_windows.set(await self.windows.open_count())
            except Exception as exc:
                log.warning("window closer: %s", exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=0.5)
