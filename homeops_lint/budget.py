"""The run's time budget (``limits.time_budget``).

The engine checks it between stages, and the long stages (parsing, schema validation, secret
scanning) check it inside their per-file or per-document loops with ``budget.check()``, so a
single slow file or check module cannot outlive it. ``OutOfTime`` never leaves the engine: it
becomes a ``parse-limit`` finding and an incomplete ``Result`` (the CLI exits 2).
"""
from __future__ import annotations

import time
from typing import Callable, Optional


class OutOfTime(Exception):
    """The time budget ran out; ``line`` is where in the current file, when a loader knows it."""

    def __init__(self, line: int = 1) -> None:
        super().__init__("the time budget ran out")
        self.line = line


class Budget:
    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic,
                 started: Optional[float] = None) -> None:
        self.seconds = seconds
        self.clock = clock
        self.deadline = (clock() if started is None else started) + seconds

    def expired(self) -> bool:
        return self.clock() > self.deadline

    def check(self, line: int = 1) -> None:
        """Raise ``OutOfTime`` once the deadline has passed (cheap: one clock read)."""
        if self.clock() > self.deadline:
            raise OutOfTime(line)


UNLIMITED = float("inf")
