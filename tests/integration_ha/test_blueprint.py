"""The blueprints (risky-event notification, daily digest): valid for Home Assistant's blueprint
schema, and they work.

Runs in the Home Assistant venv (Python 3.13): the blueprint is validated with the automation
blueprint schema, then instantiated in a real `hass` and driven with the integration's bus event
and the mobile app's action event.
"""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.automation.config import AUTOMATION_BLUEPRINT_SCHEMA
from homeassistant.components.automation.const import DOMAIN as AUTOMATION_DOMAIN
from homeassistant.components.blueprint.models import Blueprint
from homeassistant.components.blueprint.schemas import BLUEPRINT_SCHEMA
from homeassistant.core import HomeAssistant, ServiceCall, ServiceResponse, SupportsResponse
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from homeassistant.util.yaml import load_yaml_dict
from pytest_homeassistant_custom_component.common import async_fire_time_changed, async_mock_service

REPO = Path(__file__).resolve().parents[2]
BLUEPRINT = REPO / "blueprints" / "automation" / "home_security_intelligence" / "notify_high_risk_event.yaml"
EVENT = {
    "id": "0b6c0b4e-8f7e-4a43-9a43-3f0f8f2f9e01",
    "camera": "front_door",
    "camera_name": "Front door",
    "risk_score": 82,
    "risk_level": "high",
    "summary": "Unknown person at the front door at night",
    "media": ["/api/media/front_door/2024/a.jpg"],
    # What the integration adds to its bus event: Home Assistant's signed snapshot path.
    "snapshot_path": "/api/home_security_intelligence/01J/events/0b6c/snapshot?authSig=abc",
}


def test_blueprint_passes_home_assistant_schemas() -> None:
    data = load_yaml_dict(BLUEPRINT)
    for schema in (BLUEPRINT_SCHEMA, AUTOMATION_BLUEPRINT_SCHEMA):
        blueprint = Blueprint(data, expected_domain="automation", schema=schema, path=str(BLUEPRINT))
        assert blueprint.validate() is None
    assert set(blueprint.inputs) == {"notify_service", "min_risk", "snooze_minutes"}


async def test_blueprint_notifies_and_its_buttons_call_the_integration(
    hass: HomeAssistant, tmp_path: Path
) -> None:
    hass.config.config_dir = str(tmp_path)
    target = tmp_path / "blueprints" / "automation" / "home_security_intelligence"
    target.mkdir(parents=True)
    shutil.copy(BLUEPRINT, target / BLUEPRINT.name)
    notify_calls = async_mock_service(hass, "notify", "mobile_app_phone")
    review_calls = async_mock_service(hass, "home_security_intelligence", "review_event")
    snooze_calls = async_mock_service(hass, "home_security_intelligence", "snooze_camera")
    feedback_calls = async_mock_service(hass, "home_security_intelligence", "give_feedback")

    assert await async_setup_component(
        hass,
        AUTOMATION_DOMAIN,
        {
            AUTOMATION_DOMAIN: {
                "use_blueprint": {
                    "path": f"home_security_intelligence/{BLUEPRINT.name}",
                    "input": {
                        "notify_service": "notify.mobile_app_phone",
                        "min_risk": 70,
                    },
                }
            }
        },
    )
    await hass.async_block_till_done()
    assert len(hass.states.async_entity_ids(AUTOMATION_DOMAIN)) == 1

    hass.bus.async_fire(
        "home_security_intelligence_event", {**EVENT, "risk_score": 40, "risk_level": "medium"}
    )
    await hass.async_block_till_done()
    assert notify_calls == []

    hass.bus.async_fire("home_security_intelligence_event", EVENT)
    await hass.async_block_till_done()
    assert len(notify_calls) == 1
    data = notify_calls[0].data
    assert data["title"] == "Front door: HIGH risk (82)"
    assert data["message"] == EVENT["summary"]
    extra = data["data"]
    assert extra["tag"] == extra["group"] == f"hsi-{EVENT['id']}"
    assert extra["image"] == EVENT["snapshot_path"]  # no server URL, no API key
    assert extra["actions"] == [
        {"action": f"HSI_REVIEW_{EVENT['id']}", "title": "Mark reviewed"},
        {"action": f"HSI_FALSE_{EVENT['id']}", "title": "False alarm"},
        {"action": "HSI_SNOOZE_front_door", "title": "Snooze camera 1 h"},
    ]

    hass.bus.async_fire("mobile_app_notification_action", {"action": f"HSI_REVIEW_{EVENT['id']}"})
    hass.bus.async_fire("mobile_app_notification_action", {"action": "HSI_SNOOZE_front_door"})
    hass.bus.async_fire("mobile_app_notification_action", {"action": f"HSI_FALSE_{EVENT['id']}"})
    hass.bus.async_fire("mobile_app_notification_action", {"action": "SOMETHING_ELSE"})
    await hass.async_block_till_done()
    assert [c.data for c in review_calls] == [{"event_id": EVENT["id"]}]
    assert [c.data for c in snooze_calls] == [{"camera": "front_door", "minutes": 60}]
    assert [c.data for c in feedback_calls] == [{"event_id": EVENT["id"], "feedback": "false_alarm"}]


DIGEST = BLUEPRINT.with_name("daily_digest.yaml")


def test_digest_blueprint_passes_home_assistant_schemas() -> None:
    data = load_yaml_dict(DIGEST)
    for schema in (BLUEPRINT_SCHEMA, AUTOMATION_BLUEPRINT_SCHEMA):
        blueprint = Blueprint(data, expected_domain="automation", schema=schema, path=str(DIGEST))
        assert blueprint.validate() is None
    assert set(blueprint.inputs) == {"notify_service", "at", "day", "period", "skip_empty"}


async def test_digest_blueprint_sends_the_days_digest_at_the_chosen_time(
    hass: HomeAssistant, tmp_path: Path, freezer: FrozenDateTimeFactory
) -> None:
    hass.config.config_dir = str(tmp_path)
    target = tmp_path / "blueprints" / "automation" / "home_security_intelligence"
    target.mkdir(parents=True)
    shutil.copy(DIGEST, target / DIGEST.name)
    now = dt_util.now().replace(hour=7, minute=29, second=50, microsecond=0)
    freezer.move_to(now)
    today = now.date()
    yesterday = today - timedelta(days=1)
    asked: list[dict[str, Any]] = []

    async def get_digest(call: ServiceCall) -> ServiceResponse:
        asked.append(dict(call.data))
        day = call.data["date"]
        events = 3 if day == yesterday.isoformat() else 0
        return {"day": day, "events": events, "text": f"Day ending {day}: {events} event(s)"}

    hass.services.async_register(
        "home_security_intelligence", "get_digest", get_digest, supports_response=SupportsResponse.ONLY
    )
    morning = async_mock_service(hass, "notify", "morning")
    evening = async_mock_service(hass, "notify", "evening")
    assert await async_setup_component(
        hass,
        AUTOMATION_DOMAIN,
        {
            AUTOMATION_DOMAIN: [
                {
                    "use_blueprint": {
                        "path": f"home_security_intelligence/{DIGEST.name}",
                        "input": {"notify_service": "notify.morning", "at": "07:30:00", "day": "yesterday"},
                    }
                },
                {
                    # Today has no events yet: skipped.
                    "use_blueprint": {
                        "path": f"home_security_intelligence/{DIGEST.name}",
                        "input": {"notify_service": "notify.evening", "at": "07:30:00", "skip_empty": True},
                    }
                },
            ]
        },
    )
    await hass.async_block_till_done()
    assert len(hass.states.async_entity_ids(AUTOMATION_DOMAIN)) == 2

    freezer.move_to(now.replace(minute=30, second=0))
    async_fire_time_changed(hass, now.replace(minute=30, second=0))
    await hass.async_block_till_done()
    assert sorted(asked, key=lambda d: str(d["date"])) == [
        {"period": "day", "date": yesterday.isoformat()},
        {"period": "day", "date": today.isoformat()},
    ]
    assert evening == []
    assert [c.data for c in morning] == [
        {
            "title": f"Security digest: 3 events ({yesterday.isoformat()})",
            "message": f"Day ending {yesterday.isoformat()}: 3 event(s)",
            "data": {"tag": "hsi-digest", "group": "hsi-digest"},
        }
    ]
    # Stops the time triggers (no timer outlives the test).
    await hass.services.async_call(AUTOMATION_DOMAIN, "turn_off", {"entity_id": "all"}, blocking=True)
