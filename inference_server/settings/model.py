"""`Settings`: the sections of every setting, with the flat names users write.

Users (YAML keys, `HSI_*` variables, the add-on) name settings flat: `database_url`,
`detector_batch_size`, `smtp_password`. `FLAT_NAMES` maps each onto its section and field
(`database.url`, `detection.batch_size`, `email.password`); the nested form (`database: {url: ...}`,
`HSI_DATABASE__URL`) works too. Code reads the sections: `settings.database.url`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from inference_server.settings.sections import (
    ApiConfig,
    AskConfig,
    CameraConfig,
    DatabaseConfig,
    DetectionConfig,
    EmailConfig,
    FacesConfig,
    FtpConfig,
    IngestConfig,
    LlmConfig,
    ModelsConfig,
    MqttConfig,
    PlatesConfig,
    RedisConfig,
    ReidConfig,
    RetentionConfig,
    StorageConfig,
    StreamsConfig,
    WebhookConfig,
    WindowConfig,
)


def _prefixed(section: str, prefix: str, fields: str, **renamed: str) -> dict[str, tuple[str, str]]:
    names = {f"{prefix}{field}": (section, field) for field in fields.split()}
    names.update({flat: (section, field) for flat, field in renamed.items()})
    return names


# flat name -> (section, field). Every flat name ever documented stays here.
FLAT_NAMES: Final[dict[str, tuple[str, str]]] = {
    "database_url": ("database", "url"),
    **_prefixed("redis", "redis_", "url prefix"),
    **_prefixed("mqtt", "mqtt_", "url discovery discovery_prefix topic_prefix"),
    **_prefixed("storage", "", "data_dir watch_dir media_dir"),
    **_prefixed(
        "api",
        "api_",
        "host port rate_limit_enabled rate_limit_window_seconds rate_limit_read rate_limit_search "
        "rate_limit_media rate_limit_write max_body_bytes ws_queue_size cors_origins ingress_peer",
        api_keys_required="require_keys",
        public_url="public_url",
    ),
    **_prefixed("ftp", "ftp_", "enabled host port passive_ports"),
    **_prefixed(
        "detection",
        "detector_",
        "weights precision threads batch_latency_ms calibration_frames confidence classes batch_size "
        "image_size",
        detector="detector",
        detect_concurrency="concurrency",
        video_sample_seconds="video_sample_seconds",
        video_max_frames="video_max_frames",
    ),
    **_prefixed(
        "llm",
        "llm_",
        "backend model_path url model api_key timeout_seconds",
        **{n: n for n in ("ha_url", "ha_token", "ha_ai_task_entity", "ha_max_images")},
        **{n: n for n in ("vlm_url", "vlm_model", "vlm_api_key")},
        **{n: n for n in ("vlm_timeout_seconds", "vlm_max_images", "vlm_max_pixels")},
        **{n: n for n in ("vlm_model_path", "vlm_mmproj_path")},
    ),
    **_prefixed(
        "reid",
        "reid_",
        "threshold window_hours retention_days",
        embedder="embedder",
        embedder_model="embedder_model",
        embedder_weights="embedder_weights",
    ),
    **_prefixed("plates", "plate_", "min_confidence max_edit_distance retention_days max_tracks"),
    **_prefixed("faces", "face_", "threshold retention_days max_tracks"),
    **_prefixed(
        "ask",
        "ask_",
        "embedder embedder_dir vector_search llm_answers llm_rewrite llm_max_tokens index_interval_seconds",
    ),
    **_prefixed("models", "models_", "dir mirror manifest profile"),
    **_prefixed(
        "window",
        "",
        "urgent_rules",
        batch_window_seconds="max_seconds",
        batch_idle_seconds="idle_seconds",
        batch_backlog_hold_seconds="backlog_hold_seconds",
    ),
    **_prefixed(
        "ingest",
        "ingest_",
        "stable_seconds open_timeout_seconds abandoned_seconds rescan_seconds",
        max_file_bytes="max_file_bytes",
        max_image_pixels="max_image_pixels",
        dedupe_ttl_seconds="dedupe_ttl_seconds",
    ),
    **_prefixed(
        "streams",
        "",
        "max_attempts reclaim_idle_seconds",
        stream_retention_seconds="retention_seconds",
        publish_stream_retention_seconds="publish_retention_seconds",
        stuck_stage_seconds="stuck_seconds",
    ),
    **_prefixed(
        "retention", "", "", quarantine_retention_days="quarantine_days", audit_retention_days="audit_days"
    ),
    **_prefixed("email", "smtp_", "host port username password sender security ca_file"),
    **_prefixed("webhook", "webhook_", "allow_private timeout_seconds"),
}
# Settings that are not in a section.
TOP_LEVEL: Final = frozenset({"timezone", "cameras", "log_level"})


class Settings(BaseSettings):
    """Every setting of the server, one section per concern (see `FLAT_NAMES` for the user's names).

    Built only from what it is given (`load_settings` layers defaults, YAML and environment); it
    never reads the process environment by itself, and it is frozen once validated.
    """

    model_config = SettingsConfigDict(extra="forbid", frozen=True)

    database: DatabaseConfig = Field(default_factory=DatabaseConfig)
    redis: RedisConfig = Field(default_factory=RedisConfig)
    mqtt: MqttConfig = Field(default_factory=MqttConfig)
    storage: StorageConfig = Field(default_factory=StorageConfig)
    api: ApiConfig = Field(default_factory=ApiConfig)
    ftp: FtpConfig = Field(default_factory=FtpConfig)
    detection: DetectionConfig = Field(default_factory=DetectionConfig)
    llm: LlmConfig = Field(default_factory=LlmConfig)
    reid: ReidConfig = Field(default_factory=ReidConfig)
    plates: PlatesConfig = Field(default_factory=PlatesConfig)
    faces: FacesConfig = Field(default_factory=FacesConfig)
    ask: AskConfig = Field(default_factory=AskConfig)
    models: ModelsConfig = Field(default_factory=ModelsConfig)
    window: WindowConfig = Field(default_factory=WindowConfig)
    ingest: IngestConfig = Field(default_factory=IngestConfig)
    streams: StreamsConfig = Field(default_factory=StreamsConfig)
    retention: RetentionConfig = Field(default_factory=RetentionConfig)
    email: EmailConfig = Field(default_factory=EmailConfig)
    webhook: WebhookConfig = Field(default_factory=WebhookConfig)
    cameras: dict[str, CameraConfig] = Field(default_factory=dict)
    timezone: str = "UTC"
    log_level: str = "INFO"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Only the values given: the layering (YAML, `HSI_*`) is `load_settings`'s job."""
        return (init_settings,)

    @model_validator(mode="before")
    @classmethod
    def _sections_from_flat_names(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        return nest(data)

    @property
    def models_path(self) -> Path:
        """Where `hsi models` keeps model files."""
        return self.models.dir if self.models.dir is not None else self.storage.data_dir / "models"

    @property
    def plate_cameras(self) -> list[str]:
        """The cameras that opted in to licence plates, sorted."""
        return sorted(slug for slug, camera in self.cameras.items() if camera.plates)

    @property
    def face_cameras(self) -> list[str]:
        """The cameras that opted in to faces, sorted."""
        return sorted(slug for slug, camera in self.cameras.items() if camera.faces)

    def is_set(self, flat_name: str) -> bool:
        """Whether the user chose this setting (a flat name), rather than it being a default."""
        if flat_name in TOP_LEVEL:
            return flat_name in self.model_fields_set
        section, field = FLAT_NAMES[flat_name]
        return field in getattr(self, section).model_fields_set

    @classmethod
    def from_flat(cls, **flat: Any) -> Settings:
        """Settings from flat names (`Settings.from_flat(redis_prefix="x", api_port=9000)`)."""
        return cls(**nest(flat))

    def replace(self, **flat: Any) -> Settings:
        """New, validated settings: these values (flat names) over the ones chosen here."""
        return Settings(**merge(self.model_dump(exclude_unset=True, by_alias=False), nest(flat)))


def nest(data: dict[str, Any]) -> dict[str, Any]:
    """`data` with every flat name moved into its section (a flat name wins over the nested form)."""
    nested: dict[str, Any] = {}
    flat_values: dict[str, Any] = {}
    for key, value in data.items():
        if key in FLAT_NAMES:
            flat_values[key] = value
        else:
            nested[key] = value
    for key, value in flat_values.items():
        section, field = FLAT_NAMES[key]
        current = nested.get(section)
        if current is None:
            nested[section] = {field: value}
        elif isinstance(current, dict):
            nested[section] = {**current, field: value}
        else:  # a section model given as an object: rebuild it with the value
            nested[section] = {**current.model_dump(exclude_unset=True), field: value}
    return nested


def merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """`over` on top of `base`, section by section (sections are merged, not replaced)."""
    merged = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict) and key != "cameras":
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = value
    return merged
