"""What the HTTP API needs from the composition root, passed in explicitly."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import redis.asyncio as aioredis

from inference_server.bus.publish import Publisher
from inference_server.metrics import Metrics
from inference_server.settings import Settings
from inference_server.store.streams import Keys

ReadyCheck = Callable[[], Awaitable[bool]]


@dataclass(frozen=True, slots=True)
class ApiLimits:
    """Rate limits (requests per window, per API key and per client address) and other bounds.

    Route classes: read (JSON GETs, WebSocket connects), search, media (files and snapshots),
    write (POST/PUT/PATCH/DELETE). A limit of 0 disables that class's limit.
    """

    window_seconds: float = 60.0
    read_per_window: int = 600
    search_per_window: int = 120
    media_per_window: int = 600
    write_per_window: int = 60
    enabled: bool = True
    max_body_bytes: int = 256 * 1024
    ws_queue_size: int = 256
    ws_heartbeat_seconds: float = 30.0
    ws_send_timeout_seconds: float = 10.0
    cors_origins: tuple[str, ...] = ()
    key_cache_seconds: float = 15.0
    backlog_degraded: int = 1000  # a queue deeper than this makes the pipeline "degraded"

    def limit_for(self, route_class: str) -> int:
        """Requests allowed per window for a route class."""
        return int(getattr(self, f"{route_class}_per_window", 0))

    @classmethod
    def from_settings(cls, settings: Settings) -> ApiLimits:
        """Read the `api` section (`api_rate_limit_*`, `api_max_body_bytes`, `api_cors_origins`...)."""
        api = settings.api
        return cls(
            window_seconds=api.rate_limit_window_seconds,
            read_per_window=api.rate_limit_read,
            search_per_window=api.rate_limit_search,
            media_per_window=api.rate_limit_media,
            write_per_window=api.rate_limit_write,
            enabled=api.rate_limit_enabled,
            max_body_bytes=api.max_body_bytes,
            ws_queue_size=api.ws_queue_size,
            cors_origins=tuple(api.cors_origins),
        )


@dataclass(slots=True)
class ApiContext:
    """Dependencies of the API. `ready_checks` maps a name (e.g. "detector") to an async probe."""

    settings: Settings
    pool: asyncpg.Pool
    redis: aioredis.Redis
    keys: Keys
    metrics: Metrics
    publisher: Publisher
    media_dir: Path
    ready_checks: dict[str, ReadyCheck] = field(default_factory=dict)
    # Checks reported by `/api/system/ready` that never make it 503 (e.g. "mqtt": the broker is an
    # output; entries wait for it and nothing is lost); a false one makes stats/status "degraded".
    advisory_checks: dict[str, ReadyCheck] = field(default_factory=dict)
    # Supervised stage tasks by name, True while running (`runtime.Supervisor.health`).
    stage_health: Callable[[], dict[str, bool]] | None = None
    # Each stream worker (`stage/group`): its entry failing for `stuck_stage_seconds`, or None.
    stuck_stages: Callable[[], dict[str, dict[str, object] | None]] | None = None
    # The same tasks with restarts and last errors (`runtime.Supervisor.describe`, `hsi status`).
    stage_states: Callable[[], list[dict[str, object]]] | None = None
    # The semantic event index of `POST /api/ask` (store/ask_index.AskIndex); None: lexical only.
    ask_index: Any = None
    # The background pull of `models_profile` (ml/models/profile_pull.ProfilePull), or None.
    profile_pull: Any = None
    # The LLM writing `POST /api/ask` answers (api/ask.AnswerWriter); None: extractive answers only.
    ask_llm: Any = None
    limits: ApiLimits | None = None  # None: ApiLimits.from_settings(settings)
    version: str = "0.1.0"
    models: dict[str, Any] = field(default_factory=dict)  # the doctor report (ml/models/doctor.py)

    def effective_limits(self) -> ApiLimits:
        """The limits in force."""
        return self.limits if self.limits is not None else ApiLimits.from_settings(self.settings)
