"""Settings precedence and the `hsi` command line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from inference_server.settings import ConfigError, load_settings

ROOT = Path(__file__).resolve().parents[2]


def test_environment_overrides_file_overrides_defaults(tmp_path: Path) -> None:
    cfg = tmp_path / "hsi.yaml"
    cfg.write_text("api_port: 9000\nbatch_idle_seconds: 12\ntimezone: Europe/Paris\n")
    settings = load_settings(cfg, environ={"HSI_API_PORT": "9100", "HSI_DETECTOR_CLASSES": "person, car"})
    assert settings.api.port == 9100
    assert settings.window.idle_seconds == 12
    assert settings.timezone == "Europe/Paris"
    assert settings.detection.classes == ["person", "car"]
    assert settings.window.max_seconds == 90 and settings.redis.url == "redis://localhost:6379/0"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("api_port: [1, 2]\n", "setting 'api_port'"),
        ("no_such_setting: 1\n", "setting 'no_such_setting': Extra inputs are not permitted"),
        ("- a list\n", "must hold a mapping"),
        ("key: [unclosed\n", "not valid YAML"),
    ],
)
def test_bad_config_files_name_the_problem(tmp_path: Path, content: str, message: str) -> None:
    cfg = tmp_path / "hsi.yaml"
    cfg.write_text(content)
    with pytest.raises(ConfigError, match=message.replace("[", r"\[")):
        load_settings(cfg, environ={})


def test_keys_required_once_exposed() -> None:
    assert not load_settings(environ={}).api.keys_required
    assert load_settings(environ={"HSI_API_HOST": "0.0.0.0"}).api.keys_required
    assert load_settings(environ={"HSI_API_KEYS_REQUIRED": "true"}).api.keys_required


def hsi(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "inference_server", *args],
        cwd=ROOT,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_every_command_has_help() -> None:
    for command in ("serve", "worker", "migrate", "demo", "bench", "apikey", "assess"):
        result = hsi(command, "--help")
        assert result.returncode == 0 and "usage: hsi" in result.stdout, command


CONTEXT = {
    "camera": "back_door",
    "camera_name": "Back Door",
    "started_at": "2026-11-26T03:02:00+00:00",
    "ended_at": "2026-11-26T03:04:00+00:00",
    "local_time": "03:02",
    "weekday": "Thursday",
    "is_night": True,
    "objects": {"person": 1},
    "max_confidence": {"person": 0.93},
    "zones": [
        {
            "name": "Back door",
            "zone_type": "entry_point",
            "priority": 3,
            "labels": ["person"],
            "dwell_seconds": 95.0,
        }
    ],
}


def test_assess_scores_a_context_file(tmp_path: Path) -> None:
    path = tmp_path / "context.json"
    path.write_text(json.dumps(CONTEXT))
    result = hsi("assess", str(path), "--backend", "heuristic")
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["assessed_by"] == "heuristic" and 0 <= out["risk_score"] <= 100
    assert out["risk_level"] in ("high", "critical"), out


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ("{broken", "is not valid JSON"),
        (json.dumps({**CONTEXT, "camra": "x"}), "unknown key(s) camra"),
        (
            json.dumps({**CONTEXT, "objects": {"person": "many"}}),
            "context.objects.person: Input should be a valid integer, got 'many'",
        ),
    ],
)
def test_assess_rejects_bad_context_clearly(payload: str, message: str) -> None:
    result = hsi("assess", "-", "--backend", "heuristic", stdin=payload)
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr
