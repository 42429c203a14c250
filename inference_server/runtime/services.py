"""`Services`: the connections one process shares between its stages (PostgreSQL, Redis, metrics)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import asyncpg
import redis.asyncio as aioredis
from redis.exceptions import RedisError

from inference_server.bus.publish import Publisher
from inference_server.logs import redact_url
from inference_server.metrics import Metrics
from inference_server.settings import ConfigError, Settings
from inference_server.store.db import DatabaseUnavailable, create_pool, migrate
from inference_server.store.streams import Keys


class ServiceUnavailable(RuntimeError):
    """A required service cannot be reached at start-up; the message says which and how to fix it."""


@dataclass
class Services:
    """Connections shared by every stage of one process."""

    settings: Settings
    pool: asyncpg.Pool
    redis: aioredis.Redis
    keys: Keys
    metrics: Metrics
    publisher: Publisher
    tz: ZoneInfo

    async def close(self) -> None:
        """Close the connections."""
        await self.pool.close()
        await self.redis.aclose()


def home_timezone(name: str) -> ZoneInfo:
    """The home's time zone, or ConfigError naming the bad value."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(f"setting 'timezone': unknown time zone {name!r}") from exc


async def open_services(settings: Settings, *, run_migrations: bool = True) -> Services:
    """Connect to PostgreSQL and Redis (and migrate); ServiceUnavailable with a one-line reason."""
    tz = home_timezone(settings.timezone)
    try:
        pool = await create_pool(settings.database.url)
    except DatabaseUnavailable as exc:
        raise ServiceUnavailable(f"{exc} (set HSI_DATABASE_URL)") from exc
    redis = aioredis.from_url(
        settings.redis.url, decode_responses=True, socket_connect_timeout=5, health_check_interval=15
    )
    try:
        await redis.ping()
    except (RedisError, OSError) as exc:
        await pool.close()
        await redis.aclose()
        raise ServiceUnavailable(
            f"cannot connect to Redis at {redact_url(settings.redis.url)}: {exc} (set HSI_REDIS_URL)"
        ) from exc
    if run_migrations:
        await migrate(pool)
    keys = Keys(settings.redis.prefix)
    return Services(settings, pool, redis, keys, Metrics(), Publisher(redis, keys), tz)


async def data_dirs(settings: Settings) -> None:
    """Create the folders the server writes to."""
    for path in (settings.storage.data_dir, settings.storage.watch_dir, settings.storage.media_dir):
        Path(path).mkdir(parents=True, exist_ok=True)
