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
        shown = folder.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
        raise InvalidName(
            f"camera folder '{shown[:80]}' is not a safe name: use 1-64 letters, digits, '_' or '-'"
        )
    return slug


def display_name(slug: str) -> str:
    """A human name for a slug: `front_door` -> `Front Door`."""
    return " ".join(part.capitalize() for part in re.split(r"[_-]+", slug) if part)


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
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
