"""Decoding uploads into frames: broken files are rejected with a reason, not half-decoded."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from inference_server.ml.frames import UndecodableMedia, decode_image, sample_video_frames
from tests.support.models import sample_images


def _jpeg(width: int = 64, height: int = 48) -> bytes:
    image = np.zeros((height, width, 3), dtype=np.uint8)
    image[:, : width // 2] = (255, 0, 0)  # left half blue in BGR
    ok, encoded = cv2.imencode(".jpg", image)
    assert ok
    return encoded.tobytes()


def test_jpeg_decodes_to_bgr_frame() -> None:
    frame = decode_image(_jpeg())
    assert frame.shape == (48, 64, 3)
    assert frame.dtype == np.uint8
    assert frame[24, 10, 0] > 200 and frame[24, 10, 2] < 50  # blue stays in channel 0


def test_png_decodes_and_truncated_png_is_rejected() -> None:
    ok, encoded = cv2.imencode(".png", np.full((20, 30, 3), 7, dtype=np.uint8))
    assert ok
    data = encoded.tobytes()
    assert decode_image(data).shape == (20, 30, 3)
    with pytest.raises(UndecodableMedia, match="truncated PNG"):
        decode_image(data[: len(data) - 20])


def test_truncated_jpeg_is_rejected_with_its_reason() -> None:
    # OpenCV 4 decodes a cut JPEG into a half-grey frame; the end-marker check catches it anyway.
    photo = sample_images()[0].read_bytes()
    assert decode_image(photo).shape == (1080, 810, 3)
    for cut in (len(photo) // 2, len(photo) - 2):
        with pytest.raises(UndecodableMedia, match="truncated JPEG"):
            decode_image(photo[:cut])


def test_jpeg_padded_after_end_marker_is_accepted() -> None:
    assert decode_image(_jpeg() + b"\x00" * 100).shape == (48, 64, 3)


def test_text_file_named_jpg_is_rejected() -> None:
    with pytest.raises(UndecodableMedia, match="not a JPEG or PNG"):
        decode_image(b"hello, this is not an image\n")


def test_empty_file_is_rejected() -> None:
    with pytest.raises(UndecodableMedia, match="empty"):
        decode_image(b"")


def test_jpeg_with_garbage_body_is_rejected() -> None:
    rng = np.random.default_rng(1)
    data = b"\xff\xd8\xff\xe0" + rng.integers(0, 255, 500, dtype=np.uint8).tobytes() + b"\xff\xd9"
    with pytest.raises(UndecodableMedia, match="corrupt JPEG"):
        decode_image(data)


def _write_mp4(path: Path, seconds: int = 3, fps: int = 10) -> None:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"mp4v"), fps, (64, 48))
    assert writer.isOpened()
    for i in range(seconds * fps):
        writer.write(np.full((48, 64, 3), i * 8 % 256, dtype=np.uint8))
    writer.release()


def test_mp4_is_sampled_once_per_second(tmp_path: Path) -> None:
    clip = tmp_path / "clip.mp4"
    _write_mp4(clip)
    samples = sample_video_frames(clip, every_seconds=1.0, max_frames=10)
    assert [offset for offset, _ in samples] == pytest.approx([0.0, 1.0, 2.0])
    assert all(frame.shape == (48, 64, 3) for _, frame in samples)
    # Different moments of the clip, not the same frame three times.
    assert len({int(frame.mean()) for _, frame in samples}) == 3


def test_mp4_sampling_stops_at_max_frames(tmp_path: Path) -> None:
    clip = tmp_path / "clip.mp4"
    _write_mp4(clip)
    samples = sample_video_frames(clip, every_seconds=0.5, max_frames=2)
    assert [offset for offset, _ in samples] == pytest.approx([0.0, 0.5])


def test_broken_mp4_is_rejected(tmp_path: Path) -> None:
    clip = tmp_path / "clip.mp4"
    _write_mp4(clip)
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(clip.read_bytes()[:600])  # cut before the index (moov) is written
    with pytest.raises(UndecodableMedia):
        sample_video_frames(broken)
    text = tmp_path / "text.mp4"
    text.write_text("not a video")
    with pytest.raises(UndecodableMedia):
        sample_video_frames(text)
    with pytest.raises(FileNotFoundError):
        sample_video_frames(tmp_path / "missing.mp4")
