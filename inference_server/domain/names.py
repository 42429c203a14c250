"""Camera slugs and text that crosses into prompts: names are data, never instructions."""

from __future__ import annotations

import re
import unicodedata

_SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


class InvalidName(ValueError):
    """A camera folder or file name that cannot be accepted."""


def camera_slug(folder: str) -> str:
    """Return the camera slug for a first-level upload folder, or raise InvalidName.

    Accepted: 1-64 characters of ASCII letters, digits, '_' and '-', starting with a letter or
    digit. Letters are lowered so `FrontDoor` and `frontdoor` are one camera.
    """
    slug = folder.lower()
    if not _SLUG_RE.fullmatch(slug):
        # Names that are not UTF-8 arrive with surrogate escapes; show their bytes as \xNN.
        shown = printable(folder)
        raise InvalidName(
            f"camera folder '{shown[:80]}' is not a safe name: use 1-64 letters, digits, '_' or '-'"
        )
    return slug


def display_name(slug: str) -> str:
    """A human name for a slug: `front_door` -> `Front Door`."""
    return " ".join(part.capitalize() for part in re.split(r"[_-]+", slug) if part)


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# Characters that would let a name break or disguise a log line: C0/C1 controls, line and
# paragraph separators, bidirectional overrides, and lone surrogates (bytes that are not UTF-8).
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if 0xDC80 <= code <= 0xDCFF:  # surrogateescape of a byte that is not UTF-8
        return f"\\x{code - 0xDC00:02x}"
    if code <= 0xFF:
        return {0x09: "\\t", 0x0A: "\\n", 0x0D: "\\r"}.get(code, f"\\x{code:02x}")
    return f"\\u{code:04x}"


def printable(text: str | bytes) -> str:
    """Untrusted text (a file name, a path) as one line of valid UTF-8 for logs and storage.

    Bytes that are not UTF-8 (surrogate-escaped in `os.fsdecode` names) become `\\xNN`, control
    characters `\\n`, `\\t`, `\\xNN`, and line separators or bidi overrides `\\uNNNN`.
    """
    if isinstance(text, bytes):
        text = text.decode("utf-8", "surrogateescape")
    return _UNPRINTABLE.sub(_escape, text)


_PROMPT_NOISE = re.compile(r"[`<>{}\[\]\\\"]")


def sanitize_for_prompt(text: str, max_length: int = 64) -> str:
    """Reduce untrusted text (camera, zone and file names) to inert data for an LLM prompt.

    Control characters, markup and quote characters are removed, Unicode is normalized,
    whitespace is collapsed and the result is truncated. The caller still places the value in a
    quoted data field, never in the instruction text.
    """
    text = unicodedata.normalize("NFKC", text)
    text = _CONTROL.sub(" ", text)
    text = _PROMPT_NOISE.sub("", text)
    text = " ".join(text.split())
    return text[:max_length]
