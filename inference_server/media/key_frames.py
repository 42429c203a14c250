"""Frames of stored media: one frame of an image or clip, and an event's key frames for the vision step.

Read-only: the enrich stage cuts re-ID crops out of `load_frame`'s frames, the assess stage
sends `key_frames` to a vision model. Both run the decoding in a thread, never on the event loop.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

import asyncpg
import cv2
import numpy as np

from inference_server.ml.embedder_clip import crop
from inference_server.ml.frames import UndecodableMedia, decode_image
from inference_server.store import media as media_store
from inference_server.store.media import MediaRecord, StoredDetection

log = logging.getLogger(__name__)

# Pictures smaller than this (pixels, either side) carry too little to look at or re-identify.
MIN_CROP_PIXELS = 8


async def key_frames(
    pool: asyncpg.Pool, media_dir: Path | None, media_ids: Sequence[int], max_images: int = 4
) -> list[bytes]:
    """JPEG key frames of an event's media for the vision step: the full frame at the peak (most
    detections, then highest confidence) first, then the best crop of each detected class, at most
    `max_images`. Missing or undecodable media are skipped (logged)."""
    ids = list(media_ids)
    stored = await media_store.detections_for_media(pool, ids)
    records = await media_store.get_media_many(pool, ids)
    stored = [sd for sd in stored if sd.media_id in records]
    if not stored or media_dir is None:
        return []
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(None, _key_frame_jpegs, stored, records, media_dir, max_images)


def load_frame(media: MediaRecord, frame_offset_s: float, path: Path) -> np.ndarray | None:
    """The frame of `media` (stored at `path`) at `frame_offset_s`; None when missing or undecodable."""
    try:
        if media.kind == "video":
            return _video_frame(path, frame_offset_s)
        return decode_image(path.read_bytes())
    except (OSError, UndecodableMedia) as exc:
        log.warning("frame unavailable media_id=%d reason=%s", media.id, exc)
        return None


def _key_frame_jpegs(
    stored: Sequence[StoredDetection], records: dict[int, MediaRecord], media_dir: Path, max_images: int
) -> list[bytes]:
    """The peak full frame, then the best crop per class (see `key_frames`)."""
    per_frame: dict[tuple[int, int], list[StoredDetection]] = defaultdict(list)
    for sd in stored:
        per_frame[(sd.media_id, sd.frame_index)].append(sd)
    peak = max(per_frame.values(), key=lambda ds: (len(ds), max(d.detection.confidence for d in ds)))
    best: dict[str, StoredDetection] = {}
    for sd in stored:
        current = best.get(sd.detection.label)
        if current is None or sd.detection.confidence > current.detection.confidence:
            best[sd.detection.label] = sd
    wanted: list[tuple[StoredDetection, bool]] = [(peak[0], False)]
    wanted += [(sd, True) for sd in sorted(best.values(), key=lambda d: -d.detection.confidence)]
    frames: dict[tuple[int, int], np.ndarray | None] = {}
    out: list[bytes] = []
    for sd, as_crop in wanted:
        if len(out) >= max_images:
            break
        key = (sd.media_id, sd.frame_index)
        if key not in frames:
            media = records[sd.media_id]
            frames[key] = load_frame(media, sd.frame_offset_s, media_dir / media.path)
        frame = frames[key]
        if frame is None:
            continue
        picture = crop(frame, sd.detection.box) if as_crop else frame
        if picture.shape[0] < MIN_CROP_PIXELS or picture.shape[1] < MIN_CROP_PIXELS:
            continue
        ok, encoded = cv2.imencode(".jpg", picture, [cv2.IMWRITE_JPEG_QUALITY, 90])
        if ok:
            out.append(encoded.tobytes())
    return out


def _video_frame(path: Path, offset: float) -> np.ndarray | None:
    """The frame at `offset` seconds, timed as ml/frames.sample_video_frames does (index / fps)."""
    capture = cv2.VideoCapture(str(path))
    try:
        if not capture.isOpened():
            raise UndecodableMedia(f"cannot open video {path.name}")
        fps = capture.get(cv2.CAP_PROP_FPS)
        index = 0
        while capture.grab():
            at = index / fps if fps and fps > 0 else capture.get(cv2.CAP_PROP_POS_MSEC) / 1000.0
            index += 1
            if at + 1e-3 >= offset:
                ok, frame = capture.retrieve()
                return frame if ok else None
        return None
    finally:
        capture.release()
