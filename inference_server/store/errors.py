"""Which failures are a service being down (wait and retry) rather than bad data (dead letter).

Only connection-level failures of PostgreSQL and Redis count as "service down": a worker then
waits and retries without spending an attempt. A local file-system error (a media folder that is
not writable, a full disk, a file that is not a file) is the file's failure: it spends an attempt
and ends in a dead letter, so it can never stall the pipeline for every camera.
"""

from __future__ import annotations

import errno
import socket

import asyncpg
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

# errno values that mean "the network path to a service failed", never "this file is bad".
_NETWORK_ERRNOS = frozenset(
    {
        errno.ECONNREFUSED,
        errno.ECONNRESET,
        errno.ECONNABORTED,
        errno.EPIPE,
        errno.ENETDOWN,
        errno.ENETUNREACH,
        errno.ENETRESET,
        errno.EHOSTDOWN,
        errno.EHOSTUNREACH,
        errno.ETIMEDOUT,
        errno.ENOTCONN,
        errno.EADDRNOTAVAIL,
    }
)

_SERVICE_ERRORS: tuple[type[BaseException], ...] = (
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.CannotConnectNowError,
    asyncpg.TooManyConnectionsError,
    asyncpg.AdminShutdownError,
    RedisConnectionError,
    RedisTimeoutError,
)


class LocalFileError(Exception):
    """A local file operation failed (permissions, full disk, not a regular file...): the file's
    problem, not a service outage. `reason` is a short code for the dead letter."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def is_transient(exc: BaseException) -> bool:
    """True for connection-level failures of PostgreSQL or Redis that go away when they come back.

    Local file-system errors (an `OSError` naming a file, or with a file-system errno such as
    EACCES, ENOSPC, EROFS, EISDIR) are not transient, nor is `LocalFileError`.
    """
    if isinstance(exc, LocalFileError):
        return False
    if isinstance(exc, _SERVICE_ERRORS):
        return True
    if isinstance(exc, TimeoutError):  # asyncio.TimeoutError is TimeoutError: a call that hung
        return exc.errno is None or exc.errno in _NETWORK_ERRNOS
    if isinstance(exc, (ConnectionError, socket.gaierror, socket.herror)):
        return True
    if isinstance(exc, OSError):
        if exc.filename is not None or exc.filename2 is not None:
            return False  # a file operation
        if exc.errno in _NETWORK_ERRNOS:
            return True
        # asyncio's "Multiple exceptions: [Errno 111] Connect call failed ..." carries no errno.
        return exc.errno is None
    return False
