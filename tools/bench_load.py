"""The bench's load generator: a detector that returns recorded detections at a known cost.

Random-weight YOLO models (all that can be built without a model hub) find nothing at a usual
threshold, so a benchmark with them never loads windows, enrich, assess or publish. The replay
detector returns detections recorded once from the OpenCV person detector on the bundled sample
photos (bus.jpg, zidane.jpg), cycled in call order, so the later stages see real event counts.

Its cost is either a real detector's (the model runs, its output is discarded: `inner`) or a
fixed sleep per frame with one call at a time (no CPU used: `fixed_ms`). The output names which.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from inference_server.domain.detections import Box, Detection
from inference_server.ml.protocols import Detector


def record_detections(images: Sequence[Path], cache: Path) -> list[list[dict[str, Any]]]:
    """Detections of the OpenCV person detector on `images`, recorded once into `cache` (JSON).

    On the bundled photos: two people in bus.jpg, nobody in zidane.jpg (HOG misses the close-up),
    so the replay alternates frames with and without objects, like a real camera.
    """
    if cache.is_file():
        recorded: list[list[dict[str, Any]]] = json.loads(cache.read_text())
        if len(recorded) == len(images) and any(recorded):
            return recorded
    from inference_server.ml.detector_opencv import OpenCVPersonDetector

    detector = OpenCVPersonDetector(confidence=0.3)
    recorded = []
    for path in images:
        frame = cv2.imread(str(path))
        if frame is None:
            raise RuntimeError(f"cannot read sample image {path}")
        found = detector.detect([frame])[0]
        recorded.append(
            [{"label": d.label, "confidence": d.confidence, "box": d.box.as_list()} for d in found]
        )
    if not any(recorded):
        raise RuntimeError(f"the OpenCV person detector found nobody in {list(map(str, images))}")
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_text(json.dumps(recorded))
    return recorded


class ReplayDetector:
    """Returns recorded detections, cycled in call order, at a real or a fixed cost."""

    def __init__(
        self, recorded: list[list[dict[str, Any]]], *, inner: Detector | None = None, fixed_ms: float = 30.0
    ) -> None:
        if not recorded:
            raise ValueError("no recorded detections to replay")
        if inner is None and fixed_ms < 0:
            raise ValueError(f"fixed_ms must be >= 0, got {fixed_ms}")
        self._frames = [
            [Detection(d["label"], float(d["confidence"]), Box(*d["box"])) for d in frame]
            for frame in recorded
        ]
        self._inner = inner
        self._fixed_s = fixed_ms / 1000.0
        self._next = 0
        self._lock = threading.Lock()
        self.name = (
            f"replay(cost of {inner.name})" if inner is not None else f"replay(fixed {fixed_ms:g} ms/frame)"
        )

    def detect(self, frames: Sequence[np.ndarray]) -> list[list[Detection]]:
        """The next len(frames) recorded frames' detections, after paying the cost."""
        if self._inner is not None:
            self._inner.detect(frames)
        else:
            with self._lock:  # one engine: calls do not overlap, like a single inference session
                time.sleep(self._fixed_s * len(frames))
        with self._lock:
            start = self._next
            self._next += len(frames)
        return [list(self._frames[(start + i) % len(self._frames)]) for i in range(len(frames))]

    def close(self) -> None:
        """Close the inner detector when it has a close()."""
        close = getattr(self._inner, "close", None)
        if callable(close):
            close()
