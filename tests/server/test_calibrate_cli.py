"""`hsi calibrate` scores the scenario suite with any backend and reports agreement."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from inference_server.domain.calibration import default_scenario_dir
from tests.support.tiny_gguf import write_tiny_llama_gguf

ROOT = Path(__file__).resolve().parents[2]


def calibrate(*args: str, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "inference_server", "calibrate", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def test_heuristic_agrees_with_the_suite() -> None:
    out = calibrate("--backend", "heuristic")
    found = re.search(r"agreement (\d+)/(\d+)", out)
    assert found is not None, out
    agreed, total = map(int, found.groups())
    print(out)
    assert total >= 40 and agreed / total >= 0.9


def test_llama_cpp_backend_runs_the_suite_with_valid_answers(tmp_path: Path) -> None:
    scenarios = tmp_path / "scenarios"
    scenarios.mkdir()
    for path in sorted(default_scenario_dir().glob("*.json"))[::8]:  # every 8th: a small, mixed sample
        shutil.copy(path, scenarios)
    model = write_tiny_llama_gguf(tmp_path / "tiny.gguf")
    env = dict(os.environ, HSI_LLM_MODEL_PATH=str(model))
    out = calibrate("--backend", "llama_cpp", "--scenarios", str(scenarios), env=env)
    print(out)
    count = len(list(scenarios.glob("*.json")))
    assert f"backend: llama_cpp   scenarios: {count}   valid model answers: {count}" in out
    assert re.search(r"agreement \d+/\d+", out)


def test_calibrate_reports_agreement_before_and_after_feedback() -> None:
    out = calibrate("--backend", "heuristic", "--feedback", "--feedback-repeats", "2")
    print(out)
    summary = re.search(
        r"feedback: (\d+) simulated answers; agreement (\d+)/(\d+) = .* before, (\d+)/(\d+)", out
    )
    assert summary is not None
    answers, before, total, after, total_after = map(int, summary.groups())
    assert total == total_after >= 40 and answers > 0 and 0 <= after <= total
    assert "before feedback:" in out and "after feedback:" in out
    assert f"agreement {before}/{total}" in out and f"agreement {after}/{total}" in out
