"""Detector backends: offline HOG on real photos, YOLO (torch) and ONNX on locally built weights.

The YOLO weights are random (no model hub here): they exercise loading, batching, export and the
box arithmetic, and torch and ONNX must agree on them; real detection content is tested with the
OpenCV person detector on the photos shipped in the ultralytics wheel.
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from inference_server.domain.detections import Box, Detection
from inference_server.ml import detector_onnx, detectors
from inference_server.ml.detector_onnx import (
    ExportedYolo,
    OnnxDetector,
    decode_output,
    input_shape,
    letterbox,
)
from inference_server.ml.detector_opencv import OpenCVPersonDetector, hog_blocks
from inference_server.ml.detector_yolo import YoloDetector
from inference_server.ml.detectors import COCO_LABELS, build_detector
from inference_server.ml.protocols import Detector, ModelUnavailable
from tests.support.models import build_random_yolo, ensure_ultralytics_offline, sample_images
from tools.bench_detector import raw_detector_loop

LOW_CONF = 0.0001  # random weights give scores near zero: keep every box


@pytest.fixture(scope="session", autouse=True)
def _ultralytics_offline(tmp_path_factory: pytest.TempPathFactory) -> None:
    # Keep a config dir chosen earlier (conftest, environment); the call still ensures the font.
    chosen = os.environ.get("YOLO_CONFIG_DIR")
    ensure_ultralytics_offline(Path(chosen) if chosen else tmp_path_factory.mktemp("ultralytics-config"))


@pytest.fixture(scope="session")
def photos() -> dict[str, np.ndarray]:
    images = {path.name: cv2.imread(str(path)) for path in sample_images()}
    assert all(image is not None for image in images.values())
    return {name: np.asarray(image) for name, image in images.items()}


@pytest.fixture(scope="session")
def yolo_weights(tmp_path_factory: pytest.TempPathFactory, _ultralytics_offline: None) -> Path:
    return build_random_yolo(tmp_path_factory.mktemp("weights") / "yolo26n.pt")


@pytest.fixture(scope="session")
def onnx_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("model-cache")


@pytest.fixture(scope="session")
def yolo(yolo_weights: Path) -> YoloDetector:
    return YoloDetector(yolo_weights, confidence=LOW_CONF, device="cpu")


@pytest.fixture(scope="session")
def onnx(yolo_weights: Path, onnx_cache: Path) -> OnnxDetector:
    return OnnxDetector(yolo_weights, confidence=LOW_CONF, cache_dir=onnx_cache, device="cpu")


def _assert_well_formed(found: list[Detection], labels: tuple[str, ...] = COCO_LABELS) -> None:
    for det in found:
        assert det.label in labels
        assert 0.0 <= det.confidence <= 1.0
        assert 0.0 <= det.box.x1 <= det.box.x2 <= 1.0
        assert 0.0 <= det.box.y1 <= det.box.y2 <= 1.0


# --- OpenCV HOG: real people in real photos ---------------------------------------------------


HOG_BACKENDS = [
    pytest.param(
        True,
        id="opencv-hog",
        marks=pytest.mark.skipif(not hasattr(cv2, "HOGDescriptor"), reason="OpenCV 5 has no HOG"),
    ),
    pytest.param(False, id="numpy-hog"),
]


@pytest.mark.parametrize("native", HOG_BACKENDS)
def test_hog_finds_the_person_in_the_bus_photo(photos: dict[str, np.ndarray], native: bool) -> None:
    detector = OpenCVPersonDetector(native=native)
    [found] = detector.detect([photos["bus.jpg"]])
    assert found, "no person found in bus.jpg"
    _assert_well_formed(found, ("person",))
    assert all(det.confidence >= detector.confidence for det in found)
    # The man on the left, standing full-length: left edge to a third of the width.
    man = Box(0.0, 0.29, 0.32, 0.91)
    assert max(det.box.iou(man) for det in found) > 0.6
    assert all(isinstance(v, float) for v in found[0].box.as_list())


@pytest.mark.xfail(reason="a full-body HOG model misses people framed from the thighs up", strict=False)
def test_hog_finds_upper_body_people_in_zidane(photos: dict[str, np.ndarray]) -> None:
    [found] = OpenCVPersonDetector().detect([photos["zidane.jpg"]])
    assert found


@pytest.mark.parametrize("native", HOG_BACKENDS)
def test_hog_finds_nothing_in_blank_or_noise_frames(native: bool) -> None:
    grey = np.full((480, 640, 3), 128, dtype=np.uint8)
    noise = np.random.default_rng(0).integers(0, 256, (480, 640, 3), dtype=np.uint8)
    tiny = np.zeros((40, 30, 3), dtype=np.uint8)
    assert OpenCVPersonDetector(native=native).detect([grey, noise, tiny]) == [[], [], []]


def test_hog_features_reproduce_opencv_4_scores() -> None:
    # Reference: OpenCV 4.14 HOGDescriptor().compute(bus grey, locations=[(200, 296)]) scored with
    # getDefaultPeopleDetector() gives -2.1508; OpenCV 5 no longer ships HOGDescriptor.
    gray = np.asarray(cv2.imread(str(sample_images()[0]), cv2.IMREAD_GRAYSCALE))
    detector = OpenCVPersonDetector()
    window = hog_blocks(gray)[296 // 8 : 296 // 8 + 15, 200 // 8 : 200 // 8 + 7]
    score = float((window * detector._weights).sum()) + detector._bias
    assert score == pytest.approx(-2.1508, abs=0.05)


def test_hog_keeps_one_box_per_person(photos: dict[str, np.ndarray]) -> None:
    [found] = OpenCVPersonDetector().detect([photos["bus.jpg"]])
    for i, a in enumerate(found):
        for b in found[i + 1 :]:
            assert a.box.iou(b.box) < 0.45


# --- YOLO on PyTorch ------------------------------------------------------------------------


def test_yolo_returns_normalized_detections_per_frame_in_one_call(
    yolo: YoloDetector, photos: dict[str, np.ndarray], monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []
    predict = yolo._model.predict

    def counting_predict(source: list[np.ndarray], **kwargs: Any) -> Any:
        calls.append(len(source))
        return predict(source, **kwargs)

    monkeypatch.setattr(yolo._model, "predict", counting_predict)
    bus, zidane = photos["bus.jpg"], photos["zidane.jpg"]
    results = yolo.detect([bus, zidane, bus])
    assert calls == [3]
    assert len(results) == 3
    assert all(results), "random weights at a tiny threshold still give boxes"
    for found in results:
        _assert_well_formed(found)
    assert [d.box for d in results[0]] == pytest.approx([d.box for d in results[2]])


def test_yolo_class_filter_keeps_only_wanted_labels(
    yolo_weights: Path, photos: dict[str, np.ndarray]
) -> None:
    detector = YoloDetector(yolo_weights, confidence=LOW_CONF, classes=["person", "car"], device="cpu")
    [found] = detector.detect([photos["bus.jpg"]])
    assert found
    assert {d.label for d in found} <= {"person", "car"}


def test_yolo_rejects_unknown_class(yolo_weights: Path) -> None:
    with pytest.raises(ValueError, match="persn"):
        YoloDetector(yolo_weights, classes=["persn"], device="cpu")


def test_missing_weights_name_the_file_and_where_to_put_it(tmp_path: Path) -> None:
    absent = tmp_path / "models" / "yolo26s.pt"
    with pytest.raises(ModelUnavailable, match=re.escape(str(absent))):
        YoloDetector(absent, device="cpu")
    cache = tmp_path / "cache"
    with pytest.raises(ModelUnavailable, match=re.escape(str(cache / "yolo26m.pt"))):
        YoloDetector("yolo26m.pt", cache_dir=cache, device="cpu", offline=True)
    with pytest.raises(ModelUnavailable, match=re.escape(str(cache / "yolo26m.pt"))):
        OnnxDetector("yolo26m.pt", cache_dir=cache)
    assert not cache.exists(), "nothing was downloaded or created"


# --- YOLO on ONNX Runtime -------------------------------------------------------------------


def test_onnx_export_happens_once_and_is_reused(
    onnx: OnnxDetector, yolo_weights: Path, onnx_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    exported = onnx.onnx_path
    assert exported.parent == onnx_cache and exported.suffix == ".onnx"
    stamp = exported.stat().st_mtime_ns

    def no_export(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the cached ONNX file should have been reused")

    monkeypatch.setattr(detector_onnx, "load_yolo", no_export)
    again = OnnxDetector(yolo_weights, cache_dir=onnx_cache, device="cpu")
    assert again.onnx_path == exported
    assert exported.stat().st_mtime_ns == stamp
    assert list(onnx_cache.glob("*.onnx")) == [exported]
    assert OnnxDetector(exported, cache_dir=onnx_cache).onnx_path == exported  # a .onnx runs as given


def test_onnx_batches_give_the_same_boxes_as_single_frames(
    onnx: OnnxDetector, photos: dict[str, np.ndarray]
) -> None:
    bus, zidane = photos["bus.jpg"], photos["zidane.jpg"]
    batched = onnx.detect([bus, zidane, bus])
    assert len(batched) == 3 and all(batched)
    [single] = onnx.detect([zidane])
    for found in batched:
        _assert_well_formed(found)
    assert [d.box for d in batched[1]] == pytest.approx([d.box for d in single], abs=1e-4)
    assert [d.box for d in batched[0]] == pytest.approx([d.box for d in batched[2]], abs=1e-4)


def _agreement(a: list[Detection], b: list[Detection], top: int = 20) -> float:
    """Share of a's top boxes that b has too (same label, IoU > 0.5)."""
    best = sorted(a, key=lambda d: -d.confidence)[:top]
    hits = sum(any(o.label == d.label and o.box.iou(d.box) > 0.5 for o in b) for d in best)
    return hits / len(best)


def test_onnx_and_torch_agree_on_the_same_model(
    onnx: OnnxDetector, yolo: YoloDetector, photos: dict[str, np.ndarray]
) -> None:
    for frame in (photos["bus.jpg"], photos["zidane.jpg"]):
        [from_onnx] = onnx.detect([frame])
        [from_torch] = yolo.detect([frame])
        assert from_onnx and from_torch
        assert _agreement(from_torch, from_onnx) >= 0.8
        assert _agreement(from_onnx, from_torch) >= 0.8


def test_onnx_class_filter(yolo_weights: Path, onnx_cache: Path, photos: dict[str, np.ndarray]) -> None:
    detector = OnnxDetector(yolo_weights, confidence=LOW_CONF, classes=["person"], cache_dir=onnx_cache)
    [found] = detector.detect([photos["zidane.jpg"]])
    assert {d.label for d in found} <= {"person"}


def test_raw_head_output_is_decoded_and_deduplicated() -> None:
    # Two overlapping "person" anchors, one "car", 80 classes, layout (4 + classes, anchors).
    raw = np.zeros((84, 3), dtype=np.float32)
    raw[:4, 0] = [100, 100, 40, 80]  # cx, cy, w, h
    raw[:4, 1] = [102, 101, 40, 80]
    raw[:4, 2] = [300, 200, 100, 50]
    raw[4 + 0, 0], raw[4 + 0, 1], raw[4 + 2, 2] = 0.9, 0.8, 0.7
    xyxy, scores, cls = decode_output(raw, 80)
    assert xyxy[0].tolist() == [80, 60, 120, 140]
    assert scores.tolist() == pytest.approx([0.9, 0.8, 0.7])
    assert cls.tolist() == [0, 0, 2]
    assert decode_output(raw.T.copy(), 80)[0].tolist() == xyxy.tolist()


def test_end_to_end_output_is_read_as_boxes() -> None:
    raw = np.array([[10, 20, 30, 40, 0.95, 16], [0, 0, 1, 1, 0.01, 0]], dtype=np.float32)
    xyxy, scores, cls = decode_output(raw, 80)
    assert xyxy[0].tolist() == [10, 20, 30, 40]
    assert scores[0] == pytest.approx(0.95)
    assert cls.tolist() == [16, 0]


def test_letterbox_maps_back_to_the_original_frame() -> None:
    frame = np.zeros((720, 1280, 3), dtype=np.uint8)
    padded, lb = letterbox(frame, 640)
    assert padded.shape == (640, 640, 3)
    assert lb.scale == pytest.approx(0.5) and lb.pad_x == 0 and lb.pad_y == 140
    assert (padded[:140] == 114).all() and (padded[140:500] == 0).all()
    # The rectangular letterbox (dynamic ONNX input) pads only to a multiple of 32.
    assert input_shape(720, 1280, 640, rect=True) == (384, 640)
    padded, lb = letterbox(frame, 640, rect=True)
    assert padded.shape == (384, 640, 3) and lb.pad_y == 12


# --- choosing a backend -------------------------------------------------------------------


def test_auto_without_weights_uses_the_offline_person_detector(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        detector = build_detector("auto", None, confidence=0.5, classes=None, cache_dir=tmp_path)
    assert isinstance(detector, OpenCVPersonDetector) and detector.name == "opencv"
    lines = [r.getMessage() for r in caplog.records if "weights_missing" in r.getMessage()]
    assert len(lines) == 1
    assert str(tmp_path / "yolo26n.pt") in lines[0] and "offline" in lines[0]


def test_auto_with_weights_uses_the_cpu_runtime_on_cpu_and_torch_on_cuda(
    yolo_weights: Path, onnx_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(detectors, "cuda_available", lambda: False)
    kwargs: dict[str, Any] = {"confidence": 0.3, "classes": ["person"], "cache_dir": onnx_cache}
    on_cpu = build_detector("auto", str(yolo_weights), **kwargs)
    # ml/cpu_runtime.py recommends OpenVINO where it is installed, else ONNX Runtime.
    assert isinstance(on_cpu, ExportedYolo) and on_cpu.name == detectors.cpu_runtime()[0]
    monkeypatch.setattr(detectors, "cuda_available", lambda: True)
    on_gpu = build_detector("auto", str(yolo_weights), device="cpu", **kwargs)
    assert isinstance(on_gpu, ExportedYolo), "device=cpu pins the CPU backend"
    on_gpu = build_detector("auto", str(yolo_weights), **{**kwargs, "device": "auto"})
    assert isinstance(on_gpu, YoloDetector) and on_gpu.name == "yolo"


def test_auto_with_unloadable_weights_falls_back_and_says_why(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(detectors, "cuda_available", lambda: False)
    (tmp_path / "yolo26n.pt").write_bytes(b"not a checkpoint")
    with caplog.at_level(logging.WARNING):
        detector = build_detector("auto", None, confidence=0.5, classes=None, cache_dir=tmp_path)
    assert isinstance(detector, OpenCVPersonDetector)
    assert any(
        "model_unavailable" in r.getMessage() and "yolo26n.pt" in r.getMessage() for r in caplog.records
    )


def test_explicit_backend_does_not_fall_back(tmp_path: Path) -> None:
    with pytest.raises(ModelUnavailable, match=r"yolo26n\.pt"):
        build_detector("onnx", None, confidence=0.5, classes=None, cache_dir=tmp_path)
    assert isinstance(
        build_detector("opencv", None, confidence=0.5, classes=None, cache_dir=tmp_path), OpenCVPersonDetector
    )
    with pytest.raises(ModelUnavailable, match=r"yolo26n\.pt"):
        build_detector("openvino", None, confidence=0.5, classes=None, cache_dir=tmp_path)
    with pytest.raises(ValueError, match="unknown detector"):
        build_detector("tpu", None, confidence=0.5, classes=None, cache_dir=tmp_path)


def test_detectors_satisfy_the_protocol(yolo: YoloDetector, onnx: OnnxDetector) -> None:
    backends: list[Detector] = [OpenCVPersonDetector(), yolo, onnx]
    assert [b.name for b in backends] == ["opencv", "yolo", "onnx"]
    assert all(b.detect([]) == [] for b in backends)


# --- the raw loop benchmark ---------------------------------------------------------------


def test_raw_detector_loop_reports_throughput(photos: dict[str, np.ndarray]) -> None:
    frames = [cv2.resize(photos["zidane.jpg"], (320, 180))] * 4
    report = raw_detector_loop(OpenCVPersonDetector(), frames, batch_size=2)
    assert report["detector"] == "opencv" and report["images"] == 4 and report["batch_size"] == 2
    assert report["images_per_second"] > 0
    assert 0 < report["per_image_ms_p50"] <= report["per_image_ms_p95"]
