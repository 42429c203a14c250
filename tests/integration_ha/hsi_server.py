"""An in-process inference server speaking the HTTP/WebSocket contract, with in-memory data."""

from __future__ import annotations

import asyncio
import importlib.util
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

from aiohttp import WSCloseCode, web
from aiohttp.typedefs import Handler

FIRST_EVENT_AT = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)


def _load_contract() -> ModuleType:
    # The integration's copy of the server contract, loaded by path: this module also runs in the
    # server's test environment (which checks it against /api/openapi.json) without Home Assistant.
    path = Path(__file__).resolve().parents[2] / "custom_components/home_security_intelligence/contract.py"
    spec = importlib.util.spec_from_file_location("hsi_ha_contract", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


contract = _load_contract()
ZONE_FIELDS = set(contract.ZONE_FIELDS)
RULE_FIELDS = set(contract.RULE_FIELDS)
RULE_DEFAULTS: dict[str, Any] = dict(contract.RULE_DEFAULTS)

API_KEY = "test-key-1234"
INSTANCE_ID = "0f8e3c2a-5b1d-4c7e-9a6f-1d2c3b4a5e6f"
# A re-ID entity (the server's ids are UUIDs).
ENTITY_ID = "5b0c6f1e-2f7d-4c1a-9a51-0e6f3c2d1b4a"
TRIPWIRE_FIELDS = {"camera", "name", "a", "b", "enabled"}
SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")  # the server's camera ids (schemas.SLUG_PATTERN)
# A plate read on the garage camera (the server's plate_reads), in the server's normal form.
READ_PLATE = "XY987Z"
# The person tracks of evt-1 (front door) for which the server stored a face (face_embeddings).
FACE_TRACKS = (1, 2)
# A tiny valid JPEG header is enough: the integration passes the bytes through.
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
# Stands for an MP4 clip: the integration streams the bytes through, with Range.
CLIP = bytes(range(256)) * 16


def find_device(registry: Any, identifier: tuple[str, str], entry_id: str) -> Any:
    """A device by identifier: `async_get_device_by_identifier` where Home Assistant has it
    (2026.x, where `async_get_device` is deprecated), `async_get_device` on the floor."""
    by_identifier = getattr(registry, "async_get_device_by_identifier", None)
    if by_identifier is not None:
        return by_identifier(identifier, entry_id)
    return registry.async_get_device(identifiers={identifier})


def normal_plate(text: str) -> str | None:
    """The server's normal form of a plate (domain/plates.parse_plate), None when it is no plate."""
    plate = "".join(c for c in text.upper() if c.isascii() and c.isalnum())
    return plate if 4 <= len(plate) <= 10 else None


def _error(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message}}, status=status)


class FakeHsiServer:
    """Contract routes over in-memory cameras, events, zones and rules."""

    def __init__(self) -> None:
        self.api_key = API_KEY
        self.info: dict[str, Any] = {
            "instance_id": INSTANCE_ID,
            "version": "0.1.0",
            "api_version": 1,
            "name": "HSI Test",
            "mqtt_discovery": False,
            "fallbacks": [],
            "doctor": None,
        }
        self.stats: dict[str, Any] = {
            "queues": {"detect": 0, "assess": 1, "publish": 0},
            "dead_letters": 0,
            "events_last_hour": 1,
            "events_today": 1,
            "unreviewed_events": 1,
            "highest_risk_today": 72,
            "stage_latency_ms": {"detect": {"p50": 12.0, "p95": 30.0}},
            "pipeline": "ok",
        }
        self.cameras: dict[str, dict[str, Any]] = {}
        self.events: list[dict[str, Any]] = []  # newest first
        # Ids are integers and PUT/POST reject unknown fields, as on the real server.
        self.zones: dict[str, dict[str, Any]] = {
            "1": {
                "id": 1,
                "camera": "front_door",
                "name": "Porch",
                "zone_type": "entry_point",
                "priority": 5,
                "polygon": [[0.1, 0.1], [0.5, 0.1], [0.5, 0.5]],
                "enabled": True,
            }
        }
        self.rules: dict[str, dict[str, Any]] = {
            "1": {
                "id": 1,
                "name": "Night intruder",
                "enabled": True,
                "severity": "high",
                "conditions": {"min_risk": 70},
                "channels": [{"type": "ha"}],
                "cooldown_seconds": 300,
                "group_window_seconds": 120,
                "created_at": "2025-01-01T00:00:00+00:00",
            }
        }
        self.entities: dict[str, dict[str, Any]] = {
            ENTITY_ID: {
                "id": ENTITY_ID,
                "label": "person",
                "name": None,
                "known": False,
                "first_seen": "2025-01-01T08:00:00+00:00",
                "last_seen": "2025-01-02T03:04:05+00:00",
                "cameras": ["front_door", "garage"],
                "sightings": 4,
            }
        }
        self.tripwires: dict[str, dict[str, Any]] = {}
        # plate (normal form) -> gallery entry; reads newest first, as the server stores them.
        self.known_plates: dict[str, dict[str, Any]] = {}
        self.plate_reads: list[dict[str, Any]] = [
            {
                "id": seq,
                "camera": "garage",
                "event_id": "evt-1",
                "track_id": seq,
                "label": "car",
                "plate": READ_PLATE if seq == 2 else "KL55MN",
                "confidence": 0.9,
                "read_at": f"2025-01-0{seq}T03:04:05+00:00",
            }
            for seq in (2, 1)
        ]
        # (event id, track id) -> camera of each stored face; the gallery by id, as the server's
        # known_faces (never an embedding: the fake has none to give).
        self.stored_faces: dict[tuple[str, int], str] = {
            ("evt-1", track): "front_door" for track in FACE_TRACKS
        }
        self.known_faces: dict[int, dict[str, Any]] = {}
        self._face_seq = 0
        self.asked: list[dict[str, Any]] = []
        self.read_only_key = "read-only-key"
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self.ws_queries: list[dict[str, str]] = []
        self.ws_clients: set[web.WebSocketResponse] = set()
        self.log: list[dict[str, Any]] = []  # every pushed message, cursor order
        self.fail_status: int | None = None  # answer every /api request with this status
        self.fail_message = "server is failing"  # ... and this message
        self.snapshot_status = 200
        self._seq = 0
        self._runner: web.AppRunner | None = None
        self.port = 0
        self.add_camera("front_door", "Front door")
        self.add_camera("garage", "Garage")
        self.add_event(
            "front_door",
            72,
            {"person": 1},
            "A person lingers at the front door.",
            started_at=FIRST_EVENT_AT,
        )

    # --- data -----------------------------------------------------------------------------
    @property
    def url(self) -> str:
        """Base URL of the running server."""
        return f"http://127.0.0.1:{self.port}"

    def add_camera(self, camera_id: str, name: str) -> dict[str, Any]:
        """A camera as GET /api/cameras lists it."""
        camera = {
            "id": camera_id,
            "name": name,
            "last_seen_at": None,
            "last_event": None,
            "muted_until": None,
        }
        self.cameras[camera_id] = camera
        return camera

    def add_event(
        self,
        camera: str,
        score: int,
        objects: dict[str, int],
        summary: str,
        *,
        started_at: datetime | None = None,
        duration: timedelta = timedelta(seconds=20),
    ) -> dict[str, Any]:
        """Store an event and make it the camera's latest."""
        self._seq += 1
        started = started_at or datetime.now().astimezone()
        event = {
            "id": f"evt-{self._seq}",
            "camera": camera,
            "camera_name": self.cameras.get(camera, {}).get("name", camera),
            "started_at": started.isoformat(),
            "ended_at": (started + duration).isoformat(),
            "risk_score": score,
            "risk_level": contract.risk_level(score),
            "summary": summary,
            "reasoning": f"Reasoning about {summary.lower()}",
            "objects": objects,
            "zones": [],
            "fast_path": False,
            "reviewed": False,
            "notes": "",
            "media": [f"/api/media/{camera}/x.jpg"],
            "assessed_by": "heuristic",
            "model": "heuristic",
            "feedback": None,
            "behaviours": [],
        }
        self.events.insert(0, event)
        if camera in self.cameras:
            self.cameras[camera]["last_event"] = event
            self.cameras[camera]["last_seen_at"] = event["ended_at"]
        return event

    async def push(self, kind: str, data: dict[str, Any]) -> str:
        """Send a message to every connected WebSocket client; returns its cursor."""
        cursor = f"c{len(self.log) + 1:06d}"
        message = {"type": kind, "data": data, "cursor": cursor}
        self.log.append(message)
        for ws in list(self.ws_clients):
            await ws.send_json(message)
        return cursor

    async def drop_websockets(self) -> None:
        """Close every push connection (the server keeps running)."""
        for ws in list(self.ws_clients):
            await ws.close(code=WSCloseCode.GOING_AWAY)

    # --- lifecycle ------------------------------------------------------------------------
    async def start(self) -> None:
        """Listen on 127.0.0.1 (the same port again after a stop)."""
        app = web.Application(middlewares=[self._middleware])
        app.add_routes(
            [
                web.get("/api/system/health", self._health),
                web.get("/api/system/info", self._info),
                web.get("/api/system/stats", self._stats),
                web.get("/api/cameras", self._cameras),
                web.post("/api/cameras/{id}/mute", self._mute),
                web.get("/api/events", self._events),
                web.get("/api/events/search", self._search),
                web.get("/api/events/{id}", self._event),
                web.patch("/api/events/{id}", self._patch_event),
                web.get("/api/events/{id}/snapshot", self._snapshot),
                web.get("/api/events/{id}/clip", self._clip),
                web.get("/api/media/{path:.+}", self._media),
                web.get("/api/zones", self._zones),
                web.post("/api/zones", self._create_zone),
                web.put("/api/zones/{id}", self._update_zone),
                web.delete("/api/zones/{id}", self._delete_zone),
                web.get("/api/alert-rules", self._rules),
                web.post("/api/alert-rules", self._create_rule),
                web.put("/api/alert-rules/{id}", self._update_rule),
                web.delete("/api/alert-rules/{id}", self._delete_rule),
                web.get("/api/entities", self._entities),
                web.patch("/api/entities/{id}", self._patch_entity),
                web.delete("/api/entities/{id}", self._forget_entity),
                web.get("/api/entities/{id}/history", self._entity_history),
                web.post("/api/feedback/reset", self._reset_feedback),
                web.post("/api/ask", self._ask),
                web.get("/api/ask/digest", self._digest),
                web.get("/api/tripwires", self._tripwires),
                web.post("/api/tripwires", self._create_tripwire),
                web.put("/api/tripwires/{id}", self._update_tripwire),
                web.delete("/api/tripwires/{id}", self._delete_tripwire),
                web.get("/api/plates/known", self._known_plates),
                web.post("/api/plates/known", self._set_known_plate),
                web.delete("/api/plates/known/{plate}", self._delete_known_plate),
                web.get("/api/plates/reads", self._plate_reads),
                web.post("/api/plates/forget", self._forget_plates),
                web.get("/api/faces/known", self._known_faces),
                web.post("/api/faces/known", self._enrol_face),
                web.patch("/api/faces/known/{id}", self._rename_known_face),
                web.delete("/api/faces/known/{id}", self._delete_known_face),
                web.post("/api/faces/forget", self._forget_faces),
                web.get("/api/ws", self._ws),
            ]
        )
        # aiohttp 3.11 (the Home Assistant floor) annotates its signals for aiosignal < 1.4, whose
        # Signal was generic in the callback type; aiosignal 1.4 made it generic in the arguments.
        app.on_shutdown.append(self._on_shutdown)  # type: ignore[arg-type,unused-ignore]
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port, reuse_address=True)
        await site.start()
        if not self.port:
            self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        """Stop listening: connections are refused until start()."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _on_shutdown(self, _app: web.Application) -> None:
        await self.drop_websockets()

    # --- HTTP -----------------------------------------------------------------------------
    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        self.requests.append((request.method, request.path, dict(request.query)))
        if request.path == "/api/system/health":
            return await handler(request)
        if self.fail_status is not None:
            return _error(self.fail_status, "unavailable", self.fail_message)
        key = request.headers.get("X-API-Key") or request.query.get("api_key")
        # Plates and faces are identity data: the server wants an admin key for all their routes,
        # reads too.
        identity = request.path.startswith(("/api/plates", "/api/faces"))
        if key == self.read_only_key and (request.method != "GET" or identity):
            return _error(403, "forbidden", "this API key's scope (read) does not allow this")
        if key not in (self.api_key, self.read_only_key):
            return _error(401, "unauthorized", "invalid API key")
        return await handler(request)

    async def _health(self, request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def _info(self, request: web.Request) -> web.Response:
        return web.json_response(self.info)

    async def _stats(self, request: web.Request) -> web.Response:
        return web.json_response(self.stats)

    async def _cameras(self, request: web.Request) -> web.Response:
        return web.json_response({"cameras": list(self.cameras.values())})

    async def _mute(self, request: web.Request) -> web.Response:
        camera = self.cameras.get(request.match_info["id"])
        if camera is None:
            return _error(404, "not_found", "no such camera")
        minutes = int((await request.json())["minutes"])
        camera["muted_until"] = (
            (datetime.now().astimezone() + timedelta(minutes=minutes)).isoformat() if minutes else None
        )
        return web.json_response(camera)

    def _filtered(self, request: web.Request) -> list[dict[str, Any]]:
        query = request.query
        events = self.events
        if "camera" in query:
            events = [e for e in events if e["camera"] == query["camera"]]
        if "min_risk" in query:
            events = [e for e in events if e["risk_score"] >= int(query["min_risk"])]
        if "object" in query:
            events = [e for e in events if query["object"] in e["objects"]]
        if "level" in query:
            events = [e for e in events if e["risk_level"] in query["level"].split(",")]
        if "reviewed" in query:
            events = [e for e in events if e["reviewed"] == (query["reviewed"] == "true")]
        if "since" in query:
            since = datetime.fromisoformat(query["since"])
            events = [e for e in events if datetime.fromisoformat(e["started_at"]) >= since]
        if "until" in query:
            until = datetime.fromisoformat(query["until"])
            events = [e for e in events if datetime.fromisoformat(e["started_at"]) < until]
        return events

    def _page(self, request: web.Request, events: list[dict[str, Any]]) -> web.Response:
        limit = int(request.query.get("limit", 50))
        if not 1 <= limit <= 200:
            return _error(400, "invalid_filter", "limit must be within 1..200")
        start = int(request.query.get("cursor", 0))
        page = events[start : start + limit]
        more = start + limit < len(events)
        return web.json_response({"events": page, "next_cursor": str(start + limit) if more else None})

    async def _events(self, request: web.Request) -> web.Response:
        return self._page(request, self._filtered(request))

    async def _search(self, request: web.Request) -> web.Response:
        words = request.query.get("q", "").lower().split()
        hits = [
            {**e, "snippet": e["summary"], "rank": 1.0}
            for e in self._filtered(request)
            if all(w in (e["summary"] + " " + e["reasoning"]).lower() for w in words)
        ]
        return self._page(request, hits)

    def _find(self, event_id: str) -> dict[str, Any] | None:
        return next((e for e in self.events if e["id"] == event_id), None)

    async def _event(self, request: web.Request) -> web.Response:
        event = self._find(request.match_info["id"])
        if event is None:
            return _error(404, "not_found", "no such event")
        return web.json_response(
            {
                "feedback": None,
                **event,
                "detections": [],
                "sightings": [],
                "faces": self._event_faces(event["id"]),
            }
        )

    def _event_faces(self, event_id: str) -> list[dict[str, Any]]:
        # As the server: the person tracks its context records (none recognised here), each
        # enrollable while its face is stored; an enrolled one stays unknown in the event's record.
        tracks = sorted(track for event, track in self.stored_faces if event == event_id)
        return [{"track_id": t, "known": False, "name": None, "enrollable": True} for t in tracks]

    async def _patch_event(self, request: web.Request) -> web.Response:
        event = self._find(request.match_info["id"])
        if event is None:
            return _error(404, "not_found", f"event {request.match_info['id']} does not exist")
        body = await request.json()
        if "feedback" in body:  # as the server: an answer marks the event reviewed
            if body["feedback"] not in (*contract.FEEDBACK_KINDS, None):
                return _error(400, "invalid_field", f"feedback: not one of {contract.FEEDBACK_KINDS}")
            event["feedback"] = body["feedback"]
            event["reviewed"] = event["reviewed"] or body["feedback"] is not None
        for key in ("reviewed", "notes"):
            if key in body:
                event[key] = body[key]
        return web.json_response(event)

    async def _snapshot(self, request: web.Request) -> web.Response:
        if self._find(request.match_info["id"]) is None or self.snapshot_status == 404:
            return _error(404, "not_found", "no snapshot")
        if self.snapshot_status != 200:
            return _error(self.snapshot_status, "error", "snapshot failed")
        return web.Response(body=JPEG, content_type="image/jpeg")

    async def _clip(self, request: web.Request) -> web.Response:
        if self._find(request.match_info["id"]) is None:
            return _error(404, "not_found", "no clip: the event has no media")
        headers = {"Accept-Ranges": "bytes"}
        if (spec := request.headers.get("Range", "")).startswith("bytes="):
            first, _, last = spec.removeprefix("bytes=").partition("-")
            start, end = int(first or 0), min(int(last or len(CLIP) - 1), len(CLIP) - 1)
            if start > end:
                return _error(416, "range_not_satisfiable", "bad range")
            headers["Content-Range"] = f"bytes {start}-{end}/{len(CLIP)}"
            return web.Response(
                body=CLIP[start : end + 1], status=206, content_type="video/mp4", headers=headers
            )
        return web.Response(body=CLIP, content_type="video/mp4", headers=headers)

    async def _media(self, request: web.Request) -> web.Response:
        if not request.match_info["path"].endswith(".jpg"):
            return _error(404, "not_found", "no such media file")
        return web.Response(body=JPEG, content_type="image/jpeg")

    async def _zones(self, request: web.Request) -> web.Response:
        return web.json_response({"zones": list(self.zones.values())})

    async def _zone_body(self, request: web.Request) -> dict[str, Any] | web.Response:
        body = await request.json()
        if extra := set(body) - ZONE_FIELDS:
            return _error(400, "invalid_field", f"unexpected fields {sorted(extra)}")
        if body.get("camera") not in self.cameras:
            return _error(422, "invalid_zone", f"unknown camera {body.get('camera')}")
        return {"zone_type": "other", "priority": 0, "enabled": True, **body}

    async def _create_zone(self, request: web.Request) -> web.Response:
        body = await self._zone_body(request)
        if isinstance(body, web.Response):
            return body
        zone = {**body, "id": len(self.zones) + 1}
        self.zones[str(zone["id"])] = zone
        return web.json_response(zone, status=201)

    async def _update_zone(self, request: web.Request) -> web.Response:
        zone_id = request.match_info["id"]
        if zone_id not in self.zones:
            return _error(404, "not_found", "no such zone")
        body = await self._zone_body(request)
        if isinstance(body, web.Response):
            return body
        self.zones[zone_id] = {**body, "id": int(zone_id)}
        return web.json_response(self.zones[zone_id])

    async def _delete_zone(self, request: web.Request) -> web.Response:
        if self.zones.pop(request.match_info["id"], None) is None:
            return _error(404, "not_found", f"zone {request.match_info['id']} does not exist")
        return web.Response(status=204)

    async def _rules(self, request: web.Request) -> web.Response:
        return web.json_response({"rules": list(self.rules.values())})

    async def _rule_body(self, request: web.Request) -> dict[str, Any] | web.Response:
        body = await request.json()
        if extra := set(body) - RULE_FIELDS:
            return _error(400, "invalid_field", f"unexpected fields {sorted(extra)}")
        if "name" not in body:  # PUT replaces: a partial body is a client bug
            return _error(400, "invalid_field", "name is required")
        return {**RULE_DEFAULTS, **body, "created_at": "2025-01-01T00:00:00+00:00"}

    async def _create_rule(self, request: web.Request) -> web.Response:
        body = await self._rule_body(request)
        if isinstance(body, web.Response):
            return body
        rule = {**body, "id": len(self.rules) + 1}
        self.rules[str(rule["id"])] = rule
        return web.json_response(rule, status=201)

    async def _update_rule(self, request: web.Request) -> web.Response:
        rule_id = request.match_info["id"]
        if rule_id not in self.rules:
            return _error(404, "not_found", "no such rule")
        body = await self._rule_body(request)
        if isinstance(body, web.Response):
            return body
        self.rules[rule_id] = {**body, "id": int(rule_id)}
        return web.json_response(self.rules[rule_id])

    async def _delete_rule(self, request: web.Request) -> web.Response:
        self.rules.pop(request.match_info["id"], None)
        return web.Response(status=204)

    async def _entities(self, request: web.Request) -> web.Response:
        entities = list(self.entities.values())
        if "known" in request.query:
            entities = [e for e in entities if e["known"] == (request.query["known"] == "true")]
        if "label" in request.query:
            entities = [e for e in entities if e["label"] == request.query["label"]]
        return web.json_response({"entities": entities[: int(request.query.get("limit", 100))]})

    async def _patch_entity(self, request: web.Request) -> web.Response:
        entity = self.entities.get(request.match_info["id"])
        if entity is None:
            return _error(404, "not_found", f"no entity {request.match_info['id']}")
        body = await request.json()
        if extra := set(body) - {"name", "known"}:
            return _error(400, "invalid_field", f"unexpected fields {sorted(extra)}")
        entity.update(body)
        return web.json_response(entity)

    async def _entity_history(self, request: web.Request) -> web.Response:
        entity = self.entities.get(request.match_info["id"])
        if entity is None:
            return _error(404, "not_found", f"no entity {request.match_info['id']}")
        sightings = [
            {
                "camera": e["camera"],
                "seen_at": e["started_at"],
                "event_id": e["id"],
                "label": entity["label"],
                "similarity": 0.91,
                "risk_score": e["risk_score"],
                "risk_level": e["risk_level"],
                "summary": e["summary"],
            }
            for e in self.events
            if e["camera"] in entity["cameras"]
        ]
        limit = int(request.query.get("limit", 100))
        fields = ("id", "label", "first_seen", "last_seen", "cameras", "sightings")
        return web.json_response({**{k: entity[k] for k in fields}, "history": sightings[:limit]})

    async def _forget_entity(self, request: web.Request) -> web.Response:
        if self.entities.pop(request.match_info["id"], None) is None:
            return _error(404, "not_found", f"no entity {request.match_info['id']}")
        return web.Response(status=204)

    async def _reset_feedback(self, request: web.Request) -> web.Response:
        camera = (await request.json()).get("camera")
        cleared = 0
        for event in self.events:
            if event["feedback"] is not None and camera in (None, event["camera"]):
                event["feedback"] = None
                cleared += 1
        return web.json_response({"cleared": cleared})

    async def _ask(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.asked.append(body)
        words = [w for w in body["question"].lower().rstrip("?").split() if len(w) > 3]
        hits = [e for e in self.events if any(w in e["summary"].lower() for w in words)]
        hits = hits[: body.get("limit", 5)]
        lines = [f"{len(hits)} matching events:"] + [f"- {e['summary']} [{e['id']}]" for e in hits]
        return web.json_response(
            {
                "answer": "\n".join(lines) if hits else "No events match that question.",
                "answered_by": "extractive",
                "llm_refused": None,
                "retrieval": {"semantic": False, "search": None, "model": None},
                "citations": [
                    {
                        "id": e["id"],
                        "camera": e["camera"],
                        "started_at": e["started_at"],
                        "risk_score": e["risk_score"],
                        "risk_level": e["risk_level"],
                        "summary": e["summary"],
                        "score": 0.5,
                    }
                    for e in hits
                ],
                "understood": {"terms": words, "cameras": [], "since": None, "until": None},
            }
        )

    async def _digest(self, request: web.Request) -> web.Response:
        period = request.query.get("period", "day")
        day = request.query.get("date") or FIRST_EVENT_AT.date().isoformat()
        by_camera: dict[str, int] = {}
        for event in self.events:
            by_camera[event["camera"]] = by_camera.get(event["camera"], 0) + 1
        return web.json_response(
            {
                "type": "event_digest",
                "period": period,
                "day": day,
                "since": f"{day}T00:00:00+00:00",
                "until": f"{day}T23:59:59+00:00",
                "events": len(self.events),
                "by_camera": by_camera,
                "by_level": {},
                "by_category": {},
                "notable": [],
                "unusual": [],
                "changes": [],
                "text": f"{'Day' if period == 'day' else 'Week'} ending {day}: {len(self.events)} event(s)",
            }
        )

    async def _tripwires(self, request: web.Request) -> web.Response:
        camera = request.query.get("camera")
        return web.json_response(
            {"tripwires": [t for t in self.tripwires.values() if camera in (None, t["camera"])]}
        )

    async def _tripwire_body(self, request: web.Request) -> dict[str, Any] | web.Response:
        body = await request.json()
        if extra := set(body) - TRIPWIRE_FIELDS:
            return _error(400, "invalid_field", f"unexpected fields {sorted(extra)}")
        if body.get("camera") not in self.cameras:
            return _error(400, "unknown_camera", f"unknown camera {body.get('camera')}")
        if body.get("a") == body.get("b"):
            return _error(400, "invalid_field", "tripwire: a and b must differ")
        return {"enabled": True, **body}

    async def _create_tripwire(self, request: web.Request) -> web.Response:
        body = await self._tripwire_body(request)
        if isinstance(body, web.Response):
            return body
        tripwire = {**body, "id": len(self.tripwires) + 1}
        self.tripwires[str(tripwire["id"])] = tripwire
        return web.json_response(tripwire, status=201)

    async def _update_tripwire(self, request: web.Request) -> web.Response:
        tripwire_id = request.match_info["id"]
        if tripwire_id not in self.tripwires:
            return _error(404, "not_found", f"no tripwire {tripwire_id}")
        body = await self._tripwire_body(request)
        if isinstance(body, web.Response):
            return body
        self.tripwires[tripwire_id] = {**body, "id": int(tripwire_id)}
        return web.json_response(self.tripwires[tripwire_id])

    async def _delete_tripwire(self, request: web.Request) -> web.Response:
        if self.tripwires.pop(request.match_info["id"], None) is None:
            return _error(404, "not_found", f"no tripwire {request.match_info['id']}")
        return web.Response(status=204)

    async def _known_plates(self, request: web.Request) -> web.Response:
        return web.json_response({"plates": list(self.known_plates.values())})

    async def _set_known_plate(self, request: web.Request) -> web.Response:
        body = await request.json()
        if extra := set(body) - {"plate", "name"}:
            return _error(400, "invalid_field", f"unexpected fields {sorted(extra)}")
        plate = normal_plate(str(body.get("plate", "")))
        if plate is None:
            return _error(400, "invalid_field", "plate: a plate has 4-10 letters or digits")
        created = self.known_plates.get(plate, {}).get("created_at", "2025-01-03T00:00:00+00:00")
        name = (body.get("name") or "").strip() or None
        self.known_plates[plate] = {"plate": plate, "name": name, "created_at": created}
        return web.json_response(self.known_plates[plate])

    async def _delete_known_plate(self, request: web.Request) -> web.Response:
        plate = normal_plate(request.match_info["plate"])
        if plate is None:
            return _error(400, "invalid_field", "plate: a plate has 4-10 letters or digits")
        if self.known_plates.pop(plate, None) is None:
            return _error(404, "not_found", "that plate is not in the gallery")
        return web.Response(status=204)

    async def _plate_reads(self, request: web.Request) -> web.Response:
        query = request.query
        reads = self.plate_reads
        if "plate" in query:
            plate = normal_plate(query["plate"])
            if plate is None:
                return _error(400, "invalid_field", "plate: a plate has 4-10 letters or digits")
            reads = [r for r in reads if r["plate"] == plate]
        if "camera" in query:
            if not SLUG.match(query["camera"]):
                return _error(400, "invalid_parameter", "invalid query: camera: String should match pattern")
            reads = [r for r in reads if r["camera"] == query["camera"]]
        if "before" in query:
            before = datetime.fromisoformat(query["before"])
            reads = [r for r in reads if datetime.fromisoformat(r["read_at"]) < before]
        limit = int(query.get("limit", 100))
        if not 1 <= limit <= 500:
            return _error(400, "invalid_parameter", "invalid query: limit: out of range")
        known = self.known_plates
        return web.json_response(
            {
                "reads": [
                    {**r, "known": r["plate"] in known, "name": known.get(r["plate"], {}).get("name")}
                    for r in reads[:limit]
                ]
            }
        )

    async def _forget_plates(self, request: web.Request) -> web.Response:
        camera = (await request.json()).get("camera")
        if not isinstance(camera, str) or not SLUG.match(camera):
            return _error(400, "invalid_field", "invalid body: camera: String should match pattern")
        kept = [r for r in self.plate_reads if r["camera"] != camera]
        deleted = len(self.plate_reads) - len(kept)
        self.plate_reads = kept
        return web.json_response({"camera": camera, "deleted": deleted})

    def _known_face(self, request: web.Request) -> int | web.Response:
        """The gallery id of a /api/faces/known/{id} request, or the server's error answer."""
        text = request.match_info["id"]
        if not text.isascii() or not text.isdigit():
            return _error(400, "invalid_parameter", "id: a face id is a whole number")
        if int(text) not in self.known_faces:
            return _error(404, "not_found", "that face is not in the gallery")
        return int(text)

    async def _known_faces(self, request: web.Request) -> web.Response:
        faces = sorted(self.known_faces.values(), key=lambda f: (f["name"], f["id"]))
        return web.json_response({"faces": faces})

    async def _enrol_face(self, request: web.Request) -> web.Response:
        body = await request.json()
        if set(body) != {"event_id", "track_id", "name"}:
            return _error(400, "invalid_field", "invalid body: event_id, track_id and name, nothing else")
        event_id, track_id, name = body["event_id"], body["track_id"], body["name"]
        if not isinstance(event_id, str) or not isinstance(track_id, int) or isinstance(track_id, bool):
            return _error(400, "invalid_field", "invalid body: event_id is a string, track_id an integer")
        if not isinstance(name, str) or not 1 <= len(name) <= 64:
            return _error(400, "invalid_field", "invalid body: name: 1 to 64 characters")
        if (event_id, track_id) not in self.stored_faces:
            return _error(404, "not_found", "no stored face for that track")
        self._face_seq += 1
        face = {"id": self._face_seq, "name": name, "created_at": "2025-01-03T00:00:00+00:00"}
        self.known_faces[self._face_seq] = face
        return web.json_response(face, status=201)

    async def _rename_known_face(self, request: web.Request) -> web.Response:
        face_id = self._known_face(request)
        if isinstance(face_id, web.Response):
            return face_id
        body = await request.json()
        if set(body) != {"name"} or not isinstance(body["name"], str) or not 1 <= len(body["name"]) <= 64:
            return _error(400, "invalid_field", "invalid body: name: 1 to 64 characters, nothing else")
        self.known_faces[face_id]["name"] = body["name"]
        return web.json_response(self.known_faces[face_id])

    async def _delete_known_face(self, request: web.Request) -> web.Response:
        face_id = self._known_face(request)
        if isinstance(face_id, web.Response):
            return face_id
        del self.known_faces[face_id]
        return web.Response(status=204)

    async def _forget_faces(self, request: web.Request) -> web.Response:
        camera = (await request.json()).get("camera")
        if not isinstance(camera, str) or not SLUG.match(camera):
            return _error(400, "invalid_field", "invalid body: camera: String should match pattern")
        forgotten = [key for key, seen_on in self.stored_faces.items() if seen_on == camera]
        for key in forgotten:
            del self.stored_faces[key]
        return web.json_response({"camera": camera, "deleted": len(forgotten)})

    async def _ws(self, request: web.Request) -> web.WebSocketResponse:
        self.ws_queries.append(dict(request.query))
        ws = web.WebSocketResponse(heartbeat=None)
        await ws.prepare(request)
        since = request.query.get("since")
        if since:
            for message in self.log:
                if message["cursor"] > since:
                    await ws.send_json(message)
        self.ws_clients.add(ws)
        try:
            async for _ in ws:
                pass
        finally:
            self.ws_clients.discard(ws)
        return ws


async def wait_for(condition: Any, hass: Any = None, timeout: float = 5.0) -> None:
    """Wait until `condition()` is true, letting the loop (and Home Assistant) run."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)
        if hass is not None:
            await hass.async_block_till_done()
