"""Config flow: manual setup, Supervisor add-on discovery, reauth, reconfigure and options."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import voluptuous as vol
from homeassistant.config_entries import (
    ConfigEntryState,
    ConfigFlow,
    ConfigFlowResult,
    OptionsFlow,
)
from homeassistant.const import CONF_API_KEY, CONF_URL
from homeassistant.core import callback
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.selector import (
    BooleanSelector,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
from homeassistant.helpers.service_info.hassio import HassioServiceInfo
from yarl import URL

from .api import HsiApiError, HsiAuthError, HsiClient, HsiError, HsiInvalidResponseError
from .const import (
    CONF_CAMERAS,
    CONF_EVENT_HISTORY,
    CONF_IDENTITY_CONSENT,
    CONF_MIN_RISK,
    DEFAULT_EVENT_HISTORY,
    DEFAULT_MIN_RISK,
    DOMAIN,
    LOGGER,
    MANUFACTURER,
    MAX_EVENT_HISTORY,
)
from .data import HsiConfigEntry

URL_SELECTOR = TextSelector(TextSelectorConfig(type=TextSelectorType.URL))
KEY_SELECTOR = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))
USER_SCHEMA = vol.Schema({vol.Required(CONF_URL): URL_SELECTOR, vol.Required(CONF_API_KEY): KEY_SELECTOR})
REAUTH_SCHEMA = vol.Schema({vol.Required(CONF_API_KEY): KEY_SELECTOR})


class HsiConfigFlow(ConfigFlow, domain=DOMAIN):
    """Connect Home Assistant to one inference server."""

    VERSION = 1
    MINOR_VERSION = 1

    def __init__(self) -> None:
        """Nothing discovered yet."""
        self._discovered: dict[str, Any] = {}

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: HsiConfigEntry) -> HsiOptionsFlow:
        """Options: cameras, threshold, history size, consent to identity features."""
        return HsiOptionsFlow()

    async def _async_validate(self, url: str, api_key: str) -> tuple[dict[str, Any] | None, dict[str, str]]:
        """Call GET /api/system/info with these credentials."""
        parsed = URL(url)
        if parsed.scheme not in ("http", "https") or not parsed.host:
            return None, {"base": "invalid_url"}
        client = HsiClient(async_get_clientsession(self.hass), url, api_key)
        try:
            info = await client.get_info()
        except HsiAuthError:
            return None, {"base": "invalid_auth"}
        except (HsiApiError, HsiInvalidResponseError) as err:
            # It answered (e.g. 404, or a web page): something else listens at that address.
            LOGGER.debug("%s is not an HSI server: %s", url, err)
            return None, {"base": "not_hsi"}
        except HsiError as err:
            LOGGER.debug("Cannot reach %s: %s", url, err)
            return None, {"base": "cannot_connect"}
        except Exception:
            LOGGER.exception("Unexpected error validating %s", url)
            return None, {"base": "unknown"}
        if not isinstance(info, dict) or not info.get("instance_id"):
            return None, {"base": "not_hsi"}
        return info, {}

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Ask for the server URL and an API key."""
        errors: dict[str, str] = {}
        if user_input is not None:
            url = user_input[CONF_URL].strip().rstrip("/")
            info, errors = await self._async_validate(url, user_input[CONF_API_KEY])
            if info is not None:
                await self.async_set_unique_id(str(info["instance_id"]))
                self._abort_if_unique_id_configured()
                return self.async_create_entry(
                    title=str(info.get("name") or MANUFACTURER),
                    data={CONF_URL: url, CONF_API_KEY: user_input[CONF_API_KEY]},
                )
        return self.async_show_form(
            step_id="user",
            data_schema=self.add_suggested_values_to_schema(USER_SCHEMA, user_input),
            errors=errors,
        )

    async def async_step_hassio(self, discovery_info: HassioServiceInfo) -> ConfigFlowResult:
        """The Supervisor announced the add-on (config: host and port, or url; api_key optional)."""
        config = discovery_info.config
        url = str(config.get("url") or f"http://{config.get('host')}:{config.get('port', 8000)}")
        api_key = str(config.get("api_key") or "")
        info, errors = await self._async_validate(url, api_key)
        if info is not None:
            await self.async_set_unique_id(str(info["instance_id"]))
            updates = {CONF_URL: url, CONF_API_KEY: api_key} if api_key else {CONF_URL: url}
            self._abort_if_unique_id_configured(updates=updates)
        elif errors["base"] == "invalid_auth":
            # The add-on requires a key it does not announce: ask for one in the confirm step.
            self._async_abort_entries_match({CONF_URL: url})
        else:
            return self.async_abort(reason=errors["base"])
        self._discovered = {
            CONF_URL: url,
            CONF_API_KEY: api_key,
            "info": info,
            "addon": discovery_info.name,
        }
        self.context["title_placeholders"] = {"name": discovery_info.name}
        return await self.async_step_hassio_confirm()

    async def async_step_hassio_confirm(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Let the user confirm the discovered add-on, with an API key when it needs one."""
        errors: dict[str, str] = {}
        info: dict[str, Any] | None = self._discovered["info"]
        needs_key = info is None
        if user_input is not None:
            api_key = user_input.get(CONF_API_KEY, self._discovered[CONF_API_KEY])
            if needs_key:
                info, errors = await self._async_validate(self._discovered[CONF_URL], api_key)
            if info is not None:
                await self.async_set_unique_id(str(info["instance_id"]))
                self._abort_if_unique_id_configured(
                    updates={CONF_URL: self._discovered[CONF_URL], CONF_API_KEY: api_key}
                )
                return self.async_create_entry(
                    title=str(info.get("name") or MANUFACTURER),
                    data={CONF_URL: self._discovered[CONF_URL], CONF_API_KEY: api_key},
                )
        if not needs_key:
            self._set_confirm_only()
        return self.async_show_form(
            step_id="hassio_confirm",
            data_schema=REAUTH_SCHEMA if needs_key else None,
            errors=errors,
            description_placeholders={"addon": self._discovered["addon"]},
        )

    async def async_step_reauth(self, entry_data: Mapping[str, Any]) -> ConfigFlowResult:
        """The key was refused: ask for a new one."""
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Validate the new key against the same server."""
        entry = self._get_reauth_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            info, errors = await self._async_validate(entry.data[CONF_URL], user_input[CONF_API_KEY])
            if info is not None:
                await self.async_set_unique_id(str(info["instance_id"]))
                self._abort_if_unique_id_mismatch(reason="wrong_server")
                return self.async_update_reload_and_abort(
                    entry, data_updates={CONF_API_KEY: user_input[CONF_API_KEY]}
                )
        return self.async_show_form(
            step_id="reauth_confirm",
            data_schema=REAUTH_SCHEMA,
            errors=errors,
            description_placeholders={"title": entry.title, "url": entry.data[CONF_URL]},
        )

    async def async_step_reconfigure(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Change the URL or key of the same server."""
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            url = user_input[CONF_URL].strip().rstrip("/")
            info, errors = await self._async_validate(url, user_input[CONF_API_KEY])
            if info is not None:
                await self.async_set_unique_id(str(info["instance_id"]))
                self._abort_if_unique_id_mismatch(reason="wrong_server")
                return self.async_update_reload_and_abort(
                    entry, data_updates={CONF_URL: url, CONF_API_KEY: user_input[CONF_API_KEY]}
                )
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=self.add_suggested_values_to_schema(USER_SCHEMA, user_input or dict(entry.data)),
            errors=errors,
        )


class HsiOptionsFlow(OptionsFlow):
    """Which cameras get entities, the high-risk threshold, the event history size and the
    consent to identity features (licence plates, faces), whose description is the consent text."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """One form for all options."""
        if user_input is not None:
            return self.async_create_entry(
                data={
                    CONF_CAMERAS: list(user_input.get(CONF_CAMERAS, [])),
                    CONF_MIN_RISK: int(user_input[CONF_MIN_RISK]),
                    CONF_EVENT_HISTORY: int(user_input[CONF_EVENT_HISTORY]),
                    CONF_IDENTITY_CONSENT: bool(user_input.get(CONF_IDENTITY_CONSENT, False)),
                }
            )
        options = self.config_entry.options
        selected: list[str] = list(options.get(CONF_CAMERAS, []))
        cameras: dict[str, str] = {camera: camera for camera in selected}
        if self.config_entry.state is ConfigEntryState.LOADED:
            for camera_id, camera in self.config_entry.runtime_data.coordinator.data.cameras.items():
                cameras[camera_id] = str(camera.get("name") or camera_id)
        schema = vol.Schema(
            {
                vol.Optional(CONF_CAMERAS, default=selected): SelectSelector(
                    SelectSelectorConfig(
                        options=[SelectOptionDict(value=k, label=v) for k, v in sorted(cameras.items())],
                        multiple=True,
                        mode=SelectSelectorMode.LIST,
                    )
                ),
                vol.Required(
                    CONF_MIN_RISK, default=options.get(CONF_MIN_RISK, DEFAULT_MIN_RISK)
                ): NumberSelector(
                    NumberSelectorConfig(min=0, max=100, step=1, mode=NumberSelectorMode.SLIDER)
                ),
                vol.Required(
                    CONF_EVENT_HISTORY, default=options.get(CONF_EVENT_HISTORY, DEFAULT_EVENT_HISTORY)
                ): NumberSelector(
                    NumberSelectorConfig(min=1, max=MAX_EVENT_HISTORY, step=1, mode=NumberSelectorMode.BOX)
                ),
                # Off until the user turns it on after reading the consent text (en.json).
                vol.Required(
                    CONF_IDENTITY_CONSENT, default=bool(options.get(CONF_IDENTITY_CONSENT, False))
                ): BooleanSelector(),
            }
        )
        return self.async_show_form(step_id="init", data_schema=schema)
