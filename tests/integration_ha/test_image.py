"""Image entity: the latest event's snapshot, fetched from the server."""

from __future__ import annotations

from http import HTTPStatus

from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from .ha_state import state_of
from .hsi_server import FIRST_EVENT_AT, JPEG, FakeHsiServer, wait_for


async def test_snapshot_of_latest_event(
    hass: HomeAssistant,
    hsi_server: FakeHsiServer,
    setup_entry: MockConfigEntry,
    hass_client: ClientSessionGenerator,
) -> None:
    state = state_of(hass, "image.front_door_snapshot")
    assert state.attributes["event_id"] == "evt-1"
    assert state.state == hsi_server.events[0]["ended_at"].replace("+00:00", "+00:00")
    assert state.state.startswith(FIRST_EVENT_AT.date().isoformat())
    client = await hass_client()
    response = await client.get("/api/image_proxy/image.front_door_snapshot")
    assert response.status == HTTPStatus.OK
    assert await response.read() == JPEG
    # Cached: a second view does not fetch again.
    before = sum(1 for r in hsi_server.requests if r[1].endswith("/snapshot"))
    response = await client.get("/api/image_proxy/image.front_door_snapshot")
    assert await response.read() == JPEG
    assert sum(1 for r in hsi_server.requests if r[1].endswith("/snapshot")) == before

    # A camera without events has no image.
    assert state_of(hass, "image.garage_snapshot").state == "unknown"
    response = await client.get("/api/image_proxy/image.garage_snapshot")
    assert response.status == HTTPStatus.INTERNAL_SERVER_ERROR


async def test_new_event_switches_image_and_errors_give_no_image(
    hass: HomeAssistant,
    hsi_server: FakeHsiServer,
    setup_entry: MockConfigEntry,
    hass_client: ClientSessionGenerator,
) -> None:
    event = hsi_server.add_event("garage", 50, {"person": 1}, "Person.")
    await hsi_server.push("event.created", event)
    await wait_for(
        lambda: state_of(hass, "image.garage_snapshot").attributes["event_id"] == event["id"], hass
    )
    client = await hass_client()
    hsi_server.snapshot_status = 404
    response = await client.get("/api/image_proxy/image.garage_snapshot")
    assert response.status == HTTPStatus.INTERNAL_SERVER_ERROR
    hsi_server.snapshot_status = 500
    response = await client.get("/api/image_proxy/image.garage_snapshot")
    assert response.status == HTTPStatus.INTERNAL_SERVER_ERROR
    hsi_server.snapshot_status = 200
    response = await client.get("/api/image_proxy/image.garage_snapshot")
    assert response.status == HTTPStatus.OK
