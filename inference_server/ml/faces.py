"""Faces on person crops with OpenCV's own face models: YuNet finds them, SFace embeds them.

- detector: `cv2.FaceDetectorYN` with OpenCV Zoo's YuNet (`hsi models pull yunet`): boxes, five
  landmarks and a score. When YuNet is not installed, OpenCV's trained frontal-face Haar cascade
  that ships inside the opencv package (`cv2.data.haarcascades`) is the fallback: boxes only,
  frontal faces only, more misses; it is announced at start-up.
- embedder: `cv2.FaceRecognizerSF` with OpenCV Zoo's SFace (`hsi models pull sface`): the face
  is aligned on YuNet's landmarks (`alignCrop`, 112x112) or, from the Haar cascade, cut out square
  and resized; `feature` gives 128 floats, L2-normalised here (cosine = dot product).

Only the upper part of a person box is searched (`upper`, the head and shoulders), scaled so its
longer side is at most `max_side` pixels (YuNet sees it on a fixed `max_side` square). Faces smaller than `min_face` pixels are dropped: too
few pixels to tell people apart. One `OpenCvFaceReader` per process; the enrich stage calls it
from one thread (the OpenCV networks are not thread-safe). Nothing about a face is logged.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from inference_server.domain.faces import FaceObservation, normalised
from inference_server.ml.protocols import ModelUnavailable

log = logging.getLogger(__name__)

HAAR_CASCADE = "haarcascade_frontalface_default.xml"
SFACE_SIZE = 112


def haar_cascade_path() -> Path:
    """The frontal-face Haar cascade shipped inside the opencv package."""
    return Path(cv2.data.haarcascades) / HAAR_CASCADE  # type: ignore[attr-defined]


class OpenCvFaceReader:
    """YuNet (or the Haar cascade) + SFace on person crops."""

    def __init__(
        self,
        recognizer: Path,
        detector: Path | None = None,
        *,
        score_threshold: float = 0.8,
        min_face: int = 24,
        upper: float = 0.6,
        max_side: int = 320,
    ) -> None:
        if not Path(recognizer).is_file():
            raise ModelUnavailable(f"face recogniser {recognizer} does not exist; run: hsi models pull sface")
        try:
            self._recognizer: Any = cv2.FaceRecognizerSF.create(str(recognizer), "")
        except cv2.error as exc:
            raise ModelUnavailable(
                f"face recogniser {recognizer} could not be loaded ({_first_line(exc)}); "
                "run: hsi models verify sface, then hsi models pull --force sface"
            ) from exc
        self._yunet: Any = None
        self._haar: Any = None
        if detector is not None:
            if not Path(detector).is_file():
                raise ModelUnavailable(f"face detector {detector} does not exist; run: hsi models pull yunet")
            try:
                self._yunet = cv2.FaceDetectorYN.create(
                    str(detector), "", (max_side, max_side), score_threshold, 0.3, 20
                )
            except cv2.error as exc:
                raise ModelUnavailable(
                    f"face detector {detector} could not be loaded ({_first_line(exc)}); "
                    "run: hsi models verify yunet, then hsi models pull --force yunet"
                ) from exc
            self.detector_name = "yunet"
        else:
            self._haar = cv2.CascadeClassifier(str(haar_cascade_path()))
            if self._haar.empty():  # pragma: no cover - the cascade ships in every opencv wheel
                raise ModelUnavailable(f"the Haar cascade {haar_cascade_path()} could not be loaded")
            self.detector_name = "haar"
        self.name = f"{self.detector_name}+sface"
        self.score_threshold = score_threshold
        self.min_face = min_face
        self.upper = upper
        self.max_side = max_side

    def read(self, crop: np.ndarray) -> list[FaceObservation]:
        """The faces in the upper part of a BGR person crop, boxes in the crop's pixels."""
        if crop.ndim != 3 or crop.shape[0] < self.min_face or crop.shape[1] < self.min_face:
            return []
        head = crop[: max(self.min_face, round(crop.shape[0] * self.upper))]
        scale = min(1.0, self.max_side / max(head.shape[:2]))
        if scale < 1.0:
            head = cv2.resize(head, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        head = np.ascontiguousarray(head)
        rows = self._detect_yunet(head) if self._yunet is not None else self._detect_haar(head)
        faces = []
        for row in rows:
            x, y, w, h, score = float(row[0]), float(row[1]), float(row[2]), float(row[3]), float(row[-1])
            if min(w, h) < self.min_face * scale or score < self.score_threshold:
                continue
            aligned = self._align(head, row)
            if aligned is None:
                continue
            feature = np.asarray(self._recognizer.feature(aligned), np.float32).reshape(-1)
            try:
                embedding = normalised([float(v) for v in feature])
            except ValueError:
                continue
            faces.append(FaceObservation(x / scale, y / scale, w / scale, h / scale, score, embedding))
        return faces

    def _detect_yunet(self, image: np.ndarray) -> list[np.ndarray]:
        # One fixed square input (the crop at its top-left, black around it): the network keeps
        # its shapes, so nothing is re-allocated per crop.
        square = np.zeros((self.max_side, self.max_side, 3), np.uint8)
        square[: image.shape[0], : image.shape[1]] = image[: self.max_side, : self.max_side]
        _, found = self._yunet.detect(square)
        return [] if found is None else [np.asarray(r, np.float32) for r in found]

    def _detect_haar(self, image: np.ndarray) -> list[np.ndarray]:
        gray = cv2.equalizeHist(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY))
        boxes, _levels, weights = self._haar.detectMultiScale3(
            gray,
            scaleFactor=1.1,
            minNeighbors=5,
            minSize=(self.min_face, self.min_face),
            outputRejectLevels=True,
        )
        rows = []
        for (x, y, w, h), weight in zip(boxes, np.asarray(weights).reshape(-1), strict=True):
            # The cascade's last-stage weight is not a probability: squash it to 0..1 (>= 0.8 at
            # the usual weights of clear faces, about 3 and up).
            score = float(1.0 / (1.0 + np.exp(-(float(weight) - 1.0))))
            rows.append(np.array([x, y, w, h, score], np.float32))
        return rows

    def _align(self, image: np.ndarray, row: np.ndarray) -> np.ndarray | None:
        if row.shape[0] >= 15:  # YuNet: box, five landmarks, score -> SFace's own alignment
            aligned = self._recognizer.alignCrop(image, row)
            return np.ascontiguousarray(aligned) if aligned is not None and aligned.size else None
        x, y, w, h = (round(float(v)) for v in row[:4])
        side = max(w, h)
        cx, cy = x + w // 2, y + h // 2
        x1, y1 = max(0, cx - side // 2), max(0, cy - side // 2)
        piece = image[y1 : y1 + side, x1 : x1 + side]
        if piece.size == 0:
            return None
        return cv2.resize(piece, (SFACE_SIZE, SFACE_SIZE), interpolation=cv2.INTER_AREA)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[-1] if text else type(exc).__name__)[:200]
