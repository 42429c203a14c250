"""Binary sensors per camera: activity (recent event) and high risk (score over the threshold)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from homeassistant.components.binary_sensor import BinarySensorDeviceClass, BinarySensorEntity
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.event import async_track_point_in_utc_time
from homeassistant.util import dt as dt_util

from .const import ACTIVITY_HOLD
from .coordinator import event_time
from .data import HsiConfigEntry
from .entity import HsiEntity, async_add_camera_entities

PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant, entry: HsiConfigEntry, async_add_entities: AddConfigEntryEntitiesCallback
) -> None:
    """Add the activity and high-risk sensors of every camera."""
    coordinator = entry.runtime_data.coordinator
    async_add_camera_entities(
        coordinator,
        entry,
        async_add_entities,
        lambda camera: (
            HsiActivitySensor(coordinator, "activity", camera),
            HsiHighRiskSensor(coordinator, "high_risk", camera),
        ),
    )


class HsiActivitySensor(HsiEntity, BinarySensorEntity):
    """On while the camera's latest event is open or ended less than ACTIVITY_HOLD ago."""

    _attr_device_class = BinarySensorDeviceClass.MOTION
    _unsub_timer: CALLBACK_TYPE | None = None

    def _active_until(self) -> datetime | None:
        event = self.last_event
        ended = event_time(event, "ended_at") or event_time(event)
        return None if ended is None else ended + ACTIVITY_HOLD

    @property
    def is_on(self) -> bool:
        """Whether there is current activity."""
        until = self._active_until()
        return until is not None and dt_util.utcnow() < until

    @callback
    def _handle_coordinator_update(self) -> None:
        self._schedule_off()
        super()._handle_coordinator_update()

    async def async_added_to_hass(self) -> None:
        """Schedule the switch-off of an event that is already active."""
        await super().async_added_to_hass()
        self._schedule_off()
        self.async_on_remove(self._cancel_timer)

    @callback
    def _cancel_timer(self) -> None:
        if self._unsub_timer is not None:
            self._unsub_timer()
            self._unsub_timer = None

    @callback
    def _schedule_off(self) -> None:
        self._cancel_timer()
        until = self._active_until()
        if until is not None and until > dt_util.utcnow():
            self._unsub_timer = async_track_point_in_utc_time(self.hass, self._async_expired, until)

    @callback
    def _async_expired(self, _now: datetime) -> None:
        self._unsub_timer = None
        self.async_write_ha_state()


class HsiHighRiskSensor(HsiEntity, BinarySensorEntity):
    """On when the latest event scored at or above the configured minimum risk."""

    _attr_device_class = BinarySensorDeviceClass.SAFETY

    @property
    def is_on(self) -> bool | None:
        """Compare the latest score with the threshold from the options."""
        event = self.last_event
        if event is None:
            return False
        return int(event.get("risk_score") or 0) >= self.coordinator.min_risk

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        """The threshold in use and the event that set the state."""
        event = self.last_event or {}
        return {
            "threshold": self.coordinator.min_risk,
            "event_id": event.get("id"),
            "risk_score": event.get("risk_score"),
        }
