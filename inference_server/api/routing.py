"""Operations declared once: the route, its auth scope, rate class, request and response schemas.

The same pydantic models validate requests and produce the OpenAPI 3.1 document, so the document
cannot drift from what the server accepts.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from aiohttp import web
from pydantic import BaseModel, ValidationError
from pydantic.json_schema import models_json_schema

from inference_server.api.auth import Principal
from inference_server.api.context import ApiContext
from inference_server.api.errors import bad_request, not_found

Scope = Literal["none", "read", "admin"]
RouteClass = Literal["read", "search", "media", "write"]
PathKind = Literal["uuid", "int", "slug", "path", "string"]

_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_PATH_SCHEMAS: dict[PathKind, dict[str, Any]] = {
    "uuid": {"type": "string", "format": "uuid"},
    "int": {"type": "integer", "minimum": 1, "maximum": 2**53},
    "slug": {"type": "string", "pattern": _SLUG.pattern},
    "path": {"type": "string"},
    "string": {"type": "string"},
}


@dataclass(slots=True)
class Call:
    """One validated request, as a handler sees it."""

    request: web.Request
    ctx: ApiContext
    principal: Principal
    params: dict[str, Any]
    query: Any
    body: Any


Handler = Callable[[Call], Awaitable[web.StreamResponse]]


@dataclass(frozen=True, slots=True)
class Reply:
    """A documented response: a model (JSON) or a media type (binary)."""

    description: str
    model: type[BaseModel] | None = None
    media_types: tuple[str, ...] = ()
    headers: tuple[str, ...] = ()


@dataclass(slots=True)
class Operation:
    """A route with everything the server and the document need to know."""

    method: str
    path: str
    handler: Handler
    operation_id: str
    summary: str
    tag: str
    scope: Scope
    route_class: RouteClass | None
    query: type[BaseModel] | None = None
    body: type[BaseModel] | None = None
    path_params: dict[str, PathKind] = field(default_factory=dict)
    responses: dict[int, Reply] = field(default_factory=dict)
    description: str = ""

    @property
    def aiohttp_path(self) -> str:
        """The path in aiohttp's syntax (`{path}` of kind path matches slashes)."""
        path = self.path
        for name, kind in self.path_params.items():
            if kind == "path":
                path = path.replace("{" + name + "}", "{" + name + ":.+}")
        return path

    def parse_params(self, match_info: dict[str, str]) -> dict[str, Any]:
        """Path parameters converted to their kinds; a malformed id is simply not found."""
        out: dict[str, Any] = {}
        for name, kind in self.path_params.items():
            raw = match_info.get(name, "")
            if kind == "uuid":
                try:
                    out[name] = str(uuid.UUID(raw))
                except ValueError:
                    raise not_found(f"no such {name}: {raw[:64]!r}") from None
            elif kind == "int":
                if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= 2**53:
                    raise not_found(f"no such {name}: {raw[:64]!r}")
                out[name] = int(raw)
            elif kind == "slug":
                if not _SLUG.match(raw):
                    raise not_found(f"no such {name}: {raw[:64]!r}")
                out[name] = raw
            else:
                out[name] = raw
        return out

    def parse_query(self, request: web.Request) -> Any:
        """The query string validated by the operation's model (first value of repeated keys)."""
        if self.query is None:
            return None
        raw: dict[str, str] = {}
        for key, value in request.query.items():
            raw.setdefault(key, value)
        try:
            return self.query.model_validate(raw)
        except ValidationError as exc:
            raise bad_request(_describe(exc, "query"), "invalid_parameter") from None

    async def parse_body(self, request: web.Request) -> Any:
        """The JSON body validated by the operation's model."""
        if self.body is None:
            return None
        data = await request.read()
        if not data.strip():
            raise bad_request("a JSON body is required", "invalid_json")
        try:
            return self.body.model_validate_json(data)
        except ValidationError as exc:
            if any(e["type"] == "json_invalid" for e in exc.errors()):
                raise bad_request("the body is not valid JSON", "invalid_json") from None
            raise bad_request(_describe(exc, "body"), "invalid_field") from None


def _describe(exc: ValidationError, where: str) -> str:
    parts = []
    for err in exc.errors()[:3]:
        loc = ".".join(str(p) for p in err["loc"]) or where
        parts.append(f"{loc}: {err['msg']}")
    return f"invalid {where}: " + "; ".join(parts)


class Router:
    """Collects operations; `install` adds them to an aiohttp app, `openapi` documents them."""

    def __init__(self) -> None:
        self.operations: list[Operation] = []

    def route(
        self,
        method: str,
        path: str,
        *,
        summary: str,
        tag: str,
        scope: Scope = "read",
        route_class: RouteClass | None = "read",
        query: type[BaseModel] | None = None,
        body: type[BaseModel] | None = None,
        path_params: dict[str, PathKind] | None = None,
        responses: dict[int, Reply] | None = None,
        description: str = "",
    ) -> Callable[[Handler], Handler]:
        """Declare an operation."""

        def register(handler: Handler) -> Handler:
            self.operations.append(
                Operation(
                    method=method,
                    path=path,
                    handler=handler,
                    operation_id=handler.__name__,
                    summary=summary,
                    tag=tag,
                    scope=scope,
                    route_class=route_class,
                    query=query,
                    body=body,
                    path_params=path_params or {},
                    responses=responses or {},
                    description=description,
                )
            )
            return handler

        return register


def openapi_document(
    operations: list[Operation], *, version: str, error_model: type[BaseModel]
) -> dict[str, Any]:
    """The OpenAPI 3.1 document of the operations."""
    models: set[type[BaseModel]] = {error_model}
    for op in operations:
        if op.body is not None:
            models.add(op.body)
        for reply in op.responses.values():
            if reply.model is not None:
                models.add(reply.model)
    ordered = sorted(models, key=lambda m: m.__name__)
    _, top = models_json_schema(
        [(m, "validation") for m in ordered], ref_template="#/components/schemas/{model}"
    )
    schemas: dict[str, Any] = dict(top.get("$defs", {}))

    def ref(model: type[BaseModel]) -> dict[str, str]:
        return {"$ref": f"#/components/schemas/{model.__name__}"}

    error_content = {"application/json": {"schema": ref(error_model)}}
    paths: dict[str, Any] = {}
    for op in operations:
        item = paths.setdefault(op.path, {})
        parameters: list[dict[str, Any]] = [
            {"name": name, "in": "path", "required": True, "schema": dict(_PATH_SCHEMAS[kind])}
            for name, kind in op.path_params.items()
        ]
        if op.query is not None:
            query_schema = op.query.model_json_schema(ref_template="#/components/schemas/{model}")
            required = set(query_schema.get("required", []))
            for name, prop in query_schema.get("properties", {}).items():
                prop = _strip_null(dict(prop))
                description = prop.pop("description", None)
                prop.pop("title", None)
                param: dict[str, Any] = {
                    "name": name,
                    "in": "query",
                    "required": name in required,
                    "schema": prop,
                }
                if description:
                    param["description"] = description
                parameters.append(param)
        responses: dict[str, Any] = {}
        for status, reply in sorted(op.responses.items()):
            entry: dict[str, Any] = {"description": reply.description}
            if reply.model is not None:
                entry["content"] = {"application/json": {"schema": ref(reply.model)}}
            elif reply.media_types:
                entry["content"] = {
                    mt: {"schema": {"type": "string", "format": "binary"}} for mt in reply.media_types
                }
            if reply.headers:
                entry["headers"] = {h: {"schema": {"type": "string"}} for h in reply.headers}
            responses[str(status)] = entry
        error_statuses = {400: "Invalid parameter or body", 429: "Rate limited (see Retry-After)"}
        if op.scope != "none":
            error_statuses[401] = "Missing or invalid API key"
            error_statuses[403] = "The key's scope does not allow this"
        if op.path_params:
            error_statuses[404] = "Not found"
        if op.body is not None:
            error_statuses[413] = "Body too large"
        for status, text in error_statuses.items():
            if str(status) not in responses:
                entry = {"description": text, "content": error_content}
                if status == 429:
                    entry["headers"] = {"Retry-After": {"schema": {"type": "string"}}}
                responses[str(status)] = entry
        operation: dict[str, Any] = {
            "operationId": op.operation_id,
            "summary": op.summary,
            "tags": [op.tag],
            "parameters": parameters,
            "responses": responses,
        }
        if op.description:
            operation["description"] = op.description
        if op.scope == "none":
            operation["security"] = []
        else:
            operation["x-hsi-scope"] = op.scope
        if op.route_class:
            operation["x-hsi-rate-class"] = op.route_class
        if op.body is not None:
            operation["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": ref(op.body)}},
            }
        item[op.method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Home Security Intelligence API",
            "version": version,
            "description": (
                "Events, cameras, zones, alert rules and system state of the local inference server."
            ),
        },
        "servers": [{"url": "/"}],
        "security": [{"ApiKeyHeader": []}, {"BearerKey": []}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "ApiKeyHeader": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
                "BearerKey": {"type": "http", "scheme": "bearer"},
            },
        },
    }


def _strip_null(schema: dict[str, Any]) -> dict[str, Any]:
    """A query parameter is absent rather than null: drop the null branch pydantic adds."""
    any_of = schema.get("anyOf")
    if isinstance(any_of, list):
        branches = [b for b in any_of if b.get("type") != "null"]
        if len(branches) == 1:
            merged = {k: v for k, v in schema.items() if k != "anyOf"}
            merged.update(branches[0])
            if merged.get("default") is None:
                merged.pop("default", None)
            return merged
        schema["anyOf"] = branches
    if schema.get("default") is None:
        schema.pop("default", None)
    return schema
