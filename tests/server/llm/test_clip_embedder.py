"""The CLIP re-ID embedder: unit vectors per crop, same crop same vector, clear errors without weights."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from inference_server.domain.detections import Box
from inference_server.ml.embedder_clip import ClipEmbedder, crop
from inference_server.ml.protocols import Embedder, ModelUnavailable


@pytest.fixture(scope="module")
def embedder() -> ClipEmbedder:
    # ViT-B-32 with random weights: the smallest real model, no download.
    return ClipEmbedder("ViT-B-32", pretrained=None, device="cpu", batch_size=3)


def _image(seed: int, height: int, width: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, size=(height, width, 3), dtype=np.uint8)


def test_embeddings_are_unit_float32_rows_of_the_model_width(embedder: ClipEmbedder) -> None:
    crops = [_image(1, 160, 64), _image(2, 64, 64), _image(3, 50, 120)]

    vectors = embedder.embed(crops)

    typed: Embedder = embedder  # satisfies the protocol (checked statically)
    assert typed.name == "clip"
    assert embedder.name == "clip" and embedder.dimensions == 512
    assert vectors.shape == (3, 512) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert embedder.embed([]).shape == (0, 512)


def test_identical_crops_match_and_different_crops_do_not(embedder: ClipEmbedder) -> None:
    person = _image(7, 180, 70)
    other = np.full((180, 70, 3), 40, dtype=np.uint8)
    other[60:120] = (10, 200, 30)

    # Four crops with a batch size of three: the two batches agree with each other.
    vectors = embedder.embed([person, other, person.copy(), person])
    similarity = vectors @ vectors.T

    assert similarity[0, 2] == pytest.approx(1.0, abs=1e-5)
    assert similarity[0, 3] == pytest.approx(1.0, abs=1e-5)
    assert similarity[0, 1] < 0.999


def test_crop_cuts_the_padded_box_and_stays_inside_the_frame() -> None:
    frame = np.arange(100 * 200 * 3, dtype=np.uint32).reshape(100, 200, 3).astype(np.uint8)

    inner = crop(frame, Box(0.25, 0.2, 0.75, 0.6), pad=0.1)
    edge = crop(frame, Box(0.0, 0.0, 0.1, 1.0), pad=0.5)
    point = crop(frame, Box(1.0, 1.0, 1.0, 1.0), pad=0.0)

    assert inner.shape == (48, 120, 3)  # 40x100 px grown by 4 and 10 px a side
    np.testing.assert_array_equal(inner, frame[16:64, 40:160])
    assert edge.shape == (100, 30, 3)
    assert point.shape == (1, 1, 3)
    inner[:] = 0
    assert frame[16:64, 40:160].any()  # a copy, not a view


def test_missing_weights_file_names_the_file(tmp_path: Path) -> None:
    missing = tmp_path / "clip" / "ViT-L-14.safetensors"

    with pytest.raises(ModelUnavailable, match=str(missing)):
        ClipEmbedder("ViT-L-14", pretrained=str(missing), device="cpu")


def test_tag_without_cached_weights_is_refused_without_download() -> None:
    with pytest.raises(ModelUnavailable, match="not in the local cache"):
        ClipEmbedder("ViT-B-32", pretrained="laion2b_s34b_b79k", device="cpu")
