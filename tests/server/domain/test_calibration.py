"""The calibration suite: the heuristic scorer must put >= 90 % of scenarios in the expected level,
and a realistic day must come out mostly low. The figures are printed and recorded in the report."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from inference_server.domain.calibration import (
    LEVELS,
    InvalidScenario,
    Scenario,
    default_scenario_dir,
    evaluate,
    evaluate_with_feedback,
    format_distribution,
    level_distribution,
    load_scenarios,
    parse_scenario,
)
from inference_server.domain.context import EventContext
from inference_server.domain.feedback import DEFAULT_FEEDBACK_CONFIG
from inference_server.domain.heuristic import score_context
from inference_server.domain.risk import RiskAssessment
from tests.support.synthetic_day import realistic_day

RecordProperty = Callable[[str, object], None]


@pytest.fixture(scope="module")
def scenarios() -> list[Scenario]:
    return load_scenarios(default_scenario_dir())


def report(capsys: pytest.CaptureFixture[str], text: str) -> None:
    """Print past pytest's capture, so the figures show in every test run."""
    with capsys.disabled():
        print(f"\n{text}")


def test_suite_has_at_least_45_scenarios_mostly_low(scenarios: list[Scenario]) -> None:
    assert len(scenarios) >= 45
    low = sum(1 for s in scenarios if s.expected_level.value == "low") / len(scenarios)
    assert 0.6 <= low <= 0.7
    assert {s.expected_level.value for s in scenarios} == set(LEVELS)
    assert len({s.name for s in scenarios}) == len(scenarios)


def test_suite_covers_the_situations_users_care_about(scenarios: list[Scenario]) -> None:
    names = " | ".join(s.name for s in scenarios)
    for needle in [
        "resident arrives at dusk",
        "delivery at midday",
        "pet dog in backyard",
        "neighbour on sidewalk",
        "person lingering at back door 0300",
        "unknown vehicle idling in driveway at night",
        "same person three cameras two minutes night",
        "face covered person trying doors",
        "kids playing in yard afternoon",
        "mail carrier",
        "jogger passing",
        "car parks in driveway 1800",
        "raccoon at night",
        "person at window at night",
    ]:
        assert needle in names, needle


def test_heuristic_agrees_with_the_calibration_suite(
    scenarios: list[Scenario], record_property: RecordProperty, capsys: pytest.CaptureFixture[str]
) -> None:
    result = evaluate(score_context, scenarios)
    record_property("heuristic_agreement", round(result.agreement, 4))
    record_property("heuristic_suite_levels", format_distribution(result.predicted_distribution))
    record_property("expected_suite_levels", format_distribution(result.expected_distribution))
    report(capsys, "calibration suite, heuristic scorer: " + result.describe())
    assert result.agreement >= 0.90, result.describe()
    # A miss may be one level off, never two.
    order = {level: i for i, level in enumerate(LEVELS)}
    for miss in result.misses:
        assert abs(order[miss.expected] - order[miss.predicted]) <= 1, miss


def test_a_realistic_day_is_mostly_low(
    record_property: RecordProperty, capsys: pytest.CaptureFixture[str]
) -> None:
    day = realistic_day(seed=0)
    assert 180 <= len(day) <= 220
    counts = level_distribution(score_context, day)
    share = {level: n / len(day) for level, n in counts.items()}
    record_property("realistic_day_levels", format_distribution(counts))
    report(capsys, f"realistic day ({len(day)} events), heuristic scorer: {format_distribution(counts)}")
    assert share["low"] >= 0.70
    assert share["critical"] <= 0.03
    assert counts["critical"] >= 1 and counts["high"] >= 1  # it does notice the break-in attempt


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_other_days_are_mostly_low_too(seed: int) -> None:
    day = realistic_day(seed)
    counts = level_distribution(score_context, day)
    assert counts["low"] / len(day) >= 0.70
    assert counts["critical"] / len(day) <= 0.03


def test_realistic_day_is_deterministic() -> None:
    assert realistic_day(5) == realistic_day(5)
    assert realistic_day(5) != realistic_day(6)


def test_every_scenario_file_is_valid_context_json() -> None:
    for path in sorted(default_scenario_dir().glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        EventContext.from_dict(data["context"])


def test_evaluate_counts_a_confusion_matrix_and_misses(scenarios: list[Scenario]) -> None:
    def always_high(context: EventContext) -> RiskAssessment:
        return RiskAssessment(risk_score=70, summary="x", reasoning="y", assessed_by="test")

    result = evaluate(always_high, scenarios[:10])
    assert result.total == 10
    assert result.predicted_distribution == {"low": 0, "medium": 0, "high": 10, "critical": 0}
    assert result.agreed == sum(1 for s in scenarios[:10] if s.expected_level.value == "high")
    assert len(result.misses) == 10 - result.agreed
    assert sum(sum(row.values()) for row in result.confusion.values()) == 10
    assert "agreement" in result.describe()


def test_empty_suite_has_full_agreement() -> None:
    assert evaluate(score_context, []).agreement == 1.0


def valid_document() -> dict[str, Any]:
    return {
        "name": "n",
        "description": "d",
        "expected_level": "low",
        "context": {
            "camera": "front",
            "camera_name": "Front",
            "started_at": "2025-03-04T12:00:00+00:00",
            "ended_at": "2025-03-04T12:00:10+00:00",
            "local_time": "12:00",
            "weekday": "Tuesday",
            "is_night": False,
            "objects": {"cat": 1},
        },
    }


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"expected_level": "severe"}, "expected_level"),
        ({"surprise": 1}, "unknown key"),
        ({"context": {"camera": "front"}}, "context"),
        ({"name": ""}, "name"),
    ],
)
def test_bad_scenarios_are_refused_naming_the_file(change: dict[str, Any], message: str) -> None:
    document = {**valid_document(), **change}
    with pytest.raises(InvalidScenario, match=message) as info:
        parse_scenario(document, "99_bad.json")
    assert "99_bad.json" in str(info.value)


def test_missing_keys_and_unreadable_files_are_refused(tmp_path: Path) -> None:
    document = valid_document()
    del document["context"]
    with pytest.raises(InvalidScenario, match="missing key"):
        parse_scenario(document, "x.json")
    (tmp_path / "a.json").write_text(json.dumps(valid_document()), encoding="utf-8")
    assert [s.name for s in load_scenarios(tmp_path)] == ["n"]
    (tmp_path / "b.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(InvalidScenario, match=r"b\.json"):
        load_scenarios(tmp_path)


def _offset(points: int) -> Callable[[EventContext], RiskAssessment]:
    """A miscalibrated scorer: the heuristic moved by `points` (an over-anxious or a lax LLM)."""

    def score(context: EventContext) -> RiskAssessment:
        base = score_context(context)
        return dataclasses.replace(base, risk_score=max(0, min(100, base.risk_score + points)))

    return score


def test_without_answers_feedback_changes_nothing(scenarios: list[Scenario]) -> None:
    result = evaluate_with_feedback(score_context, scenarios, repeats=0)
    assert result.answers == 0 and result.effects == ()
    assert result.after == result.before == evaluate(score_context, scenarios)


def test_calibration_before_and_after_feedback(
    scenarios: list[Scenario], capsys: pytest.CaptureFixture[str], record_property: RecordProperty
) -> None:
    """Three earlier answers per situation, from a resident who knows the truth: every move stays
    within the bound and below the critical band, a known resident is never raised by the answers
    about strangers, and a miscalibrated scorer is pulled toward the expected levels."""
    config = DEFAULT_FEEDBACK_CONFIG
    lines = []
    for name, scorer in (
        ("heuristic", score_context),
        ("anxious +30", _offset(30)),
        ("lax -20", _offset(-20)),
        ("anxious +15", _offset(15)),
        ("lax -10", _offset(-10)),
    ):
        result = evaluate_with_feedback(scorer, scenarios, repeats=3)
        lines.append(
            f"{name}: agreement {result.before.agreed}/{result.before.total} before, "
            f"{result.after.agreed}/{result.after.total} after {result.answers} answers"
        )
        tag = name.replace(" ", "").replace("+", "_plus").replace("-", "_minus")
        record_property(f"feedback_{tag}_before", round(result.before.agreement, 3))
        record_property(f"feedback_{tag}_after", round(result.after.agreement, 3))
        by_name = {s.name: s for s in scenarios}
        for effect in result.effects:
            assert abs(effect.after - effect.before) <= config.max_adjustment
            if effect.after > effect.before:
                assert effect.after <= max(effect.before, config.raise_ceiling)
                context = by_name[effect.name].context
                assert "known_resident" not in context.attributes, effect
        if name == "heuristic":  # a scorer that is already right loses nothing to the answers
            assert result.after.agreed == result.before.agreed, lines[-1]
        else:
            assert result.after.agreed > result.before.agreed, lines[-1]
    report(capsys, "feedback calibration (3 answers per situation):\n  " + "\n  ".join(lines))
