"""Alert rules as clients write them: the fields, their defaults and bounds, the channel types."""

from __future__ import annotations

from typing import Any, Final

from inference_server.contract.risk import LEVELS

# What POST/PUT /api/alert-rules accept (a stored rule also has id, created_at, updated_at).
RULE_FIELDS: Final[tuple[str, ...]] = (
    "name",
    "enabled",
    "severity",
    "conditions",
    "channels",
    "cooldown_seconds",
    "group_window_seconds",
)
RULE_STORED_FIELDS: Final[tuple[str, ...]] = ("id", "created_at", "updated_at")
CONDITION_FIELDS: Final[tuple[str, ...]] = (
    "min_risk_score",
    "min_level",
    "objects",
    "cameras",
    "zones",
    "min_confidence",
    "unknown_only",
    "schedule",
    "behaviours",
    "tripwires",
)
SEVERITIES: Final[tuple[str, ...]] = LEVELS
CHANNEL_TYPES: Final[tuple[str, ...]] = ("email", "webhook", "mqtt", "ha")

DEFAULT_COOLDOWN_SECONDS: Final = 300
MAX_COOLDOWN_SECONDS: Final = 7 * 24 * 3600
DEFAULT_GROUP_WINDOW_SECONDS: Final = 120
MAX_GROUP_WINDOW_SECONDS: Final = 3600
NAME_MAX_CHARS: Final = 100
MAX_CHANNELS: Final = 20
# A condition list (objects, cameras, zones, behaviours, tripwires): entries and characters each.
MAX_CONDITION_ITEMS: Final = 100
MAX_CONDITION_ITEM_CHARS: Final = 100
# A schedule lists each day at most once and at most this many time ranges.
MAX_SCHEDULE_RANGES: Final = 48

RULE_DEFAULTS: Final[dict[str, Any]] = {
    "enabled": True,
    "severity": "medium",
    "conditions": {},
    "channels": [],
    "cooldown_seconds": DEFAULT_COOLDOWN_SECONDS,
    "group_window_seconds": DEFAULT_GROUP_WINDOW_SECONDS,
}
# Inclusive (lowest, highest) of the integer fields.
RULE_LIMITS: Final[dict[str, tuple[int, int]]] = {
    "cooldown_seconds": (0, MAX_COOLDOWN_SECONDS),
    "group_window_seconds": (0, MAX_GROUP_WINDOW_SECONDS),
}
