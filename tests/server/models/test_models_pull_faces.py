"""`hsi models pull yunet sface` against the local hub stand-in: both face models come from their
Hugging Face repositories, are verified against the manifest's hashes and are what the server's
face reader then loads."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from inference_server.cli import main
from inference_server.ml.models.manifest import builtin_manifest
from inference_server.runtime.models import build_face_reader
from inference_server.settings import load_settings
from tests.server.models.conftest import ModelsEnv
from tests.server.models.test_models_pull import store_for
from tests.support.face_models import build_sface_onnx, build_yunet_onnx
from tests.support.fake_hub import FakeHub

YUNET = builtin_manifest().get("yunet")
SFACE = builtin_manifest().get("sface")


def test_the_face_models_are_in_the_manifest_as_published() -> None:
    assert (YUNET.family, SFACE.family) == ("face", "face")
    assert YUNET.file == "face_detection_yunet_2023mar.onnx" and YUNET.size_bytes == 232_589
    assert SFACE.file == "face_recognition_sface_2021dec.onnx" and SFACE.size_bytes == 38_696_353
    assert YUNET.license == "MIT" and SFACE.license == "Apache-2.0" and SFACE.dimensions == 128
    for entry in (YUNET, SFACE):
        assert entry.sha256 is not None and "sha256" in entry.unverified and entry.sha256_source


def test_pull_installs_both_face_models_from_the_hub_and_the_reader_loads_them(
    hub: FakeHub, models_env: ModelsEnv, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bodies = {
        "yunet": build_yunet_onnx(tmp_path / "built" / YUNET.file).read_bytes(),
        "sface": build_sface_onnx(tmp_path / "built" / SFACE.file).read_bytes(),
    }
    hub.add_hf("opencv/face_detection_yunet", YUNET.file, bodies["yunet"])
    hub.add_hf("opencv/face_recognition_sface", SFACE.file, bodies["sface"])
    # The test files stand in for the published ones: the manifest names their hashes and sizes.
    cfg = models_env(
        {
            model_id: {"sha256": hashlib.sha256(body).hexdigest(), "size_bytes": len(body)}
            for model_id, body in bodies.items()
        },
        cameras={"porch": {"faces": True}},
    )

    assert main(["--config", str(cfg), "models", "pull", "yunet", "sface"]) == 0
    out = capsys.readouterr().out
    assert "yunet: installed" in out and "sface: installed" in out and "checked against manifest" in out
    store = store_for(cfg)
    for entry in (YUNET, SFACE):
        assert store.path(entry).read_bytes() == bodies[entry.id]
        assert store.status(entry).status == "verified"
    reader = build_face_reader(load_settings(cfg, environ={}))
    assert reader is not None and reader.name == "yunet+sface"


def test_a_file_that_is_not_the_published_one_is_refused(
    hub: FakeHub, models_env: ModelsEnv, capsys: pytest.CaptureFixture[str]
) -> None:
    hub.add_hf("opencv/face_detection_yunet", YUNET.file, b"\x08\x07" + b"x" * 232_587)
    cfg = models_env()

    assert main(["--config", str(cfg), "models", "pull", "yunet"]) == 1
    err = capsys.readouterr().err
    assert "checksum mismatch for yunet" in err and "(manifest)" in err
    assert not store_for(cfg).path(YUNET).exists()
