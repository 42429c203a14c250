"""The LLM's rewording of a question the deterministic parser found no filter in.

`parse_question` understands time phrases, camera and zone names, object words, known/unknown and
risk words. When it finds none of them ("did the mail carrier come by?"), and an LLM is
configured, the LLM is asked to restate the question in exactly that vocabulary ("Was a person at
the front door?"), under a grammar of short plain sentences. The rewording is only ever parsed
again by `parse_question`: the LLM can add filters the parser recognises, never a filter of its
own, and `merge` keeps everything the original question said (its words still drive the text and
vector search). A rewording that is malformed, or that adds no filter, is refused with the reason.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace
from typing import Final

from inference_server.domain.ask import ParsedQuestion

MAX_REWRITE_CHARS: Final = 300
_CONTROL: Final = re.compile(r"[\x00-\x1f\x7f]")
TIME_PHRASES: Final = (
    "today", "yesterday", "tonight", "last night", "this morning", "this afternoon", "this evening",
    "this week", "last week", "this month", "in the last N hours", "in the last N days",
    "since Monday", "since Monday 20:00", "on Tuesday", "between 2 and 4",
)  # fmt: skip


class InvalidRewrite(ValueError):
    """The LLM's rewording cannot be used (the message says why)."""


def needs_rewrite(parsed: ParsedQuestion) -> bool:
    """True when the parser found no filter at all: no time, camera, zone, object, known or level."""
    return not (
        parsed.since
        or parsed.until
        or parsed.cameras
        or parsed.zones
        or parsed.categories
        or parsed.known is not None
        or parsed.min_level
        or parsed.night
    )


def build_rewrite_messages(
    question: str, cameras: Iterable[str], zones: Iterable[str]
) -> list[dict[str, str]]:
    """The chat messages asking for the question restated in the parser's vocabulary."""
    system = (
        "You restate a resident's question about their home security camera history as one short "
        "plain question in English, using only these words where they apply: "
        f"cameras: {', '.join(sorted(set(cameras))) or 'none'}; "
        f"zones: {', '.join(sorted(set(zones))) or 'none'}; "
        "objects: person, vehicle, animal, package; known, unknown; suspicious, alarming, critical; "
        f"times: {', '.join(TIME_PHRASES)}. "
        "Keep the meaning; do not add a camera, zone, time or object the question does not imply. "
        "Answer with the question only."
    )
    return [{"role": "system", "content": system}, {"role": "user", "content": question.strip()}]


def rewrite_gbnf() -> str:
    """A llama.cpp grammar: one question of 1-25 plain words (printable ASCII, no brackets or quotes).

    25 words of at most 11 characters, 24 spaces and the mark are MAX_REWRITE_CHARS (300).
    """
    return 'root ::= word (" " word){0,24} "?"\nword ::= [A-Za-z0-9,:\'-]{1,11}\n'


def validate_rewrite(text: str) -> str:
    """The rewording, stripped; raises InvalidRewrite when empty, too long or with control characters."""
    rewritten = text.strip()
    if not rewritten:
        raise InvalidRewrite("the rewording is empty")
    if len(rewritten) > MAX_REWRITE_CHARS:
        raise InvalidRewrite(
            f"the rewording is {len(rewritten)} characters long (at most {MAX_REWRITE_CHARS})"
        )
    if _CONTROL.search(rewritten):
        raise InvalidRewrite("the rewording holds control characters")
    return rewritten


def merge(original: ParsedQuestion, reworded: ParsedQuestion) -> ParsedQuestion:
    """The original parse with the blanks the rewording's parse fills; raises when it fills none.

    The search words stay the original question's (the LLM's words are not the resident's).
    """
    if needs_rewrite(reworded):
        raise InvalidRewrite("the rewording names no time, camera, zone, object, known/unknown or risk word")
    return replace(
        original,
        since=original.since or reworded.since,
        until=original.until or reworded.until,
        time_phrase=original.time_phrase or reworded.time_phrase,
        cameras=original.cameras or reworded.cameras,
        zones=original.zones or reworded.zones,
        categories=original.categories or reworded.categories,
        known=original.known if original.known is not None else reworded.known,
        min_level=original.min_level or reworded.min_level,
        night=original.night or reworded.night,
    )
