"""Which backend and model each stage uses, and why: the `auto` settings made concrete.

Explicit settings win (a weights path, `llm_model_path`, `llm_url`, a named backend); `auto`
then takes what `hsi models` installed and the hardware can run; otherwise the stage falls back
(OpenCV person detector, heuristic scorer, no re-ID) and the plan says which command fixes it.
Pure apart from looking at files: the hardware is probed once by the caller.
"""

from __future__ import annotations

import importlib.util
import logging
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from inference_server.ml.models.hardware import Hardware
from inference_server.ml.models.manifest import Manifest, ModelEntry, OpenClipSource
from inference_server.ml.models.store import ModelStore
from inference_server.settings import Settings

log = logging.getLogger(__name__)

OPENCV_MODEL_ID = "opencv-hog"
HEURISTIC_MODEL_ID = "heuristic"
# Re-ID on a CPU embeds every person/vehicle crop of every event: below these it would lag.
CPU_CLIP_MIN_CORES = {"clip-vit-b-32": 4, "clip-vit-l-14": 8}


@dataclass(frozen=True)
class ModelSettings:
    """The settings the plan reads (a subset of Settings)."""

    models_dir: Path
    detector: str = "auto"
    detector_weights: str | None = None
    llm_backend: str = "auto"
    llm_model_path: Path | None = None
    llm_url: str | None = None
    llm_model: str = "nemotron"
    embedder: str = "auto"
    embedder_model: str = "ViT-L-14"
    embedder_weights: str | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> ModelSettings:
        """Read the fields from the server's settings."""
        return cls(
            models_dir=settings.models_path,
            detector=settings.detection.detector,
            detector_weights=settings.detection.weights,
            llm_backend=settings.llm.backend,
            llm_model_path=settings.llm.model_path,
            llm_url=settings.llm.url,
            llm_model=settings.llm.model,
            embedder=settings.reid.embedder,
            embedder_model=settings.reid.embedder_model,
            embedder_weights=settings.reid.embedder_weights,
        )


@dataclass(frozen=True)
class StageChoice:
    """What one stage runs. `fallback` is True when it runs less than it should, `fix` says how."""

    stage: str  # detector | llm | embedder
    backend: str  # detector: yolo|onnx|opencv; llm: llama_cpp|openai|heuristic; embedder: clip|none
    model_id: str | None  # manifest id, file stem, or the fallback's id
    path: Path | None
    reason: str
    fallback: bool = False
    wanted: str | None = None  # the model that would replace the fallback
    fix: str | None = None  # the exact command or setting that fixes the fallback
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """JSON form (doctor, server info)."""
        data = asdict(self)
        data["path"] = str(self.path) if self.path else None
        return data

    def log_line(self) -> str:
        """The one warning line a fallback gets at start-up."""
        return (
            f"model_fallback stage={self.stage} using={self.backend} wanted={self.wanted or '-'} "
            f"reason={self.reason!r} fix={self.fix!r}"
        )


@dataclass(frozen=True)
class Recommendation:
    """The profile that suits this hardware."""

    profile: str
    reason: str
    models: list[str]
    missing: list[str]
    download_bytes: int

    @property
    def command(self) -> str:
        """The command that installs what is missing."""
        return f"hsi models pull --profile {self.profile}"

    def as_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {**asdict(self), "command": self.command}


@dataclass(frozen=True)
class ModelPlan:
    """The choice of every stage plus the recommendation they were made against."""

    detector: StageChoice
    llm: StageChoice
    embedder: StageChoice
    recommendation: Recommendation

    @property
    def stages(self) -> dict[str, StageChoice]:
        """The choices by stage name."""
        return {"detector": self.detector, "llm": self.llm, "embedder": self.embedder}

    @property
    def fallbacks(self) -> list[StageChoice]:
        """The stages running a fallback."""
        return [c for c in self.stages.values() if c.fallback]

    def log_fallbacks(self, logger: logging.Logger = log) -> None:
        """One warning per fallback, with the command that fixes it."""
        for choice in self.fallbacks:
            logger.warning("%s", choice.log_line())


def recommend_profile(hw: Hardware, manifest: Manifest, store: ModelStore) -> Recommendation:
    """cpu-small | cpu | gpu-8gb | gpu-24gb from cores, RAM and the largest GPU's VRAM."""
    vram = hw.max_vram_mb
    gpu = max(hw.gpus, key=lambda g: g.vram_mb) if hw.gpus else None
    if gpu is not None and vram >= 20000:
        name, reason = "gpu-24gb", f"{gpu.name} with {vram / 1024:.0f} GiB of VRAM"
    elif gpu is not None and vram >= 6000:
        name, reason = "gpu-8gb", f"{gpu.name} with {vram / 1024:.0f} GiB of VRAM"
    elif hw.cores >= 4 and hw.ram_total_mb >= 7500:
        name = "cpu"
        reason = f"no usable NVIDIA GPU; {hw.cores} cores and {hw.ram_total_mb / 1024:.0f} GiB RAM"
    else:
        name = "cpu-small"
        short = []
        if hw.cores < 4:
            short.append(f"only {hw.cores} core{'s' if hw.cores != 1 else ''}")
        if hw.ram_total_mb < 7500:
            short.append(f"only {hw.ram_total_mb / 1024:.1f} GiB RAM")
        reason = "no usable NVIDIA GPU; " + " and ".join(short) + " (an LLM would take minutes per event)"
    if gpu is not None and name.startswith("cpu"):
        reason += f" ({gpu.name} has {vram} MiB VRAM, under 6 GiB)"
    entries = manifest.profile(name)
    missing = [e for e in entries if store.usable(e) is None]
    return Recommendation(
        profile=name,
        reason=reason,
        models=[e.id for e in entries],
        missing=[e.id for e in missing],
        download_bytes=sum(e.size_bytes for e in missing),
    )


def _ordered(manifest: Manifest, family: str, preferred: list[str]) -> list[ModelEntry]:
    """A family's entries, the recommended profile's first."""
    entries = [m for m in manifest.models if m.family == family]
    return sorted(entries, key=lambda m: (m.id not in preferred, manifest.models.index(m)))


def _fits(entry: ModelEntry, hw: Hardware) -> bool:
    if hw.max_vram_mb >= entry.vram_mb:
        return True
    return hw.ram_total_mb >= entry.ram_mb + 1024


def _cuda(hw: Hardware) -> bool:
    return bool(hw.gpus)


def plan_detector(ms: ModelSettings, hw: Hardware, store: ModelStore, rec: Recommendation) -> StageChoice:
    """YOLO26 (ONNX Runtime on CPU, PyTorch on CUDA) when weights are there, else OpenCV HOG."""
    from inference_server.ml.detector_yolo import locate_weights

    wanted = next((m for m in rec.models if store.manifest.get(m).family == "detector"), "yolo26n")
    fix = f"hsi models pull {wanted}"
    if ms.detector == "opencv":
        return StageChoice("detector", "opencv", OPENCV_MODEL_ID, None, "HSI_DETECTOR=opencv")
    path: Path | None = None
    model_id: str | None = None
    if ms.detector_weights:
        path = locate_weights(ms.detector_weights, ms.models_dir)
        model_id = Path(ms.detector_weights).stem
        source = f"HSI_DETECTOR_WEIGHTS={ms.detector_weights}"
        if path is None and ms.detector == "auto":
            # Not there (yet): an ONNX export `hsi models` installed (models_profile in the add-on) serves.
            for entry in _ordered(store.manifest, "detector", rec.models):
                installed = store.status(entry)
                if entry.file.endswith(".onnx") and installed.status == "verified" and installed.path:
                    path, model_id = installed.path, entry.id
                    source = f"{source} does not exist; {entry.id} from {ms.models_dir}"
                    break
        if path is None:
            if ms.detector != "auto":
                return StageChoice(
                    "detector", ms.detector, model_id, None, f"{source} does not exist (start-up will fail)"
                )
            return StageChoice(
                "detector",
                "opencv",
                OPENCV_MODEL_ID,
                None,
                f"{source} does not exist",
                fallback=True,
                wanted=model_id,
                fix=f"put the file at {ms.detector_weights} or unset HSI_DETECTOR_WEIGHTS and run {fix}",
            )
    else:
        corrupt = []
        for entry in _ordered(store.manifest, "detector", rec.models):
            installed = store.status(entry)
            if installed.status == "corrupt":
                corrupt.append(entry.id)
            if installed.status in ("present", "verified") and installed.path is not None:
                path, model_id = installed.path, entry.id
                break
        source = f"{model_id} from {ms.models_dir}" if path else ""
        if path is None:
            reason = f"no YOLO26 weights in {ms.models_dir}"
            if corrupt:
                reason = f"{', '.join(corrupt)} failed verification"
                fix = f"hsi models pull --force {corrupt[0]}"
            if ms.detector != "auto":
                return StageChoice("detector", ms.detector, None, None, reason + " (start-up will fail)")
            return StageChoice(
                "detector",
                "opencv",
                OPENCV_MODEL_ID,
                None,
                reason + ": the OpenCV person detector finds persons only",
                fallback=True,
                wanted=wanted,
                fix=fix,
            )
    backend = ms.detector
    if backend == "auto":
        if path.suffix == ".onnx":
            backend, why = "onnx", "an .onnx file runs on ONNX Runtime"
        elif _cuda(hw):
            backend, why = "yolo", f"PyTorch on {hw.gpus[0].name}"
        else:
            from inference_server.ml.detectors import cpu_runtime

            backend, why = cpu_runtime()
    else:
        why = f"HSI_DETECTOR={backend}"
    return StageChoice("detector", backend, model_id, path, f"{source}; {why}")


def plan_llm(ms: ModelSettings, hw: Hardware, store: ModelStore, rec: Recommendation) -> StageChoice:
    """llama.cpp with a GGUF, an OpenAI-compatible server, or the heuristic scorer."""
    if ms.llm_backend not in ("auto",):
        backend = ms.llm_backend
        if backend == "llama_cpp":
            path = ms.llm_model_path
            return StageChoice("llm", backend, path.stem if path else None, path, "HSI_LLM_BACKEND=llama_cpp")
        if backend == "openai":
            return StageChoice("llm", backend, ms.llm_model, None, f"HSI_LLM_BACKEND=openai at {ms.llm_url}")
        return StageChoice(
            "llm",
            backend,
            backend if backend != "heuristic" else HEURISTIC_MODEL_ID,
            None,
            f"HSI_LLM_BACKEND={backend}",
        )
    wanted = next((m for m in rec.models if store.manifest.get(m).family == "llm"), "nemotron-mini-4b")
    fix = f"hsi models pull {wanted}"
    llama_ok = importlib.util.find_spec("llama_cpp") is not None
    if ms.llm_model_path is not None:
        path = Path(ms.llm_model_path).expanduser()
        if path.is_file() and llama_ok:
            return StageChoice("llm", "llama_cpp", path.stem, path, f"HSI_LLM_MODEL_PATH={path}")
        reason = (
            f"HSI_LLM_MODEL_PATH={path} does not exist"
            if not path.is_file()
            else ("llama-cpp-python is not installed")
        )
        if not ms.llm_url:
            return StageChoice(
                "llm",
                "heuristic",
                HEURISTIC_MODEL_ID,
                None,
                reason,
                fallback=True,
                wanted=path.stem,
                fix=f"put a GGUF at {path} or run {fix}",
            )
    if ms.llm_url:
        return StageChoice(
            "llm", "openai", ms.llm_model, None, f"HSI_LLM_URL={ms.llm_url} (model {ms.llm_model})"
        )
    skipped: list[str] = []
    for entry in _ordered(store.manifest, "llm", rec.models):
        installed = store.status(entry)
        if installed.status not in ("present", "verified") or installed.path is None:
            if installed.status == "corrupt":
                skipped.append(f"{entry.id} failed verification")
            continue
        if not _fits(entry, hw):
            skipped.append(
                f"{entry.id} needs {entry.vram_mb} MiB VRAM or {entry.ram_mb} MiB RAM "
                f"(this machine: {hw.max_vram_mb} MiB VRAM, {hw.ram_total_mb} MiB RAM)"
            )
            continue
        if not llama_ok:
            skipped.append(f"{entry.id} is installed but llama-cpp-python is not")
            continue
        where = f"on {hw.gpus[0].name}" if _cuda(hw) and hw.max_vram_mb >= entry.vram_mb else "on the CPU"
        return StageChoice(
            "llm", "llama_cpp", entry.id, installed.path, f"{entry.id} from {ms.models_dir}, {where}"
        )
    reason = "; ".join(skipped) if skipped else f"no GGUF model in {ms.models_dir} and no HSI_LLM_URL"
    return StageChoice(
        "llm",
        "heuristic",
        HEURISTIC_MODEL_ID,
        None,
        reason + ": events are scored by the deterministic heuristic",
        fallback=True,
        wanted=wanted,
        fix=f"{fix} (or set HSI_LLM_URL to an OpenAI-compatible server)",
    )


def plan_embedder(ms: ModelSettings, hw: Hardware, store: ModelStore, rec: Recommendation) -> StageChoice:
    """CLIP re-ID when weights are there and the hardware can afford it, else none."""
    if ms.embedder == "none":
        return StageChoice("embedder", "none", None, None, "HSI_EMBEDDER=none")
    if ms.embedder == "clip" or ms.embedder_weights:
        weights = ms.embedder_weights
        why = "HSI_EMBEDDER=clip" if ms.embedder == "clip" else f"HSI_EMBEDDER_WEIGHTS={weights}"
        extra: dict[str, Any] = {
            "model_name": ms.embedder_model,
            "pretrained": weights,
            "pretrained_tag": None,
        }
        model_id = ms.embedder_model
        if weights is None:
            for entry in store.manifest.family("embedder"):
                path = store.usable(entry)
                if (
                    isinstance(entry.source, OpenClipSource)
                    and entry.source.model == ms.embedder_model
                    and path
                ):
                    extra.update(pretrained=str(path), pretrained_tag=entry.source.pretrained)
                    model_id, why = entry.id, f"{why}, {entry.id} from {ms.models_dir}"
                    break
            else:
                why += " without weights: random weights (for tests only)"
        path = Path(extra["pretrained"]) if extra["pretrained"] else None
        return StageChoice("embedder", "clip", model_id, path, why, extra=extra)
    wanted = next((m for m in rec.models if store.manifest.get(m).family == "embedder"), "clip-vit-b-32")
    fix = f"hsi models pull {wanted}"
    skipped: list[str] = []
    for entry in _ordered(store.manifest, "embedder", rec.models):
        installed = store.status(entry)
        if installed.status not in ("present", "verified") or installed.path is None:
            continue
        source = entry.source
        assert isinstance(source, OpenClipSource)
        extra = {
            "model_name": source.model,
            "pretrained": str(installed.path),
            "pretrained_tag": source.pretrained,
        }
        if _cuda(hw) and hw.max_vram_mb >= entry.vram_mb:
            return StageChoice(
                "embedder", "clip", entry.id, installed.path, f"{entry.id} on {hw.gpus[0].name}", extra=extra
            )
        need = CPU_CLIP_MIN_CORES.get(entry.id, 8)
        if hw.cores >= need and hw.ram_available_mb >= entry.ram_mb:
            return StageChoice(
                "embedder",
                "clip",
                entry.id,
                installed.path,
                f"{entry.id} on {hw.cores} CPU cores",
                extra=extra,
            )
        skipped.append(f"{entry.id} is installed but needs {need}+ cores on a CPU (this machine: {hw.cores})")
    if skipped:
        return StageChoice(
            "embedder",
            "none",
            None,
            None,
            "; ".join(skipped) + ": re-identification is off",
            fallback=True,
            wanted=wanted,
            fix="set HSI_EMBEDDER=clip to run it anyway (slower per event)",
        )
    if not _cuda(hw) and hw.cores < min(CPU_CLIP_MIN_CORES.values()):
        fix = (
            f"{fix}, then HSI_EMBEDDER=clip: auto leaves re-ID off on a CPU with "
            f"{hw.cores} cores (it needs {min(CPU_CLIP_MIN_CORES.values())}+ or an NVIDIA GPU)"
        )
    return StageChoice(
        "embedder",
        "none",
        None,
        None,
        f"no CLIP weights in {ms.models_dir}: re-identification across cameras is off",
        fallback=True,
        wanted=wanted,
        fix=fix,
    )


def load_failed(choice: StageChoice) -> StageChoice:
    """The detector's weights were there but did not load: it runs the OpenCV fallback instead."""
    target = choice.model_id or "yolo26n"
    return StageChoice(
        "detector",
        "opencv",
        OPENCV_MODEL_ID,
        None,
        f"{choice.path} could not be loaded (see the warning above): the OpenCV person detector finds persons only",
        fallback=True,
        wanted=target,
        fix=f"hsi models verify {target}, then hsi models pull --force {target}",
    )


def make_plan(ms: ModelSettings, hw: Hardware, manifest: Manifest) -> ModelPlan:
    """Decide every stage for these settings and this machine."""
    store = ModelStore(ms.models_dir, manifest)
    rec = recommend_profile(hw, manifest, store)
    return ModelPlan(
        detector=plan_detector(ms, hw, store, rec),
        llm=plan_llm(ms, hw, store, rec),
        embedder=plan_embedder(ms, hw, store, rec),
        recommendation=rec,
    )
