"""`hsi status` against a real `hsi serve` (a child process on the real PostgreSQL and Redis)."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from pathlib import Path

import aiohttp

from inference_server.contract.status import SystemStatus
from tests.server.pipeline.helpers import drop, person_jpeg
from tests.server.test_serve import ROOT, free_port, hsi, server_env, wait_http

__all__ = ["server_env"]  # the fixture, shared with test_serve


async def _wait_for_event(base: str, key: str, timeout: float = 90) -> dict[str, object]:
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession(headers={"X-API-Key": key}) as session:
        while time.monotonic() < deadline:
            async with session.get(f"{base}/api/events") as resp:
                events = (await resp.json())["events"]
            if events:
                return dict(events[0])
            await asyncio.sleep(0.3)
    raise AssertionError("the server made no event of the uploads")


async def test_status_summarises_a_running_server_and_refuses_clearly(
    server_env: dict[str, str], tmp_path: Path
) -> None:
    created = hsi(server_env, "apikey", "create", "status", "--scope", "read")
    assert created.returncode == 0, created.stderr
    key = created.stdout.strip().splitlines()[-1].rsplit(" ", 1)[-1]
    log = (tmp_path / "serve.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "inference_server", "serve"],
        cwd=ROOT,
        env=server_env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{server_env['HSI_API_PORT']}"
    try:
        await wait_http(f"{base}/api/system/health")
        watch = Path(server_env["HSI_DATA_DIR"]) / "uploads"
        for i in range(2):
            drop(watch, "front_door", f"snap{i}.jpg", person_jpeg(6100 + i), mtime=time.time() - 5 + i)
        event = await _wait_for_event(base, key)

        env = {**server_env, "HSI_API_KEY": key}
        shown = await asyncio.to_thread(hsi, env, "status")
        assert shown.returncode == 0, shown.stdout + shown.stderr
        out = shown.stdout
        assert out.splitlines()[0].startswith("hsi ") and f"at {base}: " in out.splitlines()[0]
        assert "database ok" in out and "redis ok" in out and "detector ok" in out
        assert "Queues     detect " in out and "assess " in out
        assert "running" in out.splitlines()[2]
        [camera_line] = [line for line in out.splitlines() if line.startswith("  front_door")]
        assert f" {event['risk_score']} {event['risk_level']}" in camera_line and "NEW" in camera_line
        # No GGUF model here: the heuristic scorer is a fallback, named with its fix.
        assert "Fallbacks" in out and "llm runs heuristic: no GGUF model" in out, out
        assert "fix: hsi models pull" in out and "llm heuristic (FALLBACK)" in out, out
        assert len(out.splitlines()) <= 40, "one screen"

        as_json = await asyncio.to_thread(hsi, env, "status", "--json")
        status = SystemStatus.model_validate(json.loads(as_json.stdout))
        assert [c.last_event.id for c in status.cameras if c.last_event] == [event["id"]]
        assert status.checks["database"] and any(s.name.startswith("detect") for s in status.stages)

        # Keys are required here: without one the answer is one clear line and exit status 2.
        refused = await asyncio.to_thread(hsi, server_env, "status")
        assert refused.returncode == 2 and refused.stdout == ""
        assert refused.stderr.count("\n") == 1 and "--api-key" in refused.stderr, refused.stderr
    finally:
        proc.terminate()
        proc.wait(30)
        log.close()


def test_status_of_an_unreachable_server_is_one_line_and_exit_status_3(server_env: dict[str, str]) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    result = hsi(server_env, "status", "--url", url)
    assert result.returncode == 3
    assert result.stdout == ""
    assert result.stderr.startswith(f"hsi: cannot reach the server at {url}: ")
    assert result.stderr.count("\n") == 1 and "hsi serve" in result.stderr
