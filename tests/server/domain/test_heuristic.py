"""The heuristic scorer: ordinary things stay low, suspicious facts never lower the score."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inference_server.domain.context import (
    Approach,
    BaselineInfo,
    EventContext,
    LineCrossing,
    ReidSighting,
    TrackSummary,
    ZoneHit,
)
from inference_server.domain.heuristic import score_context
from inference_server.domain.risk import RiskLevel

ZONE_TYPES = ["entry_point", "driveway", "sidewalk", "yard", "other"]
LABELS = ["person", "car", "truck", "dog", "cat", "bird", "backpack", "bicycle", "umbrella"]
CUES = [
    "face_covered",
    "tried_door",
    "carrying_package",
    "delivery_uniform",
    "known_resident",
    "loitering",
    "at_window",
    "kids_playing",
    "passing_by",
    "weapon",
    "something_new",
]


def context(**changes: object) -> EventContext:
    base = EventContext(
        camera="front_door",
        camera_name="Front Door",
        started_at="2025-03-04T12:00:00+00:00",
        ended_at="2025-03-04T12:00:30+00:00",
        local_time="12:00",
        weekday="Tuesday",
        is_night=False,
        objects={"person": 1},
        max_confidence={"person": 0.9},
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


zone_hits = st.builds(
    ZoneHit,
    name=st.sampled_from(["front_door", "driveway", "lawn", "sidewalk", "back_door", "mailbox"]),
    zone_type=st.sampled_from(ZONE_TYPES),
    priority=st.integers(min_value=-2, max_value=8),
    labels=st.lists(st.sampled_from(LABELS), max_size=2).map(tuple),
    dwell_seconds=st.floats(min_value=0, max_value=3600),
)
approaches = st.builds(
    Approach,
    direction=st.sampled_from(["toward:front_door", "toward:camera", "away", "across", "stationary"]),
    speed=st.floats(min_value=0, max_value=2),
    eta_seconds=st.none() | st.floats(min_value=0, max_value=60),
    target_zone=st.none() | st.just("front_door"),
)
tracks = st.builds(
    TrackSummary,
    track_id=st.integers(min_value=1, max_value=9),
    label=st.sampled_from(LABELS),
    frames=st.integers(min_value=1, max_value=100),
    duration_seconds=st.floats(min_value=0, max_value=600),
    dwell_seconds=st.dictionaries(
        st.sampled_from(["front_door", "lawn", "sidewalk"]), st.floats(0, 600), max_size=2
    ),
    crossings=st.lists(
        st.builds(
            LineCrossing,
            line=st.just("gate"),
            direction=st.sampled_from(["in", "out"]),
            label=st.sampled_from(LABELS),
        ),
        max_size=3,
    ).map(tuple),
    approach=st.none() | approaches,
)
sightings = st.builds(
    ReidSighting,
    entity_id=st.just("e1"),
    label=st.sampled_from(["person", "car"]),
    camera=st.sampled_from(["driveway", "backyard", "side_gate", "front_door"]),
    minutes_ago=st.floats(min_value=0, max_value=60),
    similarity=st.floats(min_value=0.5, max_value=1.0),
)
baselines = st.builds(
    BaselineInfo,
    status=st.sampled_from(["ok", "no_baseline"]),
    label=st.sampled_from(["person", "car", "dog"]),
    expected=st.floats(min_value=0, max_value=10),
    observed=st.floats(min_value=0, max_value=10),
    samples=st.floats(min_value=0, max_value=10),
    anomaly=st.floats(min_value=0, max_value=1),
)
contexts = st.builds(
    context,
    is_night=st.booleans(),
    local_time=st.sampled_from(["03:12", "12:00", "18:45", "23:30"]),
    objects=st.dictionaries(st.sampled_from(LABELS), st.integers(min_value=0, max_value=6), max_size=3),
    max_confidence=st.dictionaries(st.sampled_from(LABELS), st.floats(min_value=0, max_value=1), max_size=3),
    zones=st.lists(zone_hits, max_size=3).map(tuple),
    tracks=st.lists(tracks, max_size=2).map(tuple),
    reid=st.lists(sightings, max_size=3).map(tuple),
    baseline=st.lists(baselines, max_size=2).map(tuple),
    attributes=st.lists(st.sampled_from(CUES), max_size=3, unique=True).map(tuple),
)


@settings(max_examples=200, deadline=None)
@given(contexts)
def test_score_is_within_0_and_100_and_deterministic(ctx: EventContext) -> None:
    first = score_context(ctx)
    assert 0 <= first.risk_score <= 100
    assert first.assessed_by == "heuristic"
    assert first == score_context(ctx)
    assert first.summary.endswith(".") and "\n" not in first.summary
    assert 0 < len(first.summary) <= 300 and 0 < len(first.reasoning) <= 1500


@settings(max_examples=200, deadline=None)
@given(contexts)
def test_night_never_lowers_the_score(ctx: EventContext) -> None:
    day = dataclasses.replace(ctx, is_night=False)
    night = dataclasses.replace(ctx, is_night=True)
    assert score_context(night).risk_score >= score_context(day).risk_score


@settings(max_examples=200, deadline=None)
@given(contexts, st.floats(min_value=0, max_value=1200), st.integers(min_value=0, max_value=5))
def test_entry_point_dwell_never_lowers_the_score(ctx: EventContext, dwell: float, priority: int) -> None:
    hit = ZoneHit("back_door", "entry_point", priority, ("person",), dwell)
    more = dataclasses.replace(ctx, zones=(*ctx.zones, hit))
    assert score_context(more).risk_score >= score_context(ctx).risk_score


@settings(max_examples=200, deadline=None)
@given(contexts)
def test_face_covered_never_lowers_the_score(ctx: EventContext) -> None:
    without = dataclasses.replace(ctx, attributes=tuple(a for a in ctx.attributes if a != "face_covered"))
    with_cue = dataclasses.replace(without, attributes=(*without.attributes, "face_covered"))
    assert score_context(with_cue).risk_score >= score_context(without).risk_score


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["cat", "dog", "bird", "horse", "sheep", "cow"]), st.integers(1, 5), min_size=1
    ),
    st.lists(zone_hits, max_size=3).map(tuple),
    st.lists(tracks.map(lambda t: dataclasses.replace(t, label="dog")), max_size=2).map(tuple),
)
def test_animals_only_at_noon_is_low(
    objects: dict[str, int], zones: tuple[ZoneHit, ...], dog_tracks: tuple[TrackSummary, ...]
) -> None:
    ctx = context(objects=objects, max_confidence=dict.fromkeys(objects, 0.9), zones=zones, tracks=dog_tracks)
    assert score_context(ctx).risk_level is RiskLevel.LOW


def test_not_a_flat_fifty() -> None:
    scores = {
        score_context(context(objects={"cat": 1})).risk_score,
        score_context(context()).risk_score,
        score_context(
            context(zones=(ZoneHit("front_door", "entry_point", 3, ("person",), 200.0),))
        ).risk_score,
        score_context(context(is_night=True, attributes=("tried_door", "face_covered"))).risk_score,
    }
    assert len(scores) == 4


def test_zone_types_are_ranked_entry_point_driveway_yard_sidewalk() -> None:
    def score_in(zone_type: str) -> int:
        hit = ZoneHit("z", zone_type, 0, ("person",), 100.0)
        return score_context(context(zones=(hit,))).risk_score

    assert score_in("entry_point") > score_in("driveway") > score_in("yard") > score_in("sidewalk")


def test_lingering_at_the_back_door_at_night_is_high_with_a_readable_summary() -> None:
    ctx = context(
        local_time="03:12",
        is_night=True,
        zones=(ZoneHit("back_door", "entry_point", 3, ("person",), 95.0),),
    )
    result = score_context(ctx)
    assert result.risk_level in (RiskLevel.HIGH, RiskLevel.CRITICAL)
    assert result.summary == "Person lingered 95 s at the back door entry point at 03:12."
    assert "night" in result.reasoning and "back door" in result.reasoning


def test_known_resident_and_delivery_lower_the_score() -> None:
    door = (ZoneHit("front_door", "entry_point", 3, ("person",), 60.0),)
    stranger = score_context(context(zones=door)).risk_score
    resident = score_context(context(zones=door, attributes=("known_resident",))).risk_score
    courier = score_context(
        context(zones=door, attributes=("delivery_uniform", "carrying_package"))
    ).risk_score
    assert resident < stranger and courier < stranger


def test_same_person_on_three_cameras_within_minutes_raises_the_score() -> None:
    alone = context(is_night=True, zones=(ZoneHit("lawn", "yard", 1, ("person",), 20.0),))
    seen = dataclasses.replace(
        alone,
        reid=(
            ReidSighting("e1", "person", "driveway", 1.8, 0.91),
            ReidSighting("e1", "person", "side_gate", 0.9, 0.9),
        ),
    )
    stale = dataclasses.replace(
        alone,
        reid=(ReidSighting("e1", "person", "driveway", 300.0, 0.91),),
    )
    assert score_context(seen).risk_score > score_context(alone).risk_score
    assert score_context(stale).risk_score == score_context(alone).risk_score
    assert "3 cameras" in score_context(seen).summary


def test_baseline_raises_unusual_and_slightly_lowers_very_usual_activity() -> None:
    door = (ZoneHit("front_door", "entry_point", 3, ("person",), 60.0),)
    plain = score_context(context(zones=door)).risk_score
    unusual = score_context(
        context(zones=door, baseline=(BaselineInfo("ok", "person", 0.02, 1, 5, 0.9, "1 person ..."),))
    ).risk_score
    usual = score_context(
        context(zones=door, baseline=(BaselineInfo("ok", "person", 1.0, 1, 5, 0.02),))
    ).risk_score
    cold = score_context(context(zones=door, baseline=(BaselineInfo("no_baseline", "person"),))).risk_score
    assert unusual > plain > usual
    assert plain - usual <= 0.2 * plain
    assert cold == plain


def test_low_detection_confidence_lowers_the_score() -> None:
    door = (ZoneHit("front_door", "entry_point", 3, ("person",), 60.0),)
    sure = score_context(context(zones=door, max_confidence={"person": 0.9})).risk_score
    unsure = score_context(context(zones=door, max_confidence={"person": 0.3})).risk_score
    assert unsure < sure


def test_inbound_crossings_and_approach_raise_the_score() -> None:
    track = TrackSummary(1, "person", 10, 10.0)
    plain = score_context(context(tracks=(track,))).risk_score
    crossing = dataclasses.replace(track, crossings=(LineCrossing("gate", "in", "person"),))
    outbound = dataclasses.replace(track, crossings=(LineCrossing("gate", "out", "person"),))
    approach = dataclasses.replace(track, approach=Approach("toward:front_door", 0.1, 5.0, "front_door"))
    assert score_context(context(tracks=(crossing,))).risk_score > plain
    assert score_context(context(tracks=(outbound,))).risk_score == plain
    assert score_context(context(tracks=(approach,))).risk_score > plain


def test_empty_context_scores_zero() -> None:
    result = score_context(context(objects={}, max_confidence={}))
    assert result.risk_score == 0
    assert result.summary == "Activity was seen on Front Door at 12:00."


@pytest.mark.parametrize(
    ("attributes", "expected"),
    [
        (
            ("face_covered", "tried_door"),
            "Person with a covered face tried the door at the front door entry point at 12:00.",
        ),
        (
            ("delivery_uniform", "package_delivered"),
            "Delivery worker delivered a package at the front door entry point at 12:00.",
        ),
    ],
)
def test_summary_names_what_happened(attributes: tuple[str, ...], expected: str) -> None:
    ctx = context(zones=(ZoneHit("front_door", "entry_point", 3, ("person",), 20.0),), attributes=attributes)
    assert score_context(ctx).summary == expected
