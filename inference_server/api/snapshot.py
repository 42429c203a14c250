"""An event's snapshot: its best frame with the detection boxes drawn, cached as a JPEG.

Renders run in a worker thread (image decoding and drawing are CPU work); the result is cached
under `<media_dir>/.thumbs/<event id>-<version>.jpg`, so a refined event gets a new snapshot.
"""

from __future__ import annotations

import asyncio
import logging
import os
import tempfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from inference_server.api.context import ApiContext
from inference_server.store import queries

log = logging.getLogger(__name__)

THUMBS = ".thumbs"
MAX_WIDTH = 1280
_COLOURS = {
    "person": (255, 64, 64),
    "car": (64, 160, 255),
    "truck": (64, 160, 255),
    "dog": (255, 200, 0),
    "cat": (255, 200, 0),
}


class SnapshotUnavailable(Exception):
    """The event has no frame to show (no media, or its media cannot be decoded)."""


def _render(
    source: Path,
    kind: str,
    offset_s: float,
    boxes: list[tuple[str, float, float, float, float, float]],
    target: Path,
) -> None:
    from PIL import Image, ImageDraw, ImageFont

    if kind == "video":
        import cv2

        capture = cv2.VideoCapture(str(source))
        try:
            capture.set(cv2.CAP_PROP_POS_MSEC, max(0.0, offset_s) * 1000.0)
            ok, frame = capture.read()
        finally:
            capture.release()
        if not ok or frame is None:
            raise SnapshotUnavailable("the event's video frame cannot be decoded")
        image = Image.fromarray(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
    else:
        try:
            with Image.open(source) as opened:
                image = opened.convert("RGB")
        except (OSError, ValueError) as exc:
            raise SnapshotUnavailable(f"the event's image cannot be decoded: {exc}") from exc
    if image.width > MAX_WIDTH:
        image = image.resize((MAX_WIDTH, max(1, round(image.height * MAX_WIDTH / image.width))))
    draw = ImageDraw.Draw(image)
    w, h = image.size
    stroke = max(2, w // 320)
    try:
        font: ImageFont.ImageFont | ImageFont.FreeTypeFont = ImageFont.load_default(size=max(12, w // 60))
    except TypeError:  # older Pillow: fixed-size bitmap font
        font = ImageFont.load_default()
    for label, confidence, x1, y1, x2, y2 in boxes:
        colour = _COLOURS.get(label, (0, 220, 120))
        box = (x1 * w, y1 * h, x2 * w, y2 * h)
        draw.rectangle(box, outline=colour, width=stroke)
        text = f"{label} {confidence:.0%}"
        left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
        tx, ty = box[0], max(0.0, box[1] - (bottom - top) - 2 * stroke)
        draw.rectangle((tx, ty, tx + right - left + 2 * stroke, ty + bottom - top + 2 * stroke), fill=colour)
        draw.text((tx + stroke, ty + stroke - top), text, fill=(0, 0, 0), font=font)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            image.save(fh, format="JPEG", quality=85)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    for old in target.parent.glob(f"{target.name.split('-v')[0]}-v*.jpg"):
        if old != target:
            old.unlink(missing_ok=True)


async def snapshot_file(
    ctx: ApiContext, event_id: str, version: datetime, resolve: Callable[[Path, str], Path | None]
) -> Path:
    """The cached snapshot of this version of the event, rendering it when needed."""
    target = ctx.media_dir / THUMBS / f"{event_id}-v{int(version.timestamp() * 1_000_000)}.jpg"
    if await asyncio.to_thread(target.is_file):
        return target
    frame = await queries.best_frame(ctx.pool, event_id)
    if frame is None:
        raise SnapshotUnavailable("this event has no stored media")
    source = await asyncio.to_thread(resolve, ctx.media_dir, frame.path)
    if source is None:
        raise SnapshotUnavailable("the event's media file is missing")
    try:
        await asyncio.to_thread(_render, source, frame.kind, frame.offset_s, frame.boxes, target)
    except SnapshotUnavailable:
        raise
    except Exception as exc:
        log.warning("snapshot render failed event=%s error=%s", event_id, exc)
        raise SnapshotUnavailable("the event's media cannot be rendered") from exc
    return target
