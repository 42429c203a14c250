"""One definition of each contract the server shares with its clients and its tests.

- `risk`: the fixed risk bands over the 0-100 score;
- `events`: the Event JSON (API, WebSocket, MQTT `hsi/events`);
- `rules` and `zones`: the writable fields of alert rules and zones;
- `messages`: the publish-stream message codec (`{"type", "data"}`, plus the WebSocket cursor).

This package imports nothing from the rest of `inference_server` (the domain may import it).
The Home Assistant integration cannot import the server: `python -m tools.sync_contract` writes
`document()` to `custom_components/home_security_intelligence/contract.json`, and a test fails
when that copy differs.
"""

from __future__ import annotations

from typing import Any

from inference_server.contract import events, messages, risk, rules, zones

CONTRACT_VERSION = 1


def document() -> dict[str, Any]:
    """The contract as plain JSON data (what the Home Assistant integration reads)."""
    return {
        "contract_version": CONTRACT_VERSION,
        "risk_bands": [
            {"level": level.value, "min": low, "max": high} for low, high, level in risk.RISK_BANDS
        ],
        "event_fields": list(events.EVENT_FIELDS),
        "assessed_by": list(events.ASSESSED_BY),
        "feedback_kinds": list(events.FEEDBACK_KINDS),
        "behaviour_kinds": list(events.BEHAVIOUR_KINDS),
        "message_types": [t.value for t in messages.MessageType],
        "rule_fields": list(rules.RULE_FIELDS),
        "rule_defaults": dict(rules.RULE_DEFAULTS),
        "rule_limits": {k: list(v) for k, v in rules.RULE_LIMITS.items()},
        "channel_types": list(rules.CHANNEL_TYPES),
        "zone_fields": list(zones.ZONE_FIELDS),
        "zone_types": list(zones.ZONE_TYPES),
    }


__all__ = ["CONTRACT_VERSION", "document", "events", "messages", "risk", "rules", "zones"]
