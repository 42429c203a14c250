"""Feedback: residents' answers on similar earlier events move the score, bounded and explained."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from inference_server.domain.feedback import (
    FEEDBACK_KINDS,
    FeedbackConfig,
    PastFeedback,
    adjustment,
    apply,
    hour_band,
    is_known,
    is_similar,
    situation,
)
from inference_server.domain.risk import RiskAssessment

NOW = situation("driveway", {"car": 1}, ["drive"], 18)


def answers(kind: str, n: int, *, camera: str = "driveway", hour: int = 19) -> list[PastFeedback]:
    return [PastFeedback(kind, situation(camera, {"car": 1}, ["drive"], hour))] * n


def test_hour_bands() -> None:
    assert [hour_band(h) for h in (0, 5, 6, 11, 12, 16, 17, 20, 21, 23)] == [
        "night", "night", "morning", "morning", "afternoon", "afternoon", "evening", "evening", "night", "night",
    ]  # fmt: skip


def test_similar_means_same_camera_category_band_and_overlapping_zones() -> None:
    same = situation("driveway", {"truck": 2}, ["drive", "gate"], 20)  # truck is a vehicle too
    assert is_similar(NOW, same)
    assert not is_similar(NOW, situation("street", {"car": 1}, ["drive"], 18))
    assert not is_similar(NOW, situation("driveway", {"person": 1}, ["drive"], 18))
    assert not is_similar(NOW, situation("driveway", {"car": 1}, ["drive"], 3))
    assert not is_similar(NOW, situation("driveway", {"car": 1}, ["lawn"], 18))
    assert is_similar(situation("a", {"cat": 1}, [], 1), situation("a", {"dog": 1}, [], 2))


def test_nine_expected_answers_lower_by_the_documented_amount() -> None:
    change = adjustment(NOW, answers("expected", 5))
    assert change.points == -15 and change.similar == 5
    assert change.explanation == "lowered by 15: 5 similar events marked 5 expected"
    capped = adjustment(NOW, answers("expected", 9))
    assert capped.points == -25 and "capped at 25" in capped.explanation
    threat = adjustment(NOW, answers("threat", 3))
    assert threat.points == 15 and threat.explanation.startswith("raised by 15")


def test_answers_count_only_for_events_scored_at_the_same_level() -> None:
    low = situation("driveway", {"car": 1}, ["drive"], 18, level="low")
    medium = situation("driveway", {"car": 1}, ["drive"], 18, level="medium")
    on_low = [PastFeedback("expected", situation("driveway", {"car": 1}, ["drive"], 19, level="low"))] * 4
    change = adjustment(low, on_low)
    assert change.points == -12
    assert change.explanation == "lowered by 12: 4 similar events scored low marked 4 expected"
    assert adjustment(medium, on_low) == adjustment(medium, [])
    assert not is_similar(low, medium)


def test_one_answer_or_answers_about_other_situations_change_nothing() -> None:
    assert adjustment(NOW, answers("false_alarm", 1)).points == 0
    assert adjustment(NOW, answers("false_alarm", 5, camera="street")).points == 0
    assert adjustment(NOW, answers("false_alarm", 5, hour=2)).points == 0


def test_apply_adds_the_explanation_and_stays_in_range() -> None:
    base = RiskAssessment(10, "A car.", "Heuristic score 10 (low).", "heuristic")
    lowered = apply(base, adjustment(NOW, answers("false_alarm", 4)))
    assert lowered.risk_score == 0
    assert lowered.reasoning.endswith("Feedback: lowered by 20: 4 similar events marked 4 false alarm.")
    assert apply(base, adjustment(NOW, [])) is base


@given(
    st.integers(0, 100),
    st.lists(st.sampled_from(FEEDBACK_KINDS), max_size=60),
    st.integers(0, 40),
)
def test_feedback_never_moves_a_score_beyond_its_bound(score: int, kinds: list[str], bound: int) -> None:
    config = FeedbackConfig(max_adjustment=bound)
    past = [PastFeedback(k, NOW) for k in kinds]
    change = adjustment(NOW, past, config)
    assert abs(change.points) <= bound
    after = apply(RiskAssessment(score, "s", "r", "heuristic"), change)
    assert 0 <= after.risk_score <= 100
    assert abs(after.risk_score - score) <= bound
    # More "threat" answers never lower the score.
    more = adjustment(NOW, [*past, PastFeedback("threat", NOW)], config)
    assert more.points >= change.points or more.similar < config.min_similar


def test_known_and_unknown_are_different_situations() -> None:
    resident = situation("driveway", {"person": 1}, ["drive"], 22, known=True)
    stranger = situation("driveway", {"person": 1}, ["drive"], 22)
    assert not is_similar(resident, stranger)
    assert adjustment(stranger, [PastFeedback("expected", resident)] * 5).points == 0
    assert adjustment(resident, [PastFeedback("expected", resident)] * 5).points == -15
    assert (
        is_known(["known_resident"]) and is_known([], [{"entity_id": "x"}]) and not is_known(["face_covered"])
    )


def test_a_raise_stops_at_the_top_of_the_high_band() -> None:
    threat = adjustment(NOW, answers("threat", 5))  # +25
    held = apply(RiskAssessment(75, "s", "r", "heuristic"), threat)
    assert held.risk_score == 84 and held.risk_level.value == "high"
    assert held.reasoning.endswith("held at 84 (feedback alone never makes an event critical).")
    critical = RiskAssessment(90, "s", "r", "heuristic")
    assert apply(critical, threat) is critical  # already above: kept, not lowered
    assert apply(RiskAssessment(40, "s", "r", "heuristic"), threat).risk_score == 65


@given(st.integers(0, 100), st.integers(1, 60), st.integers(0, 100))
def test_threat_answers_never_lift_a_score_past_the_ceiling(score: int, n: int, ceiling: int) -> None:
    config = FeedbackConfig(raise_ceiling=ceiling)
    after = apply(
        RiskAssessment(score, "s", "r", "heuristic"), adjustment(NOW, answers("threat", n), config), config
    )
    assert after.risk_score >= score
    assert after.risk_score <= max(score, ceiling)
