"""Fixtures for `hsi models`: the local hub stand-in, a test manifest, a settings file."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from inference_server.ml.models.manifest import builtin_manifest
from tests.support.fake_hub import FakeHub

ModelsEnv = Callable[..., Path]


@pytest.fixture
def hub() -> Iterator[FakeHub]:
    """A real HTTP server on 127.0.0.1 speaking the hub's and GitHub releases' protocols."""
    server = FakeHub().start()
    yield server
    server.stop()


def write_manifest(path: Path, overrides: dict[str, dict[str, Any]]) -> Path:
    """The built-in manifest with some fields of some entries replaced (e.g. a test file's sha256)."""
    data = builtin_manifest().model_dump(by_alias=True, mode="json")
    for model in data["models"]:
        model.update(overrides.get(model["id"], {}))
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture
def models_env(tmp_path: Path, hub: FakeHub) -> Callable[..., Path]:
    """Write a settings file using the stand-in as mirror; returns its path."""

    def make(manifest_overrides: dict[str, dict[str, Any]] | None = None, **extra: Any) -> Path:
        values: dict[str, Any] = {
            "data_dir": str(tmp_path / "data"),
            "models_mirror": hub.url,
            **extra,
        }
        if manifest_overrides is not None:
            values["models_manifest"] = str(write_manifest(tmp_path / "manifest.yaml", manifest_overrides))
        cfg = tmp_path / "hsi.yaml"
        cfg.write_text(yaml.safe_dump(values), encoding="utf-8")
        return cfg

    return make


@pytest.fixture(autouse=True)
def _online(monkeypatch: pytest.MonkeyPatch) -> None:
    """The tests say when they are offline."""
    for var in ("HSI_OFFLINE", "HF_HUB_OFFLINE", "HF_ENDPOINT"):
        monkeypatch.delenv(var, raising=False)
    for var in list(os.environ):
        if var.startswith("HSI_") and var not in ("HSI_TEST_PG_URL", "HSI_TEST_REDIS_URL"):
            monkeypatch.delenv(var, raising=False)
