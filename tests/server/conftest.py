"""Shared fixtures: the machine's real PostgreSQL and Redis, a fresh database and key prefix per run."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
import redis.asyncio as aioredis

from inference_server.store.db import create_pool, migrate
from inference_server.store.streams import Keys
from tests.support.models import ensure_ultralytics_offline

PG_ADMIN_URL = os.environ.get("HSI_TEST_PG_URL", "postgresql://postgres@localhost:5432/postgres")
REDIS_URL = os.environ.get("HSI_TEST_REDIS_URL", "redis://localhost:6379/0")
RUN_ID = uuid.uuid4().hex[:10]

ensure_ultralytics_offline(Path(__file__).resolve().parents[2] / ".data" / "ultralytics")


def pg_url(dbname: str) -> str:
    """The admin URL pointed at another database."""
    base, _, _ = PG_ADMIN_URL.rpartition("/")
    return f"{base}/{dbname}"


@pytest.fixture(scope="session")
def run_id() -> str:
    """Unique id of this test run (database names, Redis prefixes)."""
    return RUN_ID


async def _create_db(name: str) -> str:
    conn = await asyncpg.connect(PG_ADMIN_URL)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return pg_url(name)


async def _drop_db(name: str) -> None:
    conn = await asyncpg.connect(PG_ADMIN_URL)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@pytest.fixture
async def database_url() -> AsyncIterator[str]:
    """A fresh, empty database on the real PostgreSQL, dropped afterwards."""
    name = f"hsi_test_{RUN_ID}_{uuid.uuid4().hex[:8]}"
    url = await _create_db(name)
    yield url
    await _drop_db(name)


@pytest.fixture
async def pg_pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    """A pool on a fresh database with every migration applied."""
    pool = await create_pool(database_url, max_size=5)
    await migrate(pool)
    yield pool
    await pool.close()


@pytest.fixture
def redis_prefix() -> str:
    """A key prefix no other test or run uses."""
    return f"hsitest:{RUN_ID}:{uuid.uuid4().hex[:8]}"


@pytest.fixture
def keys(redis_prefix: str) -> Keys:
    """Redis key names under the test's prefix."""
    return Keys(redis_prefix)


@pytest.fixture
async def redis_client(redis_prefix: str) -> AsyncIterator[aioredis.Redis]:
    """A client of the real Redis; the test's keys are deleted afterwards."""
    client = aioredis.from_url(REDIS_URL, decode_responses=True)
    yield client
    async for key in client.scan_iter(match=f"{redis_prefix}:*", count=500):
        await client.delete(key)
    await client.aclose()
