"""Tripwire routes (directed lines per camera) and the entity history (where a re-ID entity was seen)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from inference_server.api import schemas
from inference_server.api.errors import bad_request, conflict, not_found
from inference_server.api.routing import Call, Reply, Router
from inference_server.domain.zones import InvalidZone, Tripwire
from inference_server.store import feedback as feedback_store
from inference_server.store import tripwires as store

router = Router()


def _validated(body: schemas.TripwireIn) -> dict[str, Any]:
    name = body.name.strip()
    if not name:
        raise bad_request("name: must not be blank", "invalid_field")
    try:
        Tripwire(name=name, a=(body.a[0], body.a[1]), b=(body.b[0], body.b[1]))
    except InvalidZone as exc:
        raise bad_request(str(exc), "invalid_field") from None
    return {**body.model_dump(), "name": name}


async def _changed(call: Call, tripwire: dict[str, Any], action: str) -> None:
    await call.ctx.publisher.publish(
        "system", {"kind": f"tripwire.{action}", "id": tripwire["id"], "camera": tripwire["camera"]}
    )


async def _save(call: Call, tripwire_id: int | None) -> dict[str, Any] | None:
    data = _validated(call.body)
    try:
        return await store.save_tripwire(call.ctx.pool, data, tripwire_id)
    except store.UnknownCamera as exc:
        raise bad_request(str(exc), "unknown_camera") from None
    except store.TripwireConflict as exc:
        raise conflict(str(exc)) from None


@router.route(
    "GET",
    "/api/tripwires",
    summary="Tripwires, optionally of one camera",
    tag="tripwires",
    query=schemas.CameraQuery,
    responses={200: Reply("Tripwires", schemas.TripwireList)},
)
async def list_tripwires(call: Call) -> web.StreamResponse:
    return web.json_response({"tripwires": await store.list_tripwires(call.ctx.pool, call.query.camera)})


@router.route(
    "POST",
    "/api/tripwires",
    summary="Create a tripwire",
    tag="tripwires",
    scope="admin",
    route_class="write",
    body=schemas.TripwireIn,
    responses={201: Reply("The new tripwire", schemas.Tripwire), 409: Reply("Name taken", schemas.Error)},
)
async def create_tripwire(call: Call) -> web.StreamResponse:
    tripwire = await _save(call, None)
    assert tripwire is not None
    await _changed(call, tripwire, "created")
    return web.json_response(tripwire, status=201)


@router.route(
    "GET",
    "/api/tripwires/{id}",
    summary="One tripwire",
    tag="tripwires",
    path_params={"id": "int"},
    responses={200: Reply("The tripwire", schemas.Tripwire)},
)
async def get_tripwire(call: Call) -> web.StreamResponse:
    tripwire = await store.get_tripwire(call.ctx.pool, call.params["id"])
    if tripwire is None:
        raise not_found(f"no tripwire {call.params['id']}")
    return web.json_response(tripwire)


@router.route(
    "PUT",
    "/api/tripwires/{id}",
    summary="Replace a tripwire",
    tag="tripwires",
    scope="admin",
    route_class="write",
    path_params={"id": "int"},
    body=schemas.TripwireIn,
    responses={200: Reply("The tripwire", schemas.Tripwire), 409: Reply("Name taken", schemas.Error)},
)
async def update_tripwire(call: Call) -> web.StreamResponse:
    tripwire = await _save(call, call.params["id"])
    if tripwire is None:
        raise not_found(f"no tripwire {call.params['id']}")
    await _changed(call, tripwire, "updated")
    return web.json_response(tripwire)


@router.route(
    "DELETE",
    "/api/tripwires/{id}",
    summary="Delete a tripwire",
    tag="tripwires",
    scope="admin",
    route_class="write",
    path_params={"id": "int"},
    responses={204: Reply("Deleted")},
)
async def delete_tripwire(call: Call) -> web.StreamResponse:
    tripwire = await store.delete_tripwire(call.ctx.pool, call.params["id"])
    if tripwire is None:
        raise not_found(f"no tripwire {call.params['id']}")
    await _changed(call, tripwire, "deleted")
    return web.Response(status=204)


@router.route(
    "GET",
    "/api/entities/{id}/history",
    summary="Where and when a re-identified person or vehicle was seen",
    tag="entities",
    path_params={"id": "uuid"},
    query=schemas.HistoryQuery,
    responses={200: Reply("The entity and its sightings, newest first", schemas.EntityHistory)},
)
async def entity_history(call: Call) -> web.StreamResponse:
    entity = await store.entity(call.ctx.pool, call.params["id"])
    if entity is None:
        raise not_found(f"no entity {call.params['id']}")
    history = await store.entity_history(
        call.ctx.pool, call.params["id"], limit=call.query.limit, before=call.query.before
    )
    return web.json_response({**entity, "history": history})


# --- known entities and feedback ---------------------------------------------------------------


@router.route(
    "GET",
    "/api/entities",
    summary="Re-identified people and vehicles, most recently seen first",
    tag="entities",
    query=schemas.EntityQuery,
    responses={200: Reply("Entities", schemas.EntityList)},
)
async def list_entities(call: Call) -> web.StreamResponse:
    q: schemas.EntityQuery = call.query
    entities = await feedback_store.list_entities(call.ctx.pool, known=q.known, label=q.label, limit=q.limit)
    return web.json_response({"entities": entities})


@router.route(
    "PATCH",
    "/api/entities/{id}",
    summary='Name an entity ("Dad", "our car") and/or mark it known',
    tag="entities",
    scope="admin",
    route_class="write",
    path_params={"id": "uuid"},
    body=schemas.EntityPatch,
    responses={200: Reply("The entity", schemas.Entity)},
)
async def update_entity(call: Call) -> web.StreamResponse:
    patch: schemas.EntityPatch = call.body
    name = patch.name.strip() if patch.name is not None else None
    if patch.name is not None and not name:
        raise bad_request("name: must not be blank", "invalid_field")
    clear = "name" in patch.model_fields_set and patch.name is None
    entity = await feedback_store.update_entity(
        call.ctx.pool, call.params["id"], name=name, known=patch.known, clear_name=clear
    )
    if entity is None:
        raise not_found(f"no entity {call.params['id']}")
    await call.ctx.publisher.publish("system", {"kind": "entity.updated", "id": entity["id"]})
    return web.json_response(entity)


@router.route(
    "DELETE",
    "/api/entities/{id}",
    summary="Forget an entity: deletes it and every stored embedding of it",
    tag="entities",
    scope="admin",
    route_class="write",
    path_params={"id": "uuid"},
    responses={204: Reply("Forgotten")},
)
async def forget_entity(call: Call) -> web.StreamResponse:
    deleted = await feedback_store.forget_entity(call.ctx.pool, call.params["id"])
    if deleted is None:
        raise not_found(f"no entity {call.params['id']}")
    await call.ctx.publisher.publish("system", {"kind": "entity.forgotten", "id": call.params["id"]})
    return web.Response(status=204)


@router.route(
    "POST",
    "/api/feedback/reset",
    summary="Clear the residents' answers (of one camera) so they no longer change scores",
    tag="events",
    scope="admin",
    route_class="write",
    body=schemas.FeedbackReset,
    responses={200: Reply("How many answers were cleared", schemas.FeedbackResetResult)},
)
async def reset_feedback(call: Call) -> web.StreamResponse:
    cleared = await feedback_store.reset_feedback(call.ctx.pool, call.body.camera)
    return web.json_response({"cleared": cleared})
