"""One review: BASE and HEAD prepared, HEAD parsed once for both, the engine run on each, and the
two results compared.

On a large repository (``pool.usable``: fork available, two CPUs, enough documents) the BASE run
goes to a forked process right after HEAD's files are parsed: it inherits every parse
copy-on-write, runs the engine on BASE while this process runs it on HEAD, and sends back only
its summary (``changes.Side``). Anything wrong in the child costs time, not the result: the BASE
run is then done here.
"""
from __future__ import annotations

import os
import pickle
from pathlib import Path
from typing import Any, Iterable, Optional

from .changes import Review, Side, compare, summarize
from .trees import Prepared, Runner, versions


def review(root: Path, base: Optional[str] = None, head: Optional[str] = None, config: Optional[str] = None,
           select: Iterable[str] = (), ignore: Iterable[str] = (), timings: Any = None,
           parallel: Optional[bool] = None) -> Review:
    old, new = versions(root, base, head)
    with Runner(root, config, select, ignore, timings) as runner:
        after_prepared = runner.prepare(new)
        documents = runner.parse(after_prepared)  # BASE shares every parse of a file it did not change
        before_prepared = runner.prepare(old)
        if parallel is None:
            from ..pool import usable

            parallel = usable(documents) and timings is None
        child = _fork(runner, before_prepared) if parallel else None
        after = summarize(runner.run(after_prepared))
        before = _collect(child) if child is not None else None
        if before is None:
            before = summarize(runner.run(before_prepared))
    return compare(old, new, before, after)


def _fork(runner: Runner, prepared: Prepared) -> Optional[tuple[int, int]]:
    """Start the BASE run in a child; (pid, read fd), or None when fork fails."""
    try:
        read_fd, write_fd = os.pipe()
        pid = os.fork()
    except OSError:
        return None
    if pid == 0:  # the child: never returns, never flushes the parent's buffers
        code = 0
        try:
            os.close(read_fd)
            data = pickle.dumps(summarize(runner.run(prepared)), protocol=pickle.HIGHEST_PROTOCOL)
            with os.fdopen(write_fd, "wb") as pipe:
                pipe.write(data)
        except BaseException:  # noqa: BLE001 - the parent notices the missing summary
            code = 1
        finally:
            os._exit(code)
    os.close(write_fd)
    return pid, read_fd


def _collect(child: tuple[int, int]) -> Optional[Side]:
    pid, read_fd = child
    try:
        with os.fdopen(read_fd, "rb") as pipe:
            data = pipe.read()
    finally:
        os.waitpid(pid, 0)
    try:
        side = pickle.loads(data) if data else None
    except Exception:  # noqa: BLE001 - a truncated message: run BASE here
        return None
    return side if isinstance(side, Side) else None
