"""Face gallery routes (opt-in per camera, docs/behaviour.md): enrol, list, rename, delete, forget.

Faces are identity data: every route needs an admin key, names are never logged, embeddings are
never returned, and nothing here is published on the event stream (WebSocket, MQTT) beyond "the
gallery changed".
"""

from __future__ import annotations

from aiohttp import web

from inference_server.api import schemas
from inference_server.api.errors import not_found
from inference_server.api.routing import Call, Reply, Router
from inference_server.store import faces as store

router = Router()


async def _changed(call: Call) -> None:
    await call.ctx.publisher.publish("system", {"kind": "faces.changed"})


@router.route(
    "GET",
    "/api/faces/known",
    summary="The gallery of known faces (names, never embeddings)",
    tag="faces",
    scope="admin",
    responses={200: Reply("Known faces", schemas.KnownFaceList)},
)
async def list_known_faces(call: Call) -> web.StreamResponse:
    return web.json_response({"faces": await store.list_known(call.ctx.pool)})


@router.route(
    "POST",
    "/api/faces/known",
    summary="Enrol the face seen on a person track of an event under a name",
    tag="faces",
    scope="admin",
    route_class="write",
    body=schemas.KnownFaceIn,
    responses={
        201: Reply("The new gallery entry", schemas.KnownFace),
        404: Reply("That track has no stored face", schemas.Error),
    },
)
async def enrol_face(call: Call) -> web.StreamResponse:
    body = call.body
    known = await store.enrol(
        call.ctx.pool, event_id=str(body.event_id), track_id=body.track_id, name=body.name
    )
    if known is None:
        raise not_found(
            "that track of that event has no stored face (never seen, expired, or its camera opted out)"
        )
    await _changed(call)
    return web.json_response(known, status=201)


@router.route(
    "PATCH",
    "/api/faces/known/{id}",
    summary="Rename a gallery entry",
    tag="faces",
    scope="admin",
    route_class="write",
    path_params={"id": "int"},
    body=schemas.KnownFaceRename,
    responses={200: Reply("The gallery entry", schemas.KnownFace)},
)
async def rename_known_face(call: Call) -> web.StreamResponse:
    known = await store.rename_known(call.ctx.pool, call.params["id"], call.body.name)
    if known is None:
        raise not_found(f"no known face {call.params['id']}")
    await _changed(call)
    return web.json_response(known)


@router.route(
    "DELETE",
    "/api/faces/known/{id}",
    summary="Remove a gallery entry",
    tag="faces",
    scope="admin",
    route_class="write",
    path_params={"id": "int"},
    responses={204: Reply("Removed")},
)
async def delete_known_face(call: Call) -> web.StreamResponse:
    if not await store.delete_known(call.ctx.pool, call.params["id"]):
        raise not_found(f"no known face {call.params['id']}")
    await _changed(call)
    return web.Response(status=204)


@router.route(
    "POST",
    "/api/faces/forget",
    summary="Delete every face embedding of a camera (and the face entries of its events)",
    tag="faces",
    scope="admin",
    route_class="write",
    body=schemas.FaceForget,
    responses={200: Reply("How many face embeddings were deleted", schemas.FaceForgetResult)},
)
async def forget_faces(call: Call) -> web.StreamResponse:
    deleted = await store.forget_camera(call.ctx.pool, call.body.camera)
    return web.json_response({"camera": call.body.camera, "deleted": deleted})
