"""A consumer-group loop shared by the stages: read, process, ack; reclaim what dead workers left."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from inference_server.metrics import Metrics
from inference_server.store.errors import is_transient
from inference_server.store.streams import StreamEntry, Streams

log = logging.getLogger(__name__)

Handler = Callable[[list[StreamEntry]], Awaitable[list[str]]]


class StreamWorker:
    """Runs `handler` over batches of one stream for one consumer of a group.

    The handler returns the ids it finished (to ack). A transient service failure (PostgreSQL or
    Redis down) retries the same batch with backoff, so an outage never costs an attempt; any other
    exception leaves the entries pending, to be reclaimed and retried, and `on_exhausted` receives
    entries delivered more than `max_attempts` times.

    One bad entry never takes its batch with it: a batch that fails is retried entry by entry,
    and only the entries that fail alone stay pending. A batch that keeps failing with a
    "transient" error while `probe` shows PostgreSQL and Redis answering is the batch's fault and
    is treated like any other failure, so it cannot be retried forever.

    `stuck()` names an entry that has kept failing for `stuck_after_s` (the stage cannot make
    progress: `/api/system/ready` and `stats` show it); `clock` is injectable for tests.
    """

    def __init__(
        self,
        *,
        streams: Streams,
        stage: str,
        group: str,
        consumer: str,
        handler: Handler,
        on_exhausted: Callable[[StreamEntry, str], Awaitable[None]],
        metrics: Metrics,
        batch_size: int = 8,
        block_ms: int = 500,
        reclaim_idle_s: float = 60.0,
        max_attempts: int = 3,
        probe: Callable[[], Awaitable[None]] | None = None,
        transient_retries_before_probe: int = 3,
        stuck_after_s: float = 600.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.streams = streams
        self.stage = stage
        self.group = group
        self.consumer = consumer
        self.handler = handler
        self.on_exhausted = on_exhausted
        self.metrics = metrics
        self.batch_size = batch_size
        self.block_ms = block_ms
        self.reclaim_idle_s = reclaim_idle_s
        self.max_attempts = max_attempts
        self.probe = probe
        self.transient_retries_before_probe = transient_retries_before_probe
        self.processed = 0
        self._last_error: dict[str, str] = {}
        self.stuck_after_s = stuck_after_s
        self.clock = clock
        # entry id -> (first, last) failure time, while it keeps failing in this worker
        self._failing: dict[str, tuple[float, float]] = {}

    def stuck(self) -> dict[str, object] | None:
        """The entry failing longest, if it has failed for `stuck_after_s` and failed again lately
        (an entry another worker finished, or one no longer retried here, is forgotten)."""
        now = self.clock()
        recent = max(3 * self.reclaim_idle_s, 60.0)
        for entry_id in [e for e, (_, last) in self._failing.items() if now - last > recent]:
            del self._failing[entry_id]
        if not self._failing:
            return None
        entry_id, (first, _) = min(self._failing.items(), key=lambda item: item[1][0])
        if now - first < self.stuck_after_s:
            return None
        return {
            "entry": entry_id,
            "failing_seconds": round(now - first, 1),
            "error": self._last_error.get(entry_id, ""),
        }

    def _failed(self, entries: list[StreamEntry]) -> None:
        now = self.clock()
        if len(self._failing) > 10_000:
            self._failing.clear()
        for entry in entries:
            first, _ = self._failing.get(entry.id, (now, now))
            self._failing[entry.id] = (first, now)

    async def run(self, stop: asyncio.Event) -> None:
        """Process until `stop` is set."""
        await self._until_ok(lambda: self.streams.ensure_group(self.stage, self.group), stop)
        last_reclaim = 0.0
        while not stop.is_set():
            try:
                entries: list[StreamEntry] = []
                if time.monotonic() - last_reclaim > min(self.reclaim_idle_s / 2, 5.0):
                    last_reclaim = time.monotonic()
                    entries = await self._reclaim()
                if not entries:
                    entries = await self.streams.read(
                        self.stage, self.group, self.consumer, self.batch_size, self.block_ms
                    )
                if entries:
                    await self._process(entries, stop)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if not is_transient(exc):
                    log.exception("worker stage=%s unexpected error", self.stage)
                else:
                    self.metrics.service_errors.labels(self.stage).inc()
                    log.warning("worker stage=%s service unavailable: %s", self.stage, exc)
                await _sleep_or_stop(stop, 1.0)

    async def _reclaim(self) -> list[StreamEntry]:
        entries = await self.streams.reclaim(
            self.stage, self.group, self.consumer, int(self.reclaim_idle_s * 1000), self.batch_size
        )
        fresh: list[StreamEntry] = []
        for entry in entries:
            if entry.deliveries > self.max_attempts:
                reason = f"failed {entry.deliveries - 1} times in stage {self.stage}"
                if last := self._last_error.pop(entry.id, None):
                    reason = f"{reason}: {last}"
                await self.on_exhausted(entry, reason)
                await self.streams.ack(self.stage, self.group, [entry.id])
                self._failing.pop(entry.id, None)
            else:
                fresh.append(entry)
        if fresh:
            log.info("worker stage=%s reclaimed=%d", self.stage, len(fresh))
        return fresh

    async def _process(self, entries: list[StreamEntry], stop: asyncio.Event) -> None:
        delay = 0.5
        transient = 0
        while True:
            try:
                started = time.perf_counter()
                done = await self.handler(entries)
                await self.streams.ack(self.stage, self.group, done)
                self.processed += len(done)
                for entry_id in done:
                    self._last_error.pop(entry_id, None)
                    self._failing.pop(entry_id, None)
                # Every entry of a batch waits for the whole batch: that is each one's latency.
                elapsed = time.perf_counter() - started
                for _ in entries:
                    self.metrics.observe_latency(self.stage, elapsed)
                return
            except Exception as exc:
                if stop.is_set():
                    raise
                if len(entries) == 1 or is_transient(exc):  # a failing batch is retried one by one
                    self._failed(entries)
                if is_transient(exc):
                    transient += 1
                    if transient < self.transient_retries_before_probe or not await self._services_answer():
                        self.metrics.service_errors.labels(self.stage).inc()
                        log.warning(
                            "worker stage=%s service unavailable, retrying batch in %.1fs: %s",
                            self.stage,
                            delay,
                            exc,
                        )
                        await _sleep_or_stop(stop, delay)
                        delay = min(delay * 2, 10.0)
                        continue
                    log.warning(
                        "worker stage=%s batch keeps failing while services answer: %s", self.stage, exc
                    )
                if len(entries) > 1:
                    await self._one_by_one(entries, stop)
                    return
                self._last_error[entries[0].id] = f"{type(exc).__name__}: {exc}"[:500]
                if len(self._last_error) > 10_000:
                    self._last_error.clear()
                raise

    async def _one_by_one(self, entries: list[StreamEntry], stop: asyncio.Event) -> None:
        """Retry a failed batch entry by entry: the ones that fail alone stay pending (reclaimed
        later, each delivery an attempt), the others are finished now."""
        for entry in entries:
            try:
                await self._process([entry], stop)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if stop.is_set():
                    raise
                log.warning(
                    "worker stage=%s entry=%s failed (attempt %d of %d): %s",
                    self.stage,
                    entry.id,
                    entry.deliveries,
                    self.max_attempts,
                    exc,
                )

    async def _services_answer(self) -> bool:
        if self.probe is None:
            return False
        try:
            async with asyncio.timeout(5):
                await self.probe()
        except Exception:
            return False
        return True

    async def _until_ok(self, op: Callable[[], Awaitable[None]], stop: asyncio.Event) -> None:
        delay = 0.5
        while not stop.is_set():
            try:
                await op()
                return
            except Exception as exc:
                if not is_transient(exc):
                    raise
                log.warning("worker stage=%s waiting for Redis: %s", self.stage, exc)
                await _sleep_or_stop(stop, delay)
                delay = min(delay * 2, 10.0)


async def _sleep_or_stop(stop: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(stop.wait(), timeout=seconds)
    except TimeoutError:
        pass
