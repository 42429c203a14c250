"""`hsi models pull|verify|import|remove|list` against a local server speaking the hub's protocol."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from inference_server.cli import main
from inference_server.ml.models.manifest import builtin_manifest
from inference_server.ml.models.store import ModelStore
from inference_server.settings import load_settings
from tests.server.models.conftest import ModelsEnv
from tests.support.fake_hub import FakeHub

REPO_ROOT = Path(__file__).resolve().parents[3]
NEMO = builtin_manifest().get("nemotron-mini-4b")
NEMO_REPO = "bartowski/Nemotron-Mini-4B-Instruct-GGUF"
YOLO = builtin_manifest().get("yolo26n")


def gguf_body(size: int = 1_500_000, seed: int = 1) -> bytes:
    """Bytes that start like a GGUF file (enough for import's format check), deterministic."""
    block = hashlib.sha256(str(seed).encode()).digest() * 2048
    body = (b"GGUF" + block * (size // len(block) + 1))[:size]
    return body


def store_for(cfg: Path) -> ModelStore:
    from inference_server.ml.models.manifest import load_manifest

    settings = load_settings(cfg, environ={})
    return ModelStore(settings.models_path, load_manifest(settings.models.manifest))


def run_cli(cfg: Path, *args: str) -> int:
    return main(["--config", str(cfg), *args])


def test_pull_installs_a_hub_file_verified_against_its_lfs_hash(
    hub: FakeHub, models_env: ModelsEnv, capsys: pytest.CaptureFixture[str]
) -> None:
    body = gguf_body()
    hub.add_hf(NEMO_REPO, NEMO.file, body)
    cfg = models_env()

    started = time.perf_counter()
    assert run_cli(cfg, "models", "pull", "nemotron-mini-4b") == 0
    elapsed = time.perf_counter() - started
    out = capsys.readouterr().out
    assert "nemotron-mini-4b: installed" in out and "checked against hub" in out

    store = store_for(cfg)
    path = store.path(NEMO)
    assert path.read_bytes() == body
    status = store.status(NEMO)
    assert status.status == "verified" and status.checked_against == "hub"
    assert status.sha256 == hashlib.sha256(body).hexdigest()
    assert not (store.root / ".staging" / NEMO.id).exists()
    assert len(hub.gets(NEMO.file)) == 1
    print(f"pull of {len(body)} bytes from the stand-in: {elapsed:.2f} s")

    # A second pull finds it installed and verified: no download, no network needed.
    hub.requests.clear()
    assert run_cli(cfg, "models", "pull", "nemotron-mini-4b") == 0
    assert "already installed and verified" in capsys.readouterr().out
    assert hub.requests == []


def test_pull_resumes_after_the_server_drops_the_connection_mid_file(
    hub: FakeHub, models_env: ModelsEnv
) -> None:
    # huggingface_hub writes in 10 MiB chunks: a cut at 15 MB keeps the first 10 MiB on disk.
    body = gguf_body(24_000_000)
    hub.add_hf(NEMO_REPO, NEMO.file, body, drop_after=15_000_000, drops_left=1)
    cfg = models_env()

    started = time.perf_counter()
    assert run_cli(cfg, "models", "pull", "nemotron-mini-4b") == 0
    elapsed = time.perf_counter() - started

    gets = hub.gets(NEMO.file)
    chunk = 10 * 1024 * 1024
    assert [g.range for g in gets] == [None, f"bytes={chunk}-"]  # the second request resumed
    assert gets[0].sent == 15_000_000 and gets[1].status == 206 and gets[1].sent == len(body) - chunk
    assert store_for(cfg).path(NEMO).read_bytes() == body
    print(f"pull of 24 MB with one cut at 15 MB: {elapsed:.2f} s (huggingface_hub waits 1 s before resuming)")


def test_a_pull_killed_mid_file_is_resumed_by_the_next_process_with_a_range_request(
    hub: FakeHub, models_env: ModelsEnv, capsys: pytest.CaptureFixture[str]
) -> None:
    body = gguf_body(24_000_000)
    hosted = hub.add_hf(NEMO_REPO, NEMO.file, body, bytes_per_second=6_000_000)  # ~4 s for the file
    cfg = models_env()
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    cmd = [
        sys.executable,
        "-m",
        "inference_server",
        "--config",
        str(cfg),
        "models",
        "pull",
        "nemotron-mini-4b",
    ]
    partial_dir = store_for(cfg).root / ".partial" / "nemotron-mini-4b"
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    chunk = 10 * 1024 * 1024  # huggingface_hub writes whole 10 MiB chunks
    deadline = time.monotonic() + 60
    kept = 0
    while time.monotonic() < deadline and proc.poll() is None:
        parts = list(partial_dir.glob("*.part")) if partial_dir.is_dir() else []
        kept = parts[0].stat().st_size if parts else 0
        if kept >= chunk:
            break
        time.sleep(0.02)
    proc.kill()  # SIGKILL: no clean-up code runs
    proc.communicate(timeout=30)
    assert kept >= chunk, "the first process never wrote a chunk"
    (part,) = partial_dir.glob("*.part")
    kept = part.stat().st_size
    assert 0 < kept < len(body) and not store_for(cfg).path(NEMO).exists()

    hosted.bytes_per_second = None
    started = time.perf_counter()
    assert run_cli(cfg, "models", "pull", "nemotron-mini-4b") == 0  # a new run
    elapsed = time.perf_counter() - started
    out = capsys.readouterr().out
    assert "resuming" in out
    last = hub.gets(NEMO.file)[-1]
    assert last.range == f"bytes={kept}-" and last.status == 206 and last.sent == len(body) - kept
    assert store_for(cfg).path(NEMO).read_bytes() == body
    assert not partial_dir.exists()
    print(f"resumed at {kept} of {len(body)} bytes in a new process: {elapsed:.2f} s")


def test_a_partial_file_of_an_older_upstream_version_is_not_resumed(
    hub: FakeHub, models_env: ModelsEnv
) -> None:
    body = gguf_body(2_000_000, seed=3)
    hub.add_hf(NEMO_REPO, NEMO.file, body)
    cfg = models_env()
    stale = store_for(cfg).partial_path(NEMO, "an-old-etag")
    stale.write_bytes(b"GGUF" + b"x" * 1000)  # bytes of another version of the file

    assert run_cli(cfg, "models", "pull", "nemotron-mini-4b") == 0
    assert hub.gets(NEMO.file)[-1].range is None  # downloaded from the start
    assert store_for(cfg).path(NEMO).read_bytes() == body and not stale.exists()


def test_checksum_mismatch_against_the_manifest_is_refused_and_the_file_removed(
    hub: FakeHub, models_env: ModelsEnv, capsys: pytest.CaptureFixture[str]
) -> None:
    # The built-in manifest publishes yolo26n's hash; these bytes are not that file.
    hub.add_release("ultralytics/assets", "v8.4.0", "yolo26n.pt", b"PK\x03\x04" + os.urandom(200_000))
    cfg = models_env()

    assert run_cli(cfg, "models", "pull", "yolo26n") == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("hsi: checksum mismatch for yolo26n (yolo26n.pt)")
    store = store_for(cfg)
    assert not store.path(YOLO).exists()
    assert not (store.root / ".staging" / "yolo26n").exists()
    assert store.status(YOLO).status == "missing" and store.record_of(YOLO) is None


def test_checksum_mismatch_against_the_hub_hash_is_refused(
    hub: FakeHub, models_env: ModelsEnv, capsys: pytest.CaptureFixture[str]
) -> None:
    hub.add_hf(NEMO_REPO, NEMO.file, gguf_body(), advertised_sha256="ab" * 32)
    cfg = models_env()

    assert run_cli(cfg, "models", "pull", "nemotron-mini-4b") == 1
    err = capsys.readouterr().err
    assert "checksum mismatch for nemotron-mini-4b" in err and "(hub)" in err
    assert not store_for(cfg).path(NEMO).exists()


def test_pull_refuses_before_downloading_when_the_disk_is_too_small(
    hub: FakeHub, models_env: ModelsEnv, capsys: pytest.CaptureFixture[str]
) -> None:
    hub.add_hf(NEMO_REPO, NEMO.file, gguf_body(), advertised_size=2**55)  # 32 PiB
    cfg = models_env()

    assert run_cli(cfg, "models", "pull", "nemotron-mini-4b") == 1
    err = capsys.readouterr().err
    assert "not enough free disk space for nemotron-mini-4b" in err
    assert hub.gets(NEMO.file) == []  # only the HEAD was made


def test_two_processes_pulling_the_same_model_download_it_once(hub: FakeHub, models_env: ModelsEnv) -> None:
    body = gguf_body(1_000_000)
    hub.add_hf(NEMO_REPO, NEMO.file, body, bytes_per_second=600_000)  # ~1.7 s per download
    cfg = models_env()
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    cmd = [
        sys.executable,
        "-m",
        "inference_server",
        "--config",
        str(cfg),
        "models",
        "pull",
        "nemotron-mini-4b",
    ]

    procs = [subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)]
    deadline = time.monotonic() + 60
    while not hub.gets(NEMO.file) and time.monotonic() < deadline:  # the first one is downloading
        time.sleep(0.05)
    procs.append(subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    outs = [p.communicate(timeout=120) for p in procs]

    assert [p.returncode for p in procs] == [0, 0], outs
    assert len(hub.gets(NEMO.file)) == 1
    assert "installed" in outs[0][0]
    assert "another process is downloading it" in outs[1][0]
    assert "already installed and verified" in outs[1][0]
    assert store_for(cfg).path(NEMO).read_bytes() == body


def test_import_copies_a_file_in_verified_and_registered(
    tmp_path: Path, models_env: ModelsEnv, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = models_env()
    source = tmp_path / "usb" / NEMO.file
    source.parent.mkdir()
    source.write_bytes(gguf_body())

    assert run_cli(cfg, "models", "import", str(source)) == 0  # identified by its file name
    assert "nemotron-mini-4b: imported" in capsys.readouterr().out
    store = store_for(cfg)
    assert store.path(NEMO).read_bytes() == source.read_bytes()
    assert store.status(NEMO).status == "verified"
    assert store.record_of(NEMO)["origin"] == f"import:{source.resolve()}"  # type: ignore[index]
    assert source.exists()  # copied, not moved


def test_import_refuses_a_file_that_is_not_the_model(
    tmp_path: Path, models_env: ModelsEnv, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = models_env()
    not_gguf = tmp_path / "notes.txt"
    not_gguf.write_text("hello")
    assert run_cli(cfg, "models", "import", str(not_gguf), "--as", "nemotron-mini-4b") == 1
    assert "not a GGUF file" in capsys.readouterr().err

    fake_yolo = tmp_path / "yolo26n.pt"
    fake_yolo.write_bytes(b"PK\x03\x04" + b"\0" * 1000)
    assert run_cli(cfg, "models", "import", str(fake_yolo)) == 1
    assert "checksum mismatch importing" in capsys.readouterr().err
    store = store_for(cfg)
    assert store.status(NEMO).status == "missing" and store.status(YOLO).status == "missing"

    ambiguous = tmp_path / "open_clip_model.safetensors"
    ambiguous.write_bytes(b"\x10\0\0\0\0\0\0\0{}" + b" " * 14)
    assert run_cli(cfg, "models", "import", str(ambiguous)) == 1
    assert "clip-vit-b-32, clip-vit-l-14: name one with --as ID" in capsys.readouterr().err


def test_verify_finds_a_corrupted_file_and_auto_stops_using_it(
    hub: FakeHub, models_env: ModelsEnv, capsys: pytest.CaptureFixture[str]
) -> None:
    body = gguf_body()
    hub.add_hf(NEMO_REPO, NEMO.file, body)
    cfg = models_env(llm_backend="auto")
    assert run_cli(cfg, "models", "pull", "nemotron-mini-4b") == 0
    assert run_cli(cfg, "models", "verify") == 0
    assert "nemotron-mini-4b: ok" in capsys.readouterr().out

    path = store_for(cfg).path(NEMO)
    with path.open("r+b") as fh:  # one flipped byte in the middle, same size
        fh.seek(len(body) // 2)
        fh.write(bytes([body[len(body) // 2] ^ 0xFF]))
    assert run_cli(cfg, "models", "verify", "nemotron-mini-4b") == 1
    out = capsys.readouterr().out
    assert "nemotron-mini-4b: CORRUPT" in out and "hsi models pull --force nemotron-mini-4b" in out
    assert store_for(cfg).status(NEMO).status == "corrupt"

    from inference_server.runtime.models import model_plan

    plan = model_plan(load_settings(cfg, environ={}))
    assert plan.llm.backend == "heuristic" and plan.llm.fallback
    assert "nemotron-mini-4b failed verification" in plan.llm.reason

    # --force downloads it again and the corruption is gone.
    assert run_cli(cfg, "models", "pull", "--force", "nemotron-mini-4b") == 0
    assert store_for(cfg).status(NEMO).status == "verified"
    assert path.read_bytes() == body


def test_remove_deletes_files_and_record(
    hub: FakeHub, models_env: ModelsEnv, capsys: pytest.CaptureFixture[str]
) -> None:
    hub.add_hf(NEMO_REPO, NEMO.file, gguf_body())
    cfg = models_env()
    assert run_cli(cfg, "models", "pull", "nemotron-mini-4b") == 0
    assert run_cli(cfg, "models", "remove", "nemotron-mini-4b") == 0
    store = store_for(cfg)
    assert not (store.root / NEMO.id).exists() and store.record_of(NEMO) is None
    assert run_cli(cfg, "models", "remove", "nemotron-mini-4b") == 0
    assert "was not installed" in capsys.readouterr().out


def test_list_json_shows_every_family_with_size_and_license(
    models_env: ModelsEnv, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = models_env()
    assert run_cli(cfg, "models", "list", "--json") == 0
    data = json.loads(capsys.readouterr().out)
    families = {m["family"] for m in data["models"]}
    assert {"detector", "llm", "embedder"} <= families
    for m in data["models"]:
        assert m["expected_size_bytes"] > 0 and m["license"] and m["status"] == "missing"
    assert set(data["profiles"]) == {"cpu-small", "cpu", "gpu-8gb", "gpu-24gb"}


def test_pull_if_online_skips_quietly_when_offline(
    tmp_path: Path, models_env: ModelsEnv, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import socket

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}"
    cfg = models_env(models_mirror=dead)
    assert run_cli(cfg, "models", "pull", "--profile", "cpu", "--if-online") == 0
    assert "offline: not pulling yolo26n, nemotron-mini-4b, clip-vit-b-32" in capsys.readouterr().out
    # Without --if-online the same pull fails with a reason.
    assert run_cli(cfg, "models", "pull", "nemotron-mini-4b") == 1
    assert "cannot reach" in capsys.readouterr().err

    monkeypatch.setenv("HSI_OFFLINE", "1")
    assert run_cli(cfg, "models", "pull", "--profile", "auto", "--if-online") == 0
    assert "offline (HSI_OFFLINE is set)" in capsys.readouterr().out


def test_unknown_model_and_profile_are_one_line_errors(
    models_env: ModelsEnv, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = models_env()
    assert run_cli(cfg, "models", "pull", "yolo99") == 2
    assert "unknown model 'yolo99'" in capsys.readouterr().err
    assert run_cli(cfg, "models", "pull", "--profile", "huge") == 2
    assert "unknown profile 'huge'" in capsys.readouterr().err
