"""Turning an LLM's answer into a RiskAssessment: strict, so a bad answer is never half-trusted.

The model is asked for exactly one JSON object
`{"risk_score": <int 0-100>, "summary": "...", "reasoning": "..."}`. Anything else (prose
around it, extra keys, a float or boolean score, control characters, empty or over-long text)
raises InvalidAssessment with the reason, and the caller falls back to the heuristic scorer.
"""

from __future__ import annotations

import json
import re
from typing import Any, Final

from inference_server.domain.risk import RiskAssessment

SUMMARY_MAX_CHARS: Final = 300
REASONING_MAX_CHARS: Final = 1500
# Far above any valid answer (3 keys, 1,800 characters of text, escapes); bounds the parse work.
_MAX_ANSWER_CHARS: Final = 16_000

ASSESSMENT_KEYS: Final = ("risk_score", "summary", "reasoning")

# For servers that accept `response_format: {"type": "json_schema", ...}` (OpenAI, vLLM,
# llama.cpp's own server). Not every server enforces every keyword, hence parse_assessment.
ASSESSMENT_SCHEMA: Final[dict[str, Any]] = {
    "type": "object",
    "properties": {
        "risk_score": {"type": "integer", "minimum": 0, "maximum": 100},
        "summary": {"type": "string", "minLength": 1, "maxLength": SUMMARY_MAX_CHARS},
        "reasoning": {"type": "string", "minLength": 1, "maxLength": REASONING_MAX_CHARS},
    },
    "required": list(ASSESSMENT_KEYS),
    "additionalProperties": False,
}

_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# The reasoning may run over a few lines; the summary is one line.
_CONTROL_CHARS_BUT_LINES = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


class InvalidAssessment(ValueError):
    """An LLM answer that is not a valid assessment; the message says why."""


def parse_assessment(text: str, assessed_by: str) -> RiskAssessment:
    """Parse and validate one LLM answer, raising InvalidAssessment with the reason.

    The answer must be exactly one JSON object with the keys risk_score (an integer 0..100,
    not a boolean or float), summary (1-300 characters, no control characters) and reasoning
    (1-1500 characters, line breaks and tabs allowed). Surrounding whitespace of the answer and
    of both texts is trimmed before the length checks.
    """
    text = text.strip()
    if not text:
        raise InvalidAssessment("the answer is empty")
    if len(text) > _MAX_ANSWER_CHARS:
        raise InvalidAssessment(f"the answer is {len(text)} characters long, far above a valid assessment")
    try:
        data = json.loads(text, object_pairs_hook=_no_duplicate_keys, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise InvalidAssessment(
            f"the answer is not one JSON object: {exc.msg} at character {exc.pos}"
        ) from exc
    except InvalidAssessment:
        raise
    except (ValueError, RecursionError) as exc:  # e.g. an integer of thousands of digits, deep nesting
        raise InvalidAssessment(f"the answer is not usable JSON: {str(exc)[:120]}") from exc
    if not isinstance(data, dict):
        raise InvalidAssessment(f"the answer must be a JSON object, got a JSON {_json_type(data)}")

    missing = [key for key in ASSESSMENT_KEYS if key not in data]
    if missing:
        raise InvalidAssessment(f"the answer lacks the key(s) {', '.join(missing)}")
    extra = sorted(set(data) - set(ASSESSMENT_KEYS))
    if extra:
        shown = ", ".join(repr(key[:40]) for key in extra[:5])
        raise InvalidAssessment(f"the answer has unexpected key(s) {shown}")

    score = data["risk_score"]
    if isinstance(score, bool) or not isinstance(score, int):
        raise InvalidAssessment(f"risk_score must be an integer 0..100, got a JSON {_json_type(score)}")
    if not 0 <= score <= 100:
        raise InvalidAssessment(f"risk_score must be within 0..100, got {score}")

    summary = _text(data["summary"], "summary", SUMMARY_MAX_CHARS, _CONTROL_CHARS)
    reasoning = _text(data["reasoning"], "reasoning", REASONING_MAX_CHARS, _CONTROL_CHARS_BUT_LINES)
    return RiskAssessment(risk_score=score, summary=summary, reasoning=reasoning, assessed_by=assessed_by)


def _text(value: Any, key: str, max_chars: int, forbidden: re.Pattern[str]) -> str:
    if not isinstance(value, str):
        raise InvalidAssessment(f"{key} must be a string, got a JSON {_json_type(value)}")
    text: str = value.strip()
    if not text:
        raise InvalidAssessment(f"{key} is empty")
    if len(text) > max_chars:
        raise InvalidAssessment(f"{key} is {len(text)} characters long, the limit is {max_chars}")
    bad = forbidden.search(text)
    if bad:
        raise InvalidAssessment(f"{key} holds the control character U+{ord(bad.group()):04X}")
    return text


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise InvalidAssessment(f"the answer repeats the key {key[:40]!r}")
        result[key] = value
    return result


def _reject_constant(name: str) -> Any:
    raise InvalidAssessment(f"the answer holds {name}, which is not valid JSON")


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number with a fraction"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"
