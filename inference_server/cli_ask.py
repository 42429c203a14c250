"""`hsi ask "QUESTION"` and `hsi ask --digest day|week`: ask the history from a terminal.

Talks to PostgreSQL directly (like `hsi status`): the same parsing, retrieval (with the MiniLM
embeddings when installed, searching what the server has indexed) and extractive answer as
`POST /api/ask`; `--digest` prints the digest of `GET /api/ask/digest`.
"""

from __future__ import annotations

import argparse
import json
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from inference_server.settings import Settings


def add_parser(sub: Any) -> None:
    """Register `ask` on the top-level sub-parsers."""
    p = sub.add_parser("ask", help="ask the event history a question, or print a daily/weekly digest")
    p.add_argument("question", nargs="?", help='e.g. "any unknown vans in the driveway this week?"')
    p.add_argument("--digest", choices=("day", "week"), help="print the digest of a day or week instead")
    p.add_argument("--date", type=date.fromisoformat, help="the (last) local day of the digest, YYYY-MM-DD")
    p.add_argument("--limit", type=int, default=5, help="events to cite (1-20, default 5)")
    p.add_argument("--json", action="store_true", help="print JSON")


async def ask_command(args: argparse.Namespace, settings: Settings) -> int:
    """Answer one question or print a digest."""
    from inference_server.store.db import create_pool

    if not args.digest and not args.question:
        print('hsi: give a question (hsi ask "anything at the front door last night?") or --digest day')
        return 2
    if not 1 <= args.limit <= 20:
        print("hsi: --limit must be between 1 and 20")
        return 2
    tz = ZoneInfo(settings.timezone)
    pool = await create_pool(settings.database.url, max_size=2)
    try:
        if args.digest:
            from inference_server.store.digest import event_digest, render_digest

            result = await event_digest(pool, tz, args.digest, args.date or datetime.now(tz).date())
            print(json.dumps(result, indent=2) if args.json else render_digest(result))
            return 0
        return await _answer(pool, settings, tz, args)
    finally:
        await pool.close()


async def _answer(pool: Any, settings: Settings, tz: ZoneInfo, args: argparse.Namespace) -> int:
    from inference_server.api.ask import extractive_answer, understood
    from inference_server.domain.ask import parse_question, question_for_embedding
    from inference_server.ml.protocols import ModelUnavailable
    from inference_server.store import ask as store

    cameras, zones = await store.names(pool)
    parsed = parse_question(args.question, datetime.now(tz), cameras, zones)
    index = vector = None
    if settings.ask.embedder != "none":
        from inference_server.ml.text_embedder import MiniLMEmbedder
        from inference_server.store.ask_index import AskIndex

        try:
            embedder = MiniLMEmbedder(settings.ask.embedder_dir)
        except ModelUnavailable:
            embedder = None
        if embedder is not None:
            vector_search = {"auto": None, "pgvector": True, "exact": False}[settings.ask.vector_search]
            index = await AskIndex.open(pool, embedder, tz=tz, vector_search=vector_search)
            vector = embedder.embed([question_for_embedding(args.question, parsed)])[0]
    hits = await store.retrieve(
        pool, parsed, limit=args.limit, tz=settings.timezone, index=index, question_vector=vector
    )
    if args.json:
        print(
            json.dumps(
                {
                    "answer": extractive_answer(hits, tz),
                    "citations": [
                        {"id": h.event.id, "score": h.score, "summary": h.event.summary} for h in hits
                    ],
                    "understood": understood(parsed),
                    "semantic": index is not None,
                },
                indent=2,
            )
        )
    else:
        print(extractive_answer(hits, tz))
    return 0
