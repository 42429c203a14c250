"""The Event JSON: one document shape for the API, the WebSocket and MQTT `hsi/events`.

New fields are additive, never renamed. Times are ISO 8601 with their offset, exactly as
`datetime.isoformat()` writes them (`+00:00`, not `Z`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Final, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer

from inference_server.contract.risk import RiskLevelName, level_for_score

# Who scored an event: a text LLM backend, the vision step (on the key frames) or the heuristic.
AssessedBy = Literal["llama_cpp", "openai", "home_assistant", "vision", "heuristic"]
ASSESSED_BY: Final[tuple[str, ...]] = get_args(AssessedBy)
# The residents' answer on an event (docs/scoring.md, "Feedback").
FeedbackKind = Literal["false_alarm", "expected", "threat"]
FEEDBACK_KINDS: Final[tuple[str, ...]] = get_args(FeedbackKind)
# Patterns over time found by domain/behaviour.py (docs/behaviour.md).
BehaviourKind = Literal["loitering", "perimeter_walk", "repeated_visits", "tailgating", "approach_retreat"]
BEHAVIOUR_KINDS: Final[tuple[str, ...]] = get_args(BehaviourKind)

IsoDatetime = Annotated[datetime, PlainSerializer(lambda value: value.isoformat(), return_type=str)]


class Behaviour(BaseModel):
    """A behaviour over time seen in the event, with the explanation the reasoning quotes."""

    model_config = ConfigDict(frozen=True)

    kind: BehaviourKind
    subject: str = Field(description="The object class it is about (person, car, ...)")
    strength: float = Field(ge=0.0, le=1.0)
    explanation: str
    entity_id: str | None = Field(
        None, description="The re-ID entity, for perimeter walks and repeated visits"
    )


class Event(BaseModel):
    """The Event JSON shared by API, WebSocket and MQTT."""

    model_config = ConfigDict(frozen=True)

    id: str
    camera: str = Field(description="The camera's folder slug")
    camera_name: str
    started_at: IsoDatetime
    ended_at: IsoDatetime
    risk_score: int = Field(ge=0, le=100)
    risk_level: RiskLevelName = Field(description="Derived from risk_score by the fixed bands")
    summary: str
    reasoning: str
    objects: dict[str, int] = Field(description="{class: count}")
    zones: list[str]
    fast_path: bool
    reviewed: bool
    notes: str
    media: list[str]
    assessed_by: AssessedBy
    model: str | None = Field(
        description="The model id that scored the event (e.g. nemotron-mini-4b, heuristic); "
        "null for events stored before models were recorded"
    )
    feedback: FeedbackKind | None = Field(
        None, description="The residents' answer on this event (PATCH /api/events/{id}); null: none given"
    )
    behaviours: list[Behaviour] = Field(
        default_factory=list,
        description="Behaviours over time (loitering, perimeter walk, ...), strongest first",
    )


EVENT_FIELDS: Final[tuple[str, ...]] = tuple(Event.model_fields)


def event_json(
    *,
    id: str,
    camera: str,
    camera_name: str,
    started_at: datetime,
    ended_at: datetime,
    risk_score: int,
    summary: str,
    reasoning: str,
    objects: dict[str, int],
    assessed_by: str,
    zones: list[str] | None = None,
    fast_path: bool = False,
    reviewed: bool = False,
    notes: str = "",
    media: list[str] | None = None,
    model: str | None = None,
    feedback: str | None = None,
    behaviours: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The Event JSON of these values (validated; `risk_level` derived from the score)."""
    return Event.model_validate(
        {
            "id": id,
            "camera": camera,
            "camera_name": camera_name,
            "started_at": started_at,
            "ended_at": ended_at,
            "risk_score": risk_score,
            "risk_level": level_for_score(risk_score).value,
            "summary": summary,
            "reasoning": reasoning,
            "objects": dict(objects),
            "zones": list(zones or []),
            "fast_path": fast_path,
            "reviewed": reviewed,
            "notes": notes,
            "media": list(media or []),
            "assessed_by": assessed_by,
            "model": model,
            "feedback": feedback,
            "behaviours": list(behaviours or []),
        }
    ).model_dump(mode="json")
