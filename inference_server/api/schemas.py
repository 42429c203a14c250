"""Request and response schemas: they validate input and generate the OpenAPI document."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StringConstraints,
)

from inference_server.contract import rules
from inference_server.contract.events import Event as Event
from inference_server.contract.events import FeedbackKind
from inference_server.contract.risk import LEVELS, RiskLevelName
from inference_server.contract.zones import ZoneType

SLUG_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,63}$"
_LEVEL = "(" + "|".join(LEVELS) + ")"
_CAMERA = r"[a-z0-9][a-z0-9_-]{0,63}"
# A query string is text: its integers are ASCII decimal digits (not "1.0", " 5", "1_0" or "１２")
# and its times ISO 8601 dates or date-times (not "0.5" read as seconds since 1970).
_DECIMAL = re.compile(r"-?[0-9]{1,18}", re.ASCII)
_ISO_DATETIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}([Tt ][0-9]{2}:[0-9]{2}|$)", re.ASCII)


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


def _aware(value: datetime) -> datetime:
    """Naive times are UTC; the time must be representable in UTC."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError as exc:
        raise ValueError("time is out of range") from exc


def _decimal(value: Any) -> Any:
    if isinstance(value, str):
        if not _DECIMAL.fullmatch(value):
            raise ValueError("expected an integer in decimal digits")
        return int(value)
    return value


def _iso_datetime(value: Any) -> Any:
    if isinstance(value, str) and not _ISO_DATETIME.match(value):
        raise ValueError("expected an ISO 8601 date-time, e.g. 2025-06-01T12:00:00Z")
    return value


Text = Annotated[str, AfterValidator(_no_nul)]
AwareDatetime = Annotated[datetime, BeforeValidator(_iso_datetime), AfterValidator(_aware)]
QueryInt = Annotated[int, BeforeValidator(_decimal)]


# --- requests ----------------------------------------------------------------------------------


class _Query(BaseModel):
    model_config = ConfigDict(extra="ignore")


class ClipQuery(_Query):
    """How to cut an event clip."""

    format: Literal["mp4", "gif"] = "mp4"
    pre_roll: float = Field(0.0, ge=0, le=300, description="seconds of media before the event")
    post_roll: float = Field(0.0, ge=0, le=300, description="seconds of media after the event")


class EventFilterQuery(_Query):
    """Filters shared by the event list and search."""

    camera: str | None = Field(
        None,
        pattern=rf"^{_CAMERA}(,{_CAMERA})*$",
        max_length=1000,
        description="Camera slug, or several separated by commas",
    )
    since: AwareDatetime | None = Field(None, description="Events that started at or after (ISO 8601)")
    until: AwareDatetime | None = Field(None, description="Events that started before (ISO 8601)")
    min_risk: QueryInt | None = Field(None, ge=0, le=100, description="Minimum risk score")
    level: str | None = Field(
        None, pattern=rf"^{_LEVEL}(,{_LEVEL})*$", description="Risk level, or several separated by commas"
    )
    object: str | None = Field(
        None, pattern=r"^[A-Za-z0-9 _-]{1,64}$", description="Object class present in the event (e.g. person)"
    )
    reviewed: bool | None = Field(None, description="Only reviewed (true) or unreviewed (false) events")
    limit: QueryInt = Field(50, ge=1, le=200, description="Page size")
    cursor: str | None = Field(None, max_length=200, description="next_cursor of the previous page")


class EventSearchQuery(EventFilterQuery):
    """Full-text search plus the list filters."""

    q: Text = Field(
        ...,
        min_length=1,
        max_length=200,
        description='Web search syntax: words, "quoted phrases", OR, -excluded',
    )
    sort: Literal["relevance", "newest"] = Field("relevance", description="Order of the results")


class CameraQuery(_Query):
    """Optional camera filter."""

    camera: str | None = Field(None, pattern=SLUG_PATTERN, description="Camera slug")


class PageQuery(_Query):
    """Keyset pagination."""

    limit: QueryInt = Field(50, ge=1, le=200)
    cursor: str | None = Field(None, max_length=200)


class DeadLetterQuery(PageQuery):
    """Dead letter listing."""

    include_replayed: bool = Field(True, description="Include letters already replayed")
    stage: str | None = Field(None, pattern=r"^[a-z_]{1,32}$")


class AuditQuery(PageQuery):
    """Audit log listing."""

    action: str | None = Field(None, pattern=r"^[A-Za-z0-9_. /{}:-]{1,100}$", description="Action prefix")
    actor: Text | None = Field(None, max_length=200)
    outcome: str | None = Field(None, pattern=r"^[a-z_]{1,32}$")
    since: AwareDatetime | None = None


class EventPatch(BaseModel):
    """Mark an event reviewed / dismissed and keep a note."""

    model_config = ConfigDict(extra="forbid")

    reviewed: StrictBool | None = None
    notes: Text | None = Field(None, max_length=2000)
    feedback: FeedbackKind | None = Field(
        None,
        description="The residents' answer (marks the event reviewed; null clears it). Similar later "
        "events are scored up or down by it (docs/scoring.md).",
    )


class MuteRequest(BaseModel):
    """Mute a camera's alerts for a while; 0 unmutes."""

    model_config = ConfigDict(extra="forbid")

    minutes: StrictInt = Field(..., ge=0, le=1440)


# Strict: a coordinate given as a string ("0.5") is refused, not converted (zones and tripwires).
Coordinate = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False, strict=True)]
PointIn = Annotated[list[Coordinate], Field(min_length=2, max_length=2)]


class ZoneIn(BaseModel):
    """A zone as created or replaced."""

    model_config = ConfigDict(extra="forbid")

    camera: str = Field(..., pattern=SLUG_PATTERN)
    name: Text = Field(..., min_length=1, max_length=64)
    zone_type: ZoneType
    priority: StrictInt = Field(0, ge=-1000, le=1000)
    polygon: list[PointIn] = Field(..., min_length=3, max_length=256)
    enabled: StrictBool = True


class AlertRuleIn(BaseModel):
    """An alert rule as created or replaced (conditions and channels are checked in depth by the
    rule parser; see docs/api.md)."""

    model_config = ConfigDict(extra="forbid")

    name: Text = Field(..., min_length=1, max_length=rules.NAME_MAX_CHARS)
    enabled: StrictBool = True
    severity: RiskLevelName = "medium"
    conditions: dict[str, Any] = Field(default_factory=dict)
    channels: list[dict[str, Any]] = Field(default_factory=list, max_length=rules.MAX_CHANNELS)
    cooldown_seconds: StrictInt = Field(rules.DEFAULT_COOLDOWN_SECONDS, ge=0, le=rules.MAX_COOLDOWN_SECONDS)
    group_window_seconds: StrictInt = Field(
        rules.DEFAULT_GROUP_WINDOW_SECONDS, ge=0, le=rules.MAX_GROUP_WINDOW_SECONDS
    )


class RuleTestRequest(BaseModel):
    """Which event to try a rule on."""

    model_config = ConfigDict(extra="forbid")

    event_id: str = Field(..., pattern=r"^[0-9a-fA-F-]{32,36}$")


# --- responses ---------------------------------------------------------------------------------


class ErrorBody(BaseModel):
    """What went wrong."""

    code: str
    message: str


class Error(BaseModel):
    """Every error response."""

    error: ErrorBody


class Detection(BaseModel):
    """One detection of an event, box normalized to 0-1 (x1, y1, x2, y2)."""

    label: str
    confidence: float
    box: list[float] = Field(min_length=4, max_length=4)
    media_id: int
    frame: int
    detector: str | None = Field(description="The detector model that found it (e.g. yolo26n, opencv-hog)")


class EventSighting(BaseModel):
    """Where a person or vehicle of this event was also seen (re-ID), on another camera."""

    entity_id: str
    entity_name: str | None = Field(description="The residents' name for it, if they named it")
    known: bool
    camera: str
    camera_name: str
    event_id: str | None = Field(description="The other camera's event (null while none is stored)")
    label: str
    seen_at: str
    similarity: float | None = Field(
        description="Cosine similarity to the entity; null for its first sighting"
    )
    risk_score: int | None
    risk_level: str | None


class EventFace(BaseModel):
    """A face seen on a person track of the event (cameras with faces on only)."""

    track_id: int = Field(description="The person track; what POST /api/faces/known enrols")
    known: bool = Field(description="Matched a face of the gallery")
    name: str | None = Field(description="The gallery's name for a known face")
    enrollable: bool = Field(description="Its face is still stored (not expired, camera still opted in)")


class EventDetail(Event):
    """An event with its detections and re-ID sightings on other cameras."""

    detections: list[Detection]
    sightings: list[EventSighting] = Field(
        description="The same people/vehicles on other cameras within 24 h, nearest in time first"
    )
    faces: list[EventFace] = Field(
        default_factory=list,
        description="Faces seen on its person tracks (cameras with faces on), track order",
    )


class SearchHit(Event):
    """An event found by search, with an HTML-escaped snippet (<mark> around matches)."""

    snippet: str
    rank: float


class EventPage(BaseModel):
    """One page of events, newest first."""

    events: list[Event]
    next_cursor: str | None


class SearchPage(BaseModel):
    """One page of search results."""

    events: list[SearchHit]
    next_cursor: str | None


class Camera(BaseModel):
    """A camera (discovered from its upload folder)."""

    id: str
    name: str
    last_seen_at: datetime | None
    last_event: Event | None
    muted_until: datetime | None


class CameraList(BaseModel):
    """Every camera."""

    cameras: list[Camera]


class Zone(BaseModel):
    """A stored zone."""

    id: int
    camera: str
    name: str
    zone_type: ZoneType
    priority: int
    polygon: list[list[float]]
    enabled: bool


class ZoneList(BaseModel):
    """Zones."""

    zones: list[Zone]


class AlertRule(BaseModel):
    """A stored alert rule."""

    model_config = ConfigDict(extra="allow")

    id: int
    name: str
    enabled: bool
    severity: str
    conditions: dict[str, Any]
    channels: list[dict[str, Any]]
    cooldown_seconds: int


class AlertRuleList(BaseModel):
    """Alert rules."""

    rules: list[AlertRule]


class RuleTestResult(BaseModel):
    """Whether the rule would fire for the event, and why not."""

    model_config = ConfigDict(extra="allow")


class DeadLetter(BaseModel):
    """Something the pipeline could not process, with the reason."""

    id: int
    stage: str
    media_id: int | None
    source_path: str | None
    reason: str
    payload: dict[str, Any]
    attempts: int
    created_at: datetime
    replayed_at: datetime | None


class DeadLetterPage(BaseModel):
    """A page of dead letters, newest first."""

    dead_letters: list[DeadLetter]
    next_cursor: str | None


class Replayed(BaseModel):
    """A dead letter tried again: its media queued for detection (`stream_id`), its quarantined
    file moved back into the watch dir, or its alert queued for delivery again."""

    dead_letter: DeadLetter
    stream_id: str | None
    action: Literal["detect", "watch_dir", "alerts"]


class AuditEntry(BaseModel):
    """One audited action."""

    id: int
    at: datetime
    actor: str
    address: str
    action: str
    target: str
    outcome: str
    detail: dict[str, Any]


class AuditPage(BaseModel):
    """A page of audit entries, newest first."""

    entries: list[AuditEntry]
    next_cursor: str | None


class Health(BaseModel):
    """Liveness."""

    status: Literal["ok"]


class Ready(BaseModel):
    """Readiness with each check."""

    status: Literal["ready", "not_ready"]
    checks: dict[str, bool]
    models_pull: dict[str, Any] | None = None  # the background pull of `models_profile`, if any


class ModelFallback(BaseModel):
    """A stage that runs a fallback, and the command that fixes it (see `hsi doctor`)."""

    stage: Literal["detector", "llm", "embedder"]
    backend: str
    model_id: str | None
    path: str | None
    reason: str
    fallback: bool
    wanted: str | None
    fix: str | None
    extra: dict[str, Any]


class Info(BaseModel):
    """Who this server is."""

    instance_id: str
    version: str
    api_version: int
    name: str
    mqtt_discovery: bool
    mqtt_discovery_suppressed: bool = False
    fallbacks: list[ModelFallback]
    doctor: dict[str, Any] | None


class Quantiles(BaseModel):
    """Latency quantiles in milliseconds (null: no samples yet)."""

    p50: float | None
    p95: float | None


class StuckStage(BaseModel):
    """A stream worker that cannot make progress: the same entry keeps failing."""

    stage: str = Field(description="stage/group, e.g. detect/detect")
    entry: str = Field(description="the stream entry id")
    failing_seconds: float
    error: str


class Stats(BaseModel):
    """Pipeline and event counters."""

    queues: dict[str, int]
    dead_letters: int
    events_last_hour: int
    events_today: int
    unreviewed_events: int
    highest_risk_today: int | None
    stage_latency_ms: dict[str, Quantiles]
    stuck: list[StuckStage] = Field(
        default_factory=list, description="Stages whose same entry keeps failing (`stuck_stage_seconds`)"
    )
    pipeline: Literal["ok", "degraded"]


# --- tripwires and entity history (behaviour over time) ----------------------------------------


class TripwireIn(BaseModel):
    """A directed line on a camera's picture; crossing it left-to-right of a->b is "in"."""

    model_config = ConfigDict(extra="forbid")

    camera: str = Field(..., pattern=SLUG_PATTERN)
    name: Text = Field(..., min_length=1, max_length=64)
    a: PointIn
    b: PointIn
    enabled: StrictBool = True


class Tripwire(BaseModel):
    """A stored tripwire."""

    id: int
    camera: str
    name: str
    a: list[float]
    b: list[float]
    enabled: bool


class TripwireList(BaseModel):
    """Tripwires."""

    tripwires: list[Tripwire]


class HistoryQuery(_Query):
    """Entity history paging: newest first, older than `before`."""

    limit: QueryInt = Field(100, ge=1, le=500)
    before: AwareDatetime | None = None


class EntitySighting(BaseModel):
    """One sighting of an entity."""

    camera: str
    seen_at: str
    event_id: str | None
    label: str
    similarity: float | None
    risk_score: int | None
    risk_level: str | None
    summary: str | None


class EntityHistory(BaseModel):
    """A re-ID entity and its timeline."""

    id: str
    label: str
    first_seen: str
    last_seen: str
    cameras: list[str]
    sightings: int
    history: list[EntitySighting]


class EntityQuery(_Query):
    """Entity list filters."""

    known: bool | None = None
    label: str | None = Field(None, max_length=64)
    limit: QueryInt = Field(100, ge=1, le=500)


class EntityPatch(BaseModel):
    """Name an entity and/or mark it known ("name": null clears the name)."""

    model_config = ConfigDict(extra="forbid")

    name: Text | None = Field(None, min_length=1, max_length=64)
    known: StrictBool | None = None


class Entity(BaseModel):
    """A re-identified person or vehicle."""

    id: str
    label: str
    name: str | None
    known: bool
    first_seen: str
    last_seen: str
    cameras: list[str]
    sightings: int


class EntityList(BaseModel):
    """Entities."""

    entities: list[Entity]


class FeedbackReset(BaseModel):
    """Clear the residents' answers of one camera (or of all cameras without `camera`)."""

    model_config = ConfigDict(extra="forbid")

    camera: str | None = Field(None, pattern=SLUG_PATTERN)


class FeedbackResetResult(BaseModel):
    """How many events had their answer cleared."""

    cleared: int


# --- licence plates (opt-in per camera) ---------------------------------------------------------


class KnownPlateIn(BaseModel):
    """A plate for the gallery, as written on the car (spaces and dashes are ignored)."""

    model_config = ConfigDict(extra="forbid")

    plate: Text = Field(..., min_length=1, max_length=20)
    name: Text | None = Field(None, min_length=1, max_length=64, description="e.g. 'our car'")


class KnownPlate(BaseModel):
    """A plate in the gallery (normal form: letters and digits, upper case)."""

    plate: str
    name: str | None
    created_at: str


class KnownPlateList(BaseModel):
    """The gallery of known plates."""

    plates: list[KnownPlate]


class PlateReadOut(BaseModel):
    """A plate read on a vehicle track of an event."""

    id: int
    camera: str
    event_id: str
    track_id: int
    label: str
    plate: str
    confidence: float
    read_at: str
    known: bool
    name: str | None


class PlateReadList(BaseModel):
    """Plate reads, newest first."""

    reads: list[PlateReadOut]


class PlateReadQuery(_Query):
    """Plate reads of one camera and/or one plate, newest first, older than `before`."""

    camera: str | None = Field(None, pattern=SLUG_PATTERN)
    plate: str | None = Field(None, min_length=1, max_length=20)
    limit: QueryInt = Field(100, ge=1, le=500)
    before: AwareDatetime | None = None


class PlateForget(BaseModel):
    """Delete every plate read of one camera."""

    model_config = ConfigDict(extra="forbid")

    camera: str = Field(..., pattern=SLUG_PATTERN)


class PlateForgetResult(BaseModel):
    """How many reads were deleted."""

    camera: str
    deleted: int


# --- faces (opt-in per camera) -------------------------------------------------------------------

# A person's name in the face gallery: 1-64 characters once the spaces around it are cut.
FaceName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=64),
    AfterValidator(_no_nul),
    Field(description="e.g. 'Sam' (spaces around it are cut)"),
]


class KnownFaceIn(BaseModel):
    """Enrol the face seen on a person track of an event under a name."""

    model_config = ConfigDict(extra="forbid")

    event_id: uuid.UUID = Field(..., description="the event the face was seen in")
    track_id: StrictInt = Field(
        ..., ge=0, le=2**31 - 1, description="the person track: `track_id` of the event's `faces` entries"
    )
    name: FaceName


class KnownFaceRename(BaseModel):
    """A new name for a gallery entry."""

    model_config = ConfigDict(extra="forbid")

    name: FaceName


class KnownFace(BaseModel):
    """A gallery entry: one enrolled face (its embedding is never returned)."""

    id: int
    name: str
    created_at: str


class KnownFaceList(BaseModel):
    """The gallery of known faces, name then id order."""

    faces: list[KnownFace]


class FaceForget(BaseModel):
    """Delete every face embedding of one camera."""

    model_config = ConfigDict(extra="forbid")

    camera: str = Field(..., pattern=SLUG_PATTERN)


class FaceForgetResult(BaseModel):
    """How many face embeddings were deleted."""

    camera: str
    deleted: int


# --- ask your history ----------------------------------------------------------------------------


class AskIn(BaseModel):
    """A question about the event history."""

    model_config = ConfigDict(extra="forbid")

    question: Text = Field(..., min_length=1, max_length=500)
    limit: StrictInt = Field(5, ge=1, le=20)
    llm: StrictBool = True  # let the configured LLM write the answer (false: extractive only)


class DigestQuery(_Query):
    """Which digest: a local day, or the 7 local days ending with `date` (default: today)."""

    period: Literal["day", "week"] = "day"
    date: dt.date | None = None


class EventDigest(BaseModel):
    """Counts, notable and unusual events, and changes against the usual (store/digest.py)."""

    type: Literal["event_digest"]
    period: Literal["day", "week"]
    day: str
    since: str
    until: str
    events: int
    by_camera: dict[str, int]
    by_level: dict[str, int]
    by_category: dict[str, int]
    notable: list[dict[str, Any]]
    unusual: list[dict[str, Any]]
    changes: list[dict[str, Any]]
    text: str


class AskCitation(BaseModel):
    """An event the answer is based on."""

    id: str
    camera: str
    started_at: str
    risk_score: int
    risk_level: str
    summary: str
    score: float


class AskOut(BaseModel):
    """The answer, the events it cites and how the question was understood."""

    answer: str
    answered_by: str  # "extractive" | "llm:<backend>"
    llm_refused: str | None  # why an LLM answer was not used (invalid citation, timeout...)
    citations: list[AskCitation]
    understood: dict[str, Any]
    retrieval: dict[str, Any]  # semantic (bool), search ("pgvector" | "exact" | null), model
