"""An offline host with no models: `hsi serve` starts on its fallbacks, says so once per stage with
the fixing command, and serves them in GET /api/system/info (the integration's repair issues)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import aiohttp

from tests.server.test_serve import ROOT, free_port, wait_http


async def test_offline_start_without_models_runs_fallbacks_and_announces_them(
    tmp_path: Path, database_url: str, redis_prefix: str
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HSI_") or k.startswith("HSI_TEST_")}
    env.update(
        {
            "PYTHONPATH": str(ROOT),
            "HSI_OFFLINE": "1",
            "HSI_DATABASE_URL": database_url,
            "HSI_REDIS_URL": "redis://localhost:6379/0",
            "HSI_REDIS_PREFIX": redis_prefix,
            "HSI_DATA_DIR": str(tmp_path / "data"),
            "HSI_API_PORT": str(free_port()),
        }
    )
    # What the add-on runs first: offline, it must not fail the start.
    pull = subprocess.run(
        [sys.executable, "-m", "inference_server", "models", "pull", "--profile", "auto", "--if-online"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert pull.returncode == 0, pull.stderr
    assert "offline (HSI_OFFLINE is set)" in pull.stdout

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
    try:
        await wait_http(f"{base}/api/system/health")
        async with aiohttp.ClientSession() as session:
            async with session.get(f"{base}/api/system/ready") as resp:
                assert resp.status == 200, "fallbacks are ready to serve"
            async with session.get(f"{base}/api/system/info") as resp:
                info = await resp.json()
        assert proc.poll() is None, "the server keeps running"
    finally:
        proc.terminate()
        proc.wait(timeout=30)

    by_stage = {f["stage"]: f for f in info["fallbacks"]}
    assert set(by_stage) == {"detector", "llm", "embedder"}
    assert by_stage["detector"]["backend"] == "opencv"
    assert by_stage["detector"]["fix"].startswith("hsi models pull yolo26")
    assert by_stage["llm"]["backend"] == "heuristic"
    assert by_stage["embedder"]["backend"] == "none"
    assert info["doctor"]["stages"]["detector"]["fallback"] is True
    assert info["doctor"]["recommendation"]["command"].startswith("hsi models pull --profile ")

    text = log_path.read_text()
    for stage in ("detector", "llm", "embedder"):
        lines = [ln for ln in text.splitlines() if f"model_fallback stage={stage} " in ln]
        assert len(lines) == 1, (stage, lines)
        assert "fix='hsi models pull " in lines[0]
    assert "weights_missing" not in text, "one announcement per fallback, not two"
