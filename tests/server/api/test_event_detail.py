"""The event detail the card's dialog shows: re-ID sightings on other cameras and the residents' answer."""

from __future__ import annotations

from datetime import timedelta

from inference_server.store.understanding import ReidStore
from tests.server.api.conftest import LiveApi, Seeder


async def test_event_detail_lists_the_same_person_on_other_cameras_within_a_day(
    api: LiveApi, seed: Seeder
) -> None:
    here = await seed.event("front_door", minutes=0)
    nearby = await seed.event("driveway", minutes=2, score=70)
    later = await seed.event("garage", minutes=60 * 72)  # three days on: too far to matter
    stranger = await seed.event("backyard", minutes=1)
    reid = ReidStore(api.ctx.pool, 4, vector_search=False, threshold=0.9)
    same, other = [1.0, 0.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0]
    for event, vector, minutes in ((here, same, 0), (nearby, same, 2), (later, same, 60 * 72)):
        await reid.match_or_create(
            vector,
            label="person",
            camera=event["camera"],
            seen_at=seed.base + timedelta(minutes=minutes),
            event_id=event["id"],
        )
    await reid.match_or_create(
        other,
        label="person",
        camera="backyard",
        seen_at=seed.base + timedelta(minutes=1),
        event_id=stranger["id"],
    )

    body = await (await api.get(f"/api/events/{here['id']}")).json()
    [sighting] = body["sightings"]
    assert sighting["camera"] == "driveway" and sighting["camera_name"] == "Driveway"
    assert sighting["event_id"] == nearby["id"] and sighting["risk_score"] == 70
    assert sighting["label"] == "person" and sighting["similarity"] == 1.0
    assert sighting["entity_name"] is None and sighting["known"] is False
    assert body["feedback"] is None

    # Named by the residents: the dialog says who it was.
    await api.request("PATCH", f"/api/entities/{sighting['entity_id']}", json={"name": "Dad", "known": True})
    body = await (await api.get(f"/api/events/{nearby['id']}")).json()
    [back] = body["sightings"]
    assert back["event_id"] == here["id"] and back["entity_name"] == "Dad" and back["known"] is True

    lonely = await (await api.get(f"/api/events/{stranger['id']}")).json()
    assert lonely["sightings"] == []


async def test_the_residents_answer_is_part_of_the_detail_and_marks_it_reviewed(
    api: LiveApi, seed: Seeder
) -> None:
    event = await seed.event("front_door")
    response = await api.request("PATCH", f"/api/events/{event['id']}", json={"feedback": "false_alarm"})
    assert response.status == 200 and (await response.json())["reviewed"] is True
    body = await (await api.get(f"/api/events/{event['id']}")).json()
    assert body["feedback"] == "false_alarm" and body["reviewed"] is True

    response = await api.request(
        "PATCH", f"/api/events/{event['id']}", json={"feedback": None, "reviewed": False}
    )
    assert response.status == 200
    body = await (await api.get(f"/api/events/{event['id']}")).json()
    assert body["feedback"] is None and body["reviewed"] is False
