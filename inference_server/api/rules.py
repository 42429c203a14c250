"""Alert rule routes: CRUD and a dry run against a past event (rules validated by the domain)."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from aiohttp import web

from inference_server.api import schemas
from inference_server.api.encoding import dumps
from inference_server.api.errors import bad_request, not_found
from inference_server.api.routing import Call, Reply, Router
from inference_server.domain.alert_rules import InvalidRule
from inference_server.store import alerts

router = Router()


def _data(body: schemas.AlertRuleIn) -> dict[str, Any]:
    return body.model_dump()


@router.route(
    "GET",
    "/api/alert-rules",
    summary="Every alert rule",
    tag="alert-rules",
    responses={200: Reply("Rules", schemas.AlertRuleList)},
)
async def list_alert_rules(call: Call) -> web.StreamResponse:
    return web.json_response({"rules": await alerts.list_rules(call.ctx.pool)})


@router.route(
    "POST",
    "/api/alert-rules",
    summary="Create an alert rule",
    tag="alert-rules",
    scope="admin",
    route_class="write",
    body=schemas.AlertRuleIn,
    responses={201: Reply("The new rule", schemas.AlertRule)},
)
async def create_alert_rule(call: Call) -> web.StreamResponse:
    try:
        rule = await alerts.create_rule(call.ctx.pool, _data(call.body))
    except InvalidRule as exc:
        raise bad_request(str(exc), "invalid_rule") from None
    return web.json_response(rule, status=201, dumps=dumps)


@router.route(
    "GET",
    "/api/alert-rules/{id}",
    summary="One alert rule",
    tag="alert-rules",
    path_params={"id": "int"},
    responses={200: Reply("The rule", schemas.AlertRule)},
)
async def get_alert_rule(call: Call) -> web.StreamResponse:
    rule = await alerts.get_rule(call.ctx.pool, call.params["id"])
    if rule is None:
        raise not_found(f"no alert rule {call.params['id']}")
    return web.json_response(rule, dumps=dumps)


@router.route(
    "PUT",
    "/api/alert-rules/{id}",
    summary="Replace an alert rule",
    tag="alert-rules",
    scope="admin",
    route_class="write",
    path_params={"id": "int"},
    body=schemas.AlertRuleIn,
    responses={200: Reply("The rule", schemas.AlertRule)},
)
async def update_alert_rule(call: Call) -> web.StreamResponse:
    try:
        rule = await alerts.update_rule(call.ctx.pool, call.params["id"], _data(call.body))
    except InvalidRule as exc:
        raise bad_request(str(exc), "invalid_rule") from None
    if rule is None:
        raise not_found(f"no alert rule {call.params['id']}")
    return web.json_response(rule, dumps=dumps)


@router.route(
    "DELETE",
    "/api/alert-rules/{id}",
    summary="Delete an alert rule",
    tag="alert-rules",
    scope="admin",
    route_class="write",
    path_params={"id": "int"},
    responses={204: Reply("Deleted")},
)
async def delete_alert_rule(call: Call) -> web.StreamResponse:
    if not await alerts.delete_rule(call.ctx.pool, call.params["id"]):
        raise not_found(f"no alert rule {call.params['id']}")
    return web.Response(status=204)


@router.route(
    "POST",
    "/api/alert-rules/{id}/test",
    summary="Would this rule fire for that event? (dry run)",
    tag="alert-rules",
    scope="read",
    route_class="read",
    path_params={"id": "int"},
    body=schemas.RuleTestRequest,
    responses={200: Reply("matched, reasons", schemas.RuleTestResult)},
)
async def test_alert_rule(call: Call) -> web.StreamResponse:
    try:
        tz: Any = ZoneInfo(call.ctx.settings.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        tz = None
    try:
        result = await alerts.test_rule(call.ctx.pool, call.params["id"], call.body.event_id, tz=tz)
    except alerts.NotFound as exc:
        raise not_found(str(exc)) from None
    except ValueError as exc:
        raise bad_request(str(exc), "invalid_field") from None
    return web.json_response(result, dumps=dumps)
