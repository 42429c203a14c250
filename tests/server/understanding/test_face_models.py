"""The face models a process builds: only when a camera opts in, SFace required (the error names
the command), YuNet preferred with OpenCV's Haar cascade as the announced fallback; and the YuNet
code path of the reader (cv2.FaceDetectorYN) on a YuNet-shaped network with known answers."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import numpy as np
import pytest

from inference_server.domain.faces import FaceConfig, KnownFace, cosine, match_face
from inference_server.ml.faces import OpenCvFaceReader
from inference_server.ml.models.manifest import builtin_manifest
from inference_server.ml.models.store import ModelStore
from inference_server.ml.protocols import ModelUnavailable
from inference_server.runtime.models import build_face_reader
from inference_server.settings import Settings
from tests.support.face_models import build_sface_onnx, build_yunet_onnx


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("face-models")
    return build_sface_onnx(root / "sface.onnx"), build_yunet_onnx(root / "yunet.onnx")


def _install(models_dir: Path, model_id: str, source: Path) -> None:
    path = ModelStore(models_dir, builtin_manifest()).path(builtin_manifest().get(model_id))
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, path)


def test_the_face_models_are_built_only_when_a_camera_opts_in_and_sface_is_required(
    tmp_path: Path, models: tuple[Path, Path], caplog: pytest.LogCaptureFixture
) -> None:
    sface, yunet = models
    assert build_face_reader(Settings.from_flat(data_dir=str(tmp_path))) is None
    settings = Settings.from_flat(data_dir=str(tmp_path), cameras={"porch": {"faces": True}, "gate": {}})
    assert settings.face_cameras == ["porch"]
    with pytest.raises(ModelUnavailable) as missing:
        build_face_reader(settings)
    assert "hsi models pull yunet sface" in str(missing.value) and "porch" in str(missing.value)

    caplog.set_level(logging.WARNING)
    _install(settings.models_path, "sface", sface)
    haar = build_face_reader(settings)
    assert haar is not None and haar.name == "haar+sface"
    assert "model_fallback stage=faces using=haar" in caplog.text and "hsi models pull yunet" in caplog.text

    _install(settings.models_path, "yunet", yunet)
    full = build_face_reader(settings)
    assert full is not None and full.name == "yunet+sface"


def test_an_unloadable_model_file_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "sface.onnx"
    bad.write_bytes(b"not an onnx file")
    with pytest.raises(ModelUnavailable, match="hsi models pull --force sface"):
        OpenCvFaceReader(bad)
    with pytest.raises(ModelUnavailable, match="hsi models pull sface"):
        OpenCvFaceReader(tmp_path / "missing.onnx")


def test_yunet_finds_the_face_where_it_is_and_sface_embeds_it_aligned(models: tuple[Path, Path]) -> None:
    sface, yunet = models
    reader = OpenCvFaceReader(sface, yunet, max_side=320)
    person = np.zeros((400, 300, 3), np.uint8)
    person[64:96, 128:160] = 255  # the test network's "face": a bright 32x32 square
    [face] = reader.read(person)
    assert (face.x, face.y, face.width, face.height) == (128.0, 64.0, 32.0, 32.0)
    assert face.score > 0.9 and len(face.embedding) == 128
    # A crop bigger than the network's input is scaled down, and the box scaled back up.
    big = np.zeros((800, 640, 3), np.uint8)
    big[128:192, 256:320] = 255
    [scaled] = reader.read(big)
    assert (scaled.x, scaled.y, scaled.width, scaled.height) == (256.0, 128.0, 64.0, 64.0)
    # Faces below the upper part of the person box are not searched.
    low = np.zeros((400, 300, 3), np.uint8)
    low[320:352, 128:160] = 255
    assert reader.read(low) == []
    assert cosine(face.embedding, reader.read(person)[0].embedding) == pytest.approx(1.0)


def test_matching_needs_the_threshold_and_a_clear_winner() -> None:
    a = (1.0, 0.0, 0.0)
    gallery = [KnownFace(1, "Alex", (0.9, 0.1, 0.0)), KnownFace(2, "Alex", (0.0, 1.0, 0.0))]
    match = match_face(a, gallery)
    assert match is not None and match.name == "Alex" and match.known_id == 1
    assert match_face((0.0, 0.0, 1.0), gallery) is None  # below the threshold
    twins = [KnownFace(1, "Alex", (0.9, 0.1, 0.0)), KnownFace(3, "Sam", (0.9, 0.12, 0.0))]
    assert match_face(a, twins) is None  # two people equally close: ambiguous
    assert match_face(a, twins, FaceConfig(margin=0.0)) is not None
    assert match_face(a, [KnownFace(4, "Old", (1.0, 0.0))]) is None  # another recogniser's vector
