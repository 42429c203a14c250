"""Audit log (PostgreSQL): who did what, from where, to what, and how it ended."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

from inference_server.store.db import Executor

_MAX_TEXT = 512


def _clip(value: str) -> str:
    # Addresses and targets come from requests: keep rows small and free of NULs.
    return value.replace("\x00", "\\0")[:_MAX_TEXT]


async def record(
    conn: Executor,
    *,
    actor: str,
    action: str,
    outcome: str,
    address: str = "",
    target: str = "",
    detail: dict[str, Any] | None = None,
) -> int:
    """Append one audit row; returns its id."""
    row_id: int = await conn.fetchval(
        "INSERT INTO audit_log (actor, address, action, target, outcome, detail)"
        " VALUES ($1, $2, $3, $4, $5, $6::jsonb) RETURNING id",
        _clip(actor),
        _clip(address),
        _clip(action),
        _clip(target),
        _clip(outcome),
        detail or {},
    )
    return row_id


def _row(row: asyncpg.Record) -> dict[str, Any]:
    return {
        "id": row["id"],
        "at": row["at"],
        "actor": row["actor"],
        "address": row["address"],
        "action": row["action"],
        "target": row["target"],
        "outcome": row["outcome"],
        "detail": dict(row["detail"]),
    }


async def list_entries(
    pool: asyncpg.Pool,
    *,
    limit: int = 50,
    before_id: int | None = None,
    action: str | None = None,
    actor: str | None = None,
    outcome: str | None = None,
    since: datetime | None = None,
) -> list[dict[str, Any]]:
    """Newest entries first, keyset-paginated by id, optionally filtered."""
    rows = await pool.fetch(
        """
        SELECT * FROM audit_log
        WHERE ($1::bigint IS NULL OR id < $1)
          AND ($2::text IS NULL OR starts_with(action, $2))
          AND ($3::text IS NULL OR actor = $3)
          AND ($4::text IS NULL OR outcome = $4)
          AND ($5::timestamptz IS NULL OR at >= $5)
        ORDER BY id DESC LIMIT $6
        """,
        before_id,
        action,
        actor,
        outcome,
        since,
        limit,
    )
    return [_row(r) for r in rows]


async def delete_older_than(pool: asyncpg.Pool, cutoff: datetime, batch: int = 10_000) -> int:
    """Delete audit rows older than `cutoff`, in batches; returns how many."""
    total = 0
    while True:
        result = await pool.execute(
            "DELETE FROM audit_log WHERE id IN (SELECT id FROM audit_log WHERE at < $1 LIMIT $2)",
            cutoff,
            batch,
        )
        count = int(result.split()[-1])
        total += count
        if count < batch:
            return total
