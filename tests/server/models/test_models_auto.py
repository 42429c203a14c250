"""`auto` picks each backend from what is installed and what the hardware can run; real models
(random-weight YOLO26, tiny GGUF, open_clip without pretrained weights) pulled through the
manifest entries from the local hub stand-in then run through the same code as production."""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from inference_server.cli import main
from inference_server.domain.risk import RiskAssessment
from inference_server.ml.detectors import cpu_runtime
from inference_server.ml.models.hardware import Gpu, Hardware, read_cpuinfo
from inference_server.ml.models.manifest import builtin_manifest
from inference_server.ml.protocols import RiskAssessor
from inference_server.runtime.models import build_detector, build_embedder, build_llm, model_plan
from inference_server.settings import load_settings
from tests.server.models.conftest import ModelsEnv
from tests.support.fake_hub import FakeHub
from tests.support.models import build_random_yolo, sample_images
from tests.support.tiny_gguf import write_tiny_llama_gguf

# The YOLO runtime ml/cpu_runtime.py recommends for this CPU (OpenVINO where installed, else ONNX).
CPU_KIND = cpu_runtime()[0]

MANIFEST = builtin_manifest()
NEMO = MANIFEST.get("nemotron-mini-4b")
NEMO_REPO = "bartowski/Nemotron-Mini-4B-Instruct-GGUF"

SMALL = Hardware(cores=2, cpu_model="test", cpu_flags=["avx2"], ram_total_mb=4000, ram_available_mb=3000)
CPU = Hardware(cores=8, cpu_model="test", cpu_flags=["avx2"], ram_total_mb=16000, ram_available_mb=12000)
GPU8 = replace(CPU, gpus=[Gpu(0, "RTX 4060", 8188, "torch")])
GPU24 = replace(CPU, gpus=[Gpu(0, "RTX 4090", 24564, "torch")])


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def settings_for(cfg: Path, **env: str):  # type: ignore[no-untyped-def]
    return load_settings(cfg, environ=env)


@pytest.mark.parametrize(
    ("hardware", "profile"),
    [(SMALL, "cpu-small"), (CPU, "cpu"), (GPU8, "gpu-8gb"), (GPU24, "gpu-24gb")],
)
def test_recommended_profile_follows_the_hardware(
    models_env: ModelsEnv, hardware: Hardware, profile: str
) -> None:
    plan = model_plan(settings_for(models_env()), hardware)
    assert plan.recommendation.profile == profile
    assert plan.recommendation.missing == plan.recommendation.models  # nothing installed yet
    assert plan.recommendation.command == f"hsi models pull --profile {profile}"


def test_nothing_installed_every_stage_falls_back_with_the_fixing_command(models_env: ModelsEnv) -> None:
    plan = model_plan(settings_for(models_env()), CPU)
    assert (plan.detector.backend, plan.llm.backend, plan.embedder.backend) == ("opencv", "heuristic", "none")
    assert [c.fix for c in plan.fallbacks] == [
        "hsi models pull yolo26n",
        "hsi models pull nemotron-mini-4b (or set HSI_LLM_URL to an OpenAI-compatible server)",
        "hsi models pull clip-vit-b-32",
    ]
    small = model_plan(settings_for(models_env()), SMALL).embedder
    assert small.fix is not None and "auto leaves re-ID off on a CPU with 2 cores" in small.fix
    gpu_plan = model_plan(settings_for(models_env()), GPU24)
    assert [c.wanted for c in gpu_plan.fallbacks] == ["yolo26m", "nemotron-nano-30b-a3b", "clip-vit-l-14"]


def test_llm_auto_prefers_explicit_settings_then_pulled_gguf(tmp_path: Path, models_env: ModelsEnv) -> None:
    cfg = models_env()
    settings = settings_for(cfg)
    gguf = write_tiny_llama_gguf(settings.models_path / NEMO.id / NEMO.file)
    assert model_plan(settings, CPU).llm.backend == "llama_cpp"
    assert model_plan(settings, CPU).llm.model_id == "nemotron-mini-4b"
    # Too big for this machine: the 30B GGUF is skipped with the reason.
    big = MANIFEST.get("nemotron-nano-30b-a3b")
    write_tiny_llama_gguf(settings.models_path / big.id / big.file)
    gguf.unlink()
    plan = model_plan(settings, SMALL)
    assert plan.llm.backend == "heuristic" and "needs 20000 MiB VRAM or 20000 MiB RAM" in plan.llm.reason
    assert model_plan(settings, GPU24).llm.model_id == "nemotron-nano-30b-a3b"

    with_url = settings_for(cfg, HSI_LLM_URL="http://127.0.0.1:9/v1")
    assert model_plan(with_url, GPU24).llm.backend == "openai"
    own = write_tiny_llama_gguf(tmp_path / "mine.gguf")
    with_path = settings_for(cfg, HSI_LLM_MODEL_PATH=str(own), HSI_LLM_URL="http://127.0.0.1:9/v1")
    choice = model_plan(with_path, SMALL).llm
    assert (choice.backend, choice.path) == ("llama_cpp", own)
    missing = settings_for(cfg, HSI_LLM_MODEL_PATH=str(tmp_path / "gone.gguf"))
    choice = model_plan(missing, SMALL).llm
    assert choice.backend == "heuristic" and choice.fallback and "does not exist" in choice.reason
    explicit = settings_for(cfg, HSI_LLM_BACKEND="heuristic")
    assert not model_plan(explicit, SMALL).llm.fallback


def test_embedder_auto_needs_weights_and_hardware_that_can_afford_them(models_env: ModelsEnv) -> None:
    settings = settings_for(models_env())
    b32 = MANIFEST.get("clip-vit-b-32")
    target = settings.models_path / b32.id / b32.file
    target.parent.mkdir(parents=True)
    target.write_bytes(b"\x02\0\0\0\0\0\0\0{}")  # planning only looks at presence
    assert model_plan(settings, CPU).embedder.backend == "clip"
    assert model_plan(settings, GPU8).embedder.reason == "clip-vit-b-32 on RTX 4060"
    small = model_plan(settings, SMALL).embedder
    assert small.backend == "none" and small.fallback
    assert (
        "needs 4+ cores" in small.reason
        and small.fix == "set HSI_EMBEDDER=clip to run it anyway (slower per event)"
    )
    assert model_plan(settings_for(models_env(), HSI_EMBEDDER="none"), CPU).embedder.fallback is False


def test_detector_auto_uses_pulled_yolo_on_onnx_and_keeps_the_old_flat_location(
    models_env: ModelsEnv,
) -> None:
    settings = settings_for(models_env())
    flat = settings.models_path / "yolo26n.pt"
    flat.parent.mkdir(parents=True)
    flat.write_bytes(b"PK\x03\x04")
    choice = model_plan(settings, CPU).detector
    assert (choice.backend, choice.model_id, choice.path) == (CPU_KIND, "yolo26n", flat)
    assert model_plan(settings, GPU8).detector.backend == "yolo"
    assert model_plan(settings_for(models_env(), HSI_DETECTOR="opencv"), CPU).detector.fallback is False


def test_real_models_pulled_through_the_manifest_run(
    tmp_path: Path, hub: FakeHub, models_env: ModelsEnv
) -> None:
    """Random-weight YOLO26n, a tiny GGUF and a random open_clip ViT-B-32, served under the manifest's
    names, pulled with `hsi models pull`, then built by `auto` and run."""
    yolo = build_random_yolo(tmp_path / "src" / "yolo26n.pt")
    gguf = write_tiny_llama_gguf(tmp_path / "src" / "tiny.gguf")
    clip = tmp_path / "src" / "open_clip_model.safetensors"
    import open_clip  # type: ignore[import-untyped]
    from safetensors.torch import save_file

    model = open_clip.create_model("ViT-B-32", pretrained=None)
    save_file({k: v.half().contiguous() for k, v in model.state_dict().items()}, str(clip))
    hub.add_release("ultralytics/assets", "v8.4.0", "yolo26n.pt", yolo.read_bytes())
    hub.add_hf(NEMO_REPO, NEMO.file, gguf.read_bytes())
    hub.add_hf("laion/CLIP-ViT-B-32-laion2B-s34B-b79K", "open_clip_model.safetensors", clip.read_bytes())
    # Our random YOLO is not the published file, so this test's manifest publishes its hash.
    cfg = models_env({"yolo26n": {"sha256": sha(yolo), "size_bytes": yolo.stat().st_size}})

    assert main(["--config", str(cfg), "models", "pull", "yolo26n", "nemotron-mini-4b", "clip-vit-b-32"]) == 0
    settings = settings_for(cfg)
    plan = model_plan(settings, CPU)
    assert (plan.detector.backend, plan.llm.backend, plan.embedder.backend) == (CPU_KIND, "llama_cpp", "clip")
    assert plan.fallbacks == []

    detector = build_detector(settings, plan)
    assert detector.name == CPU_KIND and detector.model_id == "yolo26n"  # type: ignore[attr-defined]
    import cv2

    frames = [np.asarray(cv2.imread(str(p))) for p in sample_images()]
    results = detector.detect(frames)
    assert len(results) == 2

    llm = build_llm(settings, plan)
    assert llm is not None and llm.name == "llama_cpp"
    assessment = await_assess(llm)
    assert 0 <= assessment.risk_score <= 100 and assessment.assessed_by == "llama_cpp"
    assert assessment.model == "nemotron-mini-4b"  # recorded with the event (Event JSON `model`)

    embedder = build_embedder(settings, plan)
    assert embedder is not None and embedder.dimensions == 512
    vectors = embedder.embed([np.zeros((64, 32, 3), dtype=np.uint8)])
    assert vectors.shape == (1, 512) and abs(float(np.linalg.norm(vectors[0])) - 1.0) < 1e-3


def await_assess(llm: RiskAssessor) -> RiskAssessment:
    import asyncio

    from inference_server.metrics import Metrics
    from inference_server.pipeline.assess import FallbackAssessor
    from tests.server.llm.test_grammar_llama import CONTEXT

    try:
        return asyncio.run(FallbackAssessor(llm, Metrics(), 120).assess(CONTEXT))
    finally:
        llm.close()  # type: ignore[attr-defined]


def test_doctor_json_describes_this_machine(
    models_env: ModelsEnv, capsys: pytest.CaptureFixture[str]
) -> None:
    """`hsi doctor --json` here, each field checked against an independent look at the machine."""
    cfg = models_env()
    assert main(["--config", str(cfg), "doctor", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    hw = report["hardware"]

    assert hw["cores"] == len(os.sched_getaffinity(0))
    cpuinfo = Path("/proc/cpuinfo").read_text()
    flags = set(re.search(r"^flags\s*:(.*)$", cpuinfo, re.M).group(1).split())  # type: ignore[union-attr]
    for flag in ("avx2", "avx512f", "avx512_vnni", "avx_vnni", "amx_tile"):
        assert (flag in hw["cpu_flags"]) == (flag in flags), flag
    assert hw["cpu_model"] == read_cpuinfo(cpuinfo)[0]
    meminfo = dict(line.split(":", 1) for line in Path("/proc/meminfo").read_text().splitlines())
    assert abs(hw["ram_total_mb"] - int(meminfo["MemTotal"].split()[0]) // 1024) <= 1
    has_gpu = any(Path("/dev").glob("nvidia[0-9]*"))
    assert bool(hw["gpus"]) == has_gpu
    free_mb = os.statvfs(Path(tmp := str(cfg.parent))).f_bavail * os.statvfs(tmp).f_frsize // 2**20
    assert abs(hw["disk_free_mb"] - free_mb) < 2048
    assert report["models_dir"].endswith("data/models")
    assert {m["id"]: m["status"] for m in report["models"]} == {m.id: "missing" for m in MANIFEST.models}
    assert set(report["stages"]) == {"detector", "llm", "embedder"}
    assert report["stages"]["detector"]["backend"] == "opencv"
    assert report["stages"]["detector"]["fix"] == "hsi models pull yolo26n" or has_gpu
    assert [f["stage"] for f in report["fallbacks"]] == ["detector", "llm", "embedder"]
    rec = report["recommendation"]
    if has_gpu:
        assert rec["profile"].startswith("gpu")
    elif hw["cores"] >= 4 and hw["ram_total_mb"] >= 7500:
        assert rec["profile"] == "cpu"
    else:
        assert rec["profile"] == "cpu-small" and rec["models"] == ["yolo26n"]
    assert rec["command"] == f"hsi models pull --profile {rec['profile']}"
    assert report["manifest_revision"] == MANIFEST.revision
