"""Tracking within a window: association across frames, dwell, crossings and approach."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inference_server.domain.context import EventContext
from inference_server.domain.detections import Box, Detection
from inference_server.domain.tracking import (
    FrameObservation,
    Track,
    TrackPoint,
    approach_of,
    compatible_labels,
    summarize,
    track,
)
from inference_server.domain.zones import Tripwire, Zone, rectangle

FRONT_DOOR = Zone(
    id="z1",
    camera="front",
    name="front_door",
    zone_type="entry_point",
    priority=3,
    polygon=rectangle(0.4, 0.2, 0.6, 0.4),
)
WALKWAY = Zone(
    id="z2",
    camera="front",
    name="walkway",
    zone_type="yard",
    priority=1,
    polygon=rectangle(0.3, 0.4, 0.7, 1.0),
)
SIDEWALK = Zone(
    id="z3", camera="front", name="sidewalk", zone_type="sidewalk", polygon=rectangle(0.0, 0.9, 1.0, 1.0)
)


def person_at(x: float, foot_y: float, confidence: float = 0.9, label: str = "person") -> Detection:
    """A person-sized box whose bottom-centre is at (x, foot_y)."""
    return Detection(label, confidence, Box(x - 0.04, max(0.0, foot_y - 0.2), x + 0.04, foot_y))


def frames_of(*steps: tuple[float, list[Detection]]) -> list[FrameObservation]:
    return [FrameObservation(t, tuple(dets)) for t, dets in steps]


def test_one_person_walking_is_one_track() -> None:
    frames = frames_of(*[(float(i), [person_at(0.5, 0.95 - 0.05 * i)]) for i in range(10)])
    tracks = track(frames)
    assert len(tracks) == 1
    assert tracks[0].label == "person"
    assert len(tracks[0].points) == 10


def test_two_people_side_by_side_keep_their_own_tracks() -> None:
    frames = frames_of(
        *[(float(i), [person_at(0.2 + 0.01 * i, 0.8), person_at(0.7 - 0.01 * i, 0.8)]) for i in range(6)]
    )
    tracks = track(frames)
    assert len(tracks) == 2
    left, right = sorted(tracks, key=lambda t: t.points[0].box.x1)
    assert all(p.box.centre[0] < 0.3 for p in left.points)
    assert all(p.box.centre[0] > 0.6 for p in right.points)


def test_different_classes_never_share_a_track() -> None:
    frames = frames_of((0.0, [person_at(0.5, 0.8)]), (1.0, [person_at(0.5, 0.8, label="car")]))
    assert len(track(frames)) == 2


def test_detector_flipping_between_car_and_truck_stays_one_track() -> None:
    assert compatible_labels("car", "truck")
    assert not compatible_labels("car", "person")
    assert not compatible_labels("kite", "frisbee")
    frames = frames_of(
        *[(float(i), [person_at(0.5, 0.8, label="car" if i % 3 else "truck")]) for i in range(6)]
    )
    tracks = track(frames)
    assert len(tracks) == 1
    assert tracks[0].label == "car"  # the majority label


def test_fast_mover_without_overlap_is_linked_by_centroid_distance() -> None:
    # 0.1 of the frame per step: the boxes (0.08 wide) never overlap, the centres are 0.1 apart.
    frames = frames_of(*[(float(i), [person_at(0.1 + 0.1 * i, 0.8)]) for i in range(6)])
    assert len(track(frames)) == 1
    assert len(track(frames, max_centroid_distance=0.05)) == 6


def test_a_gap_longer_than_allowed_starts_a_new_track() -> None:
    frames = frames_of(
        (0.0, [person_at(0.5, 0.8)]), (1.0, [person_at(0.5, 0.8)]), (20.0, [person_at(0.5, 0.8)])
    )
    assert [len(t.points) for t in track(frames, max_gap_seconds=10.0)] == [2, 1]
    assert [len(t.points) for t in track(frames, max_gap_seconds=30.0)] == [3]


def test_frames_given_out_of_order_are_tracked_in_time_order() -> None:
    frames = frames_of(*[(float(i), [person_at(0.5, 0.95 - 0.05 * i)]) for i in (3, 0, 2, 1)])
    (only,) = track(frames)
    assert [p.t for p in only.points] == [0.0, 1.0, 2.0, 3.0]


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.lists(
            st.tuples(
                st.floats(min_value=0.05, max_value=0.95),
                st.floats(min_value=0.25, max_value=1.0),
                st.sampled_from(["person", "car", "dog"]),
            ),
            max_size=4,
        ),
        max_size=8,
    )
)
def test_every_detection_lands_in_exactly_one_track(
    frames_spec: list[list[tuple[float, float, str]]],
) -> None:
    frames = frames_of(
        *[
            (float(i), [person_at(x, y, label=label) for x, y, label in dets])
            for i, dets in enumerate(frames_spec)
        ]
    )
    tracks = track(frames)
    assert sum(len(t.points) for t in tracks) == sum(len(d) for d in frames_spec)
    for tr in tracks:
        times = [p.t for p in tr.points]
        assert times == sorted(times) and len(set(times)) == len(times)  # one detection per frame
        assert all(compatible_labels(tr.points[0].label, p.label) for p in tr.points)
    assert [t.track_id for t in tracks] == list(range(1, len(tracks) + 1))


@settings(max_examples=100, deadline=None)
@given(
    st.floats(min_value=0.15, max_value=0.85),
    st.floats(min_value=-0.03, max_value=0.03),
    st.integers(min_value=2, max_value=15),
)
def test_a_smoothly_moving_object_is_one_track(x0: float, step: float, n: int) -> None:
    frames = frames_of(*[(float(i), [person_at(min(0.95, max(0.05, x0 + step * i)), 0.8)]) for i in range(n)])
    assert len(track(frames)) == 1


# --- summaries --------------------------------------------------------------------------------


def walk_to_the_door() -> list[Track]:
    # From the sidewalk (y=0.98) up the walkway to the door (feet at y=0.3), 1 frame/s, then wait.
    path = [0.98, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.3, 0.3, 0.3]
    frames = frames_of(*[(float(i), [person_at(0.5, y)]) for i, y in enumerate(path)])
    return track(frames)


def test_dwell_is_first_to_last_observation_in_the_zone_plus_one_frame() -> None:
    summaries, hits = summarize(walk_to_the_door(), [FRONT_DOOR, WALKWAY, SIDEWALK])
    (summary,) = summaries
    # Feet on the door zone (y <= 0.4, its bottom edge included) from t=6 to t=10.
    assert summary.dwell_seconds["front_door"] == pytest.approx(5.0)
    assert summary.dwell_seconds["walkway"] == pytest.approx(6.0 + 1.0)  # t=0..6 (y 0.98 .. 0.4)
    assert summary.zones == ("sidewalk", "walkway", "front_door")
    assert summary.duration_seconds == pytest.approx(11.0)
    assert [h.name for h in hits] == ["front_door", "walkway", "sidewalk"]  # by priority
    assert hits[0].labels == ("person",)
    assert hits[0].zone_type == "entry_point"


def test_frame_seconds_sets_the_duration_of_a_single_sighting() -> None:
    single = track(frames_of((0.0, [person_at(0.5, 0.3)])))
    summaries, hits = summarize(single, [FRONT_DOOR], frame_seconds=2.0)
    assert summaries[0].dwell_seconds == {"front_door": 2.0}
    assert hits[0].dwell_seconds == 2.0
    assert summaries[0].approach is None  # no time span to measure


def test_disabled_zones_are_ignored() -> None:
    off = Zone(
        id="z9", camera="front", name="off", zone_type="yard", polygon=rectangle(0, 0, 1, 1), enabled=False
    )
    summaries, hits = summarize(walk_to_the_door(), [off])
    assert hits == [] and summaries[0].dwell_seconds == {}


def test_crossings_are_reported_with_direction() -> None:
    gate = Tripwire("gate", (0.2, 0.75), (0.8, 0.75))
    summaries, _ = summarize(walk_to_the_door(), [], [gate])
    # Walking up the picture across a left-to-right line: right side to left side = "out".
    assert [(c.line, c.direction, c.label) for c in summaries[0].crossings] == [("gate", "out", "person")]
    reverse = Tripwire("gate", (0.8, 0.75), (0.2, 0.75))
    summaries, _ = summarize(walk_to_the_door(), [], [reverse])
    assert [c.direction for c in summaries[0].crossings] == ["in"]


def test_approach_toward_the_door_has_speed_and_eta() -> None:
    frames = frames_of(*[(float(i), [person_at(0.5, 0.9 - 0.05 * i)]) for i in range(5)])
    (tr,) = track(frames)
    approach = approach_of(tr, [FRONT_DOOR])
    assert approach is not None
    assert approach.direction == "toward:front_door"
    assert approach.target_zone == "front_door"
    assert approach.speed == pytest.approx(0.05)
    # Feet at y=0.7 at the end, the door zone starts at y=0.4: 0.3 away at 0.05/s.
    assert approach.eta_seconds == pytest.approx(6.0)


def test_walking_away_from_the_door_is_away_and_sideways_is_across() -> None:
    away = track(frames_of(*[(float(i), [person_at(0.5, 0.5 + 0.05 * i)]) for i in range(5)]))[0]
    approach = approach_of(away, [FRONT_DOOR])
    assert approach is not None and approach.direction == "away" and approach.eta_seconds is None
    across = track(frames_of(*[(float(i), [person_at(0.1 + 0.05 * i, 0.95)]) for i in range(5)]))[0]
    approach = approach_of(across, [FRONT_DOOR])
    assert approach is not None and approach.direction == "across"


def test_standing_still_is_stationary() -> None:
    still = track(frames_of(*[(float(i), [person_at(0.5, 0.8 + 0.001 * (i % 2))]) for i in range(5)]))[0]
    approach = approach_of(still, [FRONT_DOOR])
    assert approach is not None and approach.direction == "stationary"


def test_inside_the_entry_point_moving_on_has_eta_zero() -> None:
    tr = Track(
        1,
        tuple(TrackPoint(float(i), person_at(0.5, 0.38 - 0.03 * i).box, 0.9, "person") for i in range(3)),
    )
    approach = approach_of(tr, [FRONT_DOOR])
    assert approach is not None
    assert approach.direction == "toward:front_door" and approach.eta_seconds == 0.0


def test_without_entry_points_the_camera_stands_in_for_the_house() -> None:
    toward = track(frames_of(*[(float(i), [person_at(0.5, 0.5 + 0.05 * i)]) for i in range(5)]))[0]
    approach = approach_of(toward, [])
    assert approach is not None and approach.direction == "toward:camera"


def test_summaries_fit_into_an_event_context() -> None:
    summaries, hits = summarize(walk_to_the_door(), [FRONT_DOOR, WALKWAY, SIDEWALK])
    context = EventContext(
        camera="front",
        camera_name="Front",
        started_at="2025-03-04T12:00:00+00:00",
        ended_at="2025-03-04T12:00:11+00:00",
        local_time="12:00",
        weekday="Tuesday",
        is_night=False,
        objects={"person": 1},
        zones=tuple(hits),
        tracks=tuple(summaries),
    )
    data = context.to_dict()
    assert data["tracks"][0]["dwell_seconds"]["front_door"] == pytest.approx(5.0)
    assert data["tracks"][0]["approach"]["direction"] == "toward:front_door"


def test_track_summaries_round_trip_through_context_json() -> None:
    summaries, hits = summarize(walk_to_the_door(), [FRONT_DOOR, WALKWAY, SIDEWALK])
    context = EventContext(
        camera="front",
        camera_name="Front",
        started_at="2025-03-04T12:00:00+00:00",
        ended_at="2025-03-04T12:00:11+00:00",
        local_time="12:00",
        weekday="Tuesday",
        is_night=False,
        objects={"person": 1},
        zones=tuple(hits),
        tracks=tuple(summaries),
    )
    assert EventContext.from_dict(context.to_dict()) == context
