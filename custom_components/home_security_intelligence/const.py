"""Constants of the Home Security Intelligence integration."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Final

DOMAIN: Final = "home_security_intelligence"
LOGGER = logging.getLogger(__package__)

MANUFACTURER: Final = "Home Security Intelligence"

CONF_CAMERAS: Final = "cameras"
CONF_MIN_RISK: Final = "min_risk"
CONF_EVENT_HISTORY: Final = "event_history"
# The user's consent to identity features (licence plates, faces): off until given in the options.
CONF_IDENTITY_CONSENT: Final = "identity_consent"

DEFAULT_MIN_RISK: Final = 60
DEFAULT_EVENT_HISTORY: Final = 20
MAX_EVENT_HISTORY: Final = 200

# The API major version this integration speaks (GET /api/system/info -> api_version).
SUPPORTED_API_VERSION: Final = 1

# Cameras, rules and stats are polled; events arrive by WebSocket push.
SCAN_INTERVAL: Final = timedelta(seconds=60)
# An event counts as "activity" until this long after it ended.
ACTIVITY_HOLD: Final = timedelta(seconds=120)

WS_BACKOFF_INITIAL: Final = 1.0
WS_BACKOFF_MAX: Final = 60.0
WS_HEARTBEAT: Final = 30.0

BUS_EVENT: Final = f"{DOMAIN}_event"
# Fired for alerts of rules with the `ha` channel (the server's inference_server/notify/ha.py).
ALERT_EVENT: Final = f"{DOMAIN}_alert"

EVENT_TYPES: Final = ["person", "vehicle", "animal", "package", "other"]

FRONTEND_URL: Final = f"/{DOMAIN}/hsi-events-card.js"

ISSUE_INCOMPATIBLE_API: Final = "incompatible_api"
ISSUE_DUPLICATE_MQTT: Final = "duplicate_mqtt_discovery"
# Issue ids and translation keys: model_fallback_<stage> (one per stage below).
MODEL_FALLBACK_PREFIX: Final = "model_fallback"
# The server stages that can run a fallback (GET /api/system/info `fallbacks[].stage`).
MODEL_STAGES: Final = ("detector", "llm", "embedder")
