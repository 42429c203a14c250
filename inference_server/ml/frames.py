"""Turn uploaded media into BGR frames: image decoding with integrity checks, video sampling.

Cameras upload over flaky links, so a file can be cut short. OpenCV happily decodes a truncated
JPEG into a half-grey picture; detecting on that would invent or miss objects, so the checks here
reject incomplete files before decoding.
"""

from __future__ import annotations

import math
from pathlib import Path

import cv2
import numpy as np

_JPEG_SOI = b"\xff\xd8\xff"
_JPEG_EOI = b"\xff\xd9"
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_IEND = b"IEND\xaeB`\x82"
# Some cameras pad files after the end marker (zeros, a few bytes of trailer); tolerate that much.
_TRAILER_TOLERANCE = 4096
# A decompression bomb (a 1 MB PNG of 20000x20001 pixels) must be refused from its header:
# decoding it would take gigabytes. 40 MP is above any camera's still image.
DEFAULT_MAX_PIXELS = 40_000_000


class UndecodableMedia(ValueError):
    """A file that cannot be turned into frames: the message says why (truncated, not an image...)."""


_REDUCED = {2: cv2.IMREAD_REDUCED_COLOR_2, 4: cv2.IMREAD_REDUCED_COLOR_4, 8: cv2.IMREAD_REDUCED_COLOR_8}


def jpeg_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) from a JPEG's frame header, without decoding; None if not found."""
    pos = 2
    n = len(data)
    while pos + 4 <= n:
        if data[pos] != 0xFF:
            return None
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            pos += 2
            continue
        length = int.from_bytes(data[pos + 2 : pos + 4], "big")
        if marker in (0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF):
            if pos + 9 > n:
                return None
            height = int.from_bytes(data[pos + 5 : pos + 7], "big")
            width = int.from_bytes(data[pos + 7 : pos + 9], "big")
            return width, height
        pos += 2 + length
    return None


def shrink_to_side(image: np.ndarray, target_side: int | None) -> np.ndarray:
    """The frame scaled down (area averaging) so its long side is `target_side`; unchanged when
    it is no larger or no target is given. Detection frames need no more pixels than the
    model's input: this keeps batches of 4K PNGs or video frames from holding hundreds of MB."""
    if not target_side:
        return image
    height, width = image.shape[:2]
    long_side = max(height, width)
    if long_side <= target_side:
        return image
    scale = target_side / long_side
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA)


def png_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) from a PNG's IHDR chunk, without decoding; None if it is not there."""
    if len(data) < 24 or data[12:16] != b"IHDR":
        return None
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def check_pixels(width: int, height: int, max_pixels: int, kind: str) -> None:
    """Raise UndecodableMedia when an image or video frame is larger than `max_pixels`."""
    if width <= 0 or height <= 0:
        raise UndecodableMedia(f"corrupt {kind}: its header gives {width}x{height} pixels")
    if width * height > max_pixels:
        raise UndecodableMedia(
            f"{kind} of {width}x{height} pixels is over the {max_pixels}-pixel limit"
            " (max_image_pixels); it was not decoded"
        )


def decode_image(
    data: bytes, target_side: int | None = None, max_pixels: int = DEFAULT_MAX_PIXELS
) -> np.ndarray:
    """Decode a JPEG or PNG into a BGR uint8 array (H, W, 3), or raise UndecodableMedia.

    A JPEG must end with its end-of-image marker and a PNG with its IEND chunk, so a file cut
    short by an interrupted upload is rejected instead of yielding a partly grey frame.

    With `target_side` (the detector's input size), a large JPEG is decoded at 1/2, 1/4 or 1/8
    scale by the JPEG decoder itself (several times cheaper) as long as its long side stays at or
    above `target_side`: the detector would shrink it to that size anyway. A PNG has no cheaper
    reduced decode; it is decoded whole and scaled down to `target_side` at once.

    The pixel count is read from the header first: an image over `max_pixels` is refused
    without being decoded.
    """
    if not data:
        raise UndecodableMedia("empty file (0 bytes)")
    if data.startswith(_JPEG_SOI):
        tail = data[-_TRAILER_TOLERANCE:].rstrip(b"\x00")
        if _JPEG_EOI not in tail:
            raise UndecodableMedia(
                f"truncated JPEG ({len(data)} bytes, no end-of-image marker): the upload was cut short"
            )
        kind = "JPEG"
    elif data.startswith(_PNG_SIGNATURE):
        if _PNG_IEND not in data[-_TRAILER_TOLERANCE:]:
            raise UndecodableMedia(
                f"truncated PNG ({len(data)} bytes, no IEND chunk): the upload was cut short"
            )
        kind = "PNG"
    else:
        raise UndecodableMedia(f"not a JPEG or PNG image (starts with {data[:8]!r})")

    size = jpeg_size(data) if kind == "JPEG" else png_size(data)
    if size is None:
        raise UndecodableMedia(f"corrupt {kind}: no frame header giving its size")
    check_pixels(size[0], size[1], max_pixels, kind)
    flag = cv2.IMREAD_COLOR
    if target_side and kind == "JPEG":
        for factor in (8, 4, 2):
            if max(size) // factor >= target_side:
                flag = _REDUCED[factor]
                break
    buffer = np.frombuffer(data, dtype=np.uint8)
    try:
        image = cv2.imdecode(buffer, flag)
    except cv2.error as exc:  # e.g. dimensions over OpenCV's pixel limit
        raise UndecodableMedia(f"corrupt {kind}: {str(exc).strip().splitlines()[-1]}") from exc
    if image is None or image.size == 0:
        raise UndecodableMedia(f"corrupt {kind} ({len(data)} bytes): the decoder rejected it")
    if kind == "PNG":
        image = shrink_to_side(image, target_side)
    return image


def sample_video_frames(
    path: Path,
    every_seconds: float = 1.0,
    max_frames: int = 10,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    *,
    target_side: int | None = None,
) -> list[tuple[float, np.ndarray]]:
    """Sample a video into (offset seconds, BGR frame) pairs, one frame per `every_seconds`.

    With `target_side` (the detector's input size) each kept frame is scaled down at once so its
    long side is that size (see `shrink_to_side`).

    The first frame is always taken. Raises FileNotFoundError for a missing file and
    UndecodableMedia when the container cannot be opened, holds no decodable frame, or its
    frames are over `max_pixels` (read from the container before any frame is decoded).
    """
    if every_seconds <= 0:
        raise ValueError(f"every_seconds must be positive, got {every_seconds}")
    if max_frames < 1:
        raise ValueError(f"max_frames must be at least 1, got {max_frames}")
    if not path.is_file():
        raise FileNotFoundError(f"video file not found: {path}")
    if path.stat().st_size == 0:
        raise UndecodableMedia(f"empty video file (0 bytes): {path.name}")

    capture = cv2.VideoCapture(str(path))
    try:
        if not capture.isOpened():
            raise UndecodableMedia(f"cannot open video {path.name}: broken or unsupported container")
        width = int(capture.get(cv2.CAP_PROP_FRAME_WIDTH) or 0)
        height = int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT) or 0)
        if width and height:
            check_pixels(width, height, max_pixels, "video")
        fps = capture.get(cv2.CAP_PROP_FPS)
        if not fps or not math.isfinite(fps) or fps <= 0:
            fps = 0.0  # unknown: fall back to the decoder's timestamps
        samples: list[tuple[float, np.ndarray]] = []
        next_offset = 0.0
        index = 0
        # Sequential grab() is slower than seeking but exact: seeking in MP4 lands on keyframes.
        while len(samples) < max_frames and capture.grab():
            offset = index / fps if fps else capture.get(cv2.CAP_PROP_POS_MSEC) / 1000.0
            index += 1
            if offset + 1e-6 < next_offset:
                continue
            ok, frame = capture.retrieve()
            if not ok or frame is None:
                break
            samples.append((round(offset, 3), shrink_to_side(frame, target_side)))
            next_offset = (math.floor(offset / every_seconds + 1e-6) + 1) * every_seconds
    finally:
        capture.release()
    if not samples:
        raise UndecodableMedia(f"video {path.name} holds no decodable frame: broken or truncated")
    return samples
