"""A local stand-in for the Hugging Face hub and GitHub release assets (the one allowed stand-in).

It speaks the real protocols the downloaders use, on 127.0.0.1 and a free port:
- Hugging Face resolve endpoint: HEAD/GET `/{repo}/resolve/{revision}/{file}` with `ETag`,
  `X-Repo-Commit`, `X-Linked-Etag` (the LFS sha256), `X-Linked-Size`, `Accept-Ranges` and
  `Range` -> 206 with `Content-Range`; unknown files 404 with `X-Error-Code: EntryNotFound`.
- GitHub release assets: HEAD/GET `/{owner}/{repo}/releases/download/{tag}/{file}`, with
  `redirect=True` a 302 to `/cdn/{owner}/{repo}/{tag}/{file}` first (GitHub sends assets to its CDN); the answer
  carries `Content-Length`, `ETag`, `Last-Modified` and Range support (`If-Range` with another
  validator gets the whole file, as RFC 9110 says).
Faults for tests: drop the connection after N bytes (once), advertise a different size, serve
other bytes than the advertised hash, slow the body down. Every request is logged.
"""

from __future__ import annotations

import hashlib
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

COMMIT = "0123456789abcdef0123456789abcdef01234567"


@dataclass
class HostedFile:
    """One file the stand-in serves, and the faults it injects."""

    body: bytes
    advertised_sha256: str | None = None  # default: the body's hash
    advertised_size: int | None = None  # default: len(body)
    drop_after: int | None = None  # close the connection after this many body bytes...
    drops_left: int = 0  # ...this many times
    bytes_per_second: float | None = None
    redirect: bool = False  # release assets: answer 302 to a /cdn/ URL first, as GitHub does

    @property
    def etag(self) -> str:
        """The release host's ETag (an opaque tag that changes with the bytes)."""
        return '"' + hashlib.md5(self.body, usedforsecurity=False).hexdigest() + '"'

    @property
    def sha256(self) -> str:
        return self.advertised_sha256 or hashlib.sha256(self.body).hexdigest()


@dataclass
class LoggedRequest:
    method: str
    path: str
    range: str | None
    status: int
    sent: int = 0


@dataclass
class FakeHub:
    """The server; `url` is its base (use it as HSI_MODELS_MIRROR or HF_ENDPOINT)."""

    files: dict[str, HostedFile] = field(default_factory=dict)
    requests: list[LoggedRequest] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add_hf(self, repo: str, filename: str, body: bytes, **faults: Any) -> HostedFile:
        hosted = HostedFile(body, **faults)
        self.files[f"hf:{repo}/{filename}"] = hosted
        return hosted

    def add_release(self, repo: str, tag: str, filename: str, body: bytes, **faults: Any) -> HostedFile:
        hosted = HostedFile(body, **faults)
        self.files[f"gh:{repo}/{tag}/{filename}"] = hosted
        return hosted

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}" if isinstance(host, str) else f"http://127.0.0.1:{port}"

    def gets(self, suffix: str) -> list[LoggedRequest]:
        """The GET requests whose path ends with `suffix`."""
        with self._lock:
            return [r for r in self.requests if r.method == "GET" and r.path.endswith(suffix)]

    def start(self) -> FakeHub:
        hub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return None

            def do_HEAD(self) -> None:
                hub._serve(self, head=True)

            def do_GET(self) -> None:
                hub._serve(self, head=False)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def _lookup(self, path: str) -> tuple[str, HostedFile | None, bool]:
        hf = re.fullmatch(r"/(?P<repo>[^/]+/[^/]+)/resolve/(?P<rev>[^/]+)/(?P<file>.+)", path)
        if hf:
            key = f"hf:{hf['repo']}/{hf['file']}"
            return key, self.files.get(key), True
        gh = re.fullmatch(r"/(?P<repo>[^/]+/[^/]+)/releases/download/(?P<tag>[^/]+)/(?P<file>[^/]+)", path)
        if gh:
            key = f"gh:{gh['repo']}/{gh['tag']}/{gh['file']}"
            return key, self.files.get(key), False
        cdn = re.fullmatch(r"/cdn/(?P<key>.+)", path)
        if cdn:
            key = f"gh:{cdn['key']}"
            return key, self.files.get(key), False
        return "", None, False

    def _serve(self, h: BaseHTTPRequestHandler, *, head: bool) -> None:
        path = h.path.split("?", 1)[0]
        key, hosted, is_hf = self._lookup(path)
        entry = LoggedRequest("HEAD" if head else "GET", path, h.headers.get("Range"), 200)
        with self._lock:
            self.requests.append(entry)
        if hosted is not None and hosted.redirect and not is_hf and not path.startswith("/cdn/"):
            entry.status = 302
            h.send_response(302)
            h.send_header("Location", f"/cdn/{key.removeprefix('gh:')}")
            h.send_header("Content-Length", "0")
            h.end_headers()
            return
        if hosted is None:
            entry.status = 404
            h.send_response(404)
            if is_hf:
                h.send_header("X-Error-Code", "EntryNotFound")
                h.send_header("X-Error-Message", "Entry not found")
            h.send_header("Content-Length", "0")
            h.end_headers()
            return
        body = hosted.body
        start = 0
        match = re.fullmatch(r"bytes=(\d+)-", h.headers.get("Range") or "")
        if_range = h.headers.get("If-Range")
        if match and if_range is not None and not is_hf and if_range != hosted.etag:
            match = None  # the client's bytes are of another version: send the whole file
        if match and not head:
            start = int(match.group(1))
            if start >= len(body):
                entry.status = 416
                h.send_response(416)
                h.send_header("Content-Range", f"bytes */{len(body)}")
                h.send_header("Content-Length", "0")
                h.end_headers()
                return
        status = 206 if start else 200
        entry.status = status
        h.send_response(status)
        size = hosted.advertised_size if hosted.advertised_size is not None else len(body)
        if is_hf:
            h.send_header("X-Repo-Commit", COMMIT)
            h.send_header("ETag", f'"{hosted.sha256}"')
            h.send_header("X-Linked-Etag", f'"{hosted.sha256}"')
            h.send_header("X-Linked-Size", str(size))
        else:
            h.send_header("ETag", hosted.etag)
            h.send_header("Last-Modified", "Tue, 13 Jan 2026 10:00:00 GMT")
        h.send_header("Accept-Ranges", "bytes")
        h.send_header("Content-Type", "application/octet-stream")
        if start:
            h.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
        h.send_header("Content-Length", str(len(body) - start if not head else size))
        h.end_headers()
        if head:
            return
        chunk = body[start:]
        limit = len(chunk)
        with self._lock:
            drop = hosted.drops_left > 0 and hosted.drop_after is not None
            if drop:
                hosted.drops_left -= 1
                limit = max(0, min(limit, (hosted.drop_after or 0) - start))
        sent = 0
        step = 64 * 1024
        try:
            while sent < limit:
                piece = chunk[sent : min(limit, sent + step)]
                h.wfile.write(piece)
                h.wfile.flush()
                sent += len(piece)
                if hosted.bytes_per_second:
                    time.sleep(len(piece) / hosted.bytes_per_second)
        except (BrokenPipeError, ConnectionResetError):
            pass
        entry.sent = sent
        if sent < len(chunk):
            h.close_connection = True
            try:
                h.connection.shutdown(2)
            except OSError:
                pass
