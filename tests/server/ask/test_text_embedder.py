"""all-MiniLM-L6-v2 in NumPy with the real weights: unit vectors, meaning, batching, clear errors."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import numpy as np
import pytest

from inference_server.ml.protocols import ModelUnavailable
from inference_server.ml.text_embedder import (
    TOKENIZER_SHA256,
    WEIGHTS_BYTES,
    WEIGHTS_SHA256,
    MiniLMEmbedder,
    find_model_dir,
    read_safetensors,
)


def test_embeddings_are_unit_vectors_and_equal_inputs_give_equal_outputs(minilm: MiniLMEmbedder) -> None:
    vectors = minilm.embed(["A van parks in the driveway.", "", "A van parks in the driveway."])
    assert vectors.shape == (3, 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert np.allclose(vectors[0], vectors[2], atol=1e-6)  # BLAS may round rows differently
    assert minilm.embed([]).shape == (0, 384)


def test_paraphrases_are_nearer_than_unrelated_sentences(minilm: MiniLMEmbedder) -> None:
    # The sentence-transformers example pair scores ~0.75 with this model; unrelated ones ~0.
    a, b, c = minilm.embed(
        ["A man is eating food.", "A man is eating a piece of bread.", "The new movie is awesome."]
    )
    assert 0.7 < float(a @ b) < 0.8
    assert abs(float(a @ c)) < 0.2
    q, fence, bins, mail = minilm.embed(
        [
            "did someone climb over the wall into the garden?",
            "Person climbs over the back fence at night.",
            "A bear knocks over the bins.",
            "Mail carrier drops letters at the door.",
        ]
    )
    assert float(q @ fence) > max(float(q @ bins), float(q @ mail)) + 0.1


def test_a_batch_gives_what_each_sentence_gives_alone(minilm: MiniLMEmbedder) -> None:
    texts = ["short", "a much longer sentence about a delivery truck blocking the street for minutes", "car"]
    together = minilm.embed(texts)  # padded to the longest: the mask must hide the padding
    alone = np.stack([minilm.embed([t])[0] for t in texts])
    assert np.allclose(together, alone, atol=1e-5)


def test_a_long_text_is_truncated_not_refused(minilm: MiniLMEmbedder) -> None:
    vector = minilm.embed(["door " * 2000])
    assert vector.shape == (1, 384) and np.isfinite(vector).all()


def test_the_packaged_weights_are_the_published_model(minilm: MiniLMEmbedder) -> None:
    assert minilm.verified and minilm.sha256 == WEIGHTS_SHA256
    assert (minilm.model_dir / "model.safetensors").stat().st_size == WEIGHTS_BYTES
    assert hashlib.sha256((minilm.model_dir / "tokenizer.json").read_bytes()).hexdigest() == TOKENIZER_SHA256


def test_other_weights_in_an_own_folder_load_but_are_not_marked_verified(
    minilm: MiniLMEmbedder, tmp_path: Path
) -> None:
    tensors = read_safetensors(minilm.model_dir / "model.safetensors")
    from safetensors.numpy import save_file

    tensors["embeddings.LayerNorm.bias"] = tensors["embeddings.LayerNorm.bias"] + 0.2
    save_file({k: v for k, v in tensors.items()}, str(tmp_path / "model.safetensors"))
    shutil.copy(minilm.model_dir / "tokenizer.json", tmp_path / "tokenizer.json")
    other = MiniLMEmbedder(tmp_path)
    assert not other.verified
    a, b = other.embed(["a van"])[0], minilm.embed(["a van"])[0]
    assert 0.5 < float(a @ b) < 0.9999


def test_missing_or_broken_model_folders_say_what_is_wrong(tmp_path: Path) -> None:
    with pytest.raises(ModelUnavailable, match=r"model\.safetensors"):
        find_model_dir(tmp_path)
    (tmp_path / "model.safetensors").write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00not json at all!")
    (tmp_path / "tokenizer.json").write_text("{}")
    with pytest.raises(ModelUnavailable, match="not a safetensors file"):
        read_safetensors(tmp_path / "model.safetensors")
    with pytest.raises(ModelUnavailable):
        MiniLMEmbedder(tmp_path)
