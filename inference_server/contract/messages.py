"""The publish-stream message codec.

Every event change, detection and alert is one entry on the publish stream with a single field,
`message`, holding `{"type": ..., "data": {...}}` as JSON. Its consumers (MQTT, alerts, the
WebSocket backfill) decode it here; the live pub/sub channel and the WebSocket carry the same
object plus `"cursor"`, the stream id a client resumes after.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Final

MESSAGE_FIELD: Final = "message"


class MessageType(StrEnum):
    """What a published message is about."""

    EVENT_CREATED = "event.created"
    EVENT_UPDATED = "event.updated"
    DETECTION = "detection"
    ALERT = "alert"
    SYSTEM = "system"
    CAMERA_DELETED = "camera.deleted"


EVENT_MESSAGE_TYPES: Final = frozenset({MessageType.EVENT_CREATED.value, MessageType.EVENT_UPDATED.value})


@dataclass(frozen=True, slots=True)
class PublishMessage:
    """One decoded message; `type` is kept as sent (consumers skip types they do not know)."""

    type: str
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def is_event(self) -> bool:
        """An event.created / event.updated message whose data is an Event JSON object."""
        return self.type in EVENT_MESSAGE_TYPES


def encode(message_type: str, data: Mapping[str, Any]) -> dict[str, str]:
    """The stream entry's fields for a message."""
    return {MESSAGE_FIELD: json.dumps({"type": message_type, "data": dict(data)}, default=str)}


def decode(fields: Mapping[str, Any]) -> PublishMessage | None:
    """The message of a stream entry; None when the entry is not a well-formed message."""
    raw = fields.get(MESSAGE_FIELD)
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8", errors="replace")
    if not isinstance(raw, str):
        return None
    try:
        body = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(body, dict) or not isinstance(body.get("type"), str):
        return None
    data = body.get("data", {})
    if not isinstance(data, dict):
        return None
    return PublishMessage(body["type"], data)


def envelope(message: PublishMessage, cursor: str) -> str:
    """The JSON a WebSocket client (and the pub/sub channel) receives: the message plus its cursor."""
    return json.dumps({"type": message.type, "data": message.data, "cursor": cursor}, default=str)
