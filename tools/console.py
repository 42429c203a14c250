"""What a person running `hsi demo` sees: our own lines on the terminal, everything else in a log file.

Embedded PostgreSQL (initdb, the postmaster), Redis, ultralytics, torch warnings and our own INFO
logs write to file descriptors 1 and 2 from Python, C libraries and child processes alike. While a
`Console` is open, both descriptors point at the log file; the console keeps a duplicate of the
terminal for its own lines. Long steps show progress: a line that updates in place on a terminal,
a start line and an end line elsewhere (a CI log, a pipe).

Python logging keeps writing to the log file after the console closes, until the process ends:
the embedded services log from their exit hooks too.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import TextIO

_SPINNER = "|/-\\"


class Console:
    """Terminal output for our lines; fd 1 and 2 (and sys.stdout/stderr) go to `log_path`."""

    def __init__(self, log_path: Path) -> None:
        self.log_path = log_path
        self._saved: list[int] = []
        self._out: TextIO | None = None
        self._log_fd = -1
        self._status = ""
        self._lock = threading.Lock()
        self.tty = False

    def __enter__(self) -> Console:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        self._log_fd = os.open(self.log_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_APPEND, 0o644)
        self._saved = [os.dup(1), os.dup(2)]
        self.tty = os.isatty(self._saved[0])
        self._out = io.TextIOWrapper(
            io.FileIO(os.dup(self._saved[0]), "w"), encoding="utf-8", errors="replace", line_buffering=True
        )
        os.dup2(self._log_fd, 1)
        os.dup2(self._log_fd, 2)
        log_stream = open(self.log_path, "a", encoding="utf-8", buffering=1)  # open until the process exits
        for handler in logging.getLogger().handlers:
            if type(handler) is logging.StreamHandler:
                handler.setStream(log_stream)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._clear_status()
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        os.dup2(self._saved[0], 1)
        os.dup2(self._saved[1], 2)
        for fd in (*self._saved, self._log_fd):
            os.close(fd)
        if self._out is not None:
            self._out.close()
        self._saved = []

    # --- our lines ---------------------------------------------------------------------------
    def print(self, text: str = "") -> None:
        """One of our lines (also copied into the log file, so the log reads as a whole)."""
        with self._lock:
            self._clear_status()
            assert self._out is not None
            self._out.write(text + "\n")
            self._out.flush()
            os.write(self._log_fd, f"[demo] {text}\n".encode())
            if self._status:
                self._show(self._status)

    def status(self, text: str) -> None:
        """A progress line that replaces the previous one (on a terminal; elsewhere not shown)."""
        with self._lock:
            self._status = text
            if self.tty:
                self._show(text)

    def _show(self, text: str) -> None:
        assert self._out is not None
        self._out.write("\r\x1b[2K" + text)
        self._out.flush()

    def _clear_status(self) -> None:
        if self._status and self.tty and self._out is not None:
            self._out.write("\r\x1b[2K")
            self._out.flush()
        self._status = ""

    @contextlib.contextmanager
    def step(self, text: str) -> Iterator[Step]:
        """A long step: `text ...`, then `text: done in 2.1 s`, with a spinner, elapsed time and the step's
        `detail` (e.g. "5 of 9 uploads") updating in place while it runs on a terminal."""
        step = Step()
        started = time.monotonic()
        stop = threading.Event()
        ticker: threading.Thread | None = None

        def line() -> str:
            detail = f": {step.detail}" if step.detail else ""
            return f"{text}{detail}"

        if self.tty:

            def tick() -> None:
                n = 0
                while not stop.wait(0.2):
                    n += 1
                    self.status(f"{line()} {_SPINNER[n % 4]} {time.monotonic() - started:.0f} s")

            ticker = threading.Thread(target=tick, daemon=True)
            ticker.start()
        else:
            self.print(f"{text} ...")
        try:
            yield step
        except BaseException:
            stop.set()
            if ticker is not None:
                ticker.join()
            self.print(
                f"{line()} failed after {time.monotonic() - started:.1f} s (details in {self.log_path})"
            )
            raise
        stop.set()
        if ticker is not None:
            ticker.join()
        elapsed = time.monotonic() - started
        self.print(
            f"{text}: {step.detail}; done in {elapsed:.1f} s"
            if step.detail
            else f"{text}: done in {elapsed:.1f} s"
        )


class Step:
    """What a running step reports about itself (shown next to its spinner and in its end line)."""

    def __init__(self) -> None:
        self.detail = ""
