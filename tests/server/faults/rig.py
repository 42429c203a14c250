"""The fault suite's rig: real `hsi worker` processes on the machine's PostgreSQL and Redis,
uploads written the way cameras write them, and an account of what became of every upload.

An upload is identified by its camera folder and file name (each one's content is unique). After
a run every upload must have ended in exactly one of: one media row in one final event that was
published once, a media row that is a dead letter with its reason, or quarantine (no row, an
ingest dead letter naming the file). Anything else is *lost*; a second row, a stored detection
twice, an event without media or an event published twice is *duplicated*.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

import asyncpg
import redis.asyncio as aioredis

from inference_server.contract import messages
from inference_server.domain.names import printable
from inference_server.store.streams import Keys, stream_range

ROOT = Path(__file__).resolve().parents[3]
RESULTS_ENV = "HSI_FAULTS_RESULTS"  # a JSON-lines file each fault test appends its tally to


@dataclass(frozen=True, slots=True)
class Upload:
    """One file a camera uploads."""

    camera: str
    name: str
    data: bytes
    mtime: float | None = None
    expect: str = "event"  # event | dead_letter | quarantined


@dataclass(slots=True)
class Tally:
    """What became of a run's uploads (the row of the reliability table)."""

    fault: str
    uploads: int = 0
    event: int = 0
    dead_letter: int = 0
    quarantined: int = 0
    lost: int = 0
    duplicated: int = 0
    events: int = 0
    problems: list[str] = field(default_factory=list)
    outcomes: dict[str, str] = field(default_factory=dict)  # camera/name -> outcome

    def unexpected(self, uploads: Iterable[Upload]) -> list[str]:
        """Uploads whose outcome is not the one the test expects, with what happened instead."""
        return [
            f"{u.camera}/{printable(u.name)}: expected {u.expect}, got {self.outcomes.get(_key(u))}"
            for u in uploads
            if self.outcomes.get(_key(u)) != u.expect
        ]

    def record(self) -> None:
        """Append this tally to the results file, when the run names one ($HSI_FAULTS_RESULTS)."""
        target = os.environ.get(RESULTS_ENV)
        if not target:
            return
        row = {k: v for k, v in asdict(self).items() if k not in ("outcomes",)}
        with open(target, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(row) + "\n")


def _key(upload: Upload) -> str:
    return f"{upload.camera}/{printable(upload.name)}"


class Rig:
    """Worker processes of one test, its folders and services, the uploads and their account."""

    def __init__(
        self,
        tmp_path: Path,
        *,
        database_url: str,
        redis_url: str,
        redis_prefix: str,
        media_dir: Path | None = None,
        extra_env: dict[str, str] | None = None,
    ) -> None:
        self.tmp_path = tmp_path
        self.database_url = database_url  # the test's own view (never through a proxy)
        self.redis_url = redis_url
        self.prefix = redis_prefix
        self.keys = Keys(redis_prefix)
        self.data_dir = tmp_path / "data"
        self.watch_dir = self.data_dir / "uploads"
        self.media_dir = media_dir or self.data_dir / "media"
        self.logs = tmp_path / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("HSI_")}
        self.env.update(
            {
                "HSI_DATABASE_URL": database_url,
                "HSI_REDIS_URL": redis_url,
                "HSI_REDIS_PREFIX": redis_prefix,
                "HSI_DATA_DIR": str(self.data_dir),
                "HSI_MEDIA_DIR": str(self.media_dir),
                "HSI_DETECTOR": "opencv",
                "HSI_DETECTOR_BATCH_SIZE": "4",
                "HSI_LLM_BACKEND": "heuristic",
                "HSI_REID_EMBEDDER": "none",
                "HSI_ASK_EMBEDDER": "none",
                "HSI_URGENT_RULES": "[]",
                "HSI_BATCH_IDLE_SECONDS": "1.5",
                "HSI_INGEST_STABLE_SECONDS": "0.2",
                "HSI_RECLAIM_IDLE_SECONDS": "2",
                "HSI_LOG_LEVEL": "INFO",
                "PYTHONPATH": str(ROOT),
                **(extra_env or {}),
            }
        )
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.pool: asyncpg.Pool | None = None
        self.redis: aioredis.Redis | None = None

    async def __aenter__(self) -> Rig:
        self.pool = await asyncpg.create_pool(self.database_url, min_size=1, max_size=2)
        self.redis = aioredis.from_url(self.redis_url, decode_responses=True)
        self.watch_dir.mkdir(parents=True, exist_ok=True)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop(*self.procs)
        if self.pool is not None:
            await self.pool.close()
        if self.redis is not None:
            await self.redis.aclose()

    # ------------------------------------------------------------------ processes
    def log(self, name: str) -> Path:
        """The combined output of process `name`."""
        return self.logs / f"{name}.log"

    async def start(self, name: str, *stages: str, env: dict[str, str] | None = None) -> None:
        """Start `hsi worker --stage ...` (or `hsi serve` for no stages) and wait until it runs."""
        argv = [sys.executable, "-m", "inference_server"]
        argv += ["worker", *[a for s in stages for a in ("--stage", s)]] if stages else ["serve"]
        log = self.log(name)
        offset = log.stat().st_size if log.exists() else 0
        with log.open("ab") as out:
            self.procs[name] = subprocess.Popen(
                argv, cwd=ROOT, env={**self.env, **(env or {})}, stdout=out, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + 120
        while True:
            text = log.read_bytes()[offset:].decode(errors="replace")
            if "hsi started" in text:
                return
            if self.procs[name].poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"{name} did not start:\n{text[-3000:]}")
            await asyncio.sleep(0.1)

    def kill(self, name: str) -> None:
        """SIGKILL: no shutdown, whatever it held stays pending in its consumer's name."""
        proc = self.procs.pop(name)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)

    async def stop(self, *names: str) -> None:
        """SIGTERM and wait (SIGKILL after 30 s), without blocking the event loop: a test's
        proxies run in it, and a stopping process may still talk through them."""
        procs = [self.procs.pop(name) for name in names]
        for proc in procs:
            if proc.poll() is None:
                proc.terminate()
        deadline = time.monotonic() + 30
        while any(p.poll() is None for p in procs) and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)

    # ------------------------------------------------------------------ uploads
    def write(self, upload: Upload) -> None:
        """Write an upload the way a camera does: a temporary name, then a rename into place."""
        folder = os.path.join(os.fsencode(self.watch_dir), os.fsencode(upload.camera))
        os.makedirs(folder, exist_ok=True)
        dest = os.path.join(folder, os.fsencode(upload.name))
        tmp = os.path.join(folder, b"." + os.path.basename(dest)[:200] + b".part")
        with open(tmp, "wb") as fh:
            fh.write(upload.data)
        if upload.mtime is not None:
            os.utime(tmp, (upload.mtime, upload.mtime))
        os.replace(tmp, dest)

    async def feed(self, uploads: list[Upload], *, every_s: float = 0.05) -> None:
        """A steady stream: one upload after another."""
        for upload in uploads:
            self.write(upload)
            await asyncio.sleep(every_s)

    # ------------------------------------------------------------------ progress and account
    async def count(self, sql: str) -> int:
        """One number from the test's own connection."""
        assert self.pool is not None
        return int(await self.pool.fetchval(sql) or 0)

    async def until(
        self,
        predicate: Callable[[], Awaitable[bool]],
        what: str,
        timeout: float = 150.0,
        interval: float = 0.2,
    ) -> None:
        """Wait for an outcome (not a duration): fail naming `what` and the logs' tails."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError, asyncpg.PostgresError):
                if await predicate():
                    return
            await asyncio.sleep(interval)
        raise AssertionError(f"timed out waiting for {what}\n{self.tails()}")

    def tails(self, chars: int = 2500) -> str:
        """The end of every process log (for failure messages)."""
        out = []
        for log in sorted(self.logs.glob("*.log")):
            out.append(f"--- {log.name}\n{log.read_text(errors='replace')[-chars:]}")
        return "\n".join(out)

    async def settled(self, uploads: list[Upload]) -> bool:
        """Every upload left the watch folder and ended somewhere; nothing is still in flight."""
        tally = await self.account("", uploads)
        if tally.lost:
            return False
        depth = 0
        assert self.redis is not None
        for stage in ("detect", "window", "enrich", "assess"):
            with contextlib.suppress(Exception):
                for group in await self.redis.xinfo_groups(self.keys.stream(stage)):
                    depth += int(group.get("pending", 0)) + int(group.get("lag") or 0)
        return depth == 0 and await self.count("SELECT count(*) FROM events WHERE NOT final") == 0

    async def settle(self, fault: str, uploads: list[Upload], timeout: float = 150.0) -> Tally:
        """Wait until every upload has ended (or the timeout), then account for each."""
        with contextlib.suppress(AssertionError):
            await self.until(lambda: self.settled(uploads), "every upload to settle", timeout)
        return await self.account(fault, uploads)

    async def account(self, fault: str, uploads: list[Upload]) -> Tally:
        """What became of each upload, from PostgreSQL and the publish stream."""
        assert self.pool is not None and self.redis is not None
        media = await self.pool.fetch(
            "SELECT id, camera_id, original_name, status, event_id::text AS event_id FROM media_files"
        )
        events = {
            r["id"]: r
            for r in await self.pool.fetch(
                "SELECT e.id::text AS id, e.final, count(m.id) AS media FROM events e"
                " LEFT JOIN media_files m ON m.event_id = e.id GROUP BY e.id"
            )
        }
        letters = await self.pool.fetch("SELECT stage, reason, media_id, source_path FROM dead_letters")
        published: dict[str, int] = {}
        for _id, fields in await stream_range(
            self.redis, self.keys.stream("publish"), start="-", count=1_000_000
        ):
            msg = messages.decode(fields)
            if msg is not None and msg.is_event:
                eid = str(msg.data.get("id"))
                published[eid] = published.get(eid, 0) + 1
        twice = await self.count(
            "SELECT count(*) FROM (SELECT media_id, frame_index, label, x1, y1, x2, y2 FROM detections"
            " GROUP BY 1, 2, 3, 4, 5, 6, 7 HAVING count(*) > 1) d"
        )
        by_upload: dict[str, list[asyncpg.Record]] = {}
        for row in media:
            by_upload.setdefault(f"{row['camera_id']}/{row['original_name']}", []).append(row)
        dead_media = {r["media_id"]: r["reason"] for r in letters if r["media_id"] is not None}
        ingest_letters = [r for r in letters if r["stage"] == "ingest" and r["source_path"]]
        tally = Tally(fault=fault, uploads=len(uploads), events=len(events))
        for upload in uploads:
            key = _key(upload)
            rows = by_upload.get(key, [])
            outcome = "lost"
            if len(rows) > 1:
                outcome = "duplicated"
                tally.problems.append(f"{key}: {len(rows)} media rows")
            elif rows:
                row = rows[0]
                event = events.get(row["event_id"]) if row["event_id"] else None
                if event is not None and event["final"]:
                    n = published.get(row["event_id"], 0)
                    if n == 1:
                        outcome = "event"
                    elif n > 1:
                        outcome = "duplicated"
                        tally.problems.append(f"{key}: event {row['event_id']} published {n} times")
                    else:
                        tally.problems.append(f"{key}: event {row['event_id']} stored, never published")
                elif row["status"] == "dead_letter" and dead_media.get(row["id"]):
                    outcome = "dead_letter"
                else:
                    tally.problems.append(f"{key}: media {row['id']} status {row['status']}, no final event")
            else:
                suffix = "/".join(["", *([upload.camera] if upload.camera else []), printable(upload.name)])
                if any(str(r["source_path"]).endswith(suffix) and r["reason"] for r in ingest_letters):
                    outcome = "quarantined"
                else:
                    tally.problems.append(f"{key}: no media row and no dead letter")
            tally.outcomes[key] = outcome
            setattr(tally, outcome, getattr(tally, outcome) + 1)
        orphans = [eid for eid, e in events.items() if e["media"] == 0]
        if orphans:
            tally.duplicated += len(orphans)
            tally.problems.append(f"events without media (duplicates of a window): {orphans}")
        if twice:
            tally.duplicated += twice
            tally.problems.append(f"{twice} detections stored twice")
        return tally


def results(path: Path) -> Iterator[dict[str, object]]:
    """The tallies a run appended to `path` (the last one per fault)."""
    rows: dict[str, dict[str, object]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            rows[str(row["fault"])] = row
    yield from rows.values()
