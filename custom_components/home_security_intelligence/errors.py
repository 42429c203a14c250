"""Turn client errors into translated Home Assistant errors: set-up and refreshes, actions and switches."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager

from homeassistant.exceptions import ConfigEntryAuthFailed, HomeAssistantError, ServiceValidationError

from .api import HsiApiError, HsiAuthError, HsiConnectionError, HsiError
from .const import DOMAIN


@contextmanager
def translate_setup_errors(failure: type[HomeAssistantError], translation_key: str) -> Iterator[None]:
    """A refused key starts reauthentication; any other client error becomes `failure`.

    `failure` is ConfigEntryNotReady at set-up (retried later) or UpdateFailed in a refresh.
    """
    try:
        yield
    except HsiAuthError as err:
        raise ConfigEntryAuthFailed(translation_domain=DOMAIN, translation_key="auth_failed") from err
    except HsiError as err:
        raise failure(
            translation_domain=DOMAIN,
            translation_key=translation_key,
            translation_placeholders={"error": str(err)},
        ) from err


@asynccontextmanager
async def translate_errors() -> AsyncIterator[None]:
    """Raise what the user can act on: a bad request, a missing item, a refused key, no server."""
    try:
        yield
    except HsiAuthError as err:
        if err.status == 403:
            # A valid key without the scope: the user's to fix (an admin key), not a fault of
            # Home Assistant. ServiceValidationError is shown translated and logged as one line;
            # a plain HomeAssistantError is logged by the UI's WebSocket as "Unexpected exception"
            # with a traceback.
            raise ServiceValidationError(translation_domain=DOMAIN, translation_key="forbidden") from err
        raise HomeAssistantError(translation_domain=DOMAIN, translation_key="auth_failed") from err
    except HsiConnectionError as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="cannot_connect",
            translation_placeholders={"error": str(err)},
        ) from err
    except HsiApiError as err:
        if err.status == 404:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="not_found",
                translation_placeholders={"message": err.message},
            ) from err
        if err.status in (400, 409, 422):
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="invalid_request",
                translation_placeholders={"message": err.message},
            ) from err
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="api_error",
            translation_placeholders={"status": str(err.status), "message": err.message},
        ) from err
