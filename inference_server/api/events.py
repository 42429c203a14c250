"""Event routes: list with filters and cursors, full-text search, one event, review, snapshot."""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from typing import Any

from aiohttp import web

from inference_server.api import cursors, schemas
from inference_server.api.errors import bad_request, not_found
from inference_server.api.media import resolve_media_path
from inference_server.api.routing import Call, Reply, Router
from inference_server.api.snapshot import SnapshotUnavailable, snapshot_file
from inference_server.media.event_clips import ClipUnavailable, event_clip
from inference_server.store import faces as face_store
from inference_server.store import feedback as feedback_store
from inference_server.store import queries

log = logging.getLogger(__name__)
router = Router()


def _filters(q: schemas.EventFilterQuery) -> queries.EventFilters:
    return queries.EventFilters(
        cameras=[c for c in (q.camera or "").split(",") if c],
        since=q.since,
        until=q.until,
        min_risk=q.min_risk,
        levels=[lvl for lvl in (q.level or "").split(",") if lvl],
        object=q.object,
        reviewed=q.reviewed,
    )


@router.route(
    "GET",
    "/api/events",
    summary="Events, newest first, filtered, cursor-paginated",
    tag="events",
    query=schemas.EventFilterQuery,
    responses={200: Reply("A page of events", schemas.EventPage)},
)
async def list_events(call: Call) -> web.StreamResponse:
    q: schemas.EventFilterQuery = call.query
    after = None
    if q.cursor:
        started, event_id = cursors.decode("e", q.cursor, (datetime, str))
        after = (started, _uuid_or_400(event_id))
    rows = await queries.list_events(call.ctx.pool, _filters(q), limit=q.limit + 1, after=after)
    page, more = rows[: q.limit], len(rows) > q.limit
    next_cursor = cursors.encode("e", page[-1].started_at, page[-1].id) if more and page else None
    return web.json_response({"events": [e.to_json() for e in page], "next_cursor": next_cursor})


def _uuid_or_400(value: str) -> str:
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise bad_request(
            "cursor is not valid: pass next_cursor from the previous page", "invalid_cursor"
        ) from None


@router.route(
    "GET",
    "/api/events/search",
    summary="Full-text search over events, with the list filters",
    tag="events",
    route_class="search",
    query=schemas.EventSearchQuery,
    responses={200: Reply("Matching events, best first, with snippets", schemas.SearchPage)},
    description=(
        '`q` uses web search syntax: `word word` (all), `"exact phrase"`, `a OR b`, `-excluded`. '
        "Searches summary, reasoning, object classes, camera and zone names."
    ),
)
async def search_events(call: Call) -> web.StreamResponse:
    q: schemas.EventSearchQuery = call.query
    after = None
    if q.cursor:
        rank, started, event_id, sort = cursors.decode("s", q.cursor, (float, datetime, str, str))
        if sort != q.sort:
            raise bad_request("cursor belongs to another sort order", "invalid_cursor")
        after = (rank, started, _uuid_or_400(event_id))
    hits = await queries.search_events(
        call.ctx.pool, q.q, _filters(q), limit=q.limit + 1, sort=q.sort, after=after
    )
    page, more = hits[: q.limit], len(hits) > q.limit
    next_cursor = None
    if more and page:
        last = page[-1]
        next_cursor = cursors.encode("s", last.rank, last.event.started_at, last.event.id, q.sort)
    out: list[dict[str, Any]] = []
    for hit in page:
        item = hit.event.to_json()
        item["snippet"] = hit.snippet
        item["rank"] = round(hit.rank, 6)
        out.append(item)
    return web.json_response({"events": out, "next_cursor": next_cursor})


@router.route(
    "GET",
    "/api/events/{id}",
    summary="One event with its detections, the residents' feedback and re-ID sightings elsewhere",
    tag="events",
    path_params={"id": "uuid"},
    responses={200: Reply("The event", schemas.EventDetail)},
)
async def get_event(call: Call) -> web.StreamResponse:
    event = await queries.get_event(call.ctx.pool, call.params["id"])
    if event is None:
        raise not_found(f"no event {call.params['id']}")
    body = event.to_json()
    body["detections"] = await queries.event_detections(call.ctx.pool, event.id)
    body["sightings"] = await queries.event_sightings(call.ctx.pool, event.id)
    body["faces"] = await face_store.event_faces(call.ctx.pool, event.id)
    return web.json_response(body)


@router.route(
    "PATCH",
    "/api/events/{id}",
    summary="Mark an event reviewed and/or keep a note",
    tag="events",
    scope="admin",
    route_class="write",
    path_params={"id": "uuid"},
    body=schemas.EventPatch,
    responses={200: Reply("The updated event", schemas.Event)},
)
async def update_event(call: Call) -> web.StreamResponse:
    patch: schemas.EventPatch = call.body
    if "feedback" in patch.model_fields_set:
        if not await feedback_store.set_feedback(call.ctx.pool, call.params["id"], patch.feedback):
            raise not_found(f"no event {call.params['id']}")
    event = await queries.update_event(
        call.ctx.pool, call.params["id"], reviewed=patch.reviewed, notes=patch.notes
    )
    if event is None:
        raise not_found(f"no event {call.params['id']}")
    data = event.to_json()
    await call.ctx.publisher.publish("event.updated", data)
    return web.json_response(data)


@router.route(
    "GET",
    "/api/events/{id}/snapshot",
    summary="The event's best frame with its boxes drawn (JPEG)",
    tag="events",
    route_class="media",
    path_params={"id": "uuid"},
    responses={200: Reply("JPEG image", media_types=("image/jpeg",))},
)
async def get_snapshot(call: Call) -> web.StreamResponse:
    event_id = call.params["id"]
    version = await queries.event_version(call.ctx.pool, event_id)
    if version is None:
        raise not_found(f"no event {event_id}")
    try:
        path = await snapshot_file(call.ctx, event_id, version, resolve_media_path)
    except SnapshotUnavailable as exc:
        raise not_found(str(exc)) from None
    return web.FileResponse(
        path, headers={"Content-Type": "image/jpeg", "Cache-Control": "private, max-age=60"}
    )


@router.route(
    "GET",
    "/api/events/{id}/clip",
    summary="A clip of the event (MP4 H.264 or GIF) from its snapshots or source video",
    tag="events",
    route_class="media",
    path_params={"id": "uuid"},
    query=schemas.ClipQuery,
    responses={200: Reply("The clip", media_types=("video/mp4", "image/gif"))},
    description="Made with ffmpeg on first request (then cached); pre/post roll add the camera's "
    "other media up to 300 s around the event.",
)
async def get_clip(call: Call) -> web.StreamResponse:
    q: schemas.ClipQuery = call.query
    try:
        path = await event_clip(
            call.ctx.pool, call.ctx.media_dir, call.params["id"], q.format, q.pre_roll, q.post_roll
        )
    except ClipUnavailable as exc:
        raise not_found(str(exc)) from None
    media_type = "video/mp4" if q.format == "mp4" else "image/gif"
    return web.FileResponse(
        path, headers={"Content-Type": media_type, "Cache-Control": "private, max-age=300"}
    )
