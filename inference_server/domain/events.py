"""The event: the unit of human attention, as the API, WebSocket and MQTT show it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from inference_server.contract.events import event_json
from inference_server.contract.risk import RiskLevel, level_for_score


@dataclass(frozen=True, slots=True)
class Event:
    """A scored burst of activity on one camera."""

    id: str
    camera: str
    camera_name: str
    started_at: datetime
    ended_at: datetime
    risk_score: int
    summary: str
    reasoning: str
    objects: dict[str, int]
    assessed_by: str
    zones: list[str] = field(default_factory=list)
    fast_path: bool = False
    reviewed: bool = False
    notes: str = ""
    media: list[str] = field(default_factory=list)
    model: str | None = None  # the model id that scored it (None: stored before models were recorded)
    feedback: str | None = None  # the residents' answer: false_alarm | expected | threat
    behaviours: list[dict[str, Any]] = field(default_factory=list)  # from the stored context

    @property
    def risk_level(self) -> RiskLevel:
        """Derived from the score by the fixed bands."""
        return level_for_score(self.risk_score)

    def to_json(self) -> dict[str, Any]:
        """The Event JSON contract shared by API, WebSocket and MQTT (`contract/events.py`)."""
        return event_json(
            id=self.id,
            camera=self.camera,
            camera_name=self.camera_name,
            started_at=self.started_at,
            ended_at=self.ended_at,
            risk_score=self.risk_score,
            summary=self.summary,
            reasoning=self.reasoning,
            objects=self.objects,
            zones=self.zones,
            fast_path=self.fast_path,
            reviewed=self.reviewed,
            notes=self.notes,
            media=self.media,
            assessed_by=self.assessed_by,
            model=self.model,
            feedback=self.feedback,
            behaviours=self.behaviours,
        )
