"""A GBNF grammar that makes llama.cpp emit only valid assessments.

llama-cpp-python's own JSON-schema grammar is not enough (see ENVIRONMENT.md): its string rule
admits raw control characters and it ignores integer minimum/maximum. This grammar is written
by hand so that every complete output parses with `parse_assessment`:

- one object with exactly the keys risk_score, summary, reasoning, in that order;
- risk_score an integer 0..100 spelled without sign, fraction or leading zero;
- strings of bounded length (counted in decoded characters, an escape counts as one) whose
  first character is not whitespace (so trimming never empties them), with no control
  characters, no raw quote or backslash, and only the escapes that decode to allowed text
  (`\\"`, `\\\\`, `\\/`; the reasoning may also hold `\\n` and `\\t`);
- at most one space or one line break plus a short indent between tokens, so a small model
  cannot burn its token budget on whitespace.

`vision_gbnf` extends the same rules to the vision step's answer (domain/vision.py): the three
risk keys, then `description` (a one-line string of at most DESCRIPTION_MAX_CHARS) and
`attributes` (at most MAX_ATTRIBUTES values, each one of VISION_ATTRIBUTES), so that every
complete output parses with `parse_vision_answer`.

It relies on the `{m,n}` repetition of llama.cpp's grammar parser (present in the llama.cpp
vendored by llama-cpp-python 0.3.36; its limit is 2,000 repetitions).
"""

from __future__ import annotations

from functools import cache

from inference_server.domain.assessment import REASONING_MAX_CHARS, SUMMARY_MAX_CHARS
from inference_server.domain.vision import DESCRIPTION_MAX_CHARS, MAX_ATTRIBUTES, VISION_ATTRIBUTES

# Characters a string may start with: printable, not whitespace (Python's str.isspace()),
# not a quote or backslash. Unicode whitespace above U+00A0 is cut out of the range.
_LEAD_CLASS = (
    r"[!#-\[\]-~"
    r"\u00A1-\u167F\u1681-\u1FFF\u200B-\u2027\u202A-\u202E\u2030-\u205E\u2060-\u2FFF"
    r"\u3001-\U0010FFFF]"
)


_RISK_KEYS = (
    '"{" ws "\\"risk_score\\"" ws ":" ws score ws "," ws "\\"summary\\"" ws ":" ws summary'
    ' ws "," ws "\\"reasoning\\"" ws ":" ws reasoning'
)


def _shared_rules(summary_max_chars: int, reasoning_max_chars: int) -> tuple[str, ...]:
    if not 1 <= summary_max_chars <= 2000 or not 1 <= reasoning_max_chars <= 2000:
        raise ValueError("llama.cpp allows at most 2000 repetitions in a grammar")
    return (
        'score ::= "100" | [1-9] [0-9]? | "0"',
        f'summary ::= "\\"" lead char{{0,{summary_max_chars - 1}}} "\\""',
        f'reasoning ::= "\\"" lead rchar{{0,{reasoning_max_chars - 1}}} "\\""',
        f'lead ::= {_LEAD_CLASS} | "\\\\" ["\\\\/]',
        'char ::= [^"\\\\\\x00-\\x1F\\x7F-\\x9F] | "\\\\" ["\\\\/]',
        'rchar ::= char | "\\\\" [nt]',
        'ws ::= ("\\n" [ ]{0,4} | " ")?',
    )


@cache
def assessment_gbnf(
    summary_max_chars: int = SUMMARY_MAX_CHARS, reasoning_max_chars: int = REASONING_MAX_CHARS
) -> str:
    """The GBNF grammar (llama.cpp syntax) of one assessment answer.

    The defaults match parse_assessment; smaller limits are only for experiments.
    """
    rules = _shared_rules(summary_max_chars, reasoning_max_chars)
    return "\n".join((f'root ::= {_RISK_KEYS} ws "}}"', *rules, ""))


@cache
def vision_gbnf(
    summary_max_chars: int = SUMMARY_MAX_CHARS, reasoning_max_chars: int = REASONING_MAX_CHARS
) -> str:
    """The GBNF grammar of one vision answer: the assessment's keys, description and attributes.

    The defaults match parse_vision_answer; smaller limits are only for experiments.
    """
    rules = _shared_rules(summary_max_chars, reasoning_max_chars)
    names = " | ".join(f'"\\"{name}\\""' for name in VISION_ATTRIBUTES)
    return "\n".join(
        (
            f'root ::= {_RISK_KEYS} ws "," ws "\\"description\\"" ws ":" ws description'
            ' ws "," ws "\\"attributes\\"" ws ":" ws attributes ws "}"',
            *rules,
            f'description ::= "\\"" lead char{{0,{DESCRIPTION_MAX_CHARS - 1}}} "\\""',
            f'attributes ::= "[" ws ( attribute ( ws "," ws attribute ){{0,{MAX_ATTRIBUTES - 1}}} )? ws "]"',
            f"attribute ::= {names}",
            "",
        )
    )
