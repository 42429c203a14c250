"""Input the API must refuse rather than convert: strings for numbers, one string for a list,
digits that are not ASCII, unbounded schedules, and numbers where a date-time is expected."""

from __future__ import annotations

from typing import Any

import pytest

from tests.server.api.conftest import LiveApi, Seeder

ZONE = {
    "camera": "porch",
    "name": "Door",
    "zone_type": "entry_point",
    "priority": 5,
    "polygon": [[0.1, 0.1], [0.5, 0.1], [0.5, 0.6]],
    "enabled": True,
}
RULE = {"name": "Person", "conditions": {"objects": ["person"]}, "channels": [{"type": "mqtt"}]}


async def _refused(resp: Any, code: str) -> str:
    body = await resp.json()
    assert resp.status == 400, body
    assert body["error"]["code"] == code, body
    return str(body["error"]["message"])


async def test_zone_coordinates_given_as_strings_are_refused(api: LiveApi, seed: Seeder) -> None:
    await seed.event("porch")
    polygon = [["0.1", "0.1"], [0.5, 0.1], [0.5, 0.6]]
    message = await _refused(
        await api.request("POST", "/api/zones", json={**ZONE, "polygon": polygon}), "invalid_field"
    )
    assert "polygon" in message
    assert (await (await api.get("/api/zones")).json())["zones"] == []
    # Whole numbers are numbers: 0 and 1 stay valid coordinates.
    whole = {**ZONE, "polygon": [[0, 0], [1, 0], [1, 1]]}
    assert (await api.request("POST", "/api/zones", json=whole)).status == 201


async def test_tripwire_and_zone_coordinates_share_one_strict_definition(api: LiveApi, seed: Seeder) -> None:
    await seed.event("porch")
    wire = {"camera": "porch", "name": "Gate", "a": ["0.1", 0.2], "b": [0.9, 0.2]}
    assert (await api.request("POST", "/api/tripwires", json=wire)).status == 400


@pytest.mark.parametrize("field", ["objects", "cameras", "zones", "behaviours", "tripwires"])
async def test_rule_condition_lists_given_as_one_string_are_refused(api: LiveApi, field: str) -> None:
    value = "loitering" if field == "behaviours" else "person"
    body = {**RULE, "conditions": {field: value}}
    message = await _refused(await api.request("POST", "/api/alert-rules", json=body), "invalid_rule")
    assert f"conditions.{field}" in message
    assert (await (await api.get("/api/alert-rules")).json())["rules"] == []


@pytest.mark.parametrize("text", ["２２:００-０６:００", "22:00-0٦:00", "२२:00-06:00"])
async def test_schedule_times_in_digits_other_than_ascii_are_refused(api: LiveApi, text: str) -> None:
    body = {**RULE, "conditions": {"schedule": {"ranges": [text]}}}
    message = await _refused(await api.request("POST", "/api/alert-rules", json=body), "invalid_rule")
    assert "conditions.schedule.ranges[0]" in message


@pytest.mark.parametrize(
    "schedule",
    [
        {"ranges": ["22:00-23:00"] * 10_000},
        {"ranges": [f"{h:02d}:{m:02d}-{h:02d}:{m + 1:02d}" for h in range(24) for m in range(0, 58, 2)]},
        {"days": ["mon"] * 10_000},
    ],
    ids=["10000-equal-ranges", "696-distinct-ranges", "10000-days"],
)
async def test_schedules_with_thousands_of_entries_are_refused(
    api: LiveApi, schedule: dict[str, Any]
) -> None:
    body = {**RULE, "conditions": {"schedule": schedule}}
    message = await _refused(await api.request("POST", "/api/alert-rules", json=body), "invalid_rule")
    assert "conditions.schedule" in message


async def test_rule_condition_lists_are_bounded(api: LiveApi) -> None:
    body = {**RULE, "conditions": {"cameras": [f"cam{i}" for i in range(10_000)]}}
    message = await _refused(await api.request("POST", "/api/alert-rules", json=body), "invalid_rule")
    assert "conditions.cameras" in message


async def test_reasonable_schedules_and_lists_are_still_accepted(api: LiveApi) -> None:
    ranges = [f"{h:02d}:00-{h:02d}:30" for h in range(24)]
    body = {
        **RULE,
        "conditions": {
            "objects": ["person", "car"],
            "schedule": {"days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "ranges": ranges},
        },
    }
    resp = await api.request("POST", "/api/alert-rules", json=body)
    assert resp.status == 201, await resp.json()


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/api/events", {"limit": "1.0"}),
        ("/api/events", {"limit": "１２"}),
        ("/api/events", {"limit": " 12"}),
        ("/api/events", {"limit": "1_0"}),
        ("/api/events", {"min_risk": "5e1"}),
        ("/api/events", {"since": "0.5"}),
        ("/api/events", {"since": "1700000000"}),
        ("/api/events", {"until": "-1"}),
        ("/api/events/search", {"q": "person", "since": "0.5"}),
        ("/api/dlq", {"limit": "2.0"}),
        ("/api/audit", {"since": "12"}),
    ],
)
async def test_query_numbers_and_times_are_written_as_such(
    api: LiveApi, path: str, params: dict[str, str]
) -> None:
    message = await _refused(await api.get(path, params=params), "invalid_parameter")
    assert next(iter(k for k in params if k != "q")) in message


async def test_well_formed_query_values_are_still_accepted(api: LiveApi, seed: Seeder) -> None:
    await seed.event(score=40)
    resp = await api.get(
        "/api/events",
        params={
            "limit": "5",
            "min_risk": "10",
            "since": "2025-06-01T00:00:00Z",
            "until": "2025-06-02T00:00:00+02:00",
        },
    )
    body = await resp.json()
    assert resp.status == 200, body
    assert len(body["events"]) == 1
    dates = await api.get("/api/events", params={"since": "2025-06-01", "until": "2025-06-02"})
    assert dates.status == 200 and len((await dates.json())["events"]) == 1
