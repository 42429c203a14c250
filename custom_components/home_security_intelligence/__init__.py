"""Home Security Intelligence: scored camera events from a local inference server."""

from __future__ import annotations

from homeassistant.const import CONF_API_KEY, CONF_URL, Platform
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryNotReady
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.typing import ConfigType

from .api import HsiClient
from .const import CONF_CAMERAS, DOMAIN, LOGGER
from .coordinator import HsiCoordinator
from .data import HsiConfigEntry, HsiRuntimeData
from .entity import camera_identifier, server_device_info, server_identifier
from .errors import translate_setup_errors
from .frontend import async_register_card
from .issues import async_clear_issues
from .llm_api import async_register_llm_api
from .media import HsiEventMediaView
from .services import async_setup_services
from .views import async_register_views
from .websocket import async_register_websocket_commands

PLATFORMS: list[Platform] = [
    Platform.BINARY_SENSOR,
    Platform.EVENT,
    Platform.IMAGE,
    Platform.SENSOR,
    Platform.SWITCH,
]

CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the actions once, and serve the Lovelace card with its media and commands."""
    async_setup_services(hass)
    # views.py's snapshot view (notification images) is registered first and answers the
    # snapshot route; media.py adds the clip and stored files on the same path scheme.
    async_register_views(hass)
    hass.http.register_view(HsiEventMediaView(hass))
    async_register_websocket_commands(hass)
    await async_register_card(hass)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: HsiConfigEntry) -> bool:
    """Connect to the server, load the platforms and open the push stream."""
    client = HsiClient(async_get_clientsession(hass), entry.data[CONF_URL], entry.data[CONF_API_KEY])
    with translate_setup_errors(ConfigEntryNotReady, "cannot_connect"):
        info = await client.get_info()

    coordinator = HsiCoordinator(hass, entry, client, info)
    await coordinator.async_config_entry_first_refresh()
    entry.runtime_data = HsiRuntimeData(client=client, coordinator=coordinator)

    # The server device first: every camera device names it as via_device.
    server_device = dr.async_get(hass).async_get_or_create(
        config_entry_id=entry.entry_id, **server_device_info(coordinator)
    )
    coordinator.server_device_id = server_device.id
    _async_remove_deselected(hass, entry)

    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)

    entry.async_create_background_task(hass, coordinator.async_run_push(), f"{DOMAIN} push {entry.entry_id}")
    entry.async_on_unload(async_register_llm_api(hass, entry))
    entry.async_on_unload(entry.add_update_listener(_async_options_updated))
    return True


async def async_unload_entry(hass: HomeAssistant, entry: HsiConfigEntry) -> bool:
    """Unload the platforms; the push task and the Assist API go with the entry."""
    unloaded = await hass.config_entries.async_unload_platforms(entry, PLATFORMS)
    if unloaded:
        async_clear_issues(hass, entry)
    return unloaded


async def _async_options_updated(hass: HomeAssistant, entry: HsiConfigEntry) -> None:
    """Cameras, threshold or history size changed: rebuild the entities."""
    await hass.config_entries.async_reload(entry.entry_id)


@callback
def _async_remove_deselected(hass: HomeAssistant, entry: HsiConfigEntry) -> None:
    """Drop the devices of cameras the user deselected in the options.

    Only an explicit choice removes a device. A camera that is missing from the server's answer
    (deleted, renamed, or a server answering an empty list for a moment) keeps its device, whose
    entities turn unavailable; the user deletes it from the device page
    (async_remove_config_entry_device allows that once the server no longer lists the camera).
    """
    coordinator = entry.runtime_data.coordinator
    selected = set(entry.options.get(CONF_CAMERAS) or [])
    if not selected:
        return
    deselected = {camera_identifier(coordinator, camera) for camera in coordinator.data.cameras} - {
        camera_identifier(coordinator, camera) for camera in selected
    }
    device_registry = dr.async_get(hass)
    for device in dr.async_entries_for_config_entry(device_registry, entry.entry_id):
        if device.identifiers & deselected:
            LOGGER.debug("Removing device %s: camera not selected in the options", device.name)
            # Our own device (one config entry per device on 2026.x): remove it outright.
            device_registry.async_remove_device(device.id)


async def async_remove_config_entry_device(
    hass: HomeAssistant, entry: HsiConfigEntry, device: dr.DeviceEntry
) -> bool:
    """Let the user delete a camera device the server no longer lists (or one not selected)."""
    coordinator = entry.runtime_data.coordinator
    if server_identifier(coordinator) in device.identifiers:
        return False
    return not any(
        camera_identifier(coordinator, camera) in device.identifiers
        for camera in coordinator.included_cameras()
    )
