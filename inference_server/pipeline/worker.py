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
        self.processed = 0

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
                await self.on_exhausted(entry, reason)
                await self.streams.ack(self.stage, self.group, [entry.id])
            else:
                fresh.append(entry)
        if fresh:
            log.info("worker stage=%s reclaimed=%d", self.stage, len(fresh))
        return fresh

    async def _process(self, entries: list[StreamEntry], stop: asyncio.Event) -> None:
        delay = 0.5
        while True:
            try:
                started = time.perf_counter()
                done = await self.handler(entries)
                await self.streams.ack(self.stage, self.group, done)
                self.processed += len(done)
                # Every entry of a batch waits for the whole batch: that is each one's latency.
                elapsed = time.perf_counter() - started
                for _ in entries:
                    self.metrics.observe_latency(self.stage, elapsed)
                return
            except Exception as exc:
                if not is_transient(exc) or stop.is_set():
                    raise
                self.metrics.service_errors.labels(self.stage).inc()
                log.warning(
                    "worker stage=%s service unavailable, retrying batch in %.1fs: %s", self.stage, delay, exc
                )
                await _sleep_or_stop(stop, delay)
                delay = min(delay * 2, 10.0)

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
