"""INT8 copies of an exported YOLO model, calibrated on the home's own camera frames.

Post-training static quantization needs a few hundred typical input frames to fix the value
ranges of the activations. The best ones are the user's own: the media files the server already
stored (newest first, spread over the cameras). A new install has none yet, so it falls back to
the images bundled with ultralytics, and re-calibrates once enough stored frames exist (the
sidecar JSON of each quantized file records what it was calibrated on).

Two back ends: NNCF for OpenVINO (`quantize_openvino_int8`) and ONNX Runtime's static QDQ
quantization (`quantize_onnx_int8`). Both keep the box-decoding arithmetic of the detection head
in float, as ultralytics' own INT8 export does: quantizing the sums and products that turn grid
offsets into pixel boxes costs accuracy for little speed.
"""

from __future__ import annotations

import json
import logging
import os
import re
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from inference_server.ml.protocols import ModelUnavailable

_LOG = logging.getLogger(__name__)

# Fewer stored frames than this: calibrate on the bundled images and try again later.
MIN_STORED_FRAMES = 32
DEFAULT_CALIBRATION_FRAMES = 128
_IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")
_VIDEO_SUFFIXES = (".mp4",)


@dataclass(frozen=True, slots=True)
class CalibrationSource:
    """Where calibration frames come from: the stored media (`media_dir`) of this install."""

    media_dir: Path | None
    limit: int = DEFAULT_CALIBRATION_FRAMES


@dataclass(frozen=True, slots=True)
class CalibrationSet:
    """The frames a model is calibrated on, and where they came from ("stored" or "bundled")."""

    frames: list[np.ndarray]
    origin: str


def stored_media_files(media_dir: Path, limit: int) -> list[Path]:
    """Up to `limit` stored uploads (images first, then clips), newest first, round-robin over
    cameras so one busy camera does not make up the whole set. Quarantined files are skipped."""
    if not media_dir.is_dir():
        return []
    per_camera: list[list[tuple[float, Path]]] = []
    for camera in sorted(p for p in media_dir.iterdir() if p.is_dir() and p.name != "quarantine"):
        files: list[tuple[float, Path]] = []
        for root, _dirs, names in os.walk(camera):
            for name in names:
                if name.lower().endswith(_IMAGE_SUFFIXES + _VIDEO_SUFFIXES) and not name.startswith("."):
                    path = Path(root) / name
                    try:
                        files.append((path.stat().st_mtime, path))
                    except OSError:
                        continue
        # Images before clips (a clip costs a video decode), newest first within each.
        files.sort(key=lambda item: (item[1].suffix.lower() in _VIDEO_SUFFIXES, -item[0]))
        if files:
            per_camera.append(files)
    chosen: list[Path] = []
    depth = 0
    while len(chosen) < limit and any(depth < len(files) for files in per_camera):
        for files in per_camera:
            if depth < len(files) and len(chosen) < limit:
                chosen.append(files[depth][1])
        depth += 1
    return chosen


def _read_frame(path: Path, target_side: int) -> np.ndarray | None:
    from inference_server.ml.frames import UndecodableMedia, decode_image, sample_video_frames

    try:
        if path.suffix.lower() in _VIDEO_SUFFIXES:
            return sample_video_frames(path, 1.0, 1, target_side=target_side)[0][1]
        return decode_image(path.read_bytes(), target_side)
    except (UndecodableMedia, OSError, ValueError) as exc:
        _LOG.debug("calibration skipped path=%s reason=%s", path, exc)
        return None


def bundled_image_paths() -> list[Path]:
    """bus.jpg and zidane.jpg, the photos that ship inside the ultralytics wheel (not imported)."""
    import importlib.util

    spec = importlib.util.find_spec("ultralytics")
    if spec is None or not spec.submodule_search_locations:
        return []
    assets = Path(next(iter(spec.submodule_search_locations))) / "assets"
    return [p for p in (assets / "bus.jpg", assets / "zidane.jpg") if p.is_file()]


def bundled_frames(count: int = 16, seed: int = 0) -> list[np.ndarray]:
    """Frames made from the photos bundled with ultralytics: crops, flips and exposure changes,
    so the calibration sees more than two pictures' worth of value ranges."""
    sources = [img for p in bundled_image_paths() if (img := cv2.imread(str(p))) is not None]
    if not sources:
        raise ModelUnavailable("no calibration frames: the bundled sample images cannot be read")
    rng = np.random.default_rng(seed)
    out: list[np.ndarray] = []
    for i in range(count):
        src = sources[i % len(sources)]
        h, w = src.shape[:2]
        scale = rng.uniform(0.6, 1.0)
        ch, cw = int(h * scale), int(w * scale)
        y, x = int(rng.integers(0, h - ch + 1)), int(rng.integers(0, w - cw + 1))
        frame = src[y : y + ch, x : x + cw]
        if i % 2:
            frame = frame[:, ::-1]
        gain = rng.uniform(0.6, 1.3)
        out.append(np.clip(frame.astype(np.float32) * gain, 0, 255).astype(np.uint8))
    return out


def calibration_set(source: CalibrationSource | None, image_size: int) -> CalibrationSet:
    """The frames to calibrate on: stored media when there are enough, else the bundled images."""
    if source is not None and source.media_dir is not None:
        paths = stored_media_files(source.media_dir, source.limit)
        if len(paths) >= MIN_STORED_FRAMES:
            frames = [f for p in paths if (f := _read_frame(p, image_size)) is not None]
            if len(frames) >= MIN_STORED_FRAMES:
                return CalibrationSet(frames, "stored")
    return CalibrationSet(bundled_frames(), "bundled")


def _calibration_batches(frames: list[np.ndarray], image_size: int) -> Iterator[np.ndarray]:
    from inference_server.ml.detector_onnx import preprocess

    for frame in frames:
        yield preprocess([frame], image_size, rect=False)[0]


def needs_calibration(target: Path, source: CalibrationSource | None) -> bool:
    """True when `target` is missing, or was calibrated on bundled images while enough stored
    frames exist now."""
    meta = target.with_name(target.name + ".json")
    if not target.is_file() or not meta.is_file():
        return True
    try:
        info = json.loads(meta.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return True
    if info.get("origin") == "bundled" and source is not None and source.media_dir is not None:
        return len(stored_media_files(source.media_dir, MIN_STORED_FRAMES)) >= MIN_STORED_FRAMES
    return False


def _write_meta(target: Path, calibration: CalibrationSet, seconds: float, backend: str) -> None:
    meta = {
        "origin": calibration.origin,
        "frames": len(calibration.frames),
        "backend": backend,
        "seconds": round(seconds, 1),
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    target.with_name(target.name + ".json").write_text(json.dumps(meta), encoding="utf-8")


def head_index(node_names: list[str]) -> int | None:
    """The index of the detection head (the last `model.N` layer) in an exported YOLO graph."""
    found = [int(m.group(1)) for n in node_names if (m := re.search(r"model\.(\d+)", n))]
    return max(found) if found else None


def read_calibration_info(target: Path) -> dict[str, Any]:
    """What a quantized file was calibrated on (its sidecar JSON), or {} when unknown."""
    try:
        info: dict[str, Any] = json.loads(target.with_name(target.name + ".json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return info


# --------------------------------------------------------------------------- OpenVINO / NNCF


def quantize_openvino_int8(
    fp32_onnx: Path, cache_dir: Path, image_size: int, source: CalibrationSource | None
) -> Path:
    """An OpenVINO IR (.xml + .bin) of `fp32_onnx` quantized to INT8 by NNCF; cached."""
    target = fp32_onnx.parent / f"{fp32_onnx.stem}-int8-openvino.xml"
    if not needs_calibration(target, source):
        return target
    try:
        import nncf  # type: ignore[import-untyped]
        import openvino as ov  # type: ignore[import-untyped]
    except ImportError as exc:
        raise ModelUnavailable(f"INT8 with OpenVINO needs the openvino and nncf packages: {exc}") from exc
    started = time.monotonic()
    calibration = calibration_set(source, image_size)
    model = ov.Core().read_model(str(fp32_onnx))
    head = head_index([op.get_friendly_name() for op in model.get_ops()])
    ignored = None
    if head is not None:
        ignored = nncf.IgnoredScope(
            patterns=[
                rf".*model\.{head}/(Add|Sub|Mul|Div)[^/]*$",
                rf".*model\.{head}/dfl/.*",
            ],
            types=["Sigmoid"],
            validate=False,
        )
    batches = list(_calibration_batches(calibration.frames, image_size))
    try:
        quantized = nncf.quantize(
            model,
            nncf.Dataset(batches),
            preset=nncf.QuantizationPreset.MIXED,
            subset_size=len(batches),
            ignored_scope=ignored,
        )
    except Exception as exc:  # NNCF raises many types for graphs it cannot handle
        raise ModelUnavailable(f"cannot quantize {fp32_onnx.name} to INT8 with NNCF: {exc}") from exc
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".int8-") as tmp:
        tmp_xml = Path(tmp) / target.name
        ov.save_model(quantized, str(tmp_xml), compress_to_fp16=False)
        os.replace(tmp_xml.with_suffix(".bin"), target.with_suffix(".bin"))
        os.replace(tmp_xml, target)
    seconds = time.monotonic() - started
    _write_meta(target, calibration, seconds, "nncf")
    _LOG.info(
        "detector=openvino step=quantize precision=int8 frames=%d origin=%s seconds=%.1f model=%s",
        len(calibration.frames),
        calibration.origin,
        seconds,
        target,
    )
    return target


# --------------------------------------------------------------------------- ONNX Runtime


def quantize_onnx_int8(
    fp32_onnx: Path, cache_dir: Path, image_size: int, source: CalibrationSource | None
) -> Path:
    """An ONNX model with INT8 QDQ convolutions (ONNX Runtime static quantization); cached.

    Only convolutions are quantized (per channel, signed weights, unsigned activations: the
    VNNI-friendly layout ONNX Runtime fuses into QLinearConv); the detection head stays float. The class-name metadata is copied over, so the file loads like the FP32 one."""
    target = fp32_onnx.parent / f"{fp32_onnx.stem}-int8-qdq.onnx"
    if not needs_calibration(target, source):
        return target
    import onnx
    from onnxruntime.quantization import (
        CalibrationDataReader,
        CalibrationMethod,
        QuantFormat,
        QuantType,
        quantize_static,
    )

    started = time.monotonic()
    calibration = calibration_set(source, image_size)
    graph_model = onnx.load(str(fp32_onnx))
    input_name = graph_model.graph.input[0].name
    head = head_index([n.name for n in graph_model.graph.node])
    # The whole head stays float: its output convolutions have tiny weights and large biases
    # (more so with random weights), and quantizing them flattened every class score to zero.
    excluded = [n.name for n in graph_model.graph.node if head is not None and f"model.{head}/" in n.name]
    batches = list(_calibration_batches(calibration.frames, image_size))

    class _Reader(CalibrationDataReader):  # type: ignore[misc]
        def __init__(self) -> None:
            self._it = iter(batches)

        def get_next(self) -> dict[str, np.ndarray] | None:
            batch = next(self._it, None)
            return None if batch is None else {input_name: batch}

    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".int8-") as tmp:
        tmp_out = Path(tmp) / target.name
        try:
            quantize_static(
                str(fp32_onnx),
                str(tmp_out),
                _Reader(),
                quant_format=QuantFormat.QDQ,
                op_types_to_quantize=["Conv"],
                per_channel=True,
                activation_type=QuantType.QUInt8,
                weight_type=QuantType.QInt8,
                nodes_to_exclude=excluded,
                calibrate_method=CalibrationMethod.MinMax,
            )
        except Exception as exc:  # onnxruntime raises many types for graphs it cannot handle
            raise ModelUnavailable(
                f"cannot quantize {fp32_onnx.name} to INT8 with ONNX Runtime: {exc}"
            ) from exc
        quantized = onnx.load(str(tmp_out))
        present = {p.key for p in quantized.metadata_props}
        for prop in graph_model.metadata_props:
            if prop.key not in present:
                quantized.metadata_props.add(key=prop.key, value=prop.value)
        onnx.save(quantized, str(tmp_out))
        os.replace(tmp_out, target)
    seconds = time.monotonic() - started
    _write_meta(target, calibration, seconds, "onnxruntime")
    _LOG.info(
        "detector=onnx step=quantize precision=int8 frames=%d origin=%s seconds=%.1f model=%s",
        len(calibration.frames),
        calibration.origin,
        seconds,
        target,
    )
    return target
