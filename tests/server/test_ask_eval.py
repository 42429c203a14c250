"""The ask evaluation (tools/ask_eval.py) on the real PostgreSQL: 40 questions over a generated month."""

from __future__ import annotations

import asyncpg
import pytest

from tools.ask_eval import evaluate


async def test_ask_retrieval_finds_the_asked_event_in_the_top_five(
    pg_pool: asyncpg.Pool, capsys: pytest.CaptureFixture[str]
) -> None:
    report = await evaluate(pg_pool)
    with capsys.disabled():
        print(f"\nask evaluation: {report.to_json()}")
    assert report.questions == 40 and report.events > 150
    assert report.recall_at_5 >= 0.9
    assert report.time_parse_accuracy >= 0.9
    assert 0 < report.mrr <= 1
