"""The vision step and the Home Assistant AI Task backend against real HTTP servers on loopback.

No vision-language weights are reachable here, so `vision_server` is an aiohttp server speaking the
OpenAI chat-completions protocol that checks the multimodal request shape (image_url parts holding
decodable JPEG data URLs within the pixel bound) and answers what each test scripts; the client
code path is the production one (ml/llm_vision.py). `ha_rest_standin` is an aiohttp server speaking
Home Assistant's REST protocol (`GET /api/services`, `POST /api/services/<domain>/<service>?
return_response`, `POST /api/media_source/local_source/upload`, bearer token) and its websocket
(`media_source/local_source/remove`) as HA 2025.8+ does for ai_task.generate_data with
attachments; the real Home Assistant is tests/integration_ha/test_ai_task_real.py.
"""

from __future__ import annotations

import asyncio
import base64
import io
import json
import socket
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from PIL import Image

from inference_server.domain.context import EventContext
from inference_server.domain.vision import VISION_ATTRIBUTES
from inference_server.metrics import Metrics
from inference_server.ml.llm_home_assistant import HomeAssistantAssessor
from inference_server.ml.llm_openai import OpenAIAssessor
from inference_server.ml.llm_vision import VisionAssessor, encode_image
from inference_server.ml.protocols import AssessmentFailed
from inference_server.pipeline.assess import FallbackAssessor

CONTEXT = EventContext(
    camera="back_door",
    camera_name="Back Door",
    started_at="2026-11-26T03:02:00+01:00",
    ended_at="2026-11-26T03:03:00+01:00",
    local_time="03:02",
    weekday="Thursday",
    is_night=True,
    objects={"person": 1},
)

GOOD = {
    "risk_score": 88,
    "summary": "A person with a covered face tries the back door at night.",
    "reasoning": "Face covered and a hand on the door handle at 03:02.",
    "description": "A hooded person pulls the back door handle.",
    "attributes": ["face_covered", "tried_door", "teleported", "FACE_COVERED"],
}


def _jpeg(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (90, 120, 30)).save(out, format="JPEG")
    return out.getvalue()


def _chat(content: str) -> dict[str, Any]:
    return {
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}
        ]
    }


@dataclass
class VisionStandIn:
    """What the stand-in answers and what it saw."""

    url: str = ""
    answer: str = json.dumps(GOOD)
    delay_s: float = 0.0
    refuse_schema: bool = False
    requests: list[dict[str, Any]] = field(default_factory=list)
    images: list[tuple[int, int]] = field(default_factory=list)


STATE: web.AppKey[VisionStandIn] = web.AppKey("state", VisionStandIn)


async def _vision_handler(request: web.Request) -> web.Response:
    state: VisionStandIn = request.app[STATE]
    body = await request.json()
    state.requests.append(body)
    if state.refuse_schema and "response_format" in body:
        return web.json_response(
            {"error": {"message": "response_format json_schema unsupported"}}, status=400
        )
    system, user = body["messages"]
    assert system["role"] == "system" and isinstance(system["content"], str)
    parts = user["content"]
    assert parts[0]["type"] == "text" and "<event_data>" in parts[0]["text"]
    for part in parts[1:]:
        assert part["type"] == "image_url"
        url = part["image_url"]["url"]
        assert url.startswith("data:image/jpeg;base64,")
        with Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))) as image:
            assert image.format == "JPEG"
            state.images.append(image.size)
    await asyncio.sleep(state.delay_s)
    return web.json_response(_chat(state.answer))


async def _serve(app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"http://127.0.0.1:{port}"


@pytest.fixture
async def vision_server() -> AsyncIterator[VisionStandIn]:
    state = VisionStandIn()
    app = web.Application(client_max_size=64 * 1024 * 1024)
    app[STATE] = state
    app.router.add_post("/v1/chat/completions", _vision_handler)
    runner, state.url = await _serve(app)
    yield state
    await runner.cleanup()


def _dead_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


async def test_vision_request_shape_and_validated_answer(vision_server: VisionStandIn) -> None:
    vision = VisionAssessor(vision_server.url, "qwen2.5-vl", max_images=2, max_pixels=320 * 240)
    try:
        answer = await vision.assess_images(CONTEXT, [_jpeg(1920, 1080), _jpeg(200, 300), _jpeg(50, 50)])
    finally:
        await vision.close()
    assert answer.assessment.risk_score == 88 and answer.assessment.assessed_by == "vision"
    assert answer.attributes == ("face_covered", "tried_door")  # unknown dropped, duplicate folded
    assert answer.dropped == ("teleported",)
    assert answer.description == GOOD["description"]
    # At most max_images sent, each scaled within max_pixels (the 200x300 crop already was).
    assert len(vision_server.images) == 2
    assert all(w * h <= 320 * 240 for w, h in vision_server.images)
    assert vision_server.images[1] == (200, 300)
    schema = vision_server.requests[0]["response_format"]["json_schema"]["schema"]
    assert schema["properties"]["attributes"]["items"]["enum"] == list(VISION_ATTRIBUTES)


async def test_vision_fallback_chain_records_who_answered(vision_server: VisionStandIn) -> None:
    """vision -> text LLM -> heuristic: garbage, a timeout, undecodable images and a dead server."""
    text_app = web.Application()

    async def text_handler(request: web.Request) -> web.Response:
        body = await request.json()
        assert all(isinstance(m["content"], str) for m in body["messages"])  # text-only request
        answer = {k: GOOD[k] for k in ("risk_score", "summary", "reasoning")} | {"risk_score": 70}
        return web.json_response(_chat(json.dumps(answer)))

    text_app.router.add_post("/v1/chat/completions", text_handler)
    runner, text_url = await _serve(text_app)
    try:
        cases: list[tuple[str, dict[str, Any], list[bytes]]] = [
            ("garbage", {"answer": "I think it is fine!"}, [_jpeg(64, 64)]),
            ("score out of range", {"answer": json.dumps(GOOD | {"risk_score": 9680})}, [_jpeg(64, 64)]),
            ("timeout", {"delay_s": 3.0}, [_jpeg(64, 64)]),
            ("undecodable only", {}, [b"\xff\xd8 not a jpeg", b""]),
        ]
        for name, change, images in cases:
            for key, value in change.items():
                setattr(vision_server, key, value)
            vision = VisionAssessor(vision_server.url, "vlm", timeout_s=1.0)
            text = OpenAIAssessor(text_url, "text")
            chain = FallbackAssessor(text, Metrics(), 10, vision, 10)
            context, result = await chain.assess_scene(CONTEXT, images)
            await vision.close()
            await text.close()
            assert result.assessed_by == "openai" and result.risk_score == 70, name
            assert context.description == "", name
            vision_server.answer, vision_server.delay_s = json.dumps(GOOD), 0.0
        # Vision and text LLM both down: the heuristic answers.
        dead = _dead_url()
        text, vision = OpenAIAssessor(dead, "text"), VisionAssessor(dead, "vlm")
        _, result = await FallbackAssessor(text, Metrics(), 5, vision, 5).assess_scene(
            CONTEXT, [_jpeg(64, 64)]
        )
        await text.close()
        await vision.close()
        assert result.assessed_by == "heuristic"
        # A good vision answer wins and its seen cues join the context.
        vision, text = VisionAssessor(vision_server.url, "vlm"), OpenAIAssessor(text_url, "text")
        # Generous bounds: on a loaded machine a 5 s bound could cut the good answer off (flaky).
        context, result = await FallbackAssessor(text, Metrics(), 30, vision, 30).assess_scene(
            CONTEXT, [_jpeg(64, 64), b"broken"]
        )
        await vision.close()
        await text.close()
        assert (result.assessed_by, result.model, result.risk_score) == ("vision", "vlm", 88)
        assert context.description == GOOD["description"]
        assert set(context.attributes) == {"face_covered", "tried_door"}
    finally:
        await runner.cleanup()


async def test_vision_server_refusing_the_schema_is_asked_without(vision_server: VisionStandIn) -> None:
    vision_server.refuse_schema = True
    vision = VisionAssessor(vision_server.url, "vlm")
    try:
        answer = await vision.assess_images(CONTEXT, [_jpeg(64, 64)])
        again = await vision.assess_images(CONTEXT, [_jpeg(64, 64)])
    finally:
        await vision.close()
    assert answer.assessment.risk_score == again.assessment.risk_score == 88
    assert ["response_format" in r for r in vision_server.requests] == [True, False, False]


def test_encode_image_rejects_bad_input() -> None:
    from inference_server.ml.llm_vision import ImageRejected

    for bad in (b"", b"GIF89a garbage", _jpeg(64, 64)[:40]):
        with pytest.raises(ImageRejected):
            encode_image(bad, 640 * 640)
    url = encode_image(_jpeg(4000, 3000), 640 * 480)
    with Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))) as image:
        assert image.size[0] * image.size[1] <= 640 * 480 and image.size[0] > image.size[1]


# --- Home Assistant AI Task over HA's REST protocol -----------------------------------------------

TOKEN = "long-lived-test-token"


@dataclass
class HAStandIn:
    url: str = ""
    has_ai_task: bool = True
    data: Any = field(
        default_factory=lambda: {
            "risk_score": 41.0,
            "summary": "A person at the door.",
            "reasoning": "Night.",
        }
    )
    calls: list[dict[str, Any]] = field(default_factory=list)
    media: dict[str, bytes] = field(default_factory=dict)  # HA's local media folder
    uploads: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    entity_takes_attachments: bool = True
    media_folder: bool = True  # False: HA's local media folder does not exist (upload: 400)


@pytest.fixture
async def ha_rest_standin() -> AsyncIterator[HAStandIn]:
    state = HAStandIn()

    def authorised(request: web.Request) -> bool:
        return request.headers.get("Authorization") == f"Bearer {TOKEN}"

    async def services(request: web.Request) -> web.Response:
        if not authorised(request):
            return web.json_response({"message": "Unauthorized"}, status=401)
        listing = [{"domain": "light", "services": {"turn_on": {}}}]
        if state.has_ai_task:
            listing.append({"domain": "ai_task", "services": {"generate_data": {"fields": {}}}})
        return web.json_response(listing)

    async def call(request: web.Request) -> web.Response:
        if not authorised(request):
            return web.json_response({"message": "Unauthorized"}, status=401)
        domain, service = request.match_info["domain"], request.match_info["service"]
        if (domain, service) != ("ai_task", "generate_data") or not state.has_ai_task:
            return web.json_response({"message": f"Service {domain}.{service} not found."}, status=400)
        if "return_response" not in request.query:
            return web.json_response(
                {"message": "Service call requires responses but caller did not ask"}, status=400
            )
        body = await request.json()
        state.calls.append(body)
        assert set(body["structure"]) == {"risk_score", "summary", "reasoning"}
        assert "<event_data>" in body["instructions"]
        for attachment in body.get("attachments", []):
            if not state.entity_takes_attachments:  # HA: HomeAssistantError -> 500 + its message
                message = f"AI Task entity {body.get('entity_id')} does not support attachments"
                return web.json_response({"message": message}, status=500)
            # HA resolves the media-source id to the uploaded file, or fails the call.
            name = attachment["media_content_id"].removeprefix("media-source://media_source/local/")
            assert name in state.media, attachment
        return web.json_response(
            {"changed_states": [], "service_response": {"conversation_id": "c1", "data": state.data}}
        )

    async def upload(request: web.Request) -> web.Response:
        if not authorised(request):
            return web.json_response({"message": "Unauthorized"}, status=401)
        form = await request.post()
        target, upload = form["media_content_id"], form["file"]
        assert target == "media-source://media_source/local" and isinstance(upload, web.FileField)
        if not state.media_folder:
            return web.Response(status=400, text="400: Bad Request")
        assert upload.content_type == "image/jpeg"
        state.media[upload.filename] = upload.file.read()
        state.uploads.append(upload.filename)
        return web.json_response({"media_content_id": f"{target}/{upload.filename}"})

    async def websocket(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.send_json({"type": "auth_required"})
        auth = await ws.receive_json()
        if auth.get("access_token") != TOKEN:
            await ws.send_json({"type": "auth_invalid"})
            await ws.close()
            return ws
        await ws.send_json({"type": "auth_ok"})
        async for message in ws:
            command = json.loads(message.data)
            assert command["type"] == "media_source/local_source/remove"
            name = command["media_content_id"].removeprefix("media-source://media_source/local/")
            state.removed.append(name)
            found = state.media.pop(name, None) is not None
            await ws.send_json({"id": command["id"], "type": "result", "success": found, "result": None})
        return ws

    app = web.Application()
    app.router.add_get("/api/services", services)
    app.router.add_post("/api/services/{domain}/{service}", call)
    app.router.add_post("/api/media_source/local_source/upload", upload)
    app.router.add_get("/api/websocket", websocket)
    runner, state.url = await _serve(app)
    yield state
    await runner.cleanup()


async def test_home_assistant_ai_task_backend(ha_rest_standin: HAStandIn) -> None:
    ha = HomeAssistantAssessor(ha_rest_standin.url, TOKEN, entity_id="ai_task.ollama")
    try:
        result = await ha.assess(CONTEXT)
        assert (result.risk_score, result.assessed_by) == (41, "home_assistant")
        assert ha_rest_standin.calls[0]["entity_id"] == "ai_task.ollama"
        ha_rest_standin.data = {"risk_score": 7, "summary": "ok"}  # missing reasoning
        with pytest.raises(AssessmentFailed, match="reasoning"):
            await ha.assess(CONTEXT)
    finally:
        await ha.close()
    wrong = HomeAssistantAssessor(ha_rest_standin.url, "bad-token")
    with pytest.raises(AssessmentFailed, match="token"):
        await wrong.assess(CONTEXT)
    await wrong.close()


async def test_home_assistant_gets_key_frames_as_attachments_removed_afterwards(
    ha_rest_standin: HAStandIn,
) -> None:
    ha = HomeAssistantAssessor(ha_rest_standin.url, TOKEN, max_images=2, max_pixels=100 * 100)
    frames = [_jpeg(400, 300), b"not an image", _jpeg(64, 64), _jpeg(32, 32)]
    try:
        chain = FallbackAssessor(ha, Metrics(), 5)
        assert chain.max_images == 2  # the assess stage loads this many key frames for it
        assert (
            FallbackAssessor(HomeAssistantAssessor(ha.base, TOKEN, max_images=0), Metrics(), 5).max_images
            == 0
        )
        result = await chain.assess(CONTEXT, frames)
        assert result.assessed_by == "home_assistant"
        [call] = ha_rest_standin.calls
        # At most max_images are taken; the undecodable one is skipped, the others re-encoded small.
        assert [a["media_content_type"] for a in call["attachments"]] == ["image/jpeg"]
        assert "1 key frame(s) of this event are attached" in call["instructions"]
        [name] = ha_rest_standin.uploads
        assert name.startswith("hsi-ai-task-") and name.endswith(".jpg")
        assert ha_rest_standin.removed == [name] and ha_rest_standin.media == {}
        # Text-only callers (calibrate, ask) attach nothing.
        await ha.assess(CONTEXT)
        assert "attachments" not in ha_rest_standin.calls[1]
        assert len(ha_rest_standin.uploads) == 1
    finally:
        await ha.close()


async def test_home_assistant_refusing_attachments_gets_the_task_text_only(
    ha_rest_standin: HAStandIn,
) -> None:
    ha_rest_standin.entity_takes_attachments = False
    ha = HomeAssistantAssessor(ha_rest_standin.url, TOKEN)
    try:
        result = await ha.assess_with_images(CONTEXT, [_jpeg(64, 64)])
        assert result.assessed_by == "home_assistant"
        assert ["attachments" in c for c in ha_rest_standin.calls] == [True, False]
        assert ha_rest_standin.media == {}  # the upload was removed all the same
        await ha.assess_with_images(CONTEXT, [_jpeg(64, 64)])  # not tried again
        assert len(ha_rest_standin.uploads) == 1 and "attachments" not in ha_rest_standin.calls[2]
    finally:
        await ha.close()
    # No local media folder in HA: the upload is refused, the task goes text-only.
    ha_rest_standin.entity_takes_attachments = True
    ha_rest_standin.media_folder = False
    ha_rest_standin.calls.clear()
    folderless = HomeAssistantAssessor(ha_rest_standin.url, TOKEN)
    try:
        assert (await folderless.assess_with_images(CONTEXT, [_jpeg(64, 64)])).assessed_by == "home_assistant"
        assert ["attachments" in c for c in ha_rest_standin.calls] == [False]
    finally:
        await folderless.close()


async def test_home_assistant_without_ai_task_or_down_falls_back(ha_rest_standin: HAStandIn) -> None:
    ha_rest_standin.has_ai_task = False
    old = HomeAssistantAssessor(ha_rest_standin.url, TOKEN)
    with pytest.raises(AssessmentFailed, match=r"no ai_task\.generate_data"):
        await old.assess(CONTEXT)
    _, result = await FallbackAssessor(old, Metrics(), 5).assess_scene(CONTEXT, [])
    assert result.assessed_by == "heuristic" and ha_rest_standin.calls == []
    await old.close()
    down = HomeAssistantAssessor(_dead_url(), TOKEN)
    _, result = await FallbackAssessor(down, Metrics(), 5).assess_scene(CONTEXT, [])
    assert result.assessed_by == "heuristic"
    await down.close()


# --- hsi assess --image through the real CLI, detector and vision client --------------------------


@pytest.fixture
def threaded_vision_server() -> Iterator[VisionStandIn]:
    """The vision stand-in on its own loop in a thread (the CLI runs its own asyncio.run)."""
    state = VisionStandIn()
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    holder: dict[str, web.AppRunner] = {}

    async def start() -> None:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app[STATE] = state
        app.router.add_post("/v1/chat/completions", _vision_handler)
        holder["runner"], state.url = await _serve(app)
        ready.set()

    thread = threading.Thread(
        target=lambda: (loop.run_until_complete(start()), loop.run_forever()), daemon=True
    )
    thread.start()
    assert ready.wait(10)
    yield state
    asyncio.run_coroutine_threadsafe(holder["runner"].cleanup(), loop).result(10)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)


def test_hsi_assess_image(
    threaded_vision_server: VisionStandIn,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import ultralytics

    from inference_server.cli import main

    bus = Path(ultralytics.__file__).parent / "assets" / "bus.jpg"
    for key in list(__import__("os").environ):
        if key.startswith("HSI_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("HSI_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("HSI_DETECTOR", "opencv")  # the trained HOG person detector shipped with OpenCV
    monkeypatch.setenv("HSI_LLM_BACKEND", "heuristic")
    monkeypatch.setenv("HSI_VLM_URL", threaded_vision_server.url)
    assert main(["assess", "--image", str(bus), "--camera", "front_door"]) == 0
    printed = capsys.readouterr()
    out = json.loads(printed.out[printed.out.index("{") :])
    assert out["assessed_by"] == "vision" and out["risk_score"] == 88
    assert out["objects"].get("person", 0) >= 1 and out["detections"] >= 1
    assert out["attributes"] == ["face_covered", "tried_door"]
    sent = threaded_vision_server.requests[0]["messages"][1]["content"]
    assert '"camera":"front_door"' in sent[0]["text"] and len(sent) == 2  # facts + the image
    # Undecodable image: a clear error, exit 2.
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff broken")
    assert main(["assess", "--image", str(broken)]) == 2
    assert "not a usable image" in capsys.readouterr().err
    # Vision server gone: the heuristic answers on the detections.
    monkeypatch.setenv("HSI_VLM_URL", _dead_url())
    assert main(["assess", "--image", str(bus)]) == 0
    assert json.loads(capsys.readouterr().out)["assessed_by"] == "heuristic"


async def _one_final_event(settings: Any, redis_client: Any, keys: Any) -> tuple[Any, dict[str, Any]]:
    """Drop a burst of person pictures, run every stage until its event is final, return the
    stored row and the published Event JSON."""
    import time

    from tests.server.pipeline.helpers import drop, person_jpeg, running, wait_for
    from tests.support.streams import stream_entries

    async with running(settings) as (services, _app):
        now = time.time()
        for i in range(2):
            drop(
                settings.storage.watch_dir, "back_door", f"MDAlarm_{i}.jpg", person_jpeg(i), mtime=now - 5 + i
            )

        async def final() -> bool:
            return bool(await services.pool.fetchval("SELECT count(*) FROM events WHERE final") == 1)

        await wait_for(final, what="the burst's final event")
        row = await services.pool.fetchrow("SELECT * FROM events WHERE final")
    messages = [
        json.loads(f["message"]) for _id, f in await stream_entries(redis_client, keys.stream("publish"))
    ]
    [event] = [m["data"] for m in messages if m["type"] == "event.created"]
    return row, event


async def test_the_pipeline_stores_and_publishes_an_event_the_vision_step_scored(
    vision_server: VisionStandIn,
    tmp_path: Path,
    database_url: str,
    redis_prefix: str,
    redis_client: Any,
    keys: Any,
) -> None:
    """Upload to published event with the vision step configured: its answer is the event's score,
    stored (the events table accepts `vision`) and published with the seen attributes' effect."""
    from tests.server.pipeline.helpers import make_settings

    settings = make_settings(
        tmp_path, database_url, redis_prefix, vlm_url=f"{vision_server.url}/v1", vlm_model="vlm"
    )
    row, event = await _one_final_event(settings, redis_client, keys)
    assert vision_server.requests and vision_server.images  # the key frames went to the model
    assert (row["assessed_by"], row["model"], row["risk_score"]) == ("vision", "vlm", 88)
    assert (event["assessed_by"], event["risk_score"], event["risk_level"]) == ("vision", 88, "critical")
    context = row["context"] if isinstance(row["context"], dict) else json.loads(row["context"])
    assert context["description"] == GOOD["description"]
    assert {"face_covered", "tried_door"} <= set(context["attributes"])


async def test_the_pipeline_stores_and_publishes_an_event_home_assistant_scored(
    ha_rest_standin: HAStandIn,
    tmp_path: Path,
    database_url: str,
    redis_prefix: str,
    redis_client: Any,
    keys: Any,
) -> None:
    from tests.server.pipeline.helpers import make_settings

    settings = make_settings(
        tmp_path,
        database_url,
        redis_prefix,
        llm_backend="home_assistant",
        ha_url=ha_rest_standin.url,
        ha_token=TOKEN,
        ha_ai_task_entity="ai_task.ollama",
    )
    row, event = await _one_final_event(settings, redis_client, keys)
    assert ha_rest_standin.calls and ha_rest_standin.calls[-1]["entity_id"] == "ai_task.ollama"
    assert (row["assessed_by"], row["risk_score"]) == ("home_assistant", 41)
    assert (event["assessed_by"], event["risk_score"]) == ("home_assistant", 41)
