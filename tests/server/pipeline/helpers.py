"""Helpers for pipeline tests: settings on the real services, a running pipeline, waiting."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from inference_server.runtime.app import App
from inference_server.runtime.services import Services
from inference_server.settings import Settings, load_settings
from tests.support.models import sample_images

REDIS_URL = "redis://localhost:6379/0"


def make_settings(tmp_path: Path, database_url: str, redis_prefix: str, **overrides: Any) -> Settings:
    """Settings for a test: real services, its own folders and key prefix, fast windows."""
    env = {
        "HSI_DATABASE_URL": database_url,
        "HSI_REDIS_URL": REDIS_URL,
        "HSI_REDIS_PREFIX": redis_prefix,
        "HSI_DATA_DIR": str(tmp_path / "data"),
        "HSI_DETECTOR": "opencv",
        "HSI_BATCH_IDLE_SECONDS": "1.5",
        "HSI_URGENT_RULES": "[]",  # fast path only where a test asks for it
        "HSI_INGEST_STABLE_SECONDS": "0.2",
        "HSI_RECLAIM_IDLE_SECONDS": "2",
    }
    settings = load_settings(environ=env)
    return settings.replace(**overrides)


@contextlib.asynccontextmanager
async def running(
    settings: Settings, stages: tuple[str, ...] = ("ingest", "detect", "window", "enrich", "assess")
) -> AsyncIterator[tuple[Services, App]]:
    """The stages running in this event loop until the block exits."""
    app = App(settings, stages)
    await app.start()
    stop = asyncio.Event()
    task = asyncio.create_task(app.run(stop))
    try:
        yield app.services, app
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)
        await app.stop()


async def wait_for(
    predicate: Callable[[], Awaitable[bool]], timeout: float = 60.0, what: str = "condition"
) -> None:
    """Poll an async predicate until true or fail the test with `what`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await predicate():
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def _bus_half() -> bytes:
    image = cv2.imread(str(sample_images()[0]))
    assert image is not None, sample_images()[0]
    image = cv2.resize(image, (image.shape[1] // 2, image.shape[0] // 2))
    ok, buf = cv2.imencode(".jpg", image)
    assert ok
    return buf.tobytes()


_BUS = _bus_half()


def person_jpeg(variant: int = 0) -> bytes:
    """A JPEG with people in it (ultralytics' bus.jpg), unique per variant (a JPEG comment)."""
    payload = f"variant {variant}".encode()
    return _BUS[:2] + b"\xff\xfe" + (len(payload) + 2).to_bytes(2, "big") + payload + _BUS[2:]


def blank_jpeg(seed: int = 0) -> bytes:
    """A JPEG with nothing in it."""
    image = np.full((240, 320, 3), 90 + seed % 100, dtype=np.uint8)
    ok, buf = cv2.imencode(".jpg", image)
    assert ok
    return buf.tobytes()


def drop(watch_dir: Path, camera: str, name: str, data: bytes, mtime: float | None = None) -> Path:
    """Write an upload the way a camera does: temporary name, then rename."""
    dest = watch_dir / camera / name
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{name}.part")
    tmp.write_bytes(data)
    if mtime is not None:
        import os

        os.utime(tmp, (mtime, mtime))
    tmp.replace(dest)
    return dest
