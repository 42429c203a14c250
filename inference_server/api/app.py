"""The aiohttp application: middlewares, the per-operation guard (limits, auth, validation, audit)."""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass, field
from typing import Any

import asyncpg
from aiohttp import web

from inference_server.api import (
    ask,
    behaviour,
    cameras,
    dlq,
    events,
    faces,
    media,
    plates,
    rules,
    system,
    ui,
    ws,
    zones,
)
from inference_server.api.auth import (
    AuthFailed,
    KeyVerifier,
    Principal,
    authenticate,
    client_address,
    presented_key,
)
from inference_server.api.context import ApiContext, ApiLimits
from inference_server.api.errors import HTTP_CODES, ApiError, error_response
from inference_server.api.ratelimit import RateLimiter
from inference_server.api.routing import Call, Operation, openapi_document
from inference_server.api.schemas import Error
from inference_server.store import audit
from inference_server.store.errors import is_transient

log = logging.getLogger(__name__)

ANONYMOUS = Principal("anonymous", "read")
READ_METHODS = ("GET", "HEAD")
INGRESS = Principal("ingress", "read")
_OUTCOMES = {
    400: "invalid",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    409: "conflict",
    413: "too_large",
    429: "rate_limited",
}


@dataclass(slots=True)
class ApiState:
    """Per-application services built from the context."""

    ctx: ApiContext
    limits: ApiLimits
    limiter: RateLimiter
    verifier: KeyVerifier
    openapi: dict[str, Any]
    hub: ws.Hub
    # Methods of each path without parameters: `PATCH /api/events/search` is that path's 405,
    # not a 404 from `PATCH /api/events/{id}` taking "search" for an id.
    literal_methods: dict[str, tuple[str, ...]] = field(default_factory=dict)

    async def audit(
        self,
        request: web.Request,
        principal: Principal | None,
        action: str,
        outcome: str,
        target: str = "",
        detail: dict[str, Any] | None = None,
    ) -> None:
        """Record an audit row; a failure to record is logged, never raised into the response."""
        try:
            await audit.record(
                self.ctx.pool,
                actor=principal.actor if principal else "unknown",
                address=client_address(request),
                action=action,
                target=target or request.path,
                outcome=outcome,
                detail=detail,
            )
        except Exception as exc:  # the audit must not turn a served request into a 500
            log.warning("audit write failed action=%s error=%s", action, exc)

    async def audit_throttled(
        self,
        request: web.Request,
        principal: Principal | None,
        action: str,
        outcome: str,
        detail: dict[str, Any],
        kind: str = "",
    ) -> None:
        """Audit at most one row per second per (action, kind, address): a flood is visible, not
        amplified (auth failures are throttled per reason, so each kind of failure still shows)."""
        key = f"{self.ctx.keys.prefix}:auditthrottle:{action}:{kind}:{client_address(request)}"
        try:
            first = await self.ctx.redis.set(key, "1", nx=True, ex=1)
        except Exception:
            first = True
        if first:
            await self.audit(request, principal, action, outcome, detail=detail)

    async def check_rate(
        self, request: web.Request, route_class: str, who: str, principal: Principal | None
    ) -> None:
        """Count the request in the bucket; 429 with Retry-After when the bucket is full."""
        if not self.limits.enabled:
            return
        limit = self.limits.limit_for(route_class)
        if limit <= 0:
            return
        verdict = await self.limiter.hit([self.limiter.bucket(route_class, who)], limit)
        if not verdict.allowed:
            await self.audit_throttled(
                request,
                principal,
                "rate_limited",
                "refused",
                {"route_class": route_class, "bucket": who.split(":", 1)[0], "path": request.path[:200]},
            )
            raise ApiError(
                429,
                "rate_limited",
                f"too many {route_class} requests: retry in {verdict.retry_after_s} s",
                headers={"Retry-After": str(verdict.retry_after_s)},
            )

    async def guard(
        self, request: web.Request, scope: str, route_class: str | None, *, websocket: bool = False
    ) -> tuple[Principal, str | None]:
        """Rate limit by address, authenticate, check scope, rate limit by key."""
        address = client_address(request)
        if route_class:
            await self.check_rate(request, route_class, f"ip:{address}", None)
        if scope == "none":
            return ANONYMOUS, None
        reading = request.method in READ_METHODS
        peer = self.ctx.settings.api.ingress_peer
        if (
            scope == "read"
            and reading
            and not websocket
            and peer
            and address == peer
            and not presented_key(request)[0]
        ):
            return INGRESS, None  # Home Assistant's ingress proxy: it authenticated the user
        try:
            principal, protocol = await authenticate(
                request, self.verifier, keys_required=self.ctx.settings.api.keys_required, websocket=websocket
            )
        except AuthFailed as exc:
            await self.audit_throttled(
                request, None, "auth.failed", "denied", {"reason": exc.reason}, kind=exc.reason
            )
            raise ApiError(401, "unauthorized", exc.reason) from None
        # Without a key (keyless mode) the API is read-only: any request that is not a read needs
        # a key, whatever its scope (asking the LLM and dry-running a rule cost and log too).
        if not principal.allows(scope) or (principal.key_id is None and not reading):
            await self.audit_throttled(request, principal, "auth.forbidden", "denied", {"needed": scope})
            if principal.key_id is None:
                raise ApiError(
                    401,
                    "unauthorized",
                    "without an API key the API is read-only: send a key in the X-API-Key header"
                    " (changes need an admin key)",
                )
            raise ApiError(403, "forbidden", f"this API key's scope ({principal.scope}) does not allow this")
        if route_class and principal.key_id:
            await self.check_rate(request, route_class, f"key:{principal.key_id}", principal)
        return principal, protocol


STATE = web.AppKey("hsi_api_state", ApiState)


def _operation_handler(op: Operation) -> Any:
    async def handle(request: web.Request) -> web.StreamResponse:
        state = request.app[STATE]
        principal, _ = await state.guard(request, op.scope, op.route_class)
        status = 500
        try:
            try:
                params = op.parse_params(request.match_info)
            except ApiError as exc:
                allowed = state.literal_methods.get(request.path)
                if exc.status == 404 and allowed and op.method not in allowed:
                    raise ApiError(
                        405,
                        "method_not_allowed",
                        f"{request.path} allows {', '.join(allowed)}",
                        headers={"Allow": ", ".join(allowed)},
                    ) from None
                raise
            call = Call(
                request,
                state.ctx,
                principal,
                params,
                op.parse_query(request),
                None,
            )
            call.body = await op.parse_body(request)
            response = await op.handler(call)
            status = response.status
            return response
        except (ApiError, web.HTTPException) as exc:
            status = exc.status
            raise
        finally:
            if op.method != "GET":
                outcome = "ok" if status < 400 else _OUTCOMES.get(status, "error")
                await state.audit(request, principal, op.operation_id, outcome, detail={"status": status})

    handle.__name__ = op.operation_id
    return handle


@web.middleware
async def error_middleware(request: web.Request, handler: Any) -> web.StreamResponse:
    """Every failure becomes `{"error": {"code", "message"}}`; bad input is never a 5xx."""
    try:
        response: web.StreamResponse = await handler(request)
    except ApiError as exc:
        response = error_response(exc.status, exc.code, exc.message, exc.headers)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        headers = {k: v for k, v in exc.headers.items() if k in ("Allow", "Retry-After", "Content-Range")}
        message = exc.reason if exc.status != 413 else "the request body is too large"
        response = error_response(exc.status, HTTP_CODES.get(exc.status, "error"), message, headers)
    except (asyncpg.DataError, UnicodeError) as exc:
        # Values PostgreSQL cannot take (out-of-range numbers, bad characters): the caller's input.
        response = error_response(400, "invalid_value", f"a value is not acceptable: {type(exc).__name__}")
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        if is_transient(exc):
            log.warning(
                "api service unavailable method=%s path=%s error=%s", request.method, request.path, exc
            )
            response = error_response(
                503, "unavailable", "PostgreSQL or Redis is unavailable; retry shortly", {"Retry-After": "5"}
            )
        else:
            log.exception("api unexpected error method=%s path=%s", request.method, request.path)
            response = error_response(500, "internal_error", "unexpected server error; see the server log")
    return _secure(response)


def _secure(response: web.StreamResponse) -> web.StreamResponse:
    if not response.prepared:
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def _cors_middleware(origins: tuple[str, ...]) -> Any:
    @web.middleware
    async def cors(request: web.Request, handler: Any) -> web.StreamResponse:
        origin = request.headers.get("Origin")
        allowed = origin is not None and ("*" in origins or origin in origins)
        if allowed and request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers:
            return web.Response(
                status=204,
                headers={
                    "Access-Control-Allow-Origin": origin or "",
                    "Access-Control-Allow-Methods": "GET, POST, PUT, PATCH, DELETE",
                    "Access-Control-Allow-Headers": "X-API-Key, Authorization, Content-Type",
                    "Access-Control-Max-Age": "600",
                    "Vary": "Origin",
                },
            )
        response: web.StreamResponse = await handler(request)
        if allowed and not response.prepared:
            response.headers["Access-Control-Allow-Origin"] = origin or ""
            response.headers["Vary"] = "Origin"
        return response

    return cors


def all_operations() -> list[Operation]:
    """Every documented operation, in routing order."""
    return [
        *system.router.operations,
        *cameras.router.operations,
        *events.router.operations,
        *media.router.operations,
        *zones.router.operations,
        *behaviour.router.operations,
        *plates.router.operations,
        *faces.router.operations,
        *ask.router.operations,
        *rules.router.operations,
        *dlq.router.operations,
        *ui.router.operations,
    ]


def create_app(ctx: ApiContext) -> web.Application:
    """The API application. Start it with `start_api` (or any AppRunner) on the caller's loop."""
    limits = ctx.effective_limits()
    middlewares: list[Any] = [error_middleware]
    if limits.cors_origins:
        middlewares.insert(0, _cors_middleware(limits.cors_origins))
    app = web.Application(client_max_size=limits.max_body_bytes, middlewares=middlewares)
    operations = all_operations()
    document = openapi_document(operations, version=ctx.version, error_model=Error)
    hub = ws.Hub(
        ctx.redis,
        ctx.keys.events_channel,
        queue_size=limits.ws_queue_size,
        send_timeout_s=limits.ws_send_timeout_seconds,
        publish_stream=ctx.keys.stream("publish"),
    )
    app[STATE] = ApiState(
        ctx=ctx,
        limits=limits,
        limiter=RateLimiter(ctx.redis, ctx.keys.prefix, limits.window_seconds),
        verifier=KeyVerifier(ctx.pool, limits.key_cache_seconds),
        openapi=document,
        hub=hub,
        literal_methods=_literal_methods(operations),
    )
    openapi_body = json.dumps(document)

    async def openapi_json(request: web.Request) -> web.Response:
        return web.Response(text=openapi_body, content_type="application/json")

    app.router.add_get("/api/openapi.json", openapi_json)
    app.router.add_get("/api/ws", ws.websocket_handler(STATE))
    for op in operations:
        app.router.add_route(op.method, op.aiohttp_path, _operation_handler(op))
        if op.method == "GET" and op.route_class == "media":
            app.router.add_route("HEAD", op.aiohttp_path, _operation_handler(op))

    async def start_hub(app: web.Application) -> None:
        await hub.start()

    async def stop_hub(app: web.Application) -> None:
        await hub.stop()

    app.on_startup.append(start_hub)
    app.on_shutdown.append(stop_hub)
    return app


def _literal_methods(operations: list[Operation]) -> dict[str, tuple[str, ...]]:
    methods: dict[str, list[str]] = {}
    for op in operations:
        if not op.path_params:
            methods.setdefault(op.path, []).append(op.method)
    return {path: tuple(found) for path, found in methods.items()}


def state_of(app: web.Application) -> ApiState:
    """The API's state (tests and the composition root use it to inspect the hub or the verifier)."""
    return app[STATE]
