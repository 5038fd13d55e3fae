"""docs-: documentation that states what the repository declares, kept in step with it.

A Markdown file may hold a generated table of LoadBalancer addresses between two markers::

    <!-- homeops-lint:ip cluster=home-ops pool=bgp-default -->
    | address | pool | owner | requested by | note |
    ...
    <!-- /homeops-lint:ip -->

``docs-ip-table-drift`` reports a table that differs from the repository (``cluster=`` and
``pool=`` are optional filters); ``--fix`` rewrites what lies between the markers and nothing else.
Rows are compared after trimming trailing blanks and blank edge lines, so an unchanged table is
never rewritten and a fixed file is byte-identical on a second ``--fix``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Optional

from ..context import Context
from ..model import Pos

if TYPE_CHECKING:
    from ..engine import Result

FAMILIES = ("docs",)
MARKDOWN_SUFFIXES = (".md", ".markdown", ".mdx")
MARKER = "homeops-lint:ip"
_OPEN_RE = re.compile(r"<!--\s*homeops-lint:ip((?:\s+[a-z]+=[^\s>]*)*)\s*-->")
_CLOSE_RE = re.compile(r"<!--\s*/homeops-lint:ip\s*-->")
_OPTION_RE = re.compile(r"([a-z]+)=([^\s>]*)")


@dataclass(frozen=True)
class Block:
    """One marked table: the option text and the lines (0-based) between the markers."""

    open_line: int  # 0-based index of the opening marker's line
    close_line: Optional[int]  # None: no closing marker
    options: dict[str, str]
    column: int  # 1-based column of the opening marker


def find_blocks(lines: list[str]) -> list[Block]:
    """The marked tables: a marker is a line of its own, outside fenced code (so documentation that
    shows the markers is not a table)."""
    blocks: list[Block] = []
    fence = ""
    i = 0
    while i < len(lines):
        stripped = lines[i].strip()
        if fence:
            if stripped.startswith(fence):
                fence = ""
            i += 1
            continue
        if stripped.startswith(("```", "~~~")):
            fence = stripped[:3]
            i += 1
            continue
        opened = _OPEN_RE.fullmatch(stripped)
        if opened is None:
            i += 1
            continue
        options = dict(_OPTION_RE.findall(opened.group(1)))
        close = next((j for j in range(i + 1, len(lines)) if _CLOSE_RE.fullmatch(lines[j].strip())), None)
        blocks.append(Block(i, close, options, len(lines[i]) - len(lines[i].lstrip()) + 1))
        i = (close if close is not None else i) + 1
    return blocks


def expected_lines(plan: Any, options: dict[str, str]) -> tuple[Optional[list[str]], str]:
    """The table lines a block must hold, or (None, why) when its options name nothing."""
    from ..ipplan import TABLE_HEADER, markdown_table, table_rows

    unknown = sorted(set(options) - {"cluster", "pool"})
    if unknown:
        return None, f"unknown marker option {unknown[0]}= (use cluster= and pool=)"
    cluster = options.get("cluster")
    if cluster is not None and plan.cluster(cluster) is None:
        return None, f"no cluster named {cluster} (clusters: {', '.join(c.name for c in plan.clusters)})"
    pool = options.get("pool")
    if pool is not None and not any(p.name == pool for c in plan.clusters if cluster in (None, c.name)
                                     for p in c.pools):
        return None, f"no pool named {pool}"
    rows = table_rows(plan, cluster, pool)
    if cluster is None and len(plan.clusters) > 1:
        names = [c.name for c in plan.clusters for _ in table_rows(plan, c.name, pool)]
        return markdown_table(("cluster",) + TABLE_HEADER, [(n,) + r for n, r in zip(names, rows)]), ""
    return markdown_table(TABLE_HEADER, rows), ""


def _normal(lines: list[str]) -> list[str]:
    out = [line.rstrip() for line in lines]
    while out and not out[0]:
        out.pop(0)
    while out and not out[-1]:
        out.pop()
    return out


@dataclass(frozen=True)
class Drift:
    block: Block
    line: int  # 1-based line of the first differing row (or the marker)
    message: str
    wanted: Optional[list[str]]  # the table to write; None when it cannot be fixed


def drifts(text: str, plan: Any) -> list[Drift]:
    lines = text.split("\n")
    out: list[Drift] = []
    for block in find_blocks(lines):
        if block.close_line is None:
            out.append(Drift(block, block.open_line + 1, "the homeops-lint:ip marker has no closing "
                             "<!-- /homeops-lint:ip -->; add it below the table", None))
            continue
        wanted, why = expected_lines(plan, block.options)
        if wanted is None:
            out.append(Drift(block, block.open_line + 1, f"the IP table's marker cannot be filled: {why}", None))
            continue
        have_raw = [line.rstrip("\r") for line in lines[block.open_line + 1:block.close_line]]
        have = _normal(have_raw)
        if have == wanted:
            continue
        first_body = next((k for k, line in enumerate(have_raw) if line.strip()), 0)
        index = next((k for k, (a, b) in enumerate(zip(have, wanted)) if a != b), min(len(have), len(wanted)))
        line = block.open_line + 2 + first_body + index
        if index < len(have) and index < len(wanted):
            detail = f"it has {have[index]!r} where the repository gives {wanted[index]!r}"
        elif index < len(wanted):
            detail = f"it lacks {wanted[index]!r}"
            line = block.close_line + 1
        else:
            detail = f"it has {have[index]!r}, which the repository no longer gives"
        where = "in its header" if index < 2 else f"at row {index - 1}"
        out.append(Drift(block, line, f"the IP table differs from the repository {where}: {detail}; run "
                         "'homeops-lint --fix' to rewrite it", wanted))
    return out


def check(ctx: Context) -> None:
    if not ctx.enabled("docs-ip-table-drift"):
        return
    from ..ipplan import build_plan

    plan = None
    for source in ctx.index.files:
        if not source.path.lower().endswith(MARKDOWN_SUFFIXES) or MARKER not in source.text:
            continue
        if plan is None:
            plan = build_plan(ctx.index, ctx.policy)
        for drift in drifts(source.text, plan):
            column = drift.block.column if drift.line == drift.block.open_line + 1 else 1
            ctx.report("docs-ip-table-drift", source.path, message=drift.message, pos=Pos(drift.line, column))


def rewrite(text: str, plan: Any) -> str:
    """``text`` with every drifted table replaced; only the lines between the markers change, and the
    file's line ending (LF or CRLF) is kept."""
    lines = text.split("\n")
    for drift in reversed(drifts(text, plan)):
        if drift.wanted is None or drift.block.close_line is None:
            continue
        eol = "\r" if lines[drift.block.open_line].endswith("\r") else ""
        lines[drift.block.open_line + 1:drift.block.close_line] = [line + eol for line in drift.wanted]
    return "\n".join(lines)


def fix_text(result: Result, path: str, text: str) -> Optional[tuple[str, str, int]]:
    """The ``--fix`` of a Markdown file: (new text, description, line), or None when nothing drifted."""
    if not path.lower().endswith(MARKDOWN_SUFFIXES) or MARKER not in text:
        return None
    from ..ipplan import build_plan

    plan = build_plan(result.index, result.policy)
    found = [d for d in drifts(text, plan) if d.wanted is not None]
    if not found:
        return None
    new_text = rewrite(text, plan)
    if new_text == text:
        return None
    count = len(found)
    return new_text, f"rewrite {count} IP table{'s' if count != 1 else ''} from the repository", found[0].line


# fixer id -> (the rule whose finding it fixes, function); ``homeops_lint/fix.py`` collects them.
TEXT_FIXERS = {"docs-ip-table": ("docs-ip-table-drift", fix_text)}
