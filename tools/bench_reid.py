"""How long re-ID embedding takes per crop on this machine (`python -m tools.bench_reid`).

The weights do not change the arithmetic, so the benchmark builds the model with random weights
(no download): the numbers hold for the real ViT-L-14 / ViT-B-32 weights too.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

import numpy as np


def embed_time_per_crop(
    model: str = "ViT-L-14", crops: int = 8, *, device: str = "auto", repeats: int = 2
) -> dict[str, Any]:
    """Time CLIP image embeddings of `crops` person-sized crops (160 x 64 px, BGR).

    Returns the model, device and width, `load_seconds` (building the model, separate), then
    `ms_per_crop_batched` (one batch of all crops, divided by their number) and
    `ms_per_crop_single` (crops one at a time, as a window with a single track would), each the
    best of `repeats` timed runs after one untimed warm-up.
    """
    if crops < 1:
        raise ValueError(f"crops must be at least 1, got {crops}")
    import torch

    from inference_server.ml.embedder_clip import ClipEmbedder

    torch.manual_seed(0)
    started = time.perf_counter()
    embedder = ClipEmbedder(model, pretrained=None, device=device, batch_size=max(crops, 1))
    load_seconds = time.perf_counter() - started
    rng = np.random.default_rng(0)
    images = [rng.integers(0, 256, size=(160, 64, 3), dtype=np.uint8) for _ in range(crops)]
    embedder.embed(images[:1])  # warm-up: lazy initialisation, kernel selection

    def best_of(run: Any) -> float:
        times = []
        for _ in range(max(1, repeats)):
            t0 = time.perf_counter()
            run()
            times.append(time.perf_counter() - t0)
        return min(times)

    batched = best_of(lambda: embedder.embed(images))
    single = best_of(lambda: [embedder.embed([image]) for image in images])
    return {
        "model": model,
        "device": str(embedder.device),
        "dimensions": embedder.dimensions,
        "crops": crops,
        "torch_threads": torch.get_num_threads(),
        "load_seconds": round(load_seconds, 2),
        "ms_per_crop_batched": round(batched * 1000.0 / crops, 1),
        "ms_per_crop_single": round(single * 1000.0 / crops, 1),
    }


if __name__ == "__main__":
    for name in sys.argv[1:] or ["ViT-B-32", "ViT-L-14"]:
        print(json.dumps(embed_time_per_crop(name)), flush=True)
