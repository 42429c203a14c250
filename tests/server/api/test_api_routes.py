"""Routes a user of the API relies on: system, events, cameras, zones, alert rules, dead letters."""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import asyncpg
from PIL import Image

from inference_server.api import ApiContext
from inference_server.domain.detections import Box, Detection
from inference_server.store import media as media_store
from tests.server.api.conftest import LiveApi, Seeder
from tests.support.streams import stream_entries


async def _json(resp: Any, status: int = 200) -> Any:
    body = await resp.json()
    assert resp.status == status, body
    return body


async def test_system_routes_report_health_readiness_identity_stats_and_metrics(
    api: LiveApi, seed: Seeder
) -> None:
    await seed.event(score=90)
    assert await _json(await api.get("/api/system/health")) == {"status": "ok"}
    ready = await _json(await api.get("/api/system/ready"))
    assert ready == {"status": "ready", "checks": {"database": True, "redis": True, "detector": True}}
    info = await _json(await api.get("/api/system/info"))
    assert info["api_version"] == 1 and uuid.UUID(info["instance_id"]) and info["version"] == "0.1.0"
    await api.ctx.redis.xadd(api.ctx.keys.stream("detect"), {"media_id": "1"})
    api.ctx.metrics.stage_seconds.labels("detect").observe(0.02)
    stats = await _json(await api.get("/api/system/stats"))
    assert stats["queues"]["detect"] == 1 and stats["unreviewed_events"] == 1
    assert stats["stage_latency_ms"]["detect"]["p50"] > 0 and stats["pipeline"] == "ok"
    metrics = await api.get("/metrics")
    assert metrics.status == 200 and "hsi_stage_seconds_bucket" in await metrics.text()


async def test_ready_is_503_when_a_check_fails(start_api: Callable[..., Awaitable[LiveApi]]) -> None:
    async def broken() -> bool:
        raise RuntimeError("model not loaded")

    api = await start_api(detector=broken)
    body = await _json(await api.get("/api/system/ready"), 503)
    assert body == {"status": "not_ready", "checks": {"database": True, "redis": True, "detector": False}}


async def test_event_list_filters_and_cursor_pages_without_gaps_or_repeats(
    api: LiveApi, seed: Seeder
) -> None:
    made = []
    for i in range(12):
        made.append(
            await seed.event(
                "front_door" if i % 2 else "driveway",
                minutes=i,
                score=i * 8,
                objects={"person": 1} if i % 3 else {"car": 2},
                with_media=i < 3,
            )
        )
    await api.request("PATCH", f"/api/events/{made[4]['id']}", json={"reviewed": True})
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": "5", **({"cursor": cursor} if cursor else {})}
        page = await _json(await api.get("/api/events", params=params))
        seen += [e["id"] for e in page["events"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [e["id"] for e in reversed(made)]

    async def ids(**params: str) -> list[str]:
        return [e["id"] for e in (await _json(await api.get("/api/events", params=params)))["events"]]

    assert await ids(camera="driveway") == [e["id"] for e in reversed(made) if e["camera"] == "driveway"]
    assert await ids(camera="driveway,front_door") == seen
    assert await ids(min_risk="80") == [e["id"] for e in reversed(made) if e["risk_score"] >= 80]
    assert await ids(level="critical") == [e["id"] for e in reversed(made) if e["risk_level"] == "critical"]
    assert await ids(object="car") == [e["id"] for e in reversed(made) if "car" in e["objects"]]
    assert await ids(reviewed="true") == [made[4]["id"]]
    assert len(await ids(reviewed="false")) == 11
    assert await ids(since=made[10]["started_at"]) == [made[11]["id"], made[10]["id"]]
    assert await ids(until=made[1]["started_at"]) == [made[0]["id"]]
    bad = await _json(await api.get("/api/events", params={"min_risk": "101"}), 400)
    assert bad["error"]["code"] == "invalid_parameter"
    assert (await _json(await api.get("/api/events", params={"cursor": "garbage"}), 400))["error"][
        "code"
    ] == ("invalid_cursor")
    assert (await api.get("/api/events", params={"level": "severe"})).status == 400
    assert (await api.get("/api/events", params={"since": "yesterday"})).status == 400


async def test_one_event_has_detections_and_patch_publishes_an_update(api: LiveApi, seed: Seeder) -> None:
    event = await seed.event(detections=[Detection("person", 0.8, Box(0.1, 0.2, 0.3, 0.4))])
    detail = await _json(await api.get(f"/api/events/{event['id']}"))
    assert detail["detections"][0]["label"] == "person"
    assert detail["detections"][0]["box"] == [0.1, 0.2, 0.3, 0.4]
    assert detail["media"] == event["media"]
    updated = await _json(
        await api.request(
            "PATCH", f"/api/events/{event['id']}", json={"reviewed": True, "notes": "the postman"}
        )
    )
    assert updated["reviewed"] is True and updated["notes"] == "the postman"
    entries = await stream_entries(api.ctx.redis, api.ctx.keys.stream("publish"))
    message = json.loads(entries[-1][1]["message"])
    assert message["type"] == "event.updated" and message["data"]["reviewed"] is True
    assert (await api.get(f"/api/events/{uuid.uuid4()}")).status == 404
    assert (await api.get("/api/events/not-a-uuid")).status == 404
    broken = await api.request(
        "PATCH",
        f"/api/events/{event['id']}",
        data=b'{"reviewed": tru',
        headers={"Content-Type": "application/json"},
    )
    assert (await _json(broken, 400))["error"]["code"] == "invalid_json"
    wrong = await api.request("PATCH", f"/api/events/{event['id']}", json={"reviewed": "yes"})
    assert (await _json(wrong, 400))["error"]["code"] == "invalid_field"
    extra = await api.request("PATCH", f"/api/events/{event['id']}", json={"risk_score": 0})
    assert extra.status == 400
    huge = await api.request(
        "PATCH", f"/api/events/{event['id']}", data=b'{"notes": "' + b"x" * 400_000 + b'"}'
    )
    assert (await _json(huge, 413))["error"]["code"] == "payload_too_large"
    assert (await _json(await api.request("DELETE", "/api/events"), 405))["error"][
        "code"
    ] == "method_not_allowed"
    assert (await _json(await api.get("/api/nothing-here"), 404))["error"]["code"] == "not_found"


def _rgb(image: Image.Image, xy: tuple[int, int]) -> tuple[int, int, int]:
    pixel = image.getpixel(xy)
    assert isinstance(pixel, tuple) and len(pixel) == 3, pixel
    return int(pixel[0]), int(pixel[1]), int(pixel[2])


async def test_snapshot_draws_the_boxes_and_is_cached(api: LiveApi, seed: Seeder, media_dir: Path) -> None:
    event = await seed.event(detections=[Detection("person", 0.95, Box(0.25, 0.25, 0.75, 0.75))])
    resp = await api.get(f"/api/events/{event['id']}/snapshot")
    assert resp.status == 200 and resp.headers["Content-Type"] == "image/jpeg"
    image = Image.open(io.BytesIO(await resp.read())).convert("RGB")
    assert image.size == (320, 240)
    r, g, b = _rgb(image, (80, 150))  # left edge of the box, below the label
    assert r > 180 and g < 120 and b < 120, (r, g, b)
    r, g, b = _rgb(image, (160, 120))  # inside the box: the untouched dark frame
    assert max(r, g, b) < 90
    cached = list((media_dir / ".thumbs").glob(f"{event['id']}-v*.jpg"))
    assert len(cached) == 1
    assert (await api.get(f"/api/events/{event['id']}/snapshot")).status == 200
    bare = await seed.event(with_media=False)
    assert (await api.get(f"/api/events/{bare['id']}/snapshot")).status == 404


async def test_cameras_show_their_newest_event_and_can_be_muted(api: LiveApi, seed: Seeder) -> None:
    await seed.event("garage", minutes=1)
    newest = await seed.event("garage", minutes=5)
    cameras = (await _json(await api.get("/api/cameras")))["cameras"]
    assert [c["id"] for c in cameras] == ["garage"]
    assert cameras[0]["last_event"]["id"] == newest["id"] and cameras[0]["muted_until"] is None
    muted = await _json(await api.request("POST", "/api/cameras/garage/mute", json={"minutes": 30}))
    assert muted["muted_until"] is not None
    unmuted = await _json(await api.request("POST", "/api/cameras/garage/mute", json={"minutes": 0}))
    assert unmuted["muted_until"] is None
    assert (await api.request("POST", "/api/cameras/garage/mute", json={"minutes": 2000})).status == 400
    assert (await api.request("POST", "/api/cameras/nowhere/mute", json={"minutes": 5})).status == 404


async def test_zones_crud_with_validation(api: LiveApi, seed: Seeder) -> None:
    await seed.event("porch")
    body = {
        "camera": "porch",
        "name": "Door",
        "zone_type": "entry_point",
        "priority": 5,
        "polygon": [[0.1, 0.1], [0.5, 0.1], [0.5, 0.6]],
        "enabled": True,
    }
    zone = await _json(await api.request("POST", "/api/zones", json=body), 201)
    assert zone["id"] > 0 and zone["polygon"] == body["polygon"]
    assert (await api.request("POST", "/api/zones", json=body)).status == 409
    for bad in (
        {**body, "polygon": [[0.1, 0.1], [0.5, 0.1]]},
        {**body, "polygon": [[0.1, 0.1], [1.5, 0.1], [0.5, 0.6]]},
        {**body, "polygon": [[0, 0], [1, 1], [1, 0], [0, 1]]},  # crosses itself
        {**body, "zone_type": "moat"},
        {**body, "name": ""},
        {**body, "name": "x" * 65},
    ):
        resp = await api.request("POST", "/api/zones", json={**bad, "name": bad["name"] or ""})
        assert resp.status == 400, bad
    unknown = await api.request("POST", "/api/zones", json={**body, "camera": "attic", "name": "x"})
    assert (await _json(unknown, 400))["error"]["code"] == "unknown_camera"
    changed = await _json(
        await api.request(
            "PUT", f"/api/zones/{zone['id']}", json={**body, "name": "Front door", "enabled": False}
        )
    )
    assert changed["name"] == "Front door" and changed["enabled"] is False
    listed = await _json(await api.get("/api/zones", params={"camera": "porch"}))
    assert [z["name"] for z in listed["zones"]] == ["Front door"]
    assert (await api.request("DELETE", f"/api/zones/{zone['id']}")).status == 204
    assert (await api.get(f"/api/zones/{zone['id']}")).status == 404
    assert (await api.request("PUT", f"/api/zones/{zone['id']}", json=body)).status == 404


async def test_alert_rules_crud_and_dry_run(api: LiveApi, seed: Seeder) -> None:
    event = await seed.event(score=70, objects={"person": 1})
    rule_body = {
        "name": "Night person",
        "severity": "high",
        "conditions": {"min_risk_score": 60, "objects": ["person"]},
        "channels": [{"type": "mqtt"}],
        "cooldown_seconds": 60,
    }
    rule = await _json(await api.request("POST", "/api/alert-rules", json=rule_body), 201)
    assert rule["id"] > 0 and rule["conditions"]["objects"] == ["person"]
    bad = await api.request("POST", "/api/alert-rules", json={**rule_body, "conditions": {"colour": "red"}})
    assert (await _json(bad, 400))["error"]["code"] == "invalid_rule"
    result = await _json(
        await api.request("POST", f"/api/alert-rules/{rule['id']}/test", json={"event_id": event["id"]})
    )
    assert result["matched"] is True
    missing = await api.request(
        "POST", f"/api/alert-rules/{rule['id']}/test", json={"event_id": str(uuid.uuid4())}
    )
    assert missing.status == 404
    replaced = await _json(
        await api.request(
            "PUT", f"/api/alert-rules/{rule['id']}", json={**rule_body, "conditions": {"min_risk_score": 90}}
        )
    )
    assert replaced["conditions"] == {"min_risk_score": 90}
    again = await _json(
        await api.request("POST", f"/api/alert-rules/{rule['id']}/test", json={"event_id": event["id"]})
    )
    assert again["matched"] is False and again["reasons"]
    assert [r["id"] for r in (await _json(await api.get("/api/alert-rules")))["rules"]] == [rule["id"]]
    assert (await api.request("DELETE", f"/api/alert-rules/{rule['id']}")).status == 204
    assert (await api.get(f"/api/alert-rules/{rule['id']}")).status == 404


async def test_dead_letters_list_and_replay_requeues_the_media(
    api: LiveApi, seed: Seeder, pg_pool: asyncpg.Pool
) -> None:
    media_id, _, _ = await seed.media("shed", detections=[])
    dl_id = await media_store.add_dead_letter(
        pg_pool, stage="detect", reason="decoder crashed", media_id=media_id
    )
    await media_store.add_dead_letter(pg_pool, stage="ingest", reason="not an image", source_path="/x/y.txt")
    page = await _json(await api.get("/api/dlq", params={"limit": "1"}))
    assert len(page["dead_letters"]) == 1 and page["next_cursor"]
    rest = await _json(await api.get("/api/dlq", params={"cursor": page["next_cursor"]}))
    assert [d["id"] for d in rest["dead_letters"]] == [dl_id]
    replayed = await _json(await api.request("POST", f"/api/dlq/{dl_id}/replay"))
    assert replayed["dead_letter"]["replayed_at"] is not None
    assert await pg_pool.fetchval("SELECT status FROM media_files WHERE id = $1", media_id) == "queued"
    entries = await stream_entries(api.ctx.redis, api.ctx.keys.stream("detect"))
    assert entries[-1][1] == {"media_id": str(media_id)} and entries[-1][0] == replayed["stream_id"]
    no_media = page["dead_letters"][0]["id"]
    assert (await api.request("POST", f"/api/dlq/{no_media}/replay")).status == 409
    assert (await api.request("POST", "/api/dlq/999999/replay")).status == 404
    open_only = await _json(await api.get("/api/dlq", params={"include_replayed": "false"}))
    assert [d["id"] for d in open_only["dead_letters"]] == [no_media]


async def test_a_service_outage_is_503_not_a_crash(
    make_ctx: Callable[..., ApiContext], start_api: Callable[..., Awaitable[LiveApi]], seed: Seeder
) -> None:
    import redis.asyncio as aioredis

    from inference_server.bus.publish import Publisher

    event = await seed.event()
    ctx = make_ctx()
    down = aioredis.from_url("redis://127.0.0.1:1/0", decode_responses=True, socket_connect_timeout=0.5)
    ctx.publisher = Publisher(down, ctx.keys)
    api = await start_api(ctx, admin=True)
    resp = await api.request("PATCH", f"/api/events/{event['id']}", json={"reviewed": True})
    assert resp.status == 503 and resp.headers["Retry-After"] == "5"
    assert (await resp.json())["error"]["code"] == "unavailable"
    await down.aclose()
