"""Nested typed settings: every documented flat name still works, sections are typed and frozen."""

from __future__ import annotations

import json
import re
import types
import typing
from pathlib import Path
from typing import Any, Literal

import pytest
import yaml
from pydantic import BaseModel, SecretStr, ValidationError

from inference_server.settings import FLAT_NAMES, ConfigError, Settings, load_settings

ROOT = Path(__file__).resolve().parents[2]
TOP_LEVEL = {"timezone", "cameras", "log_level"}
URLS = {
    "database_url": "postgresql://hsi:pw@db.test/other",
    "redis_url": "redis://cache.test:6380/3",
    "mqtt_url": "mqtt://broker.test:1884",
    "public_url": "https://hsi.example.test",
    "llm_url": "http://llm.test:8080/v1",
    "models_mirror": "http://mirror.test",
}


def documented_names() -> list[str]:
    """The setting names in the first column of docs/configuration.md's table."""
    names: list[str] = []
    for line in (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8").splitlines():
        if line.startswith("| `"):
            names += re.findall(r"`([a-z_]+)`", line.split("|")[1])
    return names


def _field(name: str) -> tuple[type[BaseModel], str]:
    if name in TOP_LEVEL:
        return Settings, name
    section, field = FLAT_NAMES[name]
    model = Settings.model_fields[section].annotation
    assert isinstance(model, type) and issubclass(model, BaseModel)
    return model, field


def sample(name: str) -> tuple[str, Any]:
    """A valid value other than the default: (what the variable holds, what the setting becomes)."""
    if name in URLS:
        return URLS[name], URLS[name]
    if name == "urgent_rules":
        return '[{"label": "car", "min_confidence": 0.5}]', [{"label": "car", "min_confidence": 0.5}]
    if name == "cameras":
        return '{"porch": {"name": "Porch"}}', {"porch": {"name": "Porch"}}
    if name in ("timezone", "log_level"):
        return {"timezone": ("Europe/Berlin",) * 2, "log_level": ("DEBUG",) * 2}[name]
    model, field = _field(name)
    info = model.model_fields[field]
    annotation, default = info.annotation, info.get_default(call_default_factory=True)
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        annotation = args[0]
        args = list(typing.get_args(annotation))
    if typing.get_origin(annotation) is Literal:
        choice = next(a for a in typing.get_args(annotation) if a != default)
        return str(choice), choice
    if annotation is bool:
        return str(not default).lower(), not default
    if annotation is int:
        return str(default + 1), default + 1
    if annotation is float:
        value = default / 2 if default else 5.0
        return str(value), value
    if annotation is Path:
        return f"/srv/hsi-test/{name}", Path(f"/srv/hsi-test/{name}")
    if annotation is SecretStr:
        return f"secret-{name}", f"secret-{name}"
    if typing.get_origin(annotation) is list:
        return "alpha, beta", ["alpha", "beta"]
    if annotation is str:
        return f"value-{name}", f"value-{name}"
    raise AssertionError(f"no sample for {name}: {annotation}")


def value_of(settings: Settings, name: str) -> Any:
    if name in TOP_LEVEL:
        value = getattr(settings, name)
    else:
        section, field = FLAT_NAMES[name]
        value = getattr(getattr(settings, section), field)
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    if isinstance(value, list) and value and isinstance(value[0], BaseModel):
        return [v.model_dump(exclude_unset=True) for v in value]
    if isinstance(value, dict):
        return {k: v.model_dump(exclude_unset=True) for k, v in value.items()}
    return value


def test_the_documentation_lists_every_setting_and_only_settings() -> None:
    documented = documented_names()
    assert len(documented) > 60
    unknown = sorted(set(documented) - set(FLAT_NAMES) - TOP_LEVEL)
    assert unknown == [], f"documented but not a setting: {unknown}"


@pytest.mark.parametrize("name", documented_names())
def test_every_documented_variable_and_yaml_key_parses(name: str, tmp_path: Path) -> None:
    raw, expected = sample(name)
    from_env = load_settings(environ={f"HSI_{name.upper()}": raw})
    assert value_of(from_env, name) == expected
    assert from_env.is_set(name)
    assert value_of(load_settings(environ={}), name) != expected  # the sample is not the default
    cfg = tmp_path / "hsi.yaml"
    cfg.write_text(yaml.safe_dump({name: json.loads(raw) if raw[:1] in "[{" else _yaml_value(expected)}))
    assert value_of(load_settings(cfg, environ={}), name) == expected


def _yaml_value(expected: Any) -> Any:
    return str(expected) if isinstance(expected, Path) else expected


def test_every_setting_is_documented() -> None:
    missing = sorted((set(FLAT_NAMES) | TOP_LEVEL) - set(documented_names()))
    assert missing == [], f"not in docs/configuration.md: {missing}"


def test_every_setting_has_a_flat_name() -> None:
    sections = {n for n, f in Settings.model_fields.items() if n not in TOP_LEVEL}
    for section in sections:
        model = Settings.model_fields[section].annotation
        assert isinstance(model, type) and issubclass(model, BaseModel)
        for field in model.model_fields:
            assert (section, field) in FLAT_NAMES.values(), f"{section}.{field} has no flat name"


def test_the_nested_form_works_too(tmp_path: Path) -> None:
    cfg = tmp_path / "hsi.yaml"
    cfg.write_text("detection: {batch_size: 4, confidence: 0.5}\napi: {port: 9001}\n")
    settings = load_settings(cfg, environ={"HSI_DETECTION__BATCH_SIZE": "16", "HSI_API_HOST": "0.0.0.0"})
    assert settings.detection.batch_size == 16 and settings.detection.confidence == 0.5
    assert settings.api.port == 9001 and settings.api.host == "0.0.0.0" and settings.api.keys_required


def test_secrets_never_show_in_reprs_or_dumps() -> None:
    settings = load_settings(
        environ={
            "HSI_LLM_API_KEY": "sk-topsecret",
            "HSI_SMTP_PASSWORD": "mailpw-topsecret",
            "HSI_CAMERAS": '{"porch": {"ftp_password": "ftp-topsecret"}}',
        }
    )
    shown = repr(settings) + str(settings) + settings.model_dump_json()
    assert "topsecret" not in shown
    assert settings.email.password is not None
    assert settings.email.password.get_secret_value() == "mailpw-topsecret"


def test_settings_cannot_change_after_validation() -> None:
    settings = load_settings(environ={})
    with pytest.raises(ValidationError):
        settings.api.port = 1
    with pytest.raises(ValidationError):
        settings.timezone = "Europe/Paris"  # type: ignore[misc]


def test_replace_validates_and_keeps_derived_folders_derived(tmp_path: Path) -> None:
    settings = load_settings(environ={"HSI_DATA_DIR": str(tmp_path / "a"), "HSI_API_PORT": "9100"})
    assert settings.storage.watch_dir == tmp_path / "a" / "uploads"
    moved = settings.replace(data_dir=tmp_path / "b")
    assert moved.storage.watch_dir == tmp_path / "b" / "uploads"
    assert moved.storage.media_dir == tmp_path / "b" / "media"
    assert moved.api.port == 9100 and not moved.is_set("watch_dir")
    with pytest.raises(ValidationError):
        settings.replace(api_port=70000)


def test_bad_variables_name_the_flat_setting() -> None:
    with pytest.raises(ConfigError, match="setting 'detector_confidence'"):
        load_settings(environ={"HSI_DETECTOR_CONFIDENCE": "2"})
    with pytest.raises(ConfigError, match="setting 'database_url': Value error, must start with postgresql"):
        load_settings(environ={"HSI_DATABASE_URL": "mysql://x"})
    with pytest.raises(ConfigError, match="HSI_URGENT_RULES: not valid YAML"):
        load_settings(environ={"HSI_URGENT_RULES": "[unclosed"})


def test_settings_do_not_read_the_process_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HSI_API_PORT", "9999")
    assert Settings().api.port == 8000
    assert load_settings(environ={}).api.port == 8000
    assert load_settings().api.port == 9999
