"""Event digests: what a day (or a week) looked like, and what was unlike the usual.

`event_digest(pool, tz, period, day)` covers one local day, or the 7 local days ending with `day`:
counts by camera, risk level and object category; the notable events (medium risk and above,
highest first) and the unusual ones with the reason (an event at an hour its camera is rarely
active, judged on the 28 days before the period); and, per camera, the change against the usual
count (the mean of the 4 periods before), flagged when it at least doubles or halves with a
difference of 3 or more. Times are in the home's time zone. `render_digest` writes it as text.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any, Final, Literal

import asyncpg

from inference_server.domain.ask import CATEGORY_LABELS

Period = Literal["day", "week"]
_HISTORY_DAYS: Final = 28
_LEVELS: Final = ("low", "medium", "high", "critical")
_RARE_PER_WEEK: Final = 1.0  # an hour slot with fewer events than this per week is "rarely active"


def _category(label: str) -> str:
    return next((c for c, labels in CATEGORY_LABELS.items() if label in labels), "other")


def period_bounds(tz: tzinfo, period: Period, day: date) -> tuple[datetime, datetime]:
    """[since, until) of the period ending with the local day `day`."""
    until = datetime.combine(day + timedelta(days=1), time(0), tz)
    since = datetime.combine(day - timedelta(days=6 if period == "week" else 0), time(0), tz)
    return since, until


async def event_digest(pool: asyncpg.Pool, tz: tzinfo, period: Period, day: date) -> dict[str, Any]:
    """The digest of the period ending with local day `day` (see the module docstring)."""
    since, until = period_bounds(tz, period, day)
    length = until - since
    rows = await pool.fetch(
        "SELECT e.id, e.camera_id, coalesce(c.name, c.id) AS camera_name, e.started_at, e.risk_score,"
        " e.risk_level, e.summary, e.objects FROM events e JOIN cameras c ON c.id = e.camera_id"
        " WHERE e.started_at >= $1 AND e.started_at < $2 ORDER BY e.started_at",
        since,
        until,
    )
    history_since = since - timedelta(days=_HISTORY_DAYS)
    history = await pool.fetch(
        "SELECT camera_id, started_at FROM events WHERE started_at >= $1 AND started_at < $2",
        history_since,
        since,
    )
    by_camera: Counter[str] = Counter(r["camera_id"] for r in rows)
    by_level = {level: 0 for level in _LEVELS}
    by_level.update(Counter(r["risk_level"] for r in rows))
    by_category: Counter[str] = Counter()
    for r in rows:
        for label, count in dict(r["objects"]).items():
            by_category[_category(label)] += int(count)
    # Usual activity: per camera, per local hour, events per week over the history window; and
    # per camera the mean count of the 4 periods before this one.
    per_hour: dict[str, Counter[int]] = defaultdict(Counter)
    before: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for h in history:
        local = h["started_at"].astimezone(tz)
        per_hour[h["camera_id"]][local.hour] += 1
        back = int((since - h["started_at"]) / length)
        if 0 <= back < 4:
            before[h["camera_id"]][back] += 1
    weeks = _HISTORY_DAYS / 7
    tracked = {h["camera_id"] for h in history}
    notable = []
    unusual = []
    for r in rows:
        local = r["started_at"].astimezone(tz)
        item = {
            "id": str(r["id"]),
            "started_at": local.isoformat(),
            "camera": r["camera_id"],
            "camera_name": r["camera_name"],
            "risk_level": r["risk_level"],
            "risk_score": r["risk_score"],
            "summary": r["summary"],
        }
        if r["risk_level"] != "low":
            notable.append(item)
        rate = per_hour[r["camera_id"]][local.hour] / weeks
        if r["camera_id"] in tracked and rate < _RARE_PER_WEEK:
            unusual.append(
                {
                    **item,
                    "reason": f"{r['camera_name']} is rarely active at {local.hour:02d}:00"
                    f" ({rate:.1f} events a week there over the last {_HISTORY_DAYS} days)",
                }
            )
    notable.sort(key=lambda i: (-i["risk_score"], i["started_at"]))
    changes = []
    for camera in sorted(set(by_camera) | set(before)):
        if camera not in tracked:
            continue
        usual = sum(before[camera]) / 4
        now = by_camera.get(camera, 0)
        if abs(now - usual) >= 3 and (now >= 2 * usual or now <= usual / 2):
            changes.append(
                {
                    "camera": camera,
                    "events": now,
                    "usual": round(usual, 1),
                    "change": "more" if now > usual else "fewer",
                }
            )
    return {
        "type": "event_digest",
        "period": period,
        "day": day.isoformat(),
        "since": since.isoformat(),
        "until": until.isoformat(),
        "events": len(rows),
        "by_camera": dict(sorted(by_camera.items())),
        "by_level": by_level,
        "by_category": dict(sorted(by_category.items())),
        "notable": notable[:10],
        "unusual": unusual[:10],
        "changes": changes,
    }


def render_digest(digest: dict[str, Any]) -> str:
    """The digest as plain text (CLI, e-mail)."""
    span = "Day" if digest["period"] == "day" else "Week"
    lines = [f"{span} ending {digest['day']}: {digest['events']} event(s)"]
    if digest["by_camera"]:
        lines.append("  by camera: " + ", ".join(f"{k} {v}" for k, v in digest["by_camera"].items()))
    lines.append("  by level: " + ", ".join(f"{k} {v}" for k, v in digest["by_level"].items()))
    if digest["by_category"]:
        lines.append("  objects: " + ", ".join(f"{k} {v}" for k, v in digest["by_category"].items()))
    for change in digest["changes"]:
        lines.append(
            f"  {change['camera']}: {change['events']} events, usually {change['usual']} ({change['change']})"
        )
    if digest["notable"]:
        lines.append("Notable:")
        lines += [
            f"  {n['started_at'][:16].replace('T', ' ')} {n['camera_name']} {n['risk_level']} ({n['risk_score']}):"
            f" {n['summary']} [{n['id']}]"
            for n in digest["notable"]
        ]
    if digest["unusual"]:
        lines.append("Unusual:")
        lines += [
            f"  {u['started_at'][:16].replace('T', ' ')} {u['summary']} - {u['reason']} [{u['id']}]"
            for u in digest["unusual"]
        ]
    return "\n".join(lines)
