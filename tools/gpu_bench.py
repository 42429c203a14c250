"""The GPU benchmark run by `scripts/gpu-bench` on a lent NVIDIA machine; writes one JSON.

Every model is built here with random weights (no model hub): the same graphs and costs as the
trained ones. Sections, each recorded as measured, skipped (with why) or failed (with the error),
so one missing piece never loses the others:

- raw detector: yolo26n/s/m on torch, FP32 and FP16, batch 1/8/32; TensorRT engines
  (ultralytics `export(format="engine")`, FP16) where tensorrt is installed;
- pipeline: `hsi bench` in its recorded-load mode on yolo26n FP16 (embedded PostgreSQL/Redis
  unless HSI_DATABASE_URL/HSI_REDIS_URL are set), beside its raw batched loop;
- CLIP: ViT-L-14 image embeddings, FP16 batches of 32 crops;
- LLM: a tiny random llama GGUF with full GPU offload (n_gpu_layers=-1), tokens/s.

`--dry-run` runs every section at toy sizes on the CPU (no FP16, no TensorRT) so the script is
tested where there is no GPU; its numbers say nothing about a GPU.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import os
import platform
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent


def _section(results: dict[str, Any], name: str, fn: Callable[[], Any]) -> None:
    started = time.perf_counter()
    print(f"[gpu-bench] {name} ...", flush=True)
    try:
        value = fn()
        results[name] = value if isinstance(value, dict) else {"value": value}
    except _Skip as exc:
        results[name] = {"skipped": str(exc)}
    except Exception as exc:
        results[name] = {
            "failed": f"{type(exc).__name__}: {exc}",
            "traceback": traceback.format_exc()[-2000:],
        }
    results[name]["section_seconds"] = round(time.perf_counter() - started, 2)
    print(f"[gpu-bench] {name}: {json.dumps(results[name])[:300]}", flush=True)


class _Skip(Exception):
    """A section that cannot run here (no CUDA, no tensorrt): recorded with the reason."""


def _frames(n: int) -> list[np.ndarray]:
    import cv2

    from tests.support.models import sample_images

    sources = [np.asarray(cv2.imread(str(p))) for p in sample_images()]
    return [cv2.resize(sources[i % len(sources)], (1280, 720)) for i in range(n)]


def raw_detectors(
    work: Path, device: str, models: list[str], batches: list[int], n: int, tensorrt: bool
) -> dict[str, Any]:
    """images/s of each model, precision and batch size on `device`."""
    from inference_server.ml.detector_yolo import YoloDetector
    from tests.support.models import build_random_yolo
    from tools.bench_detector import raw_detector_loop

    frames = _frames(n)
    out: dict[str, Any] = {}
    precisions = ["fp32", "fp16"] if device.startswith("cuda") else ["fp32"]
    for model in models:
        pt = work / f"{model}-random.pt"
        if not pt.exists():
            build_random_yolo(pt, model)
        for precision in precisions:
            for batch in batches:
                det = YoloDetector(
                    pt,
                    confidence=0.25,
                    device=device,
                    cache_dir=work,
                    max_batch=batch,
                    half=precision == "fp16",
                )
                r = raw_detector_loop(det, frames, batch)
                out[f"{model}/{precision}/batch{batch}"] = _speed(r)
        if tensorrt:
            for batch in batches:
                try:
                    det = YoloDetector(
                        pt, confidence=0.25, device=device, cache_dir=work, max_batch=batch, tensorrt=True
                    )
                    out[f"{model}/tensorrt-fp16/batch{batch}"] = _speed(raw_detector_loop(det, frames, batch))
                except Exception as exc:
                    out[f"{model}/tensorrt-fp16/batch{batch}"] = {"failed": f"{type(exc).__name__}: {exc}"}
    return out


def _speed(r: dict[str, Any]) -> dict[str, Any]:
    return {k: r[k] for k in ("images_per_second", "per_image_ms_p50", "per_image_ms_p95", "images")}


def pipeline(work: Path, device: str, images: int, batch: int) -> dict[str, Any]:
    """`hsi bench --recorded` on yolo26n (torch, FP16 on CUDA) with this batch size."""
    from inference_server.settings import load_settings
    from tools.bench import run_bench

    env = dict(os.environ)
    env.setdefault("HSI_DATA_DIR", str(work / "data"))
    env.setdefault("HSI_LLM_BACKEND", "heuristic")
    settings = load_settings(environ=env)
    out = work / "pipeline.json"
    rc = asyncio.run(
        run_bench(
            settings, images=images, detector="yolo", batch=batch, api=False, json_out=out, recorded=True
        )
    )
    result: dict[str, Any] = json.loads(out.read_text())
    result["rc"] = rc
    return result


def clip(device: str, crops: int, batch: int) -> dict[str, Any]:
    """CLIP ViT-L-14 (random weights) image embeddings per second."""
    from inference_server.ml.embedder_clip import ClipEmbedder

    model = "ViT-L-14" if device.startswith("cuda") else "ViT-B-32"
    emb = ClipEmbedder(model, pretrained=None, device=device, batch_size=batch)
    rng = np.random.default_rng(0)
    images = [rng.integers(0, 255, (160, 96, 3), dtype=np.uint8) for _ in range(crops)]
    emb.embed(images[:batch])  # warm-up
    started = time.perf_counter()
    vectors = emb.embed(images)
    seconds = time.perf_counter() - started
    return {
        "model": model,
        "fp16": device.startswith("cuda"),
        "batch": batch,
        "crops": crops,
        "crops_per_second": round(crops / seconds, 1),
        "dimensions": int(vectors.shape[1]),
    }


def llm(work: Path, device: str, tokens: int) -> dict[str, Any]:
    """Tokens/s of a tiny random llama GGUF, every layer offloaded to the GPU."""
    if importlib.util.find_spec("llama_cpp") is None:
        raise _Skip("llama_cpp is not installed")
    from llama_cpp import Llama

    from tests.support.tiny_gguf import write_tiny_llama_gguf

    path = write_tiny_llama_gguf(work / "tiny.gguf")
    layers = -1 if device.startswith("cuda") else 0
    model = Llama(model_path=str(path), n_gpu_layers=layers, n_ctx=512, verbose=False, seed=0)
    model.create_completion("warm up", max_tokens=4)
    started = time.perf_counter()
    result: Any = model.create_completion("The camera saw", max_tokens=tokens, temperature=0.0)
    seconds = time.perf_counter() - started
    produced = int(result["usage"]["completion_tokens"])
    model.close()
    return {
        "gguf": f"tiny random llama ({path.stat().st_size // 1024} KiB)",
        "n_gpu_layers": layers,
        "tokens": produced,
        "tokens_per_second": round(produced / seconds, 1) if seconds > 0 else None,
        "note": "a tiny model: measures the offload path and per-token overhead, not a real LLM's speed",
    }


def environment(device: str) -> dict[str, Any]:
    """What ran: Python, packages, the GPU."""
    info: dict[str, Any] = {
        "python": sys.version.split()[0],
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
    }
    for mod in ("torch", "ultralytics", "onnxruntime", "tensorrt", "open_clip", "llama_cpp"):
        spec = importlib.util.find_spec(mod)
        if spec is None:
            info[mod] = None
            continue
        try:
            info[mod] = getattr(__import__(mod), "__version__", "installed")
        except Exception as exc:
            info[mod] = f"import failed: {exc}"
    if device.startswith("cuda"):
        import torch

        info["gpu"] = torch.cuda.get_device_name(0)
        info["gpu_memory_gib"] = round(torch.cuda.get_device_properties(0).total_memory / 2**30, 1)
    return info


def main(argv: list[str] | None = None) -> int:
    """Run every section and write the JSON; 0 when no section failed."""
    p = argparse.ArgumentParser(prog="gpu-bench", description=__doc__.split("\n")[0])
    p.add_argument("--out", default="gpu-bench.json", help="where the JSON goes")
    p.add_argument("--work", default=str(ROOT / ".data" / "gpu-bench"), help="models and scratch files")
    p.add_argument(
        "--dry-run", action="store_true", help="toy sizes on the CPU: checks the script, not a GPU"
    )
    p.add_argument("--images", type=int, default=2000, help="pipeline images (default 2000)")
    args = p.parse_args(argv)

    from tests.support.models import ensure_ultralytics_offline

    work = Path(args.work).resolve()
    work.mkdir(parents=True, exist_ok=True)
    ensure_ultralytics_offline(work / "ultralytics")
    import torch

    cuda = torch.cuda.is_available()
    if not cuda and not args.dry_run:
        print(
            "gpu-bench: no CUDA GPU is visible (torch.cuda.is_available() is False); use --dry-run on a CPU"
        )
        return 2
    device = "cuda:0" if cuda and not args.dry_run else "cpu"
    small = args.dry_run
    trt = importlib.util.find_spec("tensorrt") is not None and device.startswith("cuda")
    results: dict[str, Any] = {
        "schema": 1,
        "dry_run": small,
        "device": device,
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    _section(results, "environment", lambda: environment(device))
    models = ["yolo26n"] if small else ["yolo26n", "yolo26s", "yolo26m"]
    batches = [1, 2] if small else [1, 8, 32]
    _section(
        results,
        "raw_detector",
        lambda: raw_detectors(work, device, models, batches, 4 if small else 512, trt),
    )
    if not trt:
        results["raw_detector"]["tensorrt"] = "skipped: " + (
            "tensorrt is not installed" if device.startswith("cuda") else "no CUDA"
        )
    _section(
        results, "pipeline", lambda: pipeline(work, device, 8 if small else args.images, 2 if small else 32)
    )
    _section(results, "clip", lambda: clip(device, 4 if small else 1024, 2 if small else 32))
    _section(results, "llm", lambda: llm(work, device, 8 if small else 256))
    raw = results["raw_detector"].get("yolo26n/fp16/batch32") or results["raw_detector"].get(
        "yolo26n/fp32/batch2"
    )
    pipe = results["pipeline"]
    if isinstance(raw, dict) and "images_per_second" in raw and "pipeline_images_per_second" in pipe:
        results["pipeline_vs_raw_batched"] = round(
            pipe["pipeline_images_per_second"] / raw["images_per_second"], 3
        )
    Path(args.out).write_text(json.dumps(results, indent=2))
    failed = [k for k, v in results.items() if isinstance(v, dict) and "failed" in v]
    print(f"[gpu-bench] wrote {args.out}; failed sections: {', '.join(failed) or 'none'}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
