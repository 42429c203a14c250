"""Licence plate routes on the real API server: the gallery, the reads, forgetting, admin only."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import asyncpg

from inference_server.store import api_keys
from inference_server.store import plates as plate_store
from tests.server.api.conftest import LiveApi, Seeder


async def _json(resp: Any, status: int = 200) -> Any:
    body = await resp.json()
    assert resp.status == status, body
    return body


async def test_gallery_crud_normalises_and_validates(api: LiveApi) -> None:
    added = await _json(
        await api.request("POST", "/api/plates/known", json={"plate": "ab-123 cd", "name": "our car"})
    )
    assert added["plate"] == "AB123CD" and added["name"] == "our car"
    renamed = await _json(
        await api.request("POST", "/api/plates/known", json={"plate": "AB123CD", "name": "Mum"})
    )
    assert renamed["name"] == "Mum"
    listed = await _json(await api.get("/api/plates/known"))
    assert [(p["plate"], p["name"]) for p in listed["plates"]] == [("AB123CD", "Mum")]
    for bad in (
        {"plate": "A1"},
        {"plate": "x" * 21},
        {"plate": 1234},
        {"plate": "AB123CD", "name": ""},
        {"plate": "AB123CD", "colour": "red"},
        {},
    ):
        resp = await api.request("POST", "/api/plates/known", json=bad)
        assert resp.status == 400, bad
        assert "error" in await resp.json()
    assert (await api.request("DELETE", "/api/plates/known/ab-123-cd")).status == 204
    assert (await api.request("DELETE", "/api/plates/known/AB123CD")).status == 404
    assert (await _json(await api.request("DELETE", "/api/plates/known/A1"), 400))["error"][
        "code"
    ] == "invalid_field"


async def test_reads_are_listed_filtered_and_forgotten_per_camera(
    api: LiveApi, seed: Seeder, pg_pool: asyncpg.Pool
) -> None:
    await seed.event("driveway")
    await seed.event("street")
    now = datetime.now(UTC)
    await plate_store.save_reads(
        pg_pool,
        camera="driveway",
        event_id="00000000-0000-0000-0000-000000000001",
        reads=[(1, "car", "AB123CD", 0.91, now - timedelta(minutes=5)), (2, "truck", "XY987ZZ", 0.8, now)],
    )
    await plate_store.save_reads(
        pg_pool,
        camera="street",
        event_id="00000000-0000-0000-0000-000000000002",
        reads=[(1, "car", "AB123CD", 0.88, now)],
    )
    await plate_store.set_known(pg_pool, "XY987ZZ", "the builder")
    reads = (await _json(await api.get("/api/plates/reads", params={"camera": "driveway"})))["reads"]
    assert [(r["plate"], r["known"], r["name"]) for r in reads] == [
        ("XY987ZZ", True, "the builder"),
        ("AB123CD", False, None),
    ]
    same = (await _json(await api.get("/api/plates/reads", params={"plate": "ab 123 cd"})))["reads"]
    assert sorted(r["camera"] for r in same) == ["driveway", "street"]
    older = await _json(
        await api.get("/api/plates/reads", params={"before": (now - timedelta(minutes=1)).isoformat()})
    )
    assert [r["plate"] for r in older["reads"]] == ["AB123CD"]
    for bad in ({"camera": "../x"}, {"limit": "0"}, {"plate": "A1"}, {"before": "yesterday"}):
        assert (await api.get("/api/plates/reads", params=bad)).status == 400, bad
    gone = await _json(await api.request("POST", "/api/plates/forget", json={"camera": "driveway"}))
    assert gone == {"camera": "driveway", "deleted": 2}
    left = (await _json(await api.get("/api/plates/reads")))["reads"]
    assert [r["camera"] for r in left] == ["street"]


async def test_plates_need_an_admin_key_even_to_read(
    start_api: Callable[..., Awaitable[LiveApi]], pg_pool: asyncpg.Pool
) -> None:
    api = await start_api()  # keys optional: anonymous callers may read events
    _, read_key = await api_keys.create_key(pg_pool, "reader", "read")
    async with aiohttp.ClientSession() as anonymous:
        assert (await anonymous.get(api.url + "/api/events")).status == 200
        for path in ("/api/plates/known", "/api/plates/reads"):
            assert (await anonymous.get(api.url + path)).status == 401, path
            assert (await anonymous.get(api.url + path, headers={"X-API-Key": read_key})).status == 403, path
