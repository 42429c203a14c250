"""Optional built-in FTP server: one user per camera, each confined to its own upload folder."""

from __future__ import annotations

import asyncio
import logging
import threading
from pathlib import Path
from typing import Any

from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import FTPHandler
from pyftpdlib.servers import FTPServer

from inference_server.domain.names import camera_slug

log = logging.getLogger(__name__)


class CameraFtpServer:
    """Runs pyftpdlib in a thread; uploads land in `<watch_dir>/<camera>/` where ingest picks them up."""

    def __init__(
        self, watch_dir: Path, users: dict[str, str], host: str, port: int, passive_ports: range | None = None
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
        # pyftpdlib (untyped) is configured through class attributes of a handler subclass.
        handler: Any = type("CameraFtpHandler", (FTPHandler,), {})
        handler.authorizer = authorizer
        handler.banner = "HSI camera upload"
        handler.permit_foreign_addresses = False
        if passive_ports:
            handler.passive_ports = passive_ports
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
