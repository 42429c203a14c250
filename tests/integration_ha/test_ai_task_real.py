"""The server's `home_assistant` LLM backend against a real Home Assistant process.

A real Home Assistant (real_ha.py; the floor lane's 2025.4, or with HSI_HA_LANE=newest the newest
release in the Python 3.14 chroot) runs with a test-only AI Task provider
(custom_ai_task/hsi_test_ai_task: structured answers derived from the instructions, a record of
what it received). The inference server's own code runs as `hsi assess --image FILE` from .venv
with `llm_backend: home_assistant`, a long-lived access token made through HA's auth, and a vision
step whose server is down (so the whole chain vision -> AI Task -> heuristic is exercised).

Newest lane (AI Task, HA 2025.8+): the answer is the entity's (score, summary and reasoning
parsed), the key frame arrived at the entity as a JPEG attachment and was removed from HA's media
folder afterwards, and the output says `assessed_by: home_assistant`. Floor lane (2025.4, no AI
Task): the backend finds no `ai_task.generate_data` and the heuristic answers, exit status 0.
Both: with Home Assistant stopped, the heuristic answers and the fallback is logged.

    .venv-ha/bin/python -m pytest -c tests/integration_ha/pytest.ini --no-cov tests/integration_ha/test_ai_task_real.py
    HSI_HA_LANE=newest .venv-ha/bin/python -m pytest -c tests/integration_ha/pytest.ini --no-cov \
        tests/integration_ha/test_ai_task_real.py
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from .real_ha import LANE, ROOT, RealHomeAssistant, free_port, lane_config_dir, lane_problem
from .real_hsi import SERVER_PYTHON

TEST_INTEGRATION = Path(__file__).parent / "custom_ai_task" / "hsi_test_ai_task"
TEST_DOMAIN = "hsi_test_ai_task"
ENTITY = f"ai_task.{TEST_DOMAIN}"  # takes attachments
TEXT_ONLY_ENTITY = f"ai_task.{TEST_DOMAIN}_text_only"
RECORD_FILE = "hsi_test_ai_task.json"  # written by the test integration into the config dir
BANDS = ((29, "low"), (59, "medium"), (84, "high"), (100, "critical"))

pytestmark = [
    pytest.mark.skipif(
        not SERVER_PYTHON.exists(), reason="the inference server environment (.venv) is missing"
    ),
    pytest.mark.skipif(lane_problem() is not None, reason=str(lane_problem())),
]


def _bus_jpeg() -> Path:
    """A real street photo with people (it ships in the ultralytics wheel of the server's .venv)."""
    found = sorted((ROOT / ".venv" / "lib").glob("python3*/site-packages/ultralytics/assets/bus.jpg"))
    assert found, "ultralytics (with its assets) is not installed in .venv"
    return found[0]


def _version(text: str) -> tuple[int, int]:
    year, month = text.split(".")[:2]
    return int(year), int(month)


def _hsi_assess(image: Path, data_dir: Path, **env: str) -> tuple[dict[str, Any], str]:
    """`hsi assess --image` from the server's environment: its JSON answer and its log (stderr)."""
    environment = {key: value for key, value in os.environ.items() if not key.startswith("HSI_")}
    environment.update(
        {
            "HSI_DATA_DIR": str(data_dir),
            "HSI_DETECTOR": "opencv",  # OpenCV's trained HOG person detector
            "HSI_LLM_BACKEND": "home_assistant",
            "HSI_LLM_TIMEOUT_SECONDS": "60",
            # A vision server that is down: the chain goes on to the AI Task.
            "HSI_VLM_URL": f"http://127.0.0.1:{free_port()}",
            "YOLO_OFFLINE": "1",
            **env,
        }
    )
    done = subprocess.run(
        [
            str(SERVER_PYTHON),
            "-m",
            "inference_server",
            "assess",
            "--image",
            str(image),
            "--camera",
            "back_door",
        ],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, f"hsi assess failed ({done.returncode}):\n{done.stderr[-3000:]}"
    return json.loads(done.stdout[done.stdout.index("{") :]), done.stderr


async def _long_lived_token(ha: RealHomeAssistant) -> str:
    """The owner's long-lived access token, made as the profile page makes one."""
    owner = await ha.onboard_owner("owner", "owner-password-1")
    ws = await ha.websocket(owner["access_token"])
    token = await ws.call({"type": "auth/long_lived_access_token", "client_name": "HSI", "lifespan": 30})
    assert isinstance(token, str) and token
    return token


async def _add_test_ai_task(ha: RealHomeAssistant, token: str) -> None:
    """The test AI Task provider through its config flow; waits for its entity."""
    flow = await ha.rest("POST", "/api/config/config_entries/flow", token, {"handler": TEST_DOMAIN})
    assert flow["type"] == "create_entry", flow
    deadline = time.monotonic() + 60
    while ENTITY not in {state["entity_id"] for state in await ha.rest("GET", "/api/states", token)}:
        assert time.monotonic() < deadline, ha.log_tail()
        await asyncio.sleep(0.3)


def _ai_task_services(services: list[dict[str, Any]]) -> set[str]:
    return {name for domain in services if domain["domain"] == "ai_task" for name in domain["services"]}


async def test_home_assistant_ai_task_backend_on_a_real_home_assistant(
    socket_enabled: None, tmp_path: Path
) -> None:
    ha = RealHomeAssistant(lane_config_dir(tmp_path / "ha"))
    custom = ha.config_dir / "custom_components"
    custom.mkdir(parents=True)
    # Relative, so that it resolves inside the chroot (the repository at /src) too.
    (custom / TEST_DOMAIN).symlink_to(
        os.path.relpath(TEST_INTEGRATION, custom) if LANE == "newest" else TEST_INTEGRATION
    )
    media = ha.config_dir / "media"  # HA's default local media folder (HA OS has /media)
    media.mkdir()
    image = _bus_jpeg()
    data_dir = tmp_path / "hsi"
    await ha.start()
    try:
        token = await _long_lived_token(ha)
        version = (await ha.rest("GET", "/api/config", token))["version"]
        if _version(version) >= (2025, 8):
            await _add_test_ai_task(ha, token)
            offered = _ai_task_services(await ha.rest("GET", "/api/services", token))
            assert "generate_data" in offered, offered
            out, log = await asyncio.to_thread(
                _hsi_assess,
                image,
                data_dir,
                HSI_HA_URL=ha.url,
                HSI_HA_TOKEN=token,
                HSI_HA_AI_TASK_ENTITY=ENTITY,
            )
            assert out["assessed_by"] == "home_assistant", log[-3000:]
            assert out["model"] == f"ha:{ENTITY}"
            assert "assess fallback backend=vision next=home_assistant" in log
            # Whether HA offers ai_task.evaluate is detected (and logged), not guessed.
            assert f"evaluate={'evaluate' in offered}" in log
            [task] = json.loads((ha.config_dir / RECORD_FILE).read_text())
            # The event's facts went to the entity, with the structure the server asks for.
            assert '"camera":"back_door"' in task["instructions"]
            assert task["structure"] == ["reasoning", "risk_score", "summary"]
            # The key frame arrived as a real JPEG attachment, re-encoded by the server.
            [frame] = task["attachments"]
            assert frame["mime_type"] == "image/jpeg" and frame["jpeg"] is True
            # Scaled down by the server to vlm_max_pixels (default 640x640), the aspect kept.
            with Image.open(image) as original:
                original_width, original_height = original.size
            width, height = frame["pixels"]
            assert original_width * original_height > width * height, (original.size, frame)
            assert width * height <= 640 * 640, frame
            assert abs(width / height - original_width / original_height) < 0.01, frame
            assert frame["media_content_id"].startswith("media-source://media_source/local/hsi-ai-task-")
            assert "1 key frame(s) of this event are attached" in task["instructions"]
            # ... and was removed from HA's media folder after the call.
            assert list(media.iterdir()) == []
            # The entity's answer (a score that depends on the instructions) is what came out.
            expected = int(hashlib.sha256(task["instructions"].encode()).hexdigest(), 16) % 101
            assert task["answer"]["risk_score"] == float(expected)
            assert out["risk_score"] == expected
            assert (
                out["summary"]
                == task["answer"]["summary"]
                == f"Test AI Task saw 1 picture(s) and scored {expected}"
            )
            assert out["reasoning"] == task["answer"]["reasoning"]
            assert task["entity_id"] == ENTITY
            # The level comes from the score by the fixed bands (contract/risk.py).
            assert out["risk_level"] == next(level for top, level in BANDS if expected <= top)
            # An AI Task entity that takes no attachments: HA refuses the task (HTTP 500), the
            # server asks again text-only, and that answer counts.
            out, log = await asyncio.to_thread(
                _hsi_assess,
                image,
                data_dir,
                HSI_HA_URL=ha.url,
                HSI_HA_TOKEN=token,
                HSI_HA_AI_TASK_ENTITY=TEXT_ONLY_ENTITY,
            )
            assert out["assessed_by"] == "home_assistant", log[-3000:]
            assert "does not support attachments" in log and "the text-only task worked" in log
            [_, text_only] = json.loads((ha.config_dir / RECORD_FILE).read_text())
            assert text_only["entity_id"] == TEXT_ONLY_ENTITY and text_only["attachments"] == []
            assert "key frame(s) of this event are attached" not in text_only["instructions"]
            assert out["summary"] == text_only["answer"]["summary"]
            assert list(media.iterdir()) == []  # the refused upload was removed too
        else:
            # No AI Task in this Home Assistant: the backend sees that and the heuristic answers.
            assert "ai_task" not in {
                domain["domain"] for domain in await ha.rest("GET", "/api/services", token)
            }
            out, log = await asyncio.to_thread(
                _hsi_assess, image, data_dir, HSI_HA_URL=ha.url, HSI_HA_TOKEN=token
            )
            assert out["assessed_by"] == "heuristic", log[-3000:]
            assert "assess fallback backend=home_assistant" in log
            assert "has no ai_task.generate_data action" in log
            assert list(media.iterdir()) == []  # nothing was uploaded
        ha_url = ha.url
    finally:
        await ha.stop()
    # Home Assistant is down: the chain ends at the heuristic, and says why.
    out, log = await asyncio.to_thread(_hsi_assess, image, data_dir, HSI_HA_URL=ha_url, HSI_HA_TOKEN=token)
    assert out["assessed_by"] == "heuristic", log[-3000:]
    assert out["objects"].get("person", 0) >= 1
    assert "assess fallback backend=vision next=home_assistant" in log
    assert f"assess fallback backend=home_assistant reason=cannot reach Home Assistant at {ha_url}" in log
