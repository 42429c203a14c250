"""`hsi serve` as users run it: a real process, real services, HTTP and WebSocket clients."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import pytest

from tests.server.pipeline.helpers import drop, person_jpeg

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server_env(tmp_path: Path, database_url: str, redis_prefix: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "HSI_DATABASE_URL": database_url,
            "HSI_REDIS_URL": "redis://localhost:6379/0",
            "HSI_REDIS_PREFIX": redis_prefix,
            "HSI_DATA_DIR": str(tmp_path / "data"),
            "HSI_DETECTOR": "opencv",
            "HSI_API_PORT": str(free_port()),
            "HSI_API_KEYS_REQUIRED": "true",
            "HSI_BATCH_IDLE_SECONDS": "1.5",
            "HSI_INGEST_STABLE_SECONDS": "0.2",
            "HSI_URGENT_RULES": "[]",
            "HSI_MQTT_URL": "mqtt://127.0.0.1:1883",
            "HSI_MQTT_TOPIC_PREFIX": f"hsitest-{redis_prefix.rsplit(':', 1)[-1]}",
        }
    )
    return env


def hsi(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "inference_server", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


async def wait_http(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            try:
                async with session.get(url) as resp:
                    if resp.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.3)
    raise AssertionError(f"{url} did not come up")


async def test_serve_turns_an_upload_into_an_event_seen_over_http_and_websocket(
    server_env: dict[str, str], tmp_path: Path
) -> None:
    created = hsi(server_env, "apikey", "create", "tests", "--scope", "admin")
    assert created.returncode == 0, created.stderr
    key = created.stdout.strip().splitlines()[-1].rsplit(" ", 1)[-1]
    listed = hsi(server_env, "apikey", "list")
    assert "tests" in listed.stdout and key not in listed.stdout, "keys are shown once, stored hashed"

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
        headers = {"X-API-Key": key}
        async with aiohttp.ClientSession() as session:
            async with session.get(f"{base}/api/events") as resp:
                assert resp.status == 401, "keys are required"
            async with session.get(f"{base}/api/system/ready") as resp:
                assert resp.status == 200
            ws = await session.ws_connect(f"{base}/api/ws", headers=headers)
            watch = Path(server_env["HSI_DATA_DIR"]) / "uploads"
            for i in range(2):
                drop(watch, "front_door", f"snap{i}.jpg", person_jpeg(4000 + i), mtime=time.time() - 5 + i)
            message = await asyncio.wait_for(ws.receive_json(), 90)
            assert message["type"] == "event.created"
            event = message["data"]
            assert event["camera"] == "front_door" and 0 <= event["risk_score"] <= 100
            async with session.get(f"{base}/api/events", headers=headers) as resp:
                body = await resp.json()
            assert [e["id"] for e in body["events"]] == [event["id"]]
            async with session.get(f"{base}{event['media'][0]}", headers=headers) as resp:
                assert resp.status == 200 and resp.headers["Content-Type"] == "image/jpeg"
            async with session.get(f"{base}/api/events/{event['id']}/snapshot", headers=headers) as resp:
                assert resp.status == 200 and (await resp.read())[:3] == b"\xff\xd8\xff"
            async with session.get(
                f"{base}/api/events/{event['id']}/clip?format=mp4", headers=headers
            ) as resp:
                assert resp.status == 200 and resp.headers["Content-Type"] == "video/mp4"
                clip = tmp_path / "clip.mp4"
                clip.write_bytes(await resp.read())
            probe = subprocess.run(
                [
                    "ffprobe",
                    "-v",
                    "error",
                    "-select_streams",
                    "v:0",
                    "-show_entries",
                    "stream=codec_name",
                    "-of",
                    "csv=p=0",
                    str(clip),
                ],
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert probe.stdout.strip() == "h264", probe.stderr
            async with session.get(
                f"{base}/api/events/{event['id']}/clip?format=gif&pre_roll=999", headers=headers
            ) as resp:
                assert resp.status == 400, "pre/post roll are limited to 0-300 s"
            async with session.get(f"{base}/metrics", headers=headers) as resp:
                metrics = await resp.text()
            assert 'hsi_ingest_files_total{outcome="accepted"} 2.0' in metrics
            await ws.close()
    finally:
        proc.terminate()
        proc.wait(30)
        log.close()
    assert proc.returncode == 0, (tmp_path / "serve.log").read_text()[-3000:]
    assert "hsi stopped" in (tmp_path / "serve.log").read_text()
