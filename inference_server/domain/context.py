"""The event context: everything the pipeline knows about one event window.

It is the single input of every risk assessor (LLM or heuristic) and the JSON accepted by
`hsi assess CONTEXT.json`. The models are frozen dataclasses (built positionally or by keyword all
over the pipeline, cheap to copy with dataclasses.replace) whose JSON form pydantic validates:
`from_dict` uses a TypeAdapter in strict JSON mode with unknown keys refused, so a typo or a wrong
type never silently changes a score.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Annotated, Any, ClassVar
from zoneinfo import ZoneInfo

from pydantic import ConfigDict, Field, TypeAdapter, ValidationError

from inference_server.contract import events as contract_events
from inference_server.domain.detections import Detection

# Strict JSON types, unknown keys refused: every model of the context carries this.
_STRICT = ConfigDict(extra="forbid", strict=True)
Count = Annotated[int, Field(ge=0)]

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


class InvalidContext(ValueError):
    """An event context document that does not match the schema."""


@dataclass(frozen=True, slots=True)
class ZoneHit:
    """A zone an object of the event stood in."""

    __pydantic_config__: ClassVar[ConfigDict] = _STRICT

    name: str
    zone_type: str  # entry_point | driveway | sidewalk | yard | other
    priority: int = 0
    labels: tuple[str, ...] = ()
    dwell_seconds: float = 0.0


@dataclass(frozen=True, slots=True)
class LineCrossing:
    """A track crossing a directed tripwire."""

    __pydantic_config__: ClassVar[ConfigDict] = _STRICT

    line: str
    direction: str  # "in" (left-to-right of the line's direction) or "out"
    label: str = "person"


@dataclass(frozen=True, slots=True)
class Approach:
    """Where a track was heading."""

    __pydantic_config__: ClassVar[ConfigDict] = _STRICT

    direction: str  # e.g. "toward:front_door", "away", "across"
    speed: float  # frame widths per second
    eta_seconds: float | None = None
    target_zone: str | None = None


@dataclass(frozen=True, slots=True)
class TrackSummary:
    """One object followed across the frames of the window."""

    __pydantic_config__: ClassVar[ConfigDict] = _STRICT

    track_id: int
    label: str
    frames: int
    duration_seconds: float
    zones: tuple[str, ...] = ()
    dwell_seconds: dict[str, float] = field(default_factory=dict)
    crossings: tuple[LineCrossing, ...] = ()
    approach: Approach | None = None
    # Seconds since the window opened when the track first stood in each zone.
    zone_entered_at: dict[str, float] = field(default_factory=dict)
    # Toward-an-entry-point-then-away cycles (domain/behaviour.count_reversals).
    reversals: int = 0


@dataclass(frozen=True, slots=True)
class ReidSighting:
    """The same entity (by appearance) seen elsewhere recently."""

    __pydantic_config__: ClassVar[ConfigDict] = _STRICT

    entity_id: str
    label: str
    camera: str
    minutes_ago: float
    similarity: float


@dataclass(frozen=True, slots=True)
class KnownEntity:
    """A track of this event that re-ID matched to an entity the residents marked as known."""

    __pydantic_config__: ClassVar[ConfigDict] = _STRICT

    track_id: int
    entity_id: str
    label: str
    name: str | None = None


@dataclass(frozen=True, slots=True)
class PlateSighting:
    """A licence plate read on a vehicle track (opt-in per camera, domain/plates.py).

    The plate text itself stays in the plate store (admin API only): the context, and so the
    prompt, the stored event and everything published from it, says only whether it is known.
    """

    __pydantic_config__: ClassVar[ConfigDict] = _STRICT

    track_id: int
    label: str
    known: bool = False
    name: str | None = None  # the gallery's name for a known plate ("our car")


@dataclass(frozen=True, slots=True)
class FaceSighting:
    """A face seen on a person track (opt-in per camera, domain/faces.py).

    The embedding stays in the face store and is shown to nobody: the context, and so the prompt,
    the stored event and everything published from it, says only whether the face is known.
    """

    __pydantic_config__: ClassVar[ConfigDict] = _STRICT

    track_id: int
    known: bool = False
    name: str | None = None  # the gallery's name for a known face ("Alex")


BEHAVIOUR_KINDS = contract_events.BEHAVIOUR_KINDS


@dataclass(frozen=True, slots=True)
class BehaviourFinding:
    """A pattern over time (domain/behaviour.py), e.g. loitering or a perimeter walk."""

    __pydantic_config__: ClassVar[ConfigDict] = _STRICT

    kind: str  # one of BEHAVIOUR_KINDS
    subject: str  # the object class it is about
    strength: float  # 0..1
    explanation: str
    entity_id: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in BEHAVIOUR_KINDS:
            raise InvalidContext(f"behaviour kind {self.kind!r} is not one of {', '.join(BEHAVIOUR_KINDS)}")
        if not 0.0 <= self.strength <= 1.0:
            raise InvalidContext(f"behaviour strength {self.strength!r} is outside 0..1")


@dataclass(frozen=True, slots=True)
class BaselineInfo:
    """How usual this activity is for this camera, hour of week and class."""

    __pydantic_config__: ClassVar[ConfigDict] = _STRICT

    status: str  # "ok" | "no_baseline"
    label: str = "person"
    expected: float = 0.0
    observed: float = 0.0
    samples: float = 0.0
    anomaly: float = 0.0  # 0 = perfectly usual .. 1 = never seen like this
    description: str = ""


@dataclass(frozen=True, slots=True)
class EventContext:
    """The facts of one event window, as given to assessors."""

    __pydantic_config__: ClassVar[ConfigDict] = _STRICT

    camera: str
    camera_name: str
    started_at: str  # ISO 8601 with offset
    ended_at: str
    local_time: str  # HH:MM in the home's time zone
    weekday: str  # Monday..Sunday
    is_night: bool
    objects: dict[str, Count]
    max_confidence: dict[str, float] = field(default_factory=dict)
    frames: int = 1
    zones: tuple[ZoneHit, ...] = ()
    tracks: tuple[TrackSummary, ...] = ()
    reid: tuple[ReidSighting, ...] = ()
    baseline: tuple[BaselineInfo, ...] = ()
    attributes: tuple[str, ...] = ()  # observed cues, e.g. "face_covered", "tried_door", "carrying_package"
    fast_path: bool = False
    behaviours: tuple[BehaviourFinding, ...] = ()
    known: tuple[KnownEntity, ...] = ()  # tracks matched to known people/vehicles
    plates: tuple[PlateSighting, ...] = ()  # plates read on vehicle tracks (cameras opted in only)
    faces: tuple[FaceSighting, ...] = ()  # faces seen on person tracks (cameras opted in only)
    description: str = ""  # what the vision step saw in the key frames ("" without a vision step)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (tuples become lists)."""
        data: dict[str, Any] = _lists(asdict(self))
        return data

    @classmethod
    def from_dict(cls, data: Any) -> EventContext:
        """Parse the JSON form, raising InvalidContext with the offending key on bad input."""
        return _parse(data)


def is_night(hour: int) -> bool:
    """Night for a home: 21:00-05:59 local time."""
    return hour >= 21 or hour < 6


def base_context(
    *,
    camera: str,
    camera_name: str,
    started: datetime,
    ended: datetime,
    tz: ZoneInfo,
    detections: list[Detection],
    objects: dict[str, int],
    frames: int,
    fast_path: bool = False,
) -> EventContext:
    """The context facts that need no database: time, objects and confidences."""
    local = started.astimezone(tz)
    best: dict[str, float] = defaultdict(float)
    for d in detections:
        best[d.label] = max(best[d.label], round(d.confidence, 3))
    return EventContext(
        camera=camera,
        camera_name=camera_name,
        started_at=started.isoformat(),
        ended_at=ended.isoformat(),
        local_time=f"{local:%H:%M}",
        weekday=WEEKDAYS[local.weekday()],
        is_night=is_night(local.hour),
        objects=dict(objects),
        max_confidence=dict(best),
        frames=frames,
        fast_path=fast_path,
    )


def _lists(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _lists(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_lists(v) for v in value]
    return value


def _adapter() -> TypeAdapter[EventContext]:
    global _ADAPTER
    if _ADAPTER is None:
        _ADAPTER = TypeAdapter(EventContext)
    return _ADAPTER


_ADAPTER: TypeAdapter[EventContext] | None = None


def _parse(data: Any) -> EventContext:
    """Validate the JSON form with pydantic over the dataclasses above (strict JSON types, unknown
    keys refused), naming each offending key in InvalidContext."""
    if not isinstance(data, dict):
        raise InvalidContext(f"context: expected an object, got {type(data).__name__}")
    try:
        text = json.dumps(data, allow_nan=True)
    except (TypeError, ValueError) as exc:
        raise InvalidContext(f"context: not JSON data: {exc}") from None
    try:
        return _adapter().validate_json(text)
    except ValidationError as exc:
        raise InvalidContext(_describe(exc)) from None


def _describe(exc: ValidationError) -> str:
    problems: list[str] = []
    for error in exc.errors(include_url=False):
        loc = [str(part) if isinstance(part, str) else f"[{part}]" for part in error["loc"]]
        if error["type"] in ("unexpected_keyword_argument", "extra_forbidden") and loc:
            where = "context" + "".join(p if p.startswith("[") else f".{p}" for p in loc[:-1])
            problems.append(f"{where}: unknown key(s) {loc[-1]}")
            continue
        where = "context" + "".join(p if p.startswith("[") else f".{p}" for p in loc)
        message = str(error["msg"]).removeprefix("Value error, ")
        if error["type"] in ("missing", "missing_argument"):
            problems.append(f"{where}: required")
        elif error["type"] == "value_error":
            problems.append(f"{where}: {message}")
        else:
            problems.append(f"{where}: {message}, got {error.get('input')!r:.60}")
    shown = problems[:3]
    more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
    return "; ".join(shown) + more
