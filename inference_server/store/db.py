"""PostgreSQL connection pool and ordered SQL migrations."""

from __future__ import annotations

import json
import logging
from importlib import resources
from typing import TypeAlias
from urllib.parse import urlsplit, urlunsplit

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from inference_server.logs import redact_url

log = logging.getLogger(__name__)

# A connection of its own or one borrowed from the pool (`async with pool.acquire() as conn`).
Connection: TypeAlias = asyncpg.Connection | PoolConnectionProxy
# Anything that runs one statement: a pool (which borrows a connection for it) or a connection.
Executor: TypeAlias = asyncpg.Pool | Connection

MIGRATIONS_PACKAGE = "inference_server.store.migrations"
_MIGRATION_LOCK = 0x48_53_49  # advisory lock id: one migrator at a time


class DatabaseUnavailable(RuntimeError):
    """PostgreSQL cannot be reached; the message names the URL (without password)."""


async def ensure_database(url: str) -> None:
    """Create the database named in the URL when the server runs but the database is missing."""
    try:
        conn = await asyncpg.connect(url, timeout=10)
    except asyncpg.InvalidCatalogNameError:
        parts = urlsplit(url)
        name = parts.path.lstrip("/")
        admin = urlunsplit(parts._replace(path="/postgres"))
        conn = await asyncpg.connect(admin, timeout=10)
        try:
            quoted = '"' + name.replace('"', '""') + '"'
            await conn.execute(f"CREATE DATABASE {quoted}")
            log.info("database created name=%s", name)
        except asyncpg.DuplicateDatabaseError:
            pass
        finally:
            await conn.close()
        return
    except (TimeoutError, OSError, asyncpg.PostgresError) as exc:
        raise DatabaseUnavailable(f"cannot connect to PostgreSQL at {redact_url(url)}: {exc}") from exc
    await conn.close()


async def create_pool(url: str, *, min_size: int = 1, max_size: int = 10) -> asyncpg.Pool:
    """Open a pool, creating the database if needed. Raises DatabaseUnavailable with the reason."""
    await ensure_database(url)
    try:
        # command_timeout: a statement on a connection whose peer vanished fails instead of hanging.
        pool = await asyncpg.create_pool(
            url, min_size=min_size, max_size=max_size, timeout=10, command_timeout=30, init=_init_connection
        )
    except (TimeoutError, OSError, asyncpg.PostgresError) as exc:
        raise DatabaseUnavailable(f"cannot connect to PostgreSQL at {redact_url(url)}: {exc}") from exc
    assert pool is not None
    return pool


async def _init_connection(conn: asyncpg.Connection) -> None:
    for typename in ("json", "jsonb"):
        await conn.set_type_codec(typename, encoder=json.dumps, decoder=json.loads, schema="pg_catalog")


def migration_files() -> list[tuple[str, str]]:
    """(version, sql) for every packaged migration, in order."""
    files = [f for f in resources.files(MIGRATIONS_PACKAGE).iterdir() if f.name.endswith(".sql")]
    return [
        (f.name.removesuffix(".sql"), f.read_text(encoding="utf-8"))
        for f in sorted(files, key=lambda f: f.name)
    ]


async def migrate(pool: asyncpg.Pool) -> list[str]:
    """Apply pending migrations in order, each in its own transaction; return the versions applied."""
    applied: list[str] = []
    async with pool.acquire() as conn:
        await conn.execute("SELECT pg_advisory_lock($1)", _MIGRATION_LOCK)
        try:
            await conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
            )
            done = {r["version"] for r in await conn.fetch("SELECT version FROM schema_migrations")}
            for version, sql in migration_files():
                if version in done:
                    continue
                async with conn.transaction():
                    await conn.execute(sql)
                    await conn.execute("INSERT INTO schema_migrations (version) VALUES ($1)", version)
                applied.append(version)
                log.info("migration applied version=%s", version)
        finally:
            await conn.execute("SELECT pg_advisory_unlock($1)", _MIGRATION_LOCK)
    return applied


async def ping(pool: Executor) -> bool:
    """PostgreSQL answers a trivial query (raises when it cannot be reached)."""
    return bool(await pool.fetchval("SELECT 1") == 1)


async def has_pgvector(pool: asyncpg.Pool) -> bool:
    """Whether the pgvector extension is installed or can be."""
    async with pool.acquire() as conn:
        row = await conn.fetchval("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'")
        return row is not None
