"""The LLM's rewording of a question: when it is asked for, what is accepted, what it may add."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from inference_server.domain.ask import parse_question
from inference_server.domain.ask_rewrite import (
    MAX_REWRITE_CHARS,
    InvalidRewrite,
    build_rewrite_messages,
    merge,
    needs_rewrite,
    rewrite_gbnf,
    validate_rewrite,
)

NOW = datetime(2026, 11, 30, 10, 0, tzinfo=ZoneInfo("Europe/Berlin"))
CAMERAS = {"front door": "front_door", "front_door": "front_door", "driveway": "driveway"}


def test_only_a_question_without_any_filter_is_reworded() -> None:
    assert needs_rewrite(parse_question("did the mail carrier come by?", NOW, CAMERAS))
    for understood in (
        "anything yesterday?",
        "anything at the driveway?",
        "any vans?",
        "any strangers?",
        "anything suspicious?",
        "anything at night?",
    ):
        assert not needs_rewrite(parse_question(understood, NOW, CAMERAS)), understood


def test_the_rewording_fills_only_the_blanks_and_keeps_the_residents_words() -> None:
    original = parse_question("did the mail carrier come by?", NOW, CAMERAS)
    reworded = parse_question("Was a person at the front door yesterday?", NOW, CAMERAS)
    merged = merge(original, reworded)
    assert merged.cameras == ("front_door",) and merged.categories == ("person",)
    assert merged.since == reworded.since and merged.until == reworded.until and merged.since is not None
    assert merged.terms == original.terms and "mail" in merged.terms
    # What the original said wins over the rewording.
    at_driveway = parse_question("the mail carrier at the driveway?", NOW, CAMERAS)
    assert merge(at_driveway, reworded).cameras == ("driveway",)


def test_a_rewording_without_a_filter_or_malformed_is_refused() -> None:
    original = parse_question("did the mail carrier come by?", NOW, CAMERAS)
    with pytest.raises(InvalidRewrite, match="names no time"):
        merge(original, parse_question("Did the postman come?", NOW, CAMERAS))
    for bad, why in (
        ("  ", "empty"),
        ("x" * (MAX_REWRITE_CHARS + 1), "characters long"),
        ("Was a person\x1b[2J at the door?", "control characters"),
    ):
        with pytest.raises(InvalidRewrite, match=why):
            validate_rewrite(bad)
    assert validate_rewrite(" Any person today? \n") == "Any person today?"


def test_the_prompt_names_the_homes_cameras_and_zones_and_the_grammar_is_bounded() -> None:
    messages = build_rewrite_messages(
        "did the mail carrier come by?", ["front door", "driveway"], {"porch": "porch"}
    )
    assert "front door" in messages[0]["content"] and "porch" in messages[0]["content"]
    assert messages[1] == {"role": "user", "content": "did the mail carrier come by?"}
    # The longest text the grammar admits passes the length check.
    grammar = rewrite_gbnf()
    more = re.search(r"\{0,(\d+)\}", grammar)
    chars = re.search(r"\{1,(\d+)\}", grammar)
    assert more and chars
    words = int(more.group(1)) + 1
    assert words * int(chars.group(1)) + (words - 1) + 1 <= MAX_REWRITE_CHARS
