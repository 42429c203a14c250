"""`hsi status`: a one-screen summary of a running server, read from its `GET /api/system/status`.

Exit status: 0 ready (ok or degraded), 1 not ready (a check fails), 2 refused (API key missing or
wrong, or a server too old to answer), 3 unreachable.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import urllib.error
import urllib.request
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import ValidationError

from inference_server.contract.status import SystemStatus
from inference_server.settings import Settings

TIMEOUT_S = 10.0


class StatusError(Exception):
    """The status could not be read; `code` is the exit status."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


def add_parser(sub: Any) -> None:
    """Register `status` on the top-level sub-parsers."""
    s = sub.add_parser(
        "status",
        help="one-screen summary of a running server: checks, stages, queues, cameras, fallbacks",
        description="Reads GET /api/system/status of a running `hsi serve`. Exit status: 0 ready, "
        "1 not ready, 2 refused (API key), 3 unreachable.",
    )
    s.add_argument("--url", help="the server's base URL (default http://<HSI_API_HOST>:<HSI_API_PORT>)")
    s.add_argument("--api-key", help="an API key (default $HSI_API_KEY); needed where keys are required")
    s.add_argument("--json", action="store_true", help="print the status document as JSON")


def default_url(settings: Settings) -> str:
    """Where this machine's server listens (a wildcard bind is reached on loopback)."""
    host = settings.api.host
    if host in ("0.0.0.0", "", "::"):
        host = "127.0.0.1"
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{settings.api.port}"


def fetch_status(url: str, api_key: str | None, timeout: float = TIMEOUT_S) -> SystemStatus:
    """GET <url>/api/system/status, parsed; raises StatusError with a one-line reason."""
    if not url.startswith(("http://", "https://")):
        raise StatusError(f"--url must start with http:// or https:// (got {url!r})", 2)
    request = urllib.request.Request(url.rstrip("/") + "/api/system/status")  # noqa: S310 - http(s) only
    if api_key:
        request.add_header("X-API-Key", api_key)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - http(s) URL of our server
            body = response.read()
    except urllib.error.HTTPError as exc:
        message = _error_message(exc)
        if exc.code in (401, 403):
            hint = "pass --api-key or set HSI_API_KEY" if not api_key else "check the key (hsi apikey list)"
            raise StatusError(f"the server at {url} refused the request ({message}): {hint}", 2) from None
        if exc.code == 404:
            raise StatusError(f"the server at {url} has no /api/system/status (an older hsi?)", 2) from None
        raise StatusError(f"the server at {url} answered HTTP {exc.code}: {message}", 3) from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise StatusError(
            f"cannot reach the server at {url}: {reason} (is `hsi serve` running? --url sets the address)", 3
        ) from None
    try:
        return SystemStatus.model_validate_json(body)
    except ValidationError as exc:
        raise StatusError(
            f"the server at {url} sent a status this hsi does not understand: {exc}", 3
        ) from None


def _error_message(exc: urllib.error.HTTPError) -> str:
    try:
        return str(json.loads(exc.read())["error"]["message"])
    except Exception:
        return str(exc.reason)


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _when(moment: datetime | None, tz: ZoneInfo, now: datetime) -> str:
    if moment is None:
        return "never"
    local = moment.astimezone(tz)
    if local.date() == now.astimezone(tz).date():
        return local.strftime("%H:%M:%S")
    return local.strftime("%Y-%m-%d %H:%M")


def _short(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def render(status: SystemStatus, url: str) -> str:
    """The one-screen text of a status document."""
    tz = _zone(status.timezone)
    now = status.now
    lines = [
        f"hsi {status.version} at {url}: {status.status.upper().replace('_', ' ')}"
        f"   (instance {status.instance_id[:8]}, {now.astimezone(tz):%Y-%m-%d %H:%M:%S} {status.timezone})"
    ]
    checks = "  ".join(
        f"{name} {'ok' if up else 'FAILING'}"
        for name, up in status.checks.items()
        if not name.startswith("stage:")
    )
    lines.append(f"Checks     {checks}")
    down = [s for s in status.stages if not s.running]
    restarted = [s for s in status.stages if s.running and s.restarts]
    lines.append(
        f"Stages     {len(status.stages) - len(down)} of {len(status.stages)} running"
        + (
            f", {sum(s.restarts for s in status.stages)} restarts"
            if any(s.restarts for s in status.stages)
            else ""
        )
    )
    for stage in down:
        lines.append(
            f"  DOWN     {stage.name}: {_short(stage.last_error or 'not running', 60)}"
            f" ({stage.restarts} restarts)"
        )
    for stage in restarted:
        lines.append(
            f"  restarted {stage.name} {stage.restarts}x; last error: {_short(stage.last_error, 50)}"
        )
    queues = []
    for q in status.queues:
        latency = (
            f" (p50 {q.p50_ms:.0f} ms, p95 {q.p95_ms:.0f} ms)"
            if q.p50_ms is not None and q.p95_ms is not None
            else ""
        )
        queues.append(f"{q.stage} {q.depth}{latency}")
    lines.append(f"Queues     {'   '.join(queues)}")
    e = status.events
    highest = f", highest risk today {e.highest_risk_today}" if e.highest_risk_today is not None else ""
    lines.append(
        f"Events     {e.last_hour} in the last hour, {e.today} today, {e.unreviewed} unreviewed{highest}; "
        f"{e.dead_letters} dead letters"
    )
    models = []
    for m in status.models:
        model = f" {m.model_id}" if m.model_id and m.model_id != m.backend else ""
        models.append(f"{m.stage} {m.backend}{model}{' (FALLBACK)' if m.fallback else ''}")
    lines.append(f"Models     {'   '.join(models) if models else 'not reported'}")
    if status.fallbacks:
        lines.append("Fallbacks")
        for f in status.fallbacks:
            fix = f"; fix: {f.fix}" if f.fix else ""
            lines.append(f"  {f.stage} runs {f.backend}: {_short(f.reason, 70)}{fix}")
    else:
        lines.append("Fallbacks  none")
    if not status.cameras:
        lines.append("Cameras    none yet (a camera appears with its first upload)")
    else:
        lines.append("Cameras")
        lines.append(f"  {'camera':<22} {'last upload':<12} last event")
        for cam in status.cameras:
            muted = ""
            if cam.muted_until is not None and cam.muted_until > now:
                muted = f" [muted until {_when(cam.muted_until, tz, now)}]"
            if cam.last_event is None:
                event = "none"
            else:
                ev = cam.last_event
                mark = "" if ev.reviewed else " NEW"
                event = (
                    f"{_when(ev.started_at, tz, now)} {ev.risk_score:>3} {ev.risk_level:<8}{mark} "
                    f"{_short(ev.summary, 44)}"
                )
            lines.append(f"  {cam.id:<22.22} {_when(cam.last_seen_at, tz, now):<12} {event}{muted}")
    return "\n".join(lines)


def exit_code(status: SystemStatus) -> int:
    """0 ready (ok or degraded), 1 not ready."""
    return 1 if status.status == "not_ready" else 0


async def status_command(args: argparse.Namespace, settings: Settings) -> int:
    """`hsi status`."""
    import sys

    url = args.url or default_url(settings)
    key = args.api_key or os.environ.get("HSI_API_KEY") or None
    try:
        status = await asyncio.to_thread(fetch_status, url, key)
    except StatusError as exc:
        print(f"hsi: {exc}", file=sys.stderr)
        return exc.code
    if args.json:
        print(status.model_dump_json(indent=2))
    else:
        print(render(status, url))
    return exit_code(status)
