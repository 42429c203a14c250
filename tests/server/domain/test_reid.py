"""Re-ID matching: cosine similarity and the best match above the threshold."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inference_server.domain.reid import (
    DEFAULT_THRESHOLD,
    ReidCandidate,
    best_match,
    cosine,
    matches,
    normalize,
    sightings,
)

vectors = st.lists(st.floats(min_value=-10, max_value=10, allow_nan=False), min_size=1, max_size=32)


def test_cosine_of_known_vectors() -> None:
    assert cosine([1.0, 0.0], [1.0, 0.0]) == pytest.approx(1.0)
    assert cosine([1.0, 0.0], [0.0, 2.0]) == pytest.approx(0.0)
    assert cosine([1.0, 0.0], [-3.0, 0.0]) == pytest.approx(-1.0)
    assert cosine([1.0, 1.0], [1.0, 0.0]) == pytest.approx(1 / math.sqrt(2))


def test_cosine_refuses_mismatched_empty_or_nan_vectors() -> None:
    with pytest.raises(ValueError, match="length"):
        cosine([1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match="empty"):
        cosine([], [])
    with pytest.raises(ValueError, match="NaN"):
        cosine([1.0, float("nan")], [1.0, 0.0])


def test_a_zero_vector_is_similar_to_nothing() -> None:
    assert cosine([0.0, 0.0], [1.0, 0.0]) == 0.0


@settings(max_examples=200)
@given(vectors, st.data())
def test_cosine_is_symmetric_bounded_and_scale_invariant(a: list[float], data: st.DataObject) -> None:
    b = data.draw(
        st.lists(st.floats(min_value=-10, max_value=10, allow_nan=False), min_size=len(a), max_size=len(a))
    )
    c = cosine(a, b)
    assert -1.0 <= c <= 1.0
    assert c == pytest.approx(cosine(b, a), abs=1e-12)
    assert cosine([3.0 * x for x in a], b) == pytest.approx(c, abs=1e-9)


@settings(max_examples=200)
@given(vectors)
def test_normalized_vectors_have_unit_length_and_match_themselves(a: list[float]) -> None:
    unit = normalize(a)
    if any(a):
        assert math.fsum(x * x for x in unit) == pytest.approx(1.0)
        assert cosine(a, a) == pytest.approx(1.0)


def candidates() -> list[ReidCandidate]:
    return [
        ReidCandidate("alice", [1.0, 0.0, 0.0], "person", "driveway", 1.5),
        ReidCandidate("bob", [0.9, 0.3, 0.0], "person", "backyard", 4.0),
        ReidCandidate("car-1", [1.0, 0.05, 0.0], "car", "driveway", 2.0),
        ReidCandidate("carol", [0.0, 1.0, 0.0], "person", "side_gate", 0.5),
    ]


def test_best_match_picks_the_most_similar_above_the_threshold() -> None:
    match = best_match([1.0, 0.02, 0.0], candidates(), label="person")
    assert match is not None and match.entity_id == "alice"
    assert match.similarity == pytest.approx(cosine([1.0, 0.02, 0.0], [1.0, 0.0, 0.0]))


def test_no_match_below_the_threshold_means_a_new_entity() -> None:
    assert best_match([0.5, 0.5, 0.7], candidates()) is None
    assert DEFAULT_THRESHOLD == 0.85


def test_label_keeps_people_and_cars_apart() -> None:
    match = best_match([1.0, 0.05, 0.0], candidates(), label="car")
    assert match is not None and match.entity_id == "car-1"
    found = [m.entity_id for m in matches([1.0, 0.05, 0.0], candidates(), label="person")]
    assert "car-1" not in found and found[0] == "alice"


def test_ties_go_to_the_first_candidate() -> None:
    twins = [ReidCandidate("first", [1.0, 0.0]), ReidCandidate("second", [2.0, 0.0])]
    match = best_match([1.0, 0.0], twins)
    assert match is not None and match.entity_id == "first"


def test_sightings_skip_the_events_own_camera_and_keep_one_per_entity_camera() -> None:
    pool = [*candidates(), ReidCandidate("alice", [0.9, 0.2, 0.0], "person", "driveway", 3.0)]
    found = sightings([1.0, 0.02, 0.0], pool, label="person", exclude_camera="backyard")
    assert [(s.entity_id, s.camera) for s in found] == [("alice", "driveway")]
    assert found[0].minutes_ago == 1.5  # the more similar of alice's two driveway sightings


@settings(max_examples=150)
@given(
    st.lists(
        st.lists(st.floats(min_value=-10, max_value=10, allow_nan=False), min_size=8, max_size=8), max_size=6
    ),
    st.floats(min_value=-1, max_value=1),
)
def test_best_match_agrees_with_a_brute_force_scan(pool: list[list[float]], threshold: float) -> None:
    query = [1.0, -2.0, 0.5, 0.0, 3.0, 1.0, -1.0, 0.25]
    cands = [ReidCandidate(f"e{i}", v) for i, v in enumerate(pool)]
    scored = [(cosine(query, c.vector), -i, c.entity_id) for i, c in enumerate(cands)]
    eligible = [s for s in scored if s[0] >= threshold]
    match = best_match(query, cands, threshold)
    if not eligible:
        assert match is None
    else:
        assert match is not None and match.entity_id == max(eligible)[2]


def test_plain_entity_vector_pairs_are_accepted() -> None:
    match = best_match([0.0, 1.0], [("a", [1.0, 0.0]), ("b", [0.1, 1.0])])
    assert match is not None and match.entity_id == "b" and match.candidate.camera == ""
