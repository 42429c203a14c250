"""Watching the upload folder: Linux inotify with close-write events, or watchfiles elsewhere.

inotify reports names as bytes, so a file name that is not UTF-8 is just another name (it is
decoded with `os.fsdecode`, which never fails). Close-write and moved-in events say a writer is
done with a file; a file that is modified and not yet closed is still being written, however
long the writer pauses. Where inotify is missing (macOS, some network mounts) the watcher falls
back to `watchfiles`, and ingest then relies on size and mtime staying stable.
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import enum
import errno
import logging
import os
import struct
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

IN_MODIFY = 0x00000002
IN_ATTRIB = 0x00000004
IN_CLOSE_WRITE = 0x00000008
IN_MOVED_FROM = 0x00000040
IN_MOVED_TO = 0x00000080
IN_CREATE = 0x00000100
IN_DELETE = 0x00000200
IN_DELETE_SELF = 0x00000400
IN_MOVE_SELF = 0x00000800
IN_Q_OVERFLOW = 0x00004000
IN_IGNORED = 0x00008000
IN_ONLYDIR = 0x01000000
IN_DONT_FOLLOW = 0x02000000
IN_EXCL_UNLINK = 0x04000000
IN_ISDIR = 0x40000000
_IN_NONBLOCK = os.O_NONBLOCK
_IN_CLOEXEC = getattr(os, "O_CLOEXEC", 0o2000000)

_WATCH_MASK = (
    IN_MODIFY
    | IN_ATTRIB
    | IN_CLOSE_WRITE
    | IN_MOVED_FROM
    | IN_MOVED_TO
    | IN_CREATE
    | IN_DELETE
    | IN_DELETE_SELF
    | IN_MOVE_SELF
    | IN_ONLYDIR
    | IN_DONT_FOLLOW
    | IN_EXCL_UNLINK
)
_HEADER = struct.Struct("iIII")


class Change(enum.Enum):
    """What happened to a path."""

    WRITING = "writing"  # created empty or modified: a writer has it open
    CLOSED = "closed"  # a writer closed it, or it was renamed into place: complete
    TOUCHED = "touched"  # created with content (a link), attributes changed: check stability
    FOLDER = "folder"  # a folder appeared: scan it (files may be in it already)
    GONE = "gone"  # deleted or moved away
    RESCAN = "rescan"  # events were lost: scan everything


@dataclass(frozen=True, slots=True)
class WatchEvent:
    """One change below the watched folder; `path` is absolute (RESCAN: the root)."""

    change: Change
    path: Path


def inotify_available() -> bool:
    """Whether this platform has inotify (Linux)."""
    return sys.platform.startswith("linux") and _libc() is not None


def _libc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c") or "libc.so.6"
    try:
        lib = ctypes.CDLL(name, use_errno=True)
    except OSError:
        return None
    return lib if hasattr(lib, "inotify_init1") else None


class InotifyWatcher:
    """A recursive inotify watch. Hidden folders (`.name`) and symbolic links are not followed."""

    def __init__(self, root: Path) -> None:
        lib = _libc()
        if lib is None:
            raise OSError(errno.ENOSYS, "inotify is not available")
        self._lib = lib
        self.root = Path(os.path.abspath(root))
        fd = lib.inotify_init1(_IN_NONBLOCK | _IN_CLOEXEC)
        if fd < 0:
            err = ctypes.get_errno()
            raise OSError(err, f"inotify_init1 failed: {os.strerror(err)}")
        self._fd: int = fd
        self._dirs: dict[int, bytes] = {}
        self._wds: dict[bytes, int] = {}

    def close(self) -> None:
        """Release the inotify descriptor."""
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def add_tree(self, top: Path) -> None:
        """Watch `top` and every folder below it (not hidden ones, not through symlinks)."""
        start = os.fsencode(top)
        self._add(start)
        for dirpath, dirnames, _files in os.walk(start, followlinks=False):
            dirnames[:] = [d for d in dirnames if not d.startswith(b".")]
            for d in dirnames:
                self._add(os.path.join(dirpath, d))

    def _add(self, path: bytes) -> None:
        wd = self._lib.inotify_add_watch(self._fd, path, _WATCH_MASK)
        if wd < 0:
            err = ctypes.get_errno()
            if err in (errno.ENOENT, errno.ENOTDIR, errno.EACCES):
                return  # gone already, or not a folder we may read
            if err == errno.ENOSPC:
                log.warning("watch limit reached (fs.inotify.max_user_watches); rescans cover the rest")
                return
            raise OSError(err, f"inotify_add_watch failed: {os.strerror(err)}")
        old = self._dirs.get(wd)
        if old is not None and old != path:
            self._wds.pop(old, None)
        self._dirs[wd] = path
        self._wds[path] = wd

    def _parse(self, data: bytes) -> list[WatchEvent]:
        events: list[WatchEvent] = []
        pos = 0
        while pos + _HEADER.size <= len(data):
            wd, mask, _cookie, length = _HEADER.unpack_from(data, pos)
            raw = data[pos + _HEADER.size : pos + _HEADER.size + length].rstrip(b"\0")
            pos += _HEADER.size + length
            if mask & IN_Q_OVERFLOW:
                events.append(WatchEvent(Change.RESCAN, self.root))
                continue
            folder = self._dirs.get(wd)
            if mask & IN_IGNORED:
                if folder is not None:
                    self._dirs.pop(wd, None)
                    if self._wds.get(folder) == wd:
                        self._wds.pop(folder, None)
                continue
            if folder is None or not raw:
                continue
            full = os.path.join(folder, raw)
            path = Path(os.fsdecode(full))
            if mask & IN_ISDIR:
                if mask & (IN_CREATE | IN_MOVED_TO) and not raw.startswith(b"."):
                    self.add_tree(path)
                    events.append(WatchEvent(Change.FOLDER, path))
                continue
            if mask & (IN_DELETE | IN_MOVED_FROM):
                events.append(WatchEvent(Change.GONE, path))
            elif mask & (IN_CLOSE_WRITE | IN_MOVED_TO):
                events.append(WatchEvent(Change.CLOSED, path))
            elif mask & IN_MODIFY:
                events.append(WatchEvent(Change.WRITING, path))
            elif mask & IN_CREATE:
                try:
                    size = os.lstat(full).st_size
                    regular = os.path.isfile(full) and not os.path.islink(full)
                except OSError:
                    continue
                # open(O_CREAT) makes an empty file that its writer still holds; a hard link,
                # symlink or FIFO arrives whole.
                change = Change.WRITING if regular and size == 0 else Change.TOUCHED
                events.append(WatchEvent(change, path))
            elif mask & IN_ATTRIB:
                events.append(WatchEvent(Change.TOUCHED, path))
        return events

    async def events(self, stop: asyncio.Event) -> AsyncIterator[list[WatchEvent]]:
        """Batches of events until `stop` is set."""
        loop = asyncio.get_running_loop()
        ready = asyncio.Event()
        loop.add_reader(self._fd, ready.set)
        try:
            while not stop.is_set():
                stopper = asyncio.ensure_future(stop.wait())
                waiter = asyncio.ensure_future(ready.wait())
                try:
                    await asyncio.wait({stopper, waiter}, return_when=asyncio.FIRST_COMPLETED)
                finally:
                    stopper.cancel()
                    waiter.cancel()
                if stop.is_set():
                    return
                ready.clear()
                batch: list[WatchEvent] = []
                while True:
                    try:
                        data = os.read(self._fd, 256 * 1024)
                    except BlockingIOError:
                        break
                    if not data:
                        break
                    batch.extend(self._parse(data))
                if batch:
                    yield batch
        finally:
            loop.remove_reader(self._fd)


async def watchfiles_events(root: Path, stop: asyncio.Event) -> AsyncIterator[list[WatchEvent]]:
    """The portable fallback: watchfiles' added/modified events, all treated as TOUCHED."""
    from watchfiles import Change as WfChange
    from watchfiles import awatch

    async for changes in awatch(
        root,
        stop_event=stop,
        recursive=True,
        debounce=200,
        step=50,
        rust_timeout=1000,
        ignore_permission_denied=True,
    ):
        batch: list[WatchEvent] = []
        for change, raw in changes:
            path = Path(raw)
            if change == WfChange.deleted:
                batch.append(WatchEvent(Change.GONE, path))
            elif path.is_dir() and not path.is_symlink():
                batch.append(WatchEvent(Change.FOLDER, path))
            else:
                batch.append(WatchEvent(Change.TOUCHED, path))
        yield batch
