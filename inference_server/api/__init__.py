"""HTTP and WebSocket API (aiohttp): the only package that knows aiohttp."""

from inference_server.api.app import create_app, state_of
from inference_server.api.context import ApiContext, ApiLimits
from inference_server.api.server import RedactingAccessLogger, start_api

__all__ = ["ApiContext", "ApiLimits", "RedactingAccessLogger", "create_app", "start_api", "state_of"]
