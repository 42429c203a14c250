"""The real inference server (`hsi serve` from .venv on the machine's PostgreSQL and Redis)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from .real_ha import ROOT, free_port

SERVER_PYTHON = ROOT / ".venv" / "bin" / "python"


@dataclass
class RealServer:
    """Where the server listens, its admin key and its upload folder."""

    url: str
    key: str
    info: dict[str, Any]
    watch: Path
    database_url: str = ""

    async def get(self, path: str) -> Any:
        """GET an /api route with the key; the JSON answer."""
        async with aiohttp.ClientSession() as session:
            async with session.get(f"{self.url}{path}", headers={"X-API-Key": self.key}) as response:
                assert response.status == 200, await response.text()
                return await response.json()

    async def send(self, method: str, path: str, body: Any) -> Any:
        """A write to an /api route with the (admin) key; the JSON answer."""
        async with aiohttp.ClientSession() as session:
            async with session.request(
                method, f"{self.url}{path}", json=body, headers={"X-API-Key": self.key}
            ) as response:
                assert response.status < 300, await response.text()
                return await response.json()

    async def events(self) -> list[dict[str, Any]]:
        """Every event, newest first."""
        return list((await self.get("/api/events?limit=200"))["events"])


def person_jpeg(variant: int) -> bytes:
    """A JPEG with people in it, made by the server's environment (it has OpenCV)."""
    code = (
        "import sys; from tests.server.pipeline.helpers import person_jpeg; "
        f"sys.stdout.buffer.write(person_jpeg({variant}))"
    )
    return subprocess.run(
        [SERVER_PYTHON, "-c", code], cwd=ROOT, capture_output=True, check=True, timeout=120
    ).stdout


def same_person(server: RealServer, events: list[dict[str, Any]]) -> None:
    """Record one re-ID entity seen in each of these events, through the server's own re-ID store
    (the embeddings a real embedder would give one person: identical vectors)."""
    # Oldest first: a crop is matched against sightings seen before it.
    sightings = sorted(((e["id"], e["camera"], e["started_at"]) for e in events), key=lambda s: s[2])
    code = f"""
import asyncio
from datetime import datetime
from inference_server.store.db import create_pool
from inference_server.store.understanding import ReidStore

async def main():
    pool = await create_pool({server.database_url!r})
    store = ReidStore(pool, 4, vector_search=False, threshold=0.9)
    for event_id, camera, seen_at in {sightings!r}:
        await store.match_or_create([1.0, 0.0, 0.0, 0.0], label="person", camera=camera,
                                    seen_at=datetime.fromisoformat(seen_at), event_id=event_id)
    await pool.close()

asyncio.run(main())
"""
    subprocess.run([SERVER_PYTHON, "-c", code], cwd=ROOT, capture_output=True, check=True, timeout=120)


def upload(watch: Path, camera: str, name: str, data: bytes) -> None:
    """Drop a file into a camera's folder the way an FTP upload finishes (rename when complete)."""
    folder = watch / camera
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".{name}.part"
    tmp.write_bytes(data)
    tmp.replace(folder / name)


@asynccontextmanager
async def real_server(tmp_path: Path, **settings: str) -> AsyncIterator[RealServer]:
    """Run `hsi serve` on a database of its own until the block ends."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    run = uuid.uuid4().hex[:10]
    database = f"hsi_card_{run}"
    env = dict(os.environ)
    env.update(
        {
            "HSI_DATABASE_URL": f"postgresql://postgres@127.0.0.1:5432/{database}",
            "HSI_REDIS_URL": "redis://127.0.0.1:6379/0",
            "HSI_REDIS_PREFIX": f"hsi-card-{run}",
            "HSI_DATA_DIR": str(tmp_path / "data"),
            "HSI_DETECTOR": "opencv",
            "HSI_API_PORT": str(free_port()),
            "HSI_API_KEYS_REQUIRED": "true",
            "HSI_BATCH_IDLE_SECONDS": "1.5",
            "HSI_INGEST_STABLE_SECONDS": "0.2",
            "HSI_URGENT_RULES": "[]",
            "YOLO_OFFLINE": "1",
            **settings,
        }
    )
    hsi = [str(SERVER_PYTHON), "-m", "inference_server"]
    created = subprocess.run(
        [*hsi, "apikey", "create", "home-assistant", "--scope", "admin"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    key = created.stdout.strip().splitlines()[-1].rsplit(" ", 1)[-1]
    log_path = tmp_path / "serve.log"
    log = log_path.open("wb")
    proc = subprocess.Popen([*hsi, "serve"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{env['HSI_API_PORT']}"
    try:
        async with aiohttp.ClientSession() as session:
            deadline = time.monotonic() + 120
            while True:
                try:
                    async with session.get(f"{url}/api/system/info", headers={"X-API-Key": key}) as resp:
                        if resp.status == 200:
                            info = await resp.json()
                            break
                except aiohttp.ClientError:
                    pass
                assert proc.poll() is None, log_path.read_text()[-3000:]
                assert time.monotonic() < deadline, log_path.read_text()[-3000:]
                await asyncio.sleep(0.3)
        yield RealServer(
            url=url,
            key=key,
            info=info,
            watch=tmp_path / "data" / "uploads",
            database_url=env["HSI_DATABASE_URL"],
        )
    finally:
        proc.terminate()
        await asyncio.to_thread(proc.wait, 30)
        log.close()
        subprocess.run(
            [
                "psql",
                "-U",
                "postgres",
                "-h",
                "127.0.0.1",
                "-c",
                f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)',
            ],
            capture_output=True,
            timeout=60,
        )
