"""Choose and build the detector backend: YOLO on PyTorch, ONNX Runtime or OpenVINO, or OpenCV HOG."""

from __future__ import annotations

import importlib
import importlib.util
import logging
from dataclasses import dataclass
from pathlib import Path

from inference_server.ml.detector_yolo import DEFAULT_WEIGHTS, locate_weights
from inference_server.ml.protocols import Detector, ModelUnavailable
from inference_server.ml.quantize import CalibrationSource

_LOG = logging.getLogger(__name__)

DETECTOR_KINDS = ("auto", "yolo", "tensorrt", "onnx", "openvino", "opencv")
PRECISIONS = ("fp32", "fp16", "int8")

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
    precision: str = "fp32",
    calibration: CalibrationSource | None = None,
) -> Detector:
    """Build the detector named by `kind` (auto | yolo | tensorrt | onnx | openvino | opencv).

    "auto" picks YOLO on PyTorch when the weights are on disk and CUDA is available, YOLO on ONNX
    Runtime when the weights are on disk without CUDA (or are a .onnx file), and the offline OpenCV
    person detector when no weights are on disk, logging which file was missing; weights that
    are on disk but cannot be loaded also fall back to it, with a warning. An explicit "yolo" or
    "onnx" raises ModelUnavailable instead of falling back.

    `intra_op_threads` sizes ONNX Runtime's thread pool (0 = one per core); on a CPU shared with
    other busy processes, 1 was 2-3x faster per image than the default.

    `precision`: fp32 everywhere; int8 for onnx and openvino (post-training quantization,
    calibrated on `calibration`: the stored frames, else the bundled images); fp16 for yolo and
    tensorrt on CUDA (the default there). "tensorrt" builds a TensorRT engine from the .pt once.
    """
    if kind not in DETECTOR_KINDS:
        raise ValueError(f"unknown detector {kind!r}: choose one of {', '.join(DETECTOR_KINDS)}")
    if precision not in PRECISIONS:
        raise ValueError(f"unknown precision {precision!r}: choose one of {', '.join(PRECISIONS)}")
    weights = weights or DEFAULT_WEIGHTS
    opts = _Options(
        weights, confidence, classes, image_size, cache_dir, device, intra_op_threads, precision, calibration
    )
    if kind != "auto":
        return _build(kind, opts)
    chosen = _choose(weights, cache_dir, device)
    try:
        return _build(chosen, opts)
    except ModelUnavailable as exc:
        if chosen == "opencv":
            raise
        _LOG.warning("detector=opencv reason=model_unavailable wanted=%s: %s", chosen, exc)
        return _build("opencv", opts)


@dataclass(frozen=True, slots=True)
class _Options:
    weights: str
    confidence: float
    classes: list[str] | None
    image_size: int
    cache_dir: Path
    device: str
    intra_op_threads: int
    precision: str
    calibration: CalibrationSource | None


def _build(kind: str, o: _Options) -> Detector:
    if o.precision == "int8" and kind not in ("onnx", "openvino", "opencv"):
        raise ModelUnavailable(f"precision int8 needs detector onnx or openvino, not {kind}")
    if o.precision == "fp16" and kind in ("onnx", "openvino"):
        raise ModelUnavailable(f"precision fp16 is for the yolo detector on CUDA, not {kind}")
    if kind in ("yolo", "tensorrt"):
        from inference_server.ml.detector_yolo import YoloDetector

        return YoloDetector(
            o.weights,
            confidence=o.confidence,
            classes=o.classes,
            image_size=o.image_size,
            device=o.device,
            cache_dir=o.cache_dir,
            tensorrt=kind == "tensorrt",
            half=True if o.precision == "fp16" else None,
        )
    if kind == "onnx":
        from inference_server.ml.detector_onnx import OnnxDetector

        return OnnxDetector(
            o.weights,
            confidence=o.confidence,
            classes=o.classes,
            image_size=o.image_size,
            cache_dir=o.cache_dir,
            device=o.device,
            intra_op_threads=o.intra_op_threads,
            precision=o.precision,
            calibration=o.calibration,
        )
    if kind == "openvino":
        from inference_server.ml.detector_openvino import OpenVinoDetector

        return OpenVinoDetector(
            o.weights,
            confidence=o.confidence,
            classes=o.classes,
            image_size=o.image_size,
            cache_dir=o.cache_dir,
            precision=o.precision,
            threads=o.intra_op_threads,
            calibration=o.calibration,
        )
    from inference_server.ml.detector_opencv import OpenCVPersonDetector

    if o.classes is not None and "person" not in o.classes:
        _LOG.warning("detector=opencv classes=%s finds persons only: it will detect nothing", o.classes)
    return OpenCVPersonDetector(confidence=o.confidence)


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


__all__ = [
    "COCO_LABELS",
    "DETECTOR_KINDS",
    "PRECISIONS",
    "ModelUnavailable",
    "build_detector",
    "cuda_available",
]
