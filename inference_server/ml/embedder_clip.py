"""Appearance embeddings of person and vehicle crops with an open_clip image encoder (re-ID)."""

from __future__ import annotations

import logging
import math
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from inference_server.domain.detections import Box
from inference_server.ml.protocols import ModelUnavailable

log = logging.getLogger(__name__)

_WEIGHT_SUFFIXES = (".pt", ".pth", ".bin", ".safetensors", ".ckpt")


class ClipEmbedder:
    """L2-normalized CLIP image embeddings, batched; fp16 on CUDA.

    `pretrained` is a local weights file (the usual case offline), an open_clip tag such as
    "openai" whose weights are already in the local cache, or None for random weights (tests).
    Synchronous and compute-bound: call `embed` from an executor.

    Crops are padded to a square before resizing instead of centre-cropped, so a tall person
    crop keeps head and feet.
    """

    name = "clip"

    def __init__(
        self,
        model_name: str = "ViT-L-14",
        pretrained: str | None = None,
        device: str = "auto",
        *,
        batch_size: int = 32,
        pretrained_tag: str | None = None,
    ) -> None:
        """Build the model; raises ModelUnavailable naming the missing weights file or tag.

        `pretrained_tag` names the open_clip tag a weights file came from (e.g. laion2b_s32b_b82k),
        so its image normalization is used: open_clip knows it by tag, not by file, and LAION's
        ViT-L-14 normalizes differently from OpenAI's.
        """
        import open_clip  # type: ignore[import-untyped]
        import torch

        if device == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"
        self.device = torch.device(device)
        self.model_name = model_name
        self._batch_size = max(1, batch_size)
        weights = _resolve_weights(model_name, pretrained)
        image_mean = image_std = None
        if pretrained_tag:
            tag_cfg = open_clip.get_pretrained_cfg(model_name, pretrained_tag) or {}
            image_mean, image_std = tag_cfg.get("mean"), tag_cfg.get("std")
        started = time.perf_counter()
        try:
            model, _, _ = open_clip.create_model_and_transforms(
                model_name,
                pretrained=weights,
                device=self.device,
                pretrained_text=False,
                image_mean=image_mean,
                image_std=image_std,
            )
        except RuntimeError as exc:
            raise ModelUnavailable(
                f"CLIP model {model_name} could not be built from {weights!r}: {exc}"
            ) from exc
        model.eval()
        self._half = self.device.type == "cuda"
        if self._half:
            model = model.half()
        self._model: Any = model
        cfg = (
            open_clip.get_model_preprocess_cfg(model)
            if hasattr(open_clip, "get_model_preprocess_cfg")
            else {}
        )
        size = cfg.get("size", model.visual.image_size)
        self._size = int(size[0] if isinstance(size, tuple | list) else size)
        mean = np.asarray(cfg.get("mean", open_clip.OPENAI_DATASET_MEAN), dtype=np.float32)
        std = np.asarray(cfg.get("std", open_clip.OPENAI_DATASET_STD), dtype=np.float32)
        self._mean, self._std = mean, std
        # Pad with the mean colour, which normalizes to zero (BGR order, 0-255).
        self._pad_bgr = tuple(float(v) * 255.0 for v in mean[::-1])
        self.dimensions: int = int(model.visual.output_dim)
        log.info(
            "embedder_loaded backend=clip model=%s weights=%s device=%s dims=%d seconds=%.2f",
            model_name,
            weights or "random",
            self.device,
            self.dimensions,
            time.perf_counter() - started,
        )

    def embed(self, crops: Sequence[np.ndarray]) -> np.ndarray:
        """Embed BGR uint8 crops (H, W, 3): float32 array (len(crops), dimensions), rows of unit length."""
        import torch

        if len(crops) == 0:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        out: list[np.ndarray] = []
        with torch.inference_mode():
            for start in range(0, len(crops), self._batch_size):
                batch = np.stack([self._prepare(c) for c in crops[start : start + self._batch_size]])
                tensor = torch.from_numpy(batch).to(self.device)
                if self._half:
                    tensor = tensor.half()
                features = self._model.encode_image(tensor).float()
                out.append(features.cpu().numpy())
        vectors = np.concatenate(out).astype(np.float32, copy=False)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        unit: np.ndarray = vectors / np.maximum(norms, 1e-12)
        return unit

    def _prepare(self, crop: np.ndarray) -> np.ndarray:
        """BGR crop -> normalized CHW float32 RGB square of the model's input size."""
        if crop.ndim != 3 or crop.shape[2] != 3 or crop.shape[0] == 0 or crop.shape[1] == 0:
            raise ValueError(f"expected a non-empty BGR image (H, W, 3), got shape {crop.shape}")
        height, width = crop.shape[:2]
        side = max(height, width)
        top, left = (side - height) // 2, (side - width) // 2
        square = cv2.copyMakeBorder(
            crop,
            top,
            side - height - top,
            left,
            side - width - left,
            cv2.BORDER_CONSTANT,
            value=self._pad_bgr,
        )
        interpolation = cv2.INTER_AREA if side > self._size else cv2.INTER_CUBIC
        resized = cv2.resize(square, (self._size, self._size), interpolation=interpolation)
        rgb = resized[:, :, ::-1].astype(np.float32) / 255.0
        return np.ascontiguousarray(((rgb - self._mean) / self._std).transpose(2, 0, 1))


def crop(frame: np.ndarray, box: Box, pad: float = 0.1) -> np.ndarray:
    """Cut a normalized box out of a frame, grown by `pad` of its width/height on each side.

    The result is clipped to the frame, at least one pixel, and a copy (the frame may be reused).
    """
    height, width = frame.shape[:2]
    pad_x = (box.x2 - box.x1) * pad
    pad_y = (box.y2 - box.y1) * pad
    # Rounded first so float noise (0.15 * 200 = 30.000000000000004) does not add a pixel.
    x1 = math.floor(round(max(0.0, box.x1 - pad_x) * width, 6))
    y1 = math.floor(round(max(0.0, box.y1 - pad_y) * height, 6))
    x2 = math.ceil(round(min(1.0, box.x2 + pad_x) * width, 6))
    y2 = math.ceil(round(min(1.0, box.y2 + pad_y) * height, 6))
    x1, y1 = min(x1, width - 1), min(y1, height - 1)
    x2, y2 = max(x2, x1 + 1), max(y2, y1 + 1)
    return frame[y1:y2, x1:x2].copy()


def _resolve_weights(model_name: str, pretrained: str | None) -> str | None:
    """A weights file path, a cached open_clip tag, or None; never a download."""
    if pretrained is None:
        return None
    path = Path(pretrained).expanduser()
    looks_like_path = os.sep in pretrained or pretrained.endswith(_WEIGHT_SUFFIXES) or path.exists()
    if looks_like_path:
        if not path.is_file():
            raise ModelUnavailable(
                f"CLIP weights file {path} does not exist: copy the open_clip weights for {model_name} "
                "(e.g. open_clip_model.safetensors) there, or set the path to where they are"
            )
        return str(path)
    import open_clip

    if not open_clip.get_pretrained_cfg(model_name, pretrained):
        tags = ", ".join(open_clip.list_pretrained_tags_by_model(model_name)) or "none"
        raise ModelUnavailable(
            f"{pretrained!r} is neither a weights file nor an open_clip tag of {model_name} (tags: {tags})"
        )
    if not _tag_is_cached(model_name, pretrained):
        raise ModelUnavailable(
            f"CLIP weights {model_name}/{pretrained} are not in the local cache and this host does not "
            "download them: put the weights file on disk and give its path as the pretrained setting"
        )
    return pretrained


def _tag_is_cached(model_name: str, tag: str) -> bool:
    import open_clip

    cfg = open_clip.get_pretrained_cfg(model_name, tag)
    hub = cfg.get("hf_hub", "")
    if hub:
        try:
            from huggingface_hub import try_to_load_from_cache
        except ImportError:
            return False
        repo_id, filename = os.path.split(hub.rstrip("/")) if not hub.endswith("/") else (hub.rstrip("/"), "")
        if not filename:
            candidates = ["open_clip_model.safetensors", "open_clip_pytorch_model.bin"]
        else:
            candidates = [filename, os.path.splitext(filename)[0] + ".safetensors"]
        return any(isinstance(try_to_load_from_cache(repo_id, name), str) for name in candidates)
    url = cfg.get("url", "")
    return bool(url) and (Path("~/.cache/clip").expanduser() / os.path.basename(url)).is_file()
