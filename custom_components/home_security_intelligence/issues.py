"""Repair issues (issue registry) raised from what the server reports about itself."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigEntry, ConfigEntryState
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir

from .const import DOMAIN, ISSUE_DUPLICATE_MQTT, ISSUE_INCOMPATIBLE_API, SUPPORTED_API_VERSION


def _issue_id(kind: str, entry: ConfigEntry) -> str:
    return f"{kind}_{entry.entry_id}"


def _mqtt_active(hass: HomeAssistant) -> bool:
    return any(entry.state is ConfigEntryState.LOADED for entry in hass.config_entries.async_entries("mqtt"))


@callback
def async_check_server_issues(hass: HomeAssistant, entry: ConfigEntry, info: dict[str, Any]) -> None:
    """Create or clear the issues that depend on the server's /api/system/info."""
    api_version = info.get("api_version")
    if api_version != SUPPORTED_API_VERSION:
        ir.async_create_issue(
            hass,
            DOMAIN,
            _issue_id(ISSUE_INCOMPATIBLE_API, entry),
            is_fixable=False,
            severity=ir.IssueSeverity.ERROR,
            translation_key=ISSUE_INCOMPATIBLE_API,
            translation_placeholders={
                "title": entry.title,
                "server_api": str(api_version),
                "supported_api": str(SUPPORTED_API_VERSION),
                "server_version": str(info.get("version", "?")),
            },
        )
    else:
        ir.async_delete_issue(hass, DOMAIN, _issue_id(ISSUE_INCOMPATIBLE_API, entry))

    # The same cameras would show up twice: once from MQTT discovery, once from this integration.
    if info.get("mqtt_discovery", False) is True and _mqtt_active(hass):
        ir.async_create_issue(
            hass,
            DOMAIN,
            _issue_id(ISSUE_DUPLICATE_MQTT, entry),
            is_fixable=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key=ISSUE_DUPLICATE_MQTT,
            translation_placeholders={"title": entry.title},
        )
    else:
        ir.async_delete_issue(hass, DOMAIN, _issue_id(ISSUE_DUPLICATE_MQTT, entry))


@callback
def async_clear_issues(hass: HomeAssistant, entry: ConfigEntry) -> None:
    """Remove this entry's issues (on unload)."""
    for kind in (ISSUE_INCOMPATIBLE_API, ISSUE_DUPLICATE_MQTT):
        ir.async_delete_issue(hass, DOMAIN, _issue_id(kind, entry))
