"""CPU runtimes of the YOLO detector: OpenVINO FP32/INT8 (NNCF) and ONNX Runtime INT8, on a real
yolo26n built from its YAML (random weights) and exported here; calibration on stored frames;
decoding PNG and video at the model's size; the runtime recommendation for a CPU.

Random weights give near-zero scores, so agreement is checked on the raw output tensors and on
boxes kept at a very low threshold; speed is measured by `hsi bench`, never asserted here."""

from __future__ import annotations

import json
import os
from pathlib import Path

import cv2
import numpy as np
import pytest

from inference_server.domain.detections import Detection
from inference_server.ml.cpu_runtime import CpuDetectorChoice, cpu_flags, recommend_cpu_detector
from inference_server.ml.detector_onnx import OnnxDetector
from inference_server.ml.detector_openvino import OpenVinoDetector
from inference_server.ml.detectors import build_detector
from inference_server.ml.frames import decode_image, sample_video_frames
from inference_server.ml.protocols import ModelUnavailable
from inference_server.ml.quantize import (
    MIN_STORED_FRAMES,
    CalibrationSource,
    calibration_set,
    needs_calibration,
    stored_media_files,
)
from tests.support.models import build_random_yolo, ensure_ultralytics_offline, sample_images

LOW_CONF = 0.0001


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    chosen = os.environ.get("YOLO_CONFIG_DIR")
    ensure_ultralytics_offline(Path(chosen) if chosen else tmp_path_factory.mktemp("ultralytics-config"))
    folder = tmp_path_factory.mktemp("runtimes")
    build_random_yolo(folder / "yolo26n.pt")
    return folder


@pytest.fixture(scope="module")
def photos() -> list[np.ndarray]:
    return [np.asarray(cv2.imread(str(p))) for p in sample_images()]


@pytest.fixture(scope="module")
def onnx_fp32(workdir: Path) -> OnnxDetector:
    return OnnxDetector(workdir / "yolo26n.pt", confidence=LOW_CONF, cache_dir=workdir, device="cpu")


@pytest.fixture(scope="module")
def openvino_int8(workdir: Path) -> OpenVinoDetector:
    return OpenVinoDetector(workdir / "yolo26n.pt", confidence=LOW_CONF, cache_dir=workdir, precision="int8")


def _correlation(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.corrcoef(a.ravel(), b.ravel())[0, 1])


def _recall(reference: list[list[Detection]], other: list[list[Detection]], iou: float = 0.5) -> float:
    """Share of the reference boxes that the other run found too (same class, IoU >= iou)."""
    found = total = 0
    for ref, oth in zip(reference, other, strict=True):
        for d in ref:
            total += 1
            if any(o.label == d.label and o.box.iou(d.box) >= iou for o in oth):
                found += 1
    return found / total if total else 0.0


def test_openvino_fp32_gives_the_onnx_runtime_boxes(
    workdir: Path, onnx_fp32: OnnxDetector, photos: list[np.ndarray]
) -> None:
    ov = OpenVinoDetector(workdir / "yolo26n.pt", confidence=LOW_CONF, cache_dir=workdir)
    assert ov.names == onnx_fp32.names
    for a, b in zip(ov.raw_outputs(photos), onnx_fp32.raw_outputs(photos), strict=True):
        assert a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=1e-3, atol=1e-3)
    ref, got = onnx_fp32.detect(photos), ov.detect(photos)
    assert all(ref)
    assert _recall(ref, got, iou=0.9) > 0.95


def test_openvino_int8_is_quantized_once_from_the_bundled_images_and_tracks_fp32(
    workdir: Path, onnx_fp32: OnnxDetector, openvino_int8: OpenVinoDetector, photos: list[np.ndarray]
) -> None:
    assert openvino_int8.model_path.suffix == ".xml"
    assert openvino_int8.calibration["origin"] == "bundled"
    assert openvino_int8.calibration["backend"] == "nncf"
    stamp = openvino_int8.model_path.stat().st_mtime_ns
    again = OpenVinoDetector(workdir / "yolo26n.pt", confidence=LOW_CONF, cache_dir=workdir, precision="int8")
    assert again.model_path == openvino_int8.model_path
    assert again.model_path.stat().st_mtime_ns == stamp  # cached, not quantized again

    for fp32, int8 in zip(onnx_fp32.raw_outputs(photos), openvino_int8.raw_outputs(photos), strict=True):
        assert fp32.shape == int8.shape
        assert _correlation(fp32[:4], int8[:4]) > 0.99  # box coordinates
        assert _correlation(fp32[4:], int8[4:]) > 0.8  # class scores
    assert _recall(onnx_fp32.detect(photos), openvino_int8.detect(photos)) > 0.5


def test_onnx_runtime_int8_loads_with_its_names_and_tracks_fp32(
    workdir: Path, onnx_fp32: OnnxDetector, photos: list[np.ndarray]
) -> None:
    int8 = OnnxDetector(
        workdir / "yolo26n.pt", confidence=LOW_CONF, cache_dir=workdir, device="cpu", precision="int8"
    )
    assert int8.onnx_path.name.endswith("-int8-qdq.onnx")
    assert int8.names == onnx_fp32.names
    info = json.loads(int8.onnx_path.with_name(int8.onnx_path.name + ".json").read_text())
    assert info["backend"] == "onnxruntime" and info["origin"] == "bundled"
    for fp32, q in zip(onnx_fp32.raw_outputs(photos), int8.raw_outputs(photos), strict=True):
        assert _correlation(fp32[:4], q[:4]) > 0.99
        assert _correlation(fp32[4:], q[4:]) > 0.8
    assert all(int8.detect(photos))


def _store_uploads(media_dir: Path, cameras: int, per_camera: int) -> None:
    photo = np.asarray(cv2.imread(str(sample_images()[0])))
    for c in range(cameras):
        folder = media_dir / f"cam{c}" / "2026-12-01"
        folder.mkdir(parents=True, exist_ok=True)
        for i in range(per_camera):
            ok, buf = cv2.imencode(".jpg", np.roll(photo, 17 * i, axis=1))
            assert ok
            (folder / f"{c}-{i}.jpg").write_bytes(buf.tobytes())
            os.utime(folder / f"{c}-{i}.jpg", (1_000_000 + i, 1_000_000 + i))
    quarantine = media_dir / "quarantine"
    quarantine.mkdir(exist_ok=True)
    (quarantine / "bad.jpg").write_bytes(b"not an image")


def test_calibration_uses_the_stored_frames_newest_first_across_cameras(tmp_path: Path) -> None:
    media = tmp_path / "media"
    _store_uploads(media, cameras=3, per_camera=14)
    chosen = stored_media_files(media, 6)
    assert [p.parent.parent.name for p in chosen] == ["cam0", "cam1", "cam2"] * 2
    assert [p.name for p in chosen[:3]] == ["0-13.jpg", "1-13.jpg", "2-13.jpg"]  # newest first
    assert all("quarantine" not in p.parts for p in stored_media_files(media, 100))

    found = calibration_set(CalibrationSource(media, limit=40), 640)
    assert found.origin == "stored" and len(found.frames) == 40
    assert max(found.frames[0].shape[:2]) >= 640  # decoded at (not below) the model's size


def test_few_stored_frames_fall_back_to_the_bundled_images(tmp_path: Path) -> None:
    media = tmp_path / "media"
    _store_uploads(media, cameras=1, per_camera=MIN_STORED_FRAMES - 1)
    assert calibration_set(CalibrationSource(media), 640).origin == "bundled"
    assert calibration_set(None, 640).origin == "bundled"


def test_a_bundled_calibration_is_redone_once_enough_frames_are_stored(tmp_path: Path) -> None:
    target = tmp_path / "model-int8.xml"
    target.write_text("model")
    target.with_name(target.name + ".json").write_text(json.dumps({"origin": "bundled"}))
    media = tmp_path / "media"
    source = CalibrationSource(media)
    assert not needs_calibration(target, source)
    _store_uploads(media, cameras=2, per_camera=MIN_STORED_FRAMES // 2)
    assert needs_calibration(target, source)
    target.with_name(target.name + ".json").write_text(json.dumps({"origin": "stored"}))
    assert not needs_calibration(target, source)


def test_int8_with_the_torch_backend_is_refused_with_a_reason(workdir: Path) -> None:
    with pytest.raises(ModelUnavailable, match="int8 needs detector onnx or openvino"):
        build_detector(
            "yolo",
            str(workdir / "yolo26n.pt"),
            confidence=0.4,
            classes=None,
            cache_dir=workdir,
            precision="int8",
        )
    with pytest.raises(ValueError, match="unknown precision"):
        build_detector("onnx", None, confidence=0.4, classes=None, cache_dir=workdir, precision="int4")


def test_openvino_without_weights_names_the_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ModelUnavailable, match=r"yolo26n\.pt not found"):
        OpenVinoDetector("yolo26n.pt", cache_dir=tmp_path)


def test_png_is_decoded_at_the_model_size() -> None:
    big = np.zeros((1080, 1920, 3), dtype=np.uint8)
    big[500:580, 900:1020] = 255
    ok, buf = cv2.imencode(".png", big)
    assert ok
    assert decode_image(buf.tobytes(), 640).shape == (360, 640, 3)
    assert decode_image(buf.tobytes()).shape == (1080, 1920, 3)
    small = cv2.imencode(".png", big[:300, :400])[1].tobytes()
    assert decode_image(small, 640).shape == (300, 400, 3)  # never scaled up


def test_video_frames_are_scaled_to_the_model_size(tmp_path: Path) -> None:
    clip = tmp_path / "clip.mp4"
    writer = cv2.VideoWriter(str(clip), cv2.VideoWriter.fourcc(*"mp4v"), 2.0, (1280, 720))
    for i in range(4):
        writer.write(np.full((720, 1280, 3), 40 * i, dtype=np.uint8))
    writer.release()
    samples = sample_video_frames(clip, 1.0, 10, target_side=640)
    assert len(samples) == 2
    assert all(frame.shape == (360, 640, 3) for _t, frame in samples)
    assert sample_video_frames(clip, 1.0, 1)[0][1].shape == (720, 1280, 3)


def _pair(choice: CpuDetectorChoice) -> tuple[str, str]:
    return choice.runtime, choice.precision


def test_cpu_recommendation_follows_the_int8_units_and_installed_runtimes() -> None:
    vnni = frozenset({"avx2", "avx512f", "avx512_vnni"})
    assert _pair(recommend_cpu_detector(vnni, openvino=True, nncf=True)) == ("openvino", "int8")
    assert _pair(recommend_cpu_detector(frozenset({"avx2"}), openvino=True, nncf=True)) == (
        "openvino",
        "fp32",
    )
    assert _pair(recommend_cpu_detector(vnni, openvino=True, nncf=False)) == ("openvino", "fp32")
    assert _pair(recommend_cpu_detector(vnni, openvino=False, nncf=False)) == ("onnx", "fp32")
    assert "avx512_vnni" in recommend_cpu_detector(vnni, openvino=True, nncf=True).reason


def test_cpu_flags_are_read_from_cpuinfo(tmp_path: Path) -> None:
    info = tmp_path / "cpuinfo"
    info.write_text("processor\t: 0\nflags\t\t: fpu sse2 avx2 avx512_vnni\n\nprocessor\t: 1\n")
    assert cpu_flags(info) == {"fpu", "sse2", "avx2", "avx512_vnni"}
    assert cpu_flags(tmp_path / "missing") == frozenset()
