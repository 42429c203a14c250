"""One log formatter for the whole server: no line can be forged, no credential is written.

Untrusted text reaches log messages (file names from cameras, FTP user names, URLs from
settings). The formatter escapes control characters in the message, so a file named
`a\\nlevel=ERROR ...` cannot start a second log line, and it scrubs passwords in URLs
(`redis://:secret@host` -> `redis://:***@host`) and the secret part of API keys.
"""

from __future__ import annotations

import logging
import re

from inference_server.domain.names import printable

_URL_PASSWORD = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<user>[^:/@\s]*):(?P<pw>[^@\s/]+)@")
_API_KEY = re.compile(r"\b(hsi_[0-9a-f]{12}_)[A-Za-z0-9_-]{8,}")


def scrub(text: str) -> str:
    """Text with control characters escaped and credentials replaced by ***."""
    text = _URL_PASSWORD.sub(lambda m: f"{m['scheme']}{m['user']}:***@", printable(text))
    return _API_KEY.sub(r"\1***", text)


class SafeFormatter(logging.Formatter):
    """A `logging.Formatter` whose message part is always one line without secrets."""

    def format(self, record: logging.LogRecord) -> str:
        """Format with the message scrubbed (tracebacks keep their lines; their text is ours)."""
        safe = logging.makeLogRecord(record.__dict__)
        safe.msg = scrub(record.getMessage())
        safe.args = None
        return super().format(safe)


def install(level: int, fmt: str) -> None:
    """Configure the root logger to write through `SafeFormatter` (idempotent)."""
    root = logging.getLogger()
    if not root.handlers:
        root.addHandler(logging.StreamHandler())
    for handler in root.handlers:
        handler.setFormatter(SafeFormatter(fmt))
    root.setLevel(level)
