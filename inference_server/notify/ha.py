"""Home Assistant channel: the integration receives the "alert" message (WebSocket) and fires the
HA event `home_security_intelligence_alert`; when the rule names a notify service, it calls it
with the `ha` section built here (title, message, image, tag, actions).
"""

from __future__ import annotations

from typing import Any

from inference_server.notify.types import Delivery

HA_EVENT = "home_security_intelligence_alert"


def ha_section(
    alert: dict[str, Any], settings: dict[str, Any], *, link: str | None, snapshot_url: str | None
) -> dict[str, Any]:
    """What the integration needs to notify: service, title, message, image and a per-alert tag."""
    event = alert.get("event") or {}
    camera = event.get("camera_name") or event.get("camera") or ""
    level = str(alert.get("risk_level", "")).upper()
    section: dict[str, Any] = {
        "event_type": HA_EVENT,
        "notify_service": settings.get("notify_service"),
        "title": f"{level} risk on {camera}".strip(),
        "message": str(alert.get("summary") or event.get("summary") or ""),
        "tag": f"hsi-alert-{alert.get('id')}",
        "group": "hsi-alerts",
        "event_id": event.get("id"),
        "camera": event.get("camera"),
    }
    if link:
        section["url"] = link
    if snapshot_url:
        section["image"] = snapshot_url
    return section


class HomeAssistantChannel:
    """Marks an alert for the integration; delivered with the "alert" message of the publish stream."""

    type = "ha"

    def handed_off(
        self, stream_id: str | None, notify_service: str | None, error: str | None = None
    ) -> Delivery:
        """The delivery record once the alert message was (or failed to be) published."""
        target = notify_service or HA_EVENT
        if stream_id is None:
            return Delivery("ha", target, "failed", error or "not published", 1)
        return Delivery("ha", target, "ok", f"published for the integration (stream id {stream_id})", 1)
