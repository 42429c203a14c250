"""One switch per alert rule: enable or disable it on the server."""

from __future__ import annotations

from typing import Any

from homeassistant.components.switch import SwitchEntity
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .api import RULE_FIELDS, writable
from .const import DOMAIN
from .coordinator import HsiCoordinator
from .data import HsiConfigEntry
from .entity import HsiEntity
from .errors import translate_errors

PARALLEL_UPDATES = 1


async def async_setup_entry(
    hass: HomeAssistant, entry: HsiConfigEntry, async_add_entities: AddConfigEntryEntitiesCallback
) -> None:
    """Add a switch for every alert rule, now and when rules are created on the server."""
    coordinator = entry.runtime_data.coordinator
    known: set[str] = set()

    @callback
    def _add_new() -> None:
        if coordinator.last_update_success:
            # A rule deleted on the server: its switch goes (the rule's id is never reused, and a
            # rule is not a device the user might want to keep).
            registry = er.async_get(hass)
            for rule_id in known - set(coordinator.data.rules):
                if entity_id := registry.async_get_entity_id(
                    Platform.SWITCH, DOMAIN, f"{coordinator.instance_id}_rule_{rule_id}"
                ):
                    registry.async_remove(entity_id)
            known.intersection_update(coordinator.data.rules)
        new = [rule_id for rule_id in coordinator.data.rules if rule_id not in known]
        if new:
            known.update(new)
            async_add_entities(HsiAlertRuleSwitch(coordinator, rule_id) for rule_id in new)

    _add_new()
    entry.async_on_unload(coordinator.async_add_listener(_add_new))


class HsiAlertRuleSwitch(HsiEntity, SwitchEntity):
    """Whether an alert rule is enabled."""

    def __init__(self, coordinator: HsiCoordinator, rule_id: str) -> None:
        """Name the switch after the rule."""
        super().__init__(coordinator, "alert_rule")
        self.rule_id = rule_id
        self._attr_unique_id = f"{coordinator.instance_id}_rule_{rule_id}"
        self._attr_translation_placeholders = {"name": str(self.rule.get("name") or rule_id)}

    @property
    def rule(self) -> dict[str, Any]:
        """The rule as last seen."""
        return self.coordinator.data.rules.get(self.rule_id, {})

    @property
    def available(self) -> bool:
        """Unavailable once the rule is gone."""
        return super().available and self.rule_id in self.coordinator.data.rules

    @property
    def is_on(self) -> bool:
        """The rule's enabled flag."""
        return bool(self.rule.get("enabled"))

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        """Severity and channels of the rule."""
        return {
            "rule_id": self.rule_id,
            "severity": self.rule.get("severity"),
            "channels": self.rule.get("channels", []),
        }

    async def async_turn_on(self, **kwargs: Any) -> None:
        """Enable the rule."""
        await self._set_enabled(True)

    async def async_turn_off(self, **kwargs: Any) -> None:
        """Disable the rule."""
        await self._set_enabled(False)

    async def _set_enabled(self, enabled: bool) -> None:
        # PUT replaces the rule, so send it whole with only `enabled` changed.
        body = {**writable(self.rule, RULE_FIELDS), "enabled": enabled}
        async with translate_errors():
            updated = await self.coordinator.client.update_alert_rule(self.rule_id, body)
        self.coordinator.data.rules[self.rule_id] = {**self.rule, **updated, "id": self.rule_id}
        self.coordinator.async_update_listeners()
