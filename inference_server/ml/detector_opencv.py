"""An offline person detector that needs no downloaded weights: OpenCV's bundled HOG + linear SVM.

It is the fallback when no YOLO weights are on disk: slower per pixel and far less accurate than
YOLO, persons only, but always available, so the pipeline runs on a fresh offline install.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Sequence

import cv2
import numpy as np

from inference_server.domain.detections import Box, Detection

# HOG's detection window is 64x128 pixels: a person must be at least that tall after scaling.
_WINDOW_HEIGHT = 128
_WINDOW_WIDTH = 64


class OpenCVPersonDetector:
    """Persons found by OpenCV's default HOG people detector (Dalal-Triggs), label "person".

    The SVM margin is mapped to a 0..1 confidence with a logistic curve centred on `margin_mid`:
    margin 0 (the SVM's own decision boundary) maps to about 0.18, margin 1.0 to 0.5, a margin of
    2 or more (a clear upright person) to above 0.9.
    """

    name = "opencv"
    labels: tuple[str, ...] = ("person",)

    def __init__(
        self,
        *,
        confidence: float = 0.5,
        max_side: int = 640,
        scale: float = 1.05,
        nms_iou: float = 0.45,
        margin_mid: float = 1.0,
        margin_slope: float = 1.5,
    ) -> None:
        if not 0.0 <= confidence <= 1.0:
            raise ValueError(f"confidence must be within 0..1, got {confidence}")
        if max_side < _WINDOW_HEIGHT:
            raise ValueError(f"max_side must be at least {_WINDOW_HEIGHT}, got {max_side}")
        self.confidence = confidence
        self.max_side = max_side
        self.scale = scale
        self.nms_iou = nms_iou
        self.margin_mid = margin_mid
        self.margin_slope = margin_slope
        self._hog = cv2.HOGDescriptor()
        self._hog.setSVMDetector(cv2.HOGDescriptor_getDefaultPeopleDetector())
        # detectMultiScale parallelises internally; serialising callers keeps the core count honest.
        self._lock = threading.Lock()

    def margin_to_confidence(self, margin: float) -> float:
        """Map an SVM margin to a confidence in 0..1 (monotonic, logistic)."""
        return 1.0 / (1.0 + math.exp(-self.margin_slope * (margin - self.margin_mid)))

    def detect(self, frames: Sequence[np.ndarray]) -> list[list[Detection]]:
        """Detect persons in BGR uint8 frames; one list of detections per frame."""
        return [self._detect_one(frame) for frame in frames]

    def _detect_one(self, frame: np.ndarray) -> list[Detection]:
        if frame.ndim != 3 or frame.shape[2] != 3:
            raise ValueError(f"expected a BGR frame of shape (H, W, 3), got {frame.shape}")
        height, width = frame.shape[:2]
        factor = min(1.0, self.max_side / max(height, width))
        small = frame
        if factor < 1.0:
            small = cv2.resize(frame, (round(width * factor), round(height * factor)), interpolation=cv2.INTER_AREA)
        if small.shape[0] < _WINDOW_HEIGHT or small.shape[1] < _WINDOW_WIDTH:
            return []
        gray = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY)
        with self._lock:
            rects, margins = self._hog.detectMultiScale(gray, winStride=(8, 8), padding=(8, 8), scale=self.scale)
        if len(rects) == 0:
            return []
        scores = [self.margin_to_confidence(float(m)) for m in np.asarray(margins).reshape(-1)]
        boxes = [[int(v) for v in r] for r in rects]
        keep = cv2.dnn.NMSBoxes(boxes, scores, self.confidence, self.nms_iou)
        kept = sorted((int(i) for i in np.asarray(keep).reshape(-1)), key=lambda i: -scores[i])
        kept = _drop_nested(kept, boxes)
        detections = []
        for i in kept:
            x, y, w, h = boxes[i]
            box = Box.from_pixels(
                x / factor, y / factor, (x + w) / factor, (y + h) / factor, width, height
            )
            detections.append(Detection("person", round(scores[i], 4), box))
        return detections


def _drop_nested(order: list[int], boxes: list[list[int]], contained: float = 0.8) -> list[int]:
    """Drop boxes mostly inside a stronger box: HOG fires on a person and again on their torso,
    and IoU-based NMS keeps both because the small box's IoU with the big one is low."""
    kept: list[int] = []
    for i in order:
        x, y, w, h = boxes[i]
        inside = False
        for j in kept:
            X, Y, W, H = boxes[j]
            ix = max(0, min(x + w, X + W) - max(x, X))
            iy = max(0, min(y + h, Y + H) - max(y, Y))
            if ix * iy >= contained * w * h:
                inside = True
                break
        if not inside:
            kept.append(i)
    return kept
