"""A resumable download of one file over plain HTTP(S): release assets (YOLO weights, ONNX exports).

ultralytics' `safe_download` resumes only between its own retries and deletes its partial file
when it gives up, so a pull cut by Ctrl-C, a killed process or a reboot started again from zero.
This downloader keeps the bytes in a partial file that outlives the process, the mechanism the
Hugging Face pulls use (pull.py `_pull_huggingface`):

- HEAD first (redirects followed, as GitHub sends assets to its CDN): the validator (`ETag`, else
  `Last-Modified` + size) names the partial file, so bytes of an older upstream version are never
  resumed; a partial file with another name is deleted.
- GET with `Range: bytes=N-` from the bytes on disk and `If-Range: <validator>`: a 206 appends,
  a 200 (the server ignored the range or the file changed) starts the file again.
- Every chunk is flushed, so a process killed mid-file leaves what it received; connection errors
  are retried (resuming) a few times within one run, then the error says how much is kept.

Only the standard library: the add-on image has neither requests nor huggingface_hub.
"""

from __future__ import annotations

import http.client
import re
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

CHUNK_BYTES = 256 * 1024
USER_AGENT = "hsi-models/1"
_CONTENT_RANGE = re.compile(r"^bytes (\d+)-(\d+)/(\d+|\*)$")


class HttpDownloadError(RuntimeError):
    """The file could not be fetched; `kept` is the number of bytes left for the next attempt."""

    def __init__(self, message: str, kept: int = 0) -> None:
        super().__init__(message)
        self.kept = kept


@dataclass(frozen=True)
class RemoteFile:
    """What a HEAD request said about the file."""

    url: str  # after redirects
    size: int | None
    etag: str | None
    last_modified: str | None
    ranges: bool

    @property
    def validator(self) -> str | None:
        """The If-Range value: a strong ETag, else Last-Modified (RFC 9110 13.1.5)."""
        if self.etag and not self.etag.startswith("W/"):
            return self.etag
        return self.last_modified

    @property
    def key(self) -> str:
        """What names the partial file: the same upstream bytes give the same key."""
        if self.etag:
            return self.etag.removeprefix("W/").strip('"')
        if self.last_modified or self.size is not None:
            return f"{self.size}-{self.last_modified or ''}"
        return "unknown"


def _request(url: str, method: str, headers: dict[str, str] | None = None) -> urllib.request.Request:
    return urllib.request.Request(  # noqa: S310 - http(s) URLs from the manifest or the mirror setting
        url, method=method, headers={"User-Agent": USER_AGENT, **(headers or {})}
    )


def head(url: str, *, timeout_s: float = 15.0) -> RemoteFile:
    """HEAD `url` (redirects followed); HttpDownloadError with the status or reason."""
    if not url.startswith(("http://", "https://")):
        raise HttpDownloadError(f"not an http(s) URL: {url}")
    try:
        with urllib.request.urlopen(_request(url, "HEAD"), timeout=timeout_s) as resp:  # noqa: S310
            length = resp.headers.get("Content-Length")
            return RemoteFile(
                url=resp.geturl(),
                size=int(length) if length and length.isdigit() else None,
                etag=resp.headers.get("ETag"),
                last_modified=resp.headers.get("Last-Modified"),
                ranges=resp.headers.get("Accept-Ranges", "").lower() == "bytes",
            )
    except urllib.error.HTTPError as exc:
        raise HttpDownloadError(f"{url} answered HTTP {exc.code} {exc.reason}") from exc
    except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
        reason = getattr(exc, "reason", None) or exc
        raise HttpDownloadError(f"cannot reach {url}: {reason}") from exc


def fetch(
    remote: RemoteFile,
    partial: Path,
    *,
    on_bytes: Callable[[int], None] | None = None,
    attempts: int = 3,
    timeout_s: float = 30.0,
    backoff_s: float = 1.0,
    sleep: Callable[[float], None] = time.sleep,
) -> Path:
    """Complete `partial` (created or resumed) from `remote`; returns it once it holds the whole
    file (size checked when the server said it). `on_bytes(total_on_disk)` after every chunk."""
    partial.parent.mkdir(parents=True, exist_ok=True)
    for stale in partial.parent.glob("*.part"):
        if stale != partial:  # another upstream version's bytes: never resumable
            stale.unlink(missing_ok=True)
    last_error = ""
    for attempt in range(1, attempts + 1):
        have = partial.stat().st_size if partial.is_file() else 0
        if remote.size is not None and have > remote.size:
            partial.unlink()
            have = 0
        if remote.size is not None and have == remote.size:
            return partial
        try:
            _get(remote, partial, have, on_bytes, timeout_s)
        except _Retry as exc:
            last_error = str(exc)
            if attempt < attempts:
                sleep(backoff_s * attempt)
            continue
        return partial
    kept = partial.stat().st_size if partial.is_file() else 0
    raise HttpDownloadError(f"{remote.url}: {last_error}", kept=kept)


class _Retry(Exception):
    """A failure worth another attempt from the bytes on disk."""


def _get(
    remote: RemoteFile, partial: Path, have: int, on_bytes: Callable[[int], None] | None, timeout_s: float
) -> None:
    headers: dict[str, str] = {}
    if have and remote.ranges:
        headers["Range"] = f"bytes={have}-"
        if remote.validator:
            headers["If-Range"] = remote.validator
    try:
        resp = urllib.request.urlopen(_request(remote.url, "GET", headers), timeout=timeout_s)  # noqa: S310
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and remote.size is not None and have >= remote.size:
            return  # already complete
        if exc.code in (408, 429) or exc.code >= 500:
            raise _Retry(f"HTTP {exc.code} {exc.reason}") from exc
        raise HttpDownloadError(f"{remote.url} answered HTTP {exc.code} {exc.reason}", kept=have) from exc
    except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
        raise _Retry(str(getattr(exc, "reason", None) or exc)) from exc
    with resp:
        mode = "ab"
        if resp.status == 206:
            match = _CONTENT_RANGE.match(resp.headers.get("Content-Range", ""))
            if not match or int(match.group(1)) != have:
                raise _Retry(f"unexpected Content-Range {resp.headers.get('Content-Range')!r} for {have}-")
        else:  # 200: the whole file, from the first byte
            mode, have = "wb", 0
        done = have
        with partial.open(mode) as out:
            while True:
                try:
                    block = resp.read(CHUNK_BYTES)
                except (OSError, http.client.HTTPException) as exc:  # reset, timeout, IncompleteRead
                    raise _Retry(f"connection lost at {done} bytes: {exc or type(exc).__name__}") from exc
                if not block:
                    break
                try:
                    out.write(block)
                    out.flush()  # a killed process leaves every byte it received
                except OSError as exc:  # the disk, not the network: no retry
                    raise HttpDownloadError(
                        f"cannot write {partial}: {exc.strerror or exc}", kept=done
                    ) from exc
                done += len(block)
                if on_bytes is not None:
                    on_bytes(done)
    if remote.size is not None and done < remote.size:
        raise _Retry(f"connection closed at {done} of {remote.size} bytes")
    if remote.size is not None and done > remote.size:
        partial.unlink(missing_ok=True)
        raise HttpDownloadError(f"{remote.url} sent {done} bytes, {remote.size} announced")
