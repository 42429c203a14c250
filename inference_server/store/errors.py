"""Which failures are a service being down (wait and retry) rather than bad data (dead letter)."""

from __future__ import annotations

import asyncio

import asyncpg
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError


def is_transient(exc: BaseException) -> bool:
    """True for connection-level failures of PostgreSQL or Redis that go away when they come back."""
    return isinstance(
        exc,
        (
            OSError,
            ConnectionError,
            asyncio.TimeoutError,
            asyncpg.PostgresConnectionError,
            asyncpg.InterfaceError,
            asyncpg.CannotConnectNowError,
            asyncpg.TooManyConnectionsError,
            asyncpg.AdminShutdownError,
            RedisConnectionError,
            RedisTimeoutError,
        ),
    ) and not isinstance(exc, FileNotFoundError)
