"""The add-on image and the GPU container, built by scripts/test-addon and run as a user runs them.

The add-on is started the way the Supervisor starts it: its Supervisor-style /data/options.json,
/data and /share mounted, SUPERVISOR_TOKEN set and `supervisor` resolving to a real HTTP server of
this test (which records the discovery announcement and hands out the local Mosquitto as the MQTT
service). Host network, so its ports are the host's 127.0.0.1:8000 / :2121. Not collected by
./scripts/test: scripts/test-addon builds the images and runs this module (HSI_ADDON_IMAGE,
HSI_GPU_IMAGE name them).
"""

from __future__ import annotations

import asyncio
import contextlib
import ftplib
import io
import json
import os
import shutil
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import asyncpg
import pytest

ROOT = Path(__file__).resolve().parents[2]
PODMAN = ["podman", "--runtime", "runc"]
SUPERVISOR_ADDR = "127.0.0.2"  # `supervisor` inside the container (--add-host)
TOKEN = "test-supervisor-token"
API = "http://127.0.0.1:8000"
READY_TIMEOUT_S = 240.0
TIMINGS = ROOT / ".data" / "addon-test" / "timings.json"


def _image(var: str) -> str:
    image = os.environ.get(var)
    if not image:
        pytest.fail(f"{var} is not set: run scripts/test-addon, which builds the images and runs this module")
    return image


def _record(name: str, seconds: float) -> None:
    TIMINGS.parent.mkdir(parents=True, exist_ok=True)
    data = json.loads(TIMINGS.read_text()) if TIMINGS.is_file() else {}
    data[name] = round(seconds, 1)
    TIMINGS.write_text(json.dumps(data, indent=1, sort_keys=True))


def _bus_jpeg(variant: str) -> bytes:
    """ultralytics' bus.jpg (people in it), made unique by a JPEG comment (uploads are deduplicated
    by content)."""
    import ultralytics

    bus = (Path(ultralytics.__file__).parent / "assets" / "bus.jpg").read_bytes()
    comment = variant.encode()
    return bus[:2] + b"\xff\xfe" + (len(comment) + 2).to_bytes(2, "big") + comment + bus[2:]


def _port_free(host: str, port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex((host, port)) != 0


class _Supervisor(BaseHTTPRequestHandler):
    requests: list[dict[str, Any]]

    def _answer(self, status: int, body: dict[str, Any]) -> None:
        raw = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length)) if length else None
        self.requests.append(
            {
                "method": self.command,
                "path": self.path,
                "auth": self.headers.get("Authorization"),
                "body": body,
            }
        )
        if self.headers.get("Authorization") != f"Bearer {TOKEN}":
            self._answer(401, {"result": "error", "message": "unauthorized"})
        elif self.command == "GET" and self.path == "/services/mqtt":
            self._answer(200, {"result": "ok", "data": {"host": "127.0.0.1", "port": 1883, "ssl": False}})
        elif self.command == "POST" and self.path == "/discovery":
            self._answer(200, {"result": "ok", "data": {"uuid": uuid.uuid4().hex}})
        else:
            self._answer(404, {"result": "error", "message": "not found"})

    do_GET = do_POST = _handle

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def supervisor() -> Iterator[list[dict[str, Any]]]:
    requests: list[dict[str, Any]] = []
    handler = type("Handler", (_Supervisor,), {"requests": requests})
    server = ThreadingHTTPServer((SUPERVISOR_ADDR, 80), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield requests
    server.shutdown()
    server.server_close()


def _options(**overrides: Any) -> dict[str, Any]:
    """What the Supervisor writes from config.yaml's defaults plus the user's changes."""
    options: dict[str, Any] = {
        "timezone": "Europe/Berlin",
        "cameras": [
            {"slug": "front", "name": "Front door", "ftp_password": "front-pass-1"},
            {"slug": "garage", "name": "Garage", "ftp_password": "garage-pass-2"},
        ],
        "detector": "auto",
        "detector_weights": "/share/hsi/models/yolo26n.onnx",
        "models_profile": "auto",
        "llm_backend": "heuristic",
        "llm_url": "",
        "llm_model": "nemotron",
        "llm_api_key": "",
        "mqtt_discovery": False,
        "batch_window_seconds": 30,
        "batch_idle_seconds": 5,
        "log_level": "INFO",
    }
    options.update(overrides)
    return options


class AddOn:
    """One add-on installation: its /data and /share folders and the container running it."""

    def __init__(self, image: str, root: Path) -> None:
        self.image, self.data, self.share = image, root / "data", root / "share"
        self.data.mkdir(parents=True)
        self.share.mkdir(parents=True)
        self.name = f"hsi-addon-test-{uuid.uuid4().hex[:8]}"

    def write_options(self, options: dict[str, Any]) -> None:
        (self.data / "options.json").write_text(json.dumps(options))

    def start(self) -> None:
        subprocess.run(
            [
                *PODMAN, "run", "-d", "--name", self.name, "--network", "host",
                "--add-host", f"supervisor:{SUPERVISOR_ADDR}", "-e", f"SUPERVISOR_TOKEN={TOKEN}",
                "-v", f"{self.data}:/data", "-v", f"{self.share}:/share", self.image,
            ],
            check=True, capture_output=True,
        )  # fmt: skip

    def logs(self) -> str:
        out = subprocess.run([*PODMAN, "logs", self.name], capture_output=True, text=True, check=False)
        return out.stdout + out.stderr

    def running(self) -> bool:
        out = subprocess.run(
            [*PODMAN, "inspect", "--format", "{{.State.Running}}", self.name],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        return out.stdout.strip() == "true"

    def exit_code(self, timeout: float = 60.0) -> int:
        out = subprocess.run(
            [*PODMAN, "wait", self.name], capture_output=True, text=True, check=True, timeout=timeout
        )
        return int(out.stdout.strip())

    def stop(self) -> None:
        subprocess.run([*PODMAN, "stop", "-t", "30", self.name], capture_output=True, check=False)

    def remove(self) -> None:
        subprocess.run([*PODMAN, "rm", "-f", self.name], capture_output=True, check=False)

    def wait_ready(self) -> float:
        """Seconds until /api/system/ready answers 200; fails with the log if the container ends."""
        started = time.monotonic()
        while time.monotonic() - started < READY_TIMEOUT_S:
            with contextlib.suppress(urllib.error.URLError, OSError):
                with urllib.request.urlopen(f"{API}/api/system/ready", timeout=5) as resp:
                    if resp.status == 200:
                        return time.monotonic() - started
            if not self.running():
                pytest.fail(f"the add-on ended before it was ready:\n{self.logs()}")
            time.sleep(0.5)
        pytest.fail(f"the add-on was not ready within {READY_TIMEOUT_S:.0f} s:\n{self.logs()}")

    def api_key(self) -> str:
        return (self.data / "hsi" / "addon_api_key").read_text().strip()

    def get_raw(self, path: str) -> tuple[str, bytes]:
        req = urllib.request.Request(API + path, headers={"Authorization": f"Bearer {self.api_key()}"})
        with urllib.request.urlopen(req, timeout=60) as resp:
            return resp.headers.get("Content-Type", ""), resp.read()

    def get(self, path: str) -> Any:
        return json.loads(self.get_raw(path)[1])


def _events_for(addon: AddOn, camera: str, timeout: float = 120.0) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        events = [e for e in addon.get("/api/events")["events"] if e["camera"] == camera]
        if events:
            return events
        time.sleep(1.0)
    pytest.fail(f"no event for camera {camera!r} within {timeout:.0f} s:\n{addon.logs()[-4000:]}")


@pytest.fixture
def addon(tmp_path: Path) -> Iterator[AddOn]:
    if not _port_free("127.0.0.1", 8000) or not _port_free("127.0.0.1", 2121):
        pytest.fail("127.0.0.1:8000 or :2121 is in use: the add-on (host network) needs both")
    installed = AddOn(_image("HSI_ADDON_IMAGE"), tmp_path)
    yield installed
    installed.remove()
    # The container wrote as root into the mounted folders; tmp_path cleans up after itself.


def test_addon_lifecycle(addon: AddOn, supervisor: list[dict[str, Any]]) -> None:
    addon.write_options(_options())
    started = time.monotonic()
    addon.start()
    first_ready = addon.wait_ready()
    _record("addon_first_start_to_ready_s", time.monotonic() - started)
    log = addon.logs()
    assert "postgres: first start, initdb in /data/postgresql" in log
    assert "postgres: ready" in log and "redis: ready" in log
    assert "mqtt: using the Supervisor's broker at 127.0.0.1:1883" in log
    assert "semantic search off" not in log  # the MiniLM weights are in the image, and run:
    embed = subprocess.run(
        [*PODMAN, "exec", addon.name, "/opt/hsi/venv/bin/python", "-c",
         "from inference_server.ml.text_embedder import MiniLMEmbedder as M; print(M(None).embed(['x']).shape)"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert embed.stdout.strip() == "(1, 384)", embed.stderr
    ready = json.loads(urllib.request.urlopen(f"{API}/api/system/ready", timeout=5).read())
    assert ready["checks"]["database"] and ready["checks"]["redis"]
    health = json.loads(urllib.request.urlopen(f"{API}/api/system/health", timeout=5).read())
    assert health == {"status": "ok"}
    # PostgreSQL and Redis keep their data in the add-on's /data.
    assert (addon.data / "postgresql" / "PG_VERSION").is_file()
    assert (addon.data / "redis").is_dir()
    # The integration was announced with a key that the API accepts (keys are required: the API
    # listens beyond loopback).
    posts = [r for r in supervisor if r["method"] == "POST" and r["path"] == "/discovery"]
    assert len(posts) == 1
    assert posts[0]["auth"] == f"Bearer {TOKEN}"
    assert posts[0]["body"]["service"] == "home_security_intelligence"
    assert posts[0]["body"]["config"]["host"] == "127.0.0.1"  # host network, as Core's
    assert posts[0]["body"]["config"]["port"] == 8000
    assert posts[0]["body"]["config"]["api_key"] == addon.api_key()
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{API}/api/events", timeout=5)
    assert refused.value.code == 401
    assert first_ready > 0

    # models_profile auto: the add-on has no PyTorch, so the .pt-only profile is refused with one
    # line saying what to provide, nothing is downloaded, and the server serves on fallbacks.
    assert "models_pull model=yolo26n unusable: yolo26n is published only as yolo26n.pt" in log, log[-3000:]
    assert "put yolo26n.onnx at /share/hsi/models/yolo26n.onnx" in log
    for _ in range(60):  # the pull's thread sets its state right after that line
        pull = json.loads(urllib.request.urlopen(f"{API}/api/system/ready", timeout=5).read())["models_pull"]
        if pull["state"] != "pending":
            break
        time.sleep(0.5)
    assert pull["state"] == "unusable" and pull["models"]["yolo26n"] == "unusable", pull

    # An upload into the mapped share becomes an event (the camera's folder, as Samba would).
    folder = addon.share / "hsi" / "uploads" / "front"
    assert folder.is_dir()  # made on start for each configured camera
    (folder / "snap_001.jpg").write_bytes(_bus_jpeg("front"))
    front = _events_for(addon, "front")
    assert front[0]["camera_name"] == "Front door"
    assert front[0]["objects"].get("person", 0) >= 1
    # Its clip is made by the image's ffmpeg (H.264 MP4).
    content_type, clip = addon.get_raw(f"/api/events/{front[0]['id']}/clip")
    assert content_type.startswith("video/mp4") and clip[4:8] == b"ftyp", addon.logs()[-2000:]
    # And so does an FTP upload with the camera's own user and password (the camera's path).
    with ftplib.FTP() as ftp:
        ftp.connect("127.0.0.1", 2121, timeout=10)
        ftp.login("garage", "garage-pass-2")
        ftp.storbinary("STOR snap_ftp.jpg", io.BytesIO(_bus_jpeg("garage")))
    garage = _events_for(addon, "garage")
    event_ids = {front[0]["id"], garage[0]["id"]}
    # The panel's status page, with the links under the ingress prefix the Supervisor sends.
    prefix = "/api/hassio_ingress/T0ken_1"
    page = urllib.request.Request(f"{API}/", headers={"X-Ingress-Path": prefix, "X-API-Key": addon.api_key()})
    with urllib.request.urlopen(page, timeout=30) as resp:
        html = resp.read().decode()
        assert resp.headers["Content-Type"].startswith("text/html")
    assert "Front door" in html and "Garage" in html and f'src="{prefix}/api/media/front/' in html

    # A restart keeps everything: the same events, the same key, no new database cluster.
    addon.stop()
    assert addon.exit_code() in (0, 143)
    assert "redis and postgres stopped" in addon.logs()
    addon.remove()
    started = time.monotonic()
    addon.start()
    addon.wait_ready()
    _record("addon_restart_to_ready_s", time.monotonic() - started)
    log = addon.logs()
    assert "first start" not in log and "created the API key" not in log
    assert {e["id"] for e in addon.get("/api/events")["events"]} >= event_ids
    assert len([r for r in supervisor if r["path"] == "/discovery"]) == 2  # announced again
    addon.stop()


@pytest.mark.parametrize(
    ("overrides", "line"),
    [
        ({"timezone": "Mars/Olympus_Mons"}, "option 'timezone': unknown time zone 'Mars/Olympus_Mons'"),
        (
            {"cameras": [{"slug": "Front Door", "name": "x", "ftp_password": "p"}]},
            "option 'cameras' entry 1: slug 'Front Door' must be 1-64 lower-case letters",
        ),
        ({"llm_backend": "openai", "llm_url": ""}, "option 'llm_url': llm_backend openai needs the URL"),
        ({"batch_window_seconds": 10, "batch_idle_seconds": 60}, "option 'batch_idle_seconds': 60 is longer"),
    ],
)
def test_bad_option_is_refused(
    addon: AddOn, supervisor: list[dict[str, Any]], overrides: dict[str, Any], line: str
) -> None:
    addon.write_options(_options(**overrides))
    before = len(supervisor)
    addon.start()
    code = addon.exit_code()
    log = addon.logs()
    assert code != 0, log
    assert f"[hsi-addon] refusing to start: {line}" in log
    # Nothing started and nothing was written: no database cluster, no announcement.
    assert not (addon.data / "postgresql").exists()
    assert "stopped" not in log  # nothing was started
    assert supervisor[before:] == []
    assert _port_free("127.0.0.1", 8000)


@pytest.fixture
def gpu_database() -> Iterator[str]:
    admin = os.environ.get("HSI_TEST_PG_URL", "postgresql://postgres@localhost:5432/postgres")
    name = f"hsi_gpu_{uuid.uuid4().hex[:8]}"

    async def run(sql: str) -> None:
        conn = await asyncpg.connect(admin)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(run(f'CREATE DATABASE "{name}"'))
    yield admin.rpartition("/")[0] + "/" + name
    asyncio.run(run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def test_gpu_container_entrypoint_on_cpu(tmp_path: Path, gpu_database: str) -> None:
    """The GPU container's own entrypoint on a machine without a GPU: PyTorch CUDA imports, sees
    no device, and the server falls back to the CPU; an upload still becomes an event."""
    image = _image("HSI_GPU_IMAGE")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    data = tmp_path / "data"
    (data / "uploads" / "porch").mkdir(parents=True)
    name = f"hsi-gpu-test-{uuid.uuid4().hex[:8]}"
    cuda = subprocess.run(
        [*PODMAN, "run", "--rm", "--entrypoint", "/opt/hsi/venv/bin/python", image, "-c",
         "import torch, ultralytics; print(torch.__version__, torch.version.cuda, torch.cuda.is_available())"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    version, cuda_version, available = cuda.stdout.split()[-3:]
    assert cuda_version != "None" and available == "False", cuda.stdout
    env = {
        "HSI_DATABASE_URL": gpu_database,
        "HSI_REDIS_URL": "redis://127.0.0.1:6379/0",
        "HSI_REDIS_PREFIX": name,
        "HSI_API_HOST": "127.0.0.1",
        "HSI_API_PORT": str(port),
        "HSI_FTP_ENABLED": "false",
        "HSI_BATCH_IDLE_SECONDS": "5",
    }
    started = time.monotonic()
    subprocess.run(
        [*PODMAN, "run", "-d", "--name", name, "--network", "host", "-v", f"{data}:/data",
         *[a for k, v in env.items() for a in ("-e", f"{k}={v}")], image],
        check=True, capture_output=True,
    )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + READY_TIMEOUT_S
        while True:
            with contextlib.suppress(urllib.error.URLError, OSError):
                if urllib.request.urlopen(f"{base}/api/system/ready", timeout=5).status == 200:
                    break
            if time.monotonic() >= deadline:  # a give-up bound, not a timing check
                logs = subprocess.run([*PODMAN, "logs", name], capture_output=True, text=True).stderr
                pytest.fail(
                    f"the GPU container was not ready within {READY_TIMEOUT_S:.0f} s:\n{logs[-4000:]}"
                )
            time.sleep(0.5)
        _record("gpu_container_start_to_ready_s", time.monotonic() - started)
        (data / "uploads" / "porch" / "snap.jpg").write_bytes(_bus_jpeg("porch"))
        deadline = time.monotonic() + 120
        while True:
            events = json.loads(urllib.request.urlopen(f"{base}/api/events", timeout=5).read())["events"]
            if events:
                break
            if time.monotonic() >= deadline:  # a give-up bound, not a timing check
                logs = subprocess.run([*PODMAN, "logs", name], capture_output=True, text=True).stderr
                pytest.fail(
                    f"the GPU container made no event from porch/snap.jpg within 120 s:\n{logs[-4000:]}"
                )
            time.sleep(1.0)
        assert events[0]["camera"] == "porch" and events[0]["objects"].get("person", 0) >= 1
        logs = subprocess.run([*PODMAN, "logs", name], capture_output=True, text=True).stderr
        assert "detector=opencv" in logs or "using=opencv" in logs  # no weights, no GPU: CPU fallback
        assert "semantic search off" not in logs  # the MiniLM weights are in the image
        assert version
    finally:
        subprocess.run([*PODMAN, "rm", "-f", "-t", "10", name], capture_output=True, check=False)
        shutil.rmtree(data, ignore_errors=True)
