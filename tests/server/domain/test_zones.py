"""Zone geometry: polygons, point-in-polygon on edges and concave shapes, tripwire crossings."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inference_server.domain.detections import Box
from inference_server.domain.zones import (
    InvalidZone,
    Tripwire,
    Zone,
    crossing,
    distance_to_polygon,
    point_in_polygon,
    rectangle,
    validate_polygon,
    zones_hit,
)

unit = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)
fraction = st.floats(min_value=0.0, max_value=1.0, allow_nan=False, exclude_min=True, exclude_max=True)

# An L: the lower-left square plus a bar across the top-left. Concave at (0.5, 0.5).
L_SHAPE = ((0.1, 0.1), (0.5, 0.1), (0.5, 0.5), (0.9, 0.5), (0.9, 0.9), (0.1, 0.9))


def zone(
    name: str, polygon: tuple[tuple[float, float], ...], zone_type: str = "yard", priority: int = 0
) -> Zone:
    return Zone(id=name, camera="front", name=name, zone_type=zone_type, priority=priority, polygon=polygon)


# --- validation -------------------------------------------------------------------------------


def test_rectangle_accepts_corners_in_any_order() -> None:
    assert rectangle(0.8, 0.9, 0.2, 0.1) == ((0.2, 0.1), (0.8, 0.1), (0.8, 0.9), (0.2, 0.9))


@pytest.mark.parametrize(
    ("points", "message"),
    [
        ([(0.1, 0.1), (0.5, 0.5)], "at least 3 points"),
        ([(0.1, 0.1), (0.5, 0.5), (1.2, 0.3)], "outside the frame"),
        ([(0.1, 0.1), (0.5, 0.5), (float("nan"), 0.3)], "finite"),
        ([(0.1, 0.1), (0.5, 0.5), (0.9, 0.9)], "no area"),
        ([(0.1, 0.1), (0.1, 0.1), (0.5, 0.5), (0.1, 0.9)], "same"),
        ([(0.1, 0.1), (0.9, 0.9), (0.9, 0.1), (0.1, 0.9)], "crosses itself"),  # a bow tie
        ([(0.1, 0.1), (0.9, 0.1), (0.5, 0.1), (0.5, 0.9)], "crosses itself|folds back"),
        ([(0.1, 0.1, 0.3), (0.9, 0.1), (0.5, 0.9)], "must be an"),
    ],
)
def test_invalid_polygons_are_refused_with_the_reason(points: list[tuple[float, ...]], message: str) -> None:
    with pytest.raises(InvalidZone, match=message):
        validate_polygon(points)


def test_a_polygon_touching_itself_at_a_vertex_is_refused() -> None:
    # Two triangles meeting at (0.5, 0.5): edges share a point without sharing a vertex index.
    points = [(0.1, 0.1), (0.5, 0.5), (0.9, 0.1), (0.9, 0.9), (0.5, 0.5), (0.1, 0.9)]
    with pytest.raises(InvalidZone):
        validate_polygon(points)


def test_closing_point_equal_to_the_first_is_dropped() -> None:
    assert validate_polygon([(0.1, 0.1), (0.9, 0.1), (0.5, 0.9), (0.1, 0.1)]) == (
        (0.1, 0.1),
        (0.9, 0.1),
        (0.5, 0.9),
    )


def test_zone_rejects_unknown_type_and_names_the_zone() -> None:
    with pytest.raises(InvalidZone, match=r"'porch'.*'patio'"):
        Zone(id="z", camera="c", name="porch", zone_type="patio", polygon=rectangle(0, 0, 1, 1))
    with pytest.raises(InvalidZone, match="porch"):
        Zone(id="z", camera="c", name="porch", zone_type="yard", polygon=((0.1, 0.1), (0.2, 0.2)))


# --- point in polygon -------------------------------------------------------------------------


def test_concave_l_shape_excludes_its_notch() -> None:
    assert point_in_polygon((0.3, 0.3), L_SHAPE)  # in the upright bar
    assert point_in_polygon((0.7, 0.7), L_SHAPE)  # in the foot
    assert not point_in_polygon((0.7, 0.3), L_SHAPE)  # the notch
    assert not point_in_polygon((0.95, 0.3), L_SHAPE)


def test_points_on_edges_and_vertices_count_as_inside() -> None:
    square = rectangle(0.2, 0.2, 0.6, 0.6)
    for point in [(0.2, 0.4), (0.6, 0.4), (0.4, 0.2), (0.4, 0.6), (0.2, 0.2), (0.6, 0.6)]:
        assert point_in_polygon(point, square), point
    # The concave vertex and the edges around the notch of the L too.
    for point in [(0.5, 0.5), (0.5, 0.3), (0.7, 0.5)]:
        assert point_in_polygon(point, L_SHAPE), point
    assert not point_in_polygon((0.6 + 1e-6, 0.4), square)


def test_ray_through_a_vertex_is_counted_once() -> None:
    diamond = ((0.5, 0.1), (0.9, 0.5), (0.5, 0.9), (0.1, 0.5))
    assert point_in_polygon((0.3, 0.5), diamond)  # ray passes through vertex (0.9, 0.5)
    assert not point_in_polygon((0.05, 0.5), diamond)  # ray passes through both side vertices
    assert not point_in_polygon((0.3, 0.1), diamond)  # level with the top vertex, outside


@settings(max_examples=200)
@given(unit, unit, unit, unit, fraction, fraction)
def test_a_point_inside_a_rectangle_is_inside_its_polygon(
    x1: float, y1: float, x2: float, y2: float, fx: float, fy: float
) -> None:
    if abs(x1 - x2) < 1e-4 or abs(y1 - y2) < 1e-4:
        return
    left, right = sorted((x1, x2))
    top, bottom = sorted((y1, y2))
    point = (left + fx * (right - left), top + fy * (bottom - top))
    assert point_in_polygon(point, rectangle(x1, y1, x2, y2))


@settings(max_examples=200)
@given(unit, unit)
def test_l_shape_agrees_with_its_two_rectangles(x: float, y: float) -> None:
    in_bar = 0.1 <= x <= 0.5 and 0.1 <= y <= 0.9
    in_foot = 0.5 <= x <= 0.9 and 0.5 <= y <= 0.9
    assert point_in_polygon((x, y), L_SHAPE) == (in_bar or in_foot)


@settings(max_examples=200)
@given(
    st.floats(min_value=-0.09, max_value=0.09, allow_nan=False),
    st.floats(min_value=-0.09, max_value=0.09, allow_nan=False),
    unit,
    unit,
)
def test_membership_is_invariant_under_translation(dx: float, dy: float, x: float, y: float) -> None:
    moved = tuple((px + dx, py + dy) for px, py in L_SHAPE)
    # The L's edges lie on these lines; right next to them rounding may decide, so skip those.
    if any(abs(x - v) < 1e-6 or abs(y - v) < 1e-6 for v in (0.1, 0.5, 0.9)):
        return
    assert point_in_polygon((x + dx, y + dy), moved) == point_in_polygon((x, y), L_SHAPE)


def test_distance_to_polygon_is_zero_inside_and_measures_outside() -> None:
    square = rectangle(0.2, 0.2, 0.6, 0.6)
    assert distance_to_polygon((0.4, 0.4), square)[0] == 0.0
    d, nearest = distance_to_polygon((0.8, 0.4), square)
    assert d == pytest.approx(0.2)
    assert nearest == pytest.approx((0.6, 0.4))


# --- zones hit --------------------------------------------------------------------------------


def test_zones_hit_uses_the_box_bottom_centre_and_orders_by_priority() -> None:
    porch = zone("porch", rectangle(0.3, 0.7, 0.7, 1.0), "entry_point", priority=3)
    lawn = zone("lawn", rectangle(0.0, 0.5, 1.0, 1.0), "yard", priority=1)
    sky = zone("sky", rectangle(0.0, 0.0, 1.0, 0.4), "other", priority=9)
    off = Zone(
        id="off", camera="front", name="off", zone_type="yard", polygon=rectangle(0, 0, 1, 1), enabled=False
    )
    # Head in the "sky" zone, feet on the porch.
    box = Box(0.45, 0.2, 0.55, 0.8)
    assert [z.name for z in zones_hit(box, [lawn, sky, off, porch])] == ["porch", "lawn"]


def test_box_with_feet_outside_every_zone_hits_nothing() -> None:
    porch = zone("porch", rectangle(0.3, 0.7, 0.7, 1.0), "entry_point")
    assert zones_hit(Box(0.0, 0.0, 0.2, 0.3), [porch]) == []


# --- tripwires --------------------------------------------------------------------------------

ACROSS = Tripwire("path", (0.2, 0.5), (0.8, 0.5))  # drawn left to right across the picture


def test_crossing_down_the_picture_over_a_left_to_right_line_is_in() -> None:
    assert crossing((0.5, 0.3), (0.5, 0.7), ACROSS) == "in"
    assert crossing((0.5, 0.7), (0.5, 0.3), ACROSS) == "out"


def test_reversing_the_line_reverses_the_direction() -> None:
    reverse = Tripwire("path", ACROSS.b, ACROSS.a)
    assert crossing((0.5, 0.3), (0.5, 0.7), reverse) == "out"


def test_passing_beside_the_segment_or_staying_on_one_side_is_no_crossing() -> None:
    assert crossing((0.9, 0.3), (0.9, 0.7), ACROSS) is None  # beyond the end b
    assert crossing((0.3, 0.3), (0.7, 0.4), ACROSS) is None
    assert crossing((0.5, 0.3), (0.5, 0.3), ACROSS) is None


def test_stopping_on_the_line_counts_one_crossing_and_touching_it_none() -> None:
    on_line = (0.5, 0.5)
    # Through the line with a stop on it: exactly one "in".
    steps = [crossing((0.5, 0.3), on_line, ACROSS), crossing(on_line, (0.5, 0.7), ACROSS)]
    assert [s for s in steps if s] == ["in"]
    # Touch from above and go back: nothing.
    assert crossing((0.5, 0.3), on_line, ACROSS) is None
    assert crossing(on_line, (0.5, 0.3), ACROSS) is None


def test_crossing_through_an_end_of_the_line_counts() -> None:
    assert crossing((0.2, 0.4), (0.2, 0.6), ACROSS) == "in"


def test_tripwire_rejects_a_zero_length_line() -> None:
    with pytest.raises(InvalidZone, match="same point"):
        Tripwire("x", (0.5, 0.5), (0.5, 0.5))


@settings(max_examples=200)
@given(unit, unit, unit, unit)
def test_going_there_and_back_gives_opposite_or_no_crossings(
    x1: float, y1: float, x2: float, y2: float
) -> None:
    forth = crossing((x1, y1), (x2, y2), ACROSS)
    back = crossing((x2, y2), (x1, y1), ACROSS)
    assert {forth, back} in ({None}, {"in", "out"})
