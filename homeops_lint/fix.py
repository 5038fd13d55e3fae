"""``--fix``, ``--diff`` and ``--unsafe-fixes``: mechanical fixes that keep every other byte.

Fixers find the shapes in the shared index (positions come from the loader) and describe each fix
twice: as small text edits at exact positions, and as the change it must make to the data. A file
is rewritten only when parsing the edited text with ruamel.yaml (round-trip mode, YAML 1.2) gives
exactly the original data plus the intended change; otherwise the file is left alone and a note
says why. Comments, quoting, indentation and key order are therefore untouched. Writes are atomic.

A check module registers its fixers beside its checks: ``FIXERS`` maps a fixer id to (the rule
whose finding it fixes, ``function(doc, source, index) -> list[Fix]``), and ``TEXT_FIXERS`` maps a
fixer id to (rule, ``function(result, path, text)``) for non-YAML files; ``all_fixers()`` and
``all_text_fixers()`` collect them. This module is the framework: edits, plan, apply.

A fix is *safe* when it cannot change what the cluster does; the others need ``--unsafe-fixes``.
Each fixer's module says which of its fixes are safe (the LB fixers: ``checks/lb/fix.py``):

| fix | safe when | unsafe when |
|---|---|---|
| add `method: plugin` (and `pluginConfiguration.name`) to a ScheduledBackup of a plugin-only CNPG Cluster | never | always: backups start going to the plugin's ObjectStore |
"""
from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Optional, Union

from .model import Document, KeyPath, Map
from .model import to_plain as _plain



@dataclass(frozen=True)
class Replace:
    line: int  # 1-based
    column: int  # 1-based start of ``old``
    old: str
    new: str


@dataclass(frozen=True)
class InsertLines:
    before: int  # 1-based line the new lines go in front of
    lines: tuple[str, ...]


@dataclass(frozen=True)
class DeleteLine:
    line: int


TextEdit = Union[Replace, InsertLines, DeleteLine]
# The intended data change, checked against a ruamel re-parse: (document index, path, action, arg).
DataChange = tuple[int, KeyPath, str, Any]


@dataclass(frozen=True)
class Fix:
    path: str
    line: int
    fixer: str
    description: str
    safe: bool
    edits: tuple[TextEdit, ...]
    changes: tuple[DataChange, ...]


@dataclass
class FixReport:
    applied: list[Fix] = field(default_factory=list)
    unsafe_skipped: list[Fix] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)  # (path, why)
    diffs: list[str] = field(default_factory=list)
    new_texts: dict[str, str] = field(default_factory=dict)


# ---------------------------------------------------------------- text helpers for fixers

def token_at(line: str, column: int) -> str:
    """The scalar or key token starting at ``column`` (1-based): quoted, or plain up to ': ', ' #', ',' or end."""
    rest = line[column - 1:]
    if rest[:1] in ("'", '"'):
        quote = rest[0]
        end = rest.find(quote, 1)
        while quote == '"' and end > 0 and rest[end - 1] == "\\":
            end = rest.find(quote, end + 1)
        return rest[: end + 1] if end > 0 else ""
    stops = [i for i in (rest.find(": "), rest.find(" #"), rest.find(","), rest.find("}"), rest.find("]"))
             if i >= 0]
    token = rest[: min(stops)] if stops else rest
    return token.rstrip(":").rstrip()


def unquote(token: str) -> str:
    return token[1:-1] if len(token) >= 2 and token[0] == token[-1] and token[0] in "'\"" else token


# ---------------------------------------------------------------- fixer registry

Fixer = Callable[[Document, Any, Any], list[Fix]]


def all_fixers(families: Optional[Iterable[str]] = None) -> dict[str, tuple[str, Fixer]]:
    """Every YAML fixer: the ``FIXERS`` of each check module, in module order.
    With ``families``, only those of the check modules named after these families."""
    out: dict[str, tuple[str, Fixer]] = {}
    for module in _check_modules(families):
        out.update(getattr(module, "FIXERS", {}))
    return out


def all_text_fixers(families: Optional[Iterable[str]] = None) -> dict[str, tuple[str, Callable[[Any, str, str], Any]]]:
    """Fixers of whole text files that are not YAML (a README's generated table): the
    ``TEXT_FIXERS`` of each check module, fixer id -> (rule, function). The function takes (lint
    result, path, text) and returns (new text, description, line) or None."""
    out: dict[str, tuple[str, Callable[[Any, str, str], Any]]] = {}
    for module in _check_modules(families):
        out.update(getattr(module, "TEXT_FIXERS", {}))
    return out


def _check_modules(families: Optional[Iterable[str]] = None) -> list[Any]:
    """The check modules (imported), or only those named after ``families`` (a family's fixers
    live in its own module): counting the fixes of a few findings imports no other family."""
    import importlib

    from .engine import check_modules

    names = check_modules()
    if families is not None:
        wanted = set(families)
        names = [name for name in names if name in wanted]
    return [importlib.import_module(f"homeops_lint.checks.{name}") for name in names]


def fixer_rule(fixer_id: str) -> str:
    known = all_fixers()
    return known[fixer_id][0] if fixer_id in known else all_text_fixers()[fixer_id][0]


# ---------------------------------------------------------------- applying

def apply_edits(text: str, edits: Iterable[TextEdit]) -> str:
    """Apply edits bottom-up so earlier positions stay valid; raise ValueError when text moved."""
    lines = text.split("\n")

    def order(edit: TextEdit) -> tuple[int, int]:
        if isinstance(edit, Replace):
            return (edit.line, edit.column)
        return (edit.before if isinstance(edit, InsertLines) else edit.line, 0)

    for edit in sorted(edits, key=order, reverse=True):
        if isinstance(edit, Replace):
            current = lines[edit.line - 1]
            start = edit.column - 1
            if current[start:start + len(edit.old)] != edit.old:
                raise ValueError(f"line {edit.line} changed since it was read")
            lines[edit.line - 1] = current[:start] + edit.new + current[start + len(edit.old):]
        elif isinstance(edit, InsertLines):
            eol = "\r" if lines[edit.before - 1].endswith("\r") else ""
            lines[edit.before - 1:edit.before - 1] = [line + eol for line in edit.lines]
        else:
            del lines[edit.line - 1]
    return "\n".join(lines)



def _load_all(text: str) -> list[Any]:
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    return [_plain(d) for d in yaml.load_all(text)]


def _expected(before: list[Any], changes: Iterable[DataChange]) -> list[Any]:
    import copy

    docs = copy.deepcopy(before)
    for index, path, action, arg in changes:
        node = docs[index]
        for step in path:
            node = node[step]
        if action == "rename":
            old, new = arg
            node[new] = node.pop(old)
        elif action == "delete":
            del node[arg]
        elif action == "set":
            key, value = arg
            node[key] = value
    return docs


def plan(text: str, fixes: list[Fix]) -> str:
    """The fixed text, verified with a ruamel round-trip parse; ValueError when it does not check out."""
    new_text = apply_edits(text, [e for f in fixes for e in f.edits])
    try:
        before = _load_all(text)
        after = _load_all(new_text)
        expected = _expected(before, [c for f in fixes for c in f.changes])
    except Exception as exc:  # noqa: BLE001 - ruamel raises many types; any of them means "don't touch"
        raise ValueError(f"ruamel.yaml cannot verify the edit ({type(exc).__name__})") from None
    if after != expected:
        raise ValueError("the edited file would not parse to the intended data")
    return new_text


def collect(result: Any, fixers: Iterable[str], selected: Optional[set[str]],
            families: Optional[Iterable[str]] = None) -> dict[str, list[Fix]]:
    wanted = set(fixers)
    chosen = [(fixer_id, fixer) for fixer_id, (_rule, fixer) in all_fixers(families).items() if fixer_id in wanted]
    by_path: dict[str, list[Fix]] = {}
    for source in result.index.files:
        if selected is not None and not any(_shown_path(source.path, s) for s in selected):
            continue
        for doc in source.documents:
            for _fixer_id, fixer in chosen:
                for fix in fixer(doc, source, result.index):
                    by_path.setdefault(fix.path, []).append(fix)
    return by_path


def _shown_path(path: str, selected: str) -> bool:
    return path == selected or path.startswith(selected.rstrip("/") + "/")


def fix_repo(result: Any, fixers: Iterable[str], selected: Optional[set[str]], unsafe: bool) -> FixReport:
    report = FixReport()
    root = Path(result.root)
    for path, fixes in sorted(collect(result, fixers, selected).items()):
        chosen = [f for f in fixes if f.safe or unsafe]
        report.unsafe_skipped += [f for f in fixes if not (f.safe or unsafe)]
        if not chosen:
            continue
        source = result.index.file(path)
        try:
            with open(root / path, encoding="utf-8", newline="") as handle:  # keep CRLF as it is
                text = handle.read()
        except (OSError, UnicodeDecodeError) as exc:
            report.refused.append((path, f"cannot read it ({exc})"))
            continue
        if source is not None and source.text and text.replace("\r\n", "\n") != source.text.replace("\r\n", "\n"):
            report.refused.append((path, "it changed while homeops-lint was running"))
            continue
        try:
            new_text = plan(text, chosen)
        except ValueError as exc:
            report.refused.append((path, str(exc)))
            continue
        report.applied += chosen
        report.new_texts[path] = new_text
        report.diffs.append(_masked_diff(result, path, text, new_text))
    _fix_text_files(result, set(fixers), selected, report)
    return report


def _fix_text_files(result: Any, fixers: set[str], selected: Optional[set[str]], report: FixReport) -> None:
    wanted = [(fixer_id, fixer) for fixer_id, (_rule, fixer) in all_text_fixers().items() if fixer_id in fixers]
    if not wanted:
        return
    root = Path(result.root)
    for source in result.index.files:
        if source.documents or source.path in report.new_texts or not source.text:
            continue
        if selected is not None and not any(_shown_path(source.path, s) for s in selected):
            continue
        for fixer_id, fixer in wanted:
            try:
                with open(root / source.path, encoding="utf-8", newline="") as handle:  # keep CRLF as it is
                    text = handle.read()
            except (OSError, UnicodeDecodeError) as exc:
                report.refused.append((source.path, f"cannot read it ({exc})"))
                break
            if text.replace("\r\n", "\n") != source.text.replace("\r\n", "\n"):
                report.refused.append((source.path, "it changed while homeops-lint was running"))
                break
            fixed = fixer(result, source.path, text)
            if fixed is None:
                continue
            new_text, description, line = fixed
            report.applied.append(Fix(source.path, line, fixer_id, description, True, (), ()))
            report.new_texts[source.path] = new_text
            report.diffs.append(_masked_diff(result, source.path, text, new_text))
            break


def _masked_diff(result: Any, path: str, text: str, new_text: str) -> str:
    """The unified diff of one file, every line but the two headers masked like any source line."""
    import difflib

    diff = difflib.unified_diff(text.splitlines(keepends=True), new_text.splitlines(keepends=True),
                                fromfile=f"a/{path}", tofile=f"b/{path}")
    return "".join(line if number < 2 else _masked_diff_line(result, path, line) for number, line in enumerate(diff))


def _masked_diff_line(result: Any, path: str, line: str) -> str:
    """A ``--diff`` line with the file's secrets hidden (context lines are source lines too)."""
    if line[:1] not in (" ", "+", "-"):
        return line  # a hunk header
    body = line[1:]
    ending = body[len(body.rstrip("\r\n")):]
    return line[0] + result.masker.line(path, body[:len(body) - len(ending)]) + ending


def active_fixers(result: Any, options: Any, families: Optional[Iterable[str]] = None) -> set[str]:
    """The fixers whose rule is enabled in this run (``--select``/``--ignore``/policy severity off).

    A rule missing from the catalog (a custom build without that family) falls back to its family
    prefix being selected, so ``--ignore lb-`` still turns the LB fixers off.
    """
    from .engine import enabled_rules

    enabled = enabled_rules(result.catalog, result.policy, options.select, options.ignore)
    active = set()
    registry = [*all_fixers(families).items(), *all_text_fixers(families).items()]
    for fixer_id, rule_id in [(f, r) for f, (r, _fn) in registry]:
        if rule_id in enabled:
            active.add(fixer_id)
        elif result.catalog.get(rule_id) is None:
            family = rule_id.split("-", 1)[0]
            if not options.select and not ({family, family + "-"} & set(options.ignore)):
                active.add(fixer_id)
    return active


def run_fixes(options: Any, write: bool, unsafe: bool) -> int:
    """Collect and apply (or with ``write=False`` print) the fixes; returns the CLI exit code part.

    With ``--diff`` the exit code is 1 when there is something to fix, as ruff does.
    """
    from .engine import run, selected_paths
    from .fsutil import atomic_write

    result = run(options)
    selected = options.show_only if options.show_only is not None else selected_paths(Path(result.root), options.paths)
    report = fix_repo(result, active_fixers(result, options), selected, unsafe)
    root = Path(result.root)
    if write:
        for path, text in sorted(report.new_texts.items()):
            atomic_write(str(root / path), text)
        for fix in report.applied:
            sys.stderr.write(f"homeops-lint: fixed {fix.path}:{fix.line}: {fixer_rule(fix.fixer)}: {fix.description}\n")
    else:
        sys.stdout.write("".join(report.diffs))
    for path, why in report.refused:
        sys.stderr.write(f"homeops-lint: left {path} alone: {why}\n")
    if report.unsafe_skipped:
        count = len(report.unsafe_skipped)
        sys.stderr.write(f"homeops-lint: {count} more fix{'es' if count != 1 else ''} available with "
                         f"--unsafe-fixes ({', '.join(sorted({fixer_rule(f.fixer) for f in report.unsafe_skipped}))})\n")
    return 1 if report.applied and not write else 0


def fixable_counts(result: Any, options: Any) -> tuple[int, int]:
    """(safe, unsafe) fixes for the *shown* findings, for the text summary's "[*] N fixable" line.

    A fix is counted against the findings of its rule in its file (a fixer points at the line it
    edits, which need not be the finding's line), never more fixes than there are such findings,
    so fixes for suppressed, baselined or hidden findings are not advertised.
    """
    families = {finding.rule.split("-", 1)[0] for finding in result.findings}
    registry = all_fixers(families)
    fixable_rules = {rule for rule, _fixer in registry.values()}
    findings: dict[tuple[str, str], int] = {}
    for finding in result.findings:
        if finding.rule in fixable_rules:
            findings[(finding.path, finding.rule)] = findings.get((finding.path, finding.rule), 0) + 1
    if not findings:
        return 0, 0
    safe = unsafe = 0
    for path, fixes in collect(result, active_fixers(result, options, families), {p for p, _ in findings},
                               families).items():
        for rule in {registry[f.fixer][0] for f in fixes}:
            left = findings.get((path, rule), 0)
            for fix in sorted((f for f in fixes if registry[f.fixer][0] == rule), key=lambda f: not f.safe):
                if left == 0:
                    break
                left -= 1
                if fix.safe:
                    safe += 1
                else:
                    unsafe += 1
    return safe, unsafe
