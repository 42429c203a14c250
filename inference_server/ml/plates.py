"""Licence plate OCR with the PP-OCR detection and recognition models inside rapidocr-onnxruntime.

The wheel ships the ONNX weights, so nothing is downloaded. One `RapidPlateReader` per process
(the model is not thread-safe: the enrich stage calls it from one thread). A crop is scaled so
its longer side is at most `max_side` pixels (a plate on a 1080p frame's car crop stays legible;
bigger only costs time). Plate text never reaches the log.
"""

from __future__ import annotations

import logging
from typing import Any

import cv2
import numpy as np

from inference_server.domain.plates import TextPiece
from inference_server.ml.protocols import ModelUnavailable

log = logging.getLogger(__name__)


class RapidPlateReader:
    """PP-OCR (rapidocr-onnxruntime) on vehicle crops."""

    name = "rapidocr"

    def __init__(self, *, max_side: int = 960, threads: int = 1) -> None:
        try:
            from rapidocr_onnxruntime import RapidOCR
        except ImportError as exc:  # pragma: no cover - a dependency of the server
            raise ModelUnavailable(
                "licence plates need rapidocr-onnxruntime (pip install rapidocr-onnxruntime)"
            ) from exc
        self.max_side = max_side
        self._ocr: Any = RapidOCR(intra_op_num_threads=threads, inter_op_num_threads=1)

    def read(self, crop: np.ndarray) -> list[TextPiece]:
        """The text lines in a BGR crop (empty for a crop too small to hold a plate)."""
        if crop.ndim != 3 or crop.shape[0] < 8 or crop.shape[1] < 16:
            return []
        scale = min(1.0, self.max_side / max(crop.shape[:2]))
        if scale < 1.0:
            crop = cv2.resize(crop, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        result, _ = self._ocr(np.ascontiguousarray(crop))
        pieces = []
        for box, text, confidence in result or []:
            xs = [float(p[0]) for p in box]
            ys = [float(p[1]) for p in box]
            pieces.append(TextPiece(left=min(xs), top=min(ys), text=str(text), confidence=float(confidence)))
        return pieces
