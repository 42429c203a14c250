"""Repair issue: the server's MQTT discovery duplicates this integration's entities."""

from __future__ import annotations

from typing import Any

import pytest
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.home_security_intelligence.const import DOMAIN

from .hsi_server import FakeHsiServer

pytestmark = pytest.mark.parametrize("expected_lingering_timers", [True])


async def test_mqtt_discovery_and_integration_both_active(
    hass: HomeAssistant,
    mqtt_mock: Any,
    hsi_server: FakeHsiServer,
    mock_entry: MockConfigEntry,
    issue_registry: ir.IssueRegistry,
) -> None:
    issue_id = f"duplicate_mqtt_discovery_{mock_entry.entry_id}"
    hsi_server.info["mqtt_discovery"] = True
    mock_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_entry.entry_id)
    await hass.async_block_till_done()
    issue = issue_registry.async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.severity is ir.IssueSeverity.WARNING
    assert issue.translation_key == "duplicate_mqtt_discovery"

    # The server stops publishing discovery (a missing flag means false).
    del hsi_server.info["mqtt_discovery"]
    await mock_entry.runtime_data.coordinator.async_refresh()
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None
    await hass.config_entries.async_unload(mock_entry.entry_id)
