"""Stage 6: suppressions — comments in the files, and ``ignore:`` entries in the policy.

``# homeops-lint: disable=RULE[,RULE] -- reason`` silences findings on its own line (as a trailing
comment) or, on a line of its own, on the next line as well. ``# homeops-lint: disable-file=RULE --
reason`` silences the rule in the whole file. A suppression that silences nothing is reported as
``suppression-unused``; one without a reason as ``suppression-missing-reason``.
"""
from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field
from typing import Iterable, Optional

from .catalog import Catalog
from .discover import matches_any
from .model import Finding, Pos, Severity, SourceFile
from .policy import Policy

_DIRECTIVE_RE = re.compile(
    r"homeops-lint:\s*(?P<kind>disable-file|disable-line|disable)\s*=\s*(?P<rules>[A-Za-z0-9,\- ]+?)"
    r"\s*(?:--\s*(?P<reason>.*?))?\s*(?:-->)?\s*$"
)
SUPPRESSION_RULES = ("suppression-unused", "suppression-missing-reason")


@dataclass
class Directive:
    path: str
    line: int
    column: int
    rules: tuple[str, ...]
    reason: str
    file_wide: bool
    covers: tuple[int, ...]  # lines it applies to (empty for file-wide)
    used: set[str] = field(default_factory=set)


def _rule_matches(pattern: str, rule_id: str) -> bool:
    if pattern in ("all", "ALL"):
        return True
    if pattern.endswith("-"):
        return rule_id.startswith(pattern)
    return rule_id == pattern


def parse_directives(source: SourceFile) -> list[Directive]:
    text = source.text
    if "homeops-lint:" not in text:
        return []
    out: list[Directive] = []
    for number, line in enumerate(text.splitlines(), 1):
        if "homeops-lint:" not in line:
            continue
        match = _DIRECTIVE_RE.search(line)
        if not match:
            continue
        rules = tuple(r.strip() for r in match.group("rules").split(",") if r.strip())
        reason = (match.group("reason") or "").strip()
        file_wide = match.group("kind") == "disable-file"
        before = line[: match.start()]
        comment_start = max(before.rfind("#"), before.rfind("<!--"))
        own_line = before[: comment_start if comment_start >= 0 else len(before)].strip() == ""
        covers: tuple[int, ...] = ()
        if not file_wide:
            covers = (number, number + 1) if own_line else (number,)
        column = (comment_start if comment_start >= 0 else match.start()) + 1
        out.append(Directive(source.path, number, column, rules, reason, file_wide, covers))
    return out


@dataclass
class IgnoreEntry:
    index: int
    rule: str
    path: Optional[str]
    resource: Optional[str]
    reason: str
    used: bool = False


def _policy_ignores(policy: Policy) -> list[IgnoreEntry]:
    entries = policy.data.get("ignore")
    out = []
    if isinstance(entries, list):
        for i, entry in enumerate(entries):
            if isinstance(entry, dict) and isinstance(entry.get("rule"), str):
                out.append(IgnoreEntry(i, entry["rule"], entry.get("path"), entry.get("resource"),
                                       str(entry.get("reason") or "")))
    return out


def apply(
    findings: list[Finding],
    files: Iterable[SourceFile],
    policy: Policy,
    catalog: Catalog,
    enabled: frozenset[str],
    severity_of: "callable[[str], Severity]",  # type: ignore[valid-type]
) -> tuple[list[Finding], list[Finding]]:
    """Return (kept findings including suppression findings, suppressed findings)."""
    directives: dict[str, list[Directive]] = {}
    for source in files:
        found = parse_directives(source)
        if found:
            directives[source.path] = found
    ignores = _policy_ignores(policy)
    kept: list[Finding] = []
    suppressed: list[Finding] = []
    for finding in findings:
        if finding.rule.startswith("suppression-"):
            kept.append(finding)
            continue
        hit = False
        for directive in directives.get(finding.path, ()):
            if not directive.file_wide and finding.line not in directive.covers:
                continue
            for pattern in directive.rules:
                if _rule_matches(pattern, finding.rule):
                    directive.used.add(pattern)
                    hit = True
        for entry in ignores:
            if not _rule_matches(entry.rule, finding.rule):
                continue
            if entry.path and not matches_any(finding.path, [entry.path]):
                continue
            if entry.resource and not fnmatch.fnmatchcase(finding.resource, entry.resource):
                continue
            entry.used = True
            hit = True
        (suppressed if hit else kept).append(finding)

    def report(rule: str, path: str, pos: Pos, message: str) -> None:
        if rule in enabled:
            kept.append(Finding(rule, severity_of(rule), path, pos.line, pos.column, message))

    for path, items in directives.items():
        for directive in items:
            pos = Pos(directive.line, directive.column)
            for pattern in directive.rules:
                known = pattern in ("all", "ALL") or any(_rule_matches(pattern, r) for r in catalog.rules)
                if not known:
                    report("suppression-unused", path, pos,
                           f"suppression names '{pattern}', which is not a rule id or family prefix")
                elif pattern not in directive.used and any(_rule_matches(pattern, r) for r in enabled
                                                            if not r.startswith("suppression-")):
                    scope = "this file" if directive.file_wide else f"line {directive.covers[-1]}"
                    report("suppression-unused", path, pos,
                           f"suppression of '{pattern}' matches no finding on {scope}; remove it")
            if not directive.reason:
                report("suppression-missing-reason", path, pos,
                       "suppression has no reason; add one after ' -- ' so reviewers know why")
    if policy.path is not None:
        for entry in ignores:
            if not entry.used and any(_rule_matches(entry.rule, r) for r in enabled
                                      if not r.startswith("suppression-")):
                _, pos, _ = policy.locate("ignore", entry.index)
                report("suppression-unused", policy.path, pos,
                       f"ignore entry for '{entry.rule}' matches no finding; remove it")
    return kept, suppressed
