"""The integration's copy of the server contract (generated contract.json) as the integration reads it."""

from __future__ import annotations

import pytest

from custom_components.home_security_intelligence import contract


def test_levels_follow_the_servers_bands() -> None:
    assert contract.RISK_LEVELS == ("low", "medium", "high", "critical")
    assert [contract.risk_level(s) for s in (0, 29, 30, 59, 60, 84, 85, 100)] == [
        "low",
        "low",
        "medium",
        "medium",
        "high",
        "high",
        "critical",
        "critical",
    ]
    with pytest.raises(ValueError, match=r"0\.\.100"):
        contract.risk_level(101)


def test_writable_fields_are_the_servers() -> None:
    assert "group_window_seconds" in contract.RULE_FIELDS
    assert "id" not in contract.RULE_FIELDS and "id" not in contract.ZONE_FIELDS
    assert contract.RULE_LIMITS["cooldown_seconds"] == (0, 7 * 24 * 3600)
