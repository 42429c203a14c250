"""The server's own web page: a small read-only status page at `/` (and `/ui`).

It is what the add-on's Home Assistant panel shows (ingress): health, cameras, the latest events
with their snapshots, fallbacks with their fixes, links to the API and the docs. Rendered on the
server as plain HTML (no script, no external resource), refreshed by the browser every 30 s.

Behind Home Assistant's ingress every URL of the page lives below a path prefix the Supervisor
names in `X-Ingress-Path` (`/api/hassio_ingress/<token>`); links are written with that prefix, and
only a prefix of that shape is accepted (the header is echoed into HTML and URLs). Reads from the
ingress proxy's address (`api_ingress_peer`) need no API key: Home Assistant authenticated the
user (auth.py). The page may be framed by the same origin only (the panel's iframe).
"""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime
from html import escape
from typing import Any
from urllib.parse import quote

from aiohttp import web

from inference_server.api.routing import Call, Reply, Router
from inference_server.api.system import readiness, today_start
from inference_server.store import queries

router = Router()
LATEST_EVENTS = 12
DOCS_URL = "https://github.com/home-security-intelligence/hsi/blob/main/docs"
_INGRESS_PATH = re.compile(r"^/api/hassio_ingress/[A-Za-z0-9_-]{1,128}$")
_LEVEL_COLOURS = {"low": "#2e7d32", "medium": "#f9a825", "high": "#ef6c00", "critical": "#c62828"}


def ingress_prefix(request: web.Request) -> str:
    """The path prefix the page lives under: X-Ingress-Path when it has the Supervisor's shape."""
    raw = request.headers.get("X-Ingress-Path", "").rstrip("/")
    return raw if _INGRESS_PATH.match(raw) else ""


def _when(value: datetime | None, tz: Any) -> str:
    if value is None:
        return "never"
    return value.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S")


def _fix(fallback: dict[str, Any]) -> str:
    return f"<br><i>Fix:</i> {escape(str(fallback['fix']))}" if fallback.get("fix") else ""


def _media_url(prefix: str, url: str) -> str:
    # Event JSON names media as /api/media/<path>: quote each part, keep the slashes.
    return prefix + quote(url, safe="/")


def render_page(
    *,
    prefix: str,
    version: str,
    tz_name: str,
    checks: dict[str, bool],
    cameras: list[dict[str, Any]],
    events: list[Any],
    stats: dict[str, Any],
    fallbacks: list[dict[str, Any]],
    now: datetime,
) -> str:
    """The page's HTML; every value from the database or settings is escaped."""
    from zoneinfo import ZoneInfo

    try:
        tz: Any = ZoneInfo(tz_name)
    except (KeyError, ValueError):
        tz = UTC
    ready = all(checks.values())
    e = escape
    rows = []
    for name, ok in checks.items():
        rows.append(f'<li class="{"ok" if ok else "bad"}">{e(name)}: {"ok" if ok else "DOWN"}</li>')
    fallback_rows = "".join(
        f"<li><b>{e(str(f.get('stage', '')))}</b> runs {e(str(f.get('backend', '')))}: "
        f"{e(str(f.get('reason', '')))}{_fix(f)}</li>"
        for f in fallbacks
    )
    camera_rows = []
    for camera in cameras:
        last = camera.get("last_event")
        last_text = (
            f"{e(_when(last.started_at, tz))} — {last.risk_score} {e(last.risk_level.value)}: {e(last.summary)}"
            if last is not None
            else "no event yet"
        )
        muted = camera.get("muted_until")
        camera_rows.append(
            f"<tr><td>{e(str(camera['name']))}<br><small>{e(str(camera['id']))}</small></td>"
            f"<td>{e(_when(camera.get('last_seen_at'), tz))}</td><td>{last_text}</td>"
            f"<td>{'muted until ' + e(_when(muted, tz)) if muted and muted > now else ''}</td></tr>"
        )
    event_cards = []
    for event in events:
        level = event.risk_level.value
        snapshot = next((m for m in event.media if not m.lower().endswith(".mp4")), None)
        image = (
            f'<img src="{e(_media_url(prefix, snapshot))}" alt="snapshot of {e(event.camera_name)}" '
            'loading="lazy" width="320">'
            if snapshot
            else '<div class="noimg">no snapshot</div>'
        )
        objects = ", ".join(f"{count} {e(name)}" for name, count in sorted(event.objects.items()))
        event_cards.append(
            f'<article class="event" data-event="{e(event.id)}">{image}<div>'
            f'<span class="score" style="background:{_LEVEL_COLOURS.get(level, "#555")}">'
            f"{event.risk_score} {e(level)}</span> <b>{e(event.camera_name)}</b> "
            f"{e(_when(event.started_at, tz))}<p>{e(event.summary)}</p>"
            f"<small>{objects or 'no objects'} · by {e(event.assessed_by)}"
            f"{' · reviewed' if event.reviewed else ''}</small></div></article>"
        )
    api = f"{prefix}/api"
    links = [
        (f"{api}/system/status", "Status (JSON)"),
        (f"{api}/events", "Events (JSON)"),
        (f"{api}/openapi.json", "API document (OpenAPI)"),
        (f"{api}/system/info", "Models and hardware (JSON)"),
        (f"{DOCS_URL}/index.md", "Documentation"),
        (f"{DOCS_URL}/operations.md", "Operations guide"),
    ]
    highest = stats.get("highest_risk_today")
    counts = [
        f"events today {int(stats.get('events_today') or 0)}",
        f"last hour {int(stats.get('events_last_hour') or 0)}",
        f"unreviewed {int(stats.get('unreviewed_events') or 0)}",
        *([f"highest risk today {int(highest)}"] if highest is not None else []),
        f"dead letters {int(stats.get('dead_letters') or 0)}",
    ]
    health = " · ".join(["Ready" if ready else "Not ready", f"{e(_when(now, tz))} ({e(tz_name)})", *counts])
    fallback_block = f"<h2>Fallbacks</h2><ul>{fallback_rows}</ul>" if fallback_rows else ""
    camera_block = (
        "<table><tr><th>Camera</th><th>Last upload</th><th>Newest event</th><th></th></tr>"
        + "".join(camera_rows)
        + "</table>"
        if camera_rows
        else "<p>No camera has uploaded yet.</p>"
    )
    event_block = "".join(event_cards) or "<p>No events yet.</p>"
    link_rows = "".join(f'<li><a href="{e(href)}">{e(text)}</a></li>' for href, text in links)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="30">
<title>Home Security Intelligence</title>
<style>{_STYLE}</style></head>
<body data-ready="{str(ready).lower()}">
<h1>Home Security Intelligence <small>{e(version)}</small></h1>
<p id="health" class="{"ok" if ready else "bad"}">{health}</p>
<ul class="checks">{"".join(rows)}</ul>
{fallback_block}
<h2>Cameras</h2>
{camera_block}
<h2>Latest events</h2>
{event_block}
<h2>Links</h2>
<ul>{link_rows}</ul>
</body></html>
"""


_STYLE = """
body{font-family:system-ui,sans-serif;margin:1rem;max-width:72rem;color:#222;background:#fafafa}
h1{font-size:1.4rem} h2{font-size:1.1rem;margin-top:1.5rem}
.ok{color:#2e7d32} .bad{color:#c62828;font-weight:bold}
table{border-collapse:collapse;width:100%} td,th{border-bottom:1px solid #ddd;padding:.3rem;text-align:left}
.event{display:flex;gap:.8rem;margin:.6rem 0;padding:.5rem;background:#fff;border:1px solid #ddd}
.event img,.noimg{width:320px;max-width:40vw;height:auto;background:#eee}
.score{color:#fff;padding:.1rem .4rem;border-radius:.3rem}
ul.checks{list-style:none;padding:0;display:flex;gap:1rem;flex-wrap:wrap}
"""


async def _page(call: Call) -> web.StreamResponse:
    ctx = call.ctx
    checks, cameras, events, stats = await asyncio.gather(
        readiness(ctx),
        queries.list_cameras(ctx.pool),
        queries.list_events(ctx.pool, queries.EventFilters(), limit=LATEST_EVENTS),
        queries.event_stats(ctx.pool, today_start(ctx.settings.timezone)),
    )
    fallbacks = list(ctx.models.get("fallbacks", []))
    if ctx.profile_pull is not None:
        fallbacks = ctx.profile_pull.annotate(fallbacks)
    body = render_page(
        prefix=ingress_prefix(call.request),
        version=ctx.version,
        tz_name=ctx.settings.timezone,
        checks=checks,
        cameras=cameras,
        events=events,
        stats=stats,
        fallbacks=fallbacks,
        now=datetime.now(UTC),
    )
    response = web.Response(text=body, content_type="text/html")
    # The add-on's panel shows the page in an iframe of Home Assistant's own origin.
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'self'"
    )
    return response


_PAGE = Reply("The status page (HTML)", media_types=("text/html",))


@router.route(
    "GET", "/", summary="Status page (HTML): health, cameras, latest events", tag="ui", responses={200: _PAGE}
)
async def get_status_page(call: Call) -> web.StreamResponse:
    return await _page(call)


@router.route("GET", "/ui", summary="The status page at /ui (same as /)", tag="ui", responses={200: _PAGE})
async def get_status_page_ui(call: Call) -> web.StreamResponse:
    return await _page(call)
