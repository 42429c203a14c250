"""Ingest: turn complete, valid, new uploads into entries on the detect stream.

A file is accepted only when it is complete (size and mtime stable), sits in a safe camera
folder inside the watch dir, starts with JPEG/PNG/MP4 magic bytes, fits the size limit and has
not been seen (Redis SET NX, PostgreSQL unique SHA-256 as the backstop). Accepted files move into
the media dir; rejected ones move into `<media_dir>/quarantine/` with a dead letter saying why:
nothing a camera uploads is silently deleted.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import hashlib
import logging
import os
import shutil
import stat
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

import asyncpg
import redis.asyncio as aioredis

from inference_server.domain.names import InvalidName, camera_slug, display_name, printable
from inference_server.metrics import Metrics
from inference_server.pipeline.watch import (
    Change,
    InotifyWatcher,
    WatchEvent,
    inotify_available,
    watchfiles_events,
)
from inference_server.store import media as media_store
from inference_server.store.errors import is_transient
from inference_server.store.streams import Keys, Streams
from inference_server.store.windows import mark_pending

log = logging.getLogger(__name__)

_MAGIC = (
    (b"\xff\xd8\xff", "image", ".jpg"),
    (b"\x89PNG\r\n\x1a\n", "image", ".png"),
)
_IGNORED_SUFFIXES = (".tmp", ".part", ".partial", ".filepart", ".crdownload")
# Names the built-in FTP server gives uploads that broke off or passed the size cap.
INCOMPLETE_SUFFIX = ".hsi-incomplete"
TOO_LARGE_SUFFIX = ".hsi-too-large"


class Rejected(Exception):
    """An upload that cannot be accepted; `reason` is a short code, the message explains."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class IngestResult:
    """What happened to one file."""

    outcome: str  # accepted | duplicate | rejected | ignored | vanished | retry | changing | failed
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


class StillChanging(Exception):
    """The file changed while it was being read: it is not complete yet (not a failure)."""


def _identity(st: os.stat_result) -> tuple[int, int, int]:
    return st.st_size, st.st_mtime_ns, st.st_ino


def _open_regular(path: Path, expected: os.stat_result) -> BinaryIO:
    """Open the very file that was examined: no symlink, no FIFO (opening one would block)."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    fd = os.open(path, flags | getattr(os, "O_CLOEXEC", 0))
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise Rejected("not_regular_file", "not a regular file (a FIFO, socket or device)")
        if _identity(st) != _identity(expected):
            raise StillChanging()
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _hash_open(fh: BinaryIO) -> str:
    digest = hashlib.sha256()
    fh.seek(0)
    while chunk := fh.read(1024 * 1024):
        digest.update(chunk)
    return digest.hexdigest()


def _has_end_marker(fh: BinaryIO, ext: str, size: int) -> bool:
    """Whether a JPEG/PNG ends like a complete file (video and other kinds: always True)."""
    marker = {".jpg": b"\xff\xd9", ".png": b"IEND\xaeB`\x82"}.get(ext)
    if marker is None:
        return True
    fh.seek(max(0, size - 4096))
    return marker in fh.read(4096)


def _place(src: Path, dest: Path) -> bool:
    """Give the file its stored name next to the upload (hard link, or copy across file systems).

    The upload stays where it is until its row is committed, so a failure at any step leaves the
    original for a retry. True when `dest` was created now, False when it existed already.
    """
    dest.parent.mkdir(parents=True, exist_ok=True)
    if os.path.lexists(dest):
        return False
    try:
        os.link(src, dest, follow_symlinks=False)
        return True
    except FileExistsError:
        return False
    except OSError as exc:
        if exc.errno not in (errno.EXDEV, errno.EPERM, errno.EMLINK, errno.ENOTSUP, errno.EOPNOTSUPP):
            raise
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.tmp")
    try:
        shutil.copyfile(src, tmp, follow_symlinks=False)
        with tmp.open("rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, dest)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    return True


def _move(src: Path, dest: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.replace(src, dest)
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
        shutil.move(str(src), str(dest))


class Ingest:
    """The ingest stage: one public coroutine per file (`ingest`) and a watcher loop (`run`).

    Every file the watcher sees ends in exactly one of: a media row, a duplicate (removed), or
    quarantine with a dead letter. A local error (unwritable media folder, full disk) spends one
    of `max_attempts`; a PostgreSQL/Redis outage defers the file without spending one.
    """

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
        max_attempts: int = 3,
        open_timeout_seconds: float = 600.0,
        abandoned_seconds: float = 3600.0,
        rescan_seconds: float = 60.0,
        use_inotify: bool | None = None,
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
        self.max_attempts = max_attempts
        self.open_timeout_seconds = open_timeout_seconds
        self.abandoned_seconds = abandoned_seconds
        self.rescan_seconds = rescan_seconds
        self.use_inotify = inotify_available() if use_inotify is None else use_inotify
        self._pending: dict[str, asyncio.Task[None]] = {}
        self._ingesting: set[str] = set()  # keys past settling, being read and stored
        self._again: set[str] = set()  # changed while being ingested: look once more afterwards
        self._writing: dict[str, float] = {}  # open for writing (inotify), by last modification
        self._retry: set[str] = set()  # deferred by an outage
        self._failures: dict[str, int] = {}  # local failures so far, per path
        self._given_up: dict[str, tuple[int, int, int]] = {}  # dead-lettered but could not be moved
        self._later: set[asyncio.Task[None]] = set()
        self._recent: dict[str, float] = {}  # paths ingested lately: a late second event is no news
        # A burst of uploads (or a backlog at start-up) is ingested a few files at a time, so it
        # never opens more connections than the pools hold.
        self._slots = asyncio.Semaphore(8)
        self.needs_recovery = True
        # Why the media folder took no file lately (full disk), until one is stored again.
        self.storage_full: str | None = None

    # ------------------------------------------------------------------ watching
    async def run(self, stop: asyncio.Event) -> None:
        """Re-enqueue unfinished media, ingest files already present, then follow the watch dir."""
        self.watch_dir.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(Exception):
            await self.recover()  # retried by the maintenance loop while services are down
        maintenance = asyncio.create_task(self._maintenance_loop(stop))
        maintenance.add_done_callback(_report("maintenance"))
        try:
            await self._watch(stop)
        finally:
            maintenance.cancel()
            await self._shutdown()

    async def _watch(self, stop: asyncio.Event) -> None:
        """Follow the watch dir; a watcher that fails is restarted after a full rescan."""
        while not stop.is_set():
            watcher: InotifyWatcher | None = None
            try:
                if self.use_inotify:
                    watcher = InotifyWatcher(self.watch_dir)
                    await asyncio.to_thread(watcher.add_tree, self.watch_dir)
                    source = watcher.events(stop)
                else:
                    source = watchfiles_events(self.watch_dir, stop)
                # Watch first, then scan: a file created in between is seen twice, never missed.
                await self._rescan()
                async for batch in source:
                    for event in batch:
                        await self._on_event(event)
            except asyncio.CancelledError:
                raise
            except Exception:
                self.metrics.service_errors.labels("ingest").inc()
                log.exception("ingest watcher failed; rescanning and watching again")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=1.0)
            finally:
                if watcher is not None:
                    watcher.close()

    async def _on_event(self, event: WatchEvent) -> None:
        key = os.fsdecode(event.path)
        if event.change is Change.RESCAN:
            await self._rescan()
        elif event.change is Change.FOLDER:
            # Files can land in a new folder before the watcher watches it.
            for found in await asyncio.to_thread(self.scan, event.path):
                self.schedule(found)
            if event.path.is_symlink():
                self.schedule(event.path)
        elif event.change is Change.GONE:
            self._writing.pop(key, None)
        elif event.change is Change.WRITING:
            self._writing[key] = time.monotonic()
            self.schedule(event.path)
        elif event.change is Change.CLOSED:
            self._writing.pop(key, None)
            self.schedule(event.path)
        else:
            self.schedule(event.path)

    async def _rescan(self) -> None:
        for path in await asyncio.to_thread(self.scan):
            self.schedule(path)

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
        """Ingest a path once it is complete: stable for `stable_seconds` and, where the watcher
        sees close-write events, closed by its writer."""
        key = os.fsdecode(path)
        if key in self._ingesting:
            self._again.add(key)
            return
        if key in self._pending:
            return  # its settle loop re-reads size and mtime anyway
        given_up = self._given_up.get(key)
        if given_up is not None:
            try:
                if _identity(os.lstat(path)) == given_up:
                    return  # dead-lettered already and unchanged since
            except OSError:
                pass
            del self._given_up[key]
        task = asyncio.create_task(self._settle_then_ingest(path))
        self._pending[key] = task

        def forget(done: asyncio.Task[None]) -> None:
            if self._pending.get(key) is done:
                del self._pending[key]

        task.add_done_callback(forget)

    def _schedule_later(self, path: Path, delay: float) -> None:
        async def later() -> None:
            await asyncio.sleep(delay)
            self.schedule(path)

        task = asyncio.create_task(later())
        self._later.add(task)
        task.add_done_callback(self._later.discard)

    async def idle(self) -> None:
        """Wait until no file is waiting to settle or for a retry (used by the demo and tests)."""
        while self._pending or self._later:
            await asyncio.gather(*list(self._pending.values()), *self._later, return_exceptions=True)

    async def _shutdown(self) -> None:
        for task in list(self._later):
            task.cancel()
        busy = [t for k, t in self._pending.items() if k in self._ingesting]
        for key, task in list(self._pending.items()):
            if key not in self._ingesting:
                task.cancel()
        if busy:
            # A file half-way through storing finishes (bounded), so no row lacks its file.
            _done, late = await asyncio.wait(busy, timeout=10)
            for task in late:
                task.cancel()

    async def _settle_then_ingest(self, path: Path) -> None:
        key = os.fsdecode(path)
        try:
            before = os.lstat(path)
        except OSError:
            return
        while True:
            await asyncio.sleep(self.stable_seconds)
            try:
                now = os.lstat(path)
            except OSError:
                self._writing.pop(key, None)
                if key in self._recent:
                    return  # we moved it ourselves (the start-up scan and the watcher both saw it)
                self.metrics.ingest_files.labels("vanished").inc()
                log.info("ingest vanished path=%s reason=deleted before it was read", printable(key))
                return
            if _identity(now) != _identity(before):
                before = now
                continue
            opened = self._writing.get(key)
            if opened is not None and time.monotonic() - opened < self.open_timeout_seconds:
                continue  # its writer still holds it open: wait for close-write, however long
            break
        self._ingesting.add(key)
        try:
            async with self._slots:
                if key in self._recent and not os.path.lexists(path):
                    return
                result = await self.ingest(path)
            now_t = time.monotonic()
            if result.outcome in ("accepted", "duplicate", "rejected"):
                self._recent[key] = now_t
                self._writing.pop(key, None)
            if len(self._recent) > 10_000:
                self._recent = {k: t for k, t in self._recent.items() if now_t - t < 60}
            if result.outcome == "changing":
                self._again.add(key)
            elif result.outcome == "failed":
                attempt = self._failures.get(key, 1)
                self._schedule_later(path, min(2.0**attempt, 30.0))
        except Exception:  # never let one file stop the watcher
            log.exception("ingest failed path=%s", printable(key))
        finally:
            self._ingesting.discard(key)
            if key in self._again:
                self._again.discard(key)
                if os.path.lexists(path):
                    asyncio.get_running_loop().call_soon(self._reschedule, path)

    def _reschedule(self, path: Path) -> None:
        self.schedule(path)

    async def _maintenance_loop(self, stop: asyncio.Event) -> None:
        """Retries after outages, recovery of unfinished media, and a periodic full rescan that
        catches anything a watcher missed. It never dies: a failure is logged and retried."""
        delay = 1.0
        last_scan = time.monotonic()
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=delay)
            if stop.is_set():
                return
            try:
                if self.needs_recovery:
                    await self.recover()
                if time.monotonic() - last_scan >= self.rescan_seconds:
                    last_scan = time.monotonic()
                    await self._rescan()
            except Exception as exc:
                if is_transient(exc):
                    log.warning("ingest recovery deferred: service unavailable (%s)", exc)
                else:
                    log.exception("ingest maintenance failed; retrying")
            if not self._retry:
                delay = 1.0
                continue
            for key in list(self._retry):
                self._retry.discard(key)
                self.schedule(Path(key))
            delay = min(delay * 2, 15.0)

    async def recover(self) -> None:
        """Put media accepted but never queued back on the detect stream: a crash, or a Redis or
        PostgreSQL connection lost between storing the row and queueing it. Media the stream
        still holds for the detectors are left alone (a second entry would be harmless: detect
        is idempotent per media)."""
        ids = await media_store.queued_media_ids(self.pool)
        if ids:
            waiting = set()
            for entry in await self.streams.unfinished("detect", "detectors"):
                with contextlib.suppress(KeyError, ValueError):
                    waiting.add(int(entry.fields["media_id"]))
            missing = [media_id for media_id in ids if media_id not in waiting]
            records = await media_store.get_media_many(self.pool, missing) if missing else {}
            for media_id in missing:
                if (record := records.get(media_id)) is not None:
                    await mark_pending(
                        self.redis, self.keys, record.camera, media_id, record.captured_at.timestamp()
                    )
                await self.streams.add("detect", {"media_id": str(media_id)})
            if missing:
                log.info("ingest recovered count=%d", len(missing))
        self.needs_recovery = False

    # ------------------------------------------------------------------ one file
    async def ingest(self, path: Path) -> IngestResult:
        """Validate, dedupe, store and enqueue one file. Never raises for bad input."""
        shown = printable(os.fsdecode(path))
        key = os.fsdecode(path)
        started = time.perf_counter()
        try:
            async with asyncio.timeout(120):  # a hung service call becomes a retry, never a stuck file
                result = await self._ingest(path)
            self._failures.pop(key, None)
            if result.outcome == "accepted":
                self.storage_full = None
                self.metrics.observe_latency("ingest", time.perf_counter() - started)
        except Rejected as exc:
            self._failures.pop(key, None)
            result = await self._reject(path, exc)
        except StillChanging:
            log.info("ingest changing path=%s reason=the file changed while it was read; waiting", shown)
            result = IngestResult("changing")
        except FileNotFoundError as exc:
            if os.path.lexists(path):  # the upload is there: a folder of the media dir is missing
                result = await self._local_failure(path, exc)
            else:
                log.info("ingest vanished path=%s reason=deleted before it was read", shown)
                result = IngestResult("vanished")
        except Exception as exc:
            if is_transient(exc):
                self.metrics.service_errors.labels("ingest").inc()
                log.warning("ingest deferred path=%s reason=service unavailable (%s); will retry", shown, exc)
                self._retry.add(key)
                self.needs_recovery = True
                result = IngestResult("retry", reason=str(exc))
            elif isinstance(exc, OSError) and is_disk_full(exc):
                # Not this file's fault: every upload would fail alike. It stays in the watch
                # folder (no attempt spent) and is retried until space returns; ready says so.
                self.storage_full = printable(f"{exc.strerror or exc} ({self.media_dir})")
                self.metrics.service_errors.labels("ingest").inc()
                log.warning(
                    "ingest deferred path=%s reason=media storage is full (%s): the upload stays in the "
                    "watch folder and is retried; free space under %s",
                    shown,
                    self.storage_full,
                    printable(str(self.media_dir)),
                )
                self._retry.add(key)
                result = IngestResult("retry", reason="storage_full")
            else:
                result = await self._local_failure(path, exc)
        self.metrics.ingest_files.labels(result.outcome).inc()
        return result

    async def _local_failure(self, path: Path, exc: BaseException) -> IngestResult:
        """A failure that is this file's (or this folder's), not a service outage: spend an
        attempt; the last one quarantines the file with a dead letter saying what went wrong."""
        key = os.fsdecode(path)
        attempt = self._failures.get(key, 0) + 1
        self._failures[key] = attempt
        reason = "io_error" if isinstance(exc, OSError) else "ingest_failed"
        detail = printable(f"{type(exc).__name__}: {exc}")
        if attempt < self.max_attempts:
            log.warning(
                "ingest failed path=%s attempt=%d of %d reason=%s detail=%s; will retry",
                printable(key),
                attempt,
                self.max_attempts,
                reason,
                detail,
            )
            return IngestResult("failed", reason=detail)
        self._failures.pop(key, None)
        message = f"failed {attempt} times: {detail}"
        return await self._reject(path, Rejected(reason, message))

    async def _ingest(self, path: Path) -> IngestResult:
        root = self.watch_dir.resolve()
        absolute = Path(os.path.abspath(path))
        try:
            rel = absolute.relative_to(Path(os.path.abspath(self.watch_dir)))
        except ValueError:
            raise Rejected("outside_watch_dir", "path is outside the watch directory") from None
        parts = rel.parts
        if not parts or any(p in ("..", ".") for p in parts):
            raise Rejected("outside_watch_dir", "path climbs out of the watch directory")
        st = os.lstat(absolute)
        if stat.S_ISLNK(st.st_mode):
            raise Rejected("symlink", "symbolic links are not accepted (upload the file itself)")
        if stat.S_ISDIR(st.st_mode):
            return IngestResult("ignored", reason="a folder (its files are ingested one by one)")
        real = Path(os.path.realpath(absolute))
        if not real.is_relative_to(root):
            raise Rejected("outside_watch_dir", "path resolves outside the watch directory")
        if real != Path(os.path.join(root, *parts)):
            raise Rejected(
                "symlink", "the camera folder is a symbolic link (make it a real folder in the watch dir)"
            )
        name = parts[-1]
        if _is_temporary(name):
            age = time.time() - st.st_mtime
            if age < self.abandoned_seconds:
                return IngestResult("ignored", reason="temporary or hidden file")
            raise Rejected(
                "abandoned_temporary_file",
                f"temporary or hidden file unchanged for {int(age)} s (an upload that never finished?)",
            )
        if len(parts) < 2:
            raise Rejected(
                "no_camera_folder", "file is not inside a camera folder (<watch_dir>/<camera>/...)"
            )
        try:
            camera = camera_slug(parts[0])
        except InvalidName as exc:
            raise Rejected("bad_camera_name", str(exc)) from None
        if not stat.S_ISREG(st.st_mode):
            raise Rejected("not_regular_file", "not a regular file (a FIFO, socket or device)")
        if name.endswith(INCOMPLETE_SUFFIX):
            raise Rejected(
                "incomplete_upload",
                "the FTP transfer broke off before the end (the camera may send it again)",
            )
        if name.endswith(TOO_LARGE_SUFFIX):
            raise Rejected(
                "too_large", f"the FTP upload passed the {self.max_file_bytes}-byte limit and was cut off"
            )
        if st.st_size == 0:
            raise Rejected("empty", "file is empty (0 bytes)")
        if st.st_size > self.max_file_bytes:
            raise Rejected(
                "too_large", f"file is {st.st_size} bytes, over the {self.max_file_bytes}-byte limit"
            )
        fh = await asyncio.to_thread(_open_regular, absolute, st)
        try:
            head = fh.read(16)
            kind, ext = sniff_kind(head)
            sha = await asyncio.to_thread(_hash_open, fh)
            complete = await asyncio.to_thread(_has_end_marker, fh, ext, st.st_size)
        finally:
            fh.close()
        if not complete:
            # A JPEG/PNG without its end marker may be an upload that paused: look once more.
            await asyncio.sleep(self.stable_seconds)
        if _identity(os.lstat(absolute)) != _identity(st):
            raise StillChanging()
        captured = datetime.fromtimestamp(min(st.st_mtime, time.time()), UTC)
        rel_media = f"{camera}/{captured:%Y-%m-%d}/{sha[:24]}{ext}"
        target = self.media_dir / rel_media
        shown = printable(os.fsdecode(path))

        fresh = await self.redis.set(self.keys.seen(sha), "1", nx=True, ex=self.dedupe_ttl_seconds)
        if not fresh and await media_store.media_exists(self.pool, sha):
            return await self._drop_duplicate(absolute, sha, shown=shown)

        # Stored name first, row second, upload removed last: a failure at any point leaves the
        # upload in place (retried), never a row without its file.
        placed = await asyncio.to_thread(_place, absolute, target)
        try:
            media_id = await media_store.insert_media(
                self.pool,
                camera=camera,
                camera_name=self.camera_names.get(camera) or display_name(camera),
                sha256=sha,
                path=rel_media,
                original_name=printable(name)[:255],
                kind=kind,
                size_bytes=st.st_size,
                captured_at=captured,
            )
        except BaseException:
            if placed:
                with contextlib.suppress(OSError):
                    target.unlink()
            raise
        if media_id is None:
            stored = await media_store.stored_path(self.pool, sha)
            if placed and stored != rel_media:
                with contextlib.suppress(OSError):
                    target.unlink()
            return await self._drop_duplicate(absolute, sha, shown=shown)
        await asyncio.to_thread(_remove_upload, absolute)
        # Pending first: a window of this camera waits for it (store/windows.py) until detect or
        # the window stage is done with it.
        await mark_pending(self.redis, self.keys, camera, media_id, captured.timestamp())
        await self.streams.add("detect", {"media_id": str(media_id)})
        log.info("ingest accepted media_id=%d camera=%s kind=%s bytes=%d", media_id, camera, kind, st.st_size)
        return IngestResult("accepted", media_id=media_id)

    async def _drop_duplicate(self, source: Path, sha: str, *, shown: str) -> IngestResult:
        # Content already stored. If its stored file is missing (removed by hand, or a crash of an
        # older version between commit and move), this copy becomes the stored one.
        stored = await media_store.stored_path(self.pool, sha)
        if stored is not None and not (self.media_dir / stored).exists():
            await asyncio.to_thread(_place, source, self.media_dir / stored)
        await asyncio.to_thread(_remove_upload, source)
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
            if part in ("..", "."):
                return None
            current = current / part
            if current.is_symlink():
                return current
        return absolute if os.path.lexists(absolute) else None

    async def _reject(self, path: Path, exc: Rejected) -> IngestResult:
        """Quarantine with a dead letter. The dead letter is written first: a database outage
        defers the whole step, so no file sits in quarantine without its dead letter."""
        key = os.fsdecode(path)
        shown = printable(key)
        self.metrics.ingest_rejected.labels(exc.reason).inc()
        log.warning("ingest rejected path=%s reason=%s detail=%s", shown, exc.reason, printable(str(exc)))
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
        safe = "".join(
            c if c.isascii() and (c.isalnum() or c in "._-") else "_" for c in printable(path.name)
        )
        dest = self.media_dir / "quarantine" / f"{stamp}-{safe[:100]}"
        offender = self._offender(path)
        watch = Path(os.path.abspath(self.watch_dir))
        relative = None
        if offender is not None:
            relative = printable(os.fsdecode(offender.relative_to(watch)))
        payload: dict[str, object] = {
            "quarantined_to": str(dest) if offender is not None else None,
            "relative_path": relative,
        }
        try:
            dl_id = await media_store.add_dead_letter(
                self.pool,
                stage="ingest",
                reason=f"{exc.reason}: {printable(str(exc))}",
                source_path=shown,
                payload=payload,
            )
        except Exception as err:
            if not is_transient(err):
                raise
            log.warning("ingest dead letter deferred (database unavailable) path=%s", shown)
            self._retry.add(key)
            return IngestResult("retry", reason=str(err))
        self.metrics.dead_letters.labels("ingest").inc()
        if offender is not None:
            try:
                await asyncio.to_thread(_move, offender, dest)
            except OSError as err:
                log.warning("ingest could not quarantine path=%s error=%s", shown, printable(str(err)))
                with contextlib.suppress(Exception):
                    await media_store.update_dead_letter_payload(
                        self.pool,
                        dl_id,
                        {"quarantined_to": None, "quarantine_error": printable(str(err))},
                    )
                with contextlib.suppress(OSError):
                    self._given_up[key] = _identity(os.lstat(path))
        return IngestResult("rejected", reason=exc.reason)


def is_disk_full(exc: BaseException) -> bool:
    """The file system is out of space or quota: a condition of the storage, not of the file."""
    return isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT)


def _is_temporary(name: str) -> bool:
    """Names uploaders write to before renaming into place (`.x.jpg.part`), and hidden files.
    Names of dots only or starting with two dots (`...`, `..jpg`) are not hidden: they are files."""
    if name.lower().endswith(_IGNORED_SUFFIXES):
        return True
    return name.startswith(".") and not name.startswith("..")


def _remove_upload(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


def _report(what: str) -> Callable[[asyncio.Task[None]], None]:
    def done(task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            log.error("ingest %s task died: %r", what, task.exception(), exc_info=task.exception())

    return done
