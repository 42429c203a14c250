"""An offline person detector that needs no downloaded weights: HOG features + a linear SVM.

It is the fallback when no YOLO weights are on disk: far less accurate than YOLO and persons only,
but always available, so the pipeline runs on a fresh offline install.

The model is OpenCV's default people detector (Dalal & Triggs, trained on INRIA persons; the
coefficients of `cv2.HOGDescriptor_getDefaultPeopleDetector()`, Apache-2.0, stored below).
OpenCV 4's `HOGDescriptor` runs it when present; OpenCV 5 moved HOG out of the main package, so
the features can also be computed here with numpy and OpenCV's core functions, reproducing
OpenCV 4's layout (checked against its `compute`: SVM scores within about 0.03).
"""

from __future__ import annotations

import base64
import math
import zlib
from collections.abc import Sequence
from typing import Any

import cv2
import numpy as np

from inference_server.domain.detections import Box, Detection

_WIN_W, _WIN_H = 64, 128  # detection window in pixels
_CELL = 8  # cell size = block stride = window stride
_BINS = 9  # unsigned orientation bins over 0..180 degrees
_BLOCKS_X, _BLOCKS_Y = _WIN_W // _CELL - 1, _WIN_H // _CELL - 1  # 7 x 15 blocks of 2x2 cells
_PAD = 8  # windows may reach this far past the frame edges, like OpenCV's default padding


def _block_kernels() -> tuple[np.ndarray, np.ndarray]:
    # Pixel weights of a 16-pixel block row for its first and second cell: a Gaussian window
    # (sigma 4, OpenCV's default) times the bilinear split between the two cells.
    i = np.arange(2 * _CELL, dtype=np.float64)
    gauss = np.exp(-((i - _CELL) ** 2) / (2 * 4.0**2))
    second = np.clip((i + 0.5) / _CELL - 0.5, 0.0, 1.0)
    return (gauss * (1 - second)).astype(np.float32), (gauss * second).astype(np.float32)


_KERNELS = _block_kernels()


def hog_blocks(image: np.ndarray) -> np.ndarray:
    """Normalized HOG block descriptors of a uint8 grey or BGR image, shape (blocks_y, blocks_x, 36).

    Blocks are 16x16 pixels at an 8-pixel stride; each holds 2x2 cells of 9 orientation bins in
    OpenCV's order (cell x outer, cell y inner), L2-Hys normalized. In a colour image each pixel
    takes the gradient of its strongest channel, as OpenCV does (and as the model was trained).
    """
    img = np.sqrt(image.astype(np.float32))  # OpenCV's gamma correction
    cells_y, cells_x = img.shape[0] // _CELL, img.shape[1] // _CELL
    height, width = cells_y * _CELL, cells_x * _CELL  # pixels past the last whole cell are unused
    padded = cv2.copyMakeBorder(img, 1, 1, 1, 1, cv2.BORDER_REFLECT_101)
    dx = cv2.subtract(padded[1 : height + 1, 2 : width + 2], padded[1 : height + 1, :width])
    dy = cv2.subtract(padded[2 : height + 2, 1 : width + 1], padded[:height, 1 : width + 1])
    if dx.ndim == 3:
        strongest = np.argmax(dx * dx + dy * dy, axis=2)[..., None]
        dx = np.take_along_axis(dx, strongest, axis=2)[..., 0]
        dy = np.take_along_axis(dy, strongest, axis=2)[..., 0]
    magnitude, angle = cv2.cartToPolar(dx, dy)
    # Soft-assign each pixel's magnitude to its two nearest bins (bin k centred on 20k+10 degrees).
    position = angle * np.float32(_BINS / np.pi) - np.float32(0.5)  # in [-0.5, 17.5)
    low = np.floor(position)
    upper_share = magnitude * (position - low)
    low_bin = low.astype(np.intp)
    low_bin[low_bin < 0] += _BINS
    low_bin[low_bin >= _BINS] -= _BINS
    high_bin = low_bin + 1
    high_bin[high_bin == _BINS] = 0
    base = np.arange(0, height * width * _BINS, _BINS, dtype=np.intp).reshape(height, width)
    hist = np.zeros(height * width * _BINS, np.float32)
    hist[(base + low_bin).ravel()] = (magnitude - upper_share).ravel()
    hist[(base + high_bin).ravel()] = upper_share.ravel()
    hist = hist.reshape(cells_y, _CELL, width * _BINS)
    # The block weights are separable: pool 16 rows (two cells) first, then 16 columns.
    by_rows = []
    for kernel in _KERNELS:
        top, bottom = np.matmul(kernel[:_CELL], hist), np.matmul(kernel[_CELL:], hist)
        rows = (top[:-1] + bottom[1:]).reshape(cells_y - 1, cells_x, _CELL, _BINS)
        by_rows.append(rows.transpose(0, 1, 3, 2))
    cells = {}
    for cy, rows in enumerate(by_rows):
        for cx, kernel in enumerate(_KERNELS):
            left, right = rows @ kernel[:_CELL], rows @ kernel[_CELL:]
            cells[cx, cy] = left[:, :-1] + right[:, 1:]
    blocks = np.concatenate([cells[0, 0], cells[0, 1], cells[1, 0], cells[1, 1]], axis=-1)
    # L2-Hys: normalize, clip at 0.2, normalize again (OpenCV's constants).
    blocks /= np.sqrt((blocks * blocks).sum(-1, keepdims=True)) + np.float32(0.1 * blocks.shape[-1])
    np.minimum(blocks, np.float32(0.2), out=blocks)
    blocks /= np.sqrt((blocks * blocks).sum(-1, keepdims=True)) + np.float32(1e-3)
    return blocks


def window_scores(image: np.ndarray, weights: np.ndarray, bias: float) -> np.ndarray:
    """SVM margin of every 64x128 window at an 8-pixel stride; window (r, c) starts at pixel
    (8c - 8, 8r - 8) because the image is padded by 8 pixels (edges reflected)."""
    padded = cv2.copyMakeBorder(image, _PAD, _PAD, _PAD, _PAD, cv2.BORDER_REFLECT_101)
    blocks = hog_blocks(padded)
    rows, cols = blocks.shape[0] - _BLOCKS_Y + 1, blocks.shape[1] - _BLOCKS_X + 1
    scores = np.full((max(rows, 0), max(cols, 0)), bias, np.float32)
    if rows <= 0 or cols <= 0:
        return scores
    # A linear SVM over concatenated blocks is a sum of per-block dot products.
    for by in range(_BLOCKS_Y):
        for bx in range(_BLOCKS_X):
            scores += blocks[by : by + rows, bx : bx + cols] @ weights[by, bx]
    return scores


class OpenCVPersonDetector:
    """Persons found by OpenCV's default HOG people detector, label "person".

    The SVM margin becomes a confidence with a logistic curve: the SVM's own decision boundary
    (margin 0) is 0.5, margin 0.5 about 0.82, margin 1 about 0.95. People must be upright and
    at least ~128 pixels tall after frames are downscaled to `max_side`.
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
        min_group: int = 3,
        margin_slope: float = 3.0,
        native: bool | None = None,
    ) -> None:
        if not 0.0 <= confidence <= 1.0:
            raise ValueError(f"confidence must be within 0..1, got {confidence}")
        if max_side < _WIN_H:
            raise ValueError(f"max_side must be at least {_WIN_H}, got {max_side}")
        if scale <= 1.0:
            raise ValueError(f"scale must be above 1, got {scale}")
        self.confidence = confidence
        self.max_side = max_side
        self.scale = scale
        self.nms_iou = nms_iou
        self.min_group = min_group
        self.margin_slope = margin_slope
        coefficients = np.frombuffer(zlib.decompress(base64.b64decode("".join(_PEOPLE_SVM))), "<f4")
        # OpenCV orders blocks column-major (x outer); store them as [block y, block x, 36].
        self._weights = coefficients[:-1].reshape(_BLOCKS_X, _BLOCKS_Y, 36).transpose(1, 0, 2).copy()
        self._bias = float(coefficients[-1])
        # OpenCV 4's own HOG (SIMD, about 2x faster) when this OpenCV still has it; the numpy port
        # otherwise. Both give the same windows and margins within about 0.03.
        opencv_hog = getattr(cv2, "HOGDescriptor", None)
        if native and opencv_hog is None:
            raise ValueError(f"OpenCV {cv2.__version__} has no HOGDescriptor: use native=False")
        self._native: Any = None
        if opencv_hog is not None and native is not False:
            self._native = opencv_hog()
            self._native.setSVMDetector(coefficients.reshape(-1, 1))

    def margin_to_confidence(self, margin: float) -> float:
        """Map an SVM margin to a confidence in 0..1 (monotonic, logistic, 0 -> 0.5)."""
        return 1.0 / (1.0 + math.exp(-self.margin_slope * margin))

    def detect(self, frames: Sequence[np.ndarray]) -> list[list[Detection]]:
        """Detect persons in BGR uint8 frames; one list of detections per frame."""
        return [self._detect_one(frame) for frame in frames]

    def _detect_one(self, frame: np.ndarray) -> list[Detection]:
        if frame.ndim != 3 or frame.shape[2] != 3:
            raise ValueError(f"expected a BGR frame of shape (H, W, 3), got {frame.shape}")
        height, width = frame.shape[:2]
        factor = min(1.0, self.max_side / max(height, width))
        image = frame
        if factor < 1.0:
            image = cv2.resize(
                frame, (round(width * factor), round(height * factor)), interpolation=cv2.INTER_AREA
            )
        rects, margins = self._raw_hits(image)
        if len(rects) == 0:
            return []
        groups, best_margins = _group(rects, margins, self.min_group)
        scores = [self.margin_to_confidence(m) for m in best_margins]
        keep = cv2.dnn.NMSBoxes(groups.round().astype(int).tolist(), scores, self.confidence, self.nms_iou)
        order = sorted((int(i) for i in np.asarray(keep).reshape(-1)), key=lambda i: -scores[i])
        detections = []
        for i in _drop_nested(order, groups):
            x, y, w, h = (float(v) / factor for v in groups[i])
            box = Box.from_pixels(x, y, x + w, y + h, width, height)
            detections.append(Detection("person", round(scores[i], 4), box))
        return detections

    def _raw_hits(self, image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """All windows over the image pyramid with a positive margin, as (x, y, w, h) rects."""
        if image.shape[0] < _WIN_H or image.shape[1] < _WIN_W:  # OpenCV asserts on these
            return np.zeros((0, 4)), np.zeros(0)
        if self._native is not None:
            found, weights = self._native.detectMultiScale(
                image,
                hitThreshold=0.0,
                winStride=(_CELL, _CELL),
                padding=(_PAD, _PAD),
                scale=self.scale,
                groupThreshold=0,
            )
            return np.asarray(found, dtype=np.float64).reshape(-1, 4), np.asarray(weights).reshape(-1)
        height, width = image.shape[:2]
        rects, margins = [], []
        level_scale = 1.0
        while round(width / level_scale) >= _WIN_W and round(height / level_scale) >= _WIN_H:
            size = (round(width / level_scale), round(height / level_scale))
            level = image if level_scale == 1.0 else cv2.resize(image, size, interpolation=cv2.INTER_LINEAR)
            scores = window_scores(level, self._weights, self._bias)
            rows, cols = np.nonzero(scores > 0.0)
            for r, c in zip(rows, cols, strict=True):
                x, y = (_CELL * c - _PAD) * level_scale, (_CELL * r - _PAD) * level_scale
                rects.append((x, y, _WIN_W * level_scale, _WIN_H * level_scale))
                margins.append(float(scores[r, c]))
            level_scale *= self.scale
        return np.asarray(rects, dtype=np.float64).reshape(-1, 4), np.asarray(margins)


def _group(rects: np.ndarray, margins: np.ndarray, min_group: int) -> tuple[np.ndarray, list[float]]:
    """Cluster near-identical windows (OpenCV's groupRectangles rule, eps 0.2); keep clusters of
    at least `min_group` hits as their mean rect with their best margin. A person fires many
    neighbouring windows and scales; clutter usually fires one or two."""
    n = len(rects)
    x, y, w, h = rects.T
    delta = 0.2 * (np.minimum.outer(w, w) + np.minimum.outer(h, h)) / 2
    similar = (
        (np.abs(np.subtract.outer(x, x)) <= delta)
        & (np.abs(np.subtract.outer(y, y)) <= delta)
        & (np.abs(np.subtract.outer(x + w, x + w)) <= delta)
        & (np.abs(np.subtract.outer(y + h, y + h)) <= delta)
    )
    parent = list(range(n))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, j in zip(*np.nonzero(np.triu(similar, 1)), strict=True):
        parent[root(int(i))] = root(int(j))
    labels = np.array([root(i) for i in range(n)])
    out_rects, out_margins = [], []
    for label in np.unique(labels):
        members = labels == label
        if members.sum() >= min_group:
            out_rects.append(rects[members].mean(axis=0))
            out_margins.append(float(margins[members].max()))
    return np.asarray(out_rects).reshape(-1, 4), out_margins


def _drop_nested(order: list[int], rects: np.ndarray, contained: float = 0.8) -> list[int]:
    """Drop boxes mostly inside a stronger box: HOG fires on a person and again on part of them,
    and IoU-based NMS keeps both because the small box's IoU with the big one is low."""
    kept: list[int] = []
    for i in order:
        x, y, w, h = rects[i]
        inside = False
        for j in kept:
            ox, oy, ow, oh = rects[j]
            ix = max(0.0, min(x + w, ox + ow) - max(x, ox))
            iy = max(0.0, min(y + h, oy + oh) - max(y, oy))
            if ix * iy >= contained * w * h:
                inside = True
                break
        if not inside:
            kept.append(i)
    return kept


# OpenCV's default people detector: 3780 SVM weights + bias, float32 little-endian, zlib, base64.
# sha256 of the raw floats: cb2198952eaa5bc7e43d950b9f2aa1966528063c7295c7262133e7fa0d3d564c
_PEOPLE_SVM = (
    "eNoVWmc41t8bl529M5OGkUQi4zn3t9AghUoiUVRSqahUpLJn2ZuiEKWMRHjO/Y0iNBGiHUVDFP0qJf37vzwvznWdc5/PvK5DIlxh"
    "900FljfLE31+2MP348NQ3LcQmX4As19bsSujBOYEdUP0Dy4tOWdMUvo9CId5B/Yd9kTxUhmkLQnBL1cFGM2hIpDdsRGzbxtgo/1N"
    "WPf3DUgm5+Cavx4oOLgEZQ9+JZaZ5mCxaje3TyMfShzPgUz2ebg9cBK0XWpB2VsG2/tEwS3WG/IjrdDpiBIYmkth7MF4mFGihu7e"
    "C8h703iilPwSDPSqQEPJmQPbXkG/zAU419cF591KifTBzzA8Kcgsd7z7b48rrJoXi/x333GNR0s5mfH8sOqKF7n1+joJfvaIVFqb"
    "Q9WxFFi3mAesg4PRJucKYRcfhYaXFaBzMpWjXVZFREyRHJbZAXnlvXTcZAkoHHpPTnTegO3sEqhpvwHi77Lg0yQlnYbdUOYTCuh3"
    "CFRM0jmLH2+EitpomFhYCngkBmQcI2HG1CzUlVag6ql+uLZukEyp28HSl7Fg7iICNo3q9V8lUmjs2Ul6e+dGOnxinN4ynUY8fKSw"
    "WWkut7LHCZyCvkJ9QiWNlHSBY3+j4HWGIyw4LURtAn6SfNsDELsnjFvRfZ+bPM8Xjv5soyaG28E3rATnaqVihiwDms5O9ILdA+rK"
    "N0UGlZeiqTTBwyVfifeSo1Dw5gYR1Yqjx73mk2pHM+I96QaaYWU0ln8Rbp+lgHsSTQl/ZDfdF1dDRdpqqZ6HGCZPm+KWN55A3nOC"
    "ZML2Noz/NwOrFsajoq08c0B7Kx7YW0K9d++FDf0DZGAsEROUHVEivRu9lQexb1E2hLVnY8d4FdYd+EYcop6S8/6exGxZCn1+iQfd"
    "X5dS4U+1oPHfangaKMbUS36And8+mdee4mDn+aT6/m+N+CzoM87vN4FzOsmER8mGI9z+HKSjtnBcJF7iYbtMVL31BPFzJr2/fy7T"
    "Si5yYVwf755o5H4IkSKq8Ydp+9+16NLHx+7x8DJ/EuVIpwXnoN/5p9TmlXH9TO1m0rg8ie4dUcO7jb7oES4A6s58jO2rYHieHsk9"
    "afwGru3cTMZVSsmabfOgZf9G/DN8Dnglw2BL1l6c6H+Ao1VZcHx1OY2dm0K+nlXi+GxdgFfOp0NRngMIn/qPOrRVU/0D0+HlHyMY"
    "TduBrU52qGZrjnwCnuTJwgry9WYV9VQVY7f3boVhbhiZecQF7p5ZBhKccvM1mjmwYVYzuC6TIbZfB2nQmZfw5ZUYHlqWhOXf/JFv"
    "0Ut6uXOIe185kk4XcCU8Zo+RmbAG0Qd78E39Kxpyaz5R77iMTX8VIN0wEGRrnYnPlzx8mqsMwQ9FsaomANdHLcCMgALMViuqbwua"
    "oCvTV1ONVSFovXA56AQT/FxUDm8iH5L/Wr8RdeYxfEpPhE06ZtDtYIxPzgkyWxpLgV1fSW7MFOUumVJA7q9LVPi1KvY1B9Llm56T"
    "LaLjsC32KM7XfEut063QpXsVrJUOhdB5kmC615d4RmSbp21fDPOCBDiC82bj/Zv6dPxzJ0cn4D9SJCCG59LzqeDNVdTCMIH7vq/9"
    "3zx7ySoaQe/0Peb4y5+jy1/kcjiWtuAjoArrH6TCuqd7QcRCCTvEo0jfCRF6q3oOBBQUo6leL5k5Mhcnn7ym402aGNgQY+6z2BKX"
    "vIvBilwJ8j23ii7wrjTfse8XXdw4TuckDdPJLStp050VuPxqHSbr3UfhfxzRb/eu934Uh9NeZ9LEdDl8w/WihTFZZI/4ZSphywXR"
    "NdK4SdwNQv/oQqXdRhKZJ4Kn3k3gtXdx4L9IERfmqJLfVUUcnoe7oEo0mGMnM0j8BDxRV0gRVVe/p58ljfGvjA6dZ5tNyvRF6d+h"
    "BhyfsKfCTWXUtLodvYvzkV5R52SYRnKLBFeQ9LnhOPN7Lx770EaFF1+n+zMyUMgkDURLvM1/H55DwqkI2XZPEd5PfqZabjKg+2Mx"
    "HpD4jmmqvNA8YMQdKn8BhuEO8NbTmav7ah3u9S7iFPF4Y/GeJu7bB5txVNWaPkjaQPxPzCa1Yj+5Z0tPoKKOLNew8wKZ51lEPz2L"
    "xynDKJzUm45lgTUoqSiChyoz8Lt2LW22D8Jfgks4sfv2YOma5dj7KwvoDWPO1ogFAFN/SKyRM3T81oDZ67/TA01qONrwlqqc/kRj"
    "+wMJV6uK4LQCOt1mLsdaqRO1BJejfcQwHdkcxEkwX0K+PxMieadXYMFRU7yqoIir1RKwZsMbbN9nwPWdHDOvijyI6lKBGGd6FV0O"
    "meGfHbvN5Qt9UUHYgNviEkof3JIDAR4PaAxNg+8O1ZwkuTD45JZBPnRTblA4H0qsi+PsVF9K3F5jvW9+Ldn5cTpK8CeA9PZYrn6t"
    "NLUsu4DKvx2B2X8MHtrpwK42ag52TWi6czaOOuvBh50JROqxCcqO/+Q6NBaS4/uXQvDpWjDWOY+e95biTHkHpC9Duc6TmzGyfxFh"
    "98nicbckrDwmDXdTnpG8RRJgVZpM/JW3ASdPjUxY8iK/sS9EDLMkrC2C6Ep6YfzjDvQQuoxRG9JgSeZ5WpHVQxWy7tHOOMCPyrfN"
    "fZ57ANfEge4szqNjUaHQ/XYNiCR+p3oJkiS64i79EeiBa1TfmgufFsaMpwHk+qsRyD16tX7Dpii0HPMGy0ajet71RrguthHEvy/A"
    "32mueKwliSzu6iBij/vRrEPyn+4Z0RPpXbiETJGM4CtUaCId5z9aDwure2HiZAW++TRM540Zkr/T5JkHvLLcU3b78c6WDJSI3A15"
    "AfzM42VrcGFMO5hOrIXv2jxM4RAXEhaEQUtGAMloaITSWYEgpyjD7m4cpZ9X9pMYm0oiaXW8XmydHg5L3UU+kUWA4b7wx3AlKuwN"
    "AR3DVtJDZfHkAyXScUMfWEdtmixeDFvMqsBZTojtqBIgYsP76Kz+r2RERQ54JaZzk8RqCco3w4VbDZCXOUrlJfLxY8B1qtzIz92/"
    "ZTG5a+9Dv0S/J70u4zC9fYRT3P8Y459mQ+j7Ymp3OolzuCeMHPexxr3uVfjx6G+uZ3A1HGgJAO1jkfBr4RdOdoM0RFbORJi8R0dL"
    "Y1Er/h6EXV5I+TM8yZ1VaejW840zENkHzzo+0bmWt4mWhiDaSZWToQVqINTWSnb91cczup9ppPFm8M/yJyE318DHE/zMIecGmGjX"
    "h+sZ09HFPw7tD5mSt+KLmN4IMfRVCcZbUak0ZP4XiJ4MRFJXiR1BYjjn3VJwnlcMdEwKnDjpROPVEAxnC8Ce8n9cik8g0TopdJtD"
    "Dz6xdeaKB/maWd7eT15zy+gyTjcNb9Kg9yX0ga69QodvFGCRSQ/pm7xCjQrjMfz2dHZa9GlcVtrC3fSnBDiv1BmVJA0OJ0GabFaZ"
    "jzs2lhAXfWfIHZ+kH9sHyWEqwSicyIV9/zTU4O93ei52HgaOutNfUqewyuE1fSssylzkU2UG3m5Bg/63uLKmggz2cMjLi5uwWjoK"
    "PZa8oZyPX2HUxJAJ3HocP7q8QcVDbjRMMIGevFyOOxVM0FLlH/+teqFdciOjNcTFYQFzc/9cGfh9OwXsp9WQqPo0MpIwjfqIHSZG"
    "5XLM86wwXDLxjXTOH653zt9Jw/rmY0HXQe7aBfX43+9b8FurGmw5fXSPxg+6/2MHWT8hDZ4eqhjZu4e4va0lddafiLb2XGJdHoJB"
    "VYvgws4EkLm5DLXepmFZ0BNyJmCKHNGOhpPBr6A0M4Km7R4hPfM/E4XLhWDJjYfrJnHg49vCmRYazWnsqIGLA3/pfMMXxDJoKeG9"
    "FEEfSWVwcoJESb+uNMrYy8COx6c5odvPU6N5UjSquQncpp0g4jdmoUhZGnxZfgz2yImYPW/hpZqnm4ifSQC+xtdUYNU2/GKigzcf"
    "SsN8219EH76RcV1FxpgmkvCVX0nDeWvgLNMmrOMgcbe/BD4dr0hO62qq0PcFIrgqYJMkhAX8VzgXEtto5/Hn5NdCN7gV/Qjl7oSC"
    "40gqXaJUR6a7yoDJ8/kkVX0+crLn4fLCSNIcdRla3301273XBXd2lmGcyOP6U8sqafaMZGo+YyZckCiDXY5naFRhBQzrvQGb/7jQ"
    "LloG57Ny4WHKDphV/Jycpfeh4FYdOMZFw7d4X7g8t5a66OXBV/Up6Fo/jYms21JfM/MgMajlQnCCFffh/nBMj07ElkpXMz/JahLa"
    "V0Hf61Vg0AIu7S4P4zCoSgIGL9Gxp4CifT+54lc8qHODOWpOF2bnZlSiark8ei3lkOlXBKFpdDFmnj0O07cYMyUVXSDW5EJ26D8E"
    "o6kpuOZmgikb6mDfLw78vfEW9r8qB+4qKxCe88y8wKGRVPOqopM4D3wzOktP7NuNUzcbaUhoBEa67ESnzUnIywjhVlsL1OR00opR"
    "Z2InivhM0BO/T7dAp+Mi6HM2Bqt+WpCfvDdxW1okKeCowMbWXm54aR588k6F/OZlYF/7kKpMi6NKy4rwoOBRUMt8AkXeURgwNE5u"
    "t/SQQ625ZE3JVSw7HoLx30XYeQm5yC1TJO/aitDzaTtqa2/Evqhd5FxDHr7el03b7mZhbMYjDDm1EWOL7+GXmeX1qe9CcKWWLo7t"
    "/oOtEu9psNoxvHF/P2yiOZC0ORwVAviIsc5nsE+cBFfZCyQgxJCbVnQAgo4uRecX68FDcgH3z9FBSMq7CzJerfD0CYNmeUbUyjsB"
    "F4v+IUd0O+kJ1bPIiDhwSnuf4600pMZqAzjwTotes/pLfrja4qbP9aTT7DoHsq/gPA8FtkHpHE47L8z6uJkhn+g9tJfrIkLKEnBv"
    "+lJo2ToKISnNYOb+EiZc91HOTAPYERqLXZfKzN0bZRhX9RxwqOPCBz9vCB8bgjobY1o8UkIKjD/hNt8sTC38SOfwrKNLLOKx4c1D"
    "1Dqhje4HqilPnQN9aJiFEga92KmUi2MJ95FN+YiCK3+g9p0GvL4lGYdkNFH9RyBeebcAnh06Cx1DWmB6dRpTvUWB0X/izuy05GF6"
    "kDBbVZ7W7+pS4Zx77EPesZIgHNBH8i+cJhkzt8BD/a9k6sMQxG47REV4wulF4/H6V9/jKM9Fd0xY4IJSRzfBUKMMjt+qqrvles08"
    "q8oYNxjqYZeXIHBPbsNrfe1YkpaC8r+eof9gI20P7gReeSNuzyN+XKOJJMjhPQn7+hhosDWj+b0DPEsK4cIGT3CpEGLPeMuymmFr"
    "OXxUBLXTZMjlA26Q8/0CV+KxJX3gmGp296E6Fl20xpXrKol1iiednp5BxeZkkePVrXSCyyUyL4phMlYIyqr6cOzSXSL8fjPc42mm"
    "Us/50fZrNfeQaCEuXT9IJk7qwdzVmSTorjVcKtxLn2kH0tf+xSRHay029OhBz0AO+DWvBuHsI1icFce9ESTIiNXtpTpH8ynvxXko"
    "cHQKkzebczadscO+h/W4/fwXTpZ1A5wv/QqTt7I5WmeTON+jCrCFXw5LxkxgvnAtTadLIfyyE7y9UUEC4gm2LV9OZRe+obcDRRmZ"
    "gOtg1JaHyrvyOAK/QunpXi2S+0Icd96mNEvwGoqsiYa4SR+Y8p3GGgohmbkiHcZnZoPaqdXwNu0Gvb75Pnq7yjGHEyPR5U0+Sj4d"
    "IjO6Req9Vi1FX40xLHv4C7Wd1VgVzjgV8SuCo+4izOcLnyBBzxJOH/Qgw/QAen47Tnu/e+Je6fvk5oJP/zSrn6jIH2YO9uxgkmQf"
    "w7OqMygd8gjZLjtW+YgdGsjGMblbkXnTW8H4/ExljuzeBSf+aMPB2ixIs35NZQ1EaOJgOtgGRZGk5AY0kW9CvXg/smgqCf0bxPHv"
    "8o9w7rEYo3MnFJ1JCLqsFCQmQiNQEFHEcbyeg3GzYuDl9TAmX7EO5mekMBbtgsz9bBdcLVdO906J4R21YJyoV4df6wkTZxTB3DcR"
    "gRbvTHJzsxVz57sZY2PkwRlt/kmHztgwQ7OrGY+rp5jPf/mwzCmVkT7/nHmUdpaRs7tJBFbfxZjY19xOwxsg8/kiPr71llwUOMk8"
    "iFvE6FqcAm5xN5ZHzWeD5wmxQvVlqLVpBducK8K64HZm8EEro7MwmlG+Z0MLTmiSWN7pTPns7zB0ZyW2K1/AH4qJME/pJMf4WyC6"
    "Nyqxf7I/4EtSjspamXhPYB77yl6IWRQbxoDHblgYfRo4Cc1c94X/vDNjOYypxcDD3rP0mfFJGKPTmT2VoWgca8XNuiSB3tI/OH6J"
    "6nCz7SN0P4gmnPNCRC3oP27Cq1EcUX+KmmJd+Dd+DT6qsq7/c/0HSfxiiSoJ//JAxn5MrRVkPw32oUfGSvax5X3s17uAF3vGzLK2"
    "6dX/2DSb2bSxHMZf56KsViH+CQzCYNNssmHT0vpfSqehzVcNQs7aMyYpHkzyjivc2B/7yNfSELx5/SMJ3OkN4isn4JOuGtw5Lw2u"
    "857SwzGdGFUSgWcK+tFcvha3Dj/E8Xv8hBG7zcnw6yHTaBy9avAKjb8WYHXfIC5xO4GSvIHo0RVKws4fRHtuA7jJ7GEESgVgojoW"
    "XHfUYmKTJjnAnCN+1RXwefUeesT1NZxWnc/M8G2hqalCaBGth94FK0l3TBt3mk88SPP9IHrHkknbqwHysXU7Gj+RoU/O22LEoyxw"
    "259ExJb5wWX/ArT3lofHU4e5Bjo1eOtKGE6DIpwxWwb6JZPRKH6Y+3b4NjpomTCLrikytSmXyLrgteh7ag3a5AeT62/vophZOHhO"
    "qDJhdcuYWO9R2KtgQcVtauge+Vx6b3MnnOOMcPX6R2BRxAxGWTcPhnOaSPg5Vzxy7jwVC/AgZtNj4UVBBDrG7QEV/mbafVqSvfD7"
    "En3pANghugxbBtPpRp1zoPsPW7JhgeSWig17LvoFBAaqQDGnEedEFODXNBFUGuuHH9Y3yGM5XiZygxtzRGWURD/N5LB7OtHi8Ur0"
    "/+bJfWhYCc4Ha8ll52ZYN6LPCAwibsQvZjEKX1BT6hd+MVJn5btS4OtfZ4x7rAxPfq0HVVYFS2Jnwr35qmyV8jU0yCmiMjXaoOmj"
    "wpZACHk21AGyd/7jvBU7Q2KfxSHZ3USL5kUh02eAdbpFuMjvKUctVhh4ViXB8eQS0L4RiWRRDG4TTsA26wgM6ZVin4s30csd4dBY"
    "I0XWHkE43pKNV5Pt8dLVVvSwjkHuqCR74xs/jJ7hYV7ZJxLNT/yMi6EWnno6jvvLZ7AD8aVY/XICvR3WwGY9dwhSCeb2bBYAMQ4v"
    "W/MoE70u7MZI83ia71GIocnumNx3mqb4DRNzkyRiXsrF2cf3cJyOPMKjO/uocPRFlDyrhlH3VtXX9oZDeqANM+OEDeomJ2LSxEqs"
    "aZ1PNZIvo9hneQCfGegfaws+LSUwrsnDfmgNxNocJcSf3Zz3zztQ3auTLBBJ5XC+KWKxsxmtueqGP2bvNv9U9wc1ZhzGlRunsPjn"
    "ceyoScNYvlYS/iQB7qRn46bjK+sTUupwi9ZF3Fh/Bg3dVYnXy1U09ts585GL0rR0wWVUDTTHj+PPsEN5N57Kk2C9B2rB9rkyE6nA"
    "C1qDxozxzytmRwQ2wJqcNrwnfgsFYstxvYMms4RnJbMsSIwU8XyC2U2HKeMwHYbzb+BWhqUyi58Sm4Vb4f1LKcwsTUHcHYdz6v7S"
    "h38O4u8JA9Ynbja7g88WLVzCiNDlP9ivJsFYdLsyTzeJMHu+OzGvdarB/WcRbG9WAj27CbDdMQBnf/bBzVsSzJydI9C9ZwaTk7mK"
    "hOoxpG+9NISrXIfW/liaHXMWDa6W4Ej8S86hHW2UbhZglq5/DeoDbfD4twXQdYY4c5sK67PJhJ0m2IOfvKazMb1R+OzZNJSQOo0u"
    "h95jh1ACuu2xYuYvN2Ja1p+DeKsHIB5Wz9x9msgcG5nGzFg6h7ksIMVM7H6HC0Ul2Wvq9dhyWIqNz1kHgekLuL0yL/DHzzvIE+CM"
    "vpbB5D9ZO3h6NwEWc8doz81EsubKv04Rw4drMvM5pgcdYfsVOwxWa8a/nx/S5cVnwHFgJZkM2Aze08VxePQBJj4JxutvKjmH4h9y"
    "8VcdMf+dSFVmCMKtgnPQUTDFcT5pB+Z8UURpIUvvuN/D9A//esL1i+RB4GVcalMGee8U0Xl3OFqsD8A8BTEm/+1HbMlUx3fWyVi+"
    "RZ9jLyePftVt2J38BhsUFjNfNxoxci1zWXn/VHT0CCZPZh1iYkqzoWJPMGJyGqZZhTIhCnoM17YYr3EO4vX/NDBj1yvOAI8XjiWm"
    "of3WCSwo+gNK8zyZerHtuD1TCFWb9kDOyVXM+rC50FMXjtV/JzGzaymzdmkz1ix5h7dFp+B04CymbeEKZs/cV2DyUQTOHRRgdwZ6"
    "oV5vLU4/4css9IpnCrqjGZKdCmH5Ooyw5U7m3I5MOCyziZ3uWYTrPiuxM/sS4GHJSzAbNmP8F65llH6JMCeFv2Hx7wFMsbdgeTuO"
    "wYb69Yyf6RQY/54F6R5pTJd4BnMjL56xaEihwf7zGdZuBbPoeg5Z3HMEtFOVOdm2p0j9nRekRf0DtAz8gBjRWbBgDODvzVqoVPsG"
    "IYP7uIKvq0nTtcfwqWwRs0buN9Rtt2SWztNgnBYwRDgklqbonqzXxhRIW8eQktElzA8ayLT4mzOK5+yYUxcOg9MRGSr9EGl1lyxj"
    "Hy3FuM7xBFX1UOjusWIfbGuHuux0ZsaeKCbE8yboh6oyv+pWM/5P38PoKl7WVsmVZcMK6c6gSGzXiabHLDUwodYKRkLWwmMnSreM"
    "2rGfJ0OxPVSMMXrmxYweVmQyPlTC+4pY5um7QmbIqRWSrwKr4W/A/iqcT9sWzQVpgQVgHVKEfp1KeI9nBZ54txHd17qz1gVRKLDq"
    "K5E8QPC7zSYcun4FJx0+EJMJCfhwS4i4OvZjR8Y71K4qoLYjrlhYWI0tIcvYF2XueG/lWnzyxw3f/TqO/Q0vsFPEEMpPzYV23QBC"
    "7Cfw1LtVuO6wEc3WEoAazSPYfGaSHuKnNGHfaUy9UYVfCw+x/O+4GN7nibZ/DPDLonFkPi/AY0XHMPi6FUmp7CZiPuq4LSeS5mp3"
    "06MDG6l50iw4sTsC3S+YEsOKB9yIxy+pPf9bPLZQCHKON5Htylowe0sv1mw9DEaPrcgzc17UL4mlW0RP4MXn6eRuynXuteo43Iq8"
    "2HbiNoLVT/I6zhoVm0boCQFhtu2zFUrotXCET+6jDW3CbM+uOxgeMkjvd6wkSxZFg5NIMQ1oEmZUjfzhvzh5KmW/jB3K/Q/TB0Jw"
    "50EbomybDAK7noHT9AEIjImEhQZj9OVdTXaZrSTL27SBSvCoQeifelix0QF/yHtBeI467roUjKzDJwyVkmHrk8zw8HAoudTIhVyf"
    "SuhVsgZRnb24dywblwTqs1ZpPTTr+13KF/aMBPOPwPHJKtg3MpNZPLQMPgebwnz9Drza9BtnHFqBxSXbMMBoG0QfToc/fjvg+ZwS"
    "/PxEHKDYiW34weKRa8c4F/TkwNRPl3l0OhE8/raDvm4cysVv4Mz8yMNydBezuywuk72pZzEndgLErWrhyKblUKnxARXvFmJyaRgb"
    "fqoIzSRecfaJfaHavau4nw8PoFoW4E/9fPy1eZJz8lUHGhafM59zdT2zq4EfO1VFiP3hPHJ+5XIavUaeveStB+MVUdzBvNPYa9JC"
    "H8eIsOa8ReZBkx9QfJUB9vXE0oY1e8Bv2Vy2V2uAbFjiAWurlVhu9T6yL6aBrNE1QO/Hq1GZ487M9ZqGh7rz6d0qc2ZJhQDukABu"
    "hngoSb46Ve8ZlYdyh5eC5p/73JsPaiDp0mbmZ+JaMn1LAh4fO4hGbtk0xtMAIe4rDO9Ug4XCs/DLUy/g421FuS1XqO6kBAkwek3l"
    "vNahhthCxm7OGCmJLSUGG64AzwVhbNOVw3dD+3BLVTXu6xklRwtimVk9xyBfKwsET6kyqjNmodRPB6ycUKHN0wWxe+gaLtmYC1yt"
    "FFSm4kwTTz54qPKzQu3bsHLxLoxsE8RNUu9Q6rISBL44jHzBXFxatwvWWy/Cu+UTdGHULjoR0o41jZ6Uo23HzHpwnHJP5KLEV79/"
    "2SMf+0oC6KriLIxqacTVVIl95jqXEbhVCzrRVyGtSgR2OXHxUDsXc8TKMKlsHVbmd2N+yXzSL/ub5trchC6pcHjwYyYqGK3B8ydm"
    "sLP+OuL6q+X04qs50LZtCr6UZ1CpPG10bv6G7r2rUKngGmppXUVesV687TsIJSefQ1/+csZB5DgIC7ymfl+uo6DcQnbWJmksv1zO"
    "1ft6CYT/psDjh7qQbr4U1BdKEuFv8XA6chcc6vQF8eG7RLqzlVgUTkGB507YLXwGVnNmwuitTPANrCPh/P5k8nMIvCXx4LHwC7Hg"
    "+wJhfmZwW1QAtE8Kcz6eLCYfYz9Aqo0BpE+GwRx1W7i3qxhCAYEvyBrCEmqJ9LYoet8jByx3HIPctxJMsOYA+WaVBD+Vy+ClexyR"
    "OlIH82aWMvMC7Zjjs9tAtvcCBMheg/wCXrZrUpy9tzUKK3+/Rok4UYgaXEJ9NdLwabAIWxLFx8b53IDibi48qngIzkcPMErpFczV"
    "truwXq6QzCychE13cqAqSZE1U5rFhvBGoItZIt3vKwqGlkLsr64fqOHEYd+n6rD7h66R4yff0JvJqeTjYAHJt3Ammf6FMP5zFbE8"
    "ZMU5oelEleMOg9vXzVgcKYLp9zXo1vLTuF56NujlTdHn7XsQvleSNZ7zoctkAcdNcwUIXrkJdfKC9MvKM2RXRTu962+LHR23qfvf"
    "KEjWDsEf7ubk9ZcdwK0uQWW1NsLN/0UvbLuBqetOQ41FCoS+zEGt3zxkdgMP9Rc9Al7ZppRrxeHuP2WFc/dkk28lSsxVz2B88fUC"
    "/RhmTqZ2V4FT/0x4uncmnVIuRNY9DJbbbaWHFLm4uTWBTJQsgeyLzaD+aCNItUtyZeYkYuZUKE3QE2SuLLpPX+rq0Ns9n6nFaxPI"
    "fLEeakwzycW5o9Tk5yXYJUCQQzTYgBt1+Dx4nB78wc+0J+xgtPyOMd8Wy4NAnAceXabPQRE1jJcPhyBZNRB3VoWAxcHMtvnlDEpe"
    "ZE7cXsZ8Vq/AeyZGbEGvKntc4B4u+PmBPljlgmdD4+o5gtHocjcLHzUeIA8uZWMFa4qjHiLUTC+JxFzQhJFOeyb9xyyG/bEbeAoj"
    "GR9FBWZh2Ali+N0OO3/NRP20vbT4iw2u5v8C8U1HmOHwKOa77QVm2vBDWHt+MS37uZXWztNn+I+tZbK363OKJixpkjeH8aWNQIxC"
    "0S0tHJMaPUjBsQfo9eTf2jaAc3DxSTAcfwy/SQzzd5og8c9AGqqoRHg9KQS3KYAtK0kH+5sx8thLemmlCBMafwO07J9wp6nzYfVE"
    "EnPKsZD5lATMpjpp9sAzSbZCJgV78spRc0clGm8yZKexK8yf+O2E1WqizDc9W9R7eRbpxadwLNoINxam4GopBThkmsrMTe5k0g6e"
    "ZjLWncG171zZQ5HqbNRSa1b1pgr77e4gmrzJgAvHLJm4sBjmyec8wt7RJItGK0iQxQVu4idDVFrByzaWRWPrx0EcbzaCJ0E7ICdX"
    "HTLlZOBwqC++ssvAoh8m7EB4OT7fqcqmXTmCW1wTcNm6V1zJ98FQeVW3fuEnU5qexKUn81dCYI4OtAYfZJrG5JgM/gLycN93iPh8"
    "ghPv38zdFHAQXZb/ph4n83DBuxcwtb+CvEjoJxk9syE8ZAJ3V1tjQ/I9DNUNxxuvxNiIfYq49dwQ0TI3xCCzXOJ9rhN9Vntj67bn"
    "GKnUjCuHbuOSjI003XWStMh5E8b/ADR+quQOdZ2E2TzCmKoYh3lL9qFiFh9jG6zELHghB2vEZRi/rYvAYbYdDJZ54eyUMOJetfgf"
    "7ncwY39nMZbLlmH0mu+ktH4eN3vRHvA1zkZT1w9U5sppfCCQyi33CYdx1UPIU7MMN7en4xyPleB4YDrrFNSKmkKdePS2JMTmWcL3"
    "BFVUDmqBewpWsG+7BswuvITiRbeBd7sdGFW4MALJzbD1Fj+sLN0AK/kAbLYsgtOvn9Jvi4NxbTKlsY+WMddDnoBsqQGs748mc49f"
    "wSqNg+DA7UW/NyvR+VQpGizLA9lwRWip/455bnmcrqNPUCojEmbqZePMr/zoOPMufv47QmvWc9hpl2cwbTtmkLRthih4vY7Yao3j"
    "n/C5aPR0iNy+78VkZ6xnbgnqMh71tbBWaSMpedcC/QkKaHPmHL1n9K/n+hTBL1ErpujKEPxeqA0Sau9QrNgA/owCu0ZnCFtUr2PN"
    "sstkcb4qe/TeV1jXYEQ3xM1hf+ypICL2Trj8/Qtc5CfBpocdhHT7R5ieZsdkBdVD/cxsyjbdhhU5iqi1oxE1x1vQ6/4BqKq9BLlr"
    "+BltvgrIqJnDHQ1sIqoq9ZxvY8EoJy7Axo6qgaCfIzjxvIS6IyLYnzaNXaDthqo3MnFqygJ7ddrRNSILInddhL33c6GgdQ1+tuNj"
    "7WLPok/rEPI31ONe293/8NYDr79lQnp0BGky56P2DyJxed5cfPJoKbqszqX1nDf4WNcGtFS/EL8vupAc7IN8Enfw3lJZfOwiip/2"
    "JOP6nb24Qq0PAp6FgGj7Mfp0321ug2kuRhju4p56/ow2kk5syn1GFey0mH0wReR0KRGTjiD9XS9wMhXpUcPlmBnjie82hKPv53/n"
    "0WXgW3AO3nxxAkcW1uHpbh86MN0AdxYN4kPFjxgoxAtLzytg8KMxumFbFNqrCrNPkhLxyOgVlHDopSGayVh7xxx4jA4Q1tiUaSs1"
    "BvlVf7Fo8ScaZ/Qcf0wTxXu2KnitoZ1sgnyyXnYF0/1bgjF/5oc+EploSbrxs9xd8w4mhRzzFGCCVpiDy7vdOCL7DBs0RNj1fhEY"
    "syQM095EcHV+bqZRXw1hS9Yg/orZjdYh4Ui+XMaG0vl4xXMf1rwvwU6TvailfBWKzKbjpI4kI3pdiDl8IAcs9mbD9vGfoH/Yiimc"
    "qcww2S7MykBpJoV1JGxqJiQ4RsJy+zgy0mcKTIoeY6rdCa7dWkx9kAfM8RXHmPQKsIi6AKovZ8PwvYvkxNUQzqUOARDjV2V6Ux1J"
    "tOxFtDrrRUS9EzlWS1TYDys/YIpzForw8dA5zBs6GNaObc/EGKkDkky9pAizY+A0c9atnHnonwsHnqfCzL+rGV7OPGZpoC42v+dl"
    "hy624cMH0+D+zddQo6HMbjhbg1WLk1FAfT4Ojd7nrI+yJwm1T2DmGV6mRk2FWRTuTzbOCwENxzVUubUKj88tx51PvmHL2FX0rPpM"
    "u/Wb6LuT09ls9348lSHLBpepsN51s0Fe+XZdl/QCLJEKBDOJXMIHxjTFfYRbNyOAnglMNP9zYzXeUCnE+4e5HBOXK6CcGYFX5RSg"
    "ceIp9VL7gZIFMzBe6Ah82RtBIvff5R5qKYaJga1cHq1PxOb5PjDTsYVXOgB2zdboW9qLoevrSfaSH3AgRobTtLkNHnj+oPXT3mGh"
    "kS2ur7lPQuYrYnpZOP10ppco8P7iTps5TJ2vncKFfVdwVX8KCDWlgk7fKbLC9g9Z/SuO8EerYEWzA9dAJIIE3hiik8pDIOp5tV7h"
    "QB4e/OddEbNEAId/gl1ePcmXd8YonbO0mFeA+bnQHbbMukm2CM2DtId/oOboLXhqQuFj5AVwK5EkeVn6jFmgKOWXKUQlgzh0kLcG"
    "GbKEJB/NR8eg9PrJETGUkf9AHmafhRutibihmtCQQVGqaRJNV52Zj15GbjBl+pFcdR0lVz6vgcXXXnOd2AjKOuXBaMY8WLR2FfWJ"
    "8uE0Hw9B8aFb4Pacj8lrm0lbx7RJnrEjHJqtRF1rI+mM8ytRY3AR3tz0BOLuFcLodMCp7tl4YPshGq8qyPhWHaNXMiKxJnQuPo7O"
    "IBnPWshlkyLwm/fOfNw/Ea7mXYfrKRe523UiMXb1JWxxzkO12fvJhk1VmH5xMbnTKEHHJR+Bsf0dsnR7DPYFFpIc11uc9jluEO+R"
    "Dd6viklwzQ0y03YuWL7F+pGNMdw+71AwcX9Ahg+0EOF/+X1etyBtTLClCeJ6sOt2Au0TPQzDe1Xh1Nc0uuKkASrNNsZnNi20PKaO"
    "dEQJcGaqLyd7u4xhyGwC9JNkYelIFx14P43bcqGYSC7qpZsv/6o/s+AmfrCQxeVDGjTF4jRSjaXIfXsPz9kuwBW0mxwckSNJhsk4"
    "vPtFHacukfx+8IbIujiRwmma0Jl2m+Sf3QzCT++TBTm2uG7jXxxYbsS85f0NfX1Z6HZWgqhv3Y1OsXK4NF+SXt+xkhomNSLv7izo"
    "PllIAy8+o8/cw/FZ/jEq5fuFYzl+h1P3iMV7uzh4/L4Qs3VcjZlZHEU5agM0s8UJj4o00p7iBrpydge+7eBjd/6RY8SNeBj5Owkc"
    "I7F3pPHOBjAepGBj4QfCVbeIbsQATa26BY5tLNkrxtKAHj5csz6QQoomHVZ9Rs33rodUiwukQSgSnosm0FM62uRt/ykiM+Jg7lGe"
    "AyOQS0YSJqkr448PViPMEpVnaLUOcXH8Q+b03sZkVgW/uDwi9csniaFPEs7dJwzr3A24sTgNyhz2QmCkAMRc+2We2scL1Zsy4JLU"
    "dXLGMReq+wXBya8e7SwsQOtHAIRtmkux7ybH0z+AvtrEkkNNvWDaFc+p1AuE29t8wcfsL3XkW0WEDpfDd7kQjm/CQ8oz8b1e5r+L"
    "JHzD3PotWdZgsFEflfeswKTZK1Dr9j7a+s0BvhbIUrF4YaSBs2CsXxfWPNQHRe1Bkkb/I9MXaMFDJXnSX3sHMKULNno3kKoP2dzZ"
    "67TJgGg3qHN+wLBEG6z91U1jhORhdbgfBK1YBXddl4OCgDoqlYzRAgtrerdZE+LDzhIhHy7NcRSGSdtM8r2rFrK7VMB6x276Wiyf"
    "BKU/IPZvRbB+ahfeD42kw/EH4KgIA089S0mQCT9j/N2WmR12DgS7P3PvDGlC+h5e+BNeY/5aag8d78gkW8rLYLJOhBGf/w7C782B"
    "k2pNYBz7hO6+KI5GCZYoU3IMg/OzOcG84SBQ3UoTzm7D0lsMmrlepIHJEqh3tAG/SYXh264UariilrO/t4/rHfSvH85+y5ntmUkb"
    "3+th3PkDqJPryO2pPgsOMAQWZvfgl8s4LZPaCeYLV8CnkVZ8evEmnjYQRGA3wtHzOuDeHMy5zNrhrv1zmBtfCLir/KVLjzKYrCqA"
    "HtV3aHeGAcr5GcDY6QastrLE4Ji11HvuP2+v3copWOKFzRkj3G2V/qikLojT5TJwUHodJ37rOWw02Q9q++/Solo1iKsWZ9or1ZgD"
    "XWfIIYWDVORZFzQ7b4ClHnl0YrsYNrutQh59hC0Pn0FT+TG4z+dOxxUyyIt/9/4dqoLuyp5mQV3uOLsjm2ic8KGlBd3UpewLnXz9"
    "kgSqnUJRj3G6x0kMvc50optALP7WcEKTgukQ9nsQ+y7H47xaCXbFUnlSrBFu9vB4BNdIfRLinG+CQXwaKP7ig98rskHSSQV2LVqD"
    "S7tTiFv1c/JFTITZdJRAl6k2HLIrg9VGk5C/y5n45djBGoNq7jLdWrSyqqWyicU4FhkE/20XwEYNfXq8x5me0PwP38sDhqT8wOhT"
    "sZhVVYnXW8LwvFESOaMmAWN3XuGpd99Jb6kko7pgHjN3gSlzT3wIXl9+Ah07asBw+zlwnBkDTwLLieXLMJib0QoH1+2FVb5vycGy"
    "J+T86QI4yInjKH0SIYHBz6ig9VVuhnYl/eSdhc2TJRgZUEKvaWhTXo+M+l+fFOqtrqSg4GgagoA1Hl7wCt1nZ+H6rGrUeE2xhr7C"
    "8txuZAYugH1DP+F3+gAH1y5j8IYQXMwtJz3XDoDIbxGuj+RRbrDlAOn88ZceE/Mlkp7hREp8B3XdYYTPp9xx7lYFVr5ZiV1cbQoa"
    "nZfMxVV2ks0PdsLsfavwVLEV6vYI0AftClx/Wy6N2PsfLC9ahhIR1/GMcw6K6r3AAU9+5Hc7SnZtX4n9EbNRe0cTBGa7kbF3++n3"
    "+QvIuvGfdNOtMHK7Kdl83fs11D6ZwxENXQSLYuXZH/55FEtZmnP9PI2puvDPe2vonWUxKO8lAYf+/3eB85KO74qmcc4hsEmiBOWM"
    "M6HUxQasRExwSv8wfZSQAatyR/DZlAN0oDnMX38QRSWroVYulDYEKLJ7P+dD5sgy0D+4BUO109GnSBZ7X6gztDQXbBUPY6n/AJ2x"
    "dgAufVeCF3OXoInUaug6tIWEsWegvCsdDkl4wvXoz2QXfwMM7HkC6eLGuG0wl7Ql7Obmu8sz90o6ITDXEI1seNld/XXwlzsAVYuO"
    "4vs5d2COxA24V50Ihcu6ycD5m5zNSQfx3Jw/8LN+LycwZDmn9OgM2OBeTJY1zIcwRW1yrcOd1s8Lo6W+j8nHRyz5u8WKkx4aQRgS"
    "DVW9B+A7u5q0RThSbftEkhHhAHs0IsHLxhhrPdU5YrttOBYt0TBlbYBPnRYR9fPhWC74T2MfTUFZdQnwimXCWIwmjPqcgdaa23Bq"
    "LS/Dc6mMVriXwQkBXZQLfEpDjuWQFW+EoHpImThNraY9zXq4PMmbWiyRxiffWui9vkqYSlgArxvbSC2fMTXzKuRKm44TgbYuMj0q"
    "mMqOmEJdTzyYJ1XCeE8c6FV2QNI+N+hVjYRxXWX82bGVyLYlwsQ1VxiNWg7uN0dhbGgrGGlk0e6REBgJmiLnrl2Bdb0llC9MFRZ2"
    "9HNXvOzgrHJ3oIanEk0N+M3BNDeHCpxfi6e6/yNniw3JCctUzq+uThJ26TadFPuXb4/1mze+OozrX76ki89HQqI6ENbVnhyWzACv"
    "6wrU2toGv0iVkeNG4WCjthjWpQrhvkpZOKj/krtguxK5qZNAYhaH4a6oOGw4WQT1qQM0QeY1WfclFJ78e4f0KG9IHasAh+af3CNv"
    "C2mJoSVa3IyiM2UiaCnZDv2DityMEBNSEXscIm8E47meayiELB55tBDvXqrhSPKtgHHbJKIqX8EJn5zB1P0OxpMHv9DWLR/h1GI7"
    "VFpbx3mvcpkUhnGwd8ICdZLHiGYui5b/GaH5jjVo4KmB1r82kj63YDD5Twk8rK7C5AdxpltnFfDsD0HPi7twf1A2UUgVRD8lEWAN"
    "E5G8M8WrM3aQr2eLoUw2FR2ibxPD79dI95FuordLhw67KBL5g785FTEqTOKpS6TWtwXrNWvwrHIeGkneJByaRD8dF0DpuGKsGb2K"
    "4rlcMt7xHpdnSOOD62ZYvvcjPTAUC7e3LiFFPG2kY8W/rpJSBAF3ZHH8hjF52rAcEsYksJYRBUK98ehjMQImp7l2TvxgKbiR5inM"
    "p+e9L2DhSWHi/6/Hpkk40YS52TSq2Qg0r+0BVkYZo9TyCL38xDxVVRU1L+rCwm1KbNcHU/yru5L4SVVx9b9EUn+RXxzTE1no7HwF"
    "vJY8gDQbGzpsGglG0eYQmnkebDQmyLLIBNKaRqF6bVPdkHgv9E4shSizHDLXqI8+OBDPnZl0jSN+2Ye8HvGFxZeFcU0KgfSSbryW"
    "c5ZY/UgnTZanaatCDZWBZVAtcxKvTNtNf3dfA8POs8hM9RGrOQZ41/EPdTkljbNDs+nOX7aYNm0WzGkmcGi3LZxQ14fbdoADLn20"
    "ZLcYmbZSDeY77QfF/2ZCTmNinZrQJCHtArhu7haMXLoGFgwqU3OUgXRPPa7y09P1xlfGSKPwISp78xeZk9RKBhdlkJ3HBGFFsxRy"
    "cxfRH64mNPnbWH1gv0p9ufMSnBFmxen3Dwa7NRU0IMKaG1Rlj43fA4mO3npyqmgDOExXISkWrtw4p4/A5Z+FtYv0uYf3/SaOnWb0"
    "+rmvJP3TJxI7rAZSzuL4m+GCw5UKWth9DCYfnMR3dnlkDt8zTqtjNDqWSpDheHHYsbeFrIsVYrfP0EWzuEv0xd+FZOfFI6TlWxYW"
    "bjvOXT8VjLuEh2mOliDb+i4Fnaaz3Dv+YlRqRBlaVvYTb7/VUHH6CxU60wQfvM6S/KEAuKi4HK8JedKo+DFu/qtqOsxsomvuTnGi"
    "nvwG894vJGCJLHSG5mFIsRn1cO0w++QfgM97TOjXlCzuvg25cNckFtsFd2Fp2SaEC+ZUSDqC9mpZoKWsEe25p0u0bDZx+Cf3YU3l"
    "WWR9hHGfjy4oHpeAUo96cvAhJfFLn3LK819D9rpbXOe//zxOZwHefcjiobet3OLD7TS/ZysRPKVATq/IoJq2Xnhx1xw8+C0Pd4f3"
    "c0YFDsPh++q4oiWYDOdY0TlDb7ge3n/o7D06iELBNCKboEPtRyJBK1F8Fz/2cF3RrcGHevkmoG98Jd7WNcO90vogtP0v4fgWw99Z"
    "i4hJSShs/3QCZrV+JKJbGkkEjYHP0gKoekGJqtpcgpJfN2jE+DqwSMqk9pfPk+TtBdQ9/TleXM4La20dOVcCy+n2jQuxZJoVyO7T"
    "h2V9XnDaMote+OoJGy0mKLt/PyFtUXhrywH00lNCM/8WzBjkwzeLvdAvtwv3xmfAl94YjskxAZA7JMapvrcOktocqNSW2+RqQwhI"
    "vz+PXtGlwNN8HvfbRqDulfv02NMIkLswG66HW4NW3lKaLzoHdW56w+T1gxA9bSnVibvwz/MX4LGEzcTJvQ7UOx+CYtts7PxvNam/"
    "kIXS9fJ418AA396iEC02bmaS+IHsji4nFgGCZnuGPhFLo3Kct3gl3s69CPlte3F58S6Svl0cFiZFYYvqL9p37h9vSAZukzEn7fuc"
    "/80hD5WLrtDoWx544ed0lofzk9y8HAOCdSex5vJ+9FIMBtb0M8l1iKbbbeRwWDaczjt5s37dKUkmo0uGrtUQwNphN05+pB7H+ex0"
    "mJnRTIeX6uExv6cw36674X84CeCw"
)
