"""The committed card bundle is built from frontend/src, and the card's own unit tests pass."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from custom_components.home_security_intelligence.frontend import CARD_FILE

FRONTEND = Path(__file__).resolve().parents[2] / "frontend"
NODE = shutil.which("node")

pytestmark = pytest.mark.skipif(
    NODE is None or not (FRONTEND / "node_modules").is_dir(),
    reason="node and frontend/node_modules are needed (scripts/test runs npm ci)",
)


def test_committed_bundle_is_current(tmp_path: Path) -> None:
    assert NODE is not None
    fresh = tmp_path / "hsi-events-card.js"
    subprocess.run([NODE, "build.mjs", "--out", str(fresh)], cwd=FRONTEND, check=True, timeout=120)
    assert fresh.read_bytes() == CARD_FILE.read_bytes(), (
        "run `npm run build` in frontend/ and commit the bundle"
    )


def test_card_unit_tests_pass() -> None:
    assert NODE is not None
    result = subprocess.run(
        [NODE, "--test", "test/"], cwd=FRONTEND, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
