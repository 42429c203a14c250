"""Licence plates (opt-in per camera): turning OCR fragments into a plate, the gallery, visits.

Pure logic; the OCR model is `ml/plates.py`, the storage `store/plates.py`, the wiring the enrich
stage. A plate is compared in its *normal form*: letters and digits only, upper-cased
("ab-123 cd" -> "AB123CD"). A read is accepted only with `min_confidence` and a plausible length
(`MIN_LENGTH`..`MAX_LENGTH`, at least one digit: real plates almost always have one, and the
OCR's common false reads on car bodies, badges and signs are words).

A read matches a known plate when it is equal, or (for plates of 5 characters or more) one edit
away from exactly one gallery plate: OCR confuses O/0, I/1, B/8 on small plates, and one edit on
a 7-character plate still leaves 6 of 7 characters agreeing. Two gallery plates at the same
distance match neither (ambiguous).

Plate text is identity data: it is stored with the event, shown only through the admin API, and
never written to logs, MQTT, notifications or the LLM prompt (which sees "known vehicle (plate)"
or "plate not in the gallery").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final

from inference_server.domain.behaviour import REPEATED_VISITS, BehaviourConfig
from inference_server.domain.context import BehaviourFinding

MIN_LENGTH: Final = 4
MAX_LENGTH: Final = 10
FUZZY_MIN_LENGTH: Final = 5
TYPICAL_LENGTH: Final = 7  # most plates have 5-8 characters: shorter candidates are likely fragments


class InvalidPlate(ValueError):
    """Text that is not a plate (after normalising)."""


@dataclass(frozen=True, slots=True)
class PlateConfig:
    """How plate reads are accepted and kept."""

    min_confidence: float = 0.7
    max_edit_distance: int = 1
    retention_days: float = 30.0

    def __post_init__(self) -> None:
        if not 0.0 <= self.min_confidence <= 1.0:
            raise ValueError("min_confidence must be within 0..1")
        if not 0 <= self.max_edit_distance <= 2:
            raise ValueError("max_edit_distance must be 0, 1 or 2")
        if self.retention_days <= 0:
            raise ValueError("retention_days must be positive")


DEFAULT_PLATE_CONFIG: Final = PlateConfig()


@dataclass(frozen=True, slots=True)
class TextPiece:
    """One text line the OCR found in a crop: its box's left edge and top (pixels), text, confidence."""

    left: float
    top: float
    text: str
    confidence: float


@dataclass(frozen=True, slots=True)
class PlateRead:
    """A plate read from one vehicle crop."""

    text: str  # normal form
    confidence: float


def normalise(text: str) -> str:
    """Letters and digits only, upper-cased (ASCII: plates are written in Latin letters)."""
    return "".join(c for c in text.upper() if c.isascii() and c.isalnum())


def plausible(text: str) -> bool:
    """Whether a normal-form string can be a plate."""
    return MIN_LENGTH <= len(text) <= MAX_LENGTH and any(c.isdigit() for c in text)


def parse_plate(text: str) -> str:
    """The normal form of a plate a person typed (for the gallery); InvalidPlate when it is none."""
    plate = normalise(text)
    if not MIN_LENGTH <= len(plate) <= MAX_LENGTH:
        raise InvalidPlate(f"a plate has {MIN_LENGTH}-{MAX_LENGTH} letters or digits, got {len(plate)}")
    return plate


def assemble(pieces: Sequence[TextPiece], config: PlateConfig = DEFAULT_PLATE_CONFIG) -> PlateRead | None:
    """The plate in one crop's OCR lines, or None.

    A plate can come out as one line or as fragments ("AB 123" / "CD"): each single line is a
    candidate, and so is the concatenation of the lines in reading order (top to bottom, left
    to right within a row) with the mean confidence. Of the plausible candidates at or above
    `min_confidence`, the one with the highest confidence x min(1, length / 7) wins: a fragment
    ("123CD") loses to the whole plate, a join with a stray line ("AB123CDE1", mean confidence
    pulled down) to the clean single line.
    """
    if not pieces:
        return None
    candidates: list[PlateRead] = [PlateRead(normalise(p.text), p.confidence) for p in pieces]
    if len(pieces) > 1:
        ordered = sorted(pieces, key=lambda p: (round(p.top / 10), p.left))
        candidates.append(
            PlateRead(
                normalise("".join(p.text for p in ordered)),
                sum(p.confidence for p in ordered) / len(ordered),
            )
        )
    good = [c for c in candidates if plausible(c.text) and c.confidence >= config.min_confidence]
    if not good:
        return None
    return max(good, key=lambda c: (c.confidence * min(1.0, len(c.text) / TYPICAL_LENGTH), len(c.text)))


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance."""
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (ca != cb))
    return row[-1]


def match_known(
    plate: str, gallery: Mapping[str, str | None], config: PlateConfig = DEFAULT_PLATE_CONFIG
) -> str | None:
    """The gallery plate this read is (see the module docstring), or None. `gallery`: plate -> name."""
    if plate in gallery:
        return plate
    if len(plate) < FUZZY_MIN_LENGTH or config.max_edit_distance == 0:
        return None
    scored = sorted((edit_distance(plate, known), known) for known in gallery)
    close = [k for d, k in scored if d <= config.max_edit_distance]
    if not close:
        return None
    best = edit_distance(plate, close[0])
    tied = [k for k in close if edit_distance(plate, k) == best]
    return tied[0] if len(tied) == 1 else None


@dataclass(frozen=True, slots=True)
class PlateVisit:
    """A past read of a plate at a camera, on a local day."""

    plate: str
    camera: str
    day: date


def plate_repeated_visits(
    camera: str,
    today: date,
    plates: Mapping[str, str],
    history: Sequence[PlateVisit],
    config: BehaviourConfig,
    known: Iterable[str] = (),
) -> list[BehaviourFinding]:
    """Unknown plates of this event read at this camera on `repeat_days` distinct days of the last week.

    `plates`: this event's plates -> the vehicle class they were read on. The plate-based twin of
    `behaviour.repeated_visits` (which needs re-ID): same thresholds, today counts as one day. Known plates are the residents' own cars and are left out. The
    explanation never contains the plate text.
    """
    since = today - timedelta(days=config.repeat_lookback_days - 1)
    skip = set(known)
    days: dict[str, set[date]] = {p: {today} for p in plates if p not in skip}
    for v in history:
        if v.plate in days and v.camera == camera and since <= v.day <= today:
            days[v.plate].add(v.day)
    findings = []
    for plate in sorted(days, key=lambda p: (-len(days[p]), p)):
        n = len(days[plate])
        if n < config.repeat_days:
            continue
        findings.append(
            BehaviourFinding(
                kind=REPEATED_VISITS,
                subject=plates[plate],
                strength=round(min(1.0, 0.6 + 0.1 * (n - config.repeat_days)), 3),
                explanation=(
                    f"same licence plate at {camera} on {n} different days in the last "
                    f"{config.repeat_lookback_days} days"
                ),
            )
        )
    return findings
