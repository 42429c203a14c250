"""tools/vendor_addon.py: the add-on's vendored wheel is reproducible, complete and installable."""

from __future__ import annotations

import shutil
import zipfile
from io import BytesIO
from pathlib import Path

import pytest

from tools import vendor_addon

ROOT = Path(__file__).resolve().parents[2]


def test_the_wheel_is_the_same_bytes_every_time() -> None:
    assert vendor_addon.build_wheel() == vendor_addon.build_wheel()


def test_the_wheel_holds_the_package_data_and_the_console_script() -> None:
    name, data = vendor_addon.build_wheel()
    assert name == "home_security_intelligence-0.1.0-py3-none-any.whl"
    members = set(zipfile.ZipFile(BytesIO(data)).namelist())
    migrations = {
        p.relative_to(ROOT).as_posix() for p in (ROOT / "inference_server/store/migrations").glob("*.sql")
    }
    assert migrations and migrations <= members
    assert "inference_server/py.typed" in members and "inference_server/cli.py" in members
    assert not [m for m in members if "__pycache__" in m or m.endswith(".pyc")]
    entry_points = zipfile.ZipFile(BytesIO(data)).read(
        "home_security_intelligence-0.1.0.dist-info/entry_points.txt"
    )
    assert b"hsi = inference_server.cli:main" in entry_points


def test_addon_requirements_leave_out_pytorch_and_keep_the_pins() -> None:
    reqs = vendor_addon.requirements(vendor_addon.ADDON_EXCLUDED, "add-on", headless=True).decode()
    names = {vendor_addon._req_name(line) for line in reqs.splitlines() if line and not line.startswith("#")}
    assert not names & {"torch", "torchvision", "ultralytics", "llama-cpp-python", "opencv-python"}
    assert "opencv-python-headless==4.14.0.94" in reqs and "onnxruntime==1.31.1" in reqs
    cuda = vendor_addon.requirements(vendor_addon.CUDA_EXCLUDED, "gpu", headless=False).decode()
    assert "torch==2.14.1" in cuda and "llama-cpp-python" not in cuda


def test_check_mode_fails_on_a_stale_file_and_names_the_fix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert vendor_addon.main(["--check"]) == 0  # the committed files are current
    # A copy of the add-on folder: a wheel one byte short, then an extra old wheel.
    addon = tmp_path / "addon"
    shutil.copytree(ROOT / "addon", addon)
    monkeypatch.setattr(vendor_addon, "ADDON", addon)
    wheel = next((addon / "wheels").glob("*.whl"))
    wheel.write_bytes(wheel.read_bytes()[:-1])
    assert vendor_addon.main(["--check"]) == 1
    err = capsys.readouterr().err
    assert f"not current: addon/wheels/{wheel.name}" in err and "run: python tools/vendor_addon.py" in err
    assert vendor_addon.main([]) == 0  # rewrites it
    assert vendor_addon.main(["--check"]) == 0
    (addon / "wheels" / "home_security_intelligence-0.0.9-py3-none-any.whl").write_bytes(b"old")
    assert vendor_addon.main(["--check"]) == 1
    assert "home_security_intelligence-0.0.9" in capsys.readouterr().err
