"""A synthetic, realistic day of event contexts (mostly ordinary), to check that a scorer does not
cry wolf. Test data only: it lives beside the tests, not in the package.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Final

from inference_server.domain.context import (
    Approach,
    BaselineInfo,
    EventContext,
    LineCrossing,
    ReidSighting,
    TrackSummary,
    ZoneHit,
)

_TZ: Final = timezone(timedelta(hours=2))
_DAY: Final = datetime(2025, 5, 13, tzinfo=_TZ)  # a Tuesday in May
_WEEKDAYS: Final = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

_CAMERAS: Final[dict[str, str]] = {
    "front_door": "Front Door",
    "driveway": "Driveway",
    "backyard": "Backyard",
    "side_gate": "Side Gate",
}


@dataclass(slots=True)
class _Day:
    rng: random.Random
    contexts: list[EventContext] = field(default_factory=list)

    def at(self, hours: Sequence[tuple[float, float]]) -> datetime:
        start, end = self.rng.choice(list(hours))
        return _DAY + timedelta(hours=self.rng.uniform(start, end))

    def conf(self, low: float = 0.55, high: float = 0.95) -> float:
        return round(self.rng.uniform(low, high), 2)

    def usual(self, label: str, observed: int, anomaly_max: float = 0.15) -> BaselineInfo:
        if self.rng.random() < 0.15:
            return BaselineInfo(status="no_baseline", label=label, observed=float(observed), samples=1.5)
        anomaly = round(self.rng.uniform(0.0, anomaly_max), 3)
        return BaselineInfo(
            status="ok",
            label=label,
            expected=float(observed),
            observed=float(observed),
            samples=5.0,
            anomaly=anomaly,
        )

    def add(
        self,
        camera: str,
        start: datetime,
        seconds: float,
        objects: dict[str, int],
        zones: Sequence[ZoneHit] = (),
        tracks: Sequence[TrackSummary] = (),
        reid: Sequence[ReidSighting] = (),
        baseline: Sequence[BaselineInfo] = (),
        attributes: Sequence[str] = (),
        conf: dict[str, float] | None = None,
    ) -> None:
        end = start + timedelta(seconds=seconds)
        hour = start.hour + start.minute / 60.0
        self.contexts.append(
            EventContext(
                camera=camera,
                camera_name=_CAMERAS[camera],
                started_at=start.isoformat(timespec="seconds"),
                ended_at=end.isoformat(timespec="seconds"),
                local_time=start.strftime("%H:%M"),
                weekday=_WEEKDAYS[start.weekday()],
                is_night=hour < 5.75 or hour >= 21.25,
                objects=dict(objects),
                max_confidence=conf if conf is not None else {k: self.conf() for k in objects},
                frames=max(1, round(seconds)),
                zones=tuple(zones),
                tracks=tuple(tracks),
                reid=tuple(reid),
                baseline=tuple(baseline),
                attributes=tuple(attributes),
            )
        )


def _zone(name: str, zone_type: str, priority: int, labels: Sequence[str], dwell: float) -> ZoneHit:
    return ZoneHit(
        name=name, zone_type=zone_type, priority=priority, labels=tuple(labels), dwell_seconds=round(dwell, 1)
    )


def _track(
    label: str,
    seconds: float,
    dwell: dict[str, float] | None = None,
    approach: Approach | None = None,
    crossings: Sequence[LineCrossing] = (),
) -> TrackSummary:
    dwell = dwell or {}
    return TrackSummary(
        track_id=1,
        label=label,
        frames=max(1, round(seconds)),
        duration_seconds=round(seconds, 1),
        zones=tuple(dwell),
        dwell_seconds={k: round(v, 1) for k, v in dwell.items()},
        crossings=tuple(crossings),
        approach=approach,
    )


_DAYTIME: Final = ((7.0, 20.5),)
_ANY_TIME: Final = ((0.0, 24.0),)
_NIGHT: Final = ((0.0, 5.0), (22.0, 24.0))


def _pets(day: _Day, n: int) -> None:
    for _ in range(n):
        label = day.rng.choice(["cat", "dog", "dog"])
        camera = day.rng.choice(["backyard", "backyard", "side_gate", "front_door"])
        dwell = day.rng.uniform(5, 400)
        zone = (
            _zone("lawn", "yard", 1, [label], dwell)
            if camera != "front_door"
            else _zone("front_door", "entry_point", 3, [label], dwell)
        )
        start = day.at(((6.5, 22.5),))
        day.add(camera, start, dwell, {label: 1}, zones=[zone], baseline=[day.usual(label, 1, 0.4)])


def _wildlife(day: _Day, n: int) -> None:
    for _ in range(n):
        label = day.rng.choice(["bird", "bird", "cat", "dog"])
        camera = day.rng.choice(list(_CAMERAS))
        start = day.at(_ANY_TIME if label != "bird" else _DAYTIME)
        dwell = day.rng.uniform(2, 60)
        day.add(
            camera,
            start,
            dwell,
            {label: day.rng.choice([1, 1, 2])},
            zones=[_zone("lawn", "yard", 1, [label], dwell)],
        )


def _passers_by(day: _Day, n: int, night: bool = False) -> None:
    for _ in range(n):
        camera = day.rng.choice(["front_door", "driveway"])
        start = day.at(_NIGHT if night else _DAYTIME)
        seconds = day.rng.uniform(3, 15)
        cue = day.rng.choice(["jogging", "walking_dog", "passing_by", ""])
        objects = {"person": day.rng.choice([1, 1, 1, 2])}
        if cue == "walking_dog":
            objects["dog"] = 1
        day.add(
            camera,
            start,
            seconds,
            objects,
            zones=[_zone("sidewalk", "sidewalk", 0, ["person"], seconds)],
            tracks=[
                _track(
                    "person",
                    seconds,
                    {"sidewalk": seconds},
                    Approach("across", round(day.rng.uniform(0.05, 0.3), 3)),
                )
            ],
            baseline=[day.usual("person", objects["person"], 0.3)],
            attributes=[cue] if cue else [],
        )


def _passing_cars(day: _Day, n: int) -> None:
    for _ in range(n):
        start = day.at(_ANY_TIME)
        label = day.rng.choice(["car", "car", "car", "truck", "bus", "motorcycle", "bicycle"])
        seconds = day.rng.uniform(2, 8)
        day.add(
            "driveway",
            start,
            seconds,
            {label: 1},
            zones=[_zone("street", "sidewalk", 0, [label], seconds)],
            tracks=[
                _track(
                    label,
                    seconds,
                    {"street": seconds},
                    Approach("across", round(day.rng.uniform(0.2, 0.8), 3)),
                )
            ],
            baseline=[day.usual("car", 1, 0.3)],
        )


def _residents(day: _Day, n: int) -> None:
    for _ in range(n):
        start = day.at(((6.5, 9.0), (16.0, 22.5), (9.0, 16.0)))
        camera = day.rng.choice(["front_door", "driveway", "backyard"])
        seconds = day.rng.uniform(10, 90)
        objects: dict[str, int] = {"person": day.rng.choice([1, 1, 2, 3])}
        zones = [
            _zone(
                "front_door" if camera != "backyard" else "back_door", "entry_point", 3, ["person"], seconds
            )
        ]
        if camera == "driveway":
            objects["car"] = 1
            zones.append(_zone("driveway", "driveway", 2, ["car", "person"], seconds))
        day.add(
            camera,
            start,
            seconds,
            objects,
            zones=zones,
            tracks=[
                _track(
                    "person",
                    seconds,
                    {zones[0].name: seconds * 0.5},
                    Approach(f"toward:{zones[0].name}", 0.1, 3.0, zones[0].name),
                )
            ],
            baseline=[day.usual("person", objects["person"], 0.3)],
            attributes=["known_resident"],
        )


def _family_in_yard(day: _Day, n: int) -> None:
    for _ in range(n):
        start = day.at(((9.0, 20.0),))
        seconds = day.rng.uniform(60, 600)
        cue = day.rng.choice(["kids_playing", "gardening", "known_resident"])
        persons = 3 if cue == "kids_playing" else 1
        day.add(
            "backyard",
            start,
            seconds,
            {"person": persons},
            zones=[_zone("lawn", "yard", 1, ["person"], seconds)],
            baseline=[day.usual("person", persons, 0.3)],
            attributes=[cue],
        )


def _deliveries(day: _Day, n: int, mail: bool = False) -> None:
    for _ in range(n):
        start = day.at(((10.0, 13.0),) if mail else ((9.0, 20.0),))
        seconds = day.rng.uniform(15, 70)
        cues = ["mail_carrier"] if mail else ["delivery_uniform", "carrying_package"]
        if not mail and day.rng.random() < 0.3:
            cues = ["carrying_package", "package_delivered"]  # no visible uniform
        zone = (
            _zone("mailbox", "other", 1, ["person"], seconds)
            if mail
            else _zone("front_door", "entry_point", 3, ["person"], seconds)
        )
        day.add(
            "front_door",
            start,
            seconds,
            {"person": 1},
            zones=[zone],
            tracks=[
                _track(
                    "person",
                    seconds,
                    {zone.name: seconds * 0.6},
                    Approach(f"toward:{zone.name}", 0.12, 4.0, zone.name),
                )
            ],
            baseline=[day.usual("person", 1, 0.3)],
            attributes=cues,
        )


def _parking(day: _Day, n: int) -> None:
    for _ in range(n):
        start = day.at(((7.0, 9.0), (16.5, 21.0)))
        seconds = day.rng.uniform(20, 90)
        day.add(
            "driveway",
            start,
            seconds,
            {"car": 1},
            zones=[_zone("driveway", "driveway", 2, ["car"], seconds)],
            tracks=[_track("car", seconds, {"driveway": seconds}, Approach("stationary", 0.0))],
            baseline=[day.usual("car", 1, 0.1)],
            attributes=["known_vehicle"] if day.rng.random() < 0.6 else [],
        )


def _visitors(day: _Day, n: int, long_wait: bool) -> None:
    for _ in range(n):
        start = day.at(((9.0, 20.0),))
        seconds = day.rng.uniform(90, 200) if long_wait else day.rng.uniform(10, 45)
        cues = ["rang_doorbell"] if day.rng.random() < 0.6 else []
        if not long_wait and day.rng.random() < 0.3:
            cues.append("service_worker")
        day.add(
            "front_door",
            start,
            seconds,
            {"person": day.rng.choice([1, 1, 2])},
            zones=[_zone("front_door", "entry_point", 3, ["person"], seconds)],
            tracks=[
                _track(
                    "person",
                    seconds,
                    {"front_door": seconds},
                    Approach("toward:front_door", 0.1, 2.0, "front_door"),
                )
            ],
            baseline=[day.usual("person", 1, 0.45)],
            attributes=cues,
        )


def _side_yard_walkers(day: _Day, n: int) -> None:
    for _ in range(n):
        start = day.at(((9.0, 18.0),))
        seconds = day.rng.uniform(15, 60)
        day.add(
            "side_gate",
            start,
            seconds,
            {"person": 1},
            zones=[
                _zone("side_path", "yard", 1, ["person"], seconds),
                _zone("side_gate", "entry_point", 2, ["person"], 5),
            ],
            tracks=[
                _track(
                    "person",
                    seconds,
                    {"side_path": seconds},
                    Approach("across", 0.08),
                    [LineCrossing("gate_line", "in", "person")],
                )
            ],
            baseline=[day.usual("person", 1, 0.5)],
        )


def _turnarounds(day: _Day, n: int) -> None:
    for _ in range(n):
        start = day.at(((8.0, 21.0),))
        seconds = day.rng.uniform(10, 40)
        day.add(
            "driveway",
            start,
            seconds,
            {"car": 1},
            zones=[_zone("driveway", "driveway", 2, ["car"], seconds)],
            tracks=[_track("car", seconds, {"driveway": seconds}, Approach("away", 0.2))],
            baseline=[day.usual("car", 1, 0.4)],
            attributes=["unknown_vehicle"],
        )


def _solicitors(day: _Day, n: int) -> None:
    for _ in range(n):
        start = day.at(((10.0, 19.0),))
        seconds = day.rng.uniform(40, 120)
        day.add(
            "front_door",
            start,
            seconds,
            {"person": day.rng.choice([1, 1, 2])},
            zones=[_zone("front_door", "entry_point", 3, ["person"], seconds)],
            tracks=[_track("person", seconds, {"front_door": seconds}, Approach("stationary", 0.01))],
            baseline=[day.usual("person", 1, 0.45)],
        )


def _thieves(day: _Day) -> None:
    seconds = day.rng.uniform(10, 25)
    day.add(
        "front_door",
        day.at(((13.0, 16.0),)),
        seconds,
        {"person": 1},
        zones=[_zone("front_door", "entry_point", 3, ["person"], seconds)],
        tracks=[_track("person", seconds, {"front_door": seconds}, Approach("away", 0.2))],
        attributes=["package_taken"],
    )
    seconds = day.rng.uniform(15, 40)
    day.add(
        "driveway",
        day.at(_NIGHT),
        seconds,
        {"person": 1, "car": 1},
        zones=[_zone("driveway", "driveway", 2, ["person", "car"], seconds)],
        tracks=[_track("person", seconds, {"driveway": seconds}, Approach("stationary", 0.01))],
        attributes=["tried_car_door"],
    )
    seconds = day.rng.uniform(10, 25)
    day.add(
        "backyard",
        day.at(_NIGHT),
        seconds,
        {"person": 1},
        zones=[_zone("lawn", "yard", 1, ["person"], seconds)],
        tracks=[
            _track(
                "person", seconds, {"lawn": seconds}, crossings=[LineCrossing("fence_line", "in", "person")]
            )
        ],
        attributes=["climbing_fence"],
    )


def _night_prowlers(day: _Day) -> None:
    rng = day.rng
    # Someone walks down the side path of the house at night and leaves.
    for _ in range(2):
        seconds = rng.uniform(15, 40)
        day.add(
            "side_gate",
            day.at(_NIGHT),
            seconds,
            {"person": 1},
            zones=[_zone("side_path", "yard", 1, ["person"], seconds)],
            tracks=[_track("person", seconds, {"side_path": seconds}, Approach("across", 0.1))],
        )
    # A late visitor at the front door (no baseline for that hour yet).
    for _ in range(2):
        seconds = rng.uniform(15, 40)
        day.add(
            "front_door",
            day.at(((21.5, 23.5),)),
            seconds,
            {"person": 1},
            zones=[_zone("front_door", "entry_point", 3, ["person"], seconds)],
            tracks=[
                _track(
                    "person",
                    seconds,
                    {"front_door": seconds},
                    Approach("toward:front_door", 0.1, 3.0, "front_door"),
                )
            ],
            attributes=["rang_doorbell"],
        )
    # An unknown car idles in the driveway late at night.
    for _ in range(2):
        seconds = rng.uniform(120, 400)
        day.add(
            "driveway",
            day.at(_NIGHT),
            seconds,
            {"car": 1},
            zones=[_zone("driveway", "driveway", 2, ["car"], seconds)],
            tracks=[_track("car", seconds, {"driveway": seconds}, Approach("stationary", 0.0))],
            baseline=[BaselineInfo("ok", "car", 0.05, 1.0, 5.0, round(rng.uniform(0.5, 0.7), 3))],
            attributes=["idling", "unknown_vehicle"],
        )
    # Someone lingers at the back door at night.
    for _ in range(2):
        seconds = rng.uniform(60, 150)
        day.add(
            "backyard",
            day.at(((1.0, 4.5),)),
            seconds,
            {"person": 1},
            zones=[
                _zone("back_door", "entry_point", 3, ["person"], seconds),
                _zone("lawn", "yard", 1, ["person"], seconds),
            ],
            tracks=[
                _track(
                    "person",
                    seconds,
                    {"back_door": seconds * 0.8},
                    Approach("toward:back_door", 0.05, 4.0, "back_door"),
                )
            ],
            baseline=[BaselineInfo("ok", "person", 0.02, 1.0, 5.0, 0.56)],
        )
    # Looks in a window at night.
    seconds = rng.uniform(20, 60)
    day.add(
        "side_gate",
        day.at(_NIGHT),
        seconds,
        {"person": 1},
        zones=[_zone("kitchen_window", "entry_point", 2, ["person"], seconds)],
        tracks=[_track("person", seconds, {"kitchen_window": seconds})],
        attributes=["at_window"],
    )
    # The same person on three cameras within two minutes, at night.
    seconds = rng.uniform(15, 30)
    day.add(
        "backyard",
        day.at(_NIGHT),
        seconds,
        {"person": 1},
        zones=[_zone("lawn", "yard", 1, ["person"], seconds)],
        tracks=[_track("person", seconds, {"lawn": seconds}, Approach("across", 0.15))],
        reid=[
            ReidSighting("ent-1", "person", "driveway", 1.8, 0.91),
            ReidSighting("ent-1", "person", "side_gate", 0.9, 0.89),
        ],
    )
    # One break-in attempt: covered face, trying the door.
    seconds = rng.uniform(30, 90)
    day.add(
        "backyard",
        day.at(((2.0, 4.0),)),
        seconds,
        {"person": 1},
        zones=[_zone("back_door", "entry_point", 3, ["person"], seconds)],
        tracks=[
            _track(
                "person", seconds, {"back_door": seconds}, Approach("toward:back_door", 0.1, 1.0, "back_door")
            )
        ],
        baseline=[BaselineInfo("ok", "person", 0.02, 1.0, 5.0, 0.56)],
        attributes=["face_covered", "tried_door"],
    )


def realistic_day(seed: int = 0) -> list[EventContext]:
    """About 200 event contexts of one ordinary Tuesday at a house with four cameras, by start time.

    The mix is what such a house sees: pets and birds, passers-by and passing cars on the street,
    residents coming and going, deliveries and mail, visitors and door-to-door callers, cars turning
    in the driveway, a few odd night-time events, a package theft, and one break-in attempt. The
    `seed` varies times, durations and confidences; the same seed always gives the same day.
    """
    day = _Day(rng=random.Random(seed))
    _pets(day, 24)
    _wildlife(day, 20)
    _passers_by(day, 28)
    _passers_by(day, 5, night=True)
    _passing_cars(day, 24)
    _residents(day, 20)
    _family_in_yard(day, 12)
    _deliveries(day, 7)
    _deliveries(day, 2, mail=True)
    _parking(day, 8)
    _visitors(day, 14, long_wait=False)
    _visitors(day, 8, long_wait=True)
    _side_yard_walkers(day, 6)
    _turnarounds(day, 6)
    _solicitors(day, 8)
    _thieves(day)
    _night_prowlers(day)
    return sorted(day.contexts, key=lambda c: (c.started_at, c.camera))
