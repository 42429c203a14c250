"""Optional built-in FTP server: one user per camera, each confined to its own upload folder.

An upload is written under a hidden temporary name (`.hsi-ftp-<n>.<name>.part`, which ingest
ignores) and handed to ingest when pyftpdlib reports the transfer complete (`on_file_received`):
it is renamed to its real name, which ingest's watcher sees as a finished file. A camera that
pauses mid-upload therefore never gets a truncated file ingested. A transfer that breaks off is
renamed `<name>.hsi-incomplete`, and one that passes the per-file size cap (`max_file_bytes`) is
cut off there and renamed `<name>.hsi-too-large`: ingest quarantines both with a dead letter.
"""

from __future__ import annotations

import asyncio
import errno
import io
import itertools
import logging
import os
import threading
from pathlib import Path
from typing import Any

from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.filesystems import AbstractedFS
from pyftpdlib.handlers import FTPHandler
from pyftpdlib.servers import FTPServer

from inference_server.domain.names import camera_slug, printable
from inference_server.pipeline.ingest import INCOMPLETE_SUFFIX, TOO_LARGE_SUFFIX

log = logging.getLogger(__name__)

TEMP_PREFIX = ".hsi-ftp-"
_counter = itertools.count(1)


class CappedFile(io.FileIO):
    """A file that refuses to grow past `cap` bytes (EFBIG: pyftpdlib answers 426 and closes)."""

    def __init__(self, name: str, mode: str, cap: int) -> None:
        super().__init__(name, mode)
        self.cap = cap
        self.over_cap = False
        self._size = os.fstat(self.fileno()).st_size if "a" in mode else 0

    def write(self, data: Any) -> int:
        """Write, or raise OSError(EFBIG) once the cap would be passed (keeping what fits)."""
        room = self.cap - self._size
        view = memoryview(data)
        if len(view) > room:
            if room > 0:
                super().write(view[:room])
                self._size += room
            self.over_cap = True
            raise OSError(errno.EFBIG, f"file over the {self.cap}-byte upload limit")
        written = super().write(view) or 0
        self._size += written
        return written


class CameraFileSystem(AbstractedFS):  # type: ignore[misc]
    """pyftpdlib's file system view, writing new uploads under a temporary name."""

    max_file_bytes = 200 * 1024 * 1024

    def __init__(self, root: str, cmd_channel: Any) -> None:
        super().__init__(root, cmd_channel)
        self.uploads: dict[str, str] = {}  # temporary path -> final path

    def open(self, filename: str, mode: str) -> Any:
        """Open for reading as usual; a new upload (STOR) goes to a hidden temporary file."""
        plain = mode.replace("b", "")
        if plain not in ("w", "a", "r+"):
            return super().open(filename, mode)
        if plain == "w":
            folder, name = os.path.split(filename)
            temp = os.path.join(folder, f"{TEMP_PREFIX}{os.getpid()}-{next(_counter)}.{name}.part")
            handle = CappedFile(temp, "x", self.max_file_bytes)
            self.uploads[temp] = filename
            return handle
        return CappedFile(filename, "a" if plain == "a" else "r+", self.max_file_bytes)


def _place(temp: str, final: str) -> str:
    """Rename `temp` to `final`, or to `final` with -1, -2 ... when that name is taken (a camera
    re-using a name before ingest took the earlier file must not overwrite it)."""
    stem, ext = os.path.splitext(final)
    for n in range(1000):
        candidate = final if n == 0 else f"{stem}-{n}{ext}"
        try:
            os.link(temp, candidate)
        except FileExistsError:
            continue
        os.unlink(temp)
        return candidate
    os.replace(temp, final)
    return final


class CameraFtpHandler(FTPHandler):  # type: ignore[misc]
    """Hands finished uploads to ingest and marks broken ones for quarantine."""

    abstracted_fs = CameraFileSystem

    def on_file_received(self, file: str) -> None:
        """The transfer completed: give the file its real name (ingest sees a finished file)."""
        final = self.fs.uploads.pop(file, None) if self.fs is not None else None
        if final is None:
            return  # an APPE/REST onto an existing name: ingest waits for its close-write
        try:
            placed = _place(file, final)
            log.info("ftp received user=%s file=%s", printable(str(self.username)), printable(placed))
        except OSError as exc:
            log.warning("ftp could not hand over file=%s error=%s", printable(final), exc)

    def on_incomplete_file_received(self, file: str) -> None:
        """The transfer broke off (or hit the size cap): keep it for quarantine, never ingest it."""
        final = self.fs.uploads.pop(file, None) if self.fs is not None else None
        if final is None:
            return
        too_large = False
        try:
            too_large = os.stat(file).st_size >= self.fs.max_file_bytes
        except OSError:
            pass
        suffix = TOO_LARGE_SUFFIX if too_large else INCOMPLETE_SUFFIX
        try:
            placed = _place(file, final + suffix)
            log.warning(
                "ftp incomplete user=%s file=%s reason=%s",
                printable(str(self.username)),
                printable(placed),
                "over the size limit" if too_large else "transfer interrupted",
            )
        except OSError as exc:
            log.warning("ftp could not keep incomplete file=%s error=%s", printable(final), exc)


class CameraFtpServer:
    """Runs pyftpdlib in a thread; uploads land in `<watch_dir>/<camera>/` where ingest picks them up."""

    def __init__(
        self,
        watch_dir: Path,
        users: dict[str, str],
        host: str,
        port: int,
        passive_ports: range | None = None,
        *,
        max_file_bytes: int = 200 * 1024 * 1024,
    ) -> None:
        if not users:
            raise ValueError("the FTP server needs at least one camera with an ftp_password")
        authorizer = DummyAuthorizer()
        for camera, password in users.items():
            slug = camera_slug(camera)
            home = watch_dir / slug
            home.mkdir(parents=True, exist_ok=True)
            # Upload-only rights: list, change dir, store, make dir. No delete, rename or read-back.
            authorizer.add_user(slug, password, str(home), perm="elwm")
        fs = type("CappedCameraFileSystem", (CameraFileSystem,), {"max_file_bytes": max_file_bytes})
        # pyftpdlib (untyped) is configured through class attributes of a handler subclass.
        handler: Any = type("BoundCameraFtpHandler", (CameraFtpHandler,), {"abstracted_fs": fs})
        handler.authorizer = authorizer
        handler.banner = "HSI camera upload"
        handler.permit_foreign_addresses = False
        if passive_ports:
            handler.passive_ports = passive_ports
        self._fs = fs
        self._server = FTPServer((host, port), handler)
        self._server.max_cons = 64
        self._server.max_cons_per_ip = 16
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        """The port actually bound (useful with port 0)."""
        return int(self._server.address[1])

    def start(self) -> None:
        """Serve in a background thread."""
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"timeout": 0.5, "blocking": True},
            daemon=True,
            name="ftp",
        )
        self._thread.start()
        log.info("ftp listening port=%d", self.port)

    def stop(self) -> None:
        """Stop serving and close every connection."""
        self._server.close_all()
        if self._thread:
            self._thread.join(timeout=5)

    async def run(self, stop: asyncio.Event) -> None:
        """Serve until `stop` is set."""
        self.start()
        try:
            await stop.wait()
        finally:
            await asyncio.to_thread(self.stop)


def parse_port_range(text: str) -> range:
    """'30000-30009' -> range(30000, 30010)."""
    low, _, high = text.partition("-")
    return range(int(low), int(high or low) + 1)
