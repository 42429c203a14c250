"""End to end: the integration talks to the real inference server process (`hsi serve` on the
machine's PostgreSQL and Redis); a camera upload there becomes a Home Assistant state change."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import time
import uuid
from collections.abc import AsyncGenerator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from homeassistant.const import CONF_API_KEY, CONF_URL
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events

from custom_components.home_security_intelligence.const import BUS_EVENT, DOMAIN

from .ha_state import state_of

ROOT = Path(__file__).resolve().parents[2]
SERVER_PYTHON = ROOT / ".venv" / "bin" / "python"

pytestmark = pytest.mark.skipif(
    not SERVER_PYTHON.exists(), reason="the inference server environment (.venv) is not installed"
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _person_jpeg(variant: int) -> bytes:
    """A JPEG with people in it, made by the server's environment (it has OpenCV)."""
    code = (
        "import sys; from tests.server.pipeline.helpers import person_jpeg; "
        f"sys.stdout.buffer.write(person_jpeg({variant}))"
    )
    return subprocess.run(
        [SERVER_PYTHON, "-c", code], cwd=ROOT, capture_output=True, check=True, timeout=120
    ).stdout


def _upload(watch: Path, camera: str, name: str, data: bytes) -> None:
    folder = watch / camera
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".{name}.part"
    tmp.write_bytes(data)
    tmp.replace(folder / name)


@pytest.fixture
async def real_server(socket_enabled: None, tmp_path: Path) -> AsyncGenerator[dict[str, Any]]:
    run = uuid.uuid4().hex[:10]
    database = f"hsi_e2e_{run}"
    env = dict(os.environ)
    env.update(
        {
            "HSI_DATABASE_URL": f"postgresql://postgres@127.0.0.1:5432/{database}",
            "HSI_REDIS_URL": "redis://127.0.0.1:6379/0",
            "HSI_REDIS_PREFIX": f"hsi-e2e-{run}",
            "HSI_DATA_DIR": str(tmp_path / "data"),
            "HSI_DETECTOR": "opencv",
            "HSI_API_PORT": str(_free_port()),
            "HSI_API_KEYS_REQUIRED": "true",
            "HSI_BATCH_IDLE_SECONDS": "1.5",
            "HSI_INGEST_STABLE_SECONDS": "0.2",
            "HSI_URGENT_RULES": "[]",
            "YOLO_OFFLINE": "1",
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
    log = (tmp_path / "serve.log").open("wb")
    proc = subprocess.Popen([*hsi, "serve"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{env['HSI_API_PORT']}"
    try:
        async with aiohttp.ClientSession() as session:
            deadline = time.monotonic() + 90
            while True:
                try:
                    async with session.get(f"{url}/api/system/info", headers={"X-API-Key": key}) as resp:
                        if resp.status == 200:
                            info = await resp.json()
                            break
                except aiohttp.ClientError:
                    pass
                assert time.monotonic() < deadline, (tmp_path / "serve.log").read_text()[-2000:]
                await asyncio.sleep(0.3)
        yield {"url": url, "key": key, "info": info, "watch": tmp_path / "data" / "uploads"}
    finally:
        proc.terminate()
        proc.wait(30)
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


async def _events(server: dict[str, Any]) -> list[dict[str, Any]]:
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{server['url']}/api/events", headers={"X-API-Key": server["key"]}) as resp:
            return list((await resp.json())["events"])


async def _wait(condition: Any, hass: HomeAssistant, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while not await condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.25)
        await hass.async_block_till_done()


async def test_upload_on_the_real_server_changes_home_assistant_state(
    hass: HomeAssistant, real_server: dict[str, Any]
) -> None:
    # The camera exists on the server before Home Assistant connects (its first upload).
    await asyncio.to_thread(_upload, real_server["watch"], "front_door", "first.jpg", _person_jpeg(9001))

    async def first_event() -> bool:
        return len(await _events(real_server)) == 1

    await _wait(first_event, hass)

    entry = MockConfigEntry(
        domain=DOMAIN,
        title="HSI",
        unique_id=real_server["info"]["instance_id"],
        data={CONF_URL: real_server["url"], CONF_API_KEY: real_server["key"]},
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    first_id = (await _events(real_server))[0]["id"]

    async def entity_shows_first() -> bool:
        state = hass.states.get("sensor.front_door_last_event")
        return state is not None and state.state not in ("unknown", "unavailable")

    await _wait(entity_shows_first, hass, timeout=30)
    bus_events = async_capture_events(hass, BUS_EVENT)
    await asyncio.sleep(2.0)  # the first window has closed: the next upload is a new event

    await asyncio.to_thread(_upload, real_server["watch"], "front_door", "second.jpg", _person_jpeg(9002))

    async def pushed() -> bool:
        state = hass.states.get("event.front_door_security_event")
        return state is not None and state.attributes.get("event_id") not in (None, first_id)

    await _wait(pushed, hass)
    state = state_of(hass, "event.front_door_security_event")
    [second] = [e for e in await _events(real_server) if e["id"] != first_id]
    assert state.attributes["event_id"] == second["id"]
    assert state.attributes["event_type"] == "person"
    assert state.attributes["score"] == second["risk_score"]
    assert state_of(hass, "sensor.front_door_risk_score").state == str(second["risk_score"])
    assert any(e.data.get("id") == second["id"] for e in bus_events)
    await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()


async def test_history_services_against_the_real_server(
    hass: HomeAssistant, real_server: dict[str, Any]
) -> None:
    """give_feedback, ask, tripwires and known entities as the real server answers them."""
    await asyncio.to_thread(_upload, real_server["watch"], "front_door", "first.jpg", _person_jpeg(9003))

    async def one_event() -> bool:
        return len(await _events(real_server)) == 1

    await _wait(one_event, hass)
    [event] = await _events(real_server)
    assert event["feedback"] is None and isinstance(event["behaviours"], list)
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="HSI",
        unique_id=real_server["info"]["instance_id"],
        data={CONF_URL: real_server["url"], CONF_API_KEY: real_server["key"]},
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    async def call(service: str, data: dict[str, Any], response: bool = True) -> Any:
        return await hass.services.async_call(DOMAIN, service, data, blocking=True, return_response=response)

    answered = await call("give_feedback", {"event_id": event["id"], "feedback": "expected"})
    assert answered["event"]["feedback"] == "expected" and answered["event"]["reviewed"] is True
    [stored] = await _events(real_server)
    assert stored["feedback"] == "expected"
    assert state_of(hass, "sensor.front_door_last_event").attributes["feedback"] == "expected"
    assert await call("reset_feedback", {"camera": "front_door"}) == {"cleared": 1}

    result = await call("ask", {"question": "Was there a person at the front door today?"})
    assert result["event_ids"] == [event["id"]]
    assert f"[{event['id']}]" in result["answer"]
    assert result["understood"]["cameras"] == ["front_door"]

    created = await call(
        "set_tripwire", {"camera": "front_door", "name": "Path", "a": [0.1, 0.8], "b": [0.9, 0.8]}
    )
    tripwire_id = str(created["tripwire"]["id"])
    updated = await call("set_tripwire", {"tripwire_id": tripwire_id, "enabled": False})
    assert updated["tripwire"] | {"name": "Path", "enabled": False} == updated["tripwire"]
    await call("delete_tripwire", {"tripwire_id": tripwire_id}, response=False)
    with pytest.raises(ServiceValidationError) as err:
        await call("delete_tripwire", {"tripwire_id": tripwire_id}, response=False)
    assert err.value.translation_key == "not_found"
    with pytest.raises(ServiceValidationError) as err:
        await call("set_tripwire", {"camera": "front_door", "name": "Dot", "a": [0.5, 0.5], "b": [0.5, 0.5]})
    assert err.value.translation_key == "invalid_request"

    listed = await call("list_known_entities", {"known": True})
    assert listed == {"entities": []}
    with pytest.raises(ServiceValidationError) as err:
        await call("name_entity", {"reid_entity": str(uuid.uuid4()), "name": "Dad"})
    assert err.value.translation_key == "not_found"
    await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
