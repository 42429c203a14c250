"""One definition of each contract: the bands, the Event JSON, rule and zone fields, the publish
codec; and the Home Assistant integration's generated copy stays equal to it."""

from __future__ import annotations

import importlib.util
import itertools
import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from inference_server import contract
from inference_server.api import schemas
from inference_server.contract import messages
from inference_server.contract.events import ASSESSED_BY, EVENT_FIELDS, Event, event_json
from inference_server.contract.risk import RISK_BANDS, RiskLevel, level_for_score
from inference_server.domain.events import Event as DomainEvent
from tools import sync_contract

ROOT = Path(__file__).resolve().parents[2]
HA = ROOT / "custom_components" / "home_security_intelligence"


def _ha_contract() -> ModuleType:
    spec = importlib.util.spec_from_file_location("ha_contract_under_test", HA / "contract.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_integrations_copy_is_the_servers_contract() -> None:
    assert (HA / "contract.json").read_text(encoding="utf-8") == sync_contract.rendered(), (
        "custom_components/home_security_intelligence/contract.json is stale: run python -m tools.sync_contract"
    )


def test_sync_check_fails_on_a_stale_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    stale = tmp_path / "contract.json"
    stale.write_text(json.dumps({**contract.document(), "rule_fields": ["name"]}), encoding="utf-8")
    monkeypatch.setattr(sync_contract, "HA_COPY", stale)
    monkeypatch.setattr(sync_contract, "ROOT", tmp_path)
    assert sync_contract.main(["--check"]) == 1
    assert sync_contract.main([]) == 0
    assert stale.read_text(encoding="utf-8") == sync_contract.rendered()
    assert sync_contract.main(["--check"]) == 0


def test_sync_check_runs_as_a_command() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "tools.sync_contract", "--check"], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


def test_bands_cover_every_score_once_in_order() -> None:
    assert RISK_BANDS[0][0] == 0 and RISK_BANDS[-1][1] == 100
    for (_, high, _), (low, _, _) in itertools.pairwise(RISK_BANDS):
        assert low == high + 1
    assert [level for _, _, level in RISK_BANDS] == list(RiskLevel)
    with pytest.raises(ValueError):
        level_for_score(101)
    with pytest.raises(ValueError):
        level_for_score(-1)


@given(st.integers(min_value=0, max_value=100))
def test_the_integration_bands_agree_with_the_server(score: int) -> None:
    assert _HA.risk_level(score) == level_for_score(score).value


_HA = _ha_contract()


def test_the_integration_reads_the_same_fields_as_the_server() -> None:
    assert _HA.RULE_FIELDS == contract.rules.RULE_FIELDS
    assert _HA.ZONE_FIELDS == contract.zones.ZONE_FIELDS
    assert _HA.EVENT_FIELDS == EVENT_FIELDS
    assert _HA.bands_text() == "low 0-29, medium 30-59, high 60-84, critical 85-100"
    assert set(_HA.MESSAGE_TYPES) >= {"event.created", "event.updated", "alert"}


def test_api_schemas_accept_exactly_the_contract_fields() -> None:
    assert tuple(schemas.AlertRuleIn.model_fields) == contract.rules.RULE_FIELDS
    assert tuple(schemas.ZoneIn.model_fields) == contract.zones.ZONE_FIELDS
    assert schemas.Event is Event
    assert set(schemas.EventDetail.model_fields) - set(EVENT_FIELDS) == {"detections", "sightings", "faces"}


def _event(**changes: object) -> DomainEvent:
    values: dict[str, object] = {
        "id": "8a7c1d52-4a53-4c2b-9a0e-6f1d2b3c4d5e",
        "camera": "front_door",
        "camera_name": "Front door",
        "started_at": datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC),
        "ended_at": datetime(2025, 1, 2, 3, 4, 35, 120000, tzinfo=timezone(timedelta(hours=2))),
        "risk_score": 72,
        "summary": "A person lingers at the door.",
        "reasoning": "Night, entry point.",
        "objects": {"person": 1},
        "assessed_by": "heuristic",
        "zones": ["Porch"],
        "media": ["/api/media/front_door/a.jpg"],
    }
    values.update(changes)
    return DomainEvent(**values)  # type: ignore[arg-type]


def test_event_json_keeps_its_shape_and_isoformat_times() -> None:
    body = _event().to_json()
    assert list(body) == list(EVENT_FIELDS)
    assert body["started_at"] == "2025-01-02T03:04:05+00:00"  # isoformat, not "Z"
    assert body["ended_at"] == "2025-01-02T03:04:35.120000+02:00"
    assert body["risk_level"] == "high"
    assert body == json.loads(json.dumps(body))
    assert Event.model_validate(body).model_dump(mode="json") == body


def test_event_json_refuses_what_the_contract_does_not_allow() -> None:
    with pytest.raises(ValidationError):
        _event(assessed_by="a model nobody declared").to_json()
    with pytest.raises(ValueError):
        event_json(
            id="x",
            camera="c",
            camera_name="c",
            started_at=datetime.now(UTC),
            ended_at=datetime.now(UTC),
            risk_score=140,
            summary="",
            reasoning="",
            objects={},
            assessed_by="heuristic",
        )


def test_publish_codec_round_trip_and_bad_entries() -> None:
    fields = messages.encode("event.created", {"id": "e1", "when": datetime(2025, 1, 1, tzinfo=UTC)})
    decoded = messages.decode(fields)
    assert decoded == messages.PublishMessage(
        "event.created", {"id": "e1", "when": "2025-01-01 00:00:00+00:00"}
    )
    assert decoded is not None and decoded.is_event
    assert json.loads(messages.envelope(decoded, "17-0")) == {
        "type": "event.created",
        "data": decoded.data,
        "cursor": "17-0",
    }
    assert messages.decode(
        {messages.MESSAGE_FIELD: b'{"type": "alert", "data": {}}'}
    ) == messages.PublishMessage("alert", {})
    for bad in (
        {},
        {"message": "not json"},
        {"message": "[1]"},
        {"message": '{"data": {}}'},
        {"message": '{"type": "x", "data": 3}'},
    ):
        assert messages.decode(bad) is None, bad


@pytest.mark.parametrize("assessed_by", ASSESSED_BY)
async def test_every_assessor_of_the_contract_is_stored_and_read_back(pg_pool: Any, assessed_by: str) -> None:
    """Each name an assessor answers with (the vision step's "vision", HA's AI Task's
    "home_assistant", ...) passes the events table's check and the Event JSON model."""
    import uuid

    from inference_server.domain.risk import RiskAssessment
    from inference_server.store import events as event_store

    await pg_pool.execute("INSERT INTO cameras (id, name) VALUES ('porch', 'Porch') ON CONFLICT DO NOTHING")
    at = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)
    event, created = await event_store.save_event(
        pg_pool,
        event_id=str(uuid.uuid4()),
        camera="porch",
        started_at=at,
        ended_at=at + timedelta(seconds=20),
        assessment=RiskAssessment(61, "A person at the door.", "r", assessed_by),
        objects={"person": 1},
        zones=[],
        context={},
        fast_path=False,
        final=True,
        media_ids=[],
        detection_ids=[],
    )
    assert created and event.to_json()["assessed_by"] == assessed_by


def test_every_assessor_name_is_in_the_contract() -> None:
    from inference_server.ml.llm_home_assistant import HomeAssistantAssessor
    from inference_server.ml.llm_vision import VisionAssessor
    from inference_server.ml.llm_vision_llama_cpp import LlamaCppVisionAssessor

    for cls in (HomeAssistantAssessor, VisionAssessor, LlamaCppVisionAssessor):
        assert cls.name in ASSESSED_BY, cls
