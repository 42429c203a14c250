"""Choose and build the detector backend: YOLO on PyTorch, YOLO on ONNX Runtime, or OpenCV HOG."""

from __future__ import annotations

import importlib
import importlib.util
import logging
from pathlib import Path

from inference_server.ml.detector_yolo import DEFAULT_WEIGHTS, locate_weights
from inference_server.ml.protocols import Detector, ModelUnavailable

_LOG = logging.getLogger(__name__)

DETECTOR_KINDS = ("auto", "yolo", "onnx", "opencv")

# The 80 COCO classes, in the order of the official YOLO models' class ids.
COCO_LABELS: tuple[str, ...] = (
    "person", "bicycle", "car", "motorcycle", "airplane", "bus", "train", "truck", "boat",
    "traffic light", "fire hydrant", "stop sign", "parking meter", "bench", "bird", "cat", "dog",
    "horse", "sheep", "cow", "elephant", "bear", "zebra", "giraffe", "backpack", "umbrella",
    "handbag", "tie", "suitcase", "frisbee", "skis", "snowboard", "sports ball", "kite",
    "baseball bat", "baseball glove", "skateboard", "surfboard", "tennis racket", "bottle",
    "wine glass", "cup", "fork", "knife", "spoon", "bowl", "banana", "apple", "sandwich", "orange",
    "broccoli", "carrot", "hot dog", "pizza", "donut", "cake", "chair", "couch", "potted plant",
    "bed", "dining table", "toilet", "tv", "laptop", "mouse", "remote", "keyboard", "cell phone",
    "microwave", "oven", "toaster", "sink", "refrigerator", "book", "clock", "vase", "scissors",
    "teddy bear", "hair drier", "toothbrush",
)  # fmt: skip


def cuda_available() -> bool:
    """True when PyTorch is installed and sees an NVIDIA GPU."""
    if importlib.util.find_spec("torch") is None:
        return False
    import torch

    return bool(torch.cuda.is_available())


def build_detector(
    kind: str,
    weights: str | None,
    *,
    confidence: float,
    classes: list[str] | None,
    image_size: int = 640,
    cache_dir: Path,
    device: str = "auto",
    intra_op_threads: int = 0,
) -> Detector:
    """Build the detector named by `kind` (auto | yolo | onnx | opencv).

    "auto" picks YOLO on PyTorch when the weights are on disk and CUDA is available, YOLO on ONNX
    Runtime when the weights are on disk without CUDA (or are a .onnx file), and the offline OpenCV
    person detector when no weights are on disk, logging which file was missing; weights that
    are on disk but cannot be loaded also fall back to it, with a warning. An explicit "yolo" or
    "onnx" raises ModelUnavailable instead of falling back.

    `intra_op_threads` sizes ONNX Runtime's thread pool (0 = one per core); on a CPU shared with
    other busy processes, 1 was 2-3x faster per image than the default.
    """
    if kind not in DETECTOR_KINDS:
        raise ValueError(f"unknown detector {kind!r}: choose one of {', '.join(DETECTOR_KINDS)}")
    weights = weights or DEFAULT_WEIGHTS
    if kind != "auto":
        return _build(kind, weights, confidence, classes, image_size, cache_dir, device, intra_op_threads)
    chosen = _choose(weights, cache_dir, device)
    try:
        return _build(chosen, weights, confidence, classes, image_size, cache_dir, device, intra_op_threads)
    except ModelUnavailable as exc:
        if chosen == "opencv":
            raise
        _LOG.warning("detector=opencv reason=model_unavailable wanted=%s: %s", chosen, exc)
        return _build("opencv", weights, confidence, classes, image_size, cache_dir, device, 0)


def _build(
    kind: str,
    weights: str,
    confidence: float,
    classes: list[str] | None,
    image_size: int,
    cache_dir: Path,
    device: str,
    intra_op_threads: int,
) -> Detector:
    if kind == "yolo":
        from inference_server.ml.detector_yolo import YoloDetector

        return YoloDetector(
            weights,
            confidence=confidence,
            classes=classes,
            image_size=image_size,
            device=device,
            cache_dir=cache_dir,
        )
    if kind == "onnx":
        from inference_server.ml.detector_onnx import OnnxDetector

        return OnnxDetector(
            weights,
            confidence=confidence,
            classes=classes,
            image_size=image_size,
            cache_dir=cache_dir,
            device=device,
            intra_op_threads=intra_op_threads,
        )
    from inference_server.ml.detector_opencv import OpenCVPersonDetector

    if classes is not None and "person" not in classes:
        _LOG.warning("detector=opencv classes=%s finds persons only: it will detect nothing", classes)
    return OpenCVPersonDetector(confidence=confidence)


def _choose(weights: str, cache_dir: Path, device: str) -> str:
    path = locate_weights(weights, cache_dir)
    if path is None:
        wanted = Path(weights) if Path(weights).is_absolute() else cache_dir / Path(weights).name
        _LOG.warning(
            "detector=opencv reason=weights_missing missing=%s: using the offline OpenCV person "
            "detector (persons only, less accurate); put the YOLO weights there for full detection",
            wanted,
        )
        return "opencv"
    if path.suffix == ".onnx":
        return "onnx"
    if device != "cpu" and cuda_available():
        return "yolo"
    return cpu_runtime()[0]


def cpu_runtime() -> tuple[str, str]:
    """(detector kind, why) for YOLO on a CPU: ONNX Runtime, or what `ml/cpu_runtime.py` recommends.

    The CPU-runtime module (OpenVINO, INT8 on VNNI/AMX CPUs) is optional: without it, or when
    it recommends a kind this build cannot construct, ONNX Runtime is used.
    """
    if importlib.util.find_spec("inference_server.ml.cpu_runtime") is None:
        return "onnx", "no CUDA GPU: exported once to ONNX, runs on ONNX Runtime"
    runtime_module = importlib.import_module("inference_server.ml.cpu_runtime")
    recommend = getattr(runtime_module, "recommend_cpu_detector", None)
    if recommend is None:
        return "onnx", "no CUDA GPU: exported once to ONNX, runs on ONNX Runtime"
    choice = recommend()
    kind = str(getattr(choice, "runtime", "onnx"))
    reason = str(getattr(choice, "reason", ""))
    if kind not in DETECTOR_KINDS:
        return "onnx", f"no CUDA GPU: ONNX Runtime ({kind} recommended but not available: {reason})"
    return kind, f"no CUDA GPU: {kind} ({reason})" if reason else f"no CUDA GPU: {kind}"


__all__ = ["COCO_LABELS", "DETECTOR_KINDS", "ModelUnavailable", "build_detector", "cuda_available"]
