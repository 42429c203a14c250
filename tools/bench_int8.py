"""`hsi bench --int8`: INT8 against FP32 on the bundled photos (agreement) and on camera frames (speed).

For each CPU runtime (ONNX Runtime static QDQ, OpenVINO + NNCF), the same random-weight YOLO26n
ONNX export in FP32 and INT8 (calibrated as a new install is: on the bundled images):

- agreement: the Pearson correlation of the raw output tensors on bus.jpg and zidane.jpg, and
  the share of FP32's top-20 boxes (at a near-zero threshold: random weights score low) that
  INT8 also finds with the same label and IoU >= 0.5;
- speed: the raw detector loop over 1280x720 frames for each thread setting and batch size,
  and INT8/FP32.

A random-weight model's output hardly depends on the image (constant scores, boxes on the anchor
grid): agreement on it is trivially perfect and says nothing about INT8 accuracy. The report says
so (`informative: false`, from the spread of FP32's class scores); pass trained weights
(HSI_DETECTOR_WEIGHTS, e.g. from `hsi models`) for a meaningful agreement.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from inference_server.domain.detections import Detection
from tests.support.models import sample_images
from tools.bench_detector import raw_detector_loop

LOW_CONF = 0.0001
TOP = 20


def box_agreement(reference: list[Detection], other: list[Detection], top: int = TOP) -> float:
    """Share of reference's `top` most confident boxes that `other` has (same label, IoU >= 0.5)."""
    ref = sorted(reference, key=lambda d: -d.confidence)[:top]
    if not ref:
        return 1.0 if not other else 0.0
    found = sum(1 for r in ref if any(o.label == r.label and o.box.iou(r.box) >= 0.5 for o in other))
    return found / len(ref)


def int8_report(
    onnx_path: Path,
    cache_dir: Path,
    frames: Sequence[np.ndarray],
    *,
    runtimes: Sequence[str] = ("onnx", "openvino"),
    thread_settings: Sequence[int] = (1, 0),
    batches: Sequence[int] = (1, 8),
) -> dict[str, Any]:
    """Agreement and speed of INT8 against FP32, per runtime and thread setting."""
    import cv2

    from inference_server.ml.detectors import build_detector
    from inference_server.ml.protocols import ModelUnavailable

    photos = [np.asarray(cv2.imread(str(p))) for p in sample_images()]
    names = [p.name for p in sample_images()]
    out: dict[str, Any] = {"model": onnx_path.name, "frames": len(frames), "runtimes": {}}
    for runtime in runtimes:
        entry: dict[str, Any] = {}
        try:
            low = {
                precision: build_detector(
                    runtime,
                    str(onnx_path),
                    confidence=LOW_CONF,
                    classes=None,
                    cache_dir=cache_dir,
                    precision=precision,
                )
                for precision in ("fp32", "int8")
            }
        except ModelUnavailable as exc:
            out["runtimes"][runtime] = {"unavailable": str(exc)}
            continue
        fp32, int8 = low["fp32"], low["int8"]
        raw32 = fp32.raw_outputs(photos)  # type: ignore[attr-defined]
        raw8 = int8.raw_outputs(photos)  # type: ignore[attr-defined]
        det32, det8 = fp32.detect(photos), int8.detect(photos)
        spread = max(float(a[4:].std()) for a in raw32)  # rows 4.. are the class scores
        entry["informative"] = spread > 1e-3
        entry["fp32_score_spread"] = round(spread, 6)
        entry["agreement"] = {
            name: {
                "raw_output_correlation": round(float(np.corrcoef(a.ravel(), b.ravel())[0, 1]), 4),
                f"top{TOP}_boxes_matched": round(box_agreement(d32, d8), 3),
            }
            for name, a, b, d32, d8 in zip(names, raw32, raw8, det32, det8, strict=True)
        }
        speed: dict[str, Any] = {}
        for threads in thread_settings:
            dets = {
                precision: build_detector(
                    runtime,
                    str(onnx_path),
                    confidence=0.25,
                    classes=None,
                    cache_dir=cache_dir,
                    precision=precision,
                    intra_op_threads=threads,
                )
                for precision in ("fp32", "int8")
            }
            for batch in batches:
                row: dict[str, Any] = {}
                for precision, det in dets.items():
                    r = raw_detector_loop(det, frames, batch)
                    row[precision] = {
                        "images_per_second": r["images_per_second"],
                        "per_image_ms_p50": r["per_image_ms_p50"],
                    }
                row["int8_speedup"] = round(
                    row["int8"]["images_per_second"] / row["fp32"]["images_per_second"], 3
                )
                speed[f"threads={threads or 'per-core'},batch={batch}"] = row
        entry["speed"] = speed
        out["runtimes"][runtime] = entry
    return out


def print_int8(r: dict[str, Any]) -> None:
    """One block per runtime: agreement per photo, speed per thread setting."""
    print(f"\nINT8 vs FP32 on {r['model']} ({r['frames']} frames of 1280x720)")
    for runtime, entry in r["runtimes"].items():
        if "unavailable" in entry:
            print(f"  {runtime:9s} unavailable: {entry['unavailable']}")
            continue
        agree = ", ".join(
            f"{name}: r={a['raw_output_correlation']}, top{TOP} boxes {a[f'top{TOP}_boxes_matched']:.0%}"
            for name, a in entry["agreement"].items()
        )
        note = "" if entry["informative"] else "  (random weights: output ignores the image, NOT informative)"
        print(f"  {runtime:9s} agreement  {agree}{note}")
        for setting, row in entry["speed"].items():
            print(
                f"  {runtime:9s} {setting:26s} fp32 {row['fp32']['images_per_second']:7.2f} img/s, "
                f"int8 {row['int8']['images_per_second']:7.2f} img/s  -> x{row['int8_speedup']}"
            )
