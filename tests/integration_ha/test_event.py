"""Event entity: typed by the most important object seen."""

from __future__ import annotations

import pytest
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.home_security_intelligence.event import event_type_for

from .ha_state import state_of
from .hsi_server import FakeHsiServer, wait_for


@pytest.mark.parametrize(
    ("objects", "expected"),
    [
        ({"person": 1, "car": 2}, "person"),
        ({"truck": 1, "dog": 1}, "vehicle"),
        ({"Dog": 1}, "animal"),
        ({"backpack": 1}, "package"),
        ({"person": 0, "chair": 1}, "other"),
        ({}, "other"),
        (None, "other"),
    ],
)
def test_event_type_priority(objects: dict[str, int] | None, expected: str) -> None:
    assert event_type_for(objects) == expected


async def test_each_new_event_fires_once(
    hass: HomeAssistant, hsi_server: FakeHsiServer, setup_entry: MockConfigEntry
) -> None:
    states = []
    for summary, objects in (("Parcel left.", {"package": 1}), ("Fox.", {"fox": 1})):
        event = hsi_server.add_event("front_door", 20, objects, summary)
        await hsi_server.push("event.created", event)
        await wait_for(
            lambda e=event: (
                state_of(hass, "event.front_door_security_event").attributes.get("event_id") == e["id"]
            ),
            hass,
        )
        states.append(state_of(hass, "event.front_door_security_event"))
    assert [s.attributes["event_type"] for s in states] == ["package", "other"]
    assert states[0].state != states[1].state  # each firing has its own timestamp


async def test_escalated_refinement_fires_again_with_the_new_level(
    hass: HomeAssistant, hsi_server: FakeHsiServer, setup_entry: MockConfigEntry
) -> None:
    """A fast-path event refined from 21 (low) to 60 (high) fires again: automations on high-risk
    events see exactly the events that became high."""
    event = hsi_server.add_event("garage", 21, {"person": 1}, "Someone at the garage.")
    event["fast_path"] = True
    await hsi_server.push("event.created", event)
    await wait_for(
        lambda: state_of(hass, "event.garage_security_event").attributes.get("event_id") == event["id"],
        hass,
    )
    first = state_of(hass, "event.garage_security_event")
    assert first.attributes["level"] == "low"
    assert first.attributes["escalated"] is False

    refined = {**event, "risk_score": 60, "risk_level": "high", "fast_path": False}
    await hsi_server.push("event.updated", refined)
    await wait_for(lambda: state_of(hass, "event.garage_security_event").state != first.state, hass)
    second = state_of(hass, "event.garage_security_event")
    assert second.attributes["event_id"] == event["id"]
    assert second.attributes["level"] == "high"
    assert second.attributes["score"] == 60
    assert second.attributes["escalated"] is True

    # A refinement that lowers the level, a review, a note: nothing fires.
    await hsi_server.push("event.updated", {**refined, "risk_score": 40, "risk_level": "medium"})
    await hsi_server.push(
        "event.updated", {**refined, "risk_score": 40, "risk_level": "medium", "reviewed": True}
    )
    await wait_for(lambda: state_of(hass, "sensor.garage_risk_score").state == "40", hass)
    await hass.async_block_till_done()
    assert state_of(hass, "event.garage_security_event").state == second.state


async def test_behaviours_are_in_the_event_attributes(
    hass: HomeAssistant, hsi_server: FakeHsiServer, setup_entry: MockConfigEntry
) -> None:
    """Automations can trigger on a behaviour ("perimeter_walk" in trigger.to_state.attributes.behaviours)."""
    event = hsi_server.add_event("garage", 70, {"person": 1}, "Someone walks around the house.")
    event["behaviours"] = [
        {
            "kind": "perimeter_walk",
            "subject": "person",
            "strength": 0.8,
            "explanation": "same person on 3 cameras within 10 min (front_door, garage, yard)",
            "entity_id": "5b0c6f1e-2f7d-4c1a-9a51-0e6f3c2d1b4a",
        },
        {"kind": "loitering", "subject": "person", "strength": 0.5, "explanation": "person stayed 70 s"},
        {"kind": "perimeter_walk", "subject": "person", "strength": 0.6, "explanation": "again"},
    ]
    await hsi_server.push("event.created", event)
    await wait_for(
        lambda: state_of(hass, "event.garage_security_event").attributes.get("event_id") == event["id"],
        hass,
    )
    attributes = state_of(hass, "event.garage_security_event").attributes
    assert attributes["behaviours"] == ["perimeter_walk", "loitering"]
    assert attributes["behaviour_reasons"][0].startswith("same person on 3 cameras")
    assert attributes["feedback"] is None
    sensor = state_of(hass, "sensor.garage_last_event").attributes
    assert sensor["behaviours"] == ["perimeter_walk", "loitering"]

    # A server that predates behaviours and feedback sends neither field.
    older = hsi_server.add_event("garage", 20, {"car": 1}, "A car.")
    for key in ("behaviours", "feedback"):
        older.pop(key)
    await hsi_server.push("event.created", older)
    await wait_for(
        lambda: state_of(hass, "event.garage_security_event").attributes.get("event_id") == older["id"],
        hass,
    )
    attributes = state_of(hass, "event.garage_security_event").attributes
    assert attributes["behaviours"] == [] and attributes["feedback"] is None
