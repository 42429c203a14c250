"""`models_profile`: `hsi serve` starts on fallbacks and pulls the profile's models in the background
(the add-on's first start), with the state in /api/system/ready, /api/system/info (the repair text)
and `hsi doctor`; an offline host does not try."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from inference_server.ml.models.manifest import builtin_manifest, load_manifest
from inference_server.ml.models.profile_pull import ProfilePull, read_status
from inference_server.ml.models.store import ModelStore
from tests.server.models.conftest import ModelsEnv, write_manifest
from tests.server.test_serve import ROOT, free_port, wait_http
from tests.support.fake_hub import FakeHub

YOLO = builtin_manifest().get("yolo26n")


def _yolo_body() -> bytes:
    return b"PK\x03\x04" + hashlib.sha256(b"yolo").digest() * 40_000  # 1.28 MB, zip-like like a .pt


async def test_serve_pulls_the_profile_in_the_background_while_serving_on_fallbacks(
    tmp_path: Path, database_url: str, redis_prefix: str, hub: FakeHub
) -> None:
    body = _yolo_body()
    hosted = hub.add_release("ultralytics/assets", "v8.4.0", "yolo26n.pt", body, bytes_per_second=400_000)
    manifest = write_manifest(
        tmp_path / "manifest.yaml",
        {"yolo26n": {"sha256": hashlib.sha256(body).hexdigest(), "size_bytes": len(body)}},
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("HSI_") or k.startswith("HSI_TEST_")}
    env.update(
        {
            "PYTHONPATH": str(ROOT),
            "HSI_DATABASE_URL": database_url,
            "HSI_REDIS_URL": "redis://localhost:6379/0",
            "HSI_REDIS_PREFIX": redis_prefix,
            "HSI_DATA_DIR": str(tmp_path / "data"),
            "HSI_API_PORT": str(free_port()),
            "HSI_MODELS_MIRROR": hub.url,
            "HSI_MODELS_MANIFEST": str(manifest),
            "HSI_MODELS_PROFILE": "cpu-small",
            "HSI_ASK_EMBEDDER": "none",
        }
    )
    log_path = tmp_path / "serve.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "inference_server", "serve"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{env['HSI_API_PORT']}"
    states = []
    try:
        await wait_http(f"{base}/api/system/health")
        async with aiohttp.ClientSession() as session:
            deadline = time.monotonic() + 90
            info: dict[str, Any] = {}
            while time.monotonic() < deadline:
                async with session.get(f"{base}/api/system/ready") as resp:
                    ready = await resp.json()
                    assert resp.status == 200, "serving on fallbacks while the models download"
                states.append(ready["models_pull"]["state"])
                async with session.get(f"{base}/api/system/info") as resp:
                    info = await resp.json()
                detector = next(f for f in info["fallbacks"] if f["stage"] == "detector")
                if states[-1] == "downloading":
                    assert "downloading yolo26n (profile cpu-small) in the background" in detector["reason"]
                    assert detector["fix"] == "wait for the download to finish, then restart HSI"
                if states[-1] in ("done", "failed", "offline"):
                    break
                await asyncio.sleep(0.2)
        assert proc.poll() is None
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    assert "downloading" in states and states[-1] == "done", (states, log_path.read_text()[-2000:])
    pull = info["doctor"]["profile_pull"]
    assert pull["models"] == {"yolo26n": "installed"} and pull["restart_required"] is True
    assert detector["fix"] == "restart HSI (the add-on) to use the downloaded models"
    assert detector["backend"] == "opencv"  # still the fallback until the restart
    store = ModelStore(tmp_path / "data" / "models", load_manifest(manifest))
    assert store.path(YOLO).read_bytes() == body and store.status(YOLO).status == "verified"
    assert len(hub.gets("yolo26n.pt")) >= 1 and hosted.body == body

    doctor = subprocess.run(
        [sys.executable, "-m", "inference_server", "doctor", "--json"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert doctor.returncode == 0, doctor.stderr
    report = json.loads(doctor.stdout)
    assert report["profile_pull"]["state"] == "done" and report["profile_pull"]["profile"] == "cpu-small"
    assert report["stages"]["detector"]["backend"] != "opencv"  # the next start uses YOLO26


def test_an_offline_host_does_not_pull_and_says_how_to_fix_it(
    tmp_path: Path, models_env: ModelsEnv, hub: FakeHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HSI_OFFLINE", "1")
    models_dir = tmp_path / "models"
    pull = ProfilePull.for_settings(models_dir, builtin_manifest(), "auto", "cpu")
    assert pull.profile == "cpu" and pull.requested == "auto"
    pull.start()
    pull.join(30)
    status = read_status(models_dir)
    assert status is not None and status["state"] == "offline"
    assert "HSI_OFFLINE" in status["detail"] and "hsi models pull --profile cpu" in status["detail"]
    assert set(status["models"]) == {"yolo26n", "nemotron-mini-4b", "clip-vit-b-32"}
    assert hub.requests == []
    fallback = {
        "stage": "llm",
        "backend": "heuristic",
        "reason": "no GGUF",
        "fix": "hsi models pull nemotron-mini-4b",
    }
    (annotated,) = pull.annotate([fallback])
    assert "offline (HSI_OFFLINE is set)" in annotated["reason"] and annotated["fix"] == fallback["fix"]


def test_an_unreachable_hub_counts_as_offline_and_an_unknown_profile_is_refused(tmp_path: Path) -> None:
    pull = ProfilePull.for_settings(
        tmp_path,
        builtin_manifest(),
        "cpu-small",
        "cpu",
        mirror="http://127.0.0.1:9",  # discard port: refused
    )
    pull.run()
    assert pull.state == "offline" and "unreachable" in pull.detail
    with pytest.raises(Exception, match="gpu-9000"):
        ProfilePull.for_settings(tmp_path, builtin_manifest(), "gpu-9000", "cpu")
