"""Question understanding: time expressions in the home's time zone, cameras, classes, known/unknown, risk."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from inference_server.domain.ask import parse_question, parse_time_range, rrf

TZ = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 11, 26, 15, 30, tzinfo=TZ)  # a Thursday afternoon


def at(day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=TZ)


@pytest.mark.parametrize(
    ("question", "since", "until"),
    [
        ("anything last night?", at(25, 18), at(26, 6)),
        ("what happened yesterday", at(25), at(26)),
        ("events today", at(26), at(27)),
        ("this week", at(23), NOW),
        ("last week", at(16), at(23)),
        ("since Monday 8pm", at(23, 20), NOW),
        ("since monday", at(23), NOW),
        ("yesterday between 2 and 4", at(25, 14), at(25, 16)),
        ("yesterday between 9am and 11am", at(25, 9), at(25, 11)),
        ("between 10pm and 2am yesterday", at(25, 22), at(26, 2)),
        ("in the last 3 hours", at(26, 12, 30), NOW),
        ("past 2 days", at(24, 15, 30), NOW),
        ("this morning", at(26, 6), at(26, 12)),
        ("yesterday evening", at(25, 17), at(25, 22)),
        ("on tuesday", at(24), at(25)),
        ("on thursday", at(19), at(20)),  # today is Thursday: the one before
        ("this month", at(1), NOW),
    ],
)
def test_time_expressions_in_the_home_time_zone(question: str, since: datetime, until: datetime) -> None:
    got = parse_time_range(question, NOW)
    assert (got[0], got[1]) == (since, until), question


def test_no_time_expression_means_any_time() -> None:
    assert parse_time_range("any cars in the driveway?", NOW)[:2] == (None, None)


def test_a_question_becomes_filters() -> None:
    cameras = {"driveway": "driveway", "front door": "front_door", "front_door": "front_door"}
    parsed = parse_question(
        "Did any unknown vans park in the driveway this week?", NOW, cameras, {"porch": "porch"}
    )
    assert parsed.cameras == ("driveway",) and parsed.categories == ("vehicle",)
    assert parsed.known is False and parsed.since == at(23) and parsed.time_phrase == "this week"
    assert "park" in parsed.terms and "driveway" not in parsed.terms
    risky = parse_question("anything suspicious at the front door last night", NOW, cameras)
    assert risky.min_level == "medium" and risky.cameras == ("front_door",)
    assert parse_question("people on the porch", NOW, cameras, {"porch": "porch"}).zones == ("porch",)


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        parse_question("today", datetime(2026, 11, 26, 12))


def test_reciprocal_rank_fusion_rewards_agreement() -> None:
    fused = rrf({"text": ["a", "b", "c"], "recent": ["b", "a", "d"], "risk": ["b"]})
    assert [item for item, _ in fused][:2] == ["b", "a"]
