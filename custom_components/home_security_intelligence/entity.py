"""Base entity: one device for the server, one per camera under it."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, cast

from homeassistant.core import callback
from homeassistant.helpers import entity_registry as er
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


# Home Assistant 2026.x links a device to its parent by device id (`via_device_id`) and deprecates
# `via_device` (an identifier); the floor (2025.4) knows only `via_device`.
VIA_DEVICE_ID = "via_device_id" in DeviceInfo.__optional_keys__


def camera_device_info(coordinator: HsiCoordinator, camera_id: str) -> DeviceInfo:
    """One camera's device, under the server's device."""
    camera = coordinator.data.cameras.get(camera_id, {})
    info: dict[str, Any] = {
        "identifiers": {camera_identifier(coordinator, camera_id)},
        "name": str(camera.get("name") or camera_id),
        "manufacturer": MANUFACTURER,
        "model": "Camera",
    }
    if VIA_DEVICE_ID and coordinator.server_device_id is not None:
        info["via_device_id"] = coordinator.server_device_id
    else:
        info["via_device"] = server_identifier(coordinator)
    return cast(DeviceInfo, info)


def server_device_info(coordinator: HsiCoordinator) -> DeviceInfo:
    """The server's device. No configuration_url: the status page at the server's root needs an API
    key from a browser (a "Visit" link would answer 401); the add-on shows it as its panel."""
    return DeviceInfo(
        identifiers={server_identifier(coordinator)},
        name=str(coordinator.info.get("name") or MANUFACTURER),
        manufacturer=MANUFACTURER,
        model="Inference server",
        sw_version=str(coordinator.info.get("version", "")) or None,
    )


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
            self._attr_device_info = server_device_info(coordinator)
        else:
            self._attr_unique_id = f"{coordinator.instance_id}_{camera_id}_{key}"
            self._attr_device_info = camera_device_info(coordinator, camera_id)

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
    """Add a camera's entities now and whenever a new camera shows up on the server.

    A camera the server stops listing keeps its entities (unavailable) and its device until the
    user deletes the device; a camera whose device was deleted gets new entities if it returns.
    """
    known: dict[str, list[Entity]] = {}  # camera -> its entities added by this platform
    registered: set[str] = set()  # cameras whose entities have been seen in the registry since

    @callback
    def _add_new() -> None:
        entity_registry = er.async_get(coordinator.hass)
        for camera, entities in list(known.items()):
            if any(e.entity_id and entity_registry.async_get(e.entity_id) for e in entities):
                registered.add(camera)
            elif camera in registered:  # the user deleted the device, and its entities with it
                del known[camera]
                registered.discard(camera)
        new = [camera for camera in coordinator.included_cameras() if camera not in known]
        if new:
            for camera in new:
                known[camera] = list(factory(camera))
            async_add_entities([entity for camera in new for entity in known[camera]])

    _add_new()
    entry.async_on_unload(coordinator.async_add_listener(_add_new))
