"""Config flow: user, add-on discovery, reauth, reconfigure and options."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from unittest.mock import patch

from aiohttp import web
from aiohttp.test_utils import TestServer
from homeassistant.config_entries import SOURCE_HASSIO, SOURCE_USER
from homeassistant.const import CONF_API_KEY, CONF_URL
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers.service_info.hassio import HassioServiceInfo
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.home_security_intelligence.const import (
    CONF_CAMERAS,
    CONF_EVENT_HISTORY,
    CONF_IDENTITY_CONSENT,
    CONF_MIN_RISK,
    DOMAIN,
)

from .ha_state import state_of
from .hsi_server import INSTANCE_ID, FakeHsiServer


def _discovery(server: FakeHsiServer, **config: object) -> HassioServiceInfo:
    return HassioServiceInfo(
        config={"host": "127.0.0.1", "port": server.port, "api_key": server.api_key, **config},
        name="Home Security Intelligence",
        slug="hsi",
        uuid="1234",
    )


async def test_user_flow_creates_entry(hass: HomeAssistant, hsi_server: FakeHsiServer) -> None:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {}
    with patch("custom_components.home_security_intelligence.async_setup_entry", return_value=True):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_URL: f"{hsi_server.url}/", CONF_API_KEY: hsi_server.api_key}
        )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "HSI Test"
    assert result["data"] == {CONF_URL: hsi_server.url, CONF_API_KEY: hsi_server.api_key}
    assert result["result"].unique_id == INSTANCE_ID


async def test_user_flow_bad_key_then_recovers(hass: HomeAssistant, hsi_server: FakeHsiServer) -> None:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: hsi_server.url, CONF_API_KEY: "wrong"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "invalid_auth"}
    with patch("custom_components.home_security_intelligence.async_setup_entry", return_value=True):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_URL: hsi_server.url, CONF_API_KEY: hsi_server.api_key}
        )
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_user_flow_cannot_connect(hass: HomeAssistant, hsi_server: FakeHsiServer) -> None:
    url = hsi_server.url
    await hsi_server.stop()
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: url, CONF_API_KEY: "k"}
    )
    assert result["errors"] == {"base": "cannot_connect"}


async def test_user_flow_not_an_hsi_server(hass: HomeAssistant, hsi_server: FakeHsiServer) -> None:
    hsi_server.info = {"name": "something else"}
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: hsi_server.url, CONF_API_KEY: hsi_server.api_key}
    )
    assert result["errors"] == {"base": "not_hsi"}


async def test_user_flow_url_without_scheme(hass: HomeAssistant, hsi_server: FakeHsiServer) -> None:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: f"127.0.0.1:{hsi_server.port}", CONF_API_KEY: hsi_server.api_key}
    )
    assert result["errors"] == {"base": "invalid_url"}
    assert not [r for r in hsi_server.requests if r[1] == "/api/system/info"]
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: f" {hsi_server.url}/ ", CONF_API_KEY: hsi_server.api_key}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_URL] == hsi_server.url


async def _other_web_server(routes: list[web.RouteDef]) -> TestServer:
    app = web.Application()
    app.add_routes(routes)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    return server


async def _page(request: web.Request) -> web.Response:
    return web.Response(text="<html>router login</html>", content_type="text/html")


async def _listing(request: web.Request) -> web.Response:
    return web.json_response([1, 2, 3])


async def test_user_flow_other_web_servers_are_not_hsi(hass: HomeAssistant, socket_enabled: None) -> None:
    # A web server without the route (404), one answering HTML, one answering other JSON:
    # each answered, so each is "not an HSI server", never "cannot reach".
    for routes in ([], [web.get("/api/system/info", _page)], [web.get("/api/system/info", _listing)]):
        server = await _other_web_server(routes)
        try:
            result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
            result = await hass.config_entries.flow.async_configure(
                result["flow_id"], {CONF_URL: str(server.make_url("/")), CONF_API_KEY: "k"}
            )
            assert result["errors"] == {"base": "not_hsi"}, routes
        finally:
            await server.close()


async def test_user_flow_a_service_that_does_not_speak_http_is_not_hsi(
    hass: HomeAssistant, socket_enabled: None
) -> None:
    # Something listens at the address but answers in its own protocol (an SSH banner here):
    # it answered, so "not an HSI server", not "cannot reach".
    async def banner(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"SSH-2.0-OpenSSH_9.2\r\n")
        await writer.drain()
        await reader.read(1024)
        writer.close()

    server = await asyncio.start_server(banner, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_URL: f"http://127.0.0.1:{port}", CONF_API_KEY: "k"}
        )
        assert result["errors"] == {"base": "not_hsi"}
    finally:
        server.close()
        await server.wait_closed()


async def test_user_flow_unexpected_error(hass: HomeAssistant, hsi_server: FakeHsiServer) -> None:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    with patch(
        "custom_components.home_security_intelligence.config_flow.HsiClient.get_info",
        side_effect=RuntimeError("boom"),
    ):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_URL: hsi_server.url, CONF_API_KEY: hsi_server.api_key}
        )
    assert result["errors"] == {"base": "unknown"}


async def test_user_flow_aborts_on_duplicate(
    hass: HomeAssistant, hsi_server: FakeHsiServer, mock_entry: MockConfigEntry
) -> None:
    mock_entry.add_to_hass(hass)
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: hsi_server.url, CONF_API_KEY: hsi_server.api_key}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_hassio_discovery_and_confirm(hass: HomeAssistant, hsi_server: FakeHsiServer) -> None:
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_HASSIO}, data=_discovery(hsi_server)
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "hassio_confirm"
    assert result["description_placeholders"] == {"addon": "Home Security Intelligence"}
    with patch("custom_components.home_security_intelligence.async_setup_entry", return_value=True):
        result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"] == {CONF_URL: hsi_server.url, CONF_API_KEY: hsi_server.api_key}
    assert result["result"].unique_id == INSTANCE_ID


async def test_hassio_discovery_updates_existing_entry(
    hass: HomeAssistant, hsi_server: FakeHsiServer
) -> None:
    entry = MockConfigEntry(
        domain=DOMAIN, unique_id=INSTANCE_ID, data={CONF_URL: "http://old:8000", CONF_API_KEY: "old"}
    )
    entry.add_to_hass(hass)
    with patch("custom_components.home_security_intelligence.async_setup_entry", return_value=True):
        result = await hass.config_entries.flow.async_init(
            DOMAIN, context={"source": SOURCE_HASSIO}, data=_discovery(hsi_server, url=hsi_server.url)
        )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert entry.data == {CONF_URL: hsi_server.url, CONF_API_KEY: hsi_server.api_key}


async def test_hassio_discovery_aborts_when_unreachable(
    hass: HomeAssistant, hsi_server: FakeHsiServer
) -> None:
    await hsi_server.stop()
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_HASSIO}, data=_discovery(hsi_server)
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "cannot_connect"


async def test_hassio_discovery_without_key_asks_for_one(
    hass: HomeAssistant, hsi_server: FakeHsiServer
) -> None:
    """The add-on announces host and port only; its server requires a key."""
    discovery = HassioServiceInfo(
        config={"host": "127.0.0.1", "port": hsi_server.port},
        name="Home Security Intelligence",
        slug="hsi",
        uuid="1234",
    )
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_HASSIO}, data=discovery
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "hassio_confirm"
    assert result["data_schema"] is not None
    assert CONF_API_KEY in result["data_schema"].schema
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {CONF_API_KEY: "wrong"})
    assert result["errors"] == {"base": "invalid_auth"}
    with patch("custom_components.home_security_intelligence.async_setup_entry", return_value=True):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_API_KEY: hsi_server.api_key}
        )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"] == {CONF_URL: hsi_server.url, CONF_API_KEY: hsi_server.api_key}

    # Announced again later: the configured server is recognised by its URL.
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_HASSIO}, data=discovery
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_reauth_updates_key(
    hass: HomeAssistant, hsi_server: FakeHsiServer, setup_entry: MockConfigEntry
) -> None:
    hsi_server.api_key = "rotated-key"
    result = await setup_entry.start_reauth_flow(hass)
    assert result["step_id"] == "reauth_confirm"
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {CONF_API_KEY: "still-wrong"})
    assert result["errors"] == {"base": "invalid_auth"}
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {CONF_API_KEY: "rotated-key"})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert setup_entry.data[CONF_API_KEY] == "rotated-key"
    await hass.async_block_till_done()


async def test_reauth_rejects_a_different_server(
    hass: HomeAssistant, hsi_server: FakeHsiServer, mock_entry: MockConfigEntry
) -> None:
    mock_entry.add_to_hass(hass)
    hsi_server.info["instance_id"] = "another-instance"
    result = await mock_entry.start_reauth_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: hsi_server.api_key}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wrong_server"


async def test_reconfigure_changes_url(
    hass: HomeAssistant, hsi_server: FakeHsiServer, mock_entry: MockConfigEntry
) -> None:
    mock_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        mock_entry, data={**mock_entry.data, CONF_URL: "http://192.0.2.1:8000"}
    )
    result = await mock_entry.start_reconfigure_flow(hass)
    assert result["step_id"] == "reconfigure"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: "http://127.0.0.1:1", CONF_API_KEY: hsi_server.api_key}
    )
    assert result["errors"] == {"base": "cannot_connect"}
    new_url = hsi_server.url
    with patch("custom_components.home_security_intelligence.async_setup_entry", return_value=True):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_URL: new_url, CONF_API_KEY: hsi_server.api_key}
        )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert mock_entry.data[CONF_URL] == new_url


async def test_options_flow_lists_cameras_and_reloads(
    hass: HomeAssistant, hsi_server: FakeHsiServer, setup_entry: MockConfigEntry
) -> None:
    result = await hass.config_entries.options.async_init(setup_entry.entry_id)
    assert result["type"] is FlowResultType.FORM
    assert result["data_schema"] is not None
    schema = result["data_schema"].schema
    camera_selector = next(v for k, v in schema.items() if k == CONF_CAMERAS)
    assert [o["value"] for o in camera_selector.config["options"]] == ["front_door", "garage"]
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_CAMERAS: ["garage"], CONF_MIN_RISK: 80.0, CONF_EVENT_HISTORY: 5.0}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert setup_entry.options == {
        CONF_CAMERAS: ["garage"],
        CONF_MIN_RISK: 80,
        CONF_EVENT_HISTORY: 5,
        CONF_IDENTITY_CONSENT: False,  # not given unless turned on
    }
    await hass.async_block_till_done()
    # Reloaded: only the selected camera keeps entities, and the threshold is applied.
    assert hass.states.get("sensor.front_door_risk_score") is None
    assert state_of(hass, "binary_sensor.garage_high_risk").attributes["threshold"] == 80


async def test_options_flow_when_not_loaded(hass: HomeAssistant, mock_entry: MockConfigEntry) -> None:
    mock_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(mock_entry, options={CONF_CAMERAS: ["porch"]})
    result = await hass.config_entries.options.async_init(mock_entry.entry_id)
    assert result["data_schema"] is not None
    schema = result["data_schema"].schema
    camera_selector = next(v for k, v in schema.items() if k == CONF_CAMERAS)
    assert [o["value"] for o in camera_selector.config["options"]] == ["porch"]


async def test_options_flow_asks_for_consent_to_identity_features(
    hass: HomeAssistant, hsi_server: FakeHsiServer, setup_entry: MockConfigEntry
) -> None:
    result = await hass.config_entries.options.async_init(setup_entry.entry_id)
    assert result["data_schema"] is not None
    schema = result["data_schema"].schema
    consent = next(k for k in schema if k == CONF_IDENTITY_CONSENT)
    assert consent.default() is False  # off until the user turns it on
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {CONF_CAMERAS: [], CONF_MIN_RISK: 60, CONF_EVENT_HISTORY: 20, CONF_IDENTITY_CONSENT: True},
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert setup_entry.options[CONF_IDENTITY_CONSENT] is True
    await hass.async_block_till_done()
    # The form remembers it, and withdrawing it is one switch.
    result = await hass.config_entries.options.async_init(setup_entry.entry_id)
    assert result["data_schema"] is not None
    assert next(k for k in result["data_schema"].schema if k == CONF_IDENTITY_CONSENT).default() is True
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {CONF_CAMERAS: [], CONF_MIN_RISK: 60, CONF_EVENT_HISTORY: 20, CONF_IDENTITY_CONSENT: False},
    )
    assert setup_entry.options[CONF_IDENTITY_CONSENT] is False
    await hass.async_block_till_done()


def test_the_consent_text_says_what_is_stored_where_for_how_long_and_the_law() -> None:
    strings = json.loads(
        (Path(__file__).parents[2] / "custom_components" / DOMAIN / "translations" / "en.json").read_text()
    )
    text = strings["options"]["step"]["init"]["data_description"][CONF_IDENTITY_CONSENT]
    for needed in (
        "server's database only",  # where
        "admin API",  # who can see it
        "plate_retention_days",  # retention
        "turning a camera's `plates` off deletes all its reads",  # deletion on opt-out
        "may be regulated where you live",  # local law
        "call_service",  # what Home Assistant itself keeps
        # Faces: biometric data, the same questions.
        "table face_embeddings",  # where
        "biometric data",  # what it is
        "`face_retention_days`",  # retention
        "turning a camera's `faces` off deletes all its embeddings",  # deletion on opt-out
        "with the person's name you give",  # names of people are stored
        "until you delete them",  # how long the gallery is kept
        "enrol only people who agreed",  # the people's own consent
    ):
        assert needed in text, needed
