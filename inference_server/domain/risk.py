"""Risk scores, levels and assessments (the bands themselves are the contract's, `contract/risk.py`)."""

from __future__ import annotations

from dataclasses import dataclass

from inference_server.contract.risk import LEVEL_ORDER, RiskLevel, level_for_score

__all__ = ["LEVEL_ORDER", "RiskAssessment", "RiskLevel", "clamp_score", "level_for_score"]


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
