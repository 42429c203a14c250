"""The event context's JSON form, validated by pydantic (domain/context.py): what parses, what is
refused and how the refusal names the offending key."""

from __future__ import annotations

from typing import Any

import pytest

from inference_server.domain.context import (
    Approach,
    EventContext,
    InvalidContext,
    LineCrossing,
    TrackSummary,
    ZoneHit,
)


def _context() -> EventContext:
    return EventContext(
        camera="front",
        camera_name="Front",
        started_at="2026-12-03T02:10:00+00:00",
        ended_at="2026-12-03T02:11:30+00:00",
        local_time="03:10",
        weekday="Thursday",
        is_night=True,
        objects={"person": 1},
        max_confidence={"person": 0.91},
        frames=4,
        zones=(ZoneHit("porch", "entry_point", 2, ("person",), 12.5),),
        tracks=(
            TrackSummary(
                1,
                "person",
                4,
                90.0,
                zones=("porch",),
                dwell_seconds={"porch": 12.5},
                crossings=(LineCrossing("gate", "in"),),
                approach=Approach("toward:porch", 0.2, 3, "porch"),
            ),
        ),
        attributes=("tried_door",),
    )


def test_the_json_form_round_trips_exactly() -> None:
    context = _context()
    data = context.to_dict()
    assert isinstance(data["tracks"][0]["crossings"], list)  # tuples are lists in JSON
    parsed = EventContext.from_dict(data)
    assert parsed == context and isinstance(parsed.tracks[0].crossings, tuple)
    assert parsed.tracks[0].approach == Approach("toward:porch", 0.2, 3.0, "porch")


def _broken(path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    data = _context().to_dict()
    node: Any = data
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    return data


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("camra",), "x", "context: unknown key(s) camra"),
        (("tracks", 0, "colour"), "red", "context.tracks[0]: unknown key(s) colour"),
        (("tracks", 0, "approach", "eta"), 3, "context.tracks[0].approach: unknown key(s) eta"),
        (("objects", "person"), -1, "context.objects.person: Input should be greater than or equal to 0"),
        (("objects", "person"), True, "context.objects.person: Input should be a valid integer"),
        (("frames",), "4", "context.frames: Input should be a valid integer, got '4'"),
        (("is_night",), "yes", "context.is_night: Input should be a valid boolean"),
        (("zones", 0, "labels"), "person", "context.zones[0].labels: Input should be a valid array"),
        (
            ("tracks", 0, "crossings", 0, "line"),
            7,
            "context.tracks[0].crossings[0].line: Input should be a valid string",
        ),
        (("attributes",), [1], "context.attributes[0]: Input should be a valid string"),
    ],
)
def test_bad_documents_are_refused_naming_the_key(path: tuple[Any, ...], value: Any, message: str) -> None:
    with pytest.raises(InvalidContext) as info:
        EventContext.from_dict(_broken(path, value))
    assert message in str(info.value)


def test_missing_keys_and_non_objects_are_refused() -> None:
    data = _context().to_dict()
    del data["camera"]
    with pytest.raises(InvalidContext, match=r"context\.camera: required"):
        EventContext.from_dict(data)
    bad: Any
    for bad in ([], "context", None):
        with pytest.raises(InvalidContext, match="context: expected an object"):
            EventContext.from_dict(bad)
    with pytest.raises(InvalidContext, match="not JSON data"):
        EventContext.from_dict({**_context().to_dict(), "frames": object()})


def test_many_problems_are_summed_up() -> None:
    data = {**_context().to_dict(), "a": 1, "b": 2, "c": 3, "d": 4}
    with pytest.raises(InvalidContext, match=r"\(and 1 more\)"):
        EventContext.from_dict(data)
