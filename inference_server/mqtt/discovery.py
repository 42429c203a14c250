"""Home Assistant MQTT device-based discovery: one config message per camera.

Topic `<discovery_prefix>/device/hsi_<instance id>_<camera>/config` (retained; the server's
instance id keeps two servers on one broker apart) describes the device, its origin,
availability (`<topic_prefix>/status`) and its components:
- `event`: fires on every new event of the camera (`<topic_prefix>/<camera>/event`; HA ignores the
  retained replay, so a restart does not re-fire the last event), event types = risk levels;
- `sensor` risk score (`<topic_prefix>/<camera>/risk`) and `sensor` last summary;
- `binary_sensor` activity: on while the camera's latest event ended less than 2 minutes ago;
- `image` latest snapshot: `url_topic` is the camera's event topic, `url_template` builds the
  snapshot URL of the event from the server's public URL.
unique_ids are `hsi_<instance id>_<camera>_<component>` and never change. An empty retained payload
on the same topic removes the device (camera deleted, or the Home Assistant integration connected:
the publisher then withdraws discovery so that each camera is one device, the integration's).
Servers before the instance id was added used `hsi_<camera>`; `legacy_config_topic` is cleared.
The payload has no `object_id` (deprecated by Home Assistant's MQTT integration).
"""

from __future__ import annotations

import json
from typing import Any

from inference_server.contract.risk import LEVELS

ORIGIN = {
    "name": "Home Security Intelligence",
    "sw_version": "0.1.0",
    "support_url": "https://github.com/home-security-intelligence/hsi",
}
ACTIVITY_SECONDS = 120


def device_id(camera: str, instance_id: str = "") -> str:
    """The device's discovery id (and identifier): hsi_<instance id>_<camera>."""
    return f"hsi_{instance_id}_{camera}" if instance_id else f"hsi_{camera}"


def config_topic(discovery_prefix: str, camera: str, instance_id: str = "") -> str:
    """Where the camera's device config is published (retained)."""
    return f"{discovery_prefix}/device/{device_id(camera, instance_id)}/config"


def legacy_config_topic(discovery_prefix: str, camera: str) -> str:
    """The config topic of servers before the instance id was part of the discovery id."""
    return f"{discovery_prefix}/device/{device_id(camera)}/config"


def camera_topics(topic_prefix: str, camera: str) -> dict[str, str]:
    """The camera's state topics."""
    return {"event": f"{topic_prefix}/{camera}/event", "risk": f"{topic_prefix}/{camera}/risk"}


def device_config(
    camera: str,
    camera_name: str,
    *,
    topic_prefix: str = "hsi",
    public_url: str = "http://127.0.0.1:8000",
    sw_version: str = "0.1.0",
    instance_id: str = "",
) -> dict[str, Any]:
    """The device-based discovery payload of one camera."""
    dev = device_id(camera, instance_id)
    topics = camera_topics(topic_prefix, camera)
    base = public_url.rstrip("/")
    snapshot_template = "{{ '" + base.replace("'", "") + "/api/events/' ~ value_json.id ~ '/snapshot' }}"
    return {
        "device": {
            "identifiers": [dev],
            "name": camera_name or camera,
            "manufacturer": "Home Security Intelligence",
            "model": "Camera",
            "sw_version": sw_version,
        },
        "origin": dict(ORIGIN, sw_version=sw_version),
        "availability": [
            {
                "topic": f"{topic_prefix}/status",
                "payload_available": "online",
                "payload_not_available": "offline",
            }
        ],
        "qos": 1,
        "components": {
            f"{dev}_event": {
                "platform": "event",
                "name": "Security event",
                "unique_id": f"{dev}_event",
                "state_topic": topics["event"],
                "event_types": list(LEVELS),
                "value_template": (
                    '{{ {"event_type": value_json.risk_level, "event_id": value_json.id,'
                    ' "risk_score": value_json.risk_score, "summary": value_json.summary} | to_json }}'
                ),
                "icon": "mdi:cctv",
            },
            f"{dev}_risk": {
                "platform": "sensor",
                "name": "Risk score",
                "unique_id": f"{dev}_risk",
                "state_topic": topics["risk"],
                "state_class": "measurement",
                "icon": "mdi:shield-alert",
            },
            f"{dev}_summary": {
                "platform": "sensor",
                "name": "Last event",
                "unique_id": f"{dev}_summary",
                "state_topic": topics["event"],
                "value_template": "{{ value_json.summary[:250] }}",
                "json_attributes_topic": topics["event"],
                "json_attributes_template": (
                    '{{ {"event_id": value_json.id, "risk_level": value_json.risk_level,'
                    ' "started_at": value_json.started_at, "objects": value_json.objects} | to_json }}'
                ),
                "icon": "mdi:text-box-outline",
            },
            f"{dev}_activity": {
                "platform": "binary_sensor",
                "name": "Activity",
                "unique_id": f"{dev}_activity",
                "device_class": "motion",
                "state_topic": topics["event"],
                "value_template": (
                    "{{ 'ON' if (as_timestamp(now()) - as_timestamp(value_json.ended_at, 0)) < "
                    f"{ACTIVITY_SECONDS} else 'OFF' }}}}"
                ),
                "off_delay": ACTIVITY_SECONDS,
            },
            f"{dev}_snapshot": {
                "platform": "image",
                "name": "Latest snapshot",
                "unique_id": f"{dev}_snapshot",
                "url_topic": topics["event"],
                "url_template": snapshot_template,
            },
        },
    }


def config_payload(camera: str, camera_name: str, **kwargs: Any) -> str:
    """The config as the JSON text published."""
    return json.dumps(device_config(camera, camera_name, **kwargs), separators=(",", ":"))
