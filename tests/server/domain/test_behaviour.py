"""Behaviour detectors: loitering, perimeter walks, repeated visits, tailgating, approach-and-retreat."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from inference_server.domain.behaviour import (
    APPROACH_RETREAT,
    LOITERING,
    PERIMETER_WALK,
    REPEATED_VISITS,
    TAILGATING,
    BehaviourConfig,
    Visit,
    approach_retreat,
    count_reversals,
    detect_behaviours,
    loiter_threshold,
    loitering,
    loitering_strength,
    perimeter_walk,
    repeated_visits,
    tailgating,
)
from inference_server.domain.context import (
    BehaviourFinding,
    EventContext,
    InvalidContext,
    ReidSighting,
    TrackSummary,
    ZoneHit,
)
from inference_server.domain.detections import Box, Detection
from inference_server.domain.heuristic import score_context
from inference_server.domain.tracking import FrameObservation, summarize, track
from inference_server.domain.zones import Zone, rectangle

DOOR = ZoneHit(name="Back door", zone_type="entry_point", priority=3, labels=("person",))
LAWN = ZoneHit(name="Lawn", zone_type="yard", labels=("person",))


def _track(
    label: str = "person",
    dwell: dict[str, float] | None = None,
    *,
    track_id: int = 1,
    zone_entered_at: dict[str, float] | None = None,
) -> TrackSummary:
    dwell = dwell or {}
    return TrackSummary(
        track_id=track_id,
        label=label,
        frames=5,
        duration_seconds=max(dwell.values(), default=5.0),
        zones=tuple(dwell),
        dwell_seconds=dwell,
        zone_entered_at=zone_entered_at or {},
    )


def test_loitering_starts_at_the_zone_threshold_and_is_shorter_at_night() -> None:
    day = loiter_threshold("entry_point", night=False)
    night = loiter_threshold("entry_point", night=True)
    assert night < day
    below = _track(dwell={"Back door": day - 1})
    at = _track(dwell={"Back door": day})
    assert loitering([below], [DOOR], night=False) == []
    [found] = loitering([at], [DOOR], night=False)
    assert found.kind == LOITERING and found.strength == 0.5
    assert "Back door" in found.explanation and f"{day:.0f} s" in found.explanation
    assert loitering([below], [DOOR], night=True) != []


def test_only_people_loiter() -> None:
    car = _track(label="car", dwell={"Back door": 1000})
    assert loitering([car], [DOOR], night=True) == []


@given(st.floats(0, 5000), st.floats(0, 5000), st.sampled_from(["entry_point", "yard", "sidewalk", "x"]))
def test_loitering_is_monotone_in_dwell_time(d1: float, d2: float, zone_type: str) -> None:
    low, high = sorted((d1, d2))
    zone = ZoneHit(name="Z", zone_type=zone_type)
    for night in (False, True):
        a = loitering([_track(dwell={"Z": low})], [zone], night=night)
        b = loitering([_track(dwell={"Z": high})], [zone], night=night)
        assert len(a) <= len(b)
        if a:
            assert a[0].strength <= b[0].strength <= 1.0
    threshold = loiter_threshold(zone_type, False)
    assert loitering_strength(low, threshold) <= loitering_strength(high, threshold)


def test_perimeter_walk_needs_three_cameras_within_the_time_limit() -> None:
    near = [
        ReidSighting("e1", "person", "side_gate", 3.0, 0.93),
        ReidSighting("e1", "person", "garage", 1.0, 0.91),
    ]
    [found] = perimeter_walk("back_door", near)
    assert found.kind == PERIMETER_WALK and found.entity_id == "e1"
    assert "3 cameras" in found.explanation
    stale = [near[0], ReidSighting("e1", "person", "garage", 45.0, 0.91)]
    assert perimeter_walk("back_door", stale) == []
    assert perimeter_walk("back_door", near[:1]) == []
    # The event's own camera seen again is not a second camera.
    assert perimeter_walk("garage", near) == []


def test_repeated_visits_count_distinct_days_at_this_camera_in_the_last_week() -> None:
    today = date(2026, 11, 27)
    visits = [Visit("car1", "car", "street", today - timedelta(days=d)) for d in (1, 1, 2)]
    [found] = repeated_visits("street", today, ["car1"], visits)
    assert found.kind == REPEATED_VISITS and "3 different days" in found.explanation
    assert repeated_visits("street", today, ["car1"], visits[:2]) == []  # only 2 days with today
    other_camera = [Visit("car1", "car", "garden", today - timedelta(days=d)) for d in (1, 2)]
    assert repeated_visits("street", today, ["car1"], other_camera) == []
    too_old = [Visit("car1", "car", "street", today - timedelta(days=d)) for d in (8, 9)]
    assert repeated_visits("street", today, ["car1"], too_old) == []
    assert repeated_visits("street", today, [], visits) == []


def test_tailgating_is_a_person_entering_right_behind_another() -> None:
    first = _track(track_id=1, dwell={"Back door": 10}, zone_entered_at={"Back door": 4.0})
    second = _track(track_id=2, dwell={"Back door": 8}, zone_entered_at={"Back door": 6.5})
    [found] = tailgating([first, second], [DOOR])
    assert found.kind == TAILGATING and "2.5 s" in found.explanation
    late = _track(track_id=2, dwell={"Back door": 8}, zone_entered_at={"Back door": 30.0})
    assert tailgating([first, late], [DOOR]) == []
    assert tailgating([first, second], [LAWN]) == []  # only entry points
    car_behind = _track("car", track_id=2, dwell={"Back door": 8}, zone_entered_at={"Back door": 5.0})
    assert tailgating([first, car_behind], [DOOR]) == []


def test_count_reversals_ignores_jitter() -> None:
    assert count_reversals([0.5, 0.4, 0.3, 0.45, 0.5], 0.1) == 1
    assert count_reversals([0.5, 0.3, 0.5, 0.3, 0.5], 0.1) == 2
    assert count_reversals([0.5, 0.48, 0.5, 0.48, 0.5], 0.1) == 0
    assert count_reversals([0.3, 0.4, 0.5], 0.1) == 0  # only leaving
    assert count_reversals([], 0.1) == 0


@given(st.lists(st.floats(0, 1), max_size=40), st.floats(0.01, 0.5))
def test_count_reversals_is_bounded_by_the_number_of_legs(distances: list[float], min_change: float) -> None:
    assert 0 <= count_reversals(distances, min_change) <= max(0, (len(distances) - 1) // 2)


def test_approach_and_retreat_from_real_tracks_and_zones() -> None:
    door = Zone(
        id="1", camera="porch", name="Door", zone_type="entry_point", polygon=rectangle(0.4, 0.0, 0.6, 0.2)
    )
    # Feet walk up the picture toward the door (y 0.9 -> 0.5), back down, up again and away.
    legs = [0.9 - 0.05 * i for i in range(9)]
    ys = legs + legs[-2::-1] + legs[1:] + legs[-2::-1]
    frames = [FrameObservation(t=float(i), detections=(_det(0.5, y),)) for i, y in enumerate(ys)]
    summaries, hits = summarize(track(frames), [door])
    assert summaries[0].reversals == 2
    [found] = approach_retreat(summaries)
    assert found.kind == APPROACH_RETREAT
    assert approach_retreat(summaries, BehaviourConfig(retreat_cycles=3)) == []


def _det(x: float, y: float) -> Detection:
    return Detection("person", 0.9, Box(x - 0.05, y - 0.2, x + 0.05, y))


def test_detect_behaviours_orders_by_strength_and_the_heuristic_only_adds() -> None:
    tracks = [_track(dwell={"Back door": 400})]
    sightings = [
        ReidSighting("e1", "person", "side_gate", 3.0, 0.93),
        ReidSighting("e1", "person", "garage", 1.0, 0.91),
    ]
    found = detect_behaviours(
        camera="back_door", night=True, tracks=tracks, zones=[DOOR], sightings=sightings
    )
    assert {f.kind for f in found} == {LOITERING, PERIMETER_WALK}
    assert [f.strength for f in found] == sorted((f.strength for f in found), reverse=True)
    base = EventContext(
        camera="back_door",
        camera_name="Back door",
        started_at="2026-11-27T03:00:00+00:00",
        ended_at="2026-11-27T03:05:00+00:00",
        local_time="03:00",
        weekday="Friday",
        is_night=True,
        objects={"person": 1},
        zones=(DOOR,),
        tracks=tuple(tracks),
    )
    plain = score_context(base)
    with_behaviour = score_context(replace(base, behaviours=found))
    assert with_behaviour.risk_score >= plain.risk_score
    assert "behaviour: person stayed" in with_behaviour.reasoning


def test_context_json_round_trips_behaviours_and_rejects_bad_ones() -> None:
    finding = BehaviourFinding(LOITERING, "person", 0.7, "person stayed 90 s", None)
    context = EventContext(
        camera="c",
        camera_name="C",
        started_at="2026-11-27T03:00:00+00:00",
        ended_at="2026-11-27T03:05:00+00:00",
        local_time="03:00",
        weekday="Friday",
        is_night=True,
        objects={"person": 1},
        behaviours=(finding,),
    )
    assert EventContext.from_dict(context.to_dict()) == context
    data = context.to_dict()
    for bad in ({"kind": "dancing"}, {"strength": 1.5}, {"strength": "high"}, {"colour": "red"}):
        broken = {**data, "behaviours": [{**data["behaviours"][0], **bad}]}
        with pytest.raises(InvalidContext):
            EventContext.from_dict(broken)
