"""Repair issues (issue registry) raised from what the server reports about itself."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigEntry, ConfigEntryState
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir

from .const import (
    DOMAIN,
    ISSUE_DUPLICATE_MQTT,
    ISSUE_INCOMPATIBLE_API,
    MODEL_FALLBACK_PREFIX,
    MODEL_STAGES,
    SUPPORTED_API_VERSION,
)


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

    _check_model_fallbacks(hass, entry, info)


def _check_model_fallbacks(hass: HomeAssistant, entry: ConfigEntry, info: dict[str, Any]) -> None:
    """One issue per server stage running a fallback model (older servers send no `fallbacks`)."""
    fallbacks = info.get("fallbacks")
    by_stage: dict[str, dict[str, Any]] = {}
    if isinstance(fallbacks, list):
        for item in fallbacks:
            if isinstance(item, dict) and item.get("stage") in MODEL_STAGES:
                by_stage[str(item["stage"])] = item
    for stage in MODEL_STAGES:
        issue_id = _issue_id(f"{MODEL_FALLBACK_PREFIX}_{stage}", entry)
        item = by_stage.get(stage)
        if item is None:
            ir.async_delete_issue(hass, DOMAIN, issue_id)
            continue
        ir.async_create_issue(
            hass,
            DOMAIN,
            issue_id,
            is_fixable=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key=f"{MODEL_FALLBACK_PREFIX}_{stage}",
            translation_placeholders={
                "title": entry.title,
                "using": str(item.get("backend") or "?"),
                "wanted": str(item.get("wanted") or "?"),
                "reason": str(item.get("reason") or ""),
                "fix": str(item.get("fix") or "hsi doctor"),
            },
        )


@callback
def async_clear_issues(hass: HomeAssistant, entry: ConfigEntry) -> None:
    """Remove this entry's issues (on unload)."""
    kinds = [
        ISSUE_INCOMPATIBLE_API,
        ISSUE_DUPLICATE_MQTT,
        *(f"{MODEL_FALLBACK_PREFIX}_{s}" for s in MODEL_STAGES),
    ]
    for kind in kinds:
        ir.async_delete_issue(hass, DOMAIN, _issue_id(kind, entry))
