"""`scripts/gpu-bench`, the prepared GPU benchmark, checked where there is no GPU: `--dry-run`
runs every section at toy sizes on the CPU and writes the same JSON; without --dry-run and
without CUDA it refuses in one line. Numbers are not checked (speed is measured, not asserted)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.server.conftest import PG_ADMIN_URL, REDIS_URL

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "gpu-bench"


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HSI_")}
    env.update(
        {
            "HSI_DATABASE_URL": PG_ADMIN_URL,
            "HSI_REDIS_URL": REDIS_URL,
            "HSI_DATA_DIR": str(tmp_path / "data"),
            "CUDA_VISIBLE_DEVICES": "",
        }
    )
    return env


def test_dry_run_writes_every_section_on_the_cpu(tmp_path: Path) -> None:
    out = tmp_path / "gpu.json"
    done = subprocess.run(
        [str(SCRIPT), "--dry-run", "--out", str(out), "--work", str(tmp_path / "work")],
        cwd=ROOT,
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    r = json.loads(out.read_text())
    assert r["dry_run"] is True and r["device"] == "cpu"
    for section in ("environment", "raw_detector", "pipeline", "clip", "llm"):
        assert "failed" not in r[section], (section, r[section])
    assert set(r["raw_detector"]) >= {"yolo26n/fp32/batch1", "yolo26n/fp32/batch2"}
    assert r["raw_detector"]["tensorrt"] == "skipped: no CUDA"
    assert r["pipeline"]["files_processed"] == r["pipeline"]["files_dropped"] == 8
    assert r["pipeline"]["mode"] == "recorded"
    assert r["clip"]["dimensions"] == 512
    assert r["llm"]["tokens"] >= 1 and r["llm"]["n_gpu_layers"] == 0
    assert r["pipeline_vs_raw_batched"] > 0


def test_without_a_gpu_and_without_dry_run_it_refuses(tmp_path: Path) -> None:
    done = subprocess.run(
        [str(SCRIPT), "--out", str(tmp_path / "gpu.json"), "--work", str(tmp_path / "work")],
        cwd=ROOT,
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 2
    assert "no CUDA GPU is visible" in done.stdout
    assert not (tmp_path / "gpu.json").exists()


@pytest.mark.parametrize("wheels", ["/nonexistent/wheels"])
def test_a_missing_wheel_folder_is_named(tmp_path: Path, wheels: str) -> None:
    done = subprocess.run(
        [str(SCRIPT), "--wheels", wheels, "--dry-run"],
        cwd=ROOT,
        env=_env(tmp_path),
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2
    assert f"--wheels {wheels} is not a folder" in done.stderr
