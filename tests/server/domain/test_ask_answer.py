"""Validation of LLM-written answers: only retrieved events may be cited."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from inference_server.domain.ask_answer import (
    InvalidAnswer,
    Source,
    answer_gbnf,
    build_answer_messages,
    validate,
)

A = "11111111-2222-3333-4444-555555555555"
B = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
SOURCES = [
    Source(A, datetime(2026, 11, 30, 22, 14, tzinfo=UTC), "Driveway", "medium", 58, "Unknown van idles."),
    Source(B, datetime(2026, 11, 29, 3, 2, tzinfo=UTC), "Street", "low", 20, "Car stops."),
]


def test_references_are_rewritten_to_event_ids_and_full_ids_are_accepted() -> None:
    answer, cited = validate("A van idled [E1]. A car stopped too [E2][e1].", SOURCES)
    assert answer == f"A van idled [{A}]. A car stopped too [{B}][{A}]."
    assert cited == [A, B]
    assert validate(f"The van [{A.upper()}].", SOURCES)[1] == [A]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        ("Nothing happened.", "cites no event"),
        ("A van [E3].", r"\[E3\]"),
        ("A van [E1] and [99999999-2222-3333-4444-555555555555].", "not among the retrieved"),
        ("A van [E1], like 99999999-2222-3333-4444-555555555555.", "was not retrieved"),
        ("A van [E1].\x07", "control"),
        ("word " * 300 + "[E1]", "characters long"),
    ],
)
def test_invalid_answers_are_refused_with_the_reason(text: str, reason: str) -> None:
    with pytest.raises(InvalidAnswer, match=reason):
        validate(text, SOURCES)


def test_the_prompt_lists_the_events_as_references_and_the_grammar_allows_only_them() -> None:
    messages = build_answer_messages("any vans?", SOURCES)
    assert "[E1] Mon 30 Nov 22:14, Driveway, medium (58): Unknown van idles." in messages[1]["content"]
    grammar = answer_gbnf(["E1", "E2"])
    assert 'ref ::= "[E1]" | "[E2]"' in grammar
    with pytest.raises(ValueError):
        answer_gbnf([])
