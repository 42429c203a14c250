"""Media streaming confined to the media folder, with Range; full-text search over events."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import aiohttp
from yarl import URL

from inference_server.domain.detections import Box, Detection
from tests.server.api.conftest import LiveApi, Seeder


async def _raw_get(api: LiveApi, raw_path: str) -> aiohttp.ClientResponse:
    # encoded=True: the client sends the path exactly as written (no normalisation of .. or %2e).
    return await api.session.get(URL(api.url + raw_path, encoded=True))


async def test_media_is_served_with_type_and_range(api: LiveApi, seed: Seeder, media_dir: Path) -> None:
    event = await seed.event()
    url = event["media"][0]
    full = await api.get(url)
    body = await full.read()
    assert full.status == 200 and full.headers["Content-Type"] == "image/jpeg" and body[:3] == b"\xff\xd8\xff"
    part = await api.get(url, headers={"Range": "bytes=0-9"})
    assert part.status == 206 and await part.read() == body[:10]
    assert part.headers["Content-Range"] == f"bytes 0-9/{len(body)}"
    tail = await api.get(url, headers={"Range": "bytes=-4"})
    assert tail.status == 206 and await tail.read() == body[-4:]
    beyond = await api.get(url, headers={"Range": f"bytes={len(body) + 10}-"})
    assert beyond.status == 416
    clip = media_dir / "front_door" / "clip.mp4"
    clip.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 100)
    video = await api.get("/api/media/front_door/clip.mp4")
    assert video.status == 200 and video.headers["Content-Type"] == "video/mp4"
    head = await api.session.head(api.url + url)
    assert head.status == 200 and int(head.headers["Content-Length"]) == len(body)


async def test_media_paths_cannot_leave_the_media_folder(
    api: LiveApi, seed: Seeder, media_dir: Path, tmp_path: Path
) -> None:
    await seed.event()
    secret = tmp_path / "secret.jpg"
    secret.write_bytes(b"\xff\xd8\xff top secret")
    (media_dir / "quarantine").mkdir()
    (media_dir / "quarantine" / "bad.jpg").write_bytes(b"\xff\xd8\xff quarantined")
    (media_dir / ".thumbs").mkdir(exist_ok=True)
    (media_dir / ".thumbs" / "x.jpg").write_bytes(b"\xff\xd8\xff")
    os.symlink(secret, media_dir / "front_door" / "escape.jpg")
    os.symlink(tmp_path, media_dir / "front_door" / "up")
    os.symlink(media_dir / "quarantine" / "bad.jpg", media_dir / "front_door" / "q.jpg")
    (media_dir / "front_door" / "notes.txt").write_text("not media")
    attempts = [
        "/api/media/../secret.jpg",
        "/api/media/front_door/../../secret.jpg",
        "/api/media/%2e%2e/secret.jpg",
        "/api/media/front_door/%2e%2e/%2e%2e/secret.jpg",
        "/api/media/..%2fsecret.jpg",
        "/api/media/front_door%2f..%2f..%2fsecret.jpg",
        "/api/media/%2Fetc/passwd.jpg",
        "/api/media//etc/hosts.jpg",
        "/api/media/front_door/escape.jpg",
        "/api/media/front_door/up/secret.jpg",
        "/api/media/front_door/q.jpg",
        "/api/media/quarantine/bad.jpg",
        "/api/media/.thumbs/x.jpg",
        "/api/media/front_door/notes.txt",
        "/api/media/front_door/missing.jpg",
        "/api/media/front_door/%00.jpg",
        "/api/media/front_door\\..\\..\\secret.jpg",
    ]
    for raw in attempts:
        resp = await _raw_get(api, raw)
        body = await resp.read()
        assert resp.status in (400, 404), (raw, resp.status)
        assert b"top secret" not in body and b"quarantined" not in body, raw


async def test_search_supports_phrases_or_and_exclusion_with_snippets(api: LiveApi, seed: Seeder) -> None:
    van = await seed.event(
        "driveway",
        minutes=1,
        score=70,
        summary="Unknown white van idling in the driveway at night",
        reasoning="Vehicle stayed for ten minutes with lights off.",
        objects={"truck": 1},
        zones=["Driveway"],
    )
    courier = await seed.event(
        "front_door",
        minutes=2,
        score=15,
        summary="Courier delivered a parcel to the front door",
        reasoning="Uniformed person, short visit, left a package.",
        objects={"person": 1},
        zones=["Porch"],
    )
    cat = await seed.event(
        "garden",
        minutes=3,
        score=5,
        summary="A cat crossed the lawn",
        reasoning="Small animal, no person present.",
        objects={"cat": 1},
        zones=["Lawn"],
        detections=[Detection("cat", 0.7, Box(0.1, 0.1, 0.2, 0.2))],
    )

    async def search(**params: str) -> dict[str, Any]:
        resp = await api.get("/api/events/search", params=params)
        body: dict[str, Any] = await resp.json()
        assert resp.status == 200, body
        return body

    def ids(body: dict[str, Any]) -> list[str]:
        return [e["id"] for e in body["events"]]

    found = await search(q="van")
    assert ids(found) == [van["id"]]
    assert "<mark>van</mark>" in found["events"][0]["snippet"].lower()
    assert ids(await search(q='"white van"')) == [van["id"]]
    assert ids(await search(q='"van white"')) == []
    assert set(ids(await search(q="van OR parcel"))) == {van["id"], courier["id"]}
    assert ids(await search(q="person -parcel")) == [cat["id"]]  # "no person present", not the courier
    assert ids(await search(q="truck")) == [van["id"]]  # object class
    assert ids(await search(q="garden")) == [cat["id"]]  # camera
    assert ids(await search(q="porch")) == [courier["id"]]  # zone
    assert ids(await search(q="person", camera="front_door")) == [courier["id"]]  # combined with filters
    assert ids(await search(q="van OR parcel OR cat", min_risk="50")) == [van["id"]]
    # Relevance: a match in the summary (weight A) outranks one only in the reasoning (weight C).
    ranked = await search(q="person")
    assert ids(ranked)[0] == courier["id"]
    page = await search(q="van OR parcel OR cat", limit="2", sort="newest")
    assert ids(page) == [cat["id"], courier["id"]] and page["next_cursor"]
    rest = await search(q="van OR parcel OR cat", limit="2", sort="newest", cursor=page["next_cursor"])
    assert ids(rest) == [van["id"]] and rest["next_cursor"] is None
    relevance_pages: list[str] = []
    cursor = None
    while True:
        body = await search(
            q="van OR parcel OR cat OR person", limit="1", **({"cursor": cursor} if cursor else {})
        )
        relevance_pages += ids(body)
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert sorted(relevance_pages) == sorted([van["id"], courier["id"], cat["id"]])
    assert (await api.get("/api/events/search")).status == 400
    assert (await api.get("/api/events/search", params={"q": "x" * 201})).status == 400
    assert (await search(q="the"))["events"] == []  # only a stop word
    injected = await seed.event(summary="<script>alert(1)</script> intruder", minutes=9)
    snippet = (await search(q="intruder"))["events"][0]
    assert snippet["id"] == injected["id"] and "<script>" not in snippet["snippet"]
