"""Helpers for delivery tests: events in the real PostgreSQL, Event JSON, a cuttable TCP proxy."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from inference_server.contract.events import event_json as contract_event_json
from inference_server.contract.risk import level_for_score


async def add_camera(pool: asyncpg.Pool, camera: str, name: str | None = None) -> None:
    """A camera row (ignored when it exists)."""
    await pool.execute(
        "INSERT INTO cameras (id, name) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING",
        camera,
        name or camera.title(),
    )


async def add_event(
    pool: asyncpg.Pool,
    *,
    camera: str = "front",
    risk_score: int = 75,
    objects: dict[str, int] | None = None,
    zones: list[str] | None = None,
    context: dict[str, Any] | None = None,
    started_at: datetime | None = None,
) -> dict[str, Any]:
    """Insert an event (and its camera); returns its Event JSON."""
    await add_camera(pool, camera)
    event_id = str(uuid.uuid4())
    start = started_at or datetime.now(UTC)
    level = level_for_score(risk_score).value
    await pool.execute(
        """
        INSERT INTO events (id, camera_id, started_at, ended_at, risk_score, risk_level, summary, reasoning,
                            objects, zones, context, assessed_by)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'heuristic')
        """,
        event_id,
        camera,
        start,
        start + timedelta(seconds=20),
        risk_score,
        level,
        f"Person at the {camera} door",
        "Unknown person lingering",
        objects or {"person": 1},
        zones or ["porch"],
        context or {"max_confidence": {"person": 0.9}},
    )
    return event_json(
        event_id=event_id,
        camera=camera,
        risk_score=risk_score,
        objects=objects,
        zones=zones,
        started_at=start,
    )


def event_json(
    *,
    event_id: str | None = None,
    camera: str = "front",
    risk_score: int = 75,
    objects: dict[str, int] | None = None,
    zones: list[str] | None = None,
    started_at: datetime | None = None,
    media: list[str] | None = None,
) -> dict[str, Any]:
    """An Event JSON document as the pipeline publishes it."""
    start = started_at or datetime.now(UTC)
    return contract_event_json(
        id=event_id or str(uuid.uuid4()),
        camera=camera,
        camera_name=camera.title(),
        started_at=start,
        ended_at=start + timedelta(seconds=20),
        risk_score=risk_score,
        summary=f"Person at the {camera} door",
        reasoning="Unknown person lingering",
        objects=objects or {"person": 1},
        zones=zones or ["porch"],
        media=media or [],
        assessed_by="heuristic",
    )


class TcpProxy:
    """Forwards 127.0.0.1:<port> to a target; `cut()` aborts every connection and stops listening."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = 0
        self._server: asyncio.Server | None = None
        self._transports: list[asyncio.StreamWriter] = []

    async def start(self) -> None:
        """Listen (on the same port as before when restarted)."""
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def cut(self) -> None:
        """Stop listening and abort every open connection (no FIN handshake, like a crash)."""
        if self._server is not None:
            self._server.close()
            self._server = None
        for writer in self._transports:
            writer.transport.abort()
        self._transports.clear()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        self._transports += [writer, up_writer]

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(Exception):
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            with contextlib.suppress(Exception):
                dst.transport.abort()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
