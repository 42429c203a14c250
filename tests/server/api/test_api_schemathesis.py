"""Property-based run of the OpenAPI document against the live server (schemathesis).

Every operation gets a few generated requests; none may produce a 5xx and every response must
match the document.
"""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import response_schema_conformance

from inference_server.store import alerts
from tests.server.api.conftest import LiveApi, Seeder

EXAMPLES_PER_OPERATION = 12


def _run(base_url: str) -> tuple[int, list[str]]:
    schema = schemathesis.openapi.from_url(base_url + "/api/openapi.json")
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result.err()
        operation = result.ok()
        operations += 1

        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
            phases=[Phase.explicit, Phase.generate],
        )
        @given(case=operation.as_strategy())
        def check(case: schemathesis.Case[Any]) -> None:
            case.call_and_validate(
                base_url=base_url, checks=[not_a_server_error, response_schema_conformance]
            )

        try:
            check()
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:  # hypothesis may raise a group of distinct failures
            failures.append(f"{operation.label}: {str(exc)[:2000]}")
    return operations, failures


async def test_schemathesis_finds_no_server_error_and_no_schema_mismatch(
    api: LiveApi, seed: Seeder, pg_pool: asyncpg.Pool
) -> None:
    for i in range(5):
        await seed.event(
            "front_door" if i % 2 else "driveway",
            minutes=i,
            score=i * 20,
            summary=f"Person number {i} at the door",
        )
    await api.request(
        "POST",
        "/api/zones",
        json={
            "camera": "driveway",
            "name": "Drive",
            "zone_type": "driveway",
            "priority": 1,
            "polygon": [[0, 0.5], [1, 0.5], [1, 1]],
            "enabled": True,
        },
    )
    await alerts.create_rule(
        pg_pool, {"name": "Any person", "conditions": {"objects": ["person"]}, "channels": [{"type": "mqtt"}]}
    )
    operations, failures = await asyncio.to_thread(_run, api.url)
    assert operations >= 20
    assert not failures, "\n\n".join(failures)
