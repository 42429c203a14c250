"""Following objects across the frames of one camera's event window.

`track` links the detections of consecutive frames into tracks (greedy: best IoU first, then
nearest centroid, never across incompatible classes). `summarize` turns tracks into the parts of
an EventContext: dwell per zone, tripwire crossings and an approach vector per track, and the
zones hit by the event as a whole.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from inference_server.domain.behaviour import DEFAULT_BEHAVIOUR_CONFIG, count_reversals
from inference_server.domain.context import Approach, LineCrossing, TrackSummary, ZoneHit
from inference_server.domain.detections import Box, Detection, category_of
from inference_server.domain.zones import (
    Point,
    Tripwire,
    Zone,
    centroid,
    crossing,
    distance_to_polygon,
)

DEFAULT_MAX_GAP_SECONDS = 10.0
DEFAULT_FRAME_SECONDS = 1.0
DEFAULT_RETREAT_MIN_CHANGE = DEFAULT_BEHAVIOUR_CONFIG.retreat_min_change
# Below this (frame widths per second) an object is standing still; jitter of a detector box is
# usually a few thousandths of the frame per frame.
STATIONARY_SPEED = 0.02
# An object heads "toward" a target when its motion is within this angle of the target.
_TOWARD_COS = math.cos(math.radians(60.0))
_APPROACH_POINTS = 5


@dataclass(frozen=True, slots=True)
class FrameObservation:
    """The detections of one frame; `t` is seconds since the start of the window."""

    t: float
    detections: tuple[Detection, ...]


@dataclass(frozen=True, slots=True)
class TrackPoint:
    """One observation of a tracked object."""

    t: float
    box: Box
    confidence: float
    label: str


@dataclass(frozen=True, slots=True)
class Track:
    """One object followed across frames; points are in time order."""

    track_id: int
    points: tuple[TrackPoint, ...]

    @property
    def label(self) -> str:
        """The most frequent detector label of the track (earliest wins a tie)."""
        counts = Counter(p.label for p in self.points)
        best = max(counts.values())
        return next(p.label for p in self.points if counts[p.label] == best)

    @property
    def first_t(self) -> float:
        """Time of the first observation."""
        return self.points[0].t

    @property
    def last_t(self) -> float:
        """Time of the last observation."""
        return self.points[-1].t

    @property
    def max_confidence(self) -> float:
        """The highest detector confidence along the track."""
        return max(p.confidence for p in self.points)


@dataclass(slots=True)
class _OpenTrack:
    track_id: int
    points: list[TrackPoint] = field(default_factory=list)

    @property
    def last(self) -> TrackPoint:
        return self.points[-1]


def compatible_labels(a: str, b: str) -> bool:
    """Whether two detector labels may belong to one object.

    The same label always may. Labels of the same category (person, vehicle, animal, package)
    may too, because detectors flip between e.g. car and truck or cat and dog from frame to
    frame; labels outside those categories must match exactly.
    """
    if a == b:
        return True
    category = category_of(a)
    return category != "other" and category == category_of(b)


def _centroid_distance(a: Box, b: Box) -> float:
    (ax, ay), (bx, by) = a.centre, b.centre
    return math.hypot(ax - bx, ay - by)


def track(
    frames: Iterable[FrameObservation],
    iou_threshold: float = 0.3,
    max_centroid_distance: float = 0.15,
    max_gap_seconds: float = DEFAULT_MAX_GAP_SECONDS,
) -> list[Track]:
    """Associate the detections of successive frames into tracks.

    Frames are taken in time order (a stable sort by `t`). For each frame, tracks seen within the
    last `max_gap_seconds` are candidates. Pairs of (track, detection) with compatible labels
    (see `compatible_labels`) are matched greedily: first by IoU of the detection with the
    track's last box (highest first, at least `iou_threshold`), then the rest by centroid
    distance (nearest first, at most `max_centroid_distance` in frame fractions). Each track
    takes at most one detection per frame; an unmatched detection starts a new track. Ties are
    broken by track id and detection order, so the result is deterministic. Track ids count up
    from 1 in order of creation; every detection ends up in exactly one track.
    """
    open_tracks: list[_OpenTrack] = []
    next_id = 1
    for frame in sorted(frames, key=lambda f: f.t):
        candidates = [tr for tr in open_tracks if frame.t - tr.last.t <= max_gap_seconds]
        dets = list(frame.detections)
        assigned: dict[int, int] = {}  # detection index -> index into candidates
        used_tracks: set[int] = set()

        by_iou: list[tuple[float, int, int]] = []
        for tr in candidates:
            for di, det in enumerate(dets):
                if not compatible_labels(tr.last.label, det.label):
                    continue
                iou = tr.last.box.iou(det.box)
                if iou >= iou_threshold and iou > 0.0:
                    by_iou.append((-iou, tr.track_id, di))
        _assign_greedy(by_iou, candidates, assigned, used_tracks)

        by_distance: list[tuple[float, int, int]] = []
        for ti, tr in enumerate(candidates):
            if ti in used_tracks:
                continue
            for di, det in enumerate(dets):
                if di in assigned or not compatible_labels(tr.last.label, det.label):
                    continue
                distance = _centroid_distance(tr.last.box, det.box)
                if distance <= max_centroid_distance:
                    by_distance.append((distance, tr.track_id, di))
        _assign_greedy(by_distance, candidates, assigned, used_tracks)

        for di, det in enumerate(dets):
            point = TrackPoint(t=frame.t, box=det.box, confidence=det.confidence, label=det.label)
            if di in assigned:
                candidates[assigned[di]].points.append(point)
            else:
                open_tracks.append(_OpenTrack(track_id=next_id, points=[point]))
                next_id += 1
    return [Track(track_id=tr.track_id, points=tuple(tr.points)) for tr in open_tracks]


def _assign_greedy(
    pairs: list[tuple[float, int, int]],
    candidates: list[_OpenTrack],
    assigned: dict[int, int],
    used_tracks: set[int],
) -> None:
    index_of = {tr.track_id: i for i, tr in enumerate(candidates)}
    for _, track_id, di in sorted(pairs):
        ti = index_of[track_id]
        if ti in used_tracks or di in assigned:
            continue
        assigned[di] = ti
        used_tracks.add(ti)


def summarize(
    tracks: Sequence[Track],
    zones: Sequence[Zone],
    tripwires: Sequence[Tripwire] = (),
    frame_seconds: float = DEFAULT_FRAME_SECONDS,
    retreat_min_change: float = DEFAULT_RETREAT_MIN_CHANGE,
) -> tuple[list[TrackSummary], list[ZoneHit]]:
    """The EventContext parts for a window's tracks: per-track summaries and the zones hit.

    Positions are box bottom-centres (where an object stands). For each track:
    - dwell in a zone = time between its first and last observation inside the zone, plus
      `frame_seconds` (one frame is assumed to last that long, so a single sighting counts);
      `duration_seconds` is measured the same way over the whole track;
    - crossings = each tripwire crossed between consecutive observations, with its direction;
    - approach = see `approach_of`;
    - zone_entered_at = when the track first stood in each zone (seconds since the window opened);
    - reversals = toward-then-away cycles relative to the nearest entry point, each leg at least
      `retreat_min_change` of the frame (`behaviour.count_reversals`).
    The zone hits merge all tracks: one per zone name, with the labels of the tracks in it and
    the longest dwell of any of them, ordered by priority (highest first) then name. Disabled
    zones are ignored.
    """
    active = [zone for zone in zones if zone.enabled]
    entry_points = [zone for zone in active if zone.zone_type == "entry_point"]
    summaries: list[TrackSummary] = []
    hit_labels: dict[str, set[str]] = {}
    hit_dwell: dict[str, float] = {}
    zone_by_name: dict[str, Zone] = {}
    for tr in sorted(tracks, key=lambda t: t.track_id):
        label = tr.label
        first_in: dict[str, float] = {}
        last_in: dict[str, float] = {}
        for p in tr.points:
            foot = p.box.bottom_centre
            for zone in active:
                if zone.contains(foot):
                    first_in.setdefault(zone.name, p.t)
                    last_in[zone.name] = p.t
                    zone_by_name.setdefault(zone.name, zone)
        dwell = {name: round(last_in[name] - first_in[name] + frame_seconds, 3) for name in first_in}
        for name, seconds in dwell.items():
            hit_labels.setdefault(name, set()).add(label)
            hit_dwell[name] = max(hit_dwell.get(name, 0.0), seconds)
        crossings: list[LineCrossing] = []
        for prev, cur in zip(tr.points, tr.points[1:], strict=False):
            for line in tripwires:
                direction = crossing(prev.box.bottom_centre, cur.box.bottom_centre, line)
                if direction is not None:
                    crossings.append(LineCrossing(line=line.name, direction=direction, label=label))
        summaries.append(
            TrackSummary(
                track_id=tr.track_id,
                label=label,
                frames=len(tr.points),
                duration_seconds=round(tr.last_t - tr.first_t + frame_seconds, 3),
                zones=tuple(sorted(first_in, key=lambda name: (first_in[name], name))),
                dwell_seconds=dwell,
                crossings=tuple(crossings),
                approach=approach_of(tr, entry_points),
                zone_entered_at={name: round(t, 3) for name, t in first_in.items()},
                reversals=_reversals(tr, entry_points, retreat_min_change),
            )
        )
    hits = [
        ZoneHit(
            name=name,
            zone_type=zone_by_name[name].zone_type,
            priority=zone_by_name[name].priority,
            labels=tuple(sorted(hit_labels[name])),
            dwell_seconds=hit_dwell[name],
        )
        for name in hit_labels
    ]
    hits.sort(key=lambda hit: (-hit.priority, hit.name))
    return summaries, hits


def _reversals(tr: Track, entry_points: Sequence[Zone], min_change: float) -> int:
    if not entry_points or len(tr.points) < 3:
        return 0
    distances = [
        min(distance_to_polygon(p.box.bottom_centre, zone.polygon)[0] for zone in entry_points)
        for p in tr.points
    ]
    return count_reversals(distances, min_change)


def velocity(points: Sequence[TrackPoint]) -> tuple[float, float] | None:
    """Least-squares velocity (dx/dt, dy/dt) of the bottom-centres, or None without a time span."""
    if len(points) < 2:
        return None
    ts = [p.t for p in points]
    mean_t = sum(ts) / len(ts)
    var_t = sum((t - mean_t) ** 2 for t in ts)
    if var_t <= 0.0:
        return None
    feet = [p.box.bottom_centre for p in points]
    mean_x = sum(f[0] for f in feet) / len(feet)
    mean_y = sum(f[1] for f in feet) / len(feet)
    vx = sum((t - mean_t) * (f[0] - mean_x) for t, f in zip(ts, feet, strict=True)) / var_t
    vy = sum((t - mean_t) * (f[1] - mean_y) for t, f in zip(ts, feet, strict=True)) / var_t
    return vx, vy


def approach_of(tr: Track, entry_points: Sequence[Zone]) -> Approach | None:
    """Where the track was heading at its end, judged on its last five observations.

    Velocity is a least-squares fit of the bottom-centre over time, in frame fractions per
    second (x in frame widths, y in frame heights; the speed reported treats both as frame
    widths). Below 0.02/s the object is "stationary". Otherwise, among entry_point zones that
    the motion points at (within 60 degrees of the direction to the zone's nearest point, or of
    its centroid when already inside), the nearest is the target: direction
    "toward:<zone name>", ETA = distance / closing speed (0 when inside). If the motion points
    away (more than 120 degrees) from the nearest entry point it is "away", else "across".
    Without entry_point zones the camera stands in for the house: moving down the picture (toward
    the camera) is "toward:camera", up the picture "away", sideways "across".
    Returns None when the track has no time span to measure.
    """
    recent = tr.points[-_APPROACH_POINTS:]
    v = velocity(recent)
    if v is None:
        return None
    vx, vy = v
    speed = math.hypot(vx, vy)
    if speed < STATIONARY_SPEED:
        return Approach(direction="stationary", speed=round(speed, 4))
    here = recent[-1].box.bottom_centre
    if not entry_points:
        return Approach(direction=_camera_direction(vx, vy, speed), speed=round(speed, 4))

    options: list[tuple[float, str, float]] = []  # (distance, name, closing speed)
    for zone in entry_points:
        distance, nearest = distance_to_polygon(here, zone.polygon)
        target: Point = centroid(zone.polygon) if distance <= 1e-9 else nearest
        closing = _closing_speed(here, target, vx, vy)
        options.append((distance, zone.name, closing))
    options.sort()
    toward = [o for o in options if o[2] >= _TOWARD_COS * speed]
    if toward:
        distance, name, closing = toward[0]
        eta = 0.0 if distance <= 1e-9 else distance / closing
        return Approach(
            direction=f"toward:{name}",
            speed=round(speed, 4),
            eta_seconds=round(eta, 1),
            target_zone=name,
        )
    _, _, closing = options[0]
    direction = "away" if closing <= -_TOWARD_COS * speed else "across"
    return Approach(direction=direction, speed=round(speed, 4))


def _closing_speed(here: Point, target: Point, vx: float, vy: float) -> float:
    dx, dy = target[0] - here[0], target[1] - here[1]
    length = math.hypot(dx, dy)
    if length <= 1e-12:
        return math.hypot(vx, vy)  # standing on the target: any motion is "at" it
    return (vx * dx + vy * dy) / length


def _camera_direction(vx: float, vy: float, speed: float) -> str:
    if vy >= _TOWARD_COS * speed:
        return "toward:camera"
    if vy <= -_TOWARD_COS * speed:
        return "away"
    return "across"
