"""Fixtures: a real in-process inference server and a configured integration."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from pathlib import Path
from typing import Any
from unittest.mock import patch

import pytest
from homeassistant.const import CONF_API_KEY, CONF_URL
from homeassistant.const import __version__ as HA_VERSION
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.syrupy import HomeAssistantSnapshotExtension
from syrupy.assertion import SnapshotAssertion

from custom_components.home_security_intelligence.const import DOMAIN

from .hsi_server import INSTANCE_ID, FakeHsiServer


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Load custom_components/ in every test."""


# The floor lane (2025.4) keeps its snapshots in snapshots/; a newer Home Assistant serializes
# registry entries differently (new fields, sets become lists), so each newer release line gets
# its own folder, snapshots/ha-<year>.<month>/, reviewed when it is created. Same assertions.
_LANE_DIR = None if HA_VERSION.startswith("2025.4.") else "ha-" + ".".join(HA_VERSION.split(".")[:2])


# pytest_homeassistant_custom_component ships no type information: its base class is Any here.
class _LaneSnapshotExtension(HomeAssistantSnapshotExtension):  # type: ignore[misc]
    @classmethod
    def dirname(cls, *, test_location: Any) -> str:
        base = Path(test_location.filepath).parent / "snapshots"
        return str(base if _LANE_DIR is None else base / _LANE_DIR)


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Snapshots that serialize registry entries and states the Home Assistant way."""
    return snapshot.use_extension(_LaneSnapshotExtension)


# What Home Assistant logs when an integration uses deprecated or removed API (frame.report_usage):
# "Detected that custom integration '<domain>' ..." / "Detected code that ... <domain> ...".
# Reports about core test fixtures (e.g. mqtt_mock) name no custom integration and do not count.
def _our_deprecation(message: str) -> bool:
    return message.startswith("Detected") and ("custom integration" in message or DOMAIN in message)


@pytest.fixture(autouse=True)
def no_deprecated_api(caplog: pytest.LogCaptureFixture) -> Any:
    """Fail any test during which Home Assistant reported a deprecated or removed API use by us."""
    yield
    reports = [
        record.getMessage()
        for record in caplog.get_records("setup") + caplog.get_records("call")
        if _our_deprecation(record.getMessage())
    ]
    assert not reports, reports


@pytest.fixture(autouse=True)
def fast_backoff() -> Any:
    """Reconnect quickly in tests."""
    with patch("custom_components.home_security_intelligence.const.WS_BACKOFF_INITIAL", 0.05):
        yield


@pytest.fixture
async def hsi_server(socket_enabled: None) -> AsyncGenerator[FakeHsiServer]:
    """The inference server, listening on 127.0.0.1."""
    server = FakeHsiServer()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def mock_entry(hsi_server: FakeHsiServer) -> MockConfigEntry:
    """A config entry pointing at the test server."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="HSI Test",
        unique_id=INSTANCE_ID,
        data={CONF_URL: hsi_server.url, CONF_API_KEY: hsi_server.api_key},
        options={},
    )


@pytest.fixture
async def setup_entry(
    hass: HomeAssistant, hsi_server: FakeHsiServer, mock_entry: MockConfigEntry
) -> AsyncGenerator[MockConfigEntry]:
    """The integration loaded, with its push stream connected."""
    mock_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_entry.entry_id)
    await hass.async_block_till_done()
    from .hsi_server import wait_for

    await wait_for(lambda: len(hsi_server.ws_clients) == 1, hass)
    yield mock_entry
    if mock_entry.state.recoverable:
        await hass.config_entries.async_unload(mock_entry.entry_id)
        await hass.async_block_till_done()
