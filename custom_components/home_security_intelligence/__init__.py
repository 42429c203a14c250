"""Home Security Intelligence: scored camera events from a local inference server."""

from __future__ import annotations

from homeassistant.const import CONF_API_KEY, CONF_URL, Platform
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryAuthFailed, ConfigEntryNotReady
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.typing import ConfigType

from .api import HsiAuthError, HsiClient, HsiError
from .const import DOMAIN, LOGGER
from .coordinator import HsiCoordinator
from .data import HsiConfigEntry, HsiRuntimeData
from .entity import camera_identifier, server_identifier
from .frontend import async_register_card
from .issues import async_clear_issues
from .llm_api import async_register_llm_api
from .media import HsiEventMediaView
from .services import async_setup_services
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
    hass.http.register_view(HsiEventMediaView(hass))
    async_register_websocket_commands(hass)
    await async_register_card(hass)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: HsiConfigEntry) -> bool:
    """Connect to the server, load the platforms and open the push stream."""
    client = HsiClient(async_get_clientsession(hass), entry.data[CONF_URL], entry.data[CONF_API_KEY])
    try:
        info = await client.get_info()
    except HsiAuthError as err:
        raise ConfigEntryAuthFailed(translation_domain=DOMAIN, translation_key="auth_failed") from err
    except HsiError as err:
        raise ConfigEntryNotReady(
            translation_domain=DOMAIN,
            translation_key="cannot_connect",
            translation_placeholders={"error": str(err)},
        ) from err

    coordinator = HsiCoordinator(hass, entry, client, info)
    await coordinator.async_config_entry_first_refresh()
    entry.runtime_data = HsiRuntimeData(client=client, coordinator=coordinator)

    _async_remove_stale(hass, entry)
    entry.async_on_unload(coordinator.async_add_listener(lambda: _async_remove_stale(hass, entry)))

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
def _async_remove_stale(hass: HomeAssistant, entry: HsiConfigEntry) -> None:
    """Drop devices of cameras and switches of rules that are gone (or no longer selected)."""
    coordinator = entry.runtime_data.coordinator
    if not coordinator.last_update_success:
        return
    valid = {server_identifier(coordinator)} | {
        camera_identifier(coordinator, camera) for camera in coordinator.included_cameras()
    }
    device_registry = dr.async_get(hass)
    for device in dr.async_entries_for_config_entry(device_registry, entry.entry_id):
        if not device.identifiers & valid:
            LOGGER.debug("Removing device %s: camera gone or not selected", device.name)
            device_registry.async_update_device(device.id, remove_config_entry_id=entry.entry_id)

    rule_prefix = f"{coordinator.instance_id}_rule_"
    entity_registry = er.async_get(hass)
    for entity in er.async_entries_for_config_entry(entity_registry, entry.entry_id):
        if (
            entity.domain == Platform.SWITCH
            and entity.unique_id.startswith(rule_prefix)
            and entity.unique_id.removeprefix(rule_prefix) not in coordinator.data.rules
        ):
            entity_registry.async_remove(entity.entity_id)


async def async_remove_config_entry_device(
    hass: HomeAssistant, entry: HsiConfigEntry, device: dr.DeviceEntry
) -> bool:
    """Let the user delete a camera device the server no longer has."""
    coordinator = entry.runtime_data.coordinator
    if server_identifier(coordinator) in device.identifiers:
        return False
    return not any(
        camera_identifier(coordinator, camera) in device.identifiers for camera in coordinator.data.cameras
    )
