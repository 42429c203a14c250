"""Risk scores, levels and assessments."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class RiskLevel(StrEnum):
    """Fixed bands over the 0-100 risk score."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


# Upper bounds (inclusive) of each band; the model never chooses the level itself.
_BANDS: tuple[tuple[int, RiskLevel], ...] = (
    (29, RiskLevel.LOW),
    (59, RiskLevel.MEDIUM),
    (84, RiskLevel.HIGH),
    (100, RiskLevel.CRITICAL),
)

LEVEL_ORDER: dict[RiskLevel, int] = {level: i for i, (_, level) in enumerate(_BANDS)}


def level_for_score(score: int) -> RiskLevel:
    """Return the risk level for a score in 0..100 (low 0-29, medium 30-59, high 60-84, critical 85-100)."""
    if not 0 <= score <= 100:
        raise ValueError(f"risk score must be within 0..100, got {score}")
    for upper, level in _BANDS:
        if score <= upper:
            return level
    raise AssertionError("unreachable")  # pragma: no cover


def clamp_score(value: float) -> int:
    """Round and clamp any number into the 0..100 score range."""
    return max(0, min(100, round(value)))


@dataclass(frozen=True, slots=True)
class RiskAssessment:
    """A scored judgement of one event."""

    risk_score: int
    summary: str
    reasoning: str
    assessed_by: str
    model: str | None = None  # the model id that scored it (manifest id, GGUF stem, server model)

    def __post_init__(self) -> None:
        if not 0 <= self.risk_score <= 100:
            raise ValueError(f"risk score must be within 0..100, got {self.risk_score}")

    @property
    def risk_level(self) -> RiskLevel:
        """The level derived from the score by the fixed bands."""
        return level_for_score(self.risk_score)
