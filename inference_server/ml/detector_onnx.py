"""YOLO run with ONNX Runtime: the CPU backend (faster than PyTorch there), no torch at run time.

A .pt model is exported once to ONNX into the cache directory, keyed by the content hash of the
.pt and the image size, and reused afterwards; a .onnx file is used as given. Pre- and
post-processing are plain numpy + OpenCV, so the result only depends on the ONNX file.
"""

from __future__ import annotations

import ast
import hashlib
import logging
import os
import shutil
import tempfile
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import cv2
import numpy as np

from inference_server.domain.detections import Box, Detection
from inference_server.ml.detector_yolo import (
    DEFAULT_WEIGHTS,
    class_ids,
    load_yolo,
    locate_weights,
    missing_weights,
)
from inference_server.ml.protocols import ModelUnavailable

if TYPE_CHECKING:
    from inference_server.ml.quantize import CalibrationSource

_LOG = logging.getLogger(__name__)

_PAD_VALUE = 114  # ultralytics' letterbox grey
_STRIDE = 32  # the largest YOLO feature stride: input sides must be multiples of it
_MAX_DETECTIONS = 300


@dataclass(frozen=True, slots=True)
class Letterbox:
    """How a frame was fitted into the model input: scaled, then padded."""

    scale: float
    pad_x: float
    pad_y: float
    width: int
    height: int


def input_shape(height: int, width: int, size: int, rect: bool) -> tuple[int, int]:
    """The model input (h, w) for a frame: size x size, or with `rect` the resized frame padded
    only up to a multiple of the model stride (ultralytics' rectangular letterbox: a 16:9
    camera runs at 384x640, 40% less work than 640x640)."""
    if not rect:
        return size, size
    scale = min(size / height, size / width)
    new_w, new_h = round(width * scale), round(height * scale)
    return new_h + (size - new_h) % _STRIDE, new_w + (size - new_w) % _STRIDE


def letterbox(frame: np.ndarray, size: int, rect: bool = False) -> tuple[np.ndarray, Letterbox]:
    """Resize keeping the aspect ratio to fit size x size, then pad (centred, grey) like ultralytics."""
    height, width = frame.shape[:2]
    scale = min(size / height, size / width)
    new_w, new_h = round(width * scale), round(height * scale)
    if (new_w, new_h) != (width, height):
        frame = cv2.resize(frame, (new_w, new_h), interpolation=cv2.INTER_LINEAR)
    target_h, target_w = input_shape(height, width, size, rect)
    pad_x, pad_y = (target_w - new_w) / 2, (target_h - new_h) / 2
    top, bottom = round(pad_y - 0.1), round(pad_y + 0.1)
    left, right = round(pad_x - 0.1), round(pad_x + 0.1)
    padded = cv2.copyMakeBorder(
        frame, top, bottom, left, right, cv2.BORDER_CONSTANT, value=(_PAD_VALUE, _PAD_VALUE, _PAD_VALUE)
    )
    return padded, Letterbox(scale, float(left), float(top), width, height)


def preprocess(
    frames: Sequence[np.ndarray], size: int, rect: bool = False
) -> tuple[np.ndarray, list[Letterbox]]:
    """BGR uint8 frames -> float32 NCHW RGB batch in 0..1, plus each frame's letterbox.

    With `rect`, all frames must have the same input shape (see `input_shape`)."""
    shapes = {input_shape(f.shape[0], f.shape[1], size, rect) for f in frames}
    if len(shapes) > 1:
        raise ValueError(f"frames of one batch need one input shape, got {sorted(shapes)}")
    height, width = shapes.pop() if shapes else (size, size)
    batch = np.empty((len(frames), 3, height, width), dtype=np.float32)
    boxes = []
    for i, frame in enumerate(frames):
        padded, lb = letterbox(frame, size, rect)
        # BGR -> RGB and HWC -> CHW in one strided copy, then scale.
        np.multiply(padded[:, :, ::-1].transpose(2, 0, 1), 1.0 / 255.0, out=batch[i], casting="unsafe")
        boxes.append(lb)
    return batch, boxes


def export_onnx(pt_path: Path, cache_dir: Path, image_size: int = 640) -> Path:
    """Export a YOLO .pt to ONNX once; later calls return the cached file.

    The file name carries the .pt's content hash and the image size, so replacing the weights
    triggers a new export and a stale ONNX is never used. The batch axis is dynamic.
    """
    digest = _sha256(pt_path)[:16]
    target = cache_dir / f"{pt_path.stem}-{digest}-{image_size}.onnx"
    if target.is_file():
        return target
    cache_dir.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    # Export beside a private copy: the weights' folder may be read-only, and concurrent workers
    # must not see a half-written file (os.replace is atomic).
    with tempfile.TemporaryDirectory(dir=cache_dir, prefix=".export-") as tmp:
        work_pt = Path(tmp) / pt_path.name
        shutil.copyfile(pt_path, work_pt)
        model = load_yolo(work_pt, None, offline=True)
        try:
            with warnings.catch_warnings():
                # torch announces its new exporter on every export: not actionable here.
                warnings.simplefilter("ignore", DeprecationWarning)
                # No onnxslim pass: it takes 4x the export time and ONNX Runtime's own graph
                # optimisation gives the same speed (measured on yolo26n).
                exported = model.export(
                    format="onnx", imgsz=image_size, dynamic=True, simplify=False, device="cpu", verbose=False
                )
        except Exception as exc:  # ultralytics wraps many failures (missing onnx, bad model)
            raise ModelUnavailable(f"cannot export {pt_path} to ONNX: {exc}") from exc
        os.replace(exported, target)
    _LOG.info(
        "detector=onnx step=export weights=%s onnx=%s seconds=%.1f",
        pt_path,
        target,
        time.monotonic() - started,
    )
    return target


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


class ExportedYolo:
    """Shared pre- and post-processing of a YOLO model exported to a tensor runtime.

    A subclass loads the model and implements `_run` (one NCHW float32 batch in, the raw output
    tensor out); batching by input shape, letterboxing, decoding and NMS live here, so every
    runtime (ONNX Runtime, OpenVINO, fp32 or int8) turns the same tensor into the same boxes.
    """

    name = "exported"
    names: dict[int, str]
    confidence: float
    iou: float
    image_size: int
    max_batch: int
    _rect: bool
    _fixed_batch: int | None
    _classes: list[int] | None

    def _run(self, batch: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def raw_outputs(self, frames: Sequence[np.ndarray]) -> list[np.ndarray]:
        """The model's raw output tensor for each frame (one frame per call, no thresholds):
        what the INT8 agreement check compares with the FP32 model."""
        out = []
        for frame in frames:
            batch, _ = preprocess([frame], self.image_size, self._rect)
            out.append(np.asarray(self._run(self._pad_batch(batch))[0], dtype=np.float32))
        return out

    def _pad_batch(self, batch: np.ndarray) -> np.ndarray:
        if self._fixed_batch and len(batch) < self._fixed_batch:  # static export: pad the batch
            filler = np.zeros((self._fixed_batch - len(batch), *batch.shape[1:]), dtype=batch.dtype)
            batch = np.concatenate([batch, filler])
        return batch

    def detect(self, frames: Sequence[np.ndarray]) -> list[list[Detection]]:
        """Detect objects in BGR uint8 frames; one list of detections per frame.

        Frames are run in batches of up to `max_batch`, grouped by input shape (frames of one
        camera share it), so each group is one runtime call."""
        for frame in frames:
            if frame.ndim != 3 or frame.shape[2] != 3:
                raise ValueError(f"expected a BGR frame of shape (H, W, 3), got {frame.shape}")
        groups: dict[tuple[int, int], list[int]] = {}
        for i, frame in enumerate(frames):
            shape = input_shape(frame.shape[0], frame.shape[1], self.image_size, self._rect)
            groups.setdefault(shape, []).append(i)
        out: list[list[Detection]] = [[] for _ in frames]
        step = self._fixed_batch or self.max_batch
        for indices in groups.values():
            for start in range(0, len(indices), step):
                chunk = indices[start : start + step]
                batch, boxes = preprocess([frames[i] for i in chunk], self.image_size, self._rect)
                raw = self._run(self._pad_batch(batch))
                for row, (i, lb) in enumerate(zip(chunk, boxes, strict=True)):
                    out[i] = self._postprocess(raw[row], lb)
        return out

    def _postprocess(self, pred: np.ndarray, lb: Letterbox) -> list[Detection]:
        xyxy, scores, cls = decode_output(pred, len(self.names))
        keep = scores >= self.confidence
        if self._classes is not None:
            keep &= np.isin(cls, self._classes)
        xyxy, scores, cls = xyxy[keep], scores[keep], cls[keep]
        if pred.shape[-1] != 6 and len(scores):  # raw head: needs NMS, per class
            wh = xyxy[:, 2:4] - xyxy[:, 0:2]
            kept = cv2.dnn.NMSBoxesBatched(
                np.concatenate([xyxy[:, :2], wh], axis=1).tolist(),
                scores.tolist(),
                cls.tolist(),
                self.confidence,
                self.iou,
            )
            idx = np.asarray(kept, dtype=int).reshape(-1)
            xyxy, scores, cls = xyxy[idx], scores[idx], cls[idx]
        order = np.argsort(-scores)[:_MAX_DETECTIONS]
        detections = []
        for i in order:
            x1, y1, x2, y2 = (float(v) for v in xyxy[i])
            box = Box.from_pixels(
                (x1 - lb.pad_x) / lb.scale,
                (y1 - lb.pad_y) / lb.scale,
                (x2 - lb.pad_x) / lb.scale,
                (y2 - lb.pad_y) / lb.scale,
                lb.width,
                lb.height,
            )
            if box.x2 - box.x1 < 1 / lb.width or box.y2 - box.y1 < 1 / lb.height:
                continue  # wholly in the padding: nothing left after clipping to the frame
            label = self.names.get(int(cls[i]), str(int(cls[i])))
            detections.append(Detection(label, float(min(1.0, scores[i])), box))
        return detections


class OnnxDetector(ExportedYolo):
    """Objects found by a YOLO model exported to ONNX, run with ONNX Runtime.

    `precision="int8"` runs a statically quantized copy (ONNX Runtime QDQ, calibrated on
    `calibration` frames, see `ml/quantize.py`), made once and cached beside the FP32 file.
    """

    name = "onnx"

    def __init__(
        self,
        weights: str | os.PathLike[str] = DEFAULT_WEIGHTS,
        *,
        confidence: float = 0.25,
        classes: Sequence[str] | None = None,
        image_size: int = 640,
        cache_dir: Path,
        device: str = "auto",
        intra_op_threads: int = 0,
        iou: float = 0.7,
        max_batch: int = 16,
        precision: str = "fp32",
        calibration: CalibrationSource | None = None,
    ) -> None:
        if not 0.0 <= confidence <= 1.0:
            raise ValueError(f"confidence must be within 0..1, got {confidence}")
        if precision not in ("fp32", "int8"):
            raise ValueError(f"ONNX Runtime runs precision fp32 or int8, not {precision!r}")
        import onnxruntime as ort

        path = locate_weights(weights, cache_dir)
        if path is None:
            raise missing_weights(weights, cache_dir)
        self.onnx_path = path if path.suffix == ".onnx" else export_onnx(path, cache_dir, image_size)
        self.precision = precision
        if precision == "int8":
            from inference_server.ml.quantize import quantize_onnx_int8

            self.onnx_path = quantize_onnx_int8(self.onnx_path, cache_dir, image_size, calibration)
        self.confidence = confidence
        self.iou = iou
        self.max_batch = max(1, max_batch)

        options = ort.SessionOptions()
        options.intra_op_num_threads = intra_op_threads  # 0 = ONNX Runtime's default (all cores)
        # Idle worker threads sleep instead of spinning: the detector shares the CPU with decoding
        # and the other stages; on a busy 2-core box spinning cost 30-60% more latency per image.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        providers = ["CPUExecutionProvider"]
        if device != "cpu" and "CUDAExecutionProvider" in ort.get_available_providers():
            providers.insert(0, "CUDAExecutionProvider")
        try:
            self._session = ort.InferenceSession(str(self.onnx_path), options, providers=providers)
        except Exception as exc:  # onnxruntime raises its own Fail/InvalidGraph types
            raise ModelUnavailable(f"cannot load ONNX model {self.onnx_path}: {exc}") from exc
        self.providers: list[str] = self._session.get_providers()

        meta = self._session.get_modelmeta().custom_metadata_map
        self.names = parse_names(meta.get("names"))
        model_input = self._session.get_inputs()[0]
        self._input_name = model_input.name
        batch_dim, _, height_dim, _ = model_input.shape
        self._fixed_batch = batch_dim if isinstance(batch_dim, int) else None
        # A static export decides the input size; a dynamic one takes ours, trimmed to the frame.
        self.image_size = height_dim if isinstance(height_dim, int) else image_size
        self._rect = not isinstance(height_dim, int)
        self._classes = class_ids(self.names, classes)
        _LOG.info(
            "detector=onnx model=%s precision=%s providers=%s image_size=%d",
            self.onnx_path.name,
            precision,
            ",".join(self.providers),
            self.image_size,
        )

    def _run(self, batch: np.ndarray) -> np.ndarray:
        out: np.ndarray = self._session.run(None, {self._input_name: batch})[0]
        return out


def decode_output(pred: np.ndarray, num_classes: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One image's raw model output -> (xyxy pixels in the model input, scores, class ids).

    Handles the layouts ultralytics exports: the raw head (4 + classes, anchors), transposed
    (anchors, 4 + classes), and the end-to-end NMS-free head (max detections, 6) of YOLO26 /
    YOLOv10 with rows [x1, y1, x2, y2, score, class].
    """
    if pred.ndim != 2:
        raise ValueError(f"unexpected detector output shape {pred.shape}")
    if pred.shape[1] == 6 and pred.shape[0] != 4 + num_classes:
        return pred[:, :4].astype(np.float32), pred[:, 4].astype(np.float32), pred[:, 5].astype(int)
    if pred.shape[0] == 4 + num_classes:
        pred = pred.T
    elif pred.shape[1] != 4 + num_classes:
        raise ValueError(f"unexpected detector output shape {pred.shape} for {num_classes} classes")
    cxcywh, class_scores = pred[:, :4], pred[:, 4:]
    cls = class_scores.argmax(axis=1)
    scores = class_scores[np.arange(len(cls)), cls].astype(np.float32)
    half = cxcywh[:, 2:4] / 2
    xyxy = np.concatenate([cxcywh[:, :2] - half, cxcywh[:, :2] + half], axis=1).astype(np.float32)
    return xyxy, scores, cls


def parse_names(raw: Any) -> dict[int, str]:
    """ultralytics stores class names in the ONNX metadata as a Python dict literal."""
    if not raw:
        raise ModelUnavailable("the ONNX model has no 'names' metadata: export it with ultralytics")
    names = ast.literal_eval(raw)
    return {int(k): str(v) for k, v in names.items()}
