"""GET /api/system/status: the one document `hsi status` prints."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from inference_server.api import ApiContext
from inference_server.contract.status import SystemStatus
from tests.server.api.conftest import LiveApi, Seeder


async def test_status_names_checks_queues_each_cameras_last_event_and_fallbacks(
    start_api: Callable[..., Awaitable[LiveApi]], make_ctx: Callable[..., ApiContext], seed: Seeder
) -> None:
    await seed.event("front_door", minutes=0, score=20, summary="Old visit.")
    newest = await seed.event("front_door", minutes=5, score=72, summary="Someone at the door at night.")
    await seed.event("garage", minutes=1, score=10, summary="A cat.")
    ctx = make_ctx()
    ctx.models = {
        "stages": {
            "detector": {
                "stage": "detector",
                "backend": "opencv",
                "model_id": None,
                "fallback": True,
                "reason": "no YOLO weights installed",
                "fix": "hsi models pull yolo26n",
            },
            "llm": {
                "stage": "llm",
                "backend": "heuristic",
                "model_id": "heuristic",
                "fallback": False,
                "reason": "configured",
                "fix": None,
            },
        },
        "fallbacks": [
            {
                "stage": "detector",
                "backend": "opencv",
                "model_id": None,
                "fallback": True,
                "reason": "no YOLO weights installed",
                "fix": "hsi models pull yolo26n",
            }
        ],
    }
    ctx.stage_states = lambda: [
        {"name": "detect/detectors", "running": True, "restarts": 0, "last_error": ""},
        {"name": "assess/assessors", "running": False, "restarts": 2, "last_error": "RuntimeError: boom"},
    ]
    api = await start_api(ctx)
    response = await api.get("/api/system/status")
    assert response.status == 200
    status = SystemStatus.model_validate_json(await response.read())
    assert status.checks["database"] and status.checks["redis"]
    assert status.status == "degraded"  # a fallback runs
    assert {q.stage for q in status.queues} == {"detect", "window", "enrich", "assess", "publish"}
    assert all(q.depth == 0 for q in status.queues)
    cameras = {c.id: c for c in status.cameras}
    assert cameras["front_door"].last_event is not None
    assert cameras["front_door"].last_event.id == newest["id"]
    assert cameras["front_door"].last_event.risk_level == "high"
    assert cameras["garage"].last_event is not None and cameras["garage"].last_event.summary == "A cat."
    assert [f.backend for f in status.fallbacks] == ["opencv"]
    assert [(m.stage, m.backend, m.fallback) for m in status.models] == [
        ("detector", "opencv", True),
        ("llm", "heuristic", False),
    ]
    [down] = [s for s in status.stages if not s.running]
    assert down.name == "assess/assessors" and down.restarts == 2 and "boom" in down.last_error
    assert status.events.today >= 0 and status.events.unreviewed == 3


async def test_status_is_not_ready_when_a_check_fails(
    start_api: Callable[..., Awaitable[LiveApi]],
) -> None:
    async def detector_down() -> bool:
        return False

    api = await start_api(detector=detector_down)
    status = SystemStatus.model_validate_json(await (await api.get("/api/system/status")).read())
    assert status.status == "not_ready" and status.checks["detector"] is False
    assert status.cameras == [] and status.fallbacks == []
