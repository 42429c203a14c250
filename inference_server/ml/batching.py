"""Dynamic batching: detect calls from several callers (cameras, workers) merged into one batch.

A GPU runs a batch of 32 frames in little more time than one frame (on an H200, yolo26n: 8.6 ms
for one frame, ~16 ms for 32), so frames of different cameras arriving within a few milliseconds
are worth waiting for. `DynamicBatcher` wraps a detector: each caller's `detect` blocks while
one model thread collects requests until `max_batch` frames are queued or the first queued
request has waited `budget_s`, runs them as one call and hands each caller its own results.

With `budget_s=0` it never waits, but still merges whatever queued up while the model was busy:
on a CPU, where a batch costs about the sum of its frames, that is the right setting.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field

import numpy as np

from inference_server.domain.detections import Detection
from inference_server.ml.protocols import Detector


@dataclass(slots=True)
class _Request:
    frames: Sequence[np.ndarray]
    arrived: float
    future: Future[list[list[Detection]]] = field(default_factory=Future)


@dataclass(slots=True)
class BatchStats:
    """What the batcher did: model calls, frames, and how full the batches were."""

    calls: int = 0
    frames: int = 0
    requests: int = 0
    largest: int = 0
    waited_s: float = 0.0

    @property
    def mean_batch(self) -> float:
        """Frames per model call."""
        return self.frames / self.calls if self.calls else 0.0


class DynamicBatcher:
    """A thread-safe Detector that batches concurrent calls of a wrapped detector."""

    thread_safe = True

    def __init__(
        self,
        detector: Detector,
        *,
        max_batch: int = 32,
        budget_s: float = 0.025,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_batch < 1:
            raise ValueError(f"max_batch must be at least 1, got {max_batch}")
        if budget_s < 0:
            raise ValueError(f"budget_s must not be negative, got {budget_s}")
        self.detector = detector
        self.name = detector.name
        self.max_batch = max_batch
        self.budget_s = budget_s
        self.stats = BatchStats()
        self._clock = clock
        self._queue: deque[_Request] = deque()
        self._cond = threading.Condition()
        self._closed = False
        self._thread = threading.Thread(target=self._loop, name="detector-batcher", daemon=True)
        self._thread.start()

    def detect(self, frames: Sequence[np.ndarray]) -> list[list[Detection]]:
        """Detect objects in `frames` as part of the next batch; blocks until it has run."""
        if not frames:
            return []
        request = _Request(frames, self._clock())
        with self._cond:
            if self._closed:
                raise RuntimeError("the detector batcher is closed")
            self._queue.append(request)
            self._cond.notify_all()
        return request.future.result()

    def close(self) -> None:
        """Stop the model thread; queued requests fail with RuntimeError."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        self._thread.join(timeout=30)

    def _take(self) -> list[_Request] | None:
        """The next batch of requests: waits for the first, then up to the budget for more."""
        with self._cond:
            while not self._queue and not self._closed:
                self._cond.wait()
            if self._closed:
                for pending in self._queue:
                    pending.future.set_exception(RuntimeError("the detector batcher is closed"))
                self._queue.clear()
                return None
            deadline = self._queue[0].arrived + self.budget_s
            while sum(len(r.frames) for r in self._queue) < self.max_batch and not self._closed:
                remaining = deadline - self._clock()
                if remaining <= 0:
                    break
                self._cond.wait(remaining)
            taken = [self._queue.popleft()]  # one request larger than max_batch runs alone
            size = len(taken[0].frames)
            while self._queue and size + len(self._queue[0].frames) <= self.max_batch:
                size += len(self._queue[0].frames)
                taken.append(self._queue.popleft())
            self.stats.waited_s += max(0.0, self._clock() - taken[0].arrived)
            return taken

    def _loop(self) -> None:
        while (batch := self._take()) is not None:
            frames = [f for r in batch for f in r.frames]
            try:
                found = self.detector.detect(frames)
            except BaseException as exc:  # the callers get the error, the loop goes on
                for r in batch:
                    r.future.set_exception(exc)
                continue
            self.stats.calls += 1
            self.stats.frames += len(frames)
            self.stats.requests += len(batch)
            self.stats.largest = max(self.stats.largest, len(frames))
            pos = 0
            for r in batch:
                r.future.set_result(found[pos : pos + len(r.frames)])
                pos += len(r.frames)
