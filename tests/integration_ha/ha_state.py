"""Typed access to Home Assistant's state machine for the tests."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigEntry, ConfigEntryState
from homeassistant.core import HomeAssistant, State


def state_of(hass: HomeAssistant, entity_id: str) -> State:
    """The entity's current state; fails the test, naming the entity, when it has none."""
    state = hass.states.get(entity_id)
    assert state is not None, f"{entity_id} has no state"
    return state


def entry_state(entry: ConfigEntry[Any]) -> ConfigEntryState:
    """The entry's state now (a function call, so a type checker does not carry an earlier check over)."""
    return entry.state
