"""YOLO (ultralytics, PyTorch) detector: the default backend, fastest on an NVIDIA GPU.

ultralytics and torch are imported when a detector is built, not when this module is imported,
so the offline fallback never pays for loading them.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from inference_server.domain.detections import Box, Detection
from inference_server.ml.protocols import ModelUnavailable

_LOG = logging.getLogger(__name__)

DEFAULT_WEIGHTS = "yolo26n.pt"


def is_offline() -> bool:
    """True when the host must not reach model hubs (YOLO_OFFLINE or HSI_OFFLINE set truthy)."""
    for var in ("YOLO_OFFLINE", "HSI_OFFLINE"):
        if os.environ.get(var, "").strip().lower() in ("1", "true", "yes", "on"):
            return True
    return False


def locate_weights(weights: str | os.PathLike[str], cache_dir: Path | None = None) -> Path | None:
    """Return the weights file if it is on disk, else None.

    Looked up as given (absolute, or relative to the working directory), then by file name in
    `cache_dir`, where `hsi` keeps models.
    """
    given = Path(weights).expanduser()
    candidates = [given]
    if cache_dir is not None and not given.is_absolute():
        candidates.append(cache_dir / given.name)
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    return None


def missing_weights(
    weights: str | os.PathLike[str], cache_dir: Path | None, why: str = ""
) -> ModelUnavailable:
    """The error for weights that are not on disk: names the file and where to put it."""
    given = Path(weights).expanduser()
    if given.is_absolute() or cache_dir is None:
        where = f"put the file at {given}"
    else:
        where = f"put {given.name} at {cache_dir / given.name} (or give its full path)"
    reason = f" ({why})" if why else ""
    return ModelUnavailable(
        f"detector weights {given.name} not found{reason}: {where} and restart, "
        "or set HSI_DETECTOR_WEIGHTS to the .pt file; HSI_DETECTOR=opencv runs without weights"
    )


def _fetchable(weights: str | os.PathLike[str]) -> bool:
    """A bare official model name (yolo26n.pt...) that ultralytics can download when online."""
    given = Path(weights)
    return given.parent == Path(".") and given.suffix == ".pt" and given.name.startswith("yolo")


def resolve_device(device: str) -> str:
    """'auto' -> 'cuda:0' when torch sees a GPU, else 'cpu'; other values pass through."""
    if device != "auto":
        return device
    import torch

    return "cuda:0" if torch.cuda.is_available() else "cpu"


def load_yolo(weights: str | os.PathLike[str], cache_dir: Path | None, offline: bool | None = None) -> Any:
    """Load an ultralytics YOLO model from local weights, downloading official ones only if online.

    Raises ModelUnavailable naming the missing file; ultralytics is never asked for a file that
    is not on disk while offline (it would try GitHub and fail slowly).
    """
    offline = is_offline() if offline is None else offline
    path = locate_weights(weights, cache_dir)
    if path is None:
        if offline or not _fetchable(weights) or cache_dir is None:
            raise missing_weights(weights, cache_dir, "offline" if offline and _fetchable(weights) else "")
        cache_dir.mkdir(parents=True, exist_ok=True)
        target = cache_dir / Path(weights).name
        _LOG.info("detector=yolo step=download weights=%s dest=%s", Path(weights).name, target)
    else:
        target = path
    try:
        from ultralytics import YOLO  # type: ignore[attr-defined]
    except ImportError as exc:
        raise ModelUnavailable(
            f"loading {target} needs ultralytics and torch, which are not installed"
        ) from exc
    try:
        return YOLO(str(target), task="detect")
    except Exception as exc:  # ultralytics raises many types: download, unpickling, bad file
        if path is None:
            raise missing_weights(weights, cache_dir, f"download failed: {exc}") from exc
        raise ModelUnavailable(f"cannot load detector weights {target}: {exc}") from exc


def class_ids(names: dict[int, str], classes: Sequence[str] | None) -> list[int] | None:
    """Model class ids for the wanted labels (None = all), or ValueError naming an unknown label."""
    if classes is None:
        return None
    by_label = {label: idx for idx, label in names.items()}
    unknown = [c for c in classes if c not in by_label]
    if unknown:
        raise ValueError(
            f"unknown detector class(es) {', '.join(unknown)}; the model knows: {', '.join(names.values())}"
        )
    return sorted({by_label[c] for c in classes})


def export_tensorrt(
    pt_path: Path, cache_dir: Path, image_size: int = 640, max_batch: int = 32, half: bool = True
) -> Path:
    """Build a TensorRT engine of a YOLO .pt once (ultralytics `export(format="engine")`); cached.

    The engine is specific to the GPU model and TensorRT version it was built with: the file
    name carries the GPU's name, the .pt's content hash, the input size, the largest batch
    (dynamic batch axis) and the precision. Needs an NVIDIA GPU and the `tensorrt` package.
    """
    import hashlib
    import importlib.util
    import shutil
    import tempfile

    if importlib.util.find_spec("tensorrt") is None:
        raise ModelUnavailable(
            "the tensorrt detector needs the tensorrt package (pip install tensorrt) and an NVIDIA GPU"
        )
    import torch

    if not torch.cuda.is_available():
        raise ModelUnavailable("the tensorrt detector needs an NVIDIA GPU, and torch sees none")
    gpu = "".join(c if c.isalnum() else "-" for c in torch.cuda.get_device_name(0)).lower()
    digest = hashlib.sha256(pt_path.read_bytes()).hexdigest()[:16]
    precision = "fp16" if half else "fp32"
    target = cache_dir / f"{pt_path.stem}-{digest}-{image_size}-b{max_batch}-{precision}-{gpu}.engine"
    if target.is_file():
        return target
    cache_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache_dir, prefix=".export-") as tmp:
        work_pt = Path(tmp) / pt_path.name
        shutil.copyfile(pt_path, work_pt)
        model = load_yolo(work_pt, None, offline=True)
        try:
            exported = model.export(
                format="engine",
                imgsz=image_size,
                half=half,
                dynamic=True,
                batch=max_batch,
                device=0,
                verbose=False,
            )
        except Exception as exc:  # ultralytics wraps TensorRT's many failure types
            raise ModelUnavailable(f"cannot build a TensorRT engine from {pt_path}: {exc}") from exc
        os.replace(exported, target)
    _LOG.info("detector=tensorrt step=export weights=%s engine=%s", pt_path, target)
    return target


class YoloDetector:
    """Objects found by an ultralytics YOLO model (PyTorch), one predict call per batch of frames.

    With `tensorrt=True` (an NVIDIA GPU and the tensorrt package) the .pt is first built into a
    TensorRT engine (FP16 unless `half=False`) and ultralytics runs that instead."""

    name = "yolo"

    def __init__(
        self,
        weights: str | os.PathLike[str] = DEFAULT_WEIGHTS,
        *,
        confidence: float = 0.25,
        classes: Sequence[str] | None = None,
        image_size: int = 640,
        device: str = "auto",
        cache_dir: Path | None = None,
        max_batch: int = 32,
        iou: float = 0.7,
        offline: bool | None = None,
        tensorrt: bool = False,
        half: bool | None = None,
    ) -> None:
        if not 0.0 <= confidence <= 1.0:
            raise ValueError(f"confidence must be within 0..1, got {confidence}")
        self.confidence = confidence
        self.image_size = image_size
        self.max_batch = max(1, max_batch)
        self.iou = iou
        self.device = resolve_device(device)
        self.half = self.device.startswith("cuda") if half is None else half
        if self.half and not self.device.startswith("cuda"):
            raise ModelUnavailable(
                "precision fp16 needs an NVIDIA GPU (CUDA): use fp32, or int8 with onnx/openvino"
            )
        if tensorrt:
            self.name = "tensorrt"
            path = locate_weights(weights, cache_dir)
            if path is None:
                raise missing_weights(weights, cache_dir)
            if path.suffix != ".engine":
                path = export_tensorrt(path, cache_dir or path.parent, image_size, self.max_batch, self.half)
            weights = path
        self._model = load_yolo(weights, cache_dir, offline)
        self.names: dict[int, str] = {int(k): str(v) for k, v in self._model.names.items()}
        self._classes = class_ids(self.names, classes)
        self.weights = Path(self._model.ckpt_path or str(weights))
        # An ultralytics predictor holds per-call state: one caller at a time.
        self._lock = threading.Lock()

    def detect(self, frames: Sequence[np.ndarray]) -> list[list[Detection]]:
        """Detect objects in BGR uint8 frames; one list of detections per frame."""
        out: list[list[Detection]] = []
        for start in range(0, len(frames), self.max_batch):
            batch = list(frames[start : start + self.max_batch])
            for frame in batch:
                if frame.ndim != 3 or frame.shape[2] != 3:
                    raise ValueError(f"expected a BGR frame of shape (H, W, 3), got {frame.shape}")
            with self._lock:
                results = self._model.predict(
                    batch,
                    imgsz=self.image_size,
                    conf=self.confidence,
                    iou=self.iou,
                    classes=self._classes,
                    device=self.device,
                    # ultralytics' replacement for half=True; an engine has its precision built in
                    quantize=16 if self.half and self.name == "yolo" else None,
                    batch=len(batch),
                    verbose=False,
                )
            out.extend(self._to_detections(r) for r in results)
        return out

    def _to_detections(self, result: Any) -> list[Detection]:
        height, width = result.orig_shape[:2]
        boxes = result.boxes
        if boxes is None or len(boxes) == 0:
            return []
        xyxy = boxes.xyxy.float().cpu().numpy()
        conf = boxes.conf.float().cpu().numpy()
        cls = boxes.cls.cpu().numpy().astype(int)
        detections = []
        for b, s, c in zip(xyxy, conf, cls, strict=True):
            box = Box.from_pixels(float(b[0]), float(b[1]), float(b[2]), float(b[3]), width, height)
            if box.x2 - box.x1 < 1 / width or box.y2 - box.y1 < 1 / height:
                continue  # nothing of it inside the frame
            detections.append(Detection(self.names[int(c)], float(min(1.0, max(0.0, s))), box))
        return detections
