"""MQTT channel: alerts on `<prefix>/alerts`, QoS 1, not retained.

The process-wide MQTT connection belongs to `inference_server.mqtt.publisher.MqttPublisher`. The
engine hands an alert to it through the durable publish stream: the "alert" message lists "mqtt"
in `channels`, and the publisher sends it to the broker (entries stay pending while the broker is
down, so nothing is lost). This module holds the topic and payload both sides agree on.
"""

from __future__ import annotations

from typing import Any

from inference_server.notify.types import Delivery

ALERT_QOS = 1


def alert_topic(topic_prefix: str) -> str:
    """The alerts topic under the topic prefix (default "hsi/alerts")."""
    return f"{topic_prefix}/alerts"


def mqtt_payload(alert: dict[str, Any]) -> dict[str, Any]:
    """The JSON published on the alerts topic: the alert without the delivery bookkeeping."""
    return {k: v for k, v in alert.items() if k not in ("channels", "ha")}


def wants_mqtt(alert: dict[str, Any]) -> bool:
    """Whether an "alert" message of the publish stream is for the MQTT alerts topic."""
    return "mqtt" in (alert.get("channels") or [])


class MqttChannel:
    """Marks an alert for the MQTT publisher; the stream entry id is the proof of hand-off."""

    type = "mqtt"

    def __init__(self, topic_prefix: str = "hsi") -> None:
        self.topic = alert_topic(topic_prefix)

    def handed_off(self, stream_id: str | None, error: str | None = None) -> Delivery:
        """The delivery record once the alert message was (or failed to be) put on the stream."""
        if stream_id is None:
            return Delivery("mqtt", self.topic, "failed", error or "not published", 1)
        return Delivery("mqtt", self.topic, "ok", f"queued for the MQTT publisher (stream id {stream_id})", 1)
