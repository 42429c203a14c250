"""One error shape for every failure: `{"error": {"code", "message"}}` with the right status."""

from __future__ import annotations

from typing import Any

from aiohttp import web


class ApiError(Exception):
    """An error a client caused or must handle; mapped to its HTTP status by the middleware."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}


def bad_request(message: str, code: str = "invalid_request") -> ApiError:
    """400."""
    return ApiError(400, code, message)


def not_found(message: str = "not found") -> ApiError:
    """404."""
    return ApiError(404, "not_found", message)


def conflict(message: str) -> ApiError:
    """409."""
    return ApiError(409, "conflict", message)


def error_response(
    status: int, code: str, message: str, headers: dict[str, Any] | None = None
) -> web.Response:
    """The JSON error body."""
    return web.json_response({"error": {"code": code, "message": message}}, status=status, headers=headers)


# Codes for aiohttp's own HTTP exceptions (routing, body size...).
HTTP_CODES: dict[int, str] = {
    400: "invalid_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    411: "length_required",
    413: "payload_too_large",
    414: "uri_too_long",
    415: "unsupported_media_type",
    416: "range_not_satisfiable",
    429: "rate_limited",
    431: "headers_too_large",
    503: "unavailable",
}
