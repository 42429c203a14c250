"""Serving the app: an access log that never prints API keys, and a runner helper."""

from __future__ import annotations

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger
from aiohttp.web_request import BaseRequest

from inference_server.logs import redact


class RedactingAccessLogger(AbstractAccessLogger):
    """One key=value line per request; `api_key` query values are replaced by ***."""

    def log(self, request: BaseRequest, response: web.StreamResponse, time: float) -> None:
        path = redact(request.path_qs)
        self.logger.info(
            "api request method=%s path=%s status=%s ms=%.1f remote=%s",
            request.method,
            path,
            response.status,
            time * 1000.0,
            request.remote,
        )


async def start_api(app: web.Application, host: str, port: int) -> web.AppRunner:
    """Start serving on host:port; stop with `await runner.cleanup()`."""
    runner = web.AppRunner(app, access_log_class=RedactingAccessLogger, handler_cancellation=False)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    return runner
