"""Clips of events: the event's media (and the camera's media around it) through ffmpeg."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import asyncpg

from inference_server.media.clips import ClipError, ClipMaker
from inference_server.store import events as events_store
from inference_server.store import media as media_store


class ClipUnavailable(LookupError):
    """No clip can be made for the event; the message says why."""


async def event_clip(
    pool: asyncpg.Pool, media_dir: Path, event_id: str, fmt: str, pre_roll: float, post_roll: float
) -> Path:
    """The clip file for an event, made on first request and cached under `<media_dir>/.clips/`."""
    event = await events_store.event_span(pool, event_id)
    if event is None:
        raise ClipUnavailable(f"no event {event_id}")
    out = media_dir / ".clips" / f"{event_id}-{int(pre_roll)}-{int(post_roll)}.{fmt}"
    if out.exists():
        return out
    rows = await media_store.media_around(
        pool,
        event.camera,
        event_id,
        event.started_at - timedelta(seconds=pre_roll),
        event.ended_at + timedelta(seconds=post_roll),
    )
    maker = ClipMaker(media_dir)
    try:
        videos = [path for path, kind in rows if kind == "video"]
        if videos:
            span = (event.ended_at - event.started_at).total_seconds()
            await maker.from_video(
                media_dir / videos[0],
                out,
                start_seconds=0.0,
                end_seconds=max(span, 10.0),
                post_roll=post_roll,
                fmt=fmt,  # type: ignore[arg-type]
            )
        else:
            images = [media_dir / path for path, kind in rows if kind == "image"]
            if not images:
                raise ClipUnavailable(f"event {event_id} has no stored media")
            await maker.from_images(images, out, fmt=fmt)  # type: ignore[arg-type]
    except ClipError as exc:
        raise ClipUnavailable(f"cannot make a clip: {exc}") from exc
    return out
