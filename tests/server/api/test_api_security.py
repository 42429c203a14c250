"""API keys, scopes, rate limits and the audit trail."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import asyncpg
import redis.asyncio as aioredis

from inference_server.api import ApiLimits
from inference_server.store import api_keys
from inference_server.store.streams import Keys
from tests.server.api.conftest import LiveApi, Seeder


async def test_keys_are_stored_hashed_shown_once_and_revocable(pg_pool: asyncpg.Pool) -> None:
    record, plaintext = await api_keys.create_key(pg_pool, "ha", "read")
    assert plaintext.startswith(f"hsi_{record['id']}_") and record["scope"] == "read"
    row = await pg_pool.fetchrow("SELECT * FROM api_keys WHERE id = $1", record["id"])
    assert row is not None
    assert plaintext.encode() not in bytes(row["hash"]) and len(bytes(row["salt"])) == 16
    verified = await api_keys.verify_key(pg_pool, plaintext)
    assert verified is not None and verified["name"] == "ha"
    assert await api_keys.verify_key(pg_pool, plaintext[:-1] + ("A" if plaintext[-1] != "A" else "B")) is None
    assert await api_keys.verify_key(pg_pool, "nonsense") is None
    assert [k["name"] for k in await api_keys.list_keys(pg_pool)] == ["ha"]
    assert await api_keys.revoke_key(pg_pool, "ha") is True
    assert await api_keys.revoke_key(pg_pool, "ha") is False
    assert await api_keys.verify_key(pg_pool, plaintext) is None
    actions = [r["action"] for r in await pg_pool.fetch("SELECT action FROM audit_log ORDER BY id")]
    assert actions == ["apikey.create", "apikey.revoke", "apikey.revoke"]


async def test_keys_required_scopes_and_audit(
    start_api: Callable[..., Awaitable[LiveApi]], seed: Seeder, pg_pool: asyncpg.Pool
) -> None:
    event = await seed.event()
    _, read_key = await api_keys.create_key(pg_pool, "reader", "read")
    _, admin_key = await api_keys.create_key(pg_pool, "admin", "admin")
    api = await start_api(keys_required=True)
    assert (await api.get("/api/system/health")).status == 200  # liveness needs no key
    anonymous = await api.get("/api/events")
    assert anonymous.status == 401 and (await anonymous.json())["error"]["code"] == "unauthorized"
    wrong = await api.get("/api/system/info", headers={"X-API-Key": read_key[:-2] + "xx"})
    assert wrong.status == 401
    assert (await api.get("/api/system/info", headers={"X-API-Key": read_key})).status == 200
    assert (await api.get("/api/events", headers={"Authorization": f"Bearer {read_key}"})).status == 200
    forbidden = await api.request(
        "PATCH", f"/api/events/{event['id']}", json={"reviewed": True}, headers={"X-API-Key": read_key}
    )
    assert forbidden.status == 403 and (await forbidden.json())["error"]["code"] == "forbidden"
    assert (await api.get("/api/audit", headers={"X-API-Key": read_key})).status == 403
    ok = await api.request(
        "PATCH", f"/api/events/{event['id']}", json={"reviewed": True}, headers={"X-API-Key": admin_key}
    )
    assert ok.status == 200
    audit = await (await api.get("/api/audit", headers={"X-API-Key": admin_key})).json()
    rows = {(e["action"], e["outcome"]) for e in audit["entries"]}
    assert {("auth.failed", "denied"), ("auth.forbidden", "denied"), ("update_event", "ok")} <= rows
    write = next(e for e in audit["entries"] if e["action"] == "update_event")
    assert write["actor"].startswith("key:") and write["actor"].endswith(":admin")
    assert write["address"] == "127.0.0.1" and write["target"] == f"/api/events/{event['id']}"
    failures = await (
        await api.get("/api/audit", params={"action": "auth."}, headers={"X-API-Key": admin_key})
    ).json()
    assert all(e["action"].startswith("auth.") for e in failures["entries"])
    # The key itself never reaches the audit log.
    dump = str(await pg_pool.fetch("SELECT * FROM audit_log"))
    assert read_key not in dump and admin_key not in dump
    # Revocation takes effect (the test app caches checks for 0 s).
    await api_keys.revoke_key(pg_pool, "reader")
    assert (await api.get("/api/events", headers={"X-API-Key": read_key})).status == 401


async def test_rate_limits_answer_429_with_retry_after_and_are_audited(
    start_api: Callable[..., Awaitable[LiveApi]], seed: Seeder, pg_pool: asyncpg.Pool
) -> None:
    await seed.event()
    limits = ApiLimits(
        read_per_window=3, search_per_window=1, write_per_window=1, window_seconds=30, key_cache_seconds=0
    )
    api = await start_api(limits=limits)
    statuses = [(await api.get("/api/events")).status for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    limited = await api.get("/api/cameras")
    assert limited.status == 429 and 1 <= int(limited.headers["Retry-After"]) <= 30
    assert (await limited.json())["error"]["code"] == "rate_limited"
    # Classes are separate buckets: search still has its own allowance.
    assert (await api.get("/api/events/search", params={"q": "person"})).status == 200
    assert (await api.get("/api/events/search", params={"q": "person"})).status == 429
    assert (await api.get("/api/system/health")).status == 200  # liveness is never limited
    await asyncio.sleep(0.05)
    rows = await pg_pool.fetch("SELECT * FROM audit_log WHERE action = 'rate_limited'")
    assert rows and rows[0]["address"] == "127.0.0.1" and rows[0]["outcome"] == "refused"


async def test_rate_limit_per_key_is_separate_from_other_keys(
    start_api: Callable[..., Awaitable[LiveApi]],
    pg_pool: asyncpg.Pool,
    redis_client: aioredis.Redis,
    keys: Keys,
) -> None:
    _, first = await api_keys.create_key(pg_pool, "one", "read")
    _, second = await api_keys.create_key(pg_pool, "two", "read")
    limits = ApiLimits(read_per_window=2, window_seconds=30, key_cache_seconds=0)
    api = await start_api(limits=limits, keys_required=True)
    assert (await api.get("/api/cameras", headers={"X-API-Key": first})).status == 200
    assert (await api.get("/api/cameras", headers={"X-API-Key": first})).status == 200
    # The address bucket is now full too; clear it to see the key bucket on its own.
    await redis_client.delete(f"{keys.prefix}:ratelimit:read:ip:127.0.0.1")
    assert (await api.get("/api/cameras", headers={"X-API-Key": first})).status == 429
    await redis_client.delete(f"{keys.prefix}:ratelimit:read:ip:127.0.0.1")
    assert (await api.get("/api/cameras", headers={"X-API-Key": second})).status == 200


async def test_cors_is_off_by_default_and_errors_are_json(api: LiveApi) -> None:
    resp = await api.get("/api/cameras", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in resp.headers
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    preflight = await api.request(
        "OPTIONS",
        "/api/cameras",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"},
    )
    assert preflight.status == 405 and "Access-Control-Allow-Origin" not in preflight.headers
    assert (await preflight.json())["error"]["code"] == "method_not_allowed"


async def test_cors_can_be_enabled_for_listed_origins(start_api: Callable[..., Awaitable[LiveApi]]) -> None:
    api = await start_api(limits=ApiLimits(enabled=False, cors_origins=("https://ha.local",)))
    preflight = await api.request(
        "OPTIONS",
        "/api/cameras",
        headers={"Origin": "https://ha.local", "Access-Control-Request-Method": "GET"},
    )
    assert preflight.status == 204 and preflight.headers["Access-Control-Allow-Origin"] == "https://ha.local"
    other = await api.get("/api/cameras", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in other.headers
