"""Behaviour over time: patterns that single-frame detections miss.

Each detector is a pure function over facts the pipeline already has (track summaries, zone hits,
re-ID sightings, the entity's visit history) and returns `BehaviourFinding`s with a strength in
0..1 and a one-line explanation that goes into the reasoning and the prompt:

- **loitering**: a person dwells in a zone beyond the threshold of its zone type; thresholds are
  shorter at night (`night_factor`). Strength grows with dwell and never falls as dwell grows.
- **perimeter walk**: one entity is seen on >= `perimeter_cameras` cameras (this one included)
  within `perimeter_minutes`.
- **repeated visits**: the same entity (person or vehicle) at this camera on >= `repeat_days`
  distinct local days within the last `repeat_lookback_days` days (today included).
- **tailgating**: a person enters an entry-point zone less than `tailgate_seconds` after another
  person or vehicle entered it.
- **approach and retreat**: a person moves toward an entry point and away again at least
  `retreat_cycles` times (each leg at least `retreat_min_change` of the frame).

Thresholds live in `BehaviourConfig`, which settings fill in.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import pairwise
from typing import Final

from inference_server.domain.context import (
    BEHAVIOUR_KINDS,
    BehaviourFinding,
    ReidSighting,
    TrackSummary,
    ZoneHit,
)
from inference_server.domain.detections import category_of

LOITERING: Final = "loitering"
PERIMETER_WALK: Final = "perimeter_walk"
REPEATED_VISITS: Final = "repeated_visits"
TAILGATING: Final = "tailgating"
APPROACH_RETREAT: Final = "approach_retreat"
KINDS: Final = BEHAVIOUR_KINDS

_DEFAULT_LOITER: Final[dict[str, float]] = {
    "entry_point": 60.0,
    "driveway": 120.0,
    "yard": 120.0,
    "other": 180.0,
    "sidewalk": 240.0,
}


@dataclass(frozen=True, slots=True)
class BehaviourConfig:
    """Thresholds of the behaviour detectors (see the module docstring)."""

    loiter_seconds: Mapping[str, float] = field(default_factory=lambda: dict(_DEFAULT_LOITER))
    night_factor: float = 0.5
    perimeter_cameras: int = 3
    perimeter_minutes: float = 10.0
    repeat_days: int = 3
    repeat_lookback_days: int = 7
    tailgate_seconds: float = 5.0
    retreat_cycles: int = 2
    retreat_min_change: float = 0.08

    def __post_init__(self) -> None:
        if not 0.0 < self.night_factor <= 1.0:
            raise ValueError("night_factor must be in (0, 1]")
        if any(v <= 0 for v in self.loiter_seconds.values()):
            raise ValueError("loiter_seconds must be positive")
        if self.perimeter_cameras < 2 or self.repeat_days < 2 or self.retreat_cycles < 1:
            raise ValueError("perimeter_cameras and repeat_days must be >= 2, retreat_cycles >= 1")
        if self.perimeter_minutes <= 0 or self.tailgate_seconds <= 0 or self.repeat_lookback_days < 1:
            raise ValueError("perimeter_minutes, tailgate_seconds and repeat_lookback_days must be positive")
        if not 0.0 < self.retreat_min_change < 1.0:
            raise ValueError("retreat_min_change must be in (0, 1)")


DEFAULT_BEHAVIOUR_CONFIG: Final = BehaviourConfig()


@dataclass(frozen=True, slots=True)
class Visit:
    """One past sighting of an entity (from the re-ID history)."""

    entity_id: str
    label: str
    camera: str
    day: date  # the local day it was seen on


def loiter_threshold(
    zone_type: str, night: bool, config: BehaviourConfig = DEFAULT_BEHAVIOUR_CONFIG
) -> float:
    """Seconds of dwell in a zone of this type from which a person is loitering."""
    base = config.loiter_seconds.get(zone_type, config.loiter_seconds.get("other", 180.0))
    return base * (config.night_factor if night else 1.0)


def loitering_strength(dwell: float, threshold: float) -> float:
    """0 below the threshold, then rising linearly to 1 at three times the threshold."""
    if dwell < threshold:
        return 0.0
    return round(min(1.0, 0.5 + 0.25 * (dwell - threshold) / threshold), 3)


def loitering(
    tracks: Sequence[TrackSummary],
    zones: Sequence[ZoneHit],
    *,
    night: bool,
    config: BehaviourConfig = DEFAULT_BEHAVIOUR_CONFIG,
) -> list[BehaviourFinding]:
    """People who stayed in a zone beyond its loitering threshold (one finding per zone)."""
    zone_types = {z.name: z.zone_type for z in zones}
    best: dict[str, tuple[float, float]] = {}  # zone -> (dwell, threshold)
    for tr in tracks:
        if category_of(tr.label) != "person":
            continue
        for zone, dwell in tr.dwell_seconds.items():
            threshold = loiter_threshold(zone_types.get(zone, "other"), night, config)
            if dwell >= threshold and dwell > best.get(zone, (0.0, 0.0))[0]:
                best[zone] = (dwell, threshold)
    findings = []
    for zone in sorted(best):
        dwell, threshold = best[zone]
        kind = zone_types.get(zone, "other").replace("_", " ")
        findings.append(
            BehaviourFinding(
                kind=LOITERING,
                subject="person",
                strength=loitering_strength(dwell, threshold),
                explanation=(
                    f"person stayed {dwell:.0f} s in {zone} ({kind}); loitering from "
                    f"{threshold:.0f} s{' at night' if night else ''}"
                ),
            )
        )
    return findings


def perimeter_walk(
    camera: str,
    sightings: Sequence[ReidSighting],
    config: BehaviourConfig = DEFAULT_BEHAVIOUR_CONFIG,
) -> list[BehaviourFinding]:
    """Entities seen on enough cameras (this one included) within the time limit."""
    cameras: dict[str, set[str]] = {}
    labels: dict[str, str] = {}
    for s in sightings:
        if s.minutes_ago <= config.perimeter_minutes and s.camera != camera:
            cameras.setdefault(s.entity_id, set()).add(s.camera)
            labels[s.entity_id] = s.label
    findings = []
    for entity in sorted(cameras):
        seen = {camera} | cameras[entity]
        if len(seen) < config.perimeter_cameras:
            continue
        strength = min(1.0, 0.6 + 0.2 * (len(seen) - config.perimeter_cameras))
        findings.append(
            BehaviourFinding(
                kind=PERIMETER_WALK,
                subject=labels[entity],
                strength=round(strength, 3),
                explanation=(
                    f"same {labels[entity]} on {len(seen)} cameras within "
                    f"{config.perimeter_minutes:g} min ({', '.join(sorted(seen))})"
                ),
                entity_id=entity,
            )
        )
    return findings


def repeated_visits(
    camera: str,
    today: date,
    entity_ids: Iterable[str],
    history: Sequence[Visit],
    config: BehaviourConfig = DEFAULT_BEHAVIOUR_CONFIG,
) -> list[BehaviourFinding]:
    """Entities of this event seen at this camera on enough distinct days of the last week.

    `entity_ids` are the entities this event's tracks matched; `history` their past visits (any
    camera, any day: this function filters). Today counts as one of the days.
    """
    since = today - timedelta(days=config.repeat_lookback_days - 1)
    wanted = set(entity_ids)
    days: dict[str, set[date]] = {e: {today} for e in wanted}
    labels: dict[str, str] = {}
    for v in history:
        if v.entity_id in wanted and v.camera == camera and since <= v.day <= today:
            days[v.entity_id].add(v.day)
            labels[v.entity_id] = v.label
    findings = []
    for entity in sorted(days):
        n = len(days[entity])
        if n < config.repeat_days:
            continue
        label = labels.get(entity, "entity")
        strength = min(1.0, 0.6 + 0.1 * (n - config.repeat_days))
        findings.append(
            BehaviourFinding(
                kind=REPEATED_VISITS,
                subject=label,
                strength=round(strength, 3),
                explanation=(
                    f"same {label} at {camera} on {n} different days in the last "
                    f"{config.repeat_lookback_days} days"
                ),
                entity_id=entity,
            )
        )
    return findings


def tailgating(
    tracks: Sequence[TrackSummary],
    zones: Sequence[ZoneHit],
    config: BehaviourConfig = DEFAULT_BEHAVIOUR_CONFIG,
) -> list[BehaviourFinding]:
    """A person entering an entry point right behind another person or vehicle."""
    entry_points = {z.name for z in zones if z.zone_type == "entry_point"}
    findings = []
    for zone in sorted(entry_points):
        entries = sorted(
            (tr.zone_entered_at[zone], tr.track_id, tr.label)
            for tr in tracks
            if zone in tr.zone_entered_at and category_of(tr.label) in ("person", "vehicle")
        )
        for (t0, _, first), (t1, _, second) in pairwise(entries):
            gap = t1 - t0
            if category_of(second) == "person" and gap < config.tailgate_seconds:
                strength = 0.5 + 0.5 * (1.0 - gap / config.tailgate_seconds)
                findings.append(
                    BehaviourFinding(
                        kind=TAILGATING,
                        subject="person",
                        strength=round(strength, 3),
                        explanation=f"person entered {zone} {gap:.1f} s behind a {first}",
                    )
                )
                break
    return findings


def count_reversals(distances: Sequence[float], min_change: float) -> int:
    """How many times a distance went down by >= min_change and then up by >= min_change.

    A toward-then-away leg pair counts once; noise smaller than `min_change` is ignored.
    """
    cycles = 0
    if not distances:
        return 0
    anchor = distances[0]
    low: float | None = None  # the lowest point of an approach leg, once it is long enough
    for d in distances[1:]:
        if low is None:
            if d > anchor:
                anchor = d  # still moving away: the approach has not started
            elif anchor - d >= min_change:
                low = d
        elif d < low:
            low = d
        elif d - low >= min_change:
            cycles += 1
            anchor, low = d, None
    return cycles


def approach_retreat(
    tracks: Sequence[TrackSummary], config: BehaviourConfig = DEFAULT_BEHAVIOUR_CONFIG
) -> list[BehaviourFinding]:
    """People who went toward an entry point and back away repeatedly."""
    findings = []
    for tr in tracks:
        if category_of(tr.label) != "person" or tr.reversals < config.retreat_cycles:
            continue
        strength = min(1.0, 0.5 + 0.25 * (tr.reversals - config.retreat_cycles + 1))
        findings.append(
            BehaviourFinding(
                kind=APPROACH_RETREAT,
                subject="person",
                strength=round(strength, 3),
                explanation=f"person approached an entry point and backed away {tr.reversals} times",
            )
        )
    return findings


def detect_behaviours(
    *,
    camera: str,
    night: bool,
    tracks: Sequence[TrackSummary],
    zones: Sequence[ZoneHit],
    sightings: Sequence[ReidSighting] = (),
    today: date | None = None,
    entity_ids: Iterable[str] = (),
    history: Sequence[Visit] = (),
    config: BehaviourConfig = DEFAULT_BEHAVIOUR_CONFIG,
) -> tuple[BehaviourFinding, ...]:
    """Every behaviour of one event, strongest first (ties by kind)."""
    found = [
        *loitering(tracks, zones, night=night, config=config),
        *perimeter_walk(camera, sightings, config),
        *tailgating(tracks, zones, config),
        *approach_retreat(tracks, config),
    ]
    if today is not None:
        found += repeated_visits(camera, today, entity_ids, history, config)
    found.sort(key=lambda f: (-f.strength, f.kind, f.explanation))
    return tuple(found)
