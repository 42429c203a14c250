"""Dead letters (list, replay) and the audit log."""

from __future__ import annotations

import asyncio
import errno
import os
import shutil
from pathlib import Path, PurePosixPath
from typing import Any

from aiohttp import web

from inference_server.api import cursors, schemas
from inference_server.api.encoding import dumps
from inference_server.api.errors import conflict, not_found
from inference_server.api.routing import Call, Reply, Router
from inference_server.store import audit, queries
from inference_server.store.streams import Streams

router = Router()


@router.route(
    "GET",
    "/api/dlq",
    summary="Dead letters, newest first",
    tag="dead-letters",
    query=schemas.DeadLetterQuery,
    responses={200: Reply("A page of dead letters", schemas.DeadLetterPage)},
)
async def list_dead_letters(call: Call) -> web.StreamResponse:
    q: schemas.DeadLetterQuery = call.query
    before = cursors.decode("d", q.cursor, (int,))[0] if q.cursor else None
    rows = await queries.list_dead_letters(
        call.ctx.pool, limit=q.limit + 1, before_id=before, include_replayed=q.include_replayed, stage=q.stage
    )
    page, more = rows[: q.limit], len(rows) > q.limit
    next_cursor = cursors.encode("d", page[-1]["id"]) if more and page else None
    return web.json_response({"dead_letters": page, "next_cursor": next_cursor}, dumps=dumps)


@router.route(
    "POST",
    "/api/dlq/{id}/replay",
    summary="Try a dead letter again (media: detect; quarantined upload: back to the watch dir; alert: deliver)",
    tag="dead-letters",
    scope="admin",
    route_class="write",
    path_params={"id": "int"},
    responses={200: Reply("Queued again", schemas.Replayed), 409: Reply("Nothing to replay", schemas.Error)},
)
async def replay_dead_letter(call: Call) -> web.StreamResponse:
    watch_dir = Path(os.path.abspath(call.ctx.settings.storage.watch_dir))

    async def restore(payload: dict[str, Any]) -> None:
        await asyncio.to_thread(_restore_quarantined, payload, watch_dir)

    try:
        replay = await queries.prepare_replay(call.ctx.pool, call.params["id"], restore_quarantined=restore)
    except queries.Conflict as exc:
        raise conflict(str(exc)) from None
    if replay is None:
        raise not_found(f"no dead letter {call.params['id']}")
    stream_id = None
    if replay.media_id is not None:
        stream_id = await Streams(call.ctx.redis, call.ctx.keys).add(
            "detect", {"media_id": str(replay.media_id)}
        )
    return web.json_response(
        {"dead_letter": replay.dead_letter, "stream_id": stream_id, "action": replay.action}, dumps=dumps
    )


def _restore_quarantined(payload: dict[str, Any], watch_dir: Path) -> None:
    """Move a quarantined upload back to where it was uploaded, so ingest tries it again."""
    source = Path(str(payload.get("quarantined_to")))
    relative = PurePosixPath(str(payload.get("relative_path") or ""))
    if not relative.parts or any(p in ("..", ".", "") for p in relative.parts) or relative.is_absolute():
        raise queries.Conflict("the dead letter does not say where the file was uploaded")
    if not source.is_file() or source.is_symlink():
        raise queries.Conflict(
            "the quarantined file is gone (deleted by quarantine_retention_days or by hand)"
        )
    dest = watch_dir.joinpath(*relative.parts)
    if os.path.lexists(dest):
        dest = dest.with_name(f"replayed-{dest.name}")
    if os.path.lexists(dest):
        raise queries.Conflict("a file of the same name is waiting in the watch dir")
    dest.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.replace(source, dest)
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise queries.Conflict(f"cannot move the file back: {exc.strerror}") from exc
        shutil.move(str(source), str(dest))


@router.route(
    "GET",
    "/api/audit",
    summary="The audit log, newest first (admin)",
    tag="audit",
    scope="admin",
    query=schemas.AuditQuery,
    responses={200: Reply("A page of audit entries", schemas.AuditPage)},
)
async def list_audit(call: Call) -> web.StreamResponse:
    q: schemas.AuditQuery = call.query
    before = cursors.decode("a", q.cursor, (int,))[0] if q.cursor else None
    rows = await audit.list_entries(
        call.ctx.pool,
        limit=q.limit + 1,
        before_id=before,
        action=q.action,
        actor=q.actor,
        outcome=q.outcome,
        since=q.since,
    )
    page, more = rows[: q.limit], len(rows) > q.limit
    next_cursor = cursors.encode("a", page[-1]["id"]) if more and page else None
    return web.json_response({"entries": page, "next_cursor": next_cursor}, dumps=dumps)
