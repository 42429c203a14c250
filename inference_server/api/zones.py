"""Zone routes: validated polygons per camera (geometry checked by the domain)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from inference_server.api import schemas
from inference_server.api.errors import bad_request, conflict, not_found
from inference_server.api.routing import Call, Reply, Router
from inference_server.domain.zones import InvalidZone, validate_polygon
from inference_server.store import queries

router = Router()


def _validated(body: schemas.ZoneIn) -> dict[str, Any]:
    try:
        polygon = validate_polygon(body.polygon)
    except InvalidZone as exc:
        raise bad_request(f"polygon: {exc}", "invalid_field") from None
    name = body.name.strip()
    if not name:
        raise bad_request("name: must not be blank", "invalid_field")
    return {**body.model_dump(), "name": name, "polygon": [list(p) for p in polygon]}


async def _changed(call: Call, zone: dict[str, Any], action: str) -> None:
    # Enrichment caches zones; a system message tells every process to reload.
    await call.ctx.publisher.publish(
        "system", {"kind": f"zone.{action}", "id": zone["id"], "camera": zone["camera"]}
    )


@router.route(
    "GET",
    "/api/zones",
    summary="Zones, optionally of one camera",
    tag="zones",
    query=schemas.CameraQuery,
    responses={200: Reply("Zones", schemas.ZoneList)},
)
async def list_zones(call: Call) -> web.StreamResponse:
    return web.json_response({"zones": await queries.list_zones(call.ctx.pool, call.query.camera)})


@router.route(
    "POST",
    "/api/zones",
    summary="Create a zone",
    tag="zones",
    scope="admin",
    route_class="write",
    body=schemas.ZoneIn,
    responses={201: Reply("The new zone", schemas.Zone), 409: Reply("Name taken", schemas.Error)},
)
async def create_zone(call: Call) -> web.StreamResponse:
    data = _validated(call.body)
    try:
        zone = await queries.save_zone(call.ctx.pool, data)
    except queries.UnknownReference as exc:
        raise bad_request(str(exc), "unknown_camera") from None
    except queries.Conflict as exc:
        raise conflict(str(exc)) from None
    assert zone is not None
    await _changed(call, zone, "created")
    return web.json_response(zone, status=201)


@router.route(
    "GET",
    "/api/zones/{id}",
    summary="One zone",
    tag="zones",
    path_params={"id": "int"},
    responses={200: Reply("The zone", schemas.Zone)},
)
async def get_zone(call: Call) -> web.StreamResponse:
    zone = await queries.get_zone(call.ctx.pool, call.params["id"])
    if zone is None:
        raise not_found(f"no zone {call.params['id']}")
    return web.json_response(zone)


@router.route(
    "PUT",
    "/api/zones/{id}",
    summary="Replace a zone",
    tag="zones",
    scope="admin",
    route_class="write",
    path_params={"id": "int"},
    body=schemas.ZoneIn,
    responses={200: Reply("The zone", schemas.Zone), 409: Reply("Name taken", schemas.Error)},
)
async def update_zone(call: Call) -> web.StreamResponse:
    data = _validated(call.body)
    try:
        zone = await queries.save_zone(call.ctx.pool, data, call.params["id"])
    except queries.UnknownReference as exc:
        raise bad_request(str(exc), "unknown_camera") from None
    except queries.Conflict as exc:
        raise conflict(str(exc)) from None
    if zone is None:
        raise not_found(f"no zone {call.params['id']}")
    await _changed(call, zone, "updated")
    return web.json_response(zone)


@router.route(
    "DELETE",
    "/api/zones/{id}",
    summary="Delete a zone",
    tag="zones",
    scope="admin",
    route_class="write",
    path_params={"id": "int"},
    responses={204: Reply("Deleted")},
)
async def delete_zone(call: Call) -> web.StreamResponse:
    zone = await queries.delete_zone(call.ctx.pool, call.params["id"])
    if zone is None:
        raise not_found(f"no zone {call.params['id']}")
    await _changed(call, zone, "deleted")
    return web.Response(status=204)
