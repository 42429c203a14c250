"""Alert rules CRUD, race-free cooldowns and grouping on the real PostgreSQL."""

from __future__ import annotations

import asyncio
from zoneinfo import ZoneInfo

import asyncpg
import pytest

from inference_server.domain.alert_rules import InvalidRule, parse_rule
from inference_server.store import alerts as alerts_store
from inference_server.store.db import create_pool

from .helpers import add_event, event_json

RULE = {
    "name": "Person at night",
    "severity": "high",
    "conditions": {"min_risk_score": 50, "objects": ["person"], "schedule": {"ranges": ["00:00-24:00"]}},
    "channels": [{"type": "mqtt"}],
    "cooldown_seconds": 300,
}


async def test_rule_crud_round_trip(pg_pool: asyncpg.Pool) -> None:
    created = await alerts_store.create_rule(pg_pool, RULE)
    rule_id = created["id"]
    assert created["name"] == "Person at night"
    assert created["enabled"] is True
    assert created["conditions"]["objects"] == ["person"]
    assert created["group_window_seconds"] == 120
    assert await alerts_store.get_rule(pg_pool, rule_id) == created
    assert [r["id"] for r in await alerts_store.list_rules(pg_pool)] == [rule_id]

    updated = await alerts_store.update_rule(
        pg_pool, rule_id, {**RULE, "enabled": False, "severity": "critical"}
    )
    assert updated is not None
    assert (updated["enabled"], updated["severity"]) == (False, "critical")
    assert await alerts_store.enabled_rules(pg_pool) == []
    assert await alerts_store.update_rule(pg_pool, 9999, RULE) is None

    with pytest.raises(InvalidRule, match="severity"):
        await alerts_store.create_rule(pg_pool, {**RULE, "severity": "meh"})
    with pytest.raises(InvalidRule, match="id"):
        await alerts_store.update_rule(pg_pool, rule_id, {**RULE, "id": rule_id + 1})

    assert await alerts_store.delete_rule(pg_pool, rule_id) is True
    assert await alerts_store.delete_rule(pg_pool, rule_id) is False
    assert await alerts_store.get_rule(pg_pool, rule_id) is None


async def test_rule_can_be_tested_against_a_past_event(pg_pool: asyncpg.Pool) -> None:
    rule = await alerts_store.create_rule(pg_pool, RULE)
    event = await add_event(pg_pool, risk_score=80)
    quiet = await add_event(pg_pool, risk_score=20, objects={"car": 1})
    result = await alerts_store.test_rule(pg_pool, rule["id"], event["id"], tz=ZoneInfo("Europe/Paris"))
    assert result == {
        "matched": True,
        "reasons": [],
        "rule_id": rule["id"],
        "event_id": event["id"],
        "enabled": True,
    }
    result = await alerts_store.test_rule(pg_pool, rule["id"], quiet["id"])
    assert result["matched"] is False
    assert len(result["reasons"]) == 2
    with pytest.raises(alerts_store.NotFound):
        await alerts_store.test_rule(pg_pool, 12345, event["id"])
    with pytest.raises(alerts_store.NotFound):
        await alerts_store.test_rule(pg_pool, rule["id"], "00000000-0000-0000-0000-000000000000")
    with pytest.raises(ValueError, match="event_id"):
        await alerts_store.test_rule(pg_pool, rule["id"], "nope")


async def test_cooldown_is_won_by_exactly_one_of_20_concurrent_workers(
    pg_pool: asyncpg.Pool, database_url: str
) -> None:
    # 20 separate connections, so the claims really run at the same time in PostgreSQL.
    pool = await create_pool(database_url, min_size=20, max_size=20)
    try:
        for round_ in range(5):
            key = f"rule:1|cam:front|obj:person|zone:porch|round:{round_}"
            results = await asyncio.gather(*(alerts_store.claim_cooldown(pool, key, 300) for _ in range(20)))
            assert sum(results) == 1
        # Once the cooldown is over, the next claim wins again (and only one).
        await pg_pool.execute("UPDATE alert_cooldowns SET until = now() - interval '1 second'")
        results = await asyncio.gather(*(alerts_store.claim_cooldown(pool, key, 300) for _ in range(20)))
        assert sum(results) == 1
        assert await alerts_store.claim_cooldown(pool, key, 300) is False
    finally:
        await pool.close()


async def test_concurrent_events_of_one_group_make_one_alert(
    pg_pool: asyncpg.Pool, database_url: str
) -> None:
    created = await alerts_store.create_rule(pg_pool, {**RULE, "group_window_seconds": 60})
    rule = parse_rule(created)
    pool = await create_pool(database_url, min_size=8, max_size=8)
    try:
        events = [event_json(camera=f"cam{i}", risk_score=60 + i) for i in range(8)]
        results = await asyncio.gather(
            *(
                alerts_store.raise_alert(
                    pool, rule=rule, group_key="rule:1|obj:person", event=e, objects=["person"]
                )
                for e in events
            )
        )
    finally:
        await pool.close()
    assert sum(1 for _alert, was_created, _esc in results if was_created) == 1
    stored = await alerts_store.list_alerts(pg_pool)
    assert len(stored) == 1
    alert = stored[0]
    assert sorted(alert["cameras"]) == [f"cam{i}" for i in range(8)]
    assert len(alert["event_ids"]) == 8
    assert alert["risk_score"] == 67
    assert alert["updates"] == 7


async def test_group_window_closes(pg_pool: asyncpg.Pool) -> None:
    rule = parse_rule(await alerts_store.create_rule(pg_pool, {**RULE, "group_window_seconds": 30}))
    first, created, _ = await alerts_store.raise_alert(
        pg_pool, rule=rule, group_key="g", event=event_json(), objects=["person"]
    )
    assert created
    await pg_pool.execute("UPDATE alerts SET updated_at = now() - interval '31 seconds'")
    second, created, _ = await alerts_store.raise_alert(
        pg_pool, rule=rule, group_key="g", event=event_json(camera="back"), objects=["person"]
    )
    assert created and second["id"] != first["id"]


async def test_deliveries_are_recorded_and_listed(pg_pool: asyncpg.Pool) -> None:
    rule = parse_rule(await alerts_store.create_rule(pg_pool, RULE))
    alert, _, _ = await alerts_store.raise_alert(
        pg_pool, rule=rule, group_key="g", event=event_json(), objects=[]
    )
    await alerts_store.record_delivery(
        pg_pool, alert["id"], "webhook", "blocked", target="http://10.0.0.1/x", detail="private", attempts=0
    )
    await alerts_store.record_delivery(pg_pool, alert["id"], "email", "ok", target="a@b.c")
    listed = await alerts_store.list_alerts(pg_pool)
    assert [(d["channel"], d["outcome"], d["attempts"]) for d in listed[0]["deliveries"]] == [
        ("webhook", "blocked", 0),
        ("email", "ok", 1),
    ]
