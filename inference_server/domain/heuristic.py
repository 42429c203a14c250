"""The deterministic heuristic risk scorer: always available, and the fallback when an LLM fails.

The score is built from evidence points, then scaled:

    threat = object base + zone + dwell + inbound crossings + approach + cues + re-ID
             + behaviours over time + baseline anomaly + night-on-property bonus
    score  = threat x detection confidence x night x combined-cues x mitigations

Every suspicious fact (night, a zone hit, dwell, a crossing, an intrusion cue, a re-ID sighting,
an unusual baseline) only ever adds points or multiplies by 1 or more, so adding one never
lowers the score. Mitigations (known resident, delivery, children, passers-by, a sidewalk-only
event, a very usual baseline) multiply by less than 1. Events of ordinary animals only are
capped in the low band. The score bands are those of `risk.level_for_score`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from inference_server.domain.baseline import ANOMALOUS, VERY_USUAL
from inference_server.domain.context import EventContext, ZoneHit
from inference_server.domain.detections import category_of
from inference_server.domain.risk import RiskAssessment, clamp_score, level_for_score

ASSESSED_BY: Final = "heuristic"

# Points for the most threatening kind of object present.
CATEGORY_BASE: Final[dict[str, float]] = {
    "person": 12.0,
    "vehicle": 9.0,
    "package": 4.0,
    "other": 3.0,
    "animal": 2.0,
}
# Animals worth attention for safety, not just noise.
DANGEROUS_ANIMALS: Final[dict[str, float]] = {"bear": 35.0}
EXTRA_CATEGORY_POINTS: Final = 3.0
EXTRA_PERSON_POINTS: Final = 3.0
MAX_EXTRA_PERSONS: Final = 3

# Where: entry points matter far more than the driveway, then the yard, then the public sidewalk.
ZONE_POINTS: Final[dict[str, float]] = {
    "entry_point": 10.0,
    "driveway": 6.0,
    "yard": 4.0,
    "other": 2.0,
    "sidewalk": 0.0,
}
PRIORITY_POINTS: Final = 2.0  # per priority step, priorities 0..5 count
DWELL_POINTS: Final[dict[str, float]] = {
    "entry_point": 18.0,
    "driveway": 12.0,
    "yard": 7.0,
    "other": 4.0,
    "sidewalk": 2.0,
}
DWELL_START_SECONDS: Final = 20.0  # waiting at a door for an answer is normal
DWELL_FULL_SECONDS: Final = 180.0
LINGER_SECONDS: Final = 45.0  # from here the summary says "lingered"
CROSSING_POINTS: Final = 6.0
MAX_COUNTED_CROSSINGS: Final = 2
APPROACH_POINTS: Final = 3.0
APPROACH_CAMERA_POINTS: Final = 1.0

# Observed cues (EventContext.attributes) that raise the risk, in points.
CUE_POINTS: Final[dict[str, float]] = {
    "weapon": 65.0,
    "forced_entry": 45.0,
    "broken_glass": 40.0,
    "tried_door": 30.0,
    "tried_window": 30.0,
    "package_taken": 35.0,
    "face_covered": 25.0,
    "tried_car_door": 25.0,
    "climbing_fence": 22.0,
    "at_window": 20.0,
    "peering_in": 20.0,
    "hiding": 20.0,
    "looking_into_car": 15.0,
    "carrying_tools": 12.0,
    "flashlight": 10.0,
    "loitering": 10.0,
    "idling": 8.0,
    "engine_running": 8.0,
    "lights_off": 8.0,
    "running": 6.0,
    "unknown_vehicle": 5.0,
}
# Two or more of these together (e.g. a covered face and trying doors) are worse than the sum.
INTRUSION_CUES: Final = frozenset(
    {
        "weapon",
        "forced_entry",
        "broken_glass",
        "tried_door",
        "tried_window",
        "package_taken",
        "face_covered",
        "tried_car_door",
        "climbing_fence",
        "at_window",
        "peering_in",
        "hiding",
    }
)
COMBINED_CUES_FACTOR: Final = 1.15
# Observed cues that explain the activity as ordinary, as multipliers.
MITIGATING_CUES: Final[dict[str, float]] = {
    "known_resident": 0.3,
    "known_vehicle": 0.4,
    "mail_carrier": 0.5,
    "kids_playing": 0.5,
    "delivery_uniform": 0.6,
    "child": 0.6,
    "jogging": 0.6,
    "passing_by": 0.6,
    "walking_dog": 0.6,
    "gardening": 0.6,
    "service_worker": 0.7,
    "carrying_package": 0.75,
    "package_delivered": 0.75,
    "rang_doorbell": 0.85,
}
MIN_MITIGATION: Final = 0.15
SIDEWALK_ONLY_FACTOR: Final = 0.6
SIDEWALK_PASSING_SECONDS: Final = 60.0  # longer on the sidewalk is watching, not passing
VERY_USUAL_FACTOR: Final = 0.85

# Behaviours over time (domain/behaviour.py), in points at full strength.
BEHAVIOUR_POINTS: Final[dict[str, float]] = {
    "tailgating": 15.0,
    "approach_retreat": 12.0,
    "loitering": 10.0,
    "repeated_visits": 30.0,  # the same stranger or car coming back day after day is casing
    "perimeter_walk": 8.0,  # re-ID on several cameras already scores; this is the pattern on top
}

REID_WINDOW_MINUTES: Final = 10.0
REID_FAST_MINUTES: Final = 3.0
REID_MIN_SIMILARITY: Final = 0.85
REID_ONE_CAMERA_POINTS: Final = 7.0
REID_MANY_CAMERAS_POINTS: Final = 20.0
REID_FAST_POINTS: Final = 5.0

BASELINE_POINTS: Final = 15.0
BASELINE_FROM: Final = 0.4  # anomaly scores below this add nothing

NIGHT_FACTOR_PERSON: Final = 1.4
NIGHT_FACTOR_VEHICLE: Final = 1.3
NIGHT_ON_PROPERTY_POINTS: Final = 8.0
ANIMALS_ONLY_CAP: Final = 20.0

# How much a zone/baseline fact counts, by the category of the object it is about.
_RELEVANCE: Final[dict[str, float]] = {
    "person": 1.0,
    "vehicle": 0.8,
    "package": 0.4,
    "other": 0.3,
    "animal": 0.2,
}
_CATEGORY_ORDER: Final = ("person", "vehicle", "package", "other", "animal")
_SUMMARY_MAX: Final = 300
_REASONING_MAX: Final = 1500


@dataclass(frozen=True, slots=True)
class Factor:
    """One piece of evidence and its effect on the score ("+12.0" points or "x0.30")."""

    description: str
    effect: str


def score_context(context: EventContext) -> RiskAssessment:
    """Score an event context deterministically (assessed_by "heuristic").

    See the module docstring for how the score is built. The summary is one sentence, e.g.
    "Person lingered 95 s at the back door entry point at 03:12."; the reasoning lists every
    factor with its effect, then the final score and level.
    """
    score, factors = _score(context)
    level = level_for_score(score)
    lines = [f"Heuristic score {score} ({level.value}) from:"]
    lines += [f"- {f.description}: {f.effect}" for f in factors]
    reasoning = _fit_lines(lines, _REASONING_MAX)
    return RiskAssessment(
        risk_score=score,
        summary=_summary(context)[:_SUMMARY_MAX],
        reasoning=reasoning,
        assessed_by=ASSESSED_BY,
        model=ASSESSED_BY,
    )


def _score(context: EventContext) -> tuple[int, list[Factor]]:
    factors: list[Factor] = []
    counts = _category_counts(context.objects)
    cues = {a.strip().lower() for a in context.attributes}
    has_person = counts.get("person", 0) > 0
    has_vehicle = counts.get("vehicle", 0) > 0
    dangerous = [
        label for label in context.objects if label in DANGEROUS_ANIMALS and context.objects[label] > 0
    ]

    threat = 0.0

    # What: the most threatening object, plus a little for company.
    primary = _primary_category(counts)
    if primary is not None:
        base = CATEGORY_BASE[primary]
        for label in dangerous:
            base = max(base, DANGEROUS_ANIMALS[label])
        threat += base
        factors.append(Factor(f"{_objects_words(context.objects)} detected", _plus(base)))
        others = sum(1 for c, n in counts.items() if n > 0 and c != primary)
        if others:
            extra = EXTRA_CATEGORY_POINTS * min(others, 2)
            threat += extra
            factors.append(Factor("more than one kind of object", _plus(extra)))
        persons = counts.get("person", 0)
        if persons > 1:
            extra = EXTRA_PERSON_POINTS * min(persons - 1, MAX_EXTRA_PERSONS)
            threat += extra
            factors.append(Factor(f"{persons} people", _plus(extra)))
    else:
        factors.append(Factor("no objects detected", "+0"))

    # Where and how long.
    zone_types = _zone_types(context)
    zone_best, zone_hit = _best_zone(context.zones, counts)
    if zone_hit is not None and zone_best > 0:
        threat += zone_best
        factors.append(
            Factor(
                f"{_zone_words(zone_hit.name, zone_hit.zone_type)} ({zone_hit.zone_type}, "
                f"priority {zone_hit.priority})",
                _plus(zone_best),
            )
        )
    dwell_points, dwell_zone, dwell_seconds = _best_dwell(context, zone_types, counts)
    if dwell_points > 0:
        threat += dwell_points
        dwell_words = _zone_words(dwell_zone, zone_types.get(dwell_zone, "other"))
        factors.append(
            Factor(
                f"stayed {dwell_seconds:.0f} s in {dwell_words}",
                _plus(dwell_points),
            )
        )
    inbound = [
        c
        for tr in context.tracks
        for c in tr.crossings
        if c.direction == "in" and category_of(c.label) in ("person", "vehicle")
    ]
    if inbound:
        points = CROSSING_POINTS * min(len(inbound), MAX_COUNTED_CROSSINGS)
        threat += points
        lines = ", ".join(sorted({c.line for c in inbound}))
        factors.append(Factor(f"crossed {lines} inbound ({len(inbound)}x)", _plus(points)))
    approach_points, approach_words = _approach(context)
    if approach_points > 0:
        threat += approach_points
        factors.append(Factor(approach_words, _plus(approach_points)))

    # Observed cues.
    for cue in sorted(cues, key=lambda c: (-CUE_POINTS.get(c, 0.0), c)):
        if cue in CUE_POINTS:
            threat += CUE_POINTS[cue]
            factors.append(Factor(f"cue: {cue}", _plus(CUE_POINTS[cue])))

    # Seen elsewhere.
    reid_points, reid_words = _reid(context)
    if reid_points > 0:
        threat += reid_points
        factors.append(Factor(reid_words, _plus(reid_points)))

    # Patterns over time.
    for finding in context.behaviours:
        points = BEHAVIOUR_POINTS.get(finding.kind, 0.0) * finding.strength
        if points > 0:
            threat += points
            factors.append(Factor(f"behaviour: {finding.explanation}", _plus(points)))

    # How usual.
    baseline_points, baseline_words, very_usual = _baseline(context)
    if baseline_points > 0:
        threat += baseline_points
        factors.append(Factor(baseline_words, _plus(baseline_points)))

    on_property = any(t != "sidewalk" for t in zone_types.values())
    if context.is_night and has_person and on_property:
        threat += NIGHT_ON_PROPERTY_POINTS
        factors.append(Factor("person on the property at night", _plus(NIGHT_ON_PROPERTY_POINTS)))

    # Scaling.
    confidence = _confidence_factor(context, primary)
    if confidence < 1.0:
        threat *= confidence
        factors.append(Factor("detection confidence is modest", _times(confidence)))
    if context.is_night and (has_person or has_vehicle):
        night = NIGHT_FACTOR_PERSON if has_person else NIGHT_FACTOR_VEHICLE
        threat *= night
        factors.append(Factor(f"night ({context.local_time})", _times(night)))
    if len(cues & INTRUSION_CUES) >= 2:
        threat *= COMBINED_CUES_FACTOR
        factors.append(Factor("several intrusion cues together", _times(COMBINED_CUES_FACTOR)))

    mitigation = 1.0
    for cue in sorted(cues):
        if cue in MITIGATING_CUES:
            mitigation *= MITIGATING_CUES[cue]
            factors.append(Factor(f"cue: {cue}", _times(MITIGATING_CUES[cue])))
    if _passing_on_sidewalk(context, zone_types) and not context.behaviours:
        mitigation *= SIDEWALK_ONLY_FACTOR
        factors.append(Factor("passing along the public sidewalk", _times(SIDEWALK_ONLY_FACTOR)))
    if very_usual:
        mitigation *= VERY_USUAL_FACTOR
        factors.append(Factor("this activity is very usual here at this hour", _times(VERY_USUAL_FACTOR)))
    if mitigation < 1.0:
        threat *= max(MIN_MITIGATION, mitigation)

    if primary == "animal" and not dangerous and threat > ANIMALS_ONLY_CAP:
        threat = ANIMALS_ONLY_CAP
        factors.append(Factor("animals only", f"capped at {ANIMALS_ONLY_CAP:.0f}"))

    ignored = sorted(c for c in cues if c not in CUE_POINTS and c not in MITIGATING_CUES)
    if ignored:
        factors.append(Factor(f"cues not scored: {', '.join(ignored)}", "0"))
    return clamp_score(threat), factors


def _plus(points: float) -> str:
    return f"+{points:.1f}"


def _times(factor: float) -> str:
    return f"x{factor:.2f}"


def _category_counts(objects: dict[str, int]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for label, n in objects.items():
        if n > 0:
            category = category_of(label)
            counts[category] = counts.get(category, 0) + n
    return counts


def _primary_category(counts: dict[str, int]) -> str | None:
    present = [c for c in _CATEGORY_ORDER if counts.get(c, 0) > 0]
    return present[0] if present else None


def _relevance(labels: Iterable[str], counts: dict[str, int]) -> float:
    """How much a fact about objects with these labels counts (all objects when none given)."""
    categories = {category_of(label) for label in labels} or {c for c, n in counts.items() if n > 0}
    return max((_RELEVANCE[c] for c in categories), default=1.0)


def _zone_types(context: EventContext) -> dict[str, str]:
    types: dict[str, str] = {}
    for hit in context.zones:
        types.setdefault(hit.name, hit.zone_type)
    for tr in context.tracks:
        for name in list(tr.zones) + list(tr.dwell_seconds):
            types.setdefault(name, "other")
    return types


def _best_zone(hits: Iterable[ZoneHit], counts: dict[str, int]) -> tuple[float, ZoneHit | None]:
    best, best_hit = 0.0, None
    for hit in hits:
        priority = max(0, min(5, hit.priority))
        points = (ZONE_POINTS.get(hit.zone_type, ZONE_POINTS["other"]) + PRIORITY_POINTS * priority) * (
            _relevance(hit.labels, counts)
        )
        if best_hit is None or points > best:
            best, best_hit = points, hit
    return best, best_hit


def _passing_on_sidewalk(context: EventContext, zone_types: dict[str, str]) -> bool:
    """Only sidewalk zones, and nobody stayed there long: a passer-by."""
    if not zone_types or any(t != "sidewalk" for t in zone_types.values()):
        return False
    stays = [hit.dwell_seconds for hit in context.zones]
    stays += [s for tr in context.tracks for s in tr.dwell_seconds.values()]
    return max(stays, default=0.0) < SIDEWALK_PASSING_SECONDS


def _dwell_ramp(seconds: float) -> float:
    span = DWELL_FULL_SECONDS - DWELL_START_SECONDS
    return max(0.0, min(1.0, (seconds - DWELL_START_SECONDS) / span))


def _best_dwell(
    context: EventContext, zone_types: dict[str, str], counts: dict[str, int]
) -> tuple[float, str, float]:
    best = (0.0, "", 0.0)
    candidates: list[tuple[str, float, float]] = []  # (zone, seconds, relevance)
    for hit in context.zones:
        candidates.append((hit.name, hit.dwell_seconds, _relevance(hit.labels, counts)))
    for tr in context.tracks:
        for name, seconds in tr.dwell_seconds.items():
            candidates.append((name, seconds, _relevance([tr.label], counts)))
    for name, seconds, relevance in candidates:
        zone_type = zone_types.get(name, "other")
        points = DWELL_POINTS.get(zone_type, DWELL_POINTS["other"]) * _dwell_ramp(seconds) * relevance
        if points > best[0] or (points == best[0] and seconds > best[2] and points > 0):
            best = (points, name, seconds)
    return best


def _approach(context: EventContext) -> tuple[float, str]:
    best = (0.0, "")
    for tr in context.tracks:
        a = tr.approach
        if a is None or category_of(tr.label) not in ("person", "vehicle"):
            continue
        if a.target_zone or (a.direction.startswith("toward:") and a.direction != "toward:camera"):
            target = a.target_zone or a.direction.removeprefix("toward:")
            eta = f", ETA {a.eta_seconds:.0f} s" if a.eta_seconds is not None else ""
            candidate = (APPROACH_POINTS, f"{tr.label} heading toward {_zone_words(target, None)}{eta}")
        elif a.direction == "toward:camera":
            candidate = (APPROACH_CAMERA_POINTS, f"{tr.label} heading toward the camera")
        else:
            continue
        if candidate[0] > best[0]:
            best = candidate
    return best


def _reid(context: EventContext) -> tuple[float, str]:
    recent = [
        s
        for s in context.reid
        if s.minutes_ago <= REID_WINDOW_MINUTES
        and s.similarity >= REID_MIN_SIMILARITY
        and s.camera != context.camera
        and category_of(s.label) in ("person", "vehicle")
    ]
    cameras = {s.camera for s in recent}
    if not cameras:
        return 0.0, ""
    if len(cameras) == 1:
        points = REID_ONE_CAMERA_POINTS
    else:
        points = REID_MANY_CAMERAS_POINTS
        if all(s.minutes_ago <= REID_FAST_MINUTES for s in recent):
            points += REID_FAST_POINTS
    span = max(s.minutes_ago for s in recent)
    return points, f"same {recent[0].label} seen on {len(cameras) + 1} cameras within {span:.0f} min"


def _baseline(context: EventContext) -> tuple[float, str, bool]:
    best = (0.0, "")
    usual_votes: list[bool] = []
    for info in context.baseline:
        if info.status != "ok":
            continue
        category = category_of(info.label)
        if category in ("person", "vehicle"):
            usual_votes.append(info.anomaly <= VERY_USUAL)
        if info.anomaly > BASELINE_FROM:
            points = (
                BASELINE_POINTS
                * min(1.0, (info.anomaly - BASELINE_FROM) / (1.0 - BASELINE_FROM))
                * _RELEVANCE.get(category, 0.3)
            )
            words = "unusual for this camera and hour" if info.anomaly >= ANOMALOUS else "a little unusual"
            if points > best[0]:
                best = (points, f"{words}: {info.description or info.label}")
    very_usual = bool(usual_votes) and all(usual_votes) and best[0] == 0.0
    return best[0], best[1], very_usual


def _confidence_factor(context: EventContext, primary: str | None) -> float:
    if primary is None:
        return 1.0
    values = [c for label, c in context.max_confidence.items() if category_of(label) == primary]
    if not values:
        return 1.0
    c = max(values)
    return 0.6 + 0.4 * max(0.0, min(1.0, (c - 0.35) / 0.4))


# --- wording -------------------------------------------------------------------------------

_TYPE_WORDS: Final[dict[str, str]] = {"entry_point": "entry point"}


def _zone_words(name: str, zone_type: str | None) -> str:
    words = " ".join(name.replace("_", " ").replace("-", " ").split()) or "zone"
    type_words = _TYPE_WORDS.get(zone_type or "", "")
    if type_words and type_words.split()[0] not in words.split():
        words = f"{words} {type_words}"
    return f"the {words}"


def _objects_words(objects: dict[str, int]) -> str:
    parts = []
    for label, n in sorted(
        objects.items(), key=lambda kv: (_CATEGORY_ORDER.index(category_of(kv[0])), kv[0])
    ):
        if n > 0:
            parts.append(f"{n} {_plural(label, n)}" if n > 1 else label)
    return ", ".join(parts) or "nothing"


def _plural(label: str, n: int) -> str:
    if n == 1:
        return label
    if label == "person":
        return "people"
    if label.endswith(("s", "x", "ch", "sh")):
        return label + "es"
    return label + "s"


def _subject(context: EventContext, cues: set[str]) -> str:
    counts = _category_counts(context.objects)
    primary = _primary_category(counts)
    if primary is None:
        return "Activity"
    if primary == "person":
        n = counts["person"]
        if "known_resident" in cues:
            who = "Known resident"
        elif "mail_carrier" in cues:
            who = "Mail carrier"
        elif "delivery_uniform" in cues:
            who = "Delivery worker"
        elif "kids_playing" in cues or "child" in cues:
            who = "Child"
        else:
            who = "Person"
        if n > 1:
            plural_who = {"Person": "people", "Child": "children"}.get(who, who.lower() + "s")
            return f"{n} {plural_who}"
        return who
    labels = sorted(
        ((label, n) for label, n in context.objects.items() if n > 0 and category_of(label) == primary),
        key=lambda kv: (-kv[1], kv[0]),
    )
    label, n = labels[0]
    words = f"{n} {_plural(label, n)}" if n > 1 else label
    if primary == "vehicle" and "known_vehicle" in cues:
        words = f"known {words}"
    elif primary == "vehicle" and n == 1:
        words = f"unknown {words}" if "unknown_vehicle" in cues else words
    return words[0].upper() + words[1:]


_CUE_PHRASES: Final = (
    ("forced_entry", "forced an entry"),
    ("broken_glass", "broke glass"),
    ("tried_door", "tried the door"),
    ("tried_window", "tried a window"),
    ("package_taken", "took a package"),
    ("tried_car_door", "tried a car door"),
    ("climbing_fence", "climbed the fence"),
    ("at_window", "looked in a window"),
    ("peering_in", "looked in a window"),
    ("package_delivered", "delivered a package"),
)


def _summary(context: EventContext) -> str:
    cues = {a.strip().lower() for a in context.attributes}
    subject = _subject(context, cues)
    plural_subject = subject.split()[0].isdigit()
    zone_types = _zone_types(context)
    counts = _category_counts(context.objects)
    _, zone_hit = _best_zone(context.zones, counts)
    _, dwell_zone, dwell_seconds = _best_dwell(context, zone_types, counts)
    if "face_covered" in cues:
        subject += " with a covered face"
    if "weapon" in cues:
        subject += " carrying a weapon"

    def at(name: str | None) -> str:
        if not name:
            return f" on {context.camera_name or context.camera}"
        zone_type = zone_types.get(name)
        return f" {'on' if zone_type == 'sidewalk' else 'at'} {_zone_words(name, zone_type)}"

    where = at(zone_hit.name if zone_hit else None)
    action = next((phrase for cue, phrase in _CUE_PHRASES if cue in cues), "")
    target = _approach_target(context)
    inbound = [c.line for tr in context.tracks for c in tr.crossings if c.direction == "in"]
    if action:
        sentence = f"{subject} {action}{where}"
    elif dwell_seconds >= LINGER_SECONDS:
        sentence = f"{subject} lingered {dwell_seconds:.0f} s{at(dwell_zone)}"
    elif target is not None:
        sentence = f"{subject} approached {_zone_words(target, zone_types.get(target))}"
    elif inbound:
        sentence = f"{subject} crossed the {inbound[0].replace('_', ' ')} inbound{where}"
    else:
        sentence = f"{subject} {'were' if plural_subject else 'was'} seen{where}"
    sentence += f" at {context.local_time}"
    reid_points, reid_words = _reid(context)
    if reid_points > 0:
        sentence += f"; {reid_words.replace('same ', 'the same ', 1)}"
    return sentence + "."


def _approach_target(context: EventContext) -> str | None:
    for tr in context.tracks:
        a = tr.approach
        if a is None or category_of(tr.label) not in ("person", "vehicle"):
            continue
        if a.target_zone:
            return a.target_zone
        if a.direction.startswith("toward:") and a.direction != "toward:camera":
            return a.direction.removeprefix("toward:")
    return None


def _fit_lines(lines: list[str], limit: int) -> str:
    text = "\n".join(lines)
    if len(text) <= limit:
        return text
    kept: list[str] = []
    for line in lines:
        if len("\n".join([*kept, line])) > limit - 20:
            break
        kept.append(line)
    return "\n".join([*kept, "- (more factors omitted)"])
