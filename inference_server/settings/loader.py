"""Layering: defaults < YAML file (`--config` / `HSI_CONFIG`) < `HSI_*` environment.

Both sources are pydantic-settings sources that take flat names (`HSI_DETECTOR_BATCH_SIZE`,
`detector_batch_size:`) or the nested form (`HSI_DETECTION__BATCH_SIZE`, `detection: {batch_size:}`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

import yaml
from pydantic import ValidationError
from pydantic.fields import FieldInfo
from pydantic_settings import PydanticBaseSettingsSource

from inference_server.settings.model import FLAT_NAMES, TOP_LEVEL, Settings, merge, nest


class ConfigError(ValueError):
    """Configuration that cannot be used; the message says which setting and why."""


# Comma-separated in a variable; YAML lists in the file.
_LIST_FIELDS: Final = {("detection", "classes"), ("webhook", "allow_private"), ("api", "cors_origins")}
# A YAML (or JSON) document in a variable.
_DOCUMENT_FIELDS: Final = {("window", "urgent_rules"), ("cameras", "")}
_FLAT_OF: Final = {where: flat for flat, where in FLAT_NAMES.items()}


class YamlFileSource(PydanticBaseSettingsSource):
    """The settings of one YAML file (a mapping of flat or nested names)."""

    def __init__(self, settings_cls: type[Settings], path: str | Path) -> None:
        super().__init__(settings_cls)
        self.path = path

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        """Unused: `__call__` reads the whole file at once."""
        raise NotImplementedError

    def __call__(self) -> dict[str, Any]:
        path = self.path
        try:
            loaded = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise ConfigError(f"config file {path} does not exist") from exc
        except yaml.YAMLError as exc:
            raise ConfigError(f"config file {path} is not valid YAML: {exc}") from exc
        if loaded is not None and not isinstance(loaded, dict):
            raise ConfigError(f"config file {path} must hold a mapping of settings")
        return nest(loaded or {})


class EnvironmentSource(PydanticBaseSettingsSource):
    """`HSI_<FLAT_NAME>` and `HSI_<SECTION>__<FIELD>` variables of one environment mapping."""

    def __init__(self, settings_cls: type[Settings], environ: Mapping[str, str]) -> None:
        super().__init__(settings_cls)
        self.environ = environ

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        """Unused: `__call__` reads every variable at once."""
        raise NotImplementedError

    def __call__(self) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for flat, (section, field) in FLAT_NAMES.items():
            for name, where in (
                (f"HSI_{flat.upper()}", (section, field)),
                (f"HSI_{section.upper()}__{field.upper()}", (section, field)),
            ):
                raw = self.environ.get(name)
                if raw is not None:
                    values.setdefault(section, {})[field] = _parse(name, where, raw)
        for top in sorted(TOP_LEVEL):
            raw = self.environ.get(f"HSI_{top.upper()}")
            if raw is not None:
                values[top] = _parse(f"HSI_{top.upper()}", (top, ""), raw)
        return values


def _parse(name: str, where: tuple[str, str], raw: str) -> Any:
    if where in _LIST_FIELDS:
        return [item.strip() for item in raw.split(",") if item.strip()]
    if where in _DOCUMENT_FIELDS:
        try:
            return yaml.safe_load(raw)
        except yaml.YAMLError as exc:
            raise ConfigError(f"{name}: not valid YAML/JSON ({exc})") from exc
    return raw


def load_settings(
    config_file: str | Path | None = None, environ: Mapping[str, str] | None = None
) -> Settings:
    """Build the settings from defaults, an optional YAML file and HSI_* variables."""
    env = os.environ if environ is None else environ
    path = config_file or env.get("HSI_CONFIG")
    values: dict[str, Any] = YamlFileSource(Settings, path)() if path else {}
    values = merge(values, EnvironmentSource(Settings, env)())
    try:
        return Settings(**values)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ConfigError(f"setting {_setting_name(first['loc'])!r}: {first['msg']}") from exc


def _setting_name(loc: tuple[int | str, ...]) -> str:
    """The name a user wrote for the setting at `loc` (flat where there is one)."""
    parts = [str(p) for p in loc]
    if len(parts) >= 2 and (parts[0], parts[1]) in _FLAT_OF:
        return ".".join([_FLAT_OF[(parts[0], parts[1])], *parts[2:]])
    return ".".join(parts)
