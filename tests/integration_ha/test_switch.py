"""Alert rule switches."""

from __future__ import annotations

from unittest.mock import patch

import pytest
from homeassistant.components.switch.const import DOMAIN as SWITCH_DOMAIN
from homeassistant.const import ATTR_ENTITY_ID, SERVICE_TURN_OFF, SERVICE_TURN_ON, Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry, snapshot_platform
from syrupy.assertion import SnapshotAssertion

from .ha_state import state_of
from .hsi_server import FakeHsiServer

SWITCH = "switch.hsi_test_alert_rule_night_intruder"


async def test_switch_states(
    hass: HomeAssistant,
    hsi_server: FakeHsiServer,
    mock_entry: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    mock_entry.add_to_hass(hass)
    with patch("custom_components.home_security_intelligence.PLATFORMS", [Platform.SWITCH]):
        assert await hass.config_entries.async_setup(mock_entry.entry_id)
        await hass.async_block_till_done()
    await snapshot_platform(hass, entity_registry, snapshot, mock_entry.entry_id)


async def test_turn_off_and_on_puts_the_whole_rule(
    hass: HomeAssistant, hsi_server: FakeHsiServer, setup_entry: MockConfigEntry
) -> None:
    await hass.services.async_call(SWITCH_DOMAIN, SERVICE_TURN_OFF, {ATTR_ENTITY_ID: SWITCH}, blocking=True)
    assert state_of(hass, SWITCH).state == "off"
    assert hsi_server.rules["1"]["enabled"] is False
    assert hsi_server.rules["1"]["cooldown_seconds"] == 300  # the rest of the rule survived
    assert hsi_server.rules["1"]["channels"] == [{"type": "ha"}]
    await hass.services.async_call(SWITCH_DOMAIN, SERVICE_TURN_ON, {ATTR_ENTITY_ID: SWITCH}, blocking=True)
    assert state_of(hass, SWITCH).state == "on"
    assert hsi_server.rules["1"]["enabled"] is True


async def test_read_only_key_cannot_switch(
    hass: HomeAssistant, hsi_server: FakeHsiServer, mock_entry: MockConfigEntry
) -> None:
    mock_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        mock_entry, data={**mock_entry.data, "api_key": hsi_server.read_only_key}
    )
    await hass.config_entries.async_setup(mock_entry.entry_id)
    await hass.async_block_till_done()
    with pytest.raises(HomeAssistantError) as err:
        await hass.services.async_call(
            SWITCH_DOMAIN, SERVICE_TURN_OFF, {ATTR_ENTITY_ID: SWITCH}, blocking=True
        )
    assert err.value.translation_key == "forbidden"
    assert state_of(hass, SWITCH).state == "on"
    await hass.config_entries.async_unload(mock_entry.entry_id)


async def test_switch_error_is_translated(
    hass: HomeAssistant, hsi_server: FakeHsiServer, setup_entry: MockConfigEntry
) -> None:
    hsi_server.fail_status = 502
    with pytest.raises(HomeAssistantError) as err:
        await hass.services.async_call(
            SWITCH_DOMAIN, SERVICE_TURN_OFF, {ATTR_ENTITY_ID: SWITCH}, blocking=True
        )
    assert err.value.translation_key == "cannot_connect"
    hsi_server.fail_status = None
