"""``--timings``: where a run spends its time, per stage and per check module.

The engine records named stages (``discover``, ``read+parse``, ``index``, ``check:<module>``,
``suppress``, ...) and the CLI adds ``report``; the breakdown goes to stderr so it never mixes with
a machine-readable report on stdout. Wall time and CPU time are both kept: on a loaded machine the
CPU column is the steadier one, and a gap between them shows time spent waiting (I/O, git, a
worker pool).
"""
from __future__ import annotations

import time
from contextlib import contextmanager
from typing import Iterator, Optional

# Checks whose share of a full run the performance targets name (issue: secrets <= 40 %, schema <= 20 %).
WATCHED = {"check:secret": "secret scanning", "check:schema": "schema validation"}


class Timings:
    """Ordered (stage, wall seconds, cpu seconds); a stage recorded twice is summed."""

    def __init__(self) -> None:
        self.stages: dict[str, list[float]] = {}
        self.started = time.perf_counter()
        self.started_cpu = time.process_time()
        self.notes: list[str] = []

    def add(self, name: str, wall: float, cpu: float = 0.0) -> None:
        entry = self.stages.setdefault(name, [0.0, 0.0])
        entry[0] += wall
        entry[1] += cpu

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            yield
        finally:
            self.add(name, time.perf_counter() - wall, time.process_time() - cpu)

    def note(self, text: str) -> None:
        self.notes.append(text)

    def render(self) -> str:
        total_wall = time.perf_counter() - self.started
        total_cpu = time.process_time() - self.started_cpu
        width = max([len(n) for n in self.stages] + [len("total (in process)")])
        lines = [f"{'stage':<{width}}  {'wall':>8}  {'cpu':>8}  {'share':>6}"]
        for name, (wall, cpu) in self.stages.items():
            share = 100.0 * wall / total_wall if total_wall > 0 else 0.0
            lines.append(f"{name:<{width}}  {wall:8.3f}  {cpu:8.3f}  {share:5.1f}%")
        lines.append(f"{'total (in process)':<{width}}  {total_wall:8.3f}  {total_cpu:8.3f}  100.0%")
        for name, label in WATCHED.items():
            if name in self.stages:
                share = 100.0 * self.stages[name][0] / total_wall if total_wall > 0 else 0.0
                lines.append(f"share of {label}: {share:.1f}% of the run")
        lines.extend(self.notes)
        return "\n".join("homeops-lint timings: " + line for line in lines) + "\n"


class _Off:
    """The no-op stand-in used when timings were not asked for (no clock calls at all)."""

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        yield

    def add(self, name: str, wall: float, cpu: float = 0.0) -> None:
        return None

    def note(self, text: str) -> None:
        return None


OFF = _Off()


def or_off(timings: Optional[Timings]) -> "Timings | _Off":
    return timings if timings is not None else OFF
