"""Serve the Lovelace card and load it on every dashboard.

The card is one committed bundle (built from `frontend/` at the repository root). Its URL carries
a hash of the bundle, so a browser fetches it again exactly when it changed. In storage-mode
dashboards the integration adds (or updates) a Lovelace resource for it, which Lovelace loads
before it builds the cards. YAML-mode dashboards keep their resources in YAML: the integration
cannot write there, so it loads the card as an extra frontend module and logs the one line to add.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any, Protocol, cast

from homeassistant.components.http import StaticPathConfig
from homeassistant.core import HomeAssistant

from .const import DOMAIN, FRONTEND_URL, LOGGER

CARD_FILE = Path(__file__).parent / "frontend" / "hsi-events-card.js"
DATA_CARD_URL = f"{DOMAIN}_card_url"


class _ResourceCollection(Protocol):
    """The part of Lovelace's ResourceStorageCollection this module uses."""

    loaded: bool

    async def async_load(self) -> None: ...

    def async_items(self) -> list[dict[str, Any]]: ...

    async def async_create_item(self, data: dict[str, Any]) -> dict[str, Any]: ...

    async def async_update_item(self, item_id: str, updates: dict[str, Any]) -> dict[str, Any]: ...

    async def async_delete_item(self, item_id: str) -> None: ...


def _bundle_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def versioned_url(digest: str) -> str:
    """The card's URL with a cache-busting version."""
    return f"{FRONTEND_URL}?v={digest}"


async def async_register_card(hass: HomeAssistant) -> str:
    """Serve the bundle and make dashboards load it; returns the URL in use."""
    digest = await hass.async_add_executor_job(_bundle_hash, CARD_FILE)
    url = versioned_url(digest)
    hass.data[DATA_CARD_URL] = url
    # The URL changes with the content, so the file itself may be cached for long.
    await hass.http.async_register_static_paths([StaticPathConfig(FRONTEND_URL, str(CARD_FILE), True)])
    if "frontend" not in hass.config.components:
        return url
    resources = _storage_resources(hass)
    if resources is None:
        from homeassistant.components.frontend import add_extra_js_url

        add_extra_js_url(hass, url)
        LOGGER.info(
            "Lovelace keeps its resources in YAML, so the card is loaded as an extra module. For "
            "reliable first loads add it to your resources: url: %s, type: module",
            url,
        )
        return url
    try:
        await _async_ensure_resource(resources, url)
    except Exception:
        LOGGER.exception("Could not add the card to the Lovelace resources; add %s (module) by hand", url)
    return url


def _storage_resources(hass: HomeAssistant) -> _ResourceCollection | None:
    """Lovelace's writable resource collection, when dashboards are in storage mode."""
    data = hass.data.get("lovelace")
    resources = data.get("resources") if isinstance(data, dict) else getattr(data, "resources", None)
    if resources is None or not hasattr(resources, "async_create_item"):
        return None  # no Lovelace, or YAML resources (read-only)
    return cast(_ResourceCollection, resources)


async def _async_ensure_resource(resources: _ResourceCollection, url: str) -> None:
    """One resource item for the card, at the current URL."""
    if not resources.loaded:
        await resources.async_load()
        resources.loaded = True
    ours = [
        item for item in resources.async_items() if str(item.get("url", "")).split("?")[0] == FRONTEND_URL
    ]
    for extra in ours[1:]:
        await resources.async_delete_item(str(extra["id"]))
    if not ours:
        await resources.async_create_item({"res_type": "module", "url": url})
        LOGGER.info("Added the card to the Lovelace resources: %s", url)
    elif ours[0].get("url") != url or ours[0].get("type") != "module":
        await resources.async_update_item(str(ours[0]["id"]), {"res_type": "module", "url": url})
        LOGGER.info("Updated the card's Lovelace resource: %s", url)
