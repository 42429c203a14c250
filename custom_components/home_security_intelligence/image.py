"""Image entity per camera: the annotated snapshot of the latest event."""

from __future__ import annotations

from homeassistant.components.image import ImageEntity
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .api import HsiApiError, HsiError
from .const import LOGGER
from .coordinator import HsiCoordinator, event_time
from .data import HsiConfigEntry
from .entity import HsiEntity, async_add_camera_entities

PARALLEL_UPDATES = 1


async def async_setup_entry(
    hass: HomeAssistant, entry: HsiConfigEntry, async_add_entities: AddConfigEntryEntitiesCallback
) -> None:
    """Add one snapshot image per camera."""
    coordinator = entry.runtime_data.coordinator
    async_add_camera_entities(
        coordinator,
        entry,
        async_add_entities,
        lambda camera: (HsiSnapshotImage(hass, coordinator, camera),),
    )


class HsiSnapshotImage(HsiEntity, ImageEntity):
    """Best frame of the latest event, with the detections drawn."""

    _attr_content_type = "image/jpeg"

    def __init__(self, hass: HomeAssistant, coordinator: HsiCoordinator, camera_id: str) -> None:
        """Track which event the cached image belongs to."""
        HsiEntity.__init__(self, coordinator, "snapshot", camera_id)
        ImageEntity.__init__(self, hass)
        self._image_event_id: str | None = None
        self._image_bytes: bytes | None = None
        self._sync_event()

    def _sync_event(self) -> None:
        event = self.last_event
        event_id = None if event is None else str(event.get("id"))
        if event_id != self._image_event_id:
            self._image_event_id = event_id
            self._image_bytes = None
            self._attr_image_last_updated = event_time(event, "ended_at") or event_time(event)

    @callback
    def _handle_coordinator_update(self) -> None:
        self._sync_event()
        super()._handle_coordinator_update()

    @property
    def extra_state_attributes(self) -> dict[str, str | None]:
        """Which event the image shows."""
        return {"event_id": self._image_event_id}

    async def async_image(self) -> bytes | None:
        """Fetch the snapshot once per event."""
        if self._image_event_id is None:
            return None
        if self._image_bytes is None:
            try:
                self._image_bytes = await self.coordinator.client.get_snapshot(self._image_event_id)
            except HsiApiError as err:  # e.g. 404: the event has no frame
                LOGGER.debug("No snapshot for event %s: %s", self._image_event_id, err)
                return None
            except HsiError as err:
                LOGGER.debug("Snapshot of event %s unavailable: %s", self._image_event_id, err)
                return None
        return self._image_bytes
