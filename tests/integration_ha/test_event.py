"""Event entity: typed by the most important object seen."""

from __future__ import annotations

import pytest
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.home_security_intelligence.event import event_type_for

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
                hass.states.get("event.front_door_security_event").attributes.get("event_id") == e["id"]
            ),
            hass,
        )
        states.append(hass.states.get("event.front_door_security_event"))
    assert [s.attributes["event_type"] for s in states] == ["package", "other"]
    assert states[0].state != states[1].state  # each firing has its own timestamp
