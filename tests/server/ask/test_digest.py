"""Event digests on the real PostgreSQL over the evaluation's generated month: counts, notable and
unusual events with reasons, changes against the usual; the API route and `hsi ask`."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from pathlib import Path

import asyncpg
import pytest

from inference_server.cli import main
from inference_server.store.digest import event_digest, period_bounds, render_digest
from tools.ask_eval import NOW, TZ, _event, generate_month


async def test_a_day_digest_counts_and_explains_what_stood_out(pg_pool: asyncpg.Pool) -> None:
    await generate_month(pg_pool)
    day = NOW.date()  # Monday 30 Nov, up to 20:00: the routine so far plus the 02:xx back-door try
    for minute in range(8):  # a busy street afternoon: far more than the usual 2 by 18:00
        await _event(
            pg_pool, "street", NOW.replace(hour=15, minute=minute * 5), {"person": 1}, 5, "People pass."
        )
    digest = await event_digest(pg_pool, TZ, "day", day)
    since, until = period_bounds(TZ, "day", day)
    assert digest["since"] == since.isoformat() and (until - since) == timedelta(days=1)
    assert digest["events"] == sum(digest["by_camera"].values()) == sum(digest["by_level"].values())
    assert digest["by_camera"]["street"] == 10 and digest["by_level"]["high"] == 1
    assert digest["by_category"]["person"] >= 10
    (top, *_rest) = digest["notable"]
    assert top["summary"] == "Person tries the back door handle at night." and top["risk_level"] == "high"
    unusual = {u["summary"]: u["reason"] for u in digest["unusual"]}
    assert "Person tries the back door handle at night." in unusual
    assert "Backyard is rarely active at 02:00" in unusual["Person tries the back door handle at night."]
    assert "Morning traffic passes on the street." not in unusual  # every day at 08:xx
    (street,) = [c for c in digest["changes"] if c["camera"] == "street"]
    assert street["events"] == 10 and 2 <= street["usual"] <= 2.5 and street["change"] == "more"
    assert all(c["camera"] != "driveway" for c in digest["changes"])  # as usual
    text = render_digest(digest)
    assert (
        text.startswith("Day ending 2026-11-30:")
        and f"street: 10 events, usually {street['usual']} (more)" in text
    )


async def test_a_week_digest_spans_seven_local_days(pg_pool: asyncpg.Pool) -> None:
    await generate_month(pg_pool)
    digest = await event_digest(pg_pool, TZ, "week", NOW.date() - timedelta(days=1))
    assert digest["period"] == "week" and digest["since"].startswith("2026-11-23T00:00:00+01:00")
    assert digest["until"].startswith("2026-11-30T00:00:00+01:00")
    summaries = [n["summary"] for n in digest["notable"]]
    assert summaries[0] == "Two people with covered faces try the front door."  # 90, on Thursday
    assert "Person tries the back door handle at night." not in summaries  # that was Monday 30th
    assert digest["events"] == 7 * 5 + 7  # routine and the notable events of those seven days


async def test_the_api_route_and_the_cli_give_the_digest_and_answers(
    pg_pool: asyncpg.Pool, database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    await generate_month(pg_pool)
    cfg = tmp_path / "hsi.yaml"
    cfg.write_text(f"database_url: {database_url}\ntimezone: Europe/Berlin\nask_embedder: none\n")

    def cli(*args: str) -> int:  # `hsi` runs its own event loop: give it a thread
        return main(["--config", str(cfg), *args])

    assert await asyncio.to_thread(cli, "ask", "--digest", "week", "--date", "2026-11-29") == 0
    out = capsys.readouterr().out
    assert out.startswith("Week ending 2026-11-29: 42 event(s)") and "Two people with covered faces" in out
    assert await asyncio.to_thread(cli, "ask", "was there ever a bear in the backyard?") == 0
    assert "A bear knocks over the bins." in capsys.readouterr().out
    assert await asyncio.to_thread(cli, "ask") == 2


__all__ = ["date"]
