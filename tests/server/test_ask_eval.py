"""The ask evaluation (tools/ask_eval.py) on the real PostgreSQL: 40 questions over a generated month."""

from __future__ import annotations

import asyncpg
import pytest

from inference_server.ml.text_embedder import MiniLMEmbedder
from tests.server.ask.conftest import minilm
from tools.ask_eval import evaluate

__all__ = ["minilm"]


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


async def test_ask_retrieval_with_minilm_embeddings_does_better(
    pg_pool: asyncpg.Pool, minilm: MiniLMEmbedder, capsys: pytest.CaptureFixture[str]
) -> None:
    report = await evaluate(pg_pool, minilm)
    with capsys.disabled():
        print(f"\nask evaluation with embeddings: {report.to_json()}")
    assert report.retrieval == "lexical+semantic (all-MiniLM-L6-v2, exact)"
    assert report.recall_at_5 >= 0.95  # 0.925 without the embeddings
    assert report.mrr >= 0.85  # 0.785 without
