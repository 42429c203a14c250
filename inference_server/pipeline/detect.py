"""Detect: run the detector over queued media, persist detections, hand them to the window stage."""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import asyncpg
import numpy as np

from inference_server.domain.detections import Detection
from inference_server.metrics import Metrics
from inference_server.ml.frames import (
    DEFAULT_MAX_PIXELS,
    UndecodableMedia,
    decode_image,
    sample_video_frames,
)
from inference_server.ml.protocols import Detector
from inference_server.store import media as media_store
from inference_server.store.errors import LocalFileError
from inference_server.store.media import MediaRecord
from inference_server.store.streams import StreamEntry, Streams
from inference_server.store.windows import clear_pending

log = logging.getLogger(__name__)


@dataclass(slots=True)
class _Decoded:
    media: MediaRecord
    frames: list[tuple[int, float, np.ndarray]]


class DetectStage:
    """Turns detect-stream entries into stored detections and window-stream entries."""

    def __init__(
        self,
        *,
        pool: asyncpg.Pool,
        media_dir: Path,
        detector: Detector,
        streams: Streams,
        metrics: Metrics,
        video_sample_seconds: float = 1.0,
        video_max_frames: int = 10,
        decode_target_side: int | None = None,
        callers: int = 1,
        max_pixels: int = DEFAULT_MAX_PIXELS,
    ) -> None:
        self.pool = pool
        self.media_dir = media_dir
        self.detector = detector
        self.streams = streams
        self.metrics = metrics
        self.video_sample_seconds = video_sample_seconds
        self.video_max_frames = video_max_frames
        self.decode_target_side = decode_target_side
        self.max_pixels = max_pixels
        # One thread owns the model (detectors are not guaranteed thread-safe), unless the detector
        # is a batcher: then each concurrent batch gets a caller thread and the batcher merges them.
        threads = max(1, callers) if getattr(detector, "thread_safe", False) else 1
        self._model_thread = ThreadPoolExecutor(threads, thread_name_prefix="detector")
        self._decode_threads = ThreadPoolExecutor(2, thread_name_prefix="decode")

    async def handle(self, entries: list[StreamEntry]) -> list[str]:
        """Process a batch of detect entries; returns the entry ids to acknowledge."""
        done: list[str] = []
        by_media: dict[int, list[str]] = {}  # a media queued twice (recovery) is one unit of work
        for entry in entries:
            try:
                by_media.setdefault(int(entry.fields["media_id"]), []).append(entry.id)
            except (KeyError, ValueError):
                log.warning("detect malformed entry id=%s fields=%r", entry.id, entry.fields)
                await media_store.add_dead_letter(
                    self.pool, stage="detect", reason="malformed queue entry", payload=dict(entry.fields)
                )
                done.append(entry.id)
        records = await media_store.get_media_many(self.pool, list(by_media))
        for media_id in set(by_media) - set(records):
            log.warning("detect unknown media_id=%d", media_id)
            done.extend(by_media[media_id])

        queued = [m for m in records.values() if m.status == "queued"]
        decoded = await asyncio.gather(*(self._decode(m) for m in queued))
        ok = [d for d in decoded if d is not None]
        results = dict(zip((d.media.id for d in ok), await self._detect(ok), strict=True))
        detector_id = str(getattr(self.detector, "model_id", None) or self.detector.name)
        saved = await media_store.save_detections(self.pool, results, detector_id)
        for media_id in saved:
            for _i, _o, dets in results[media_id]:
                for d in dets:
                    self.metrics.detections.labels(d.label).inc()

        # Hand every media with detections to the window stage: the ones just detected and any
        # detected before a crash whose hand-over did not happen (the window stage adds a media to
        # its window once, so handing it over twice is harmless).
        with_objects = {m for m in saved if any(dets for _i, _o, dets in results[m])}
        with_objects.update(m.id for m in records.values() if m.status == "detected")
        for media_id in sorted(records):
            if media_id in with_objects:
                await self.streams.add("window", {"media_id": str(media_id)})
            done.extend(by_media[media_id])
        # Nothing of the others reaches a window: they no longer hold their camera's open (the
        # window stage clears the ones it adds).
        await clear_pending(
            self.streams.redis,
            self.streams.keys,
            ((m.camera, m.id) for m in records.values() if m.id not in with_objects),
        )
        return done

    async def _decode(self, media: MediaRecord) -> _Decoded | None:
        path = self.media_dir / media.path
        loop = asyncio.get_running_loop()
        try:
            if media.kind == "video":
                sampled = await loop.run_in_executor(
                    self._decode_threads,
                    functools.partial(
                        sample_video_frames,
                        path,
                        self.video_sample_seconds,
                        self.video_max_frames,
                        self.max_pixels,
                        target_side=self.decode_target_side,
                    ),
                )
                frames = [(i, t, f) for i, (t, f) in enumerate(sampled)]
            else:
                data = await loop.run_in_executor(self._decode_threads, path.read_bytes)
                image = await loop.run_in_executor(
                    self._decode_threads, decode_image, data, self.decode_target_side, self.max_pixels
                )
                frames = [(0, 0.0, image)]
        except (UndecodableMedia, FileNotFoundError) as exc:
            reason = (
                f"cannot decode {media.kind}: {exc}"
                if isinstance(exc, UndecodableMedia)
                else (f"stored file is missing: {media.path}")
            )
            log.warning("detect dead_letter media_id=%d reason=%s", media.id, reason)
            await media_store.add_dead_letter(
                self.pool, stage="detect", reason=reason, media_id=media.id, source_path=media.path
            )
            self.metrics.dead_letters.labels("detect").inc()
            return None
        except OSError as exc:
            # Permissions, I/O error: this file's problem, not an outage. It stays pending and is
            # retried; the last attempt becomes a dead letter with this reason.
            raise LocalFileError("io_error", f"cannot read stored file {media.path}: {exc}") from exc
        if not frames:
            await media_store.add_dead_letter(
                self.pool,
                stage="detect",
                reason="video has no frames",
                media_id=media.id,
                source_path=media.path,
            )
            self.metrics.dead_letters.labels("detect").inc()
            return None
        return _Decoded(media, frames)

    async def _detect(self, items: list[_Decoded]) -> list[list[tuple[int, float, list[Detection]]]]:
        if not items:
            return []
        flat = [frame for item in items for (_i, _t, frame) in item.frames]
        started = time.perf_counter()
        loop = asyncio.get_running_loop()
        found = await loop.run_in_executor(self._model_thread, self.detector.detect, flat)
        log.debug("detect frames=%d seconds=%.3f", len(flat), time.perf_counter() - started)
        out: list[list[tuple[int, float, list[Detection]]]] = []
        pos = 0
        for item in items:
            per_media = []
            for idx, offset, _frame in item.frames:
                per_media.append((idx, offset, found[pos]))
                pos += 1
            out.append(per_media)
        return out

    def close(self) -> None:
        """Release the worker threads."""
        self._model_thread.shutdown(wait=False, cancel_futures=True)
        self._decode_threads.shutdown(wait=False, cancel_futures=True)
        close = getattr(self.detector, "close", None)
        if callable(close):
            close()


def local_time(at: datetime, tz: ZoneInfo) -> datetime:
    """A timestamp in the home's time zone."""
    return at.astimezone(tz)
