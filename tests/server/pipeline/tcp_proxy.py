"""A real TCP proxy that a test can cut and restore, to take a service away from the server."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable


class TcpProxy:
    """Forwards 127.0.0.1:<port> to a target; `cut()` drops every connection and refuses new ones,
    `drop()` drops every connection but keeps accepting, `drop_on(match)` drops every connection
    the moment a client sends bytes that `match` (before they reach the service)."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = 0
        self._server: asyncio.Server | None = None
        self._conns: set[asyncio.StreamWriter] = set()
        self._triggers: list[tuple[Callable[[bytes], bool], asyncio.Event]] = []
        self.drops = 0

    async def start(self) -> None:
        """Listen (on the same port as before after a cut)."""
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", self.port, reuse_address=True)
        self.port = self._server.sockets[0].getsockname()[1]

    async def cut(self) -> None:
        """Close the listener and every open connection: the service is 'down'."""
        if self._server:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        for w in list(self._conns):
            with contextlib.suppress(Exception):
                w.transport.abort()
        self._conns.clear()

    def drop(self) -> None:
        """Abort every open connection (clients see a reset); new ones are accepted."""
        self.drops += 1
        for w in list(self._conns):
            with contextlib.suppress(Exception):
                w.transport.abort()
        self._conns.clear()

    def drop_on(self, match: Callable[[bytes], bool]) -> asyncio.Event:
        """Drop every connection once, when a client next sends bytes that `match` (a command's
        bytes usually arrive in one read); the event is set then."""
        fired = asyncio.Event()
        self._triggers.append((match, fired))
        return fired

    def _check(self, data: bytes) -> bool:
        for match, fired in list(self._triggers):
            if match(data):
                self._triggers.remove((match, fired))
                fired.set()
                return True
        return False

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.close()
            return
        self._conns.update({writer, up_writer})

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter, upstream: bool) -> None:
            try:
                while data := await src.read(65536):
                    if upstream and self._triggers and self._check(data):
                        self.drop()
                        return
                    dst.write(data)
                    await dst.drain()
            except (ConnectionError, OSError):
                pass
            finally:
                with contextlib.suppress(Exception):
                    dst.close()

        await asyncio.gather(pipe(reader, up_writer, True), pipe(up_reader, writer, False))
        self._conns.discard(writer)
        self._conns.discard(up_writer)
