"""Housekeeping: bounded streams, quarantine and audit log.

Every minute the pipeline's streams are trimmed to what some consumer group still needs or the
retention window keeps (never an entry a live group has not finished). Every hour quarantined
files and audit rows older than their retention are deleted. Any number of processes may run
this: each step is idempotent.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg

from inference_server.store import audit
from inference_server.store.streams import STAGES, Streams

log = logging.getLogger(__name__)


def purge_quarantine(folder: Path, older_than_s: float, now: float | None = None) -> int:
    """Delete quarantined files that have been there longer than `older_than_s` (by the time
    they were moved in: a rename sets ctime). Returns how many were deleted."""
    now = time.time() if now is None else now
    deleted = 0
    try:
        entries = list(os.scandir(folder))
    except FileNotFoundError:
        return 0
    for entry in entries:
        try:
            st = entry.stat(follow_symlinks=False)
            if now - st.st_ctime > older_than_s and not entry.is_dir(follow_symlinks=False):
                os.unlink(entry.path)
                deleted += 1
        except OSError as exc:
            log.warning("quarantine purge skipped file=%s error=%s", entry.name, exc)
    return deleted


class Housekeeping:
    """Trims streams and applies retention; `run` loops until stopped."""

    def __init__(
        self,
        *,
        streams: Streams,
        pool: asyncpg.Pool,
        quarantine_dir: Path,
        stream_retention_s: float,
        publish_retention_s: float,
        quarantine_retention_days: float,
        audit_retention_days: float,
        trim_every_s: float = 60.0,
        purge_every_s: float = 3600.0,
    ) -> None:
        self.streams = streams
        self.pool = pool
        self.quarantine_dir = quarantine_dir
        self.keep = {stage: stream_retention_s for stage in STAGES}
        self.keep["publish"] = publish_retention_s
        self.quarantine_retention_days = quarantine_retention_days
        self.audit_retention_days = audit_retention_days
        self.trim_every_s = trim_every_s
        self.purge_every_s = purge_every_s

    async def trim_streams(self) -> dict[str, int]:
        """Trim every stage's stream once; entries removed per stage."""
        now_ms = int(time.time() * 1000)
        return {stage: await self.streams.trim(stage, keep, now_ms) for stage, keep in self.keep.items()}

    async def purge(self) -> tuple[int, int]:
        """Apply quarantine and audit retention once: (files deleted, audit rows deleted)."""
        files = await asyncio.to_thread(
            purge_quarantine, self.quarantine_dir, self.quarantine_retention_days * 86400
        )
        cutoff = datetime.now(UTC) - timedelta(days=self.audit_retention_days)
        rows = await audit.delete_older_than(self.pool, cutoff)
        if files or rows:
            log.info("retention quarantine_files_deleted=%d audit_rows_deleted=%d", files, rows)
        return files, rows

    async def run(self, stop: asyncio.Event) -> None:
        """Trim every `trim_every_s`, purge every `purge_every_s`, until `stop` is set."""
        last_purge = -float("inf")
        while not stop.is_set():
            try:
                removed = await self.trim_streams()
                if any(removed.values()):
                    log.debug("streams trimmed %s", removed)
                if time.monotonic() - last_purge >= self.purge_every_s:
                    last_purge = time.monotonic()
                    await self.purge()
            except Exception as exc:  # an outage delays housekeeping; it never stops it
                log.warning("housekeeping deferred: %s", exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self.trim_every_s)
