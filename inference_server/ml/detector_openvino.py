"""YOLO run with OpenVINO on the CPU: FP32, or INT8 quantized by NNCF on the home's own frames.

The model is the same ONNX export the ONNX Runtime backend uses (made once from the .pt and
cached), read by OpenVINO directly; INT8 is an OpenVINO IR made from it once (see
`ml/quantize.py`). An OpenVINO IR exported by ultralytics (`yolo export format=openvino`, a
folder with the .xml, .bin and metadata.yaml) is used as given. Pre- and post-processing are
the ONNX backend's (`ExportedYolo`), so the runtimes differ only in how the tensor is computed.
No torch at run time.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from inference_server.ml.detector_onnx import ExportedYolo, export_onnx, parse_names
from inference_server.ml.detector_yolo import DEFAULT_WEIGHTS, class_ids, locate_weights, missing_weights
from inference_server.ml.protocols import ModelUnavailable
from inference_server.ml.quantize import CalibrationSource, quantize_openvino_int8, read_calibration_info

_LOG = logging.getLogger(__name__)

PRECISIONS = ("fp32", "int8")


def onnx_names(onnx_path: Path) -> dict[int, str]:
    """Class names from the metadata ultralytics writes into an ONNX export."""
    import onnx

    model = onnx.load(str(onnx_path), load_external_data=False)
    meta = {p.key: p.value for p in model.metadata_props}
    return parse_names(meta.get("names"))


def ir_names(xml_path: Path) -> dict[int, str]:
    """Class names of an OpenVINO IR: our sidecar JSON, or ultralytics' metadata.yaml beside it."""
    sidecar = xml_path.with_name(xml_path.name + ".names.json")
    if sidecar.is_file():
        return {int(k): str(v) for k, v in json.loads(sidecar.read_text(encoding="utf-8")).items()}
    metadata = xml_path.parent / "metadata.yaml"
    if metadata.is_file():
        import yaml

        doc = yaml.safe_load(metadata.read_text(encoding="utf-8")) or {}
        names = doc.get("names")
        if isinstance(names, dict):
            return {int(k): str(v) for k, v in names.items()}
    raise ModelUnavailable(
        f"the OpenVINO model {xml_path} has no class names: export it with ultralytics "
        "(it writes metadata.yaml beside the .xml) or give the .pt/.onnx instead"
    )


class OpenVinoDetector(ExportedYolo):
    """Objects found by a YOLO model run with OpenVINO (CPU), FP32 or INT8."""

    name = "openvino"

    def __init__(
        self,
        weights: str | os.PathLike[str] = DEFAULT_WEIGHTS,
        *,
        confidence: float = 0.25,
        classes: Sequence[str] | None = None,
        image_size: int = 640,
        cache_dir: Path,
        precision: str = "fp32",
        threads: int = 0,
        iou: float = 0.7,
        max_batch: int = 16,
        device: str = "CPU",
        calibration: CalibrationSource | None = None,
    ) -> None:
        if not 0.0 <= confidence <= 1.0:
            raise ValueError(f"confidence must be within 0..1, got {confidence}")
        if precision not in PRECISIONS:
            raise ValueError(f"OpenVINO runs precision {' or '.join(PRECISIONS)}, not {precision!r}")
        try:
            import openvino as ov  # type: ignore[import-untyped]
        except ImportError as exc:
            raise ModelUnavailable(f"the openvino detector needs the openvino package: {exc}") from exc

        path = locate_weights(weights, cache_dir)
        if path is None:
            raise missing_weights(weights, cache_dir)
        self.precision = precision
        self.calibration: dict[str, Any] = {}
        if path.suffix == ".xml":
            model_path = path
            self.names = ir_names(path)
        else:
            onnx_path = path if path.suffix == ".onnx" else export_onnx(path, cache_dir, image_size)
            self.names = onnx_names(onnx_path)
            model_path = onnx_path
            if precision == "int8":
                model_path = quantize_openvino_int8(onnx_path, cache_dir, image_size, calibration)
                self.calibration = read_calibration_info(model_path)
        self.model_path = model_path
        self.confidence = confidence
        self.iou = iou
        self.max_batch = max(1, max_batch)

        core = ov.Core()
        # Compiled kernels are cached on disk: the second start-up compiles in a fraction of the time.
        core.set_property({"CACHE_DIR": str(cache_dir / "openvino-cache")})
        config: dict[str, Any] = {
            "PERFORMANCE_HINT": "LATENCY",
            # FP32 means FP32: without the hint, CPUs with BF16 units may run in BF16.
            "INFERENCE_PRECISION_HINT": "f32",
            # Do not pin threads to cores: the detector shares a small CPU with decoding and
            # the other stages (and, on a Home Assistant host, with everything else).
            "ENABLE_CPU_PINNING": False,
        }
        if threads > 0:
            config["INFERENCE_NUM_THREADS"] = threads
        try:
            model = core.read_model(str(model_path))
            self._compiled = core.compile_model(model, device, config)
        except Exception as exc:  # openvino raises RuntimeError subclasses with long messages
            raise ModelUnavailable(f"cannot load OpenVINO model {model_path}: {exc}") from exc
        self._request = self._compiled.create_infer_request()
        self._output = self._compiled.output(0)
        shape = model.input(0).get_partial_shape()
        batch_dim, height_dim = shape[0], shape[2]
        self._fixed_batch = batch_dim.get_length() if batch_dim.is_static else None
        self.image_size = height_dim.get_length() if height_dim.is_static else image_size
        self._rect = not height_dim.is_static
        self._classes = class_ids(self.names, classes)
        _LOG.info(
            "detector=openvino model=%s precision=%s device=%s image_size=%d calibration=%s",
            model_path.name,
            precision,
            device,
            self.image_size,
            self.calibration.get("origin", "-"),
        )

    def _run(self, batch: np.ndarray) -> np.ndarray:
        result = self._request.infer({0: batch})
        out: np.ndarray = np.array(result[self._output], copy=True)
        return out
