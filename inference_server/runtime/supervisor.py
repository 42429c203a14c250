"""Supervised stages: a stage task that crashes is restarted with backoff, never left dead.

Each restart is counted in `hsi_stage_restarts_total{stage}`; while a stage is down (crashed and
waiting for its restart) `/api/system/ready` answers 503 naming it (`"stage:<name>": false`).
A stage that returns without an error has nothing (more) to do in this process (e.g. an
optional feature that is off): it is finished, not down, and not restarted.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from inference_server.metrics import Metrics

log = logging.getLogger(__name__)

StageRunner = Callable[[asyncio.Event], Awaitable[None]]


@dataclass(slots=True)
class StageState:
    """What the supervisor knows of one stage task."""

    name: str
    running: bool = False
    finished: bool = False
    restarts: int = 0
    last_error: str = ""
    down_since: float | None = None  # monotonic time of the last crash while not running


class Supervisor:
    """Runs named stage tasks until `stop`, restarting any that crash (backoff doubling to a cap)."""

    def __init__(
        self,
        metrics: Metrics,
        *,
        initial_backoff_s: float = 1.0,
        max_backoff_s: float = 60.0,
        healthy_after_s: float = 60.0,
    ) -> None:
        self.metrics = metrics
        self.initial_backoff_s = initial_backoff_s
        self.max_backoff_s = max_backoff_s
        self.healthy_after_s = healthy_after_s
        self.states: dict[str, StageState] = {}

    def unique_name(self, name: str) -> str:
        """`name`, or `name#2`, `name#3`... when a stage of that name is already supervised."""
        candidate, n = name, 1
        while candidate in self.states:
            n += 1
            candidate = f"{name}#{n}"
        return candidate

    def health(self) -> dict[str, bool]:
        """Each supervised stage by name: True while it runs."""
        return {name: state.running for name, state in self.states.items() if not state.finished}

    def describe(self) -> list[dict[str, object]]:
        """Each supervised stage: name, running, restarts and the last crash's error (`hsi status`)."""
        return [
            {
                "name": name,
                "running": state.running,
                "restarts": state.restarts,
                "last_error": state.last_error,
            }
            for name, state in self.states.items()
            if not state.finished
        ]

    def down(self) -> list[str]:
        """The stages that are not running now."""
        return [name for name, state in self.states.items() if not state.running and not state.finished]

    async def supervise(self, name: str, runner: StageRunner, stop: asyncio.Event) -> None:
        """Run `runner(stop)` until `stop` is set, restarting it after every crash."""
        state = self.states.setdefault(name, StageState(name))
        backoff = self.initial_backoff_s
        while not stop.is_set():
            started = time.monotonic()
            state.running, state.down_since = True, None
            try:
                await runner(stop)
                state.running, state.finished = False, True
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                state.running, state.down_since = False, time.monotonic()
                state.restarts += 1
                state.last_error = f"{type(exc).__name__}: {exc}"
                self.metrics.stage_restarts.labels(name).inc()
                if time.monotonic() - started >= self.healthy_after_s:
                    backoff = self.initial_backoff_s
                log.error(
                    "stage crashed stage=%s restart_in_s=%.1f restarts=%d error=%s",
                    name,
                    backoff,
                    state.restarts,
                    state.last_error,
                    exc_info=exc,
                )
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=backoff)
                backoff = min(backoff * 2, self.max_backoff_s)
        state.running, state.finished = False, True
