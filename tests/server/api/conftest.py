"""The real API server on 127.0.0.1 against the real PostgreSQL and Redis, plus seeding helpers."""

from __future__ import annotations

import hashlib
import io
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pytest
import redis.asyncio as aioredis
from aiohttp import ClientSession
from aiohttp.test_utils import TestServer
from PIL import Image

from inference_server.api import ApiContext, ApiLimits, create_app
from inference_server.bus.publish import Publisher
from inference_server.domain.detections import Box, Detection
from inference_server.domain.risk import RiskAssessment
from inference_server.metrics import Metrics
from inference_server.settings import Settings
from inference_server.store import api_keys
from inference_server.store import events as event_store
from inference_server.store import media as media_store
from inference_server.store.streams import Keys

NO_LIMITS = ApiLimits(enabled=False, key_cache_seconds=0.0)


@dataclass
class LiveApi:
    """A running server: its base URL, a client session, the context behind it."""

    url: str
    session: ClientSession
    ctx: ApiContext
    app: Any
    headers: dict[str, str] = field(default_factory=dict)

    async def get(self, path: str, **kw: Any) -> Any:
        return await self.session.get(self.url + path, **kw)

    async def request(self, method: str, path: str, **kw: Any) -> Any:
        return await self.session.request(method, self.url + path, **kw)


@pytest.fixture
def media_dir(tmp_path: Path) -> Path:
    path = tmp_path / "media"
    path.mkdir()
    return path


@pytest.fixture
def make_ctx(
    pg_pool: asyncpg.Pool, redis_client: aioredis.Redis, keys: Keys, media_dir: Path
) -> Callable[..., ApiContext]:
    def build(*, keys_required: bool = False, limits: ApiLimits = NO_LIMITS, **ready: Any) -> ApiContext:
        settings = Settings.from_flat(
            api_keys_required="true" if keys_required else "false",
            redis_prefix=keys.prefix,
            media_dir=media_dir,
        )

        async def detector_ready() -> bool:
            return True

        return ApiContext(
            settings=settings,
            pool=pg_pool,
            redis=redis_client,
            keys=keys,
            metrics=Metrics(),
            publisher=Publisher(redis_client, keys),
            media_dir=media_dir,
            ready_checks=ready or {"detector": detector_ready},
            limits=limits,
        )

    return build


@pytest.fixture
async def start_api(make_ctx: Callable[..., ApiContext]) -> AsyncIterator[Callable[..., Awaitable[LiveApi]]]:
    servers: list[tuple[TestServer, ClientSession]] = []

    async def start(ctx: ApiContext | None = None, *, admin: bool = False, **kw: Any) -> LiveApi:
        ctx = ctx or make_ctx(**kw)
        app = create_app(ctx)
        server = TestServer(app, host="127.0.0.1")
        await server.start_server()
        headers = {}
        if admin:  # without a key the API is read-only: writes need an admin key
            _, key = await api_keys.create_key(ctx.pool, f"test-admin-{uuid.uuid4().hex[:8]}", "admin")
            headers["X-API-Key"] = key
        session = ClientSession(headers=headers)
        servers.append((server, session))
        return LiveApi(str(server.make_url("")).rstrip("/"), session, ctx, app)

    yield start
    for server, session in servers:
        await session.close()
        await server.close()


@pytest.fixture
async def api(start_api: Callable[..., Awaitable[LiveApi]]) -> LiveApi:
    """Keys optional (anonymous reads on loopback), the session sends an admin key, no rate limits."""
    return await start_api(admin=True)


def jpeg_bytes(
    width: int = 320, height: int = 240, colour: tuple[int, int, int] = (40, 40, 40), comment: str = ""
) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buf, format="JPEG", quality=90, comment=comment or "hsi")
    return buf.getvalue()


class Seeder:
    """Writes cameras, media files, detections and events the way the pipeline does."""

    def __init__(self, pool: asyncpg.Pool, media_dir: Path) -> None:
        self.pool = pool
        self.media_dir = media_dir
        self.base = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
        self._n = 0

    async def media(
        self,
        camera: str,
        *,
        colour: tuple[int, int, int] = (40, 40, 40),
        detections: list[Detection] | None = None,
    ) -> tuple[int, list[int], str]:
        self._n += 1
        data = jpeg_bytes(colour=colour, comment=f"{uuid.uuid4()}")
        sha = hashlib.sha256(data).hexdigest()
        rel = f"{camera}/2025-06-01/{sha[:24]}.jpg"
        path = self.media_dir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        media_id = await media_store.insert_media(
            self.pool,
            camera=camera,
            camera_name=camera.replace("_", " ").title(),
            sha256=sha,
            path=rel,
            original_name="snap.jpg",
            kind="image",
            size_bytes=len(data),
            captured_at=self.base,
        )
        assert media_id is not None
        dets = (
            detections if detections is not None else [Detection("person", 0.9, Box(0.25, 0.25, 0.75, 0.75))]
        )
        await media_store.save_detections(self.pool, {media_id: [(0, 0.0, dets)]})
        rows = await self.pool.fetch("SELECT id FROM detections WHERE media_id = $1 ORDER BY id", media_id)
        return media_id, [r["id"] for r in rows], rel

    async def event(
        self,
        camera: str = "front_door",
        *,
        minutes: float = 0,
        score: int = 20,
        summary: str = "A person walked up the path.",
        reasoning: str = "Daytime, ordinary visit.",
        objects: dict[str, int] | None = None,
        zones: list[str] | None = None,
        with_media: bool = True,
        detections: list[Detection] | None = None,
        context: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        media_ids: list[int] = []
        det_ids: list[int] = []
        if with_media:
            media_id, det_ids, _ = await self.media(camera, detections=detections)
            media_ids = [media_id]
        else:
            await media_store.ensure_camera(self.pool, camera, camera.replace("_", " ").title())
        started = self.base + timedelta(minutes=minutes)
        event, _ = await event_store.save_event(
            self.pool,
            event_id=str(uuid.uuid4()),
            camera=camera,
            started_at=started,
            ended_at=started + timedelta(seconds=30),
            assessment=RiskAssessment(score, summary, reasoning, "heuristic"),
            objects=objects if objects is not None else {"person": 1},
            zones=zones or [],
            context=context or {},
            fast_path=False,
            final=True,
            media_ids=media_ids,
            detection_ids=det_ids,
        )
        return event.to_json()


@pytest.fixture
def seed(pg_pool: asyncpg.Pool, media_dir: Path) -> Seeder:
    return Seeder(pg_pool, media_dir)
