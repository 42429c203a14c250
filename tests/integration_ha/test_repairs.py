"""Repair issue: the server speaks an API version this integration does not support."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.home_security_intelligence.const import DOMAIN

from .hsi_server import FakeHsiServer


async def test_incompatible_api_version_raises_and_clears_issue(
    hass: HomeAssistant,
    hsi_server: FakeHsiServer,
    mock_entry: MockConfigEntry,
    issue_registry: ir.IssueRegistry,
) -> None:
    hsi_server.info["api_version"] = 2
    hsi_server.info["version"] = "2.0.0"
    mock_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_entry.entry_id)
    await hass.async_block_till_done()
    issue = issue_registry.async_get_issue(DOMAIN, f"incompatible_api_{mock_entry.entry_id}")
    assert issue is not None
    assert issue.severity is ir.IssueSeverity.ERROR
    assert issue.translation_key == "incompatible_api"
    assert issue.translation_placeholders is not None
    assert issue.translation_placeholders["server_api"] == "2"
    assert issue.translation_placeholders["supported_api"] == "1"
    # No MQTT integration: no duplicate issue even if the server publishes discovery.
    assert issue_registry.async_get_issue(DOMAIN, f"duplicate_mqtt_discovery_{mock_entry.entry_id}") is None

    hsi_server.info["api_version"] = 1
    await mock_entry.runtime_data.coordinator.async_refresh()
    assert issue_registry.async_get_issue(DOMAIN, f"incompatible_api_{mock_entry.entry_id}") is None

    hsi_server.info["api_version"] = 3
    await mock_entry.runtime_data.coordinator.async_refresh()
    assert issue_registry.async_get_issue(DOMAIN, f"incompatible_api_{mock_entry.entry_id}") is not None
    await hass.config_entries.async_unload(mock_entry.entry_id)
    assert issue_registry.async_get_issue(DOMAIN, f"incompatible_api_{mock_entry.entry_id}") is None
