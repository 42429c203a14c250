"""Tripwire routes and the entity history, on the real API server."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import asyncpg

from tests.server.api.conftest import LiveApi, Seeder


async def _json(resp: Any, status: int = 200) -> Any:
    body = await resp.json()
    assert resp.status == status, body
    return body


async def test_tripwires_crud_with_validation(api: LiveApi, seed: Seeder) -> None:
    await seed.event("garden")
    body = {"camera": "garden", "name": "Fence", "a": [0.5, 0.0], "b": [0.5, 1.0]}
    line = await _json(await api.request("POST", "/api/tripwires", json=body), 201)
    assert line["id"] > 0 and line["a"] == [0.5, 0.0] and line["enabled"] is True
    assert (await api.request("POST", "/api/tripwires", json=body)).status == 409
    for bad in (
        {**body, "a": [0.5, 0.0, 1.0]},
        {**body, "a": [1.5, 0.0]},
        {**body, "a": ["0.5", 0.0]},
        {**body, "b": [0.5, 0.0]},  # both ends the same point
        {**body, "name": "   "},
        {**body, "name": "x" * 65},
        {**body, "camera": "../zones"},
        {**body, "colour": "red"},
    ):
        resp = await api.request("POST", "/api/tripwires", json=bad)
        assert resp.status == 400, bad
        assert "error" in await resp.json()
    unknown = await api.request("POST", "/api/tripwires", json={**body, "camera": "attic"})
    assert (await _json(unknown, 400))["error"]["code"] == "unknown_camera"
    changed = await _json(
        await api.request(
            "PUT", f"/api/tripwires/{line['id']}", json={**body, "name": "Gate", "enabled": False}
        )
    )
    assert changed["name"] == "Gate" and changed["enabled"] is False
    listed = await _json(await api.get("/api/tripwires", params={"camera": "garden"}))
    assert [t["name"] for t in listed["tripwires"]] == ["Gate"]
    assert (await _json(await api.get("/api/tripwires", params={"camera": "porch"})))["tripwires"] == []
    assert (await api.request("DELETE", f"/api/tripwires/{line['id']}")).status == 204
    assert (await api.get(f"/api/tripwires/{line['id']}")).status == 404
    assert (await api.request("PUT", f"/api/tripwires/{line['id']}", json=body)).status == 404
    assert (await api.request("DELETE", f"/api/tripwires/{line['id']}")).status == 404


async def test_entity_history_lists_sightings_newest_first(
    api: LiveApi, seed: Seeder, pg_pool: asyncpg.Pool
) -> None:
    event = await seed.event("driveway")
    await seed.event("street")
    entity = await pg_pool.fetchval(
        "INSERT INTO entities (label, first_seen, last_seen, cameras, sightings)"
        " VALUES ('car', $1, $2, '{driveway,street}', 2) RETURNING id::text",
        seed.base,
        seed.base + timedelta(hours=1),
    )
    for camera, hours, event_id in (("driveway", 0, event["id"]), ("street", 1, None)):
        await pg_pool.execute(
            "INSERT INTO sightings (entity_id, camera_id, event_id, label, seen_at, similarity, embedding)"
            " VALUES ($1::uuid, $2, $3::uuid, 'car', $4, 0.9, '{1,0}')",
            entity,
            camera,
            event_id,
            seed.base + timedelta(hours=hours),
        )
    body = await _json(await api.get(f"/api/entities/{entity}/history"))
    assert body["label"] == "car" and body["cameras"] == ["driveway", "street"]
    assert [h["camera"] for h in body["history"]] == ["street", "driveway"]
    assert body["history"][1]["event_id"] == event["id"]
    assert body["history"][1]["risk_level"] == event["risk_level"]
    older = await _json(
        await api.get(
            f"/api/entities/{entity}/history",
            params={"before": (seed.base + timedelta(minutes=30)).isoformat(), "limit": "1"},
        )
    )
    assert [h["camera"] for h in older["history"]] == ["driveway"]
    assert (await api.get(f"/api/entities/{uuid.uuid4()}/history")).status == 404
    assert (await api.get("/api/entities/not-a-uuid/history")).status in (400, 404)
    assert (await api.get(f"/api/entities/{entity}/history", params={"limit": "0"})).status == 400


async def test_entities_are_named_marked_known_and_forgotten(
    api: LiveApi, seed: Seeder, pg_pool: asyncpg.Pool
) -> None:
    await seed.event("driveway")
    entity = await pg_pool.fetchval(
        "INSERT INTO entities (label, first_seen, last_seen, cameras, sightings)"
        " VALUES ('car', $1, $1, '{driveway}', 1) RETURNING id::text",
        seed.base,
    )
    await pg_pool.execute(
        "INSERT INTO sightings (entity_id, camera_id, label, seen_at, embedding)"
        " VALUES ($1::uuid, 'driveway', 'car', $2, '{1,0}')",
        entity,
        seed.base,
    )
    listed = await _json(await api.get("/api/entities", params={"known": "false"}))
    assert [e["id"] for e in listed["entities"]] == [entity]
    named = await _json(
        await api.request("PATCH", f"/api/entities/{entity}", json={"name": " Our car ", "known": True})
    )
    assert named["name"] == "Our car" and named["known"] is True
    assert (await _json(await api.get("/api/entities", params={"known": "false"})))["entities"] == []
    for bad in ({"name": "  "}, {"name": "x" * 65}, {"known": "yes"}, {"colour": "red"}):
        assert (await api.request("PATCH", f"/api/entities/{entity}", json=bad)).status == 400, bad
    cleared = await _json(await api.request("PATCH", f"/api/entities/{entity}", json={"name": None}))
    assert cleared["name"] is None and cleared["known"] is True
    assert (await api.request("DELETE", f"/api/entities/{entity}")).status == 204
    assert await pg_pool.fetchval("SELECT count(*) FROM sightings") == 0
    assert (await api.request("DELETE", f"/api/entities/{entity}")).status == 404
    assert (await api.request("PATCH", f"/api/entities/{uuid.uuid4()}", json={"known": True})).status == 404


async def test_event_feedback_is_stored_marks_reviewed_and_resets(
    api: LiveApi, seed: Seeder, pg_pool: asyncpg.Pool
) -> None:
    event = await seed.event("porch")
    body = await _json(
        await api.request("PATCH", f"/api/events/{event['id']}", json={"feedback": "false_alarm"})
    )
    assert body["reviewed"] is True
    row = await pg_pool.fetchrow("SELECT feedback, feedback_at FROM events WHERE id = $1::uuid", event["id"])
    assert row is not None
    assert row["feedback"] == "false_alarm" and row["feedback_at"] is not None
    assert (
        await api.request("PATCH", f"/api/events/{event['id']}", json={"feedback": "maybe"})
    ).status == 400
    missing = await api.request("PATCH", f"/api/events/{uuid.uuid4()}", json={"feedback": "threat"})
    assert missing.status == 404
    reset = await _json(await api.request("POST", "/api/feedback/reset", json={"camera": "porch"}))
    assert reset == {"cleared": 1}
    assert await pg_pool.fetchval("SELECT feedback FROM events WHERE id = $1::uuid", event["id"]) is None
    assert (await api.request("POST", "/api/feedback/reset", json={"camera": "../x"})).status == 400


async def test_event_json_shows_feedback_and_behaviours(api: LiveApi, seed: Seeder) -> None:
    finding = {
        "kind": "loitering",
        "subject": "person",
        "strength": 0.62,
        "explanation": "person stayed 95 s in Porch (entry point); loitering from 60 s",
        "entity_id": None,
    }
    event = await seed.event("porch", context={"behaviours": [finding], "attributes": []})
    assert event["behaviours"] == [finding] and event["feedback"] is None
    patched = await _json(
        await api.request("PATCH", f"/api/events/{event['id']}", json={"feedback": "expected"})
    )
    assert patched["feedback"] == "expected" and patched["behaviours"] == [finding]
    one = await _json(await api.get(f"/api/events/{event['id']}"))
    assert one["feedback"] == "expected" and one["behaviours"] == [finding]
    listed = await _json(await api.get("/api/events?camera=porch"))
    assert [(e["id"], e["feedback"]) for e in listed["events"]] == [(event["id"], "expected")]
    found = await _json(await api.get("/api/events/search?q=path&sort=newest"))
    assert found["events"][0]["behaviours"] == [finding]
    cleared = await _json(await api.request("PATCH", f"/api/events/{event['id']}", json={"feedback": None}))
    assert cleared["feedback"] is None
