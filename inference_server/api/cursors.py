"""Opaque pagination cursors: URL-safe base64 of a small JSON array, tagged by kind."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from typing import Any

from inference_server.api.errors import bad_request


def encode(kind: str, *values: Any) -> str:
    """A cursor of the given kind holding the values (datetimes as ISO 8601)."""
    items = [v.isoformat() if isinstance(v, datetime) else v for v in values]
    raw = json.dumps([kind, *items], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(kind: str, cursor: str, types: tuple[type, ...]) -> list[Any]:
    """The values of a cursor of this kind, checked against `types`; 400 when it is not one."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
        if not isinstance(data, list) or len(data) != len(types) + 1 or data[0] != kind:
            raise ValueError("wrong shape")
        out: list[Any] = []
        for value, wanted in zip(data[1:], types, strict=True):
            if wanted is datetime:
                parsed = datetime.fromisoformat(value)
                if parsed.tzinfo is None:
                    raise ValueError("naive time")
                out.append(parsed)
            elif wanted is float:
                if isinstance(value, bool) or not isinstance(value, int | float):
                    raise ValueError("not a number")
                out.append(float(value))
            elif wanted is int:
                if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 2**63:
                    raise ValueError("not an id")
                out.append(value)
            else:
                if not isinstance(value, wanted):
                    raise ValueError("wrong type")
                out.append(value)
        return out
    except (ValueError, TypeError, UnicodeError, binascii.Error, OverflowError):
        raise bad_request(
            "cursor is not valid: pass next_cursor from the previous page", "invalid_cursor"
        ) from None
