"""Diagnostics are redacted."""

from __future__ import annotations

from homeassistant.const import CONF_URL
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import get_diagnostics_for_config_entry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion
from syrupy.filters import props

from custom_components.home_security_intelligence.diagnostics import _redact_url

from .hsi_server import FakeHsiServer


async def test_diagnostics_hide_the_key(
    hass: HomeAssistant,
    hsi_server: FakeHsiServer,
    setup_entry: MockConfigEntry,
    hass_client: ClientSessionGenerator,
    snapshot: SnapshotAssertion,
) -> None:
    result = await get_diagnostics_for_config_entry(hass, hass_client, setup_entry)
    assert hsi_server.api_key not in str(result)
    assert result["entry"]["data"]["api_key"] == "**REDACTED**"
    assert result["push"]["connected"] is True
    assert result == snapshot(exclude=props("entry_id", "created_at", "modified_at", "url", "port"))
    assert result["entry"]["data"][CONF_URL] == hsi_server.url


def test_url_credentials_are_redacted() -> None:
    assert (
        _redact_url("https://user:pw@hsi.local:8000/x")
        == "https://**REDACTED**:**REDACTED**@hsi.local:8000/x"
    )
    assert _redact_url("https://user@hsi.local") == "https://**REDACTED**@hsi.local"
    assert _redact_url("http://hsi.local:8000") == "http://hsi.local:8000"
