"""Camera routes: list (with each camera's newest event) and mute."""

from __future__ import annotations

from aiohttp import web

from inference_server.api import schemas
from inference_server.api.encoding import dumps
from inference_server.api.errors import not_found
from inference_server.api.routing import Call, Reply, Router
from inference_server.store import queries

router = Router()


@router.route(
    "GET",
    "/api/cameras",
    summary="Cameras with their newest event",
    tag="cameras",
    responses={200: Reply("Cameras", schemas.CameraList)},
)
async def list_cameras(call: Call) -> web.StreamResponse:
    return web.json_response({"cameras": await queries.list_cameras(call.ctx.pool)}, dumps=dumps)


@router.route(
    "POST",
    "/api/cameras/{id}/mute",
    summary="Mute a camera's alerts for N minutes (0 unmutes)",
    tag="cameras",
    scope="admin",
    route_class="write",
    path_params={"id": "slug"},
    body=schemas.MuteRequest,
    responses={200: Reply("The camera", schemas.Camera)},
)
async def mute_camera(call: Call) -> web.StreamResponse:
    camera_id = call.params["id"]
    if not await queries.mute_camera(call.ctx.pool, camera_id, call.body.minutes):
        raise not_found(f"no camera {camera_id}")
    camera = (await queries.list_cameras(call.ctx.pool, camera_id))[0]
    muted = camera["muted_until"]
    await call.ctx.publisher.publish(
        "system",
        {"kind": "camera.muted", "camera": camera_id, "muted_until": muted.isoformat() if muted else None},
    )
    return web.json_response(camera, dumps=dumps)
