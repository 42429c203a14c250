"""The models of one process: which backend each stage uses (the plan) and building them."""

from __future__ import annotations

import logging
import os
from dataclasses import replace
from pathlib import Path
from typing import Any

from inference_server.ml.llm_vision import VisionAssessor
from inference_server.ml.models.hardware import Hardware
from inference_server.ml.models.plan import OPENCV_MODEL_ID, ModelPlan, StageChoice
from inference_server.ml.protocols import (
    Detector,
    Embedder,
    FaceReader,
    PlateReader,
    RiskAssessor,
    SceneAssessor,
)
from inference_server.settings import ConfigError, Settings

log = logging.getLogger(__name__)


def model_plan(settings: Settings, hardware: Hardware | None = None) -> ModelPlan:
    """Which backend and model each stage will use on this machine, and why (see ml/models/plan.py)."""
    from inference_server.ml.models.hardware import probe_hardware
    from inference_server.ml.models.manifest import load_manifest
    from inference_server.ml.models.plan import ModelSettings, make_plan

    hw = hardware if hardware is not None else probe_hardware(settings.models_path)
    return make_plan(ModelSettings.from_settings(settings), hw, load_manifest(settings.models.manifest))


def build_detector(settings: Settings, plan: ModelPlan | None = None) -> Detector:
    """The detector of the plan: YOLO26 from the model store (ONNX on CPU, torch on CUDA) or OpenCV,
    behind a dynamic batcher that merges the frames of concurrent detect workers."""
    from inference_server.ml.batching import DynamicBatcher
    from inference_server.ml.detectors import build_detector as _build
    from inference_server.ml.quantize import CalibrationSource

    choice = (plan or model_plan(settings)).detector
    kind, weights = settings.detection.detector, settings.detection.weights
    if kind == "auto":
        # The plan already announced a fallback; building "opencv" directly avoids a second warning.
        kind = "opencv" if choice.backend == "opencv" else "auto"
        weights = str(choice.path) if choice.path else weights
    elif weights is None and choice.path is not None:
        weights = str(choice.path)
    detector = _build(
        kind,
        weights,
        confidence=settings.detection.confidence,
        classes=settings.detection.classes or None,
        image_size=settings.detection.image_size,
        cache_dir=settings.models_path,
        intra_op_threads=settings.detection.threads,
        precision=settings.detection.precision,
        calibration=CalibrationSource(settings.storage.media_dir, settings.detection.calibration_frames),
    )
    model_id = choice.model_id if detector.name == choice.backend else None
    if model_id is None:
        model_id = (
            OPENCV_MODEL_ID
            if detector.name == "opencv"
            else (Path(weights).stem if weights else detector.name)
        )
    detector.model_id = model_id  # type: ignore[attr-defined]
    on_gpu = str(getattr(detector, "device", "")).startswith("cuda") or "CUDAExecutionProvider" in getattr(
        detector, "providers", ()
    )
    latency_ms = settings.detection.batch_latency_ms
    if latency_ms is None:
        latency_ms = 25.0 if on_gpu else 0.0
    batcher = DynamicBatcher(
        detector,
        max_batch=settings.detection.batch_size * settings.detection.concurrency,
        budget_s=latency_ms / 1000.0,
    )
    batcher.model_id = model_id  # type: ignore[attr-defined]
    return batcher


def build_embedder(settings: Settings, plan: ModelPlan | None = None) -> Embedder | None:
    """The re-ID embedder (CLIP) of the plan; loading takes seconds, so it happens at start-up."""
    choice = (plan or model_plan(settings)).embedder
    if choice.backend != "clip":
        return None
    from inference_server.ml.embedder_clip import ClipEmbedder

    return ClipEmbedder(
        str(choice.extra.get("model_name") or settings.reid.embedder_model),
        pretrained=choice.extra.get("pretrained"),
        pretrained_tag=choice.extra.get("pretrained_tag"),
    )


def build_llm(settings: Settings, plan: ModelPlan | None = None) -> RiskAssessor | None:
    """The LLM backend of the plan, or None for the heuristic alone."""
    choice = (plan or model_plan(settings)).llm
    if choice.backend == "llama_cpp":
        from inference_server.ml.llm_llama_cpp import LlamaCppAssessor

        path = choice.path or settings.llm.model_path
        if path is None:
            raise ConfigError("setting 'llm_model_path': required when llm_backend is llama_cpp")
        llama = LlamaCppAssessor(path, timeout_s=settings.llm.timeout_seconds)
        llama.model_id = choice.model_id or Path(path).stem  # type: ignore[attr-defined]
        return llama
    if choice.backend == "openai":
        from inference_server.ml.llm_openai import OpenAIAssessor

        if not settings.llm.url:
            raise ConfigError("setting 'llm_url': required when llm_backend is openai")
        remote = OpenAIAssessor(
            settings.llm.url,
            settings.llm.model,
            api_key=settings.llm.api_key.get_secret_value() if settings.llm.api_key else None,
            timeout_s=settings.llm.timeout_seconds,
        )
        remote.model_id = settings.llm.model  # type: ignore[attr-defined]
        return remote
    if choice.backend == "home_assistant":
        from inference_server.ml.llm_home_assistant import HomeAssistantAssessor

        if not settings.llm.ha_url and not os.environ.get("SUPERVISOR_TOKEN"):
            raise ConfigError(
                "setting 'ha_url': required when llm_backend is home_assistant (outside the add-on)"
            )
        return HomeAssistantAssessor(
            settings.llm.ha_url,
            (settings.llm.ha_token.get_secret_value() if settings.llm.ha_token else None),
            entity_id=settings.llm.ha_ai_task_entity,
            timeout_s=settings.llm.timeout_seconds,
            max_images=settings.llm.ha_max_images,
            max_pixels=settings.llm.vlm_max_pixels,
        )
    return None


def build_vision(settings: Settings) -> SceneAssessor | None:
    """The vision step's backend: an OpenAI-compatible server when `vlm_url` is set, else a
    multimodal GGUF in this process when `vlm_model_path` and `vlm_mmproj_path` are set, else None.

    A multimodal GGUF that does not load is announced and leaves the vision step off (the text
    LLM, then the heuristic, score the events); only one of the two paths is a ConfigError."""
    llm = settings.llm
    if llm.vlm_url:
        if llm.vlm_model_path or llm.vlm_mmproj_path:
            log.warning(
                "vlm_model_path/vlm_mmproj_path ignored: vlm_url %s is set and serves the vision step",
                llm.vlm_url,
            )
        return VisionAssessor(
            llm.vlm_url,
            llm.vlm_model,
            api_key=(llm.vlm_api_key.get_secret_value() if llm.vlm_api_key else None),
            timeout_s=llm.vlm_timeout_seconds,
            max_images=llm.vlm_max_images,
            max_pixels=llm.vlm_max_pixels,
        )
    if llm.vlm_model_path is None and llm.vlm_mmproj_path is None:
        return None
    if llm.vlm_model_path is None or llm.vlm_mmproj_path is None:
        missing, given = (
            ("vlm_model_path", "vlm_mmproj_path")
            if llm.vlm_model_path is None
            else ("vlm_mmproj_path", "vlm_model_path")
        )
        raise ConfigError(
            f"setting '{missing}': required with '{given}' (a vision model in GGUF is two files: "
            "the text model and its multimodal projector, mmproj)"
        )
    from inference_server.ml.llm_vision_llama_cpp import LlamaCppVisionAssessor
    from inference_server.ml.protocols import ModelUnavailable

    try:
        return LlamaCppVisionAssessor(
            llm.vlm_model_path,
            llm.vlm_mmproj_path,
            timeout_s=llm.vlm_timeout_seconds,
            max_images=llm.vlm_max_images,
            max_pixels=llm.vlm_max_pixels,
        )
    except ModelUnavailable as exc:
        log.warning(
            "model_fallback stage=vision using=none wanted=%s reason=%r fix=%r",
            Path(llm.vlm_model_path).name,
            str(exc),
            "set vlm_model_path and vlm_mmproj_path to a vision model and its own projector",
        )
        return None


def build_plate_reader(settings: Settings) -> PlateReader | None:
    """The licence plate OCR when any camera opted in (`cameras.<slug>.plates`), else None."""
    if not settings.plate_cameras:
        return None
    from inference_server.ml.plates import RapidPlateReader

    return RapidPlateReader(threads=1)


def build_face_reader(settings: Settings) -> FaceReader | None:
    """The face detector + recogniser when any camera opted in (`cameras.<slug>.faces`), else None.

    SFace is required: ModelUnavailable (exit 3) names the command that installs it. Without
    YuNet the Haar cascade that ships with OpenCV finds the faces instead (announced here)."""
    cameras = settings.face_cameras
    if not cameras:
        return None
    from inference_server.ml.faces import OpenCvFaceReader
    from inference_server.ml.models.manifest import load_manifest
    from inference_server.ml.models.store import ModelStore
    from inference_server.ml.protocols import ModelUnavailable

    manifest = load_manifest(settings.models.manifest)
    store = ModelStore(settings.models_path, manifest)
    faces = manifest.family("face")

    def installed(backend: str) -> tuple[str, Path | None]:
        for entry in faces:
            if backend in entry.backends:
                return entry.id, store.usable(entry)
        return backend, None

    sface_id, sface = installed("opencv_sface")
    yunet_id, yunet = installed("opencv_yunet")
    if sface is None:
        raise ModelUnavailable(
            f"faces are on for camera(s) {', '.join(cameras)} but the face recogniser is not installed "
            f"in {settings.models_path}: run `hsi models pull {yunet_id} {sface_id}` "
            "(or set faces: false on those cameras)"
        )
    if yunet is None:
        log.warning(
            "model_fallback stage=faces using=haar wanted=%s reason=%r fix=%r",
            yunet_id,
            f"no YuNet face detector in {settings.models_path}: OpenCV's Haar cascade finds frontal faces only",
            f"hsi models pull {yunet_id}",
        )
    return OpenCvFaceReader(sface, yunet)


def only_stages_run(plan: ModelPlan, stages: tuple[str, ...]) -> ModelPlan:
    """A worker that does not run a stage does not fall back in it: drop those fallbacks."""

    def keep(choice: StageChoice, stage: str) -> StageChoice:
        if stage in stages or not choice.fallback:
            return choice
        return replace(choice, fallback=False, reason=f"not run by this process ({choice.reason})")

    return replace(
        plan,
        detector=keep(plan.detector, "detect"),
        llm=keep(plan.llm, "assess"),
        embedder=keep(plan.embedder, "enrich"),
    )


def doctor_report(settings: Settings, plan: ModelPlan | None) -> dict[str, object]:
    """The doctor report served in GET /api/system/info (hardware probed once, at start-up)."""
    from inference_server.ml.models.doctor import doctor_report as report
    from inference_server.ml.models.hardware import probe_hardware
    from inference_server.ml.models.manifest import load_manifest
    from inference_server.ml.models.plan import ModelSettings

    hw = probe_hardware(settings.models_path)
    plan = plan or model_plan(settings, hw)
    return report(ModelSettings.from_settings(settings), hw, load_manifest(settings.models.manifest), plan)


def start_profile_pull(settings: Settings, plan: ModelPlan | None) -> Any:
    """Start the background pull of `models_profile` (None when unset or "none")."""
    from inference_server.ml.models.manifest import UnknownModel, load_manifest
    from inference_server.ml.models.profile_pull import ProfilePull

    requested = (settings.models.profile or "").strip()
    if requested in ("", "none"):
        return None
    recommended = (plan or model_plan(settings)).recommendation.profile
    try:
        pull = ProfilePull.for_settings(
            settings.models_path,
            load_manifest(settings.models.manifest),
            requested,
            recommended,
            mirror=settings.models.mirror,
            detector_weights=settings.detection.weights,
        )
    except UnknownModel as exc:
        raise ConfigError(f"models_profile: {exc}") from exc
    log.info("models_pull profile=%s (requested %s) starting in the background", pull.profile, requested)
    pull.start()
    return pull
