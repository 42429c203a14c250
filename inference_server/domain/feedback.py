"""Learning from the residents' answers: "false alarm", "expected", "that was a threat".

A review with feedback is stored on the event. When a later event is assessed, the earlier
events of the same camera, the same main object class, an overlapping zone (or both without
zones), the same hour band (night 21-06, morning 06-12, afternoon 12-17, evening 17-21, home
time), the same known-ness (a known resident or vehicle recognised, or not) and the same scored
level (the level the scorer gave before feedback) are *similar*.
Their answers move the score:

    points = threat x THREAT_POINTS - false_alarm x FALSE_ALARM_POINTS - expected x EXPECTED_POINTS

only once at least `min_similar` similar answers exist, bounded to +-`max_adjustment`, and explained
in the reasoning, e.g. "lowered by 15: 5 similar events scored low marked 5 expected". Raising stops at
`raise_ceiling` (the top of the high band): "that was a threat" makes similar events alert, but
only the scorer's own evidence makes one critical. A reset (per camera) clears the answers. The
heuristic and every LLM backend are adjusted the same way, after scoring.

Why known-ness is in the key: "that's us" (expected) on the resident taking out the bin at night
must not lower a stranger on the same driveway at the same hour, and "threat" on the stranger
must not raise the resident. Why the scored level is: "expected" on low-scored events says the
low level is right there, not that the medium-scored event sharing camera, class, zone and hour
band is harmless too (without it the heuristic dropped from 63/63 to 57/63 after feedback;
measured with `hsi calibrate --feedback`, docs/scoring.md). The level before feedback, so answers
never feed on their own effect.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Final

from inference_server.contract import events as contract_events
from inference_server.domain.detections import category_of
from inference_server.domain.risk import RiskAssessment, clamp_score

FEEDBACK_KINDS: Final = contract_events.FEEDBACK_KINDS
HOUR_BANDS: Final = ("night", "morning", "afternoon", "evening")


@dataclass(frozen=True, slots=True)
class FeedbackConfig:
    """How much each similar answer counts and the bounds (see the module docstring)."""

    false_alarm_points: float = 5.0
    expected_points: float = 3.0
    threat_points: float = 5.0
    max_adjustment: int = 25
    min_similar: int = 2
    lookback_days: int = 90
    raise_ceiling: int = 84  # top of the high band: feedback alone never makes an event critical

    def __post_init__(self) -> None:
        if not 0 <= self.max_adjustment <= 100:
            raise ValueError("max_adjustment must be within 0..100")
        if not 0 <= self.raise_ceiling <= 100:
            raise ValueError("raise_ceiling must be within 0..100")
        if self.min_similar < 1 or self.lookback_days < 1:
            raise ValueError("min_similar and lookback_days must be at least 1")
        if min(self.false_alarm_points, self.expected_points, self.threat_points) < 0:
            raise ValueError("feedback points must not be negative")


DEFAULT_FEEDBACK_CONFIG: Final = FeedbackConfig()


@dataclass(frozen=True, slots=True)
class SituationKey:
    """What makes two events of one camera comparable."""

    camera: str
    category: str | None  # the main object category (person, vehicle, animal, ...)
    zones: frozenset[str]
    hour_band: str
    known: bool = False  # a known resident or vehicle was recognised in the event
    level: str | None = None  # the level the scorer gave the event, before feedback


@dataclass(frozen=True, slots=True)
class PastFeedback:
    """One earlier event's answer and its situation."""

    kind: str
    situation: SituationKey


@dataclass(frozen=True, slots=True)
class Adjustment:
    """The change feedback makes to a score, and why (points 0 = no change)."""

    points: int
    similar: int
    explanation: str


def hour_band(hour: int) -> str:
    """night (21:00-05:59), morning (06-11), afternoon (12-16) or evening (17-20), local hour."""
    if hour >= 21 or hour < 6:
        return "night"
    if hour < 12:
        return "morning"
    if hour < 17:
        return "afternoon"
    return "evening"


_ORDER: Final = ("person", "vehicle", "package", "other", "animal")


def main_category(objects: Mapping[str, int]) -> str | None:
    """The most threatening object category present (person > vehicle > package > other > animal)."""
    present = {category_of(label) for label, n in objects.items() if n > 0}
    for category in _ORDER:
        if category in present:
            return category
    return None


KNOWN_CUES: Final = frozenset({"known_resident", "known_person", "known_vehicle", "known_entity"})


def is_known(attributes: Iterable[object], known: Sequence[object] = ()) -> bool:
    """Whether an event recognised a known resident or vehicle (a known_* cue or a known track)."""
    return bool(known) or any(str(a) in KNOWN_CUES for a in attributes)


def situation(
    camera: str,
    objects: Mapping[str, int],
    zones: Iterable[str],
    local_hour: int,
    known: bool = False,
    level: str | None = None,
) -> SituationKey:
    """The comparison key of an event; `level` is the level it was scored at before feedback."""
    return SituationKey(camera, main_category(objects), frozenset(zones), hour_band(local_hour), known, level)


def is_similar(a: SituationKey, b: SituationKey) -> bool:
    """Same camera, category, hour band, known-ness and scored level, and overlapping zones (or
    neither in a zone)."""
    if (a.camera, a.category, a.hour_band, a.known, a.level) != (
        b.camera,
        b.category,
        b.hour_band,
        b.known,
        b.level,
    ):
        return False
    if not a.zones and not b.zones:
        return True
    return bool(a.zones & b.zones)


def adjustment(
    current: SituationKey,
    past: Sequence[PastFeedback],
    config: FeedbackConfig = DEFAULT_FEEDBACK_CONFIG,
) -> Adjustment:
    """How the answers of similar earlier events change the score of this one."""
    counts = dict.fromkeys(FEEDBACK_KINDS, 0)
    for item in past:
        if item.kind in counts and is_similar(current, item.situation):
            counts[item.kind] += 1
    similar = sum(counts.values())
    if similar < config.min_similar:
        return Adjustment(0, similar, "")
    raw = (
        counts["threat"] * config.threat_points
        - counts["false_alarm"] * config.false_alarm_points
        - counts["expected"] * config.expected_points
    )
    points = round(max(-config.max_adjustment, min(config.max_adjustment, raw)))
    if points == 0:
        return Adjustment(0, similar, "")
    parts = [f"{n} {kind.replace('_', ' ')}" for kind, n in counts.items() if n]
    what = "raised" if points > 0 else "lowered"
    scored = f" scored {current.level}" if current.level else ""
    explanation = f"{what} by {abs(points)}: {similar} similar events{scored} marked {', '.join(parts)}"
    if abs(raw) > config.max_adjustment:
        explanation += f" (capped at {config.max_adjustment})"
    return Adjustment(points, similar, explanation)


def apply(
    assessment: RiskAssessment, change: Adjustment, config: FeedbackConfig = DEFAULT_FEEDBACK_CONFIG
) -> RiskAssessment:
    """The assessment with the feedback adjustment applied to its score and noted in its reasoning.

    A raise stops at `config.raise_ceiling` (a score already above it is kept, never lowered by a
    raise); the note then says where it was held.
    """
    if change.points == 0:
        return assessment
    score = clamp_score(assessment.risk_score + change.points)
    note = f"Feedback: {change.explanation}."
    if change.points > 0 and score > config.raise_ceiling:
        score = max(assessment.risk_score, config.raise_ceiling)
        if score == assessment.risk_score:
            return assessment
        note = (
            f"Feedback: {change.explanation}; held at {score} (feedback alone never makes an event critical)."
        )
    reasoning = f"{assessment.reasoning}\n{note}" if assessment.reasoning else note
    return replace(assessment, risk_score=score, reasoning=reasoning)
