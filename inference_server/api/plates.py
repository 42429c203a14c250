"""Licence plate routes (opt-in per camera, docs/behaviour.md): the gallery and the reads.

Plates are identity data: every route needs an admin key, and nothing here is published on the
event stream (WebSocket, MQTT) beyond "the gallery changed".
"""

from __future__ import annotations

from aiohttp import web

from inference_server.api import schemas
from inference_server.api.errors import bad_request, not_found
from inference_server.api.routing import Call, Reply, Router
from inference_server.domain.plates import InvalidPlate, parse_plate
from inference_server.store import plates as store

router = Router()


def _plate(text: str, where: str) -> str:
    try:
        return parse_plate(text)
    except InvalidPlate as exc:
        raise bad_request(f"{where}: {exc}", "invalid_field") from None


@router.route(
    "GET",
    "/api/plates/known",
    summary="The gallery of known plates",
    tag="plates",
    scope="admin",
    responses={200: Reply("Known plates", schemas.KnownPlateList)},
)
async def list_known(call: Call) -> web.StreamResponse:
    return web.json_response({"plates": await store.list_known(call.ctx.pool)})


@router.route(
    "POST",
    "/api/plates/known",
    summary="Add a plate to the gallery (or rename it)",
    tag="plates",
    scope="admin",
    route_class="write",
    body=schemas.KnownPlateIn,
    responses={200: Reply("The known plate", schemas.KnownPlate)},
)
async def set_known(call: Call) -> web.StreamResponse:
    plate = _plate(call.body.plate, "plate")
    name = call.body.name.strip() if call.body.name else None
    known = await store.set_known(call.ctx.pool, plate, name or None)
    await call.ctx.publisher.publish("system", {"kind": "plates.changed"})
    return web.json_response(known)


@router.route(
    "DELETE",
    "/api/plates/known/{plate}",
    summary="Remove a plate from the gallery",
    tag="plates",
    scope="admin",
    route_class="write",
    path_params={"plate": "string"},
    responses={204: Reply("Removed")},
)
async def delete_known(call: Call) -> web.StreamResponse:
    plate = _plate(call.params["plate"], "plate")
    if not await store.delete_known(call.ctx.pool, plate):
        raise not_found("that plate is not in the gallery")
    await call.ctx.publisher.publish("system", {"kind": "plates.changed"})
    return web.Response(status=204)


@router.route(
    "GET",
    "/api/plates/reads",
    summary="Plates read on the cameras that opted in, newest first",
    tag="plates",
    scope="admin",
    query=schemas.PlateReadQuery,
    responses={200: Reply("Plate reads", schemas.PlateReadList)},
)
async def list_reads(call: Call) -> web.StreamResponse:
    q = call.query
    plate = _plate(q.plate, "plate") if q.plate is not None else None
    reads = await store.list_reads(
        call.ctx.pool, camera=q.camera, plate=plate, before=q.before, limit=q.limit
    )
    return web.json_response({"reads": reads})


@router.route(
    "POST",
    "/api/plates/forget",
    summary="Delete every plate read of a camera (and the plate entries of its events)",
    tag="plates",
    scope="admin",
    route_class="write",
    body=schemas.PlateForget,
    responses={200: Reply("How many reads were deleted", schemas.PlateForgetResult)},
)
async def forget(call: Call) -> web.StreamResponse:
    deleted = await store.forget_camera(call.ctx.pool, call.body.camera)
    return web.json_response({"camera": call.body.camera, "deleted": deleted})
