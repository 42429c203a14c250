"""`POST /api/ask` on the real server and PostgreSQL: filters from the question, fused ranking, citations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tests.server.api.conftest import LiveApi, Seeder


async def _ask(api: LiveApi, question: str, status: int = 200, **extra: Any) -> Any:
    resp = await api.request("POST", "/api/ask", json={"question": question, **extra})
    body = await resp.json()
    assert resp.status == status, body
    return body


async def test_questions_find_the_right_events_and_cite_them(api: LiveApi, seed: Seeder) -> None:
    seed.base = datetime.now(UTC).replace(microsecond=0) - timedelta(days=2)
    van = await seed.event(
        "driveway",
        score=55,
        summary="Unknown van parked in the driveway.",
        objects={"truck": 1},
        zones=["drive"],
    )
    await seed.event("driveway", minutes=10, score=10, summary="Resident's car arrives.", objects={"car": 1})
    await seed.event(
        "front_door", minutes=20, score=15, summary="Courier leaves a parcel.", objects={"person": 1}
    )
    await seed.event(
        "backyard", minutes=30, score=80, summary="Person tries the back door.", objects={"person": 1}
    )
    old = seed.base - timedelta(days=40)
    seed.base = old
    await seed.event(
        "driveway", score=60, summary="Van parked in the driveway weeks ago.", objects={"truck": 1}
    )

    body = await _ask(api, "did any vans park in the driveway in the last 7 days?")
    assert body["understood"]["cameras"] == ["driveway"] and body["understood"]["categories"] == ["vehicle"]
    ids = [c["id"] for c in body["citations"]]
    assert ids[0] == van["id"] and len(ids) == 2  # the old van is outside the time range
    assert f"[{van['id']}]" in body["answer"]

    suspicious = await _ask(api, "anything suspicious in the past 7 days?")
    assert [c["summary"] for c in suspicious["citations"]][:1] == ["Person tries the back door."]
    assert all(c["risk_level"] != "low" for c in suspicious["citations"])

    nothing = await _ask(api, "any bears at the front door yesterday?")
    assert nothing["citations"] == [] and nothing["answer"] == "No events match that question."


async def test_bad_questions_get_a_clear_error(api: LiveApi) -> None:
    for body in ({"question": ""}, {"question": "x" * 501}, {"q": "hi"}, {"question": "hi", "limit": 0}):
        resp = await api.request("POST", "/api/ask", json=body)
        assert resp.status == 400, body
        assert "error" in await resp.json()
