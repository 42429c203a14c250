"""The model manifest: a versioned, typed list of the models `hsi models` can fetch and verify."""

from __future__ import annotations

import functools
from importlib import resources
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

SCHEMA_VERSION = 1
Family = Literal["detector", "llm", "embedder", "vlm", "face"]


class ManifestError(ValueError):
    """The manifest file is unreadable or breaks its schema."""


class UnknownModel(KeyError):
    """No manifest entry or profile has that name."""

    def __str__(self) -> str:
        return str(self.args[0])


class UltralyticsSource(BaseModel):
    """A release asset of an Ultralytics GitHub repository, fetched by ultralytics' own downloader."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["ultralytics"]
    repo: str = "ultralytics/assets"
    release: str


class HuggingFaceSource(BaseModel):
    """One file of a Hugging Face model repository, fetched with huggingface_hub."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["huggingface"]
    repo: str
    revision: str = "main"


class OpenClipSource(BaseModel):
    """An open_clip pretrained tag; open_clip's registry names the hub repository and file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["open_clip"]
    model: str
    pretrained: str


Source = Annotated[UltralyticsSource | HuggingFaceSource | OpenClipSource, Field(discriminator="kind")]


class ModelEntry(BaseModel):
    """One model file: where it comes from, how big, its checksum if published, what it needs."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9.-]{1,63}$")
    family: Family
    name: str
    version: str
    file: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    source: Source
    size_bytes: int = Field(gt=0)
    size_exact: bool = False
    sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")
    sha256_source: str | None = None
    unverified: list[str] = Field(default_factory=list)
    license: str
    license_url: str | None = None
    ram_mb: int = Field(ge=0)
    vram_mb: int = Field(ge=0)
    backends: list[str]
    context_tokens: int | None = None
    dimensions: int | None = None
    # The id of another entry holding the ONNX export of these weights: what a build without
    # PyTorch (the add-on) pulls instead of a `.pt`.
    onnx: str | None = None

    @property
    def relative_path(self) -> Path:
        """Where the file lives below the models folder: one folder per model id."""
        return Path(self.id) / self.file


class Profile(BaseModel):
    """A named set of models that suits one class of hardware."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    description: str
    models: list[str]


class Manifest(BaseModel):
    """Every known model and profile."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_: int = Field(alias="schema")
    revision: str
    models: list[ModelEntry]
    profiles: dict[str, Profile]

    @model_validator(mode="after")
    def _consistent(self) -> Manifest:
        if self.schema_ != SCHEMA_VERSION:
            raise ValueError(f"schema {self.schema_} is not supported (this build reads {SCHEMA_VERSION})")
        ids = [m.id for m in self.models]
        if len(ids) != len(set(ids)):
            raise ValueError("model ids must be unique")
        for entry in self.models:
            if entry.onnx is not None:
                variant = next((m for m in self.models if m.id == entry.onnx), None)
                if variant is None or not variant.file.endswith(".onnx") or variant.family != entry.family:
                    raise ValueError(f"{entry.id}: onnx must name a {entry.family} entry with an .onnx file")
        for name, profile in self.profiles.items():
            unknown = [m for m in profile.models if m not in ids]
            if unknown:
                raise ValueError(f"profile {name} names unknown model(s) {', '.join(unknown)}")
        return self

    def get(self, model_id: str) -> ModelEntry:
        """The entry with this id, or UnknownModel listing the known ids."""
        for entry in self.models:
            if entry.id == model_id:
                return entry
        raise UnknownModel(f"unknown model {model_id!r}; known: {', '.join(m.id for m in self.models)}")

    def profile(self, name: str) -> list[ModelEntry]:
        """The entries of a profile, or UnknownModel listing the profiles."""
        if name not in self.profiles:
            raise UnknownModel(f"unknown profile {name!r}; known: {', '.join(self.profiles)}")
        return [self.get(m) for m in self.profiles[name].models]

    def family(self, family: Family) -> list[ModelEntry]:
        """Entries of one family, in manifest order."""
        return [m for m in self.models if m.family == family]


def parse_manifest(text: str, origin: str = "manifest") -> Manifest:
    """Parse and validate manifest YAML; ManifestError says which entry and field are wrong."""
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ManifestError(f"{origin}: not valid YAML: {exc}") from exc
    try:
        return Manifest.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ManifestError(f"{origin}: {where}: {first['msg']}") from exc


@functools.cache
def builtin_manifest() -> Manifest:
    """The manifest shipped in this package."""
    text = resources.files(__package__).joinpath("manifest.yaml").read_text(encoding="utf-8")
    return parse_manifest(text, "inference_server/ml/models/manifest.yaml")


def load_manifest(path: Path | None = None) -> Manifest:
    """The manifest at `path` (the models_manifest setting), else the built-in one."""
    if path is None:
        return builtin_manifest()
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ManifestError(f"models_manifest {path}: {exc.strerror or exc}") from exc
    return parse_manifest(text, str(path))
