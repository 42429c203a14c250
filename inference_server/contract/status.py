"""The status document of `GET /api/system/status`: what `hsi status` prints, in one answer.

One screen for a person checking a running server: is each part healthy, how much waits in each
queue, what each camera saw last, which stages run a fallback, and which models run.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from inference_server.contract.risk import RiskLevelName


class StageStatus(BaseModel):
    """One supervised task of the server process (a stage worker, the API, housekeeping...)."""

    name: str
    running: bool
    restarts: int = Field(ge=0)
    last_error: str = Field("", description="The last crash's error ('' when it never crashed)")


class QueueStatus(BaseModel):
    """One stage stream: entries waiting or in flight (the slowest consumer group) and latency."""

    stage: str
    depth: int = Field(ge=0)
    p50_ms: float | None
    p95_ms: float | None


class LastEvent(BaseModel):
    """A camera's newest event, short."""

    id: str
    started_at: datetime
    risk_score: int = Field(ge=0, le=100)
    risk_level: RiskLevelName
    summary: str
    reviewed: bool


class CameraStatus(BaseModel):
    """A camera: when it last uploaded, whether it is muted, its newest event."""

    id: str
    name: str
    last_seen_at: datetime | None
    muted_until: datetime | None
    last_event: LastEvent | None


class FallbackStatus(BaseModel):
    """A stage running less than it should, and what fixes it (`hsi doctor`)."""

    stage: str
    backend: str
    reason: str
    fix: str | None


class ModelStatus(BaseModel):
    """What a model stage runs: backend and model id (detector, llm, embedder)."""

    stage: str
    backend: str
    model_id: str | None
    fallback: bool


class EventCounts(BaseModel):
    """Event counters (today is the home's calendar day)."""

    last_hour: int
    today: int
    unreviewed: int
    highest_risk_today: int | None
    dead_letters: int


class SystemStatus(BaseModel):
    """Everything `hsi status` shows."""

    status: Literal["ok", "degraded", "not_ready"] = Field(
        description="not_ready: a check fails; degraded: an advisory check fails (mqtt: the broker is "
        "unreachable), a queue is over its backlog limit or a stage runs a fallback; ok otherwise"
    )
    version: str
    instance_id: str
    timezone: str
    now: datetime
    checks: dict[str, bool] = Field(description="database, redis, detector... as /api/system/ready")
    stages: list[StageStatus]
    queues: list[QueueStatus]
    events: EventCounts
    cameras: list[CameraStatus]
    fallbacks: list[FallbackStatus]
    models: list[ModelStatus]
