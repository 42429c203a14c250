"""Sensors: per camera risk score and last event; server counters and pipeline health."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.util import dt as dt_util

from .coordinator import HsiCoordinator
from .data import HsiConfigEntry, HsiData
from .entity import HsiEntity, async_add_camera_entities
from .event import behaviour_kinds

# Coordinator-driven: nothing is polled per entity.
PARALLEL_UPDATES = 0

PIPELINE_STATES = ["ok", "degraded"]


@dataclass(frozen=True, kw_only=True)
class HsiServerSensorDescription(SensorEntityDescription):
    """A server sensor read from the coordinator data."""

    value_fn: Callable[[HsiData], Any]


SERVER_SENSORS: tuple[HsiServerSensorDescription, ...] = (
    HsiServerSensorDescription(
        key="unreviewed_events",
        translation_key="unreviewed_events",
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda data: data.stats.get("unreviewed_events"),
    ),
    HsiServerSensorDescription(
        key="highest_risk_today",
        translation_key="highest_risk_today",
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda data: data.stats.get("highest_risk_today"),
    ),
    HsiServerSensorDescription(
        key="pipeline_health",
        translation_key="pipeline_health",
        device_class=SensorDeviceClass.ENUM,
        options=PIPELINE_STATES,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda data: (
            data.stats.get("pipeline") if data.stats.get("pipeline") in PIPELINE_STATES else None
        ),
    ),
)


async def async_setup_entry(
    hass: HomeAssistant, entry: HsiConfigEntry, async_add_entities: AddConfigEntryEntitiesCallback
) -> None:
    """Add the server sensors and, per camera, the risk score and last event sensors."""
    coordinator = entry.runtime_data.coordinator
    async_add_entities(HsiServerSensor(coordinator, description) for description in SERVER_SENSORS)
    async_add_camera_entities(
        coordinator,
        entry,
        async_add_entities,
        lambda camera: (
            HsiRiskScoreSensor(coordinator, "risk_score", camera),
            HsiLastEventSensor(coordinator, "last_event", camera),
            HsiSnoozedUntilSensor(coordinator, "snoozed_until", camera),
        ),
    )


class HsiServerSensor(HsiEntity, SensorEntity):
    """A counter or health state of the server."""

    entity_description: HsiServerSensorDescription

    def __init__(self, coordinator: HsiCoordinator, description: HsiServerSensorDescription) -> None:
        """Attach to the server device."""
        super().__init__(coordinator, description.key)
        self.entity_description = description

    @property
    def native_value(self) -> Any:
        """Current value from the last poll or push."""
        return self.entity_description.value_fn(self.coordinator.data)

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """Queue depths and dead letters beside the pipeline health."""
        if self.entity_description.key != "pipeline_health":
            return None
        stats = self.coordinator.data.stats
        return {"queues": stats.get("queues", {}), "dead_letters": stats.get("dead_letters")}


class HsiRiskScoreSensor(HsiEntity, SensorEntity):
    """Risk score (0-100) of the camera's latest event."""

    _attr_state_class = SensorStateClass.MEASUREMENT

    @property
    def native_value(self) -> int | None:
        """The latest event's score."""
        event = self.last_event
        return None if event is None else event.get("risk_score")

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """Level and id of the scored event."""
        event = self.last_event
        if event is None:
            return None
        return {"risk_level": event.get("risk_level"), "event_id": event.get("id")}


class HsiLastEventSensor(HsiEntity, SensorEntity):
    """Summary of the camera's latest event."""

    @property
    def native_value(self) -> str | None:
        """The summary, cut to the 255 characters a state may hold."""
        event = self.last_event
        if event is None:
            return None
        return str(event.get("summary") or "")[:255]

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """The event's facts for templates and cards."""
        event = self.last_event
        if event is None:
            return None
        return {
            "event_id": event.get("id"),
            "started_at": event.get("started_at"),
            "ended_at": event.get("ended_at"),
            "risk_score": event.get("risk_score"),
            "risk_level": event.get("risk_level"),
            "objects": event.get("objects", {}),
            "zones": event.get("zones", []),
            "reviewed": event.get("reviewed", False),
            "feedback": event.get("feedback"),
            "behaviours": behaviour_kinds(event),
        }


class HsiSnoozedUntilSensor(HsiEntity, SensorEntity):
    """Until when the camera's alerts are muted (snooze_camera); unknown when not snoozed."""

    _attr_device_class = SensorDeviceClass.TIMESTAMP

    @property
    def native_value(self) -> datetime | None:
        """The end of the snooze, while it lasts."""
        until = self.camera.get("muted_until")
        parsed = dt_util.parse_datetime(until) if isinstance(until, str) else None
        if parsed is None or parsed <= dt_util.utcnow():
            return None
        return parsed
