"""Alert rules: which events deserve a notification, on which channels, and how often.

A rule is plain data (stored as JSON in PostgreSQL); this module parses and validates it, decides
whether an event matches (and, for the test endpoint, why not), and names the cooldown keys that
keep one rule from firing twice for the same camera, object and zone.

Schedules are evaluated in the home's local time. A time range "HH:MM-HH:MM" is half-open
(the start minute is in, the end minute is out); "00:00-24:00" is the whole day. A range whose
end is before its start runs across midnight, and the day-of-week list applies to the day the
range *starts*: "fri" with "22:00-06:00" covers Friday 22:00 until Saturday 05:59.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final
from urllib.parse import quote, urlsplit

from inference_server.contract.events import BEHAVIOUR_KINDS
from inference_server.contract.risk import LEVELS, level_for_score, level_rank
from inference_server.contract.rules import (
    CHANNEL_TYPES,
    CONDITION_FIELDS,
    DEFAULT_COOLDOWN_SECONDS,
    DEFAULT_GROUP_WINDOW_SECONDS,
    MAX_CONDITION_ITEM_CHARS,
    MAX_CONDITION_ITEMS,
    MAX_COOLDOWN_SECONDS,
    MAX_GROUP_WINDOW_SECONDS,
    MAX_SCHEDULE_RANGES,
    NAME_MAX_CHARS,
    RULE_FIELDS,
    RULE_STORED_FIELDS,
    SEVERITIES,
)

DAYS: Final = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
KNOWN_ATTRIBUTES: Final = frozenset({"known_resident", "known_person", "known_vehicle", "known_entity"})
MINUTES_PER_DAY: Final = 24 * 60

# ASCII digits only: str patterns match any Unicode digit ("２２:００") and int() converts them.
_TIME_RANGE = re.compile(r"^([0-9]{2}):([0-9]{2})-([0-9]{2}):([0-9]{2})$", re.ASCII)
_EMAIL = re.compile(r"^[^@\s<>\"',;]+@[^@\s<>\"',;]+\.[^@\s<>\"',;]+$")
_NOTIFY_SERVICE = re.compile(r"^notify\.[a-z0-9_]{1,64}$")


class InvalidRule(ValueError):
    """A rule document that cannot be used; the message names the offending field."""


@dataclass(frozen=True, slots=True)
class TimeRange:
    """Minutes of the day [start, end); end < start runs across midnight."""

    start: int
    end: int

    @property
    def crosses_midnight(self) -> bool:
        """Whether the range ends on the next day."""
        return self.end < self.start

    def to_text(self) -> str:
        """The "HH:MM-HH:MM" form."""
        return f"{_hhmm(self.start)}-{_hhmm(self.end)}"


@dataclass(frozen=True, slots=True)
class Schedule:
    """Days of the week (0 = Monday) and time ranges; no ranges means the whole of each day."""

    days: frozenset[int] = frozenset(range(7))
    ranges: tuple[TimeRange, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The JSON form: {"days": ["mon", ...], "ranges": ["22:00-06:00", ...]}."""
        return {"days": [DAYS[d] for d in sorted(self.days)], "ranges": [r.to_text() for r in self.ranges]}


@dataclass(frozen=True, slots=True)
class Conditions:
    """Every condition must hold for a rule to match; unset conditions always hold."""

    min_risk_score: int | None = None
    min_level: str | None = None
    objects: tuple[str, ...] = ()
    cameras: tuple[str, ...] = ()
    zones: tuple[str, ...] = ()
    min_confidence: float | None = None
    unknown_only: bool = False
    schedule: Schedule | None = None
    behaviours: tuple[str, ...] = ()  # any of these behaviour kinds (docs/behaviour.md)
    tripwires: tuple[str, ...] = ()  # any of these tripwires crossed (by name)


@dataclass(frozen=True, slots=True)
class Channel:
    """Where an alert goes: a type and its settings (validated per type)."""

    type: str
    settings: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The JSON form: {"type": ..., **settings}."""
        return {"type": self.type, **dict(self.settings)}


@dataclass(frozen=True, slots=True)
class AlertRule:
    """A named set of conditions and the channels to notify when an event meets them."""

    name: str
    id: int | None = None
    enabled: bool = True
    severity: str = "medium"
    conditions: Conditions = field(default_factory=Conditions)
    channels: tuple[Channel, ...] = ()
    cooldown_seconds: int = DEFAULT_COOLDOWN_SECONDS
    group_window_seconds: int = DEFAULT_GROUP_WINDOW_SECONDS


@dataclass(frozen=True, slots=True)
class EventFacts:
    """What a rule looks at in an event.

    `max_confidence` is None when the event carries no detector confidences; `known_entity` is
    True when re-ID recognised a known resident or vehicle, None when nothing is known.
    `behaviours` are the kinds of behaviour found (loitering, ...), `tripwires` the names of the
    tripwires a track crossed.
    """

    event_id: str
    camera: str
    risk_score: int
    risk_level: str
    objects: Mapping[str, int] = field(default_factory=dict)
    zones: tuple[str, ...] = ()
    max_confidence: Mapping[str, float] | None = None
    known_entity: bool | None = None
    behaviours: tuple[str, ...] = ()
    tripwires: tuple[str, ...] = ()


# ---------------------------------------------------------------------------------------------
# Parsing


def parse_rule(data: Any, *, stored: bool = False) -> AlertRule:
    """Validate a rule document (the API's JSON) and build the rule.

    Raises InvalidRule naming the field, e.g. "conditions.schedule.ranges[0]: ...". Unknown keys
    are rejected so a typo never silently widens a rule. An "id" key is accepted and kept.
    `stored`: a row read back, checked when it was written; the size limits (list entries,
    schedule ranges) are not applied, so a limit added later never makes a stored rule unreadable.
    """
    if not isinstance(data, Mapping):
        raise InvalidRule(f"rule: expected an object, got {type(data).__name__}")
    _reject_unknown(data, {*RULE_FIELDS, *RULE_STORED_FIELDS}, "rule")
    rule_id = data.get("id")
    if rule_id is not None and (not _is_int(rule_id) or rule_id < 1):
        raise InvalidRule("id: expected a positive integer")
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        raise InvalidRule("name: required, a non-empty string")
    if len(name) > NAME_MAX_CHARS:
        raise InvalidRule(f"name: at most {NAME_MAX_CHARS} characters")
    enabled = data.get("enabled", True)
    if not isinstance(enabled, bool):
        raise InvalidRule("enabled: expected true or false")
    severity = data.get("severity", "medium")
    if severity not in SEVERITIES:
        raise InvalidRule(f"severity: expected one of {', '.join(SEVERITIES)}, got {severity!r}")
    conditions = _parse_conditions(data.get("conditions", {}), bounded=not stored)
    channels = _parse_channels(data.get("channels", []))
    cooldown = _bounded_int(
        data.get("cooldown_seconds", DEFAULT_COOLDOWN_SECONDS), "cooldown_seconds", 0, MAX_COOLDOWN_SECONDS
    )
    group_window = _bounded_int(
        data.get("group_window_seconds", DEFAULT_GROUP_WINDOW_SECONDS),
        "group_window_seconds",
        0,
        MAX_GROUP_WINDOW_SECONDS,
    )
    return AlertRule(
        id=rule_id,
        name=name.strip(),
        enabled=enabled,
        severity=str(severity),
        conditions=conditions,
        channels=channels,
        cooldown_seconds=cooldown,
        group_window_seconds=group_window,
    )


def parse_schedule(data: Any, where: str = "schedule", *, bounded: bool = True) -> Schedule:
    """Validate {"days": ["mon", ...], "ranges": ["HH:MM-HH:MM", ...]} (both optional; `bounded`:
    each day at most once, at most MAX_SCHEDULE_RANGES ranges)."""
    if not isinstance(data, Mapping):
        raise InvalidRule(f"{where}: expected an object with days and ranges")
    _reject_unknown(data, {"days", "ranges"}, where)
    raw_days = data.get("days", list(DAYS))
    if not isinstance(raw_days, list) or not raw_days:
        raise InvalidRule(f"{where}.days: expected a non-empty list of {', '.join(DAYS)}")
    if bounded and len(raw_days) > len(DAYS):
        raise InvalidRule(f"{where}.days: at most {len(DAYS)} days, each once")
    days: set[int] = set()
    for i, day in enumerate(raw_days):
        key = day.lower()[:3] if isinstance(day, str) else None
        if key not in DAYS:
            raise InvalidRule(f"{where}.days[{i}]: expected one of {', '.join(DAYS)}, got {day!r}")
        days.add(DAYS.index(key))
    raw_ranges = data.get("ranges", [])
    if not isinstance(raw_ranges, list):
        raise InvalidRule(f'{where}.ranges: expected a list of "HH:MM-HH:MM" strings')
    if bounded and len(raw_ranges) > MAX_SCHEDULE_RANGES:
        raise InvalidRule(f"{where}.ranges: at most {MAX_SCHEDULE_RANGES} time ranges")
    ranges = tuple(parse_time_range(r, f"{where}.ranges[{i}]") for i, r in enumerate(raw_ranges))
    return Schedule(days=frozenset(days), ranges=ranges)


def parse_time_range(text: Any, where: str = "range") -> TimeRange:
    """Parse "HH:MM-HH:MM" (24 h clock; "24:00" allowed as an end; start == end is refused)."""
    match = _TIME_RANGE.match(text) if isinstance(text, str) else None
    if match is None:
        raise InvalidRule(f'{where}: expected "HH:MM-HH:MM", got {text!r}')
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if h1 > 23 or m1 > 59:
        raise InvalidRule(f"{where}: start {h1:02d}:{m1:02d} is not a time of day")
    if m2 > 59 or h2 > 24 or (h2 == 24 and m2 != 0):
        raise InvalidRule(f"{where}: end {h2:02d}:{m2:02d} is not a time of day (24:00 is the latest)")
    start, end = h1 * 60 + m1, h2 * 60 + m2
    if start == end % MINUTES_PER_DAY and not (start == 0 and end == MINUTES_PER_DAY):
        raise InvalidRule(f'{where}: start and end are equal; use "00:00-24:00" for the whole day')
    return TimeRange(start, end)


def _parse_conditions(data: Any, *, bounded: bool) -> Conditions:
    where = "conditions"
    if not isinstance(data, Mapping):
        raise InvalidRule(f"{where}: expected an object")
    _reject_unknown(data, set(CONDITION_FIELDS), where)
    min_score = data.get("min_risk_score")
    if min_score is not None:
        min_score = _bounded_int(min_score, f"{where}.min_risk_score", 0, 100)
    min_level = data.get("min_level")
    if min_level is not None and min_level not in LEVELS:
        raise InvalidRule(f"{where}.min_level: expected one of {', '.join(LEVELS)}, got {min_level!r}")
    min_conf = data.get("min_confidence")
    if min_conf is not None:
        if not isinstance(min_conf, (int, float)) or isinstance(min_conf, bool) or not 0.0 <= min_conf <= 1.0:
            raise InvalidRule(f"{where}.min_confidence: expected a number between 0 and 1")
        min_conf = float(min_conf)
    unknown_only = data.get("unknown_only", False)
    if not isinstance(unknown_only, bool):
        raise InvalidRule(f"{where}.unknown_only: expected true or false")
    schedule_data = data.get("schedule")
    schedule = (
        None if schedule_data is None else parse_schedule(schedule_data, f"{where}.schedule", bounded=bounded)
    )
    behaviours = _string_list(data.get("behaviours", []), f"{where}.behaviours", bounded=bounded)
    for i, kind in enumerate(behaviours):
        if kind not in BEHAVIOUR_KINDS:
            raise InvalidRule(
                f"{where}.behaviours[{i}]: expected one of {', '.join(BEHAVIOUR_KINDS)}, got {kind!r}"
            )
    return Conditions(
        min_risk_score=min_score,
        min_level=min_level,
        objects=_string_list(data.get("objects", []), f"{where}.objects", bounded=bounded),
        cameras=_string_list(data.get("cameras", []), f"{where}.cameras", bounded=bounded),
        zones=_string_list(data.get("zones", []), f"{where}.zones", bounded=bounded),
        min_confidence=min_conf,
        unknown_only=unknown_only,
        schedule=schedule,
        behaviours=behaviours,
        tripwires=_string_list(data.get("tripwires", []), f"{where}.tripwires", bounded=bounded),
    )


def _parse_channels(data: Any) -> tuple[Channel, ...]:
    if not isinstance(data, list):
        raise InvalidRule('channels: expected a list of {"type": ...} objects')
    return tuple(parse_channel(item, f"channels[{i}]") for i, item in enumerate(data))


def parse_channel(data: Any, where: str = "channel") -> Channel:
    """Validate one channel: email {to}, webhook {url, secret?}, mqtt {}, ha {notify_service?}."""
    if not isinstance(data, Mapping):
        raise InvalidRule(f"{where}: expected an object with a type")
    kind = data.get("type")
    if kind not in CHANNEL_TYPES:
        raise InvalidRule(f"{where}.type: expected one of {', '.join(CHANNEL_TYPES)}, got {kind!r}")
    settings: dict[str, Any] = {}
    if kind == "email":
        _reject_unknown(data, {"type", "to", "subject_prefix"}, where)
        to = data.get("to")
        if isinstance(to, str):
            to = [to]
        if not isinstance(to, list) or not to:
            raise InvalidRule(f"{where}.to: required, a list of e-mail addresses")
        for i, address in enumerate(to):
            if not isinstance(address, str) or not _EMAIL.match(address):
                raise InvalidRule(f"{where}.to[{i}]: not an e-mail address: {address!r}")
        settings["to"] = list(to)
        if "subject_prefix" in data:
            prefix = data["subject_prefix"]
            if not isinstance(prefix, str) or len(prefix) > 50 or any(c in prefix for c in "\r\n"):
                raise InvalidRule(f"{where}.subject_prefix: a one-line string of at most 50 characters")
            settings["subject_prefix"] = prefix
    elif kind == "webhook":
        _reject_unknown(data, {"type", "url", "secret"}, where)
        url = data.get("url")
        parts = urlsplit(url) if isinstance(url, str) else None
        if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
            raise InvalidRule(f"{where}.url: required, an http:// or https:// URL")
        if parts.username or parts.password:
            raise InvalidRule(f"{where}.url: credentials in the URL are not allowed; use secret")
        settings["url"] = url
        if data.get("secret") is not None:
            secret = data["secret"]
            if not isinstance(secret, str) or not 8 <= len(secret) <= 256:
                raise InvalidRule(f"{where}.secret: a string of 8 to 256 characters")
            settings["secret"] = secret
    elif kind == "mqtt":
        _reject_unknown(data, {"type"}, where)
    else:  # ha
        _reject_unknown(data, {"type", "notify_service"}, where)
        service = data.get("notify_service")
        if service is not None:
            if not isinstance(service, str) or not _NOTIFY_SERVICE.match(service):
                raise InvalidRule(f'{where}.notify_service: expected "notify.<name>", got {service!r}')
            settings["notify_service"] = service
    return Channel(type=str(kind), settings=settings)


def rule_to_json(rule: AlertRule) -> dict[str, Any]:
    """The rule's JSON form (what the API returns and `parse_rule` accepts)."""
    c = rule.conditions
    conditions: dict[str, Any] = {}
    if c.min_risk_score is not None:
        conditions["min_risk_score"] = c.min_risk_score
    if c.min_level is not None:
        conditions["min_level"] = c.min_level
    if c.objects:
        conditions["objects"] = list(c.objects)
    if c.cameras:
        conditions["cameras"] = list(c.cameras)
    if c.zones:
        conditions["zones"] = list(c.zones)
    if c.min_confidence is not None:
        conditions["min_confidence"] = c.min_confidence
    if c.unknown_only:
        conditions["unknown_only"] = True
    if c.schedule is not None:
        conditions["schedule"] = c.schedule.to_json()
    if c.behaviours:
        conditions["behaviours"] = list(c.behaviours)
    if c.tripwires:
        conditions["tripwires"] = list(c.tripwires)
    return {
        "id": rule.id,
        "name": rule.name,
        "enabled": rule.enabled,
        "severity": rule.severity,
        "conditions": conditions,
        "channels": [ch.to_json() for ch in rule.channels],
        "cooldown_seconds": rule.cooldown_seconds,
        "group_window_seconds": rule.group_window_seconds,
    }


# ---------------------------------------------------------------------------------------------
# Matching


def in_schedule(schedule: Schedule | None, local_dt: datetime) -> bool:
    """Whether a local date-time falls in the schedule (None: always).

    Minute resolution; ranges are half-open. An across-midnight range belongs to the day it
    starts on: its part after midnight counts when the *previous* day is a listed day.
    """
    if schedule is None:
        return True
    weekday = local_dt.weekday()
    minute = local_dt.hour * 60 + local_dt.minute
    if not schedule.ranges:
        return weekday in schedule.days
    yesterday = (weekday - 1) % 7
    for r in schedule.ranges:
        if r.crosses_midnight:
            if weekday in schedule.days and minute >= r.start:
                return True
            if yesterday in schedule.days and minute < r.end:
                return True
        elif weekday in schedule.days and r.start <= minute < r.end:
            return True
    return False


def why_not(rule: AlertRule, event: EventFacts, now_local: datetime) -> list[str]:
    """The conditions the event fails, in plain words (empty: every condition holds).

    `now_local` is the moment judged by the schedule, in the home's time zone; the engine passes
    the event's start. Whether the rule is enabled is not a condition (see `matches`).
    """
    c = rule.conditions
    reasons: list[str] = []
    if c.min_risk_score is not None and event.risk_score < c.min_risk_score:
        reasons.append(f"risk score {event.risk_score} is below {c.min_risk_score}")
    if c.min_level is not None and level_rank(event.risk_level) < LEVELS.index(c.min_level):
        reasons.append(f"risk level {event.risk_level} is below {c.min_level}")
    present = [label for label, count in event.objects.items() if count > 0]
    wanted = [label for label in present if label in c.objects] if c.objects else present
    if c.objects and not wanted:
        reasons.append(
            f"none of the objects {', '.join(c.objects)} was seen (seen: {', '.join(present) or 'none'})"
        )
    if c.cameras and event.camera not in c.cameras:
        reasons.append(f"camera {event.camera} is not one of {', '.join(c.cameras)}")
    if c.zones and not any(z in c.zones for z in event.zones):
        reasons.append(
            f"no zone of {', '.join(c.zones)} was entered (entered: {', '.join(event.zones) or 'none'})"
        )
    if c.min_confidence is not None:
        if event.max_confidence is None:
            reasons.append("detector confidence is unknown for this event")
        else:
            best = max((event.max_confidence.get(label, 0.0) for label in wanted), default=0.0)
            if best < c.min_confidence:
                reasons.append(f"best confidence {best:.2f} is below {c.min_confidence:.2f}")
    if c.unknown_only and event.known_entity:
        reasons.append("a known person or vehicle was recognised (rule is for unknown only)")
    if c.behaviours and not any(b in c.behaviours for b in event.behaviours):
        reasons.append(
            f"none of the behaviours {', '.join(c.behaviours)} was seen "
            f"(seen: {', '.join(event.behaviours) or 'none'})"
        )
    if c.tripwires and not any(t in c.tripwires for t in event.tripwires):
        reasons.append(
            f"no tripwire of {', '.join(c.tripwires)} was crossed "
            f"(crossed: {', '.join(event.tripwires) or 'none'})"
        )
    if c.schedule is not None and not in_schedule(c.schedule, now_local):
        reasons.append(f"{now_local:%a %H:%M} is outside the schedule")
    return reasons


def matches(rule: AlertRule, event: EventFacts, now_local: datetime) -> bool:
    """Whether an enabled rule's conditions all hold for the event (see `why_not`)."""
    return rule.enabled and not why_not(rule, event, now_local)


def matched_objects(rule: AlertRule, event: EventFacts) -> list[str]:
    """The event's object classes the rule cares about, sorted (all seen classes when unrestricted)."""
    present = sorted(label for label, count in event.objects.items() if count > 0)
    return (
        [label for label in present if label in rule.conditions.objects]
        if rule.conditions.objects
        else present
    )


def cooldown_keys(rule: AlertRule, event: EventFacts) -> list[str]:
    """One key per rule x camera x object x zone of the event that the rule cares about.

    An alert is new when at least one key is outside its cooldown. An event without objects or
    zones uses "*" in that place. Parts are percent-encoded, so names cannot forge another key.
    """
    objects = [quote(o, safe="") for o in matched_objects(rule, event)] or ["*"]
    zones_seen = sorted(set(event.zones))
    zones = [z for z in zones_seen if z in rule.conditions.zones] if rule.conditions.zones else zones_seen
    zones_q = [quote(z, safe="") for z in zones] or ["*"]
    rule_part = str(rule.id) if rule.id is not None else quote(rule.name, safe="")
    camera = quote(event.camera, safe="")
    return [f"rule:{rule_part}|cam:{camera}|obj:{obj}|zone:{zone}" for obj in objects for zone in zones_q]


def group_key(rule: AlertRule, event: EventFacts) -> str:
    """Events with the same key within the rule's group window update one alert (cross-camera).

    The key is the rule and the object classes it matched, not the camera: one intruder passing
    several cameras is one alert.
    """
    rule_part = str(rule.id) if rule.id is not None else quote(rule.name, safe="")
    objects = ",".join(quote(o, safe="") for o in matched_objects(rule, event)) or "*"
    return f"rule:{rule_part}|obj:{objects}"


def severity_rank(severity: str) -> int:
    """0 (low) .. 3 (critical); unknown values rank lowest."""
    return SEVERITIES.index(severity) if severity in SEVERITIES else 0


def facts_from_event(event: Mapping[str, Any], context: Mapping[str, Any] | None = None) -> EventFacts:
    """Build the facts from the Event JSON and, when known, the event's stored context.

    From the event: `behaviours` (their kinds). From the context: `max_confidence`
    ({class: confidence}), `attributes` (a "known_*" cue, e.g. known_resident, means a known
    entity), the tripwires the tracks crossed, and the behaviours when the event JSON has none.
    Without a context confidence and known stay unknown.
    """
    score = int(event.get("risk_score", 0))
    level = event.get("risk_level")
    if level not in LEVELS:
        level = level_for_score(max(0, min(100, score))).value
    raw_objects = event.get("objects") or {}
    objects = {str(k): int(v) for k, v in raw_objects.items()} if isinstance(raw_objects, Mapping) else {}
    raw_zones = event.get("zones") or []
    zones = tuple(str(z) for z in raw_zones) if isinstance(raw_zones, Sequence) else ()
    max_conf: dict[str, float] | None = None
    known: bool | None = None
    behaviours = _kinds(event.get("behaviours"))
    tripwires: list[str] = []
    if context:
        raw_conf = context.get("max_confidence")
        if isinstance(raw_conf, Mapping) and raw_conf:
            max_conf = {str(k): float(v) for k, v in raw_conf.items()}
        attributes = context.get("attributes") or ()
        if isinstance(attributes, Sequence):
            known = any(str(a) in KNOWN_ATTRIBUTES for a in attributes)
        behaviours = behaviours or _kinds(context.get("behaviours"))
        for track in context.get("tracks") or ():
            for crossing in (track.get("crossings") or ()) if isinstance(track, Mapping) else ():
                if isinstance(crossing, Mapping) and isinstance(crossing.get("line"), str):
                    tripwires.append(crossing["line"])
    return EventFacts(
        event_id=str(event.get("id", "")),
        camera=str(event.get("camera", "")),
        risk_score=score,
        risk_level=str(level),
        objects=objects,
        zones=zones,
        max_confidence=max_conf,
        known_entity=known,
        behaviours=behaviours,
        tripwires=tuple(dict.fromkeys(tripwires)),
    )


def _kinds(findings: Any) -> tuple[str, ...]:
    """The distinct kinds of a list of behaviour findings ({"kind": ...} objects)."""
    if not isinstance(findings, Sequence) or isinstance(findings, str):
        return ()
    kinds = (f.get("kind") for f in findings if isinstance(f, Mapping))
    return tuple(dict.fromkeys(k for k in kinds if isinstance(k, str)))


# ---------------------------------------------------------------------------------------------
# Helpers


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _bounded_int(value: Any, where: str, low: int, high: int) -> int:
    if not _is_int(value) or not low <= value <= high:
        raise InvalidRule(f"{where}: expected an integer from {low} to {high}, got {value!r}")
    return int(value)


def _string_list(value: Any, where: str, *, bounded: bool) -> tuple[str, ...]:
    # One bare string is refused, not wrapped: a client that sends "person" has a bug to learn of.
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise InvalidRule(f"{where}: expected a list of non-empty strings")
    if bounded and (
        len(value) > MAX_CONDITION_ITEMS or any(len(v) > MAX_CONDITION_ITEM_CHARS for v in value)
    ):
        raise InvalidRule(
            f"{where}: at most {MAX_CONDITION_ITEMS} entries of at most {MAX_CONDITION_ITEM_CHARS} characters"
        )
    return tuple(dict.fromkeys(v.strip() for v in value))


def _reject_unknown(data: Mapping[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(str(k) for k in data if k not in allowed)
    if unknown:
        raise InvalidRule(f"{where}: unknown field(s) {', '.join(unknown)}")
