"""Who may change what: keyless mode is read-only for every write route of the route table, and a
revoked key loses its open WebSocket within the documented window."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import aiohttp
import asyncpg
import pytest

from inference_server.api import ApiLimits
from inference_server.api.app import all_operations
from inference_server.api.routing import Operation
from inference_server.store import api_keys
from inference_server.store import faces as faces_store
from inference_server.store import media as media_store
from tests.server.api.conftest import LiveApi, Seeder

READ_METHODS = ("GET", "HEAD")
# Tables a write route can change; a refused request leaves every row as it was.
TABLES = (
    "cameras",
    "events",
    "zones",
    "alert_rules",
    "tripwires",
    "entities",
    "dead_letters",
    "feedback",
    "known_plates",
    "plate_reads",
    "face_embeddings",
    "known_faces",
)


def write_operations() -> list[Operation]:
    """Every route of the app that is not a read, from the route table (a new one is included)."""
    return [op for op in all_operations() if op.method not in READ_METHODS and op.scope != "none"]


def fill(op: Operation, ids: dict[str, Any]) -> str:
    """The operation's path with real ids where the seed made one, else a well-formed id."""
    path = op.path
    for name, kind in op.path_params.items():
        prefix = op.path.split("{", 1)[0]
        value = ids.get(prefix)
        if value is None:
            value = {"uuid": uuid.uuid4(), "int": 1, "slug": "porch"}.get(kind, "x")
        path = path.replace("{" + name + "}", str(value))
    return path


async def fingerprint(pool: asyncpg.Pool) -> dict[str, str]:
    out: dict[str, str] = {}
    for table in TABLES:
        exists = await pool.fetchval("SELECT to_regclass($1) IS NOT NULL", table)
        if exists:
            out[table] = str(await pool.fetch(f"SELECT * FROM {table} ORDER BY 1"))
    return out


async def seed_everything(api: LiveApi, seed: Seeder, pool: asyncpg.Pool) -> dict[str, Any]:
    """One of each resource a write route acts on, made with an admin key; keyed by path prefix."""
    event = await seed.event("porch", score=70)
    zone = await (
        await api.request(
            "POST",
            "/api/zones",
            json={
                "camera": "porch",
                "name": "Door",
                "zone_type": "entry_point",
                "polygon": [[0.1, 0.1], [0.5, 0.1], [0.5, 0.6]],
            },
        )
    ).json()
    rule = await (
        await api.request(
            "POST",
            "/api/alert-rules",
            json={"name": "Person", "conditions": {"objects": ["person"]}, "channels": [{"type": "mqtt"}]},
        )
    ).json()
    line = await (
        await api.request(
            "POST",
            "/api/tripwires",
            json={"camera": "porch", "name": "Gate", "a": [0.1, 0.5], "b": [0.9, 0.5]},
        )
    ).json()
    entity = await pool.fetchval(
        "INSERT INTO entities (label, first_seen, last_seen, cameras, sightings)"
        " VALUES ('person', now(), now(), ARRAY['porch'], 1) RETURNING id"
    )
    letter = await media_store.add_dead_letter(pool, stage="detect", reason="decoder crashed")
    await pool.execute("INSERT INTO known_plates (plate, name) VALUES ('AB123CD', 'our car')")
    await faces_store.save_faces(
        pool, camera="porch", event_id=event["id"], faces=[(1, [0.5] * 128, 0.9, datetime.now(UTC))]
    )
    face = await faces_store.enrol(pool, event_id=event["id"], track_id=1, name="Sam")
    assert face is not None
    return {
        "/api/cameras/": "porch",
        "/api/events/": event["id"],
        "/api/zones/": zone["id"],
        "/api/alert-rules/": rule["id"],
        "/api/tripwires/": line.get("id"),
        "/api/entities/": entity,
        "/api/dlq/": letter,
        "/api/plates/known/": "AB123CD",
        "/api/faces/known/": face["id"],
    }


async def test_keyless_mode_refuses_every_write_route_without_a_key(
    start_api: Callable[..., Awaitable[LiveApi]], seed: Seeder, pg_pool: asyncpg.Pool
) -> None:
    admin = await start_api(admin=True)  # keys not required; this session sends an admin key
    ids = await seed_everything(admin, seed, pg_pool)
    before = await fingerprint(pg_pool)
    writes = write_operations()
    # The route table really holds the writes this test is about (a rename must not empty it).
    assert {
        ("PATCH", "/api/events/{id}"),
        ("POST", "/api/dlq/{id}/replay"),
        ("POST", "/api/ask"),
        ("POST", "/api/faces/known"),
        ("PATCH", "/api/faces/known/{id}"),
        ("DELETE", "/api/faces/known/{id}"),
        ("POST", "/api/faces/forget"),
    } <= {(op.method, op.path) for op in writes}
    _, read_key = await api_keys.create_key(pg_pool, "reader", "read")
    async with aiohttp.ClientSession() as anonymous:
        # Reads work without a key: this is keyless mode.
        assert (await anonymous.get(admin.url + "/api/events")).status == 200
        refused: dict[str, int] = {}
        for op in writes:
            path = fill(op, ids)
            async with anonymous.request(op.method, admin.url + path, json={"question": "who?"}) as resp:
                body = await resp.json()
                refused[f"{op.method} {op.path}"] = resp.status
                if resp.status == 401:
                    assert body["error"]["code"] == "unauthorized"
                    assert "read-only" in body["error"]["message"]
            if op.scope == "admin":
                async with anonymous.request(
                    op.method, admin.url + path, json={}, headers={"X-API-Key": read_key}
                ) as resp:
                    assert resp.status == 403, f"{op.method} {op.path} with a read key"
    assert refused == {name: 401 for name in refused}, refused
    assert await fingerprint(pg_pool) == before  # nothing changed
    denied = await pg_pool.fetchval("SELECT count(*) FROM audit_log WHERE action = 'auth.forbidden'")
    assert denied >= 1  # refusals are audited (throttled: one row per second and address)


async def test_a_read_key_is_refused_on_every_admin_read_route(
    start_api: Callable[..., Awaitable[LiveApi]], pg_pool: asyncpg.Pool
) -> None:
    api = await start_api(keys_required=True)
    _, read_key = await api_keys.create_key(pg_pool, "reader", "read")
    admin_reads = [op for op in all_operations() if op.method in READ_METHODS and op.scope == "admin"]
    # Identity data is behind the admin scope even to read (a rename must not empty this).
    assert {"/api/plates/known", "/api/plates/reads", "/api/faces/known"} <= {op.path for op in admin_reads}
    async with aiohttp.ClientSession(headers={"X-API-Key": read_key}) as reader:
        for op in admin_reads:
            async with reader.request(op.method, api.url + fill(op, {})) as resp:
                assert resp.status == 403, f"{op.method} {op.path}"
                assert (await resp.json())["error"]["code"] == "forbidden"


async def test_the_ingress_peer_reads_without_a_key_but_never_writes(
    start_api: Callable[..., Awaitable[LiveApi]], make_ctx: Callable[..., Any], seed: Seeder
) -> None:
    event = await seed.event("porch")
    ctx = make_ctx(keys_required=True)
    ctx.settings = ctx.settings.replace(api_ingress_peer="127.0.0.1")
    api = await start_api(ctx)
    assert (await api.get("/api/events")).status == 200
    for method, path in (("PATCH", f"/api/events/{event['id']}"), ("POST", "/api/ask")):
        resp = await api.request(method, path, json={"reviewed": True, "question": "who came?"})
        assert resp.status == 401, (method, path)


async def _closed_with(ws: aiohttp.ClientWebSocketResponse, timeout: float) -> int | None:
    """Read until the server closes the socket; its close code (None on timeout)."""
    try:
        async with asyncio.timeout(timeout):
            while True:
                msg = await ws.receive()
                if msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.CLOSING):
                    return ws.close_code
    except TimeoutError:
        return None


async def test_a_revoked_key_loses_its_open_websocket_within_the_window(
    start_api: Callable[..., Awaitable[LiveApi]], pg_pool: asyncpg.Pool
) -> None:
    _, doomed = await api_keys.create_key(pg_pool, "old-tablet", "read")
    _, kept = await api_keys.create_key(pg_pool, "ha", "read")
    window = 1.0  # key_cache_seconds: the documented window, 15 s by default
    api = await start_api(keys_required=True, limits=ApiLimits(enabled=False, key_cache_seconds=window))
    revoked_ws = await api.session.ws_connect(api.url + "/api/ws", headers={"X-API-Key": doomed})
    kept_ws = await api.session.ws_connect(api.url + "/api/ws", headers={"X-API-Key": kept})
    try:
        await asyncio.sleep(window * 1.5)
        assert not revoked_ws.closed  # nothing happens before the revocation
        assert await api_keys.revoke_key(pg_pool, "old-tablet")
        assert await _closed_with(revoked_ws, timeout=window * 10) == 4001
        # The other key's socket keeps its live feed.
        await kept_ws.send_str('{"type":"ping"}')
        async with asyncio.timeout(5):
            assert (await kept_ws.receive()).data == '{"type":"pong"}'
        assert not kept_ws.closed
        refused = await api.get("/api/events", headers={"X-API-Key": doomed})
        assert refused.status == 401
        with pytest.raises(aiohttp.WSServerHandshakeError):
            await api.session.ws_connect(api.url + "/api/ws", headers={"X-API-Key": doomed})
    finally:
        await revoked_ws.close()
        await kept_ws.close()


async def test_a_repeated_wrong_key_is_hashed_once_and_audited_once_a_second(
    start_api: Callable[..., Awaitable[LiveApi]], pg_pool: asyncpg.Pool
) -> None:
    from inference_server.api.app import state_of

    record, key = await api_keys.create_key(pg_pool, "ha", "read")
    wrong = key[:-4] + ("AAAA" if not key.endswith("AAAA") else "BBBB")  # well formed, right id
    api = await start_api(keys_required=True)
    verifier = state_of(api.app).verifier
    for _ in range(30):
        assert (await api.get("/api/events", headers={"X-API-Key": wrong})).status == 401
    assert verifier.hashes_computed == 1  # one scrypt, then the failure cache answers
    assert (await api.get("/api/events", headers={"X-API-Key": key})).status == 200  # the right key works
    rows = await pg_pool.fetchval("SELECT count(*) FROM audit_log WHERE action = 'auth.failed'")
    assert 1 <= rows <= 3  # one row a second per address and reason, not 30


async def test_a_method_a_literal_path_does_not_allow_is_405_not_404(api: LiveApi) -> None:
    resp = await api.request("PATCH", "/api/events/search", json={"reviewed": True})
    assert resp.status == 405
    assert "GET" in resp.headers["Allow"]
    assert (await resp.json())["error"]["code"] == "method_not_allowed"
    assert (await api.request("PATCH", f"/api/events/{uuid.uuid4()}", json={"reviewed": True})).status == 404
