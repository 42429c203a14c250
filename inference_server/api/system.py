"""System routes: health, readiness, identity, pipeline statistics, Prometheus metrics."""

from __future__ import annotations

import asyncio
import math
from datetime import UTC, datetime, time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from redis.exceptions import ResponseError

from inference_server.api import schemas
from inference_server.api.context import ApiContext
from inference_server.api.routing import Call, Reply, Router
from inference_server.contract.status import SystemStatus
from inference_server.store import db, queries
from inference_server.store.streams import STAGES

router = Router()
API_VERSION = 1
CHECK_TIMEOUT_S = 2.0


@router.route(
    "GET",
    "/api/system/health",
    summary="Liveness",
    tag="system",
    scope="none",
    route_class=None,
    responses={200: Reply("The process is up", schemas.Health)},
)
async def get_health(call: Call) -> web.StreamResponse:
    return web.json_response({"status": "ok"})


async def _probe(check: Any) -> bool:
    try:
        return bool(await asyncio.wait_for(check(), CHECK_TIMEOUT_S))
    except Exception:
        return False


async def readiness(ctx: ApiContext) -> dict[str, bool]:
    """Each check by name: database, redis, the composition root's (e.g. detector), the advisory
    ones (e.g. mqtt, see `unready`), then each supervised stage task as `stage:<name>` (false
    while it is down after a crash) and each stream worker as `progress:<stage>/<group>` (false
    while the same entry has kept failing for `stuck_stage_seconds`)."""

    async def database() -> bool:
        return await db.ping(ctx.pool)

    async def redis() -> bool:
        return bool(await ctx.redis.ping())

    checks: dict[str, Any] = {"database": database, "redis": redis, **ctx.ready_checks, **ctx.advisory_checks}
    results = await asyncio.gather(*(_probe(c) for c in checks.values()))
    ready = dict(zip(checks, results, strict=True))
    if ctx.stage_health is not None:  # a crashed stage waiting for its restart is named here
        ready.update({f"stage:{name}": up for name, up in ctx.stage_health().items()})
    if ctx.stuck_stages is not None:  # a stage whose same entry keeps failing cannot progress
        ready.update({f"progress:{name}": stuck is None for name, stuck in ctx.stuck_stages().items()})
    return ready


def stuck_stages(ctx: ApiContext) -> list[dict[str, object]]:
    """The stages that cannot make progress: name, the entry that keeps failing, for how long, why."""
    if ctx.stuck_stages is None:
        return []
    return [{"stage": name, **stuck} for name, stuck in ctx.stuck_stages().items() if stuck is not None]


def unready(ctx: ApiContext, checks: dict[str, bool]) -> list[str]:
    """The failing checks that make the server not ready (a failing advisory check does not)."""
    return [name for name, ok in checks.items() if not ok and name not in ctx.advisory_checks]


@router.route(
    "GET",
    "/api/system/ready",
    summary="Readiness: PostgreSQL, Redis and the model",
    tag="system",
    scope="none",
    route_class=None,
    responses={200: Reply("Ready", schemas.Ready), 503: Reply("Not ready", schemas.Ready)},
)
async def get_ready(call: Call) -> web.StreamResponse:
    checks = await readiness(call.ctx)
    ready = not unready(call.ctx, checks)
    # A background model download never makes the server unready: it serves with fallbacks.
    body: dict[str, Any] = {"status": "ready" if ready else "not_ready", "checks": checks}
    if call.ctx.profile_pull is not None:  # only with models_profile set
        body["models_pull"] = call.ctx.profile_pull.as_dict()
    return web.json_response(body, status=200 if ready else 503)


@router.route(
    "GET",
    "/api/system/info",
    summary="Instance identity and API version",
    tag="system",
    responses={200: Reply("This server", schemas.Info)},
)
async def get_info(call: Call) -> web.StreamResponse:
    configured = bool(call.ctx.settings.mqtt.url and call.ctx.settings.mqtt.discovery)
    # With an integration connected the publisher withdraws its discovery devices (one device per
    # camera in Home Assistant, the integration's); mqtt_discovery says whether discovery is live.
    suppressed = configured and await queries.integration_active(call.ctx.pool)
    fallbacks = call.ctx.models.get("fallbacks", [])
    pull = call.ctx.profile_pull
    if pull is not None:  # the repair text says a download is under way, done or impossible
        fallbacks = pull.annotate(fallbacks)
    return web.json_response(
        {
            "instance_id": await queries.instance_id(call.ctx.pool),
            "version": call.ctx.version,
            "api_version": API_VERSION,
            "name": "Home Security Intelligence",
            "mqtt_discovery": configured and not suppressed,
            "mqtt_discovery_suppressed": suppressed,
            # Stages running less than they should (the integration raises a repair issue for each).
            "fallbacks": fallbacks,
            "doctor": {**call.ctx.models, "profile_pull": pull.as_dict()}
            if pull
            else call.ctx.models or None,
        }
    )


async def queue_depths(ctx: ApiContext) -> dict[str, int]:
    """Entries waiting or in flight per stage stream (the slowest consumer group counts)."""
    depths: dict[str, int] = {}
    for stage in STAGES:
        stream = ctx.keys.stream(stage)
        try:
            groups = await ctx.redis.xinfo_groups(stream)
        except ResponseError:
            depths[stage] = 0
            continue
        if not groups:
            # detect/assess: entries wait for a worker that has not started yet. The publish stream
            # doubles as the WebSocket resume log, so without consumer groups nothing is "waiting".
            depths[stage] = 0 if stage == "publish" else int(await ctx.redis.xlen(stream))
            continue
        worst = 0
        for group in groups:
            lag = group.get("lag")
            if lag is None:
                lag = 0
            worst = max(worst, int(group.get("pending", 0)) + int(lag))
        depths[stage] = worst
    return depths


def stage_latency(ctx: ApiContext) -> dict[str, dict[str, float | None]]:
    """p50/p95 per stage (ms), estimated from this process's `hsi_stage_seconds` histogram."""
    buckets: dict[str, list[tuple[float, float]]] = {}
    for metric in ctx.metrics.registry.collect():
        if metric.name != "hsi_stage_seconds":
            continue
        for sample in metric.samples:
            if sample.name.endswith("_bucket"):
                le = sample.labels.get("le", "+Inf")
                bound = math.inf if le == "+Inf" else float(le)
                buckets.setdefault(sample.labels.get("stage", ""), []).append((bound, sample.value))
    out: dict[str, dict[str, float | None]] = {s: {"p50": None, "p95": None} for s in STAGES}
    for stage, series in buckets.items():
        series.sort()
        total = series[-1][1] if series else 0.0
        if total <= 0:
            out.setdefault(stage, {"p50": None, "p95": None})
            continue
        out[stage] = {"p50": _quantile(series, total, 0.5), "p95": _quantile(series, total, 0.95)}
    return out


def _quantile(series: list[tuple[float, float]], total: float, q: float) -> float:
    target = q * total
    prev_bound, prev_count = 0.0, 0.0
    for bound, count in series:
        if count >= target:
            if math.isinf(bound):
                return round(prev_bound * 1000.0, 3)
            span = count - prev_count
            fraction = (target - prev_count) / span if span > 0 else 1.0
            return round((prev_bound + (bound - prev_bound) * fraction) * 1000.0, 3)
        prev_bound, prev_count = bound, count
    return round(prev_bound * 1000.0, 3)


def today_start(tz_name: str) -> datetime:
    """Midnight today in the home's time zone."""
    try:
        tz = ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError):
        tz = ZoneInfo("UTC")
    now = datetime.now(tz)
    return datetime.combine(now.date(), time(0), tzinfo=tz)


@router.route(
    "GET",
    "/api/system/stats",
    summary="Queue depths, stage latency and event counts",
    tag="system",
    responses={200: Reply("Statistics", schemas.Stats)},
)
async def get_stats(call: Call) -> web.StreamResponse:
    ctx = call.ctx
    counts, depths, checks = await asyncio.gather(
        queries.event_stats(ctx.pool, today_start(ctx.settings.timezone)),
        queue_depths(ctx),
        readiness(ctx),
    )
    limits = ctx.effective_limits()
    degraded = not all(checks.values()) or any(d > limits.backlog_degraded for d in depths.values())
    return web.json_response(
        {
            "queues": depths,
            "dead_letters": counts["dead_letters"],
            "events_last_hour": counts["events_last_hour"],
            "events_today": counts["events_today"],
            "unreviewed_events": counts["unreviewed_events"],
            "highest_risk_today": counts["highest_risk_today"],
            "stage_latency_ms": stage_latency(ctx),
            "stuck": stuck_stages(ctx),
            "pipeline": "degraded" if degraded else "ok",
        }
    )


@router.route(
    "GET",
    "/api/system/status",
    summary="One-screen status: checks, stages, queues, each camera's last event, fallbacks, models",
    tag="system",
    responses={200: Reply("The status (what `hsi status` prints)", SystemStatus)},
)
async def get_status(call: Call) -> web.StreamResponse:
    ctx = call.ctx
    counts, depths, checks, cameras, instance = await asyncio.gather(
        queries.event_stats(ctx.pool, today_start(ctx.settings.timezone)),
        queue_depths(ctx),
        readiness(ctx),
        queries.list_cameras(ctx.pool),
        queries.instance_id(ctx.pool),
    )
    latency = stage_latency(ctx)
    fallbacks = list(ctx.models.get("fallbacks", []))
    limits = ctx.effective_limits()
    if unready(ctx, checks):
        overall = "not_ready"
    elif not all(checks.values()) or fallbacks or any(d > limits.backlog_degraded for d in depths.values()):
        overall = "degraded"
    else:
        overall = "ok"
    status = SystemStatus.model_validate(
        {
            "status": overall,
            "version": ctx.version,
            "instance_id": instance,
            "timezone": ctx.settings.timezone,
            "now": datetime.now(UTC),
            "checks": checks,
            "stages": ctx.stage_states() if ctx.stage_states is not None else [],
            "queues": [
                {
                    "stage": stage,
                    "depth": depths.get(stage, 0),
                    "p50_ms": latency.get(stage, {}).get("p50"),
                    "p95_ms": latency.get(stage, {}).get("p95"),
                }
                for stage in STAGES
            ],
            "events": {
                "last_hour": counts["events_last_hour"],
                "today": counts["events_today"],
                "unreviewed": counts["unreviewed_events"],
                "highest_risk_today": counts["highest_risk_today"],
                "dead_letters": counts["dead_letters"],
            },
            "cameras": [{**camera, "last_event": _short(camera["last_event"])} for camera in cameras],
            "fallbacks": fallbacks,
            "models": [
                {"stage": name, **choice} for name, choice in (ctx.models.get("stages") or {}).items()
            ],
        }
    )
    return web.json_response(text=status.model_dump_json())


def _short(event: Any) -> dict[str, Any] | None:
    if event is None:
        return None
    return {
        "id": event.id,
        "started_at": event.started_at,
        "risk_score": event.risk_score,
        "risk_level": event.risk_level.value,
        "summary": event.summary,
        "reviewed": event.reviewed,
    }


@router.route(
    "GET",
    "/metrics",
    summary="Prometheus metrics (text format)",
    tag="system",
    responses={200: Reply("Metrics", media_types=("text/plain",))},
)
async def get_metrics(call: Call) -> web.StreamResponse:
    body = await asyncio.to_thread(generate_latest, call.ctx.metrics.registry)
    response = web.Response(body=body)
    response.headers["Content-Type"] = CONTENT_TYPE_LATEST
    return response
