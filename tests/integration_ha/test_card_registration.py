"""The card is served with a versioned URL and loaded by every dashboard."""

from __future__ import annotations

import hashlib
import json
import logging
from importlib import metadata
from pathlib import Path

import pytest
from homeassistant.components import frontend
from homeassistant.components.frontend import DATA_EXTRA_MODULE_URL
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.home_security_intelligence.const import DOMAIN, FRONTEND_URL
from custom_components.home_security_intelligence.frontend import CARD_FILE

VERSIONED = f"{FRONTEND_URL}?v={hashlib.sha256(CARD_FILE.read_bytes()).hexdigest()[:12]}"


def _resources(hass: HomeAssistant) -> list[dict[str, str]]:
    return list(hass.data["lovelace"].resources.async_items())


async def test_storage_dashboards_get_the_card_as_a_resource(
    hass: HomeAssistant, hass_client: ClientSessionGenerator
) -> None:
    assert await async_setup_component(hass, "frontend", {})
    assert await async_setup_component(hass, DOMAIN, {})
    [resource] = _resources(hass)
    assert resource["url"] == VERSIONED
    assert resource["type"] == "module"
    # A storage-mode resource is enough: not loaded a second time as an extra module.
    assert VERSIONED not in hass.data[DATA_EXTRA_MODULE_URL].urls

    client = await hass_client()
    response = await client.get(VERSIONED)
    assert response.status == 200
    assert response.headers["Content-Type"] == "text/javascript"
    assert "max-age" in response.headers.get("Cache-Control", "")  # the ?v= busts the cache
    assert "customElements.define" in await response.text()


async def test_an_upgrade_moves_the_resource_to_the_new_version(hass: HomeAssistant) -> None:
    assert await async_setup_component(hass, "frontend", {})
    resources = hass.data["lovelace"].resources
    await resources.async_load()
    resources.loaded = True
    await resources.async_create_item({"res_type": "js", "url": f"{FRONTEND_URL}?v=old"})
    await resources.async_create_item({"res_type": "module", "url": f"{FRONTEND_URL}"})
    await resources.async_create_item({"res_type": "module", "url": "/local/other-card.js"})
    assert await async_setup_component(hass, DOMAIN, {})
    urls = sorted((r["url"], r["type"]) for r in _resources(hass))
    assert urls == sorted([("/local/other-card.js", "module"), (VERSIONED, "module")])


async def test_a_current_resource_is_left_alone(
    hass: HomeAssistant, caplog: pytest.LogCaptureFixture
) -> None:
    assert await async_setup_component(hass, "frontend", {})
    resources = hass.data["lovelace"].resources
    await resources.async_load()
    resources.loaded = True
    item = await resources.async_create_item({"res_type": "module", "url": VERSIONED})
    with caplog.at_level(logging.INFO):
        assert await async_setup_component(hass, DOMAIN, {})
    assert _resources(hass) == [item]
    assert "Lovelace resource" not in caplog.text


async def test_yaml_dashboards_load_it_as_a_module_and_say_what_to_add(
    hass: HomeAssistant, caplog: pytest.LogCaptureFixture
) -> None:
    assert await async_setup_component(hass, "lovelace", {"lovelace": {"mode": "yaml"}})
    assert await async_setup_component(hass, "frontend", {})
    with caplog.at_level(logging.INFO):
        assert await async_setup_component(hass, DOMAIN, {})
    assert VERSIONED in hass.data[DATA_EXTRA_MODULE_URL].urls
    assert f"url: {VERSIONED}, type: module" in caplog.text


async def test_without_the_frontend_the_card_is_only_served(
    hass: HomeAssistant, hass_client: ClientSessionGenerator
) -> None:
    assert await async_setup_component(hass, DOMAIN, {})
    assert "lovelace" not in hass.data
    client = await hass_client()
    assert (await client.get(FRONTEND_URL)).status == 200


def test_the_lane_runs_the_frontend_its_release_pins() -> None:
    """Each test lane installs the frontend its Home Assistant release requires (not an older one)."""
    manifest = json.loads((Path(frontend.__file__).parent / "manifest.json").read_text())
    [pin] = [r for r in manifest["requirements"] if r.startswith("home-assistant-frontend==")]
    assert metadata.version("home-assistant-frontend") == pin.split("==", 1)[1]
