"""The raw detector loop: frames straight into `detect`, no queue, no I/O.

This is the physical limit of a machine: the pipeline benchmark reports its own throughput as a
fraction of this number.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from inference_server.ml.protocols import Detector


def raw_detector_loop(
    detector: Detector, frames: Sequence[np.ndarray], batch_size: int, *, warmup_batches: int = 1
) -> dict[str, Any]:
    """Time `detector.detect` over `frames` in batches of `batch_size`.

    The first `warmup_batches` batches (lazy initialisation, kernel selection) run untimed, taken
    from the start of `frames`. Per-image times are each batch's time divided by its size.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    if not frames:
        raise ValueError("no frames to benchmark")
    batches = [list(frames[i : i + batch_size]) for i in range(0, len(frames), batch_size)]
    for batch in batches[:warmup_batches]:
        detector.detect(batch)

    per_image_ms: list[float] = []
    detections = 0
    started = time.perf_counter()
    for batch in batches:
        t0 = time.perf_counter()
        found = detector.detect(batch)
        elapsed_ms = (time.perf_counter() - t0) * 1000.0
        per_image_ms.extend([elapsed_ms / len(batch)] * len(batch))
        detections += sum(len(f) for f in found)
    total = time.perf_counter() - started

    times = np.asarray(per_image_ms)
    return {
        "detector": detector.name,
        "images": len(frames),
        "batch_size": batch_size,
        "seconds": round(total, 4),
        "images_per_second": round(len(frames) / total, 2) if total > 0 else float("inf"),
        "per_image_ms_p50": round(float(np.percentile(times, 50)), 2),
        "per_image_ms_p95": round(float(np.percentile(times, 95)), 2),
        "detections": detections,
    }
