"""Typed runtime data of a config entry."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import ConfigEntry

if TYPE_CHECKING:
    from .api import HsiClient
    from .coordinator import HsiCoordinator


@dataclass
class HsiRuntimeData:
    """What a loaded entry holds: the API client and the coordinator."""

    client: HsiClient
    coordinator: HsiCoordinator


HsiConfigEntry = ConfigEntry[HsiRuntimeData]


@dataclass
class HsiData:
    """The coordinator's view of the server."""

    info: dict[str, Any]
    stats: dict[str, Any] = field(default_factory=dict)
    # camera id (folder slug) -> camera object, whose "last_event" is kept current by push
    cameras: dict[str, dict[str, Any]] = field(default_factory=dict)
    # alert rule id -> rule object
    rules: dict[str, dict[str, Any]] = field(default_factory=dict)
