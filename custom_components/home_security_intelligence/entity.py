"""Base entity: one device for the server, one per camera under it."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from homeassistant.core import callback
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity import Entity
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .const import DOMAIN, MANUFACTURER
from .coordinator import HsiCoordinator
from .data import HsiConfigEntry


def server_identifier(coordinator: HsiCoordinator) -> tuple[str, str]:
    """Device registry identifier of the server."""
    return (DOMAIN, coordinator.instance_id)


def camera_identifier(coordinator: HsiCoordinator, camera_id: str) -> tuple[str, str]:
    """Device registry identifier of one camera."""
    return (DOMAIN, f"{coordinator.instance_id}_{camera_id}")


class HsiEntity(CoordinatorEntity[HsiCoordinator]):
    """An entity of the server device, or of one camera device when `camera_id` is given."""

    _attr_has_entity_name = True

    def __init__(self, coordinator: HsiCoordinator, key: str, camera_id: str | None = None) -> None:
        """Name the entity by its translation key and attach it to its device."""
        super().__init__(coordinator)
        self.camera_id = camera_id
        self._attr_translation_key = key
        if camera_id is None:
            self._attr_unique_id = f"{coordinator.instance_id}_{key}"
            self._attr_device_info = DeviceInfo(
                identifiers={server_identifier(coordinator)},
                name=str(coordinator.info.get("name") or MANUFACTURER),
                manufacturer=MANUFACTURER,
                model="Inference server",
                sw_version=str(coordinator.info.get("version", "")) or None,
                configuration_url=str(coordinator.client.base_url.with_user(None)),
            )
        else:
            camera = coordinator.data.cameras.get(camera_id, {})
            self._attr_unique_id = f"{coordinator.instance_id}_{camera_id}_{key}"
            self._attr_device_info = DeviceInfo(
                identifiers={camera_identifier(coordinator, camera_id)},
                name=str(camera.get("name") or camera_id),
                manufacturer=MANUFACTURER,
                model="Camera",
                via_device=server_identifier(coordinator),
            )

    @property
    def available(self) -> bool:
        """Unavailable while the server is unreachable or the camera is gone."""
        return super().available and (
            self.camera_id is None or self.camera_id in self.coordinator.data.cameras
        )

    @property
    def camera(self) -> dict[str, Any]:
        """This entity's camera object."""
        assert self.camera_id is not None
        return self.coordinator.data.cameras.get(self.camera_id, {})

    @property
    def last_event(self) -> dict[str, Any] | None:
        """The camera's latest event, if any."""
        event = self.camera.get("last_event")
        return event if isinstance(event, dict) else None


def async_add_camera_entities(
    coordinator: HsiCoordinator,
    entry: HsiConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
    factory: Callable[[str], Iterable[Entity]],
) -> None:
    """Add a camera's entities now and whenever a new camera shows up on the server."""
    known: set[str] = set()

    @callback
    def _add_new() -> None:
        current = set(coordinator.included_cameras())
        known.intersection_update(current)  # a camera that comes back gets its entities again
        new = [camera for camera in coordinator.included_cameras() if camera not in known]
        if new:
            known.update(new)
            async_add_entities([entity for camera in new for entity in factory(camera)])

    _add_new()
    entry.async_on_unload(coordinator.async_add_listener(_add_new))
