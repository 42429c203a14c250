"""`hsi models verify` (re-hash what is installed) and `hsi models import FILE` (air-gapped homes)."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from inference_server.ml.models.manifest import Manifest, ModelEntry, UnknownModel
from inference_server.ml.models.pull import ChecksumMismatch, NotEnoughDisk, PullError, human_bytes
from inference_server.ml.models.store import ModelStore, sha256_file

_DISK_MARGIN = 64 * 1024 * 1024


class ImportRefused(PullError):
    """The file cannot be imported as that model; nothing was changed."""


@dataclass(frozen=True)
class VerifyResult:
    """The outcome of re-hashing one installed model."""

    entry: ModelEntry
    ok: bool
    message: str


def verify_installed(store: ModelStore, entry: ModelEntry) -> VerifyResult | None:
    """Re-hash an installed model against the expected hash; None when it is not installed."""
    installed = store.status(entry)
    if installed.path is None:
        return None
    actual = sha256_file(installed.path)
    expected, against = store.expected_sha256(entry)
    if expected is None:
        if installed.path != store.path(entry):
            return VerifyResult(
                entry,
                False,
                f"{entry.id}: {installed.path} was placed by hand and has no known hash; "
                f"adopt it with: hsi models import {installed.path} --as {entry.id}",
            )
        store.record(
            entry, sha256=actual, checked_against="first-download", origin=installed.origin or "on disk"
        )
        return VerifyResult(entry, True, f"{entry.id}: ok (no published hash; recorded {actual[:16]}...)")
    if actual != expected:
        if installed.path == store.path(entry):
            store.mark_corrupt(entry, actual)
        return VerifyResult(
            entry,
            False,
            f"{entry.id}: CORRUPT: sha256 {actual[:16]}... but expected {expected[:16]}... ({against}); "
            f"it will not be used; fix: hsi models pull --force {entry.id}",
        )
    if installed.path == store.path(entry):
        record = store.record_of(entry) or {}
        store.record(
            entry,
            sha256=actual,
            checked_against=against or "recorded",
            origin=str(record.get("origin") or "on disk"),
            etag=record.get("etag"),
            commit=record.get("commit"),
        )
    return VerifyResult(
        entry, True, f"{entry.id}: ok ({human_bytes(installed.path.stat().st_size)}, {against})"
    )


def _looks_like(entry: ModelEntry, head: bytes) -> str | None:
    """Why the file's first bytes do not fit the model's format, or None when they do."""
    suffix = Path(entry.file).suffix
    if suffix == ".gguf" and not head.startswith(b"GGUF"):
        return "it is not a GGUF file (no GGUF magic)"
    if suffix in (".pt", ".pth") and not head.startswith(b"PK\x03\x04"):
        return "it is not a PyTorch checkpoint (not a zip archive)"
    if suffix == ".safetensors":
        if len(head) < 9 or head[8:9] != b"{":
            return "it is not a safetensors file (no JSON header)"
    return None


def identify(manifest: Manifest, path: Path, as_id: str | None, sha: str) -> ModelEntry:
    """The manifest entry a file is: named by --as, else by published hash, else by file name."""
    if as_id:
        return manifest.get(as_id)
    by_hash = [m for m in manifest.models if m.sha256 == sha]
    if by_hash:
        return by_hash[0]
    by_name = [m for m in manifest.models if m.file == path.name]
    if len(by_name) == 1:
        return by_name[0]
    if len(by_name) > 1:
        raise ImportRefused(
            f"{path.name} could be any of {', '.join(m.id for m in by_name)}: name one with --as ID"
        )
    raise ImportRefused(
        f"{path.name} matches no model of the manifest by name or hash: name one with --as ID "
        f"(known: {', '.join(m.id for m in manifest.models)})"
    )


def import_model(store: ModelStore, source: Path, as_id: str | None = None) -> tuple[ModelEntry, str]:
    """Copy a model file into the store (verified, atomically) and register it; returns (entry, sha)."""
    source = Path(source).expanduser()
    if not source.is_file():
        raise ImportRefused(f"{source} is not a file")
    sha = sha256_file(source)
    try:
        entry = identify(store.manifest, source, as_id, sha)
    except UnknownModel as exc:
        raise ImportRefused(str(exc)) from exc
    with source.open("rb") as fh:
        problem = _looks_like(entry, fh.read(16))
    if problem:
        raise ImportRefused(f"{source} cannot be imported as {entry.id}: {problem}")
    if entry.sha256 and sha != entry.sha256:
        raise ChecksumMismatch(
            f"checksum mismatch importing {source} as {entry.id}: sha256 {sha[:16]}... but the manifest "
            f"publishes {entry.sha256[:16]}...; nothing was imported"
        )
    size = source.stat().st_size
    if entry.size_exact and size != entry.size_bytes:
        raise ImportRefused(
            f"{source} is {size} bytes but {entry.id} is {entry.size_bytes} bytes; nothing was imported"
        )
    with store.lock(entry):
        store.root.mkdir(parents=True, exist_ok=True)
        free = shutil.disk_usage(store.root).free
        if free < size + _DISK_MARGIN:
            raise NotEnoughDisk(
                f"not enough free disk space to import {entry.id}: it needs {human_bytes(size + _DISK_MARGIN)}, "
                f"{store.root} has {human_bytes(free)} free"
            )
        final = store.path(entry)
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp = final.with_name(f".{final.name}.import-{os.getpid()}.part")
        try:
            with source.open("rb") as src, tmp.open("wb") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
                dst.flush()
                os.fsync(dst.fileno())
            if sha256_file(tmp) != sha:
                raise ChecksumMismatch(f"{source} changed while it was copied; nothing was imported")
            os.replace(tmp, final)
        finally:
            tmp.unlink(missing_ok=True)
        against = "manifest" if entry.sha256 else "import"
        store.record(entry, sha256=sha, checked_against=against, origin=f"import:{source.resolve()}")
    return entry, sha
