"""Calibration: does a scorer put known scenarios in the level a person would?

A scenario is a JSON file {"name", "description", "expected_level", "context"} where context is
an EventContext document. `evaluate` runs any scorer (heuristic or LLM) over the scenarios and
reports agreement, a confusion matrix, the level distribution and the misses.
`level_distribution` counts the levels a scorer gives any set of contexts (the tests feed it the
synthetic day of `tests/support/synthetic_day.py`). Reading scenario files (`load_scenarios`) is
the only I/O here.

`evaluate_with_feedback` measures what residents' answers (domain/feedback.py) do to agreement: a
simulated household has seen each scenario's situation `repeats` times before and answered it as
a person who knows the expected level would (`resident_answer`), then every scenario is scored
again with the adjustment of the answers on similar situations (its own and any other scenario's:
cross-talk between situations that share camera, class, zones, hour band, known-ness and scored
level is part of what is measured). The report shows agreement before and after and every score that moved.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from inference_server.domain.context import EventContext, InvalidContext
from inference_server.domain.feedback import (
    DEFAULT_FEEDBACK_CONFIG,
    FeedbackConfig,
    PastFeedback,
    SituationKey,
    adjustment,
    apply,
    is_known,
    situation,
)
from inference_server.domain.risk import RiskAssessment, RiskLevel

Scorer = Callable[[EventContext], RiskAssessment]
LEVELS: Final = tuple(level.value for level in RiskLevel)
SCENARIO_KEYS: Final = frozenset({"name", "description", "expected_level", "context"})


class InvalidScenario(ValueError):
    """A calibration scenario file that cannot be used; the message names the file and the fault."""


@dataclass(frozen=True, slots=True)
class Scenario:
    """One situation with the level a sensible person would give it."""

    name: str
    description: str
    expected_level: RiskLevel
    context: EventContext
    source: str = ""


@dataclass(frozen=True, slots=True)
class Miss:
    """A scenario the scorer placed in another level."""

    name: str
    expected: str
    predicted: str
    score: int
    summary: str


@dataclass(frozen=True, slots=True)
class CalibrationReport:
    """How a scorer did on a set of scenarios."""

    total: int
    agreed: int
    confusion: dict[str, dict[str, int]]  # expected level -> predicted level -> count
    expected_distribution: dict[str, int]
    predicted_distribution: dict[str, int]
    misses: tuple[Miss, ...] = field(default=())

    @property
    def agreement(self) -> float:
        """Fraction of scenarios placed in the expected level (1.0 for an empty suite)."""
        return self.agreed / self.total if self.total else 1.0

    def describe(self) -> str:
        """A short multi-line text: agreement, distributions, confusion matrix and misses."""
        lines = [
            f"agreement {self.agreed}/{self.total} = {self.agreement:.1%}",
            "expected  " + format_distribution(self.expected_distribution),
            "predicted " + format_distribution(self.predicted_distribution),
            "confusion (rows expected, columns predicted): " + " ".join(f"{lv:>8}" for lv in LEVELS),
        ]
        for expected in LEVELS:
            row = self.confusion[expected]
            lines.append(f"  {expected:>8} " + " ".join(f"{row[p]:>8}" for p in LEVELS))
        for miss in self.misses:
            lines.append(
                f"  miss: {miss.name}: expected {miss.expected}, got {miss.predicted} ({miss.score})"
            )
        return "\n".join(lines)


def parse_scenario(data: Any, source: str = "") -> Scenario:
    """Build a Scenario from its JSON document, raising InvalidScenario with `source` and the fault."""
    where = source or "scenario"
    if not isinstance(data, dict):
        raise InvalidScenario(f"{where}: expected a JSON object")
    missing = sorted(SCENARIO_KEYS - set(data))
    if missing:
        raise InvalidScenario(f"{where}: missing key(s) {', '.join(missing)}")
    unknown = sorted(set(data) - SCENARIO_KEYS)
    if unknown:
        raise InvalidScenario(f"{where}: unknown key(s) {', '.join(unknown)}")
    name, description, level = data["name"], data["description"], data["expected_level"]
    if not isinstance(name, str) or not name:
        raise InvalidScenario(f"{where}: name must be a non-empty string")
    if not isinstance(description, str):
        raise InvalidScenario(f"{where}: description must be a string")
    if level not in LEVELS:
        raise InvalidScenario(f"{where}: expected_level must be one of {', '.join(LEVELS)}, got {level!r}")
    try:
        context = EventContext.from_dict(data["context"])
    except InvalidContext as exc:
        raise InvalidScenario(f"{where}: {exc}") from exc
    return Scenario(
        name=name,
        description=description,
        expected_level=RiskLevel(level),
        context=context,
        source=source,
    )


def load_scenarios(directory: Path) -> list[Scenario]:
    """Read every `*.json` scenario file of a directory, in name order (the only I/O here)."""
    scenarios = []
    for path in sorted(directory.glob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise InvalidScenario(f"{path.name}: cannot read it as JSON: {exc}") from exc
        scenarios.append(parse_scenario(data, path.name))
    return scenarios


def default_scenario_dir() -> Path:
    """Where the calibration suite ships: inference_server/calibration/."""
    return Path(__file__).resolve().parent.parent / "calibration"


def evaluate(scorer: Scorer, scenarios: Iterable[Scenario]) -> CalibrationReport:
    """Score every scenario and compare the level with the expected one."""
    confusion = {expected: dict.fromkeys(LEVELS, 0) for expected in LEVELS}
    misses: list[Miss] = []
    total = agreed = 0
    for scenario in scenarios:
        assessment = scorer(scenario.context)
        expected = scenario.expected_level.value
        predicted = assessment.risk_level.value
        confusion[expected][predicted] += 1
        total += 1
        if expected == predicted:
            agreed += 1
        else:
            misses.append(Miss(scenario.name, expected, predicted, assessment.risk_score, assessment.summary))
    return CalibrationReport(
        total=total,
        agreed=agreed,
        confusion=confusion,
        expected_distribution={lv: sum(confusion[lv].values()) for lv in LEVELS},
        predicted_distribution={lv: sum(confusion[e][lv] for e in LEVELS) for lv in LEVELS},
        misses=tuple(misses),
    )


def level_distribution(scorer: Scorer, contexts: Iterable[EventContext]) -> dict[str, int]:
    """How many of the contexts the scorer puts in each level."""
    counts = dict.fromkeys(LEVELS, 0)
    for context in contexts:
        counts[scorer(context).risk_level.value] += 1
    return counts


def format_distribution(counts: dict[str, int]) -> str:
    """E.g. "low 160 (80.0%) / medium 30 (15.0%) / high 8 (4.0%) / critical 2 (1.0%)"."""
    total = sum(counts.values()) or 1
    return " / ".join(f"{lv} {counts.get(lv, 0)} ({counts.get(lv, 0) / total:.1%})" for lv in LEVELS)


@dataclass(frozen=True, slots=True)
class FeedbackEffect:
    """A scenario whose score the residents' answers moved."""

    name: str
    expected: str
    before: int
    after: int
    explanation: str


@dataclass(frozen=True, slots=True)
class FeedbackCalibration:
    """Agreement of one scorer before and after the simulated residents' answers."""

    before: CalibrationReport
    after: CalibrationReport
    answers: int
    effects: tuple[FeedbackEffect, ...] = field(default=())

    def describe(self) -> str:
        """Both reports and the moved scores, as text."""
        lines = [
            f"feedback: {self.answers} simulated answers; agreement {self.before.agreed}/{self.before.total} "
            f"= {self.before.agreement:.1%} before, {self.after.agreed}/{self.after.total} = "
            f"{self.after.agreement:.1%} after",
            "before feedback:",
            self.before.describe(),
            "after feedback:",
            self.after.describe(),
        ]
        for e in self.effects:
            lines.append(
                f"  moved: {e.name} (expected {e.expected}): {e.before} -> {e.after}: {e.explanation}"
            )
        return "\n".join(lines)


Answerer = Callable[[RiskLevel, RiskLevel], str | None]


def resident_answer(expected: RiskLevel, predicted: RiskLevel) -> str | None:
    """What a resident who knows the truth answers: a real threat (high, critical) is "threat",
    a harmless event "false_alarm" when it was scored above low and "expected" otherwise; a
    medium event gets no answer (it is neither)."""
    if expected in (RiskLevel.HIGH, RiskLevel.CRITICAL):
        return "threat"
    if expected is RiskLevel.LOW:
        return "expected" if predicted is RiskLevel.LOW else "false_alarm"
    return None


def scenario_situation(context: EventContext, scored: RiskAssessment) -> SituationKey:
    """The feedback comparison key of a context as `scored` (camera, main class, zones, local hour
    band, known-ness, the scorer's level)."""
    hour = int(context.local_time.split(":", 1)[0]) if context.local_time[:2].isdigit() else 12
    known = is_known(context.attributes, context.known)
    zones = (z.name for z in context.zones)
    return situation(context.camera, context.objects, zones, hour % 24, known, scored.risk_level.value)


def evaluate_with_feedback(
    scorer: Scorer,
    scenarios: Iterable[Scenario],
    *,
    repeats: int = 3,
    config: FeedbackConfig = DEFAULT_FEEDBACK_CONFIG,
    answer: Answerer = resident_answer,
) -> FeedbackCalibration:
    """Agreement before and after `repeats` earlier answers on each scenario's situation.

    Each scenario is scored once; its answer (from `answer`, given the expected and the scored
    level) is recorded `repeats` times; then each score is adjusted by every recorded answer on a
    similar situation, exactly as the assess stage adjusts a live event.
    """
    if repeats < 0:
        raise ValueError("repeats must not be negative")
    suite = list(scenarios)
    first = {id(s.context): scorer(s.context) for s in suite}
    past: list[PastFeedback] = []
    for s in suite:
        kind = answer(s.expected_level, first[id(s.context)].risk_level)
        if kind is not None:
            past += [PastFeedback(kind, scenario_situation(s.context, first[id(s.context)]))] * repeats
    adjusted: dict[int, RiskAssessment] = {}
    effects: list[FeedbackEffect] = []
    for s in suite:
        before = first[id(s.context)]
        change = adjustment(scenario_situation(s.context, before), past, config)
        after = apply(before, change, config)
        adjusted[id(s.context)] = after
        if after.risk_score != before.risk_score:
            effects.append(
                FeedbackEffect(
                    s.name, s.expected_level.value, before.risk_score, after.risk_score, change.explanation
                )
            )
    return FeedbackCalibration(
        before=evaluate(lambda ctx: first[id(ctx)], suite),
        after=evaluate(lambda ctx: adjusted[id(ctx)], suite),
        answers=len(past),
        effects=tuple(effects),
    )
