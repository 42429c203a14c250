"""One place that keeps credentials out of logs and messages, and forged lines out of logs.

`RedactingFilter` sits on every handler of the root logger (`install`, called by the `hsi`
command), so no log line carries a URL password (`redis://:pw@host`, `postgresql://u:pw@h`,
`mqtts://u:pw@broker`), an `api_key=` / `token=` / `secret=` / `password=` value, an
`X-API-Key` header or the secret part of an API key (`hsi_<id>_<secret>`), whatever code wrote
it. It also escapes control characters in the message: untrusted text reaches log messages (file
names from cameras, FTP user names), and a file named `a\\nlevel=ERROR ...` must not start a
second log line. `redact_url` and `redact` serve the few places that put a URL into something
other than a log line (an error message, a stored delivery record).
"""

from __future__ import annotations

import logging
import re
from typing import Final
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from inference_server.domain.names import printable

MASK: Final = "***"

# scheme://user:password@ -> scheme://user:***@  (also scheme://:password@)
_URL_PASSWORD: Final = re.compile(r"(?P<head>\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s:/@]*:)[^\s@/]+@")
_SECRET_WORDS: Final = r"api[_-]?key|apikey|access[_-]?token|token|secret|password|passwd|pwd"  # noqa: S105
# key=value in query strings and key=value log fields
_SECRET_PARAM: Final = re.compile(rf"(?P<head>\b(?:{_SECRET_WORDS})=)[^&\s,;]+", re.IGNORECASE)
# "X-API-Key: value", "Authorization: Bearer value"
_SECRET_HEADER: Final = re.compile(
    r"(?P<head>\b(?:x-api-key|authorization)[\"']?\s*[:=]\s*[\"']?(?:bearer\s+|basic\s+)?)[^\s\"',;]+",
    re.IGNORECASE,
)
_SECRET_KEY: Final = re.compile(rf"^(?:{_SECRET_WORDS})$", re.IGNORECASE)
# An API key as `hsi apikey create` prints it: the id stays readable, the secret does not.
_API_KEY: Final = re.compile(r"\b(?P<head>hsi_[0-9a-f]{12}_)[A-Za-z0-9_-]{8,}")


def redact(text: str) -> str:
    """`text` with every URL password, secret parameter and key header replaced by ***."""
    text = _URL_PASSWORD.sub(rf"\g<head>{MASK}@", text)
    text = _SECRET_PARAM.sub(rf"\g<head>{MASK}", text)
    text = _SECRET_HEADER.sub(rf"\g<head>{MASK}", text)
    return _API_KEY.sub(rf"\g<head>{MASK}", text)


def redact_url(url: str, *, drop_query: bool = False) -> str:
    """The URL without its password and secret query values (or without any query at all).

    `drop_query` is for URLs chosen by users (webhooks), whose tokens may sit under any name.
    """
    parts = urlsplit(url)
    netloc = parts.netloc
    if parts.password:
        netloc = netloc.replace(f":{parts.password}@", f":{MASK}@")
    if drop_query:
        return urlunsplit(parts._replace(netloc=netloc, query="", fragment=""))
    query = urlencode(
        [(k, MASK if _SECRET_KEY.match(k) else v) for k, v in parse_qsl(parts.query, keep_blank_values=True)],
        safe="*",
    )
    return urlunsplit(parts._replace(netloc=netloc, query=query if parts.query else ""))


class RedactingFilter(logging.Filter):
    """Rewrites a record's message (one line, redacted) and exception text (redacted; tracebacks
    keep their lines, their text is ours); never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact in place and keep the record."""
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: leave it to the handler to report
            return True
        cleaned = printable(redact(message))
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


def install(level: int, fmt: str) -> None:
    """Configure the root logger: a handler on stderr (unless one exists), `fmt`, `level`, and the
    `RedactingFilter` on every handler (idempotent)."""
    root = logging.getLogger()
    if not root.handlers:
        root.addHandler(logging.StreamHandler())
    for handler in root.handlers:
        handler.setFormatter(logging.Formatter(fmt))
    root.setLevel(level)
    install_redaction(root)


def install_redaction(logger: logging.Logger | None = None) -> None:
    """Put one RedactingFilter on every handler of `logger` (the root logger by default)."""
    target = logger or logging.getLogger()
    for handler in target.handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
