"""Alert rule parsing and matching (pure domain logic), with property tests for schedules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inference_server.domain.alert_rules import (
    DAYS,
    EventFacts,
    InvalidRule,
    Schedule,
    TimeRange,
    cooldown_keys,
    facts_from_event,
    group_key,
    in_schedule,
    matches,
    parse_rule,
    parse_schedule,
    parse_time_range,
    rule_to_json,
    why_not,
)

MONDAY = datetime(2024, 1, 1)  # a Monday
WEEK_MINUTES = 7 * 24 * 60


def facts(**overrides: object) -> EventFacts:
    base: dict[str, object] = {
        "event_id": "e1",
        "camera": "front",
        "risk_score": 72,
        "risk_level": "high",
        "objects": {"person": 1},
        "zones": ("porch",),
        "max_confidence": {"person": 0.91},
        "known_entity": False,
    }
    base.update(overrides)
    return EventFacts(**base)  # type: ignore[arg-type]


def rule(**conditions: object) -> dict[str, object]:
    return {"id": 1, "name": "Night intruder", "severity": "high", "conditions": conditions, "channels": []}


NOON = MONDAY.replace(hour=12)


def test_full_rule_round_trips_through_json() -> None:
    data = {
        "id": 7,
        "name": "Night person at the door",
        "enabled": True,
        "severity": "critical",
        "conditions": {
            "min_risk_score": 60,
            "min_level": "high",
            "objects": ["person"],
            "cameras": ["front"],
            "zones": ["porch"],
            "min_confidence": 0.6,
            "unknown_only": True,
            "schedule": {"days": ["mon", "tue"], "ranges": ["22:00-06:00"]},
            "behaviours": ["loitering", "perimeter_walk"],
            "tripwires": ["fence line"],
        },
        "channels": [
            {"type": "email", "to": ["me@example.com"]},
            {"type": "webhook", "url": "https://hooks.example.com/x", "secret": "s3cret-value"},
            {"type": "mqtt"},
            {"type": "ha", "notify_service": "notify.mobile_app_phone"},
        ],
        "cooldown_seconds": 600,
        "group_window_seconds": 90,
    }
    parsed = parse_rule(data)
    assert rule_to_json(parsed) == data
    assert parse_rule(rule_to_json(parsed)) == parsed


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"severity": "high"}, "name"),
        ({"name": "x", "severity": "urgent"}, "severity"),
        ({"name": "x", "conditions": {"min_risk_score": 101}}, "conditions.min_risk_score"),
        ({"name": "x", "conditions": {"min_level": "extreme"}}, "conditions.min_level"),
        ({"name": "x", "conditions": {"min_confidence": 1.5}}, "conditions.min_confidence"),
        (
            {"name": "x", "conditions": {"schedule": {"ranges": ["25:00-06:00"]}}},
            "conditions.schedule.ranges[0]",
        ),
        ({"name": "x", "conditions": {"schedule": {"days": ["funday"]}}}, "conditions.schedule.days[0]"),
        ({"name": "x", "conditions": {"objcts": ["person"]}}, "conditions: unknown field(s) objcts"),
        ({"name": "x", "conditions": {"behaviours": ["lurking"]}}, "conditions.behaviours[0]"),
        ({"name": "x", "conditions": {"behaviours": [3]}}, "conditions.behaviours"),
        ({"name": "x", "conditions": {"tripwires": [""]}}, "conditions.tripwires"),
        ({"name": "x", "channels": [{"type": "sms"}]}, "channels[0].type"),
        ({"name": "x", "channels": [{"type": "email", "to": ["not-an-address"]}]}, "channels[0].to[0]"),
        ({"name": "x", "channels": [{"type": "webhook", "url": "ftp://x"}]}, "channels[0].url"),
        (
            {"name": "x", "channels": [{"type": "ha", "notify_service": "light.on"}]},
            "channels[0].notify_service",
        ),
        ({"name": "x", "cooldown_seconds": -1}, "cooldown_seconds"),
        ({"name": "x", "group_window_seconds": 7200}, "group_window_seconds"),
    ],
)
def test_invalid_rule_names_the_field(data: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidRule) as info:
        parse_rule(data)
    assert field in str(info.value)


def test_size_limits_apply_to_rules_written_not_to_rules_read_back() -> None:
    ranges = [f"{h:02d}:{m:02d}-{h:02d}:{m + 1:02d}" for h in range(24) for m in (0, 30)]
    data = {
        "name": "x",
        "conditions": {"cameras": [f"c{i}" for i in range(150)], "schedule": {"ranges": ranges}},
    }
    with pytest.raises(InvalidRule, match=r"conditions\.cameras"):
        parse_rule(data)
    stored = parse_rule(data, stored=True)
    assert len(stored.conditions.cameras) == 150
    assert stored.conditions.schedule is not None and len(stored.conditions.schedule.ranges) == 48
    with pytest.raises(InvalidRule, match=r"conditions\.schedule\.ranges"):
        parse_rule({"name": "x", "conditions": {"schedule": {"ranges": [*ranges, "23:58-23:59"]}}})


def test_time_range_parsing() -> None:
    assert parse_time_range("22:00-06:00") == TimeRange(22 * 60, 6 * 60)
    assert parse_time_range("00:00-24:00") == TimeRange(0, 1440)
    for bad in ("7:00-8:00", "08:00-08:00", "10:60-11:00", "10:00-24:30", "x"):
        with pytest.raises(InvalidRule):
            parse_time_range(bad)


def test_each_condition_is_reported_when_it_fails() -> None:
    r = parse_rule(
        rule(
            min_risk_score=80,
            min_level="critical",
            objects=["car"],
            cameras=["back"],
            zones=["driveway"],
            min_confidence=0.95,
            unknown_only=True,
            schedule={"days": ["sun"]},
        )
    )
    reasons = why_not(r, facts(known_entity=True), NOON)
    assert len(reasons) == 8
    joined = " | ".join(reasons)
    for word in (
        "risk score 72",
        "risk level high",
        "car",
        "camera front",
        "driveway",
        "confidence",
        "known",
        "schedule",
    ):
        assert word in joined
    assert not matches(r, facts(known_entity=True), NOON)


def test_matching_rule_and_disabled_rule() -> None:
    r = parse_rule(rule(min_risk_score=60, objects=["person", "car"], zones=["porch"], min_confidence=0.9))
    assert why_not(r, facts(), NOON) == []
    assert matches(r, facts(), NOON)
    disabled = parse_rule({**rule(), "enabled": False})
    assert why_not(disabled, facts(), NOON) == []
    assert not matches(disabled, facts(), NOON)


def test_unknown_only_passes_when_nothing_is_known_and_confidence_unknown_fails() -> None:
    r = parse_rule(rule(unknown_only=True))
    assert matches(r, facts(known_entity=None), NOON)
    r2 = parse_rule(rule(min_confidence=0.5))
    assert why_not(r2, facts(max_confidence=None), NOON) == ["detector confidence is unknown for this event"]


def test_facts_from_event_json_and_context() -> None:
    event = {
        "id": "e9",
        "camera": "yard",
        "risk_score": 90,
        "objects": {"person": 2, "dog": 0},
        "zones": ["lawn"],
    }
    f = facts_from_event(event, {"max_confidence": {"person": 0.8}, "attributes": ["known_resident"]})
    assert f.risk_level == "critical"
    assert f.known_entity is True
    assert f.max_confidence == {"person": 0.8}
    assert facts_from_event(event).known_entity is None


def test_behaviour_condition_matches_any_listed_behaviour() -> None:
    r = parse_rule(rule(behaviours=["perimeter_walk", "loitering"]))
    assert matches(r, facts(behaviours=("loitering",)), NOON)
    assert matches(r, facts(behaviours=("tailgating", "perimeter_walk")), NOON)
    assert why_not(r, facts(behaviours=("tailgating",)), NOON) == [
        "none of the behaviours perimeter_walk, loitering was seen (seen: tailgating)"
    ]
    assert why_not(r, facts(), NOON) == [
        "none of the behaviours perimeter_walk, loitering was seen (seen: none)"
    ]
    # Without the condition, behaviours do not matter.
    assert matches(parse_rule(rule()), facts(), NOON)


def test_tripwire_condition_needs_a_crossing_of_a_listed_line() -> None:
    r = parse_rule(rule(tripwires=["fence line"]))
    assert matches(r, facts(tripwires=("gate", "fence line")), NOON)
    assert why_not(r, facts(tripwires=("gate",)), NOON) == [
        "no tripwire of fence line was crossed (crossed: gate)"
    ]


def test_facts_take_behaviours_from_the_event_and_crossings_from_the_context() -> None:
    finding = {"kind": "loitering", "subject": "person", "strength": 0.6, "explanation": "x"}
    event = {
        "id": "e1",
        "camera": "yard",
        "risk_score": 40,
        "objects": {"person": 1},
        "behaviours": [finding],
    }
    context = {
        "tracks": [
            {"crossings": [{"line": "fence line", "direction": "in"}, {"line": "gate", "direction": "out"}]},
            {"crossings": [{"line": "fence line", "direction": "out"}]},
        ],
        "behaviours": [{**finding, "kind": "tailgating"}],
    }
    f = facts_from_event(event, context)
    assert f.behaviours == ("loitering",)  # the event's own list wins
    assert f.tripwires == ("fence line", "gate")
    # An event stored before behaviours were in its JSON: the context's are used.
    older = facts_from_event({**event, "behaviours": []}, context)
    assert older.behaviours == ("tailgating",)
    assert facts_from_event(event).tripwires == ()


def test_cooldown_keys_are_rule_camera_object_zone() -> None:
    r = parse_rule(rule(objects=["person", "car"]))
    keys = cooldown_keys(r, facts(objects={"person": 1, "car": 2, "dog": 1}, zones=("porch", "drive way")))
    assert keys == [
        "rule:1|cam:front|obj:car|zone:drive%20way",
        "rule:1|cam:front|obj:car|zone:porch",
        "rule:1|cam:front|obj:person|zone:drive%20way",
        "rule:1|cam:front|obj:person|zone:porch",
    ]
    assert cooldown_keys(parse_rule(rule()), facts(objects={}, zones=())) == ["rule:1|cam:front|obj:*|zone:*"]
    # a name with the separator cannot forge another key
    assert "|" not in cooldown_keys(r, facts(zones=("a|cam:x",)))[0].split("zone:")[1]


def test_group_key_ignores_the_camera() -> None:
    r = parse_rule(rule(objects=["person"]))
    assert group_key(r, facts(camera="front")) == group_key(r, facts(camera="back")) == "rule:1|obj:person"


def test_schedule_across_midnight_belongs_to_its_start_day() -> None:
    s = parse_schedule({"days": ["fri"], "ranges": ["22:00-06:00"]})
    friday = MONDAY + timedelta(days=4)
    assert in_schedule(s, friday.replace(hour=22))
    assert in_schedule(s, friday + timedelta(days=1, hours=5, minutes=59))  # Saturday 05:59
    assert not in_schedule(s, friday + timedelta(days=1, hours=6))  # Saturday 06:00
    assert not in_schedule(s, friday.replace(hour=5))  # Friday early morning: Thursday's night
    assert not in_schedule(s, friday + timedelta(days=1, hours=22))  # Saturday night


def test_schedule_in_the_home_time_zone_across_dst() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    s = parse_schedule({"ranges": ["03:00-04:00"]})
    # 2024-03-31 01:30 UTC is 03:30 CEST (clocks went forward at 02:00)
    local = datetime(2024, 3, 31, 1, 30, tzinfo=UTC).astimezone(berlin)
    assert in_schedule(s, local)
    assert not in_schedule(s, datetime(2024, 3, 31, 1, 30, tzinfo=UTC))


def _covered(start: int, end: int, days: set[int]) -> set[int]:
    """Minutes of the week covered: an independent model of the documented semantics."""
    length = (end - start) % 1440 if end != 1440 else 1440 - start
    return {(d * 1440 + start + k) % WEEK_MINUTES for d in days for k in range(length)}


minutes = st.integers(min_value=0, max_value=1439)


@settings(max_examples=30, deadline=None)
@given(
    start=minutes, end=st.integers(min_value=0, max_value=1440), days=st.sets(st.integers(0, 6), min_size=1)
)
def test_every_minute_of_a_range_is_in_and_every_other_is_out(start: int, end: int, days: set[int]) -> None:
    if start == end % 1440 and not (start == 0 and end == 1440):
        return
    text = f"{start // 60:02d}:{start % 60:02d}-{end // 60:02d}:{end % 60:02d}"
    s = parse_schedule({"days": [DAYS[d] for d in sorted(days)], "ranges": [text]})
    covered = _covered(start, end, days)
    for minute_of_week in range(WEEK_MINUTES):
        when = MONDAY + timedelta(minutes=minute_of_week)
        assert in_schedule(s, when) == (minute_of_week in covered), (text, sorted(days), when)


@settings(max_examples=200, deadline=None)
@given(
    start=minutes,
    length=st.integers(min_value=1, max_value=1439),
    offset=st.integers(min_value=0, max_value=1439),
    seconds=st.integers(min_value=0, max_value=59),
)
def test_across_midnight_ranges_cover_exactly_their_length(
    start: int, length: int, offset: int, seconds: int
) -> None:
    end = (start + length) % 1440
    s = Schedule(ranges=(TimeRange(start, end),))
    when = MONDAY + timedelta(days=2, minutes=start + offset, seconds=seconds)
    assert in_schedule(s, when) == (offset < length)


def test_no_schedule_and_no_ranges() -> None:
    assert in_schedule(None, NOON)
    weekend = parse_schedule({"days": ["sat", "sun"]})
    assert not in_schedule(weekend, NOON)
    assert in_schedule(weekend, NOON + timedelta(days=5))
