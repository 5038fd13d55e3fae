"""Check modules in two processes on large repos.

Why checks and not parsing: a parsed document tree costs as much to send between processes
(pickle) as to parse again, so a pool of parsers only moves the cost around (bench/RESULTS.md).
Checks are the opposite: they read the whole index and produce a few findings. After the index is
built the process forks; the child inherits the index for free (copy-on-write), runs its share of
the check modules and sends back only their findings. The parent runs the rest meanwhile, then
puts every module's findings back in module order, so the result is identical to a serial run.

Used only where ``os.fork`` exists, two CPUs are usable, no other thread runs, and the repo is
large enough for the fork to pay off (``MIN_DOCUMENTS``, measured). ``HOMEOPS_LINT_WORKERS=1``
turns it off. A child that fails in any way costs nothing but time: the parent runs its modules.
"""
from __future__ import annotations

import os
import pickle
import threading
from typing import Any, Callable

from .budget import Budget, OutOfTime

# Below this many documents a fork (plus copy-on-write faults) costs more than half the checks.
MIN_DOCUMENTS = 2500
# The weight of a check module whose families have none in the catalog.
DEFAULT_WEIGHT = 0.1


def workers() -> int:
    env = os.environ.get("HOMEOPS_LINT_WORKERS", "")
    if env.isdigit():
        return int(env)
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def usable(documents: int) -> bool:
    return (hasattr(os, "fork") and documents >= MIN_DOCUMENTS and workers() >= 2
            and threading.active_count() == 1)


def module_weights(runnable: list[tuple[str, Any]], catalog: Any) -> dict[str, float]:
    """Each check module's relative cost (CPU seconds on the large bench corpus): the sum of the
    catalog ``weight:`` of the families it serves (``FAMILIES``, or its own name; a module that
    serves declarative rules counts those rules' families), ``DEFAULT_WEIGHT`` when none has one."""
    out: dict[str, float] = {}
    for name, module in runnable:
        families = set(getattr(module, "FAMILIES", (name,)))
        served = getattr(module, "rules_served", None)
        if served is not None:
            families |= {catalog.rules[rule_id].family for rule_id in served(catalog)}
        known = [w for w in (catalog.weight(f) for f in sorted(families)) if w is not None]
        out[name] = sum(known) if known else DEFAULT_WEIGHT
    return out


def split(names: list[str], weights: dict[str, float]) -> tuple[set[str], set[str]]:
    """(parent's, child's) modules, balanced by weight; the heaviest goes to the parent."""
    loads = [0.0, 0.0]
    groups: tuple[set[str], set[str]] = (set(), set())
    for name in sorted(names, key=lambda n: -weights.get(n, DEFAULT_WEIGHT)):
        side = 0 if loads[0] <= loads[1] else 1
        groups[side].add(name)
        loads[side] += weights.get(name, DEFAULT_WEIGHT)
    return groups


Runner = Callable[[Any, str, Any], None]  # (ctx, module name, module) -> None; reports into ctx


def _run_side(ctx: Any, runnable: list[tuple[str, Any]], mine: set[str], run_one: Runner,
              budget: Budget, out: dict[str, Any], catch: bool) -> None:
    import time

    for name, module in runnable:
        if name not in mine:
            continue
        if budget.expired():
            out[name] = ("skipped",)
            continue
        start = len(ctx.findings)
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            run_one(ctx, name, module)
        except OutOfTime:  # the module ran out of time part way: keep what it found
            out[name] = ("cut", ctx.findings[start:], time.perf_counter() - wall, time.process_time() - cpu)
            del ctx.findings[start:]
            continue
        except BaseException:
            if not catch:
                raise
            out[name] = ("error",)
            del ctx.findings[start:]
            continue
        out[name] = ("ok", ctx.findings[start:], time.perf_counter() - wall, time.process_time() - cpu)
        del ctx.findings[start:]


def run_checks(ctx: Any, runnable: list[tuple[str, Any]], run_one: Runner, budget: Budget,
               timings: Any) -> tuple[list[str], list[str]]:
    """Run ``runnable`` (in order) across two processes; returns the modules the time budget
    skipped, and those it stopped part way."""
    parent_side, child_side = split([name for name, _ in runnable], module_weights(runnable, ctx.catalog))
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns, never flushes the parent's buffers
        code = 0
        try:
            os.close(read_fd)
            results: dict[str, Any] = {}
            _run_side(ctx, runnable, child_side, run_one, budget, results, catch=True)
            data = pickle.dumps(results, protocol=pickle.HIGHEST_PROTOCOL)
            with os.fdopen(write_fd, "wb") as pipe:
                pipe.write(data)
        except BaseException:  # noqa: BLE001 - the parent notices the missing results
            code = 1
        finally:
            os._exit(code)
    os.close(write_fd)
    results = {}
    try:
        _run_side(ctx, runnable, parent_side, run_one, budget, results, catch=False)
        with os.fdopen(read_fd, "rb") as pipe:
            data = pipe.read()
    except BaseException:
        _reap(pid, kill=True)
        raise
    _reap(pid, kill=False)
    try:
        child = pickle.loads(data) if data else {}
    except Exception:  # noqa: BLE001 - a truncated message: redo the child's share here
        child = {}
    for name in child_side:
        if isinstance(child.get(name), tuple) and child[name][0] in ("ok", "skipped", "cut"):
            results[name] = child[name]
    skipped: list[str] = []
    cut: list[str] = []
    for name, module in runnable:  # module order, as a serial run would report them
        entry = results.get(name)
        if entry is None or entry[0] == "error":  # the child failed here: run it in this process
            if budget.expired():
                skipped.append(name)
                continue
            with timings.stage(f"check:{name}"):
                try:
                    run_one(ctx, name, module)
                except OutOfTime:
                    cut.append(name)
            continue
        if entry[0] == "skipped":
            skipped.append(name)
            continue
        if entry[0] == "cut":
            cut.append(name)
        ctx.findings.extend(entry[1])
        timings.add(f"check:{name}", entry[2], entry[3])
    timings.note("checks ran in 2 processes (stage times overlap)")
    return skipped, cut


def _reap(pid: int, kill: bool) -> None:
    if kill:
        try:
            os.kill(pid, 9)
        except OSError:
            pass
    try:
        os.waitpid(pid, 0)
    except OSError:
        pass
