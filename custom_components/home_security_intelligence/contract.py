"""The server's contract (risk bands, rule and zone fields, Event JSON fields, message types).

`contract.json` beside this file is generated from the server's `inference_server/contract/`
by `python -m tools.sync_contract`; a server test fails when it is out of date. Do not edit it.
This module uses only the standard library, so the HA tests' fake server can load it too.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Final

# Read once at import (integrations are imported in an executor, never in the event loop).
_DOCUMENT: Final[dict[str, Any]] = json.loads(
    (Path(__file__).parent / "contract.json").read_text(encoding="utf-8")
)

RISK_BANDS: Final[tuple[tuple[int, int, str], ...]] = tuple(
    (int(band["min"]), int(band["max"]), str(band["level"])) for band in _DOCUMENT["risk_bands"]
)
RISK_LEVELS: Final[tuple[str, ...]] = tuple(level for _, _, level in RISK_BANDS)
EVENT_FIELDS: Final[tuple[str, ...]] = tuple(_DOCUMENT["event_fields"])
MESSAGE_TYPES: Final[tuple[str, ...]] = tuple(_DOCUMENT["message_types"])
RULE_FIELDS: Final[tuple[str, ...]] = tuple(_DOCUMENT["rule_fields"])
RULE_DEFAULTS: Final[dict[str, Any]] = dict(_DOCUMENT["rule_defaults"])
RULE_LIMITS: Final[dict[str, tuple[int, int]]] = {
    name: (int(low), int(high)) for name, (low, high) in _DOCUMENT["rule_limits"].items()
}
CHANNEL_TYPES: Final[tuple[str, ...]] = tuple(_DOCUMENT["channel_types"])
ZONE_FIELDS: Final[tuple[str, ...]] = tuple(_DOCUMENT["zone_fields"])
ZONE_TYPES: Final[tuple[str, ...]] = tuple(_DOCUMENT["zone_types"])
FEEDBACK_KINDS: Final[tuple[str, ...]] = tuple(_DOCUMENT["feedback_kinds"])
BEHAVIOUR_KINDS: Final[tuple[str, ...]] = tuple(_DOCUMENT["behaviour_kinds"])


def risk_level(score: int) -> str:
    """The level the server gives a 0-100 score."""
    for low, high, level in RISK_BANDS:
        if low <= score <= high:
            return level
    raise ValueError(f"risk score must be within 0..100, got {score}")


def bands_text() -> str:
    """E.g. "low 0-29, medium 30-59, high 60-84, critical 85-100" (for prompts and help texts)."""
    return ", ".join(f"{level} {low}-{high}" for low, high, level in RISK_BANDS)
