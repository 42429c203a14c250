"""Event entity per camera: fires once per new server event, typed by what was seen, and again
when the server refines an event to a higher risk level (attribute `escalated`)."""

from __future__ import annotations

from typing import Any

from homeassistant.components.event import EventDeviceClass, EventEntity
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import EVENT_TYPES
from .data import HsiConfigEntry
from .entity import HsiEntity, async_add_camera_entities

PARALLEL_UPDATES = 0

_VEHICLES = {"vehicle", "car", "truck", "bus", "motorcycle", "bicycle", "boat", "train", "airplane"}
_ANIMALS = {
    "animal", "bird", "cat", "dog", "horse", "sheep", "cow", "elephant", "bear", "zebra", "giraffe",
}  # fmt: skip
_PACKAGES = {"package", "parcel", "box", "suitcase", "backpack", "handbag"}


def event_type_for(objects: dict[str, Any] | None) -> str:
    """The most important kind of object in an event: person > vehicle > animal > package."""
    labels = {str(label).lower() for label, count in (objects or {}).items() if count}
    if "person" in labels:
        return "person"
    for event_type, group in (("vehicle", _VEHICLES), ("animal", _ANIMALS), ("package", _PACKAGES)):
        if labels & group:
            return event_type
    return "other"


def behaviour_kinds(event: dict[str, Any]) -> list[str]:
    """The kinds of behaviour over time in an event (loitering, perimeter_walk, ...), strongest
    first; none for events of a server that does not report behaviours."""
    kinds = (b.get("kind") for b in event.get("behaviours") or () if isinstance(b, dict))
    return list(dict.fromkeys(k for k in kinds if isinstance(k, str)))


async def async_setup_entry(
    hass: HomeAssistant, entry: HsiConfigEntry, async_add_entities: AddConfigEntryEntitiesCallback
) -> None:
    """Add one event entity per camera."""
    coordinator = entry.runtime_data.coordinator
    async_add_camera_entities(
        coordinator,
        entry,
        async_add_entities,
        lambda camera: (HsiCameraEvent(coordinator, "security_event", camera),),
    )


class HsiCameraEvent(HsiEntity, EventEntity):
    """The camera's security events as they are created on the server."""

    _attr_device_class = EventDeviceClass.MOTION
    _attr_event_types = EVENT_TYPES

    async def async_added_to_hass(self) -> None:
        """Listen for newly created events of this camera."""
        await super().async_added_to_hass()
        self.async_on_remove(self.coordinator.async_add_event_listener(self._async_on_event))

    @callback
    def _async_on_event(self, event: dict[str, Any], reason: str) -> None:
        """Fire for a new event, and again when a refined event's risk level rises."""
        if event.get("camera") != self.camera_id:
            return
        self._trigger_event(
            event_type_for(event.get("objects")),
            {
                "event_id": event.get("id"),
                "score": event.get("risk_score"),
                "level": event.get("risk_level"),
                "summary": event.get("summary"),
                "escalated": reason == "escalated",
                "behaviours": behaviour_kinds(event),
                "behaviour_reasons": [
                    str(b.get("explanation", ""))
                    for b in event.get("behaviours") or ()
                    if isinstance(b, dict)
                ],
                "feedback": event.get("feedback"),
            },
        )
        self.async_write_ha_state()
