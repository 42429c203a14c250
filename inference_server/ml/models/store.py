"""The models folder: one sub-folder per model id, and a registry of what was verified when.

Layout below `models_dir`:
    <model id>/<file>        the model file (e.g. yolo26n/yolo26n.pt)
    registry.json            per model: file, size, sha256, where it came from, when verified
    .locks/<model id>.lock   held while one process downloads or imports that model
    .staging/<model id>/     downloads in progress; moved into place only once verified
    .partial/<model id>/     a Hugging Face file's bytes so far (<file>.<etag>.part): kept when a
                             pull is interrupted, resumed with a Range request by the next pull

A model is "verified" when its registry record's sha256 matched the expected value (the
manifest's, the hub's LFS hash, or - with neither published - the first download's) and the
file's size and mtime are still those recorded then; `hsi models verify` re-hashes.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from filelock import FileLock, Timeout

from inference_server.ml.models.manifest import Manifest, ModelEntry

Status = Literal["missing", "present", "verified", "corrupt"]
_CHUNK = 1 << 20


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file, read in 1 MiB chunks (call it from a thread for big files)."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(_CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True)
class InstalledModel:
    """What is on disk for one manifest entry."""

    entry: ModelEntry
    status: Status
    path: Path | None
    size_bytes: int | None
    sha256: str | None
    checked_against: str | None  # manifest | hub | first-download | import
    origin: str | None

    def as_dict(self) -> dict[str, Any]:
        """JSON form for `hsi models list --json`, `hsi doctor --json` and the API."""
        return {
            "id": self.entry.id,
            "family": self.entry.family,
            "status": self.status,
            "path": str(self.path) if self.path else None,
            "size_bytes": self.size_bytes,
            "sha256": self.sha256,
            "checked_against": self.checked_against,
            "origin": self.origin,
        }


class ModelStore:
    """Paths, registry and locks of one models folder."""

    def __init__(self, root: Path, manifest: Manifest) -> None:
        self.root = Path(root).expanduser()
        self.manifest = manifest

    # ---------------------------------------------------------------- paths
    def path(self, entry: ModelEntry) -> Path:
        """Where the model's file lives once installed."""
        return self.root / entry.relative_path

    def legacy_path(self, entry: ModelEntry) -> Path:
        """The flat location earlier versions told users to use (<models_dir>/<file>)."""
        return self.root / entry.file

    def partial_path(self, entry: ModelEntry, etag: str) -> Path:
        """Where a download's bytes so far survive the process (one per model, keyed by ETag)."""
        safe = re.sub(r"[^A-Za-z0-9._-]", "_", etag.strip('"'))[:80] or "unknown"
        folder = self.root / ".partial" / entry.id
        folder.mkdir(parents=True, exist_ok=True)
        return folder / f"{entry.file.rsplit('/', 1)[-1]}.{safe}.part"

    def staging_dir(self, entry: ModelEntry) -> Path:
        """A folder on the same file system for downloads in progress."""
        return self.root / ".staging" / entry.id

    @contextlib.contextmanager
    def lock(self, entry: ModelEntry, on_wait: Any = None) -> Iterator[None]:
        """Hold the model's file lock; `on_wait()` is called once if another process holds it."""
        locks = self.root / ".locks"
        locks.mkdir(parents=True, exist_ok=True)
        lock = FileLock(str(locks / f"{entry.id}.lock"))
        try:
            lock.acquire(timeout=0.5)
        except Timeout:
            if on_wait is not None:
                on_wait()
            lock.acquire()
        try:
            yield
        finally:
            lock.release()

    # ---------------------------------------------------------------- registry
    @property
    def registry_path(self) -> Path:
        """The JSON registry of installed models."""
        return self.root / "registry.json"

    def _read_registry(self) -> dict[str, dict[str, Any]]:
        try:
            data = json.loads(self.registry_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError):
            return {}  # a damaged registry only costs a re-verification
        models = data.get("models", {}) if isinstance(data, dict) else {}
        return {k: v for k, v in models.items() if isinstance(v, dict)}

    def _write_registry(self, models: dict[str, dict[str, Any]]) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        tmp = self.registry_path.with_name(f".registry.{os.getpid()}.tmp")
        tmp.write_text(
            json.dumps(
                {"schema": 1, "manifest_revision": self.manifest.revision, "models": models}, indent=2
            ),
            encoding="utf-8",
        )
        os.replace(tmp, self.registry_path)

    @contextlib.contextmanager
    def _registry(self) -> Iterator[dict[str, dict[str, Any]]]:
        self.root.mkdir(parents=True, exist_ok=True)
        with FileLock(str(self.root / ".registry.lock")):
            models = self._read_registry()
            yield models
            self._write_registry(models)

    def record(
        self,
        entry: ModelEntry,
        *,
        sha256: str,
        checked_against: str,
        origin: str,
        etag: str | None = None,
        commit: str | None = None,
    ) -> None:
        """Remember that the installed file of `entry` has this verified hash."""
        path = self.path(entry)
        stat = path.stat()
        with self._registry() as models:
            models[entry.id] = {
                "file": str(entry.relative_path),
                "size_bytes": stat.st_size,
                "mtime_ns": stat.st_mtime_ns,
                "sha256": sha256,
                "checked_against": checked_against,
                "origin": origin,
                "etag": etag,
                "commit": commit,
                "manifest_revision": self.manifest.revision,
                "verified_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "corrupt": False,
            }

    def mark_corrupt(self, entry: ModelEntry, actual_sha256: str) -> None:
        """Flag a file whose hash no longer matches (kept on disk for inspection, never used)."""
        with self._registry() as models:
            record = models.setdefault(entry.id, {"file": str(entry.relative_path)})
            record["corrupt"] = True
            record["actual_sha256"] = actual_sha256

    def forget(self, entry: ModelEntry) -> None:
        """Drop the registry record of a model."""
        with self._registry() as models:
            models.pop(entry.id, None)

    def record_of(self, entry: ModelEntry) -> dict[str, Any] | None:
        """The registry record of a model, if any."""
        return self._read_registry().get(entry.id)

    # ---------------------------------------------------------------- status
    def expected_sha256(self, entry: ModelEntry) -> tuple[str | None, str | None]:
        """(hash, what it came from): the manifest's if published, else the recorded one."""
        if entry.sha256:
            return entry.sha256, "manifest"
        record = self.record_of(entry)
        if record and record.get("sha256"):
            return str(record["sha256"]), str(record.get("checked_against") or "recorded")
        return None, None

    def status(self, entry: ModelEntry) -> InstalledModel:
        """What is on disk for `entry`, from the registry (no hashing)."""
        path = self.path(entry)
        record = self.record_of(entry)
        if not path.is_file():
            legacy = self.legacy_path(entry)
            if entry.family == "detector" and legacy.is_file():
                return InstalledModel(
                    entry, "present", legacy, legacy.stat().st_size, None, None, "placed by hand"
                )
            return InstalledModel(entry, "missing", None, None, None, None, None)
        stat = path.stat()
        if record is None:
            return InstalledModel(entry, "present", path, stat.st_size, None, None, None)
        if record.get("corrupt"):
            status: Status = "corrupt"
        elif record.get("size_bytes") == stat.st_size and record.get("mtime_ns") == stat.st_mtime_ns:
            status = "verified"
        else:
            status = "present"  # changed since it was verified
        return InstalledModel(
            entry,
            status,
            path,
            stat.st_size,
            record.get("sha256"),
            record.get("checked_against"),
            record.get("origin"),
        )

    def all_status(self) -> list[InstalledModel]:
        """The status of every manifest entry, in manifest order."""
        return [self.status(entry) for entry in self.manifest.models]

    def usable(self, entry: ModelEntry) -> Path | None:
        """The file to load for `entry` when it is on disk and not known to be corrupt."""
        installed = self.status(entry)
        if installed.status in ("present", "verified"):
            return installed.path
        return None

    def remove(self, entry: ModelEntry) -> bool:
        """Delete the model's folder, staging files and registry record; True if anything went."""
        removed = False
        for folder in (self.root / entry.id, self.staging_dir(entry), self.root / ".partial" / entry.id):
            if folder.exists():
                shutil.rmtree(folder)
                removed = True
        legacy = self.legacy_path(entry)
        if entry.family == "detector" and legacy.is_file():
            legacy.unlink()
            removed = True
        if self.record_of(entry) is not None:
            self.forget(entry)
            removed = True
        return removed
