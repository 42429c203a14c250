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
import yaml

from inference_server.ml.models.manifest import builtin_manifest, load_manifest
from inference_server.ml.models.profile_pull import ProfilePull, read_status
from inference_server.ml.models.store import ModelStore
from inference_server.runtime.models import model_plan
from inference_server.settings import load_settings
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


def _manifest_with_onnx_export(path: Path, body: bytes) -> Path:
    """The built-in manifest plus an ONNX export of yolo26n that yolo26n names (`onnx:`)."""
    data = builtin_manifest().model_dump(by_alias=True, mode="json")
    yolo = next(m for m in data["models"] if m["id"] == "yolo26n")
    export = {
        **yolo,
        "id": "yolo26n-onnx",
        "name": "YOLO26 nano exported to ONNX",
        "file": "yolo26n.onnx",
        "sha256": hashlib.sha256(body).hexdigest(),
        "size_bytes": len(body),
        "backends": ["onnx"],
    }
    yolo["onnx"] = "yolo26n-onnx"
    data["models"].append(export)
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def test_a_build_without_pytorch_pulls_the_onnx_export_and_auto_runs_it(tmp_path: Path, hub: FakeHub) -> None:
    body = b"\x08\x07" + hashlib.sha256(b"onnx").digest() * 20_000  # 640 KB
    hub.add_release("ultralytics/assets", "v8.4.0", "yolo26n.onnx", body, redirect=True)
    manifest = load_manifest(_manifest_with_onnx_export(tmp_path / "manifest.yaml", body))
    models_dir = tmp_path / "models"
    weights = str(tmp_path / "share" / "yolo26n.onnx")  # the add-on's detector_weights, not there
    pull = ProfilePull(
        ModelStore(models_dir, manifest),
        "cpu-small",
        "auto",
        mirror=hub.url,
        runtimes=frozenset({"onnx"}),
        detector_weights=weights,
    )
    pull.run()

    assert pull.state == "done", pull.detail
    assert pull.models == {"yolo26n-onnx": "installed"} and pull.restart_required
    assert hub.gets("yolo26n.pt") == []  # the .pt this build cannot run is not downloaded
    store = ModelStore(models_dir, manifest)
    assert store.path(manifest.get("yolo26n-onnx")).read_bytes() == body
    # The next start: HSI_DETECTOR_WEIGHTS is not there, the pulled export serves on ONNX Runtime.
    settings = load_settings(
        environ={
            "HSI_MODELS_DIR": str(models_dir),
            "HSI_MODELS_MANIFEST": str(tmp_path / "manifest.yaml"),
            "HSI_DETECTOR_WEIGHTS": weights,
        }
    )
    detector = model_plan(settings).detector
    assert (detector.backend, detector.model_id, detector.fallback) == ("onnx", "yolo26n-onnx", False)
    assert "does not exist; yolo26n-onnx from" in detector.reason


def test_a_build_without_pytorch_refuses_a_pt_only_profile_with_one_line_saying_what_to_provide(
    tmp_path: Path, hub: FakeHub, caplog: pytest.LogCaptureFixture
) -> None:
    pull = ProfilePull.for_settings(
        tmp_path / "models",
        builtin_manifest(),
        "cpu",
        "cpu",
        mirror=hub.url,
        runtimes=frozenset({"onnx"}),  # the add-on: ONNX Runtime only
        detector_weights="/share/hsi/models/yolo26n.onnx",
    )
    with caplog.at_level("WARNING"):
        pull.run()

    assert pull.state == "unusable" and hub.requests == []  # nothing downloaded, not even a HEAD
    assert pull.models == dict.fromkeys(("yolo26n", "nemotron-mini-4b", "clip-vit-b-32"), "unusable")
    line = pull.errors["yolo26n"]
    assert "\n" not in line
    assert line.startswith("yolo26n is published only as yolo26n.pt (PyTorch) and this build has no PyTorch")
    assert "`yolo export model=yolo26n.pt format=onnx`" in line
    assert line.endswith("put yolo26n.onnx at /share/hsi/models/yolo26n.onnx")
    assert "llm_backend openai" in pull.errors["nemotron-mini-4b"]
    logged = [r.getMessage() for r in caplog.records if "unusable" in r.getMessage()]
    assert f"models_pull model=yolo26n unusable: {line}" in logged
    status = read_status(tmp_path / "models")
    assert status is not None and status["state"] == "unusable" and status["errors"]["yolo26n"] == line
    # Home Assistant's repair issue for the detector fallback says what to provide.
    fallback = {
        "stage": "detector",
        "backend": "opencv",
        "reason": "no YOLO26",
        "fix": "hsi models pull yolo26n",
    }
    (annotated,) = pull.annotate([fallback])
    assert annotated["fix"] == line
