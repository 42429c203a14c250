"""Face gallery routes on the real API server: enrol from a stored face, list, rename, delete,
forget a camera; admin only; names and embeddings never logged, embeddings never returned."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import aiohttp
import asyncpg
import pytest
import redis.asyncio as aioredis

from inference_server.store import api_keys
from inference_server.store import faces as face_store
from inference_server.store.streams import Keys
from tests.server.api.conftest import LiveApi, Seeder
from tests.support.streams import stream_entries

EMBEDDING = [0.25, -0.5] + [0.0625] * 126  # 128 numbers, as SFace gives


async def _json(resp: Any, status: int = 200) -> Any:
    body = await resp.json()
    assert resp.status == status, body
    return body


async def _seen(seed: Seeder, pool: asyncpg.Pool, camera: str, track_id: int = 3) -> str:
    """An event of `camera` whose person track `track_id` had a face stored; its id."""
    event = await seed.event(
        camera, context={"faces": [{"track_id": track_id, "known": False, "name": None}]}
    )
    await face_store.save_faces(
        pool,
        camera=camera,
        event_id=event["id"],
        faces=[(track_id, EMBEDDING, 0.93, datetime.now(UTC))],
    )
    return str(event["id"])


async def _faces_changed(redis: aioredis.Redis, keys: Keys) -> int:
    published = [json.loads(f["message"]) for _, f in await stream_entries(redis, keys.stream("publish"))]
    return sum(1 for m in published if m == {"type": "system", "data": {"kind": "faces.changed"}})


async def test_a_stored_face_is_enrolled_listed_renamed_and_deleted(
    api: LiveApi,
    seed: Seeder,
    pg_pool: asyncpg.Pool,
    redis_client: aioredis.Redis,
    keys: Keys,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    event_id = await _seen(seed, pg_pool, "porch")
    added = await _json(
        await api.request(
            "POST", "/api/faces/known", json={"event_id": event_id, "track_id": 3, "name": "  Zinnia  "}
        ),
        201,
    )
    assert set(added) == {"id", "name", "created_at"} and added["name"] == "Zinnia"
    assert isinstance(added["id"], int) and datetime.fromisoformat(added["created_at"]).tzinfo is not None
    stored = await pg_pool.fetchval("SELECT embedding FROM known_faces WHERE id = $1", added["id"])
    assert list(stored) == EMBEDDING  # the track's embedding was copied into the gallery
    # The same face may be enrolled twice (another name, another entry): the list is name then id.
    other = await _json(
        await api.request(
            "POST", "/api/faces/known", json={"event_id": event_id.upper(), "track_id": 3, "name": "Abel"}
        ),
        201,
    )
    listed = await _json(await api.get("/api/faces/known"))
    assert listed == {"faces": [other, added]}

    renamed = await _json(
        await api.request("PATCH", f"/api/faces/known/{added['id']}", json={"name": " Zin "})
    )
    assert renamed == {**added, "name": "Zin"}
    assert (await api.request("DELETE", f"/api/faces/known/{other['id']}")).status == 204
    assert (await _json(await api.get("/api/faces/known")))["faces"] == [renamed]

    missing = other["id"]
    for method, body in (("PATCH", {"name": "Ghost"}), ("DELETE", None)):
        resp = await api.request(method, f"/api/faces/known/{missing}", json=body)
        assert (await _json(resp, 404))["error"]["code"] == "not_found", method
    assert (await api.request("DELETE", "/api/faces/known/not-a-number")).status == 404

    # Every gallery change (two enrolments, a rename, a delete) told the clients; refusals did not.
    assert await _faces_changed(redis_client, keys) == 4
    # Neither names nor embeddings reach the log.
    assert caplog.text
    for secret in ("Zinnia", "Abel", "Zin", "Ghost", "0.0625"):
        assert secret not in caplog.text, secret


async def test_a_track_without_a_stored_face_is_not_found(
    api: LiveApi, seed: Seeder, pg_pool: asyncpg.Pool, redis_client: aioredis.Redis, keys: Keys
) -> None:
    event_id = await _seen(seed, pg_pool, "porch", track_id=3)
    never_seen = await seed.event("porch")  # an event whose person showed no face
    for body in (
        {"event_id": event_id, "track_id": 4, "name": "Sam"},  # another track of the event
        {"event_id": str(never_seen["id"]), "track_id": 3, "name": "Sam"},
        {"event_id": str(uuid.uuid4()), "track_id": 3, "name": "Sam"},  # no such event
    ):
        resp = await api.request("POST", "/api/faces/known", json=body)
        assert (await _json(resp, 404))["error"]["code"] == "not_found", body
    # Once the camera's faces are forgotten (opted out, or on request), its tracks have none either.
    await face_store.forget_camera(pg_pool, "porch")
    resp = await api.request(
        "POST", "/api/faces/known", json={"event_id": event_id, "track_id": 3, "name": "Sam"}
    )
    assert resp.status == 404
    assert await face_store.list_known(pg_pool) == []
    assert await _faces_changed(redis_client, keys) == 0


async def test_bad_input_is_refused_with_invalid_field(
    api: LiveApi, seed: Seeder, pg_pool: asyncpg.Pool
) -> None:
    event_id = await _seen(seed, pg_pool, "porch")
    good = {"event_id": event_id, "track_id": 3, "name": "Sam"}
    for bad in (
        {**good, "event_id": "not-a-uuid"},
        {**good, "event_id": "------------------------------------"},
        {**good, "event_id": 12},
        {**good, "track_id": -1},
        {**good, "track_id": "3"},
        {**good, "track_id": 1.5},
        {**good, "track_id": 2**31},
        {**good, "name": ""},
        {**good, "name": "    "},
        {**good, "name": "x" * 65},
        {**good, "name": "Sam\x00"},
        {**good, "name": None},
        {**good, "embedding": EMBEDDING},
        {"event_id": event_id, "track_id": 3},
    ):
        resp = await api.request("POST", "/api/faces/known", json=bad)
        assert (await _json(resp, 400))["error"]["code"] == "invalid_field", bad
    assert await face_store.list_known(pg_pool) == []
    # 64 characters once the spaces around it are cut is the longest name.
    added = await _json(
        await api.request("POST", "/api/faces/known", json={**good, "name": f" {'y' * 64} "}), 201
    )
    assert added["name"] == "y" * 64
    renames: list[dict[str, Any]] = [
        {"name": ""},
        {"name": " " * 3},
        {"name": "z" * 65},
        {"name": 7},
        {},
        {"name": "A", "x": 1},
    ]
    for rename in renames:
        resp = await api.request("PATCH", f"/api/faces/known/{added['id']}", json=rename)
        assert (await _json(resp, 400))["error"]["code"] == "invalid_field", rename
    assert (await _json(await api.get("/api/faces/known")))["faces"] == [added]
    for forget in ({"camera": "../porch"}, {"camera": "Porch"}, {}):
        resp = await api.request("POST", "/api/faces/forget", json=forget)
        assert (await _json(resp, 400))["error"]["code"] == "invalid_field", forget


async def test_forgetting_a_camera_deletes_its_face_embeddings_only(
    api: LiveApi, seed: Seeder, pg_pool: asyncpg.Pool
) -> None:
    porch_event = await _seen(seed, pg_pool, "porch", track_id=1)
    await _seen(seed, pg_pool, "porch", track_id=2)
    garden_event = await _seen(seed, pg_pool, "garden", track_id=1)
    known = await _json(
        await api.request(
            "POST", "/api/faces/known", json={"event_id": porch_event, "track_id": 1, "name": "Sam"}
        ),
        201,
    )
    gone = await _json(await api.request("POST", "/api/faces/forget", json={"camera": "porch"}))
    assert gone == {"camera": "porch", "deleted": 2}
    assert await face_store.count_faces(pg_pool, "porch") == 0
    assert await face_store.count_faces(pg_pool, "garden") == 1
    faces = {
        r["camera_id"]: r["faces"]
        for r in await pg_pool.fetch("SELECT camera_id, context->'faces' AS faces FROM events")
    }
    assert faces["porch"] == [] and len(faces["garden"]) == 1
    # The gallery is the residents' own choice: forgetting a camera keeps it.
    assert (await _json(await api.get("/api/faces/known")))["faces"] == [known]
    again = await _json(await api.request("POST", "/api/faces/forget", json={"camera": "porch"}))
    assert again == {"camera": "porch", "deleted": 0}
    resp = await api.request(
        "POST", "/api/faces/known", json={"event_id": porch_event, "track_id": 1, "name": "S"}
    )
    assert resp.status == 404
    enrolled = await api.request(
        "POST", "/api/faces/known", json={"event_id": garden_event, "track_id": 1, "name": "Kim"}
    )
    assert enrolled.status == 201


async def test_faces_need_an_admin_key_even_to_read(
    start_api: Callable[..., Awaitable[LiveApi]], seed: Seeder, pg_pool: asyncpg.Pool
) -> None:
    api = await start_api()  # keys optional: anonymous callers may read events
    event_id = await _seen(seed, pg_pool, "porch")
    known = await face_store.enrol(pg_pool, event_id=event_id, track_id=3, name="Sam")
    assert known is not None
    _, read_key = await api_keys.create_key(pg_pool, "reader", "read")
    routes: list[tuple[str, str, dict[str, Any] | None]] = [
        ("GET", "/api/faces/known", None),
        ("POST", "/api/faces/known", {"event_id": event_id, "track_id": 3, "name": "Eve"}),
        ("PATCH", f"/api/faces/known/{known['id']}", {"name": "Eve"}),
        ("DELETE", f"/api/faces/known/{known['id']}", None),
        ("POST", "/api/faces/forget", {"camera": "porch"}),
    ]
    async with aiohttp.ClientSession() as anonymous:
        assert (await anonymous.get(api.url + "/api/events")).status == 200
        for method, path, body in routes:
            assert (await anonymous.request(method, api.url + path, json=body)).status == 401, path
            resp = await anonymous.request(method, api.url + path, json=body, headers={"X-API-Key": read_key})
            assert resp.status == 403, (method, path)
    assert await face_store.list_known(pg_pool) == [known]
    assert await face_store.count_faces(pg_pool, "porch") == 1


async def test_an_events_detail_lists_its_faces_and_which_can_be_enrolled(
    api: LiveApi, seed: Seeder, pg_pool: asyncpg.Pool
) -> None:
    """GET /api/events/{id} names the tracks to enrol: the context's faces, with `enrollable`
    while the face is stored; never an embedding."""
    event = await seed.event(
        "porch",
        context={
            "faces": [
                {"track_id": 5, "known": True, "name": "Alex"},
                {"track_id": 2, "known": False, "name": None},
            ]
        },
    )
    await face_store.save_faces(
        pg_pool, camera="porch", event_id=event["id"], faces=[(2, EMBEDDING, 0.9, datetime.now(UTC))]
    )
    detail = await _json(await api.get(f"/api/events/{event['id']}"))
    assert detail["faces"] == [
        {"track_id": 2, "known": False, "name": None, "enrollable": True},
        {"track_id": 5, "known": True, "name": "Alex", "enrollable": False},
    ]
    assert "embedding" not in json.dumps(detail)
    # An event without faces (a camera without them) has an empty list.
    plain = await seed.event("garden")
    assert (await _json(await api.get(f"/api/events/{plain['id']}")))["faces"] == []
    # After forgetting the camera nothing can be enrolled from it.
    await _json(await api.request("POST", "/api/faces/forget", json={"camera": "porch"}))
    assert (await _json(await api.get(f"/api/events/{event['id']}")))["faces"] == []
