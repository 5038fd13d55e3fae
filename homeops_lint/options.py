"""What a run is asked to do (``Options``), kept apart from the engine so that building it costs no
import of the pipeline: a cache hit replays a run without ever loading the engine."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Optional

if TYPE_CHECKING:
    from .discover import Discovery
    from .policy import Policy
    from .source import ParseMemo
    from .timing import Timings


@dataclass
class Options:
    paths: list[str] = field(default_factory=lambda: ["."])
    root: Optional[str] = None  # force the root instead of finding it
    config: Optional[str] = None
    select: list[str] = field(default_factory=list)
    ignore: list[str] = field(default_factory=list)
    extra_exclude: list[str] = field(default_factory=list)  # e.g. the test runner's expectation file
    show_only: Optional[set[str]] = None  # relative paths whose findings are shown (hooks, --changed)
    rule_dirs: list[str] = field(default_factory=list)  # declarative rule folders/files beyond the policy's
    timings: Optional["Timings"] = None  # --timings: stage and check-module breakdown
    # (root, policy, discovery) already computed for these options (the cache key needs them):
    # a cache miss then does not find the root, load the policy and list the files twice.
    prelude: Optional[tuple[Path, "Policy", "Discovery"]] = None
    # Parses shared with another run over a version of the same tree (``homeops-lint diff``).
    parses: Optional["ParseMemo"] = None


def split_values(values: Optional[Iterable[str]]) -> list[str]:
    """Repeatable comma-separated option values (``--select a,b --select c``) as one list."""
    out: list[str] = []
    for value in values or []:
        out.extend(v.strip() for v in value.split(",") if v.strip())
    return out
