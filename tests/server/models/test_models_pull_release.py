"""YOLO26 release assets resume across runs: our downloader keeps a partial file keyed by the
release host's ETag and asks for the rest with a Range request (ultralytics' own downloader threw
its partial file away). Against the local stand-in, redirected to its CDN path as GitHub does."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from inference_server.ml.models import http_download
from inference_server.ml.models.manifest import builtin_manifest
from tests.server.models.conftest import ModelsEnv
from tests.server.models.test_models_pull import REPO_ROOT, run_cli, store_for
from tests.support.fake_hub import FakeHub

YOLO = builtin_manifest().get("yolo26n")
RELEASE = ("ultralytics/assets", "v8.4.0", "yolo26n.pt")


def pt_body(size: int, seed: int = 7) -> bytes:
    block = hashlib.sha256(str(seed).encode()).digest() * 4096
    return (b"PK\x03\x04" + block * (size // len(block) + 1))[:size]


def manifest_for(body: bytes) -> dict[str, dict[str, object]]:
    return {"yolo26n": {"sha256": hashlib.sha256(body).hexdigest(), "size_bytes": len(body)}}


def test_a_yolo_pull_killed_mid_file_is_resumed_by_the_next_process_with_a_range_request(
    hub: FakeHub, models_env: ModelsEnv, capsys: pytest.CaptureFixture[str]
) -> None:
    body = pt_body(6_000_000)
    hosted = hub.add_release(*RELEASE, body, bytes_per_second=1_500_000, redirect=True)  # ~4 s
    cfg = models_env(manifest_for(body))
    partial_dir = store_for(cfg).root / ".partial" / "yolo26n"
    cmd = [sys.executable, "-m", "inference_server", "--config", str(cfg), "models", "pull", "yolo26n"]
    proc = subprocess.Popen(
        cmd, env={**os.environ, "PYTHONPATH": str(REPO_ROOT)}, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    kept = 0
    deadline = time.monotonic() + 60  # a give-up bound for a stuck process
    while proc.poll() is None and time.monotonic() < deadline:
        parts = list(partial_dir.glob("*.part")) if partial_dir.is_dir() else []
        kept = parts[0].stat().st_size if parts else 0
        if kept >= 1_000_000:
            break
        time.sleep(0.02)
    proc.kill()  # SIGKILL: no clean-up code runs
    out, err = proc.communicate(timeout=30)
    if kept < 1_000_000:
        pytest.fail(f"the first process never wrote 1 MB: {out!r} {err!r}")
    (part,) = partial_dir.glob("*.part")
    assert part.name == f"yolo26n.pt.{hosted.etag.strip(chr(34))}.part"  # keyed by the ETag
    kept = part.stat().st_size
    assert 0 < kept < len(body) and not store_for(cfg).path(YOLO).exists()

    hosted.bytes_per_second = None
    hub.requests.clear()
    started = time.perf_counter()
    assert run_cli(cfg, "models", "pull", "yolo26n") == 0  # a new run, in another process
    elapsed = time.perf_counter() - started
    assert (
        f"resuming {hub.url}/ultralytics/assets/releases/download/v8.4.0/yolo26n.pt"
        in capsys.readouterr().out
    )
    last = hub.gets("/cdn/ultralytics/assets/v8.4.0/yolo26n.pt")[-1]  # followed GitHub's redirect
    assert last.range == f"bytes={kept}-" and last.status == 206 and last.sent == len(body) - kept
    store = store_for(cfg)
    assert store.path(YOLO).read_bytes() == body and store.status(YOLO).status == "verified"
    assert not partial_dir.exists()
    print(f"yolo26n: resumed at {kept} of {len(body)} bytes in a new process: {elapsed:.2f} s")


def test_a_cut_connection_is_resumed_within_the_same_pull(hub: FakeHub, models_env: ModelsEnv) -> None:
    body = pt_body(3_000_000)
    hub.add_release(*RELEASE, body, drop_after=1_200_000, drops_left=1)
    cfg = models_env(manifest_for(body))

    assert run_cli(cfg, "models", "pull", "yolo26n") == 0
    gets = hub.gets("yolo26n.pt")
    assert [g.range for g in gets] == [None, "bytes=1200000-"]
    assert gets[0].sent == 1_200_000 and gets[1].status == 206
    assert store_for(cfg).path(YOLO).read_bytes() == body


def test_a_partial_file_of_another_release_version_is_not_resumed(
    hub: FakeHub, models_env: ModelsEnv
) -> None:
    body = pt_body(1_000_000, seed=9)
    hub.add_release(*RELEASE, body)
    cfg = models_env(manifest_for(body))
    stale = store_for(cfg).partial_path(YOLO, '"an-old-etag"')
    stale.write_bytes(b"PK\x03\x04" + b"x" * 5000)

    assert run_cli(cfg, "models", "pull", "yolo26n") == 0
    assert hub.gets("yolo26n.pt")[-1].range is None  # from the first byte
    assert store_for(cfg).path(YOLO).read_bytes() == body and not stale.exists()


def test_a_server_that_answers_a_range_with_the_whole_file_restarts_it(hub: FakeHub, tmp_path: Path) -> None:
    body = pt_body(500_000, seed=3)
    hub.add_release(*RELEASE, body)
    url = f"{hub.url}/ultralytics/assets/releases/download/v8.4.0/yolo26n.pt"
    remote = http_download.head(url)
    assert remote.size == len(body) and remote.ranges and remote.etag
    # bytes kept under this name, but the file changed upstream since: If-Range no longer matches
    stale = http_download.RemoteFile(remote.url, remote.size, '"changed"', None, True)
    partial = tmp_path / "yolo26n.pt.part"
    partial.write_bytes(b"z" * 1000)
    seen: list[int] = []

    http_download.fetch(stale, partial, on_bytes=seen.append)

    assert hub.gets("yolo26n.pt")[-1].range == "bytes=1000-" and hub.gets("yolo26n.pt")[-1].status == 200
    assert partial.read_bytes() == body and seen[-1] == len(body)


def test_an_unreachable_release_host_is_one_line_naming_what_is_kept(
    hub: FakeHub, models_env: ModelsEnv, capsys: pytest.CaptureFixture[str]
) -> None:
    body = pt_body(2_000_000)
    hub.add_release(*RELEASE, body, drop_after=700_000, drops_left=3)  # every attempt is cut
    cfg = models_env(manifest_for(body))

    assert run_cli(cfg, "models", "pull", "yolo26n") == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("hsi: download of yolo26n failed:")
    assert "kept, the next pull resumes there" in err[0]
    hub.files[f"gh:{'/'.join(RELEASE[:2])}/{RELEASE[2]}"].drops_left = 0
    assert run_cli(cfg, "models", "pull", "yolo26n") == 0
    assert hub.gets("yolo26n.pt")[-1].range == "bytes=700000-"
    assert store_for(cfg).path(YOLO).read_bytes() == body
