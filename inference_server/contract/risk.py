"""The fixed risk bands: the level is derived from the 0-100 score, never chosen by a model."""

from __future__ import annotations

from enum import StrEnum
from typing import Final, Literal, get_args

RiskLevelName = Literal["low", "medium", "high", "critical"]


class RiskLevel(StrEnum):
    """Fixed bands over the 0-100 risk score."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


# (lowest score, highest score, level), inclusive, in order, covering 0..100 without gaps.
RISK_BANDS: Final[tuple[tuple[int, int, RiskLevel], ...]] = (
    (0, 29, RiskLevel.LOW),
    (30, 59, RiskLevel.MEDIUM),
    (60, 84, RiskLevel.HIGH),
    (85, 100, RiskLevel.CRITICAL),
)
LEVELS: Final[tuple[str, ...]] = get_args(RiskLevelName)
LEVEL_ORDER: Final[dict[RiskLevel, int]] = {level: i for i, (_, _, level) in enumerate(RISK_BANDS)}


def level_for_score(score: int) -> RiskLevel:
    """The risk level of a score in 0..100 (low 0-29, medium 30-59, high 60-84, critical 85-100)."""
    if not 0 <= score <= 100:
        raise ValueError(f"risk score must be within 0..100, got {score}")
    return next(level for low, high, level in RISK_BANDS if low <= score <= high)


def band_of(level: RiskLevel | str) -> tuple[int, int]:
    """The (lowest, highest) score of a level."""
    return next((low, high) for low, high, band in RISK_BANDS if band == level)


def level_rank(level: str) -> int:
    """0 (low) .. 3 (critical); an unknown name ranks lowest."""
    return LEVELS.index(level) if level in LEVELS else 0
