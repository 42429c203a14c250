"""JSON encoding of API values (datetimes as ISO 8601 with offset, domain events as Event JSON)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from inference_server.domain.events import Event


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Event):
        return value.to_json()
    return str(value)


def dumps(value: Any) -> str:
    """Serialize a response body."""
    return json.dumps(value, default=_default, separators=(",", ":"))
