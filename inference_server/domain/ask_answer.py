"""Answers to history questions written by the LLM, and the check that they cite only what was found.

The LLM sees the question and the retrieved events as numbered references ([E1], [E2], ...: short
for a small model to copy) with their local times, cameras, levels and summaries, and is told to
answer in at most three short sentences, each ending with the references it rests on. `validate`
accepts an answer only when it is non-empty text of bounded length, cites at least one
reference, and every reference it cites ([E<n>] or a full event id) is one of the retrieved
events; references are then rewritten to the event ids ("[3f0c…]"). Anything else is refused
with the reason, and the caller falls back to the extractive answer: an answer never names an
event that was not retrieved.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final

MAX_ANSWER_CHARS: Final = 1200
_REF: Final = re.compile(r"\[([^\[\]]{1,80})\]")
_UUID: Final = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", re.IGNORECASE)
_CONTROL: Final = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


class InvalidAnswer(ValueError):
    """The LLM's answer cannot be shown (the message says why)."""


@dataclass(frozen=True, slots=True)
class Source:
    """One retrieved event as the LLM sees it."""

    event_id: str
    started_at: datetime  # in the home's time zone
    camera: str
    risk_level: str
    risk_score: int
    summary: str


def references(sources: Sequence[Source]) -> dict[str, str]:
    """Reference label ("E1") -> event id, in retrieval order."""
    return {f"E{i}": s.event_id for i, s in enumerate(sources, start=1)}


def build_answer_messages(question: str, sources: Sequence[Source]) -> list[dict[str, str]]:
    """The chat messages asking for a short, cited answer."""
    lines = [
        f"[E{i}] {s.started_at.strftime('%a %d %b %H:%M')}, {s.camera}, {s.risk_level} ({s.risk_score}): {s.summary}"
        for i, s in enumerate(sources, start=1)
    ]
    system = (
        "You answer a resident's question about their home security camera history. Use only the "
        "events listed. Answer in at most three short sentences. End every sentence with the "
        "references of the events it is based on, like [E1] or [E1][E3]. Never cite a reference "
        "that is not listed. If the events do not answer the question, say so and cite the closest."
    )
    user = "Events:\n" + "\n".join(lines) + f"\n\nQuestion: {question.strip()}\nAnswer:"
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


def answer_gbnf(labels: Sequence[str]) -> str:
    """A llama.cpp grammar for the answer: 1-3 plain sentences, each ending with listed references.

    Characters are printable ASCII without brackets or quotes (no control characters: see
    ENVIRONMENT.md on llama.cpp's own JSON grammar); references are exactly the listed labels.
    At most 3 x (20 words of 12 characters + references) stays under MAX_ANSWER_CHARS.
    """
    if not labels:
        raise ValueError("an answer grammar needs at least one reference")
    refs = " | ".join(f'"[{label}]"' for label in labels)
    return (
        'root ::= sentence (" " sentence)? (" " sentence)?\n'
        'sentence ::= word (" " word){0,19} " " ref ref? "."\n'
        "word ::= [A-Za-z0-9,:;'-]{1,12}\n"
        f"ref ::= {refs}\n"
    )


def validate(text: str, sources: Sequence[Source]) -> tuple[str, list[str]]:
    """(the answer with references rewritten to event ids, the cited event ids in order).

    Raises InvalidAnswer when the answer is empty, too long, has control characters, cites
    nothing, or cites anything that was not retrieved.
    """
    answer = text.strip()
    if not answer:
        raise InvalidAnswer("the answer is empty")
    if len(answer) > MAX_ANSWER_CHARS:
        raise InvalidAnswer(f"the answer is {len(answer)} characters long (at most {MAX_ANSWER_CHARS})")
    if _CONTROL.search(answer):
        raise InvalidAnswer("the answer holds control characters")
    refs = references(sources)
    retrieved = {s.event_id.lower(): s.event_id for s in sources}
    cited: list[str] = []

    def resolve(match: re.Match[str]) -> str:
        inner = match.group(1).strip()
        event_id = refs.get(inner.upper()) or retrieved.get(inner.lower())
        if event_id is None:
            raise InvalidAnswer(f"the answer cites [{inner}], which is not among the retrieved events")
        if event_id not in cited:
            cited.append(event_id)
        return f"[{event_id}]"

    rewritten = _REF.sub(resolve, answer)
    for stray in _UUID.findall(_REF.sub(" ", answer)):
        if stray.lower() not in retrieved:
            raise InvalidAnswer(f"the answer names event {stray}, which was not retrieved")
    if not cited:
        raise InvalidAnswer("the answer cites no event")
    return rewritten, cited
