"""Fetch, verify and install model files with each library's own downloader.

- Hugging Face files (GGUF LLMs) and open_clip weights: `huggingface_hub.hf_hub_download`
  (HEAD for ETag / X-Repo-Commit / X-Linked-Size, Range-resume of a cut connection, its own lock
  and temp file). open_clip's pretrained registry names the repository and file of a CLIP tag,
  exactly as `open_clip.create_model(pretrained=tag)` would fetch it.
- Ultralytics release assets (YOLO26): our own resumable downloader (http_download.py, standard
  library only): the same partial file keyed by ETag and Range-resume across processes as the hub
  pulls (ultralytics' `safe_download` deletes its partial file when it gives up).

Around either: a free-disk check first, a per-model file lock (a second process waits and then
finds the model installed), a staging folder, SHA-256 verification (the manifest's hash, else the
hub's LFS hash from X-Linked-Etag, else the first download's is recorded), and an atomic rename
into place. A mismatching file is deleted and the pull fails with one line.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import shutil
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

from inference_server.ml.models import http_download
from inference_server.ml.models.manifest import (
    HuggingFaceSource,
    ModelEntry,
    OpenClipSource,
    UltralyticsSource,
)
from inference_server.ml.models.store import ModelStore, sha256_file

log = logging.getLogger(__name__)

HF_DEFAULT_ENDPOINT = "https://huggingface.co"
GITHUB_BASE = "https://github.com"
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
# Room left beyond the file itself: the file system needs some, and so does the registry.
DISK_MARGIN_BYTES = 64 * 1024 * 1024


class PullError(RuntimeError):
    """A model could not be installed; the message is one line saying why and what to do."""


class ChecksumMismatch(PullError):
    """The downloaded or imported file is not the expected one (it has been removed)."""


class NotEnoughDisk(PullError):
    """The models folder's disk has too little free space for the file."""


class DownloadFailed(PullError):
    """The hub, mirror or release host could not deliver the file."""


def human_bytes(n: float) -> str:
    """1536 -> '1.5 KB' (powers of 1000, as download sizes are usually quoted)."""
    value = float(n)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if abs(value) < 1000 or unit == "TB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:.1f} TB"


def offline_requested(environ: dict[str, str] | None = None) -> str | None:
    """The variable that asks for offline operation (HSI_OFFLINE, HF_HUB_OFFLINE), if any."""
    env = os.environ if environ is None else environ
    for var in ("HSI_OFFLINE", "HF_HUB_OFFLINE"):
        if env.get(var, "").strip().lower() in ("1", "true", "yes", "on"):
            return var
    return None


class TransferProgress:
    """Bytes, rate and ETA of one download: a redrawn line on a terminal, log lines otherwise."""

    def __init__(
        self,
        label: str,
        total: int | None,
        *,
        stream: IO[str] | None,
        tty: bool,
        log_every_s: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.label = label
        self.total = total
        self.done = 0
        self._stream = stream
        self._tty = tty and stream is not None
        self._log_every = log_every_s
        self._clock = clock
        self._started = clock()
        self._last_draw = 0.0
        self._last_log = self._started
        self._lock = threading.Lock()

    def set_done(self, done: int) -> None:
        """Set the byte count (absolute)."""
        with self._lock:
            self.done = max(0, done)
        self._report()

    def add(self, n: int) -> None:
        """Count `n` more bytes (negative when a library restarts a file)."""
        with self._lock:
            self.done = max(0, self.done + n)
        self._report()

    def rate(self) -> float:
        """Bytes per second since the start."""
        elapsed = max(self._clock() - self._started, 1e-6)
        return self.done / elapsed

    def line(self) -> str:
        """'label  12.0 MB / 45.0 MB  5.1 MB/s  ETA 6 s'."""
        rate = self.rate()
        size = human_bytes(self.done) + (f" / {human_bytes(self.total)}" if self.total else "")
        eta = ""
        if self.total and rate > 0 and self.done < self.total:
            eta = f"  ETA {max(0, round((self.total - self.done) / rate))} s"
        return f"{self.label}  {size}  {human_bytes(rate)}/s{eta}"

    def _report(self) -> None:
        now = self._clock()
        if self._tty:
            if now - self._last_draw >= 0.1:
                self._last_draw = now
                assert self._stream is not None
                self._stream.write("\r\x1b[K" + self.line())
                self._stream.flush()
        elif now - self._last_log >= self._log_every:
            self._last_log = now
            log.info(
                "model_pull model=%s bytes=%d total=%s rate_bytes_s=%d eta_s=%s",
                self.label,
                self.done,
                self.total if self.total is not None else "unknown",
                int(self.rate()),
                round((self.total - self.done) / self.rate())
                if self.total and self.rate() > 0
                else "unknown",
            )

    def finish(self) -> None:
        """End the redrawn line."""
        if self._tty and self._stream is not None:
            self._stream.write("\r\x1b[K" + self.line() + "\n")
            self._stream.flush()

    def tqdm_class(self) -> type[Any]:
        """A tqdm-compatible class for huggingface_hub's `tqdm_class=` that feeds this progress."""
        progress = self

        class _Bar:
            def __init__(self, *args: Any, total: int | None = None, initial: int = 0, **kwargs: Any) -> None:
                if total:
                    progress.total = int(total)
                progress.set_done(int(initial))

            def update(self, n: float | None = 1) -> None:
                progress.add(int(n or 0))

            def close(self) -> None:
                return None

            def __enter__(self) -> _Bar:
                return self

            def __exit__(self, *exc: object) -> None:
                return None

        return _Bar


@dataclass(frozen=True)
class PullResult:
    """What `pull` did for one model."""

    entry: ModelEntry
    action: str  # downloaded | present | skipped
    path: Path
    size_bytes: int
    seconds: float
    sha256: str
    checked_against: str


class ModelPuller:
    """Installs manifest entries into a ModelStore."""

    def __init__(
        self,
        store: ModelStore,
        *,
        mirror: str | None = None,
        stream: IO[str] | None = None,
        tty: bool = False,
        say: Callable[[str], None] | None = None,
        log_every_s: float = 5.0,
    ) -> None:
        self.store = store
        self.mirror = mirror.rstrip("/") if mirror else None
        self.stream = stream
        self.tty = tty
        self.say = say or (lambda text: log.info("%s", text))
        self.log_every_s = log_every_s

    # ---------------------------------------------------------------- endpoints
    def hf_endpoint(self) -> str | None:
        """The Hugging Face endpoint: models_mirror, else None (huggingface_hub reads HF_ENDPOINT)."""
        return self.mirror

    def hf_base(self) -> str:
        """The Hugging Face base URL actually used (for messages and the online probe)."""
        return self.mirror or os.environ.get("HF_ENDPOINT", HF_DEFAULT_ENDPOINT).rstrip("/")

    def release_base(self) -> str:
        """Where GitHub release assets are fetched from: models_mirror, else github.com."""
        return self.mirror or GITHUB_BASE

    def asset_url(self, entry: ModelEntry, source: UltralyticsSource) -> str:
        """The release-asset URL of an Ultralytics model (GitHub's path shape, on the mirror too)."""
        return f"{self.release_base()}/{source.repo}/releases/download/{source.release}/{entry.file}"

    def reachable(self, entries: list[ModelEntry], timeout_s: float = 3.0) -> tuple[bool, str]:
        """Whether every host these entries need accepts a TCP connection (the `--if-online` probe)."""
        bases = set()
        for entry in entries:
            bases.add(self.release_base() if isinstance(entry.source, UltralyticsSource) else self.hf_base())
        for base in sorted(bases):
            parts = urlsplit(base)
            host = parts.hostname or ""
            port = parts.port or (443 if parts.scheme == "https" else 80)
            try:
                with socket.create_connection((host, port), timeout=timeout_s):
                    pass
            except OSError as exc:
                return False, f"{host}:{port} unreachable ({exc.strerror or exc})"
        return True, ""

    # ---------------------------------------------------------------- pull
    def pull(self, entry: ModelEntry, *, force: bool = False) -> PullResult:
        """Download, verify and install `entry`; PullError (one line) when it cannot."""
        started = time.monotonic()
        waited: list[bool] = []

        def on_wait() -> None:
            waited.append(True)
            self.say(f"{entry.id}: another process is downloading it; waiting for it to finish")

        with self.store.lock(entry, on_wait=on_wait):
            installed = self.store.status(entry)
            if not force and installed.status == "verified" and installed.path is not None:
                return PullResult(
                    entry,
                    "present",
                    installed.path,
                    installed.size_bytes or 0,
                    time.monotonic() - started,
                    installed.sha256 or "",
                    installed.checked_against or "",
                )
            if not force and installed.status == "present" and entry.sha256 and installed.path is not None:
                # A file placed by hand: adopt it if it is the published one.
                if sha256_file(installed.path) == entry.sha256 and installed.path == self.store.path(entry):
                    self.store.record(
                        entry, sha256=entry.sha256, checked_against="manifest", origin="on disk"
                    )
                    return PullResult(
                        entry,
                        "present",
                        installed.path,
                        installed.path.stat().st_size,
                        time.monotonic() - started,
                        entry.sha256,
                        "manifest",
                    )
            staging = self.store.staging_dir(entry)
            shutil.rmtree(staging, ignore_errors=True)
            staging.mkdir(parents=True, exist_ok=True)
            try:
                if isinstance(entry.source, UltralyticsSource):
                    downloaded, etag, commit, origin = self._pull_ultralytics(entry, entry.source, staging)
                else:
                    downloaded, etag, commit, origin = self._pull_huggingface(entry, staging)
                sha, against = self._verify_download(entry, downloaded, etag)
                final = self.store.path(entry)
                final.parent.mkdir(parents=True, exist_ok=True)
                os.replace(downloaded, final)
                self.store.record(
                    entry, sha256=sha, checked_against=against, origin=origin, etag=etag, commit=commit
                )
            finally:
                shutil.rmtree(staging, ignore_errors=True)
        size = final.stat().st_size
        return PullResult(entry, "downloaded", final, size, time.monotonic() - started, sha, against)

    def _check_disk(self, entry: ModelEntry, size: int) -> None:
        self.store.root.mkdir(parents=True, exist_ok=True)
        free = shutil.disk_usage(self.store.root).free
        needed = size + DISK_MARGIN_BYTES
        if free < needed:
            raise NotEnoughDisk(
                f"not enough free disk space for {entry.id}: it needs {human_bytes(needed)}, "
                f"{self.store.root} has {human_bytes(free)} free; free some space or set HSI_MODELS_DIR "
                "to a bigger disk"
            )

    def _verify_download(self, entry: ModelEntry, path: Path, etag: str | None) -> tuple[str, str]:
        self.say(f"{entry.id}: verifying SHA-256 of {human_bytes(path.stat().st_size)}")
        actual = sha256_file(path)
        expected, against = None, "first-download"
        if entry.sha256:
            expected, against = entry.sha256, "manifest"
        elif etag and _SHA256.match(etag):
            expected, against = etag, "hub"
        if expected is not None and actual != expected:
            path.unlink(missing_ok=True)
            raise ChecksumMismatch(
                f"checksum mismatch for {entry.id} ({entry.file}): expected sha256 {expected[:16]}... "
                f"({against}), got {actual[:16]}...; the file was removed, nothing was installed"
            )
        return actual, against

    def _pull_ultralytics(
        self, entry: ModelEntry, source: UltralyticsSource, staging: Path
    ) -> tuple[Path, str | None, str | None, str]:
        """Fetch a release asset with our resumable downloader (http_download.py) into a partial file
        that outlives the process (`<models_dir>/.partial/<id>/<file>.<etag>.part`), like the Hugging
        Face pulls: a pull cut by Ctrl-C, a killed process or a reboot is resumed by the next one with
        a Range request. ultralytics' own `safe_download` deletes its partial file when it gives up."""
        url = self.asset_url(entry, source)
        try:
            remote = http_download.head(url)
        except http_download.HttpDownloadError as exc:
            raise DownloadFailed(f"download of {entry.id} failed: {exc}") from exc
        size = remote.size or entry.size_bytes
        partial = self.store.partial_path(entry, remote.key)
        for stale in partial.parent.glob("*.part"):
            if stale != partial:  # an older upstream version of the file: it cannot be resumed
                stale.unlink(missing_ok=True)
        have = partial.stat().st_size if partial.is_file() else 0
        if remote.size is not None and have > remote.size:
            partial.unlink()
            have = 0
        self._check_disk(entry, max(0, size - have))
        progress = TransferProgress(
            entry.id,
            remote.size or (entry.size_bytes if entry.size_exact else None),
            stream=self.stream,
            tty=self.tty,
            log_every_s=self.log_every_s,
        )
        if have and remote.ranges:
            self.say(f"{entry.id}: resuming {url} at {human_bytes(have)} of {human_bytes(size)}")
        else:
            self.say(f"{entry.id}: downloading {url} ({human_bytes(size)})")
        progress.set_done(have)
        try:
            http_download.fetch(remote, partial, on_bytes=progress.set_done)
        except http_download.HttpDownloadError as exc:
            raise DownloadFailed(
                f"download of {entry.id} failed: {exc}"
                + (f"; {human_bytes(exc.kept)} kept, the next pull resumes there" if exc.kept else "")
            ) from exc
        progress.finish()
        target = staging / entry.file
        os.replace(partial, target)
        with contextlib.suppress(OSError):
            partial.parent.rmdir()
        return target, None, None, url

    def _hf_file(self, entry: ModelEntry) -> tuple[str, str, str]:
        """(repo_id, filename, revision) on the hub for a huggingface or open_clip entry."""
        source = entry.source
        if isinstance(source, HuggingFaceSource):
            return source.repo, entry.file, source.revision
        assert isinstance(source, OpenClipSource)
        return open_clip_hub_file(source, entry.file)

    def _pull_huggingface(self, entry: ModelEntry, staging: Path) -> tuple[Path, str | None, str | None, str]:
        """Fetch a hub file with huggingface_hub's `http_get` into a partial file that outlives the
        process (`<models_dir>/.partial/<id>/<file>.<etag>.part`): an interrupted pull (a cut
        connection after huggingface_hub's own retries, Ctrl-C, a reboot) is resumed by the next
        one with an HTTP Range request from the bytes already on disk. The partial file is keyed by
        the hub's ETag, so a file changed upstream starts again; it is removed once moved into
        staging (then verified) and whenever the downloaded bytes are wrong."""
        from huggingface_hub import get_hf_file_metadata, hf_hub_url
        from huggingface_hub.file_download import http_get
        from huggingface_hub.utils._headers import build_hf_headers

        repo_id, filename, revision = self._hf_file(entry)
        url = hf_hub_url(repo_id, filename, revision=revision, endpoint=self.hf_endpoint())
        try:
            meta = get_hf_file_metadata(url, timeout=10, endpoint=self.hf_endpoint())
        except Exception as exc:  # httpx, HfHubHTTPError, LocalEntryNotFoundError...
            raise DownloadFailed(f"cannot reach {url} for {entry.id}: {_one_line(exc)}") from exc
        size = meta.size or entry.size_bytes
        partial = self.store.partial_path(entry, meta.etag or meta.commit_hash or "unknown")
        for stale in partial.parent.glob("*.part"):
            if stale != partial:  # an older upstream version of the file: it cannot be resumed
                stale.unlink(missing_ok=True)
        have = partial.stat().st_size if partial.is_file() else 0
        if meta.size is not None and have > meta.size:
            partial.unlink()
            have = 0
        self._check_disk(entry, max(0, size - have))
        progress = TransferProgress(
            entry.id, meta.size, stream=self.stream, tty=self.tty, log_every_s=self.log_every_s
        )
        if have:
            self.say(
                f"{entry.id}: resuming {repo_id}/{filename} at {human_bytes(have)} of {human_bytes(size)}"
            )
        else:
            self.say(
                f"{entry.id}: downloading {repo_id}/{filename} ({human_bytes(size)}) from {self.hf_base()}"
            )
        target = staging / filename.rsplit("/", 1)[-1]
        if meta.size is None or have < meta.size:
            try:
                with partial.open("ab") as out:
                    http_get(
                        meta.location or url,
                        out,
                        resume_size=have,
                        headers=build_hf_headers(),
                        expected_size=meta.size,  # compared with the bytes on disk, resumed ones included
                        displayed_filename=filename,
                        tqdm_class=progress.tqdm_class(),
                    )
            except Exception as exc:  # network errors after its retries, size consistency (OSError)
                kept = partial.stat().st_size if partial.is_file() else 0
                raise DownloadFailed(
                    f"download of {entry.id} from {url} failed: {_one_line(exc)}"
                    + (f"; {human_bytes(kept)} kept, the next pull resumes there" if kept else "")
                ) from exc
        progress.finish()
        os.replace(partial, target)
        with contextlib.suppress(OSError):
            partial.parent.rmdir()
        return target, meta.etag, meta.commit_hash, url


def open_clip_hub_file(source: OpenClipSource, wanted_file: str) -> tuple[str, str, str]:
    """The hub repository, file and revision open_clip would fetch for a pretrained tag."""
    import open_clip  # type: ignore[import-untyped]

    cfg = open_clip.get_pretrained_cfg(source.model, source.pretrained)
    hub = str(cfg.get("hf_hub") or "")
    if not hub:
        raise DownloadFailed(
            f"open_clip {open_clip.__version__} has no Hugging Face source for {source.model}/{source.pretrained}"
        )
    repo_id, _, filename = _split_hub(hub)
    return repo_id, filename or wanted_file, "main"


def _split_hub(hub: str) -> tuple[str, str, str]:
    """'org/repo/' -> ('org/repo', '', ''); 'org/repo/file.bin' -> ('org/repo', '', 'file.bin')."""
    parts = hub.strip("/").split("/")
    repo_id = "/".join(parts[:2])
    filename = "/".join(parts[2:])
    return repo_id, "", filename


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    first = text[0] if text else type(exc).__name__
    return first[:300]
