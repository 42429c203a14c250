"""Ingest: turn complete, valid, new uploads into entries on the detect stream.

A file is accepted only when it is complete (size and mtime stable), sits in a safe camera
folder inside the watch dir, starts with JPEG/PNG/MP4 magic bytes, fits the size limit and has
not been seen (Redis SET NX, PostgreSQL unique SHA-256 as the backstop). Accepted files move into
the media dir; rejected ones move into `<media_dir>/quarantine/` with a dead letter saying why:
nothing a camera uploads is silently deleted.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import shutil
import stat
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import redis.asyncio as aioredis

from inference_server.domain.names import InvalidName, camera_slug, display_name
from inference_server.metrics import Metrics
from inference_server.store import media as media_store
from inference_server.store.errors import is_transient
from inference_server.store.streams import Keys, Streams

log = logging.getLogger(__name__)

_MAGIC = (
    (b"\xff\xd8\xff", "image", ".jpg"),
    (b"\x89PNG\r\n\x1a\n", "image", ".png"),
)
_IGNORED_SUFFIXES = (".tmp", ".part", ".partial", ".filepart", ".crdownload")


class Rejected(Exception):
    """An upload that cannot be accepted; `reason` is a short code, the message explains."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class IngestResult:
    """What happened to one file."""

    outcome: str  # accepted | duplicate | rejected | ignored | vanished | retry
    media_id: int | None = None
    reason: str = ""


def sniff_kind(head: bytes) -> tuple[str, str]:
    """(kind, extension) from the first bytes of a file, or raise Rejected."""
    for magic, kind, ext in _MAGIC:
        if head.startswith(magic):
            return kind, ext
    if len(head) >= 12 and head[4:8] == b"ftyp":
        return "video", ".mp4"
    raise Rejected("bad_type", "content is not JPEG, PNG or MP4 (magic bytes do not match)")


def _printable(path: Path | str) -> str:
    """A path as text that is always valid UTF-8 (names that are not UTF-8 keep their bytes escaped)."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def _hash_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def _move(src: Path, dest: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.replace(src, dest)
    except OSError:
        shutil.move(str(src), str(dest))


class Ingest:
    """The ingest stage: one public coroutine per file (`ingest`) and a watcher loop (`run`)."""

    def __init__(
        self,
        *,
        watch_dir: Path,
        media_dir: Path,
        pool: asyncpg.Pool,
        redis: aioredis.Redis,
        keys: Keys,
        metrics: Metrics,
        max_file_bytes: int,
        stable_seconds: float,
        dedupe_ttl_seconds: int,
        camera_names: dict[str, str] | None = None,
    ) -> None:
        self.watch_dir = watch_dir
        self.media_dir = media_dir
        self.pool = pool
        self.redis = redis
        self.keys = keys
        self.streams = Streams(redis, keys)
        self.metrics = metrics
        self.max_file_bytes = max_file_bytes
        self.stable_seconds = stable_seconds
        self.dedupe_ttl_seconds = dedupe_ttl_seconds
        self.camera_names = camera_names or {}
        self._pending: dict[str, asyncio.Task[None]] = {}
        self._retry: set[str] = set()
        self._recent: dict[str, float] = {}  # paths ingested lately: a late second event is no news
        # A burst of uploads (or a backlog at start-up) is ingested a few files at a time, so it
        # never opens more connections than the pools hold.
        self._slots = asyncio.Semaphore(8)
        self.needs_recovery = True

    # ------------------------------------------------------------------ watching
    async def run(self, stop: asyncio.Event) -> None:
        """Re-enqueue unfinished media, ingest files already present, then follow the watch dir."""
        from watchfiles import Change, awatch

        self.watch_dir.mkdir(parents=True, exist_ok=True)
        await self.recover()
        for path in await asyncio.to_thread(self.scan):
            self.schedule(path)
        retry_task = asyncio.create_task(self._retry_loop(stop))
        try:
            async for changes in awatch(
                self.watch_dir,
                stop_event=stop,
                recursive=True,
                debounce=200,
                step=50,
                rust_timeout=1000,
                ignore_permission_denied=True,
            ):
                for change, raw in changes:
                    if change in (Change.added, Change.modified):
                        path = Path(raw)
                        if change == Change.added and path.is_dir() and not path.is_symlink():
                            # Files can land in a new folder before the watcher watches it.
                            for found in await asyncio.to_thread(self.scan, path):
                                self.schedule(found)
                        self.schedule(path)
        finally:
            retry_task.cancel()
            for task in list(self._pending.values()):
                task.cancel()

    def scan(self, top: Path | None = None) -> list[Path]:
        """Every file currently below the watch dir, or below `top` in it (symlinks included, so
        they get rejected)."""
        found: list[Path] = []
        for root, dirs, files in os.walk(top or self.watch_dir, followlinks=False):
            dirs[:] = [d for d in dirs if not d.startswith(".")]
            found.extend(Path(root) / f for f in files)
            found.extend(Path(root) / d for d in dirs if (Path(root) / d).is_symlink())
        return sorted(found)

    def schedule(self, path: Path) -> None:
        """Ingest a path once it has stopped changing; a newer change restarts the wait."""
        key = os.fsdecode(path)
        previous = self._pending.pop(key, None)
        if previous:
            previous.cancel()
        task = asyncio.create_task(self._settle_then_ingest(path))
        self._pending[key] = task

        def forget(done: asyncio.Task[None]) -> None:
            if self._pending.get(key) is done:
                del self._pending[key]

        task.add_done_callback(forget)

    async def idle(self) -> None:
        """Wait until no file is waiting to settle (used by the demo and tests)."""
        while self._pending:
            await asyncio.gather(*list(self._pending.values()), return_exceptions=True)

    async def _settle_then_ingest(self, path: Path) -> None:
        try:
            before = os.lstat(path)
        except OSError:
            return
        while True:
            await asyncio.sleep(self.stable_seconds)
            try:
                now = os.lstat(path)
            except OSError:
                if os.fsdecode(path) in self._recent:
                    return  # we moved it ourselves (the start-up scan and the watcher both saw it)
                self.metrics.ingest_files.labels("vanished").inc()
                log.info("ingest vanished path=%s reason=deleted before it was read", _printable(path))
                return
            if (now.st_size, now.st_mtime_ns) == (before.st_size, before.st_mtime_ns):
                break
            before = now
        try:
            key = os.fsdecode(path)
            async with self._slots:
                if key in self._recent and not os.path.lexists(path):
                    return
                await self.ingest(path)
            done_at = time.monotonic()
            self._recent[key] = done_at
            if len(self._recent) > 10_000:
                self._recent = {k: t for k, t in self._recent.items() if done_at - t < 60}
        except Exception:  # never let one file stop the watcher
            log.exception("ingest failed path=%s", _printable(path))

    async def _retry_loop(self, stop: asyncio.Event) -> None:
        delay = 1.0
        while not stop.is_set():
            await asyncio.sleep(delay)
            if self.needs_recovery:
                try:
                    await self.recover()
                except Exception as exc:
                    if not is_transient(exc):
                        raise
            if not self._retry:
                delay = 1.0
                continue
            for key in list(self._retry):
                self._retry.discard(key)
                self.schedule(Path(key))
            delay = min(delay * 2, 15.0)

    async def recover(self) -> None:
        """Put media accepted but never detected (a crash between insert and enqueue) back on the stream."""
        ids = await media_store.queued_media_ids(self.pool)
        pending = await self.streams.depth("detect", "detectors") if ids else 0
        if ids and pending == 0:
            for media_id in ids:
                await self.streams.add("detect", {"media_id": str(media_id)})
            log.info("ingest recovered count=%d", len(ids))
        self.needs_recovery = False

    # ------------------------------------------------------------------ one file
    async def ingest(self, path: Path) -> IngestResult:
        """Validate, dedupe, store and enqueue one file. Never raises for bad input."""
        shown = _printable(path)
        started = time.perf_counter()
        try:
            async with asyncio.timeout(120):  # a hung service call becomes a retry, never a stuck file
                result = await self._ingest(path)
            if result.outcome == "accepted":
                self.metrics.observe_latency("ingest", time.perf_counter() - started)
        except Rejected as exc:
            self.metrics.ingest_rejected.labels(exc.reason).inc()
            log.warning("ingest rejected path=%s reason=%s detail=%s", shown, exc.reason, exc)
            await self._quarantine(path, exc)
            result = IngestResult("rejected", reason=exc.reason)
        except FileNotFoundError:
            log.info("ingest vanished path=%s reason=deleted before it was read", shown)
            result = IngestResult("vanished")
        except Exception as exc:
            if not is_transient(exc):
                raise
            self.metrics.service_errors.labels("ingest").inc()
            log.warning("ingest deferred path=%s reason=service unavailable (%s); will retry", shown, exc)
            self._retry.add(os.fsdecode(path))
            self.needs_recovery = True
            result = IngestResult("retry", reason=str(exc))
        self.metrics.ingest_files.labels(result.outcome).inc()
        return result

    async def _ingest(self, path: Path) -> IngestResult:
        root = self.watch_dir.resolve()
        absolute = Path(os.path.abspath(path))
        try:
            rel = absolute.relative_to(Path(os.path.abspath(self.watch_dir)))
        except ValueError:
            raise Rejected("outside_watch_dir", "path is outside the watch directory") from None
        parts = rel.parts
        if any(p in ("..", ".") for p in parts):
            raise Rejected("outside_watch_dir", "path climbs out of the watch directory")
        st = os.lstat(absolute)
        if stat.S_ISDIR(st.st_mode):
            return IngestResult("ignored", reason="a folder (its files are ingested one by one)")
        name = parts[-1]
        if name.startswith(".") or name.lower().endswith(_IGNORED_SUFFIXES):
            return IngestResult("ignored", reason="temporary or hidden file")
        if len(parts) < 2:
            raise Rejected(
                "no_camera_folder", "file is not inside a camera folder (<watch_dir>/<camera>/...)"
            )
        try:
            camera = camera_slug(parts[0])
        except InvalidName as exc:
            raise Rejected("bad_camera_name", str(exc)) from None
        if stat.S_ISLNK(st.st_mode):
            raise Rejected("symlink", "symbolic links are not accepted")
        real = Path(os.path.realpath(absolute))
        if not real.is_relative_to(root):
            raise Rejected("outside_watch_dir", "path resolves outside the watch directory")
        if not stat.S_ISREG(st.st_mode):
            return IngestResult("ignored", reason="not a regular file")
        if st.st_size == 0:
            raise Rejected("empty", "file is empty (0 bytes)")
        if st.st_size > self.max_file_bytes:
            raise Rejected(
                "too_large", f"file is {st.st_size} bytes, over the {self.max_file_bytes}-byte limit"
            )
        with absolute.open("rb") as fh:
            head = fh.read(16)
        kind, ext = sniff_kind(head)
        sha = await asyncio.to_thread(_hash_file, absolute)
        captured = datetime.fromtimestamp(min(st.st_mtime, time.time()), UTC)
        rel_media = f"{camera}/{captured:%Y-%m-%d}/{sha[:24]}{ext}"
        target = self.media_dir / rel_media

        fresh = await self.redis.set(self.keys.seen(sha), "1", nx=True, ex=self.dedupe_ttl_seconds)
        if not fresh and await media_store.media_exists(self.pool, sha):
            return await self._drop_duplicate(absolute, target, shown=_printable(path))

        media_id = await media_store.insert_media(
            self.pool,
            camera=camera,
            camera_name=self.camera_names.get(camera) or display_name(camera),
            sha256=sha,
            path=rel_media,
            original_name=_printable(name)[:255],
            kind=kind,
            size_bytes=st.st_size,
            captured_at=captured,
        )
        if media_id is None:
            return await self._drop_duplicate(absolute, target, shown=_printable(path))
        await asyncio.to_thread(_move, absolute, target)
        await self.streams.add("detect", {"media_id": str(media_id)})
        log.info("ingest accepted media_id=%d camera=%s kind=%s bytes=%d", media_id, camera, kind, st.st_size)
        return IngestResult("accepted", media_id=media_id)

    async def _drop_duplicate(self, source: Path, target: Path, *, shown: str) -> IngestResult:
        # Content already stored. If an earlier run stored the row but crashed before moving the
        # file, this copy becomes the stored one; otherwise the duplicate upload is removed.
        if not target.exists():
            await asyncio.to_thread(_move, source, target)
        else:
            await asyncio.to_thread(source.unlink, missing_ok=True)
        log.info("ingest duplicate path=%s", shown)
        return IngestResult("duplicate", reason="same content was stored before")

    def _offender(self, path: Path) -> Path | None:
        """What to move into quarantine: the file, or the symlink inside the watch dir it was reached
        through. Never anything outside the watch dir."""
        watch = Path(os.path.abspath(self.watch_dir))
        absolute = Path(os.path.abspath(path))
        if not absolute.is_relative_to(watch) or absolute == watch:
            return None
        current = watch
        for part in absolute.relative_to(watch).parts:
            current = current / part
            if current.is_symlink():
                return current
        return absolute if os.path.lexists(absolute) else None

    async def _quarantine(self, path: Path, exc: Rejected) -> None:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
        safe = "".join(
            c if c.isascii() and (c.isalnum() or c in "._-") else "_" for c in _printable(path.name)
        )
        dest = self.media_dir / "quarantine" / f"{stamp}-{safe[:100]}"
        moved: str | None = None
        try:
            offender = self._offender(path)
            if offender is not None:
                await asyncio.to_thread(_move, offender, dest)
                moved = str(dest)
        except OSError as err:
            log.warning("ingest could not quarantine path=%s error=%s", _printable(path), err)
        try:
            await media_store.add_dead_letter(
                self.pool,
                stage="ingest",
                reason=f"{exc.reason}: {exc}",
                source_path=_printable(path),
                payload={"quarantined_to": moved},
            )
        except Exception as err:
            if not is_transient(err):
                raise
            log.warning("ingest dead letter not recorded (database unavailable) path=%s", _printable(path))
        self.metrics.dead_letters.labels("ingest").inc()
