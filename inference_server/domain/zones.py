"""Zone geometry: polygons in normalized frame coordinates, and directed tripwires.

Coordinates are fractions of the frame: (0, 0) is the top-left corner, (1, 1) the bottom-right,
x grows to the right and y grows downward (image convention). An object is *in* a zone when the
bottom-centre of its box (where it touches the ground) lies inside the zone's polygon.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final, Literal

from inference_server.domain.detections import Box

Point = tuple[float, float]
Polygon = tuple[Point, ...]
CrossingDirection = Literal["in", "out"]

ZONE_TYPES: Final = ("entry_point", "driveway", "sidewalk", "yard", "other")
MAX_POLYGON_POINTS: Final = 256
# Tolerance for "on the edge" and for degenerate areas; coordinates are fractions of a frame, so
# 1e-9 is far below a pixel of any camera.
_EPS: Final = 1e-9


class InvalidZone(ValueError):
    """A zone, polygon or tripwire that cannot be used; the message says what to fix."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Zone:
    """A named region of one camera's frame.

    `priority` orders zones of the same camera (higher matters more); `zone_type` is one of
    entry_point, driveway, sidewalk, yard, other. The polygon is validated on construction.
    """

    id: str
    camera: str
    name: str
    zone_type: str
    priority: int = 0
    polygon: Polygon
    enabled: bool = True

    def __post_init__(self) -> None:
        if self.zone_type not in ZONE_TYPES:
            raise InvalidZone(
                f"zone {self.name!r}: type {self.zone_type!r} is not one of {', '.join(ZONE_TYPES)}"
            )
        if isinstance(self.priority, bool) or not isinstance(self.priority, int):
            raise InvalidZone(f"zone {self.name!r}: priority must be an integer, got {self.priority!r}")
        try:
            polygon = validate_polygon(self.polygon)
        except InvalidZone as exc:
            raise InvalidZone(f"zone {self.name!r}: {exc}") from exc
        object.__setattr__(self, "polygon", polygon)

    def contains(self, point: Point) -> bool:
        """Whether the point is inside the polygon or on its boundary (ignores `enabled`)."""
        return point_in_polygon(point, self.polygon)


def rectangle(x1: float, y1: float, x2: float, y2: float) -> Polygon:
    """The polygon of an axis-aligned rectangle given by two opposite corners (any order).

    Raises InvalidZone when a corner is outside 0..1 or the rectangle has no area.
    """
    left, right = sorted((x1, x2))
    top, bottom = sorted((y1, y2))
    return validate_polygon(((left, top), (right, top), (right, bottom), (left, bottom)))


def validate_polygon(points: Iterable[Sequence[float]]) -> Polygon:
    """Check a polygon and return it as a tuple of (x, y) float pairs.

    A valid polygon has 3 to 256 vertices, every coordinate finite and within 0..1, no repeated
    consecutive vertex, a non-zero area and no self-intersection (edges meet only where they
    share a vertex, and no edge folds back on the previous one). A closing vertex equal to the
    first is accepted and dropped. Raises InvalidZone with the reason otherwise.
    """
    pts: list[Point] = []
    for i, raw in enumerate(points):
        if len(raw) != 2:
            raise InvalidZone(f"point {i} must be an (x, y) pair, got {len(raw)} values")
        x, y = raw
        if isinstance(x, bool) or isinstance(y, bool):
            raise InvalidZone(f"point {i} must hold numbers, got {raw!r}")
        try:
            fx, fy = float(x), float(y)
        except (TypeError, ValueError) as exc:
            raise InvalidZone(f"point {i} must hold numbers, got {raw!r}") from exc
        if not (math.isfinite(fx) and math.isfinite(fy)):
            raise InvalidZone(f"point {i} is not a finite number: {raw!r}")
        if not (0.0 <= fx <= 1.0 and 0.0 <= fy <= 1.0):
            raise InvalidZone(
                f"point {i} ({fx:g}, {fy:g}) is outside the frame: use coordinates between 0 and 1"
            )
        pts.append((fx, fy))
    if len(pts) > 3 and pts[0] == pts[-1]:
        pts.pop()
    if len(pts) < 3:
        raise InvalidZone(f"a polygon needs at least 3 points, got {len(pts)}")
    if len(pts) > MAX_POLYGON_POINTS:
        raise InvalidZone(f"a polygon may have at most {MAX_POLYGON_POINTS} points, got {len(pts)}")
    n = len(pts)
    for i in range(n):
        if _close(pts[i], pts[(i + 1) % n]):
            raise InvalidZone(f"points {i} and {(i + 1) % n} are the same: remove the repeated point")
    p0, p1 = pts[0], pts[1]
    if all(abs(_cross((p1[0] - p0[0], p1[1] - p0[1]), (q[0] - p0[0], q[1] - p0[1]))) <= _EPS for q in pts):
        raise InvalidZone("the polygon has no area: its points lie on one line")
    for i in range(n):
        for j in range(i + 2, n):
            if i == 0 and j == n - 1:
                continue  # adjacent through the closing edge
            if _segments_intersect(pts[i], pts[(i + 1) % n], pts[j], pts[(j + 1) % n]):
                raise InvalidZone(
                    f"the polygon crosses itself: edge {i}-{(i + 1) % n} meets edge {j}-{(j + 1) % n}"
                )
    for i in range(n):
        a, b, c = pts[i], pts[(i + 1) % n], pts[(i + 2) % n]
        d1 = (b[0] - a[0], b[1] - a[1])
        d2 = (c[0] - b[0], c[1] - b[1])
        if abs(_cross(d1, d2)) <= _EPS * math.hypot(*d1) * math.hypot(*d2) and _dot(d1, d2) < 0:
            raise InvalidZone(f"the edge at point {(i + 1) % n} folds back on itself")
    if abs(polygon_area(pts)) <= _EPS:
        raise InvalidZone("the polygon has (almost) no area: make it larger")
    return tuple(pts)


def polygon_area(polygon: Sequence[Point]) -> float:
    """The signed area (shoelace formula); positive when the points run clockwise on screen."""
    n = len(polygon)
    total = 0.0
    for i in range(n):
        x1, y1 = polygon[i]
        x2, y2 = polygon[(i + 1) % n]
        total += x1 * y2 - x2 * y1
    return total / 2.0


def point_in_polygon(point: Point, polygon: Sequence[Point]) -> bool:
    """Whether `point` lies inside `polygon` (simple, convex or concave), by ray casting.

    Points ON the boundary (an edge or a vertex, within 1e-9) count as inside: an object
    standing exactly on a zone's painted line is in the zone, and two zones sharing an edge both
    claim a point on it rather than neither. Elsewhere the even-odd rule is applied to a ray
    cast toward +x, with half-open edge spans so that a ray through a vertex is counted once.
    """
    px, py = point
    n = len(polygon)
    for i in range(n):
        if _on_segment(point, polygon[i], polygon[(i + 1) % n]):
            return True
    inside = False
    j = n - 1
    for i in range(n):
        xi, yi = polygon[i]
        xj, yj = polygon[j]
        if (yi > py) != (yj > py):
            x_at = xi + (py - yi) * (xj - xi) / (yj - yi)
            if px < x_at:
                inside = not inside
        j = i
    return inside


def distance_to_polygon(point: Point, polygon: Sequence[Point]) -> tuple[float, Point]:
    """Distance from the point to the polygon (0 inside) and the polygon's nearest point.

    For a point inside, the nearest point is the point itself.
    """
    if point_in_polygon(point, polygon):
        return 0.0, point
    best = math.inf
    nearest = polygon[0]
    n = len(polygon)
    for i in range(n):
        q = _nearest_on_segment(point, polygon[i], polygon[(i + 1) % n])
        d = math.hypot(q[0] - point[0], q[1] - point[1])
        if d < best:
            best, nearest = d, q
    return best, nearest


def centroid(polygon: Sequence[Point]) -> Point:
    """The area centroid of a simple polygon."""
    area = polygon_area(polygon)
    cx = cy = 0.0
    n = len(polygon)
    for i in range(n):
        x1, y1 = polygon[i]
        x2, y2 = polygon[(i + 1) % n]
        f = x1 * y2 - x2 * y1
        cx += (x1 + x2) * f
        cy += (y1 + y2) * f
    return (cx / (6.0 * area), cy / (6.0 * area))


def zones_hit(box: Box, zones: Iterable[Zone]) -> list[Zone]:
    """The enabled zones that contain the box's bottom-centre, highest priority first.

    Zones of equal priority keep the order they were given in.
    """
    foot = box.bottom_centre
    hits = [zone for zone in zones if zone.enabled and zone.contains(foot)]
    return sorted(hits, key=lambda zone: -zone.priority)


@dataclass(frozen=True, slots=True)
class Tripwire:
    """A directed line segment from `a` to `b`; crossing it is reported with a direction.

    See `crossing` for which direction is "in".
    """

    name: str
    a: Point
    b: Point

    def __post_init__(self) -> None:
        for end in (self.a, self.b):
            if not all(math.isfinite(v) and 0.0 <= v <= 1.0 for v in end):
                raise InvalidZone(f"tripwire {self.name!r}: end {end!r} is outside the 0..1 frame")
        if _close(self.a, self.b):
            raise InvalidZone(f"tripwire {self.name!r}: its two ends are the same point")


def side_of(point: Point, line: Tripwire) -> float:
    """Signed side of the point relative to the line a->b in image coordinates (y down).

    Negative: on the LEFT of a->b as seen on screen by someone standing at `a` facing `b`
    (for a line drawn left to right, the upper part of the picture); positive: on the RIGHT
    (the lower part of the picture); zero: on the line.
    """
    (ax, ay), (bx, by) = line.a, line.b
    return (bx - ax) * (point[1] - ay) - (by - ay) * (point[0] - ax)


def crossing(prev_pt: Point, cur_pt: Point, line: Tripwire) -> CrossingDirection | None:
    """Whether moving from `prev_pt` to `cur_pt` crosses the tripwire segment, and which way.

    Sides are those of `side_of`: looking at the picture and standing at `a` facing `b`, left
    is to your left. "in" means crossing from the left side to the right side; "out" means from
    right to left. For a line drawn left to right across a path, "in" is moving down the
    picture, which for most mounted cameras means toward the camera and the house.

    A point exactly on the line counts as on its LEFT side, so a path that touches the line and
    turns back is no crossing, and a path that stops on the line and continues is counted once.
    The movement must pass through the segment a-b itself (its ends included); passing beside
    it, beyond an end, is not a crossing. Returns None when there is no crossing.
    """
    sp = side_of(prev_pt, line)
    sc = side_of(cur_pt, line)
    prev_right = sp > 0.0
    cur_right = sc > 0.0
    if prev_right == cur_right:
        return None
    s = sp / (sp - sc)  # fraction along prev->cur where it meets the infinite line
    x = prev_pt[0] + s * (cur_pt[0] - prev_pt[0])
    y = prev_pt[1] + s * (cur_pt[1] - prev_pt[1])
    (ax, ay), (bx, by) = line.a, line.b
    dx, dy = bx - ax, by - ay
    t = ((x - ax) * dx + (y - ay) * dy) / (dx * dx + dy * dy)
    if t < -_EPS or t > 1.0 + _EPS:
        return None
    return "in" if cur_right else "out"


def _cross(u: Point, v: Point) -> float:
    return u[0] * v[1] - u[1] * v[0]


def _dot(u: Point, v: Point) -> float:
    return u[0] * v[0] + u[1] * v[1]


def _close(p: Point, q: Point) -> bool:
    return abs(p[0] - q[0]) <= _EPS and abs(p[1] - q[1]) <= _EPS


def _orientation(p: Point, q: Point, r: Point) -> int:
    value = _cross((q[0] - p[0], q[1] - p[1]), (r[0] - p[0], r[1] - p[1]))
    if abs(value) <= _EPS * _EPS:
        return 0
    return 1 if value > 0 else -1


def _within_box(p: Point, a: Point, b: Point) -> bool:
    return (
        min(a[0], b[0]) - _EPS <= p[0] <= max(a[0], b[0]) + _EPS
        and min(a[1], b[1]) - _EPS <= p[1] <= max(a[1], b[1]) + _EPS
    )


def _segments_intersect(p1: Point, p2: Point, q1: Point, q2: Point) -> bool:
    """Whether two closed segments share at least one point (touching counts)."""
    o1 = _orientation(p1, p2, q1)
    o2 = _orientation(p1, p2, q2)
    o3 = _orientation(q1, q2, p1)
    o4 = _orientation(q1, q2, p2)
    if o1 != o2 and o3 != o4:
        return True
    return (
        (o1 == 0 and _within_box(q1, p1, p2))
        or (o2 == 0 and _within_box(q2, p1, p2))
        or (o3 == 0 and _within_box(p1, q1, q2))
        or (o4 == 0 and _within_box(p2, q1, q2))
    )


def _nearest_on_segment(p: Point, a: Point, b: Point) -> Point:
    dx, dy = b[0] - a[0], b[1] - a[1]
    length2 = dx * dx + dy * dy
    if length2 == 0.0:
        return a
    t = max(0.0, min(1.0, ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / length2))
    return (a[0] + t * dx, a[1] + t * dy)


def _on_segment(p: Point, a: Point, b: Point) -> bool:
    q = _nearest_on_segment(p, a, b)
    return math.hypot(q[0] - p[0], q[1] - p[1]) <= _EPS
