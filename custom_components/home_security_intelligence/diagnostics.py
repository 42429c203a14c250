"""Diagnostics: entry, server info and current data, with the key and URL credentials redacted."""

from __future__ import annotations

from typing import Any

from homeassistant.components.diagnostics import REDACTED, async_redact_data
from homeassistant.const import CONF_API_KEY, CONF_URL
from homeassistant.core import HomeAssistant
from yarl import URL

from .data import HsiConfigEntry

TO_REDACT = {CONF_API_KEY, "api_key", "password", "token"}


def _redact_url(url: str) -> str:
    """Keep scheme, host and path; hide user and password."""
    parsed = URL(url)
    if parsed.user is None and parsed.password is None:
        return url
    return str(parsed.with_user(REDACTED).with_password(REDACTED if parsed.password else None))


async def async_get_config_entry_diagnostics(hass: HomeAssistant, entry: HsiConfigEntry) -> dict[str, Any]:
    """What a maintainer needs to see, without secrets."""
    coordinator = entry.runtime_data.coordinator
    entry_dict = async_redact_data(entry.as_dict(), TO_REDACT)
    entry_dict["data"][CONF_URL] = _redact_url(entry.data[CONF_URL])
    return {
        "entry": entry_dict,
        "server": async_redact_data(coordinator.info, TO_REDACT),
        "push": {"connected": coordinator.push_connected, "cursor": coordinator.cursor},
        "last_update_success": coordinator.last_update_success,
        "stats": coordinator.data.stats,
        "cameras": async_redact_data(coordinator.data.cameras, TO_REDACT),
        "rules": async_redact_data(coordinator.data.rules, TO_REDACT),
        "recent_events": list(coordinator.recent_events),
    }
