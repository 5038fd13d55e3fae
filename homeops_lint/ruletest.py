"""Rule tests as data (run by ``homeops-lint test DIR``), in the spirit of ``kyverno test``.

A test case is a folder holding a ``homeops-lint-test.yaml`` beside the manifests::

    # what linting this folder must report, and nothing else
    select: [lb-]            # optional: run and compare only these rules / families (default: all)
    rules: [../../rules]     # optional: declarative rule folders or files to load (relative to here)
    expect:
      - {rule: lb-ip-outside-pool, path: apps/web.yaml, line: 9, column: 9}
      - {rule: secret-inline, path: secret.yaml, line: 7, contains: "stringData.password"}

The folder is linted as its own repository root (the test file itself is excluded). The case
passes when the findings of the compared rules are exactly the expected ones: ``column``,
``contains`` (a message substring) and ``severity`` (error, warning or info) are optional.

A case can also carry its repository inline, so that it is one file::

    files:
      pools.yaml: |
        apiVersion: cilium.io/v2
        ...
    expect: [...]

The case is then linted in a temporary folder of the same name that holds exactly those files (the
case folder's other files are not used); nothing is written beside the case.
"""
from __future__ import annotations

import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import Any, Iterator, Optional

from . import yamlload
from .model import Finding

TEST_FILE = "homeops-lint-test.yaml"


@dataclass
class CaseResult:
    folder: Path
    missing: list[dict[str, Any]] = field(default_factory=list)
    unexpected: list[Finding] = field(default_factory=list)
    error: Optional[str] = None

    @property
    def ok(self) -> bool:
        return self.error is None and not self.missing and not self.unexpected


def find_cases(folder: Path) -> list[Path]:
    return sorted(p.parent for p in folder.rglob(TEST_FILE) if ".git" not in p.parts)


def _matches(entry: dict[str, Any], finding: Finding) -> bool:
    if entry.get("rule") != finding.rule or entry.get("path") != finding.path:
        return False
    if "line" in entry and entry["line"] != finding.line:
        return False
    if "column" in entry and entry["column"] != finding.column:
        return False
    if "contains" in entry and str(entry["contains"]) not in finding.message:
        return False
    if "severity" in entry and str(entry["severity"]) != finding.severity.value:
        return False
    return True


def load_spec(folder: Path) -> dict[str, Any]:
    text = (folder / TEST_FILE).read_text(encoding="utf-8")
    spec = yamlload.load_one(text)
    if spec is None:
        return {"expect": []}
    if not isinstance(spec, dict) or not isinstance(spec.get("expect", []), list):
        raise ValueError(f"{folder / TEST_FILE}: expected a mapping with an 'expect' list")
    return spec


def inline_files(spec: dict[str, Any]) -> Optional[dict[str, str]]:
    """The case's ``files:`` (relative POSIX path -> text), checked; None when the case has none."""
    files = spec.get("files")
    if files is None:
        return None
    if not isinstance(files, dict) or not files:
        raise ValueError("'files' must be a mapping of relative paths to file texts")
    checked: dict[str, str] = {}
    for name, text in files.items():
        path = PurePosixPath(str(name))
        if (not isinstance(text, str) or path.is_absolute() or ".." in path.parts or "\\" in str(name)
                or str(path) in ("", ".") or path.as_posix() == TEST_FILE):
            raise ValueError(f"'files': {name!r} must be a relative path inside the case (no '..', "
                             f"not {TEST_FILE}) with a text value")
        checked[path.as_posix()] = text
    return checked


@contextmanager
def case_root(folder: Path, spec: dict[str, Any]) -> Iterator[Path]:
    """The repository a case lints: its folder, or a temporary copy of its inline ``files``."""
    files = inline_files(spec)
    if files is None:
        yield folder
        return
    with tempfile.TemporaryDirectory(prefix="homeops-lint-case-") as tmp:
        root = Path(tmp) / folder.resolve().name  # the folder's name: a cluster is named after its root
        for name, text in files.items():
            target = root / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        yield root


def run_case(folder: Path) -> CaseResult:
    from .engine import Options, run

    result = CaseResult(folder)
    try:
        spec = load_spec(folder)
        rule_dirs = [str((folder / str(d)).resolve()) for d in spec.get("rules") or []]
        with case_root(folder, spec) as root:
            # With `select`, only those rules run: the case then judges them alone, and the engine's
            # one-finding-per-problem preference between families cannot hide what it tests.
            lint = run(Options(paths=[str(root)], root=str(root), extra_exclude=[TEST_FILE],
                               rule_dirs=rule_dirs, select=[str(s) for s in spec.get("select") or []]))
    except Exception as exc:  # a broken case is a failed case, not a crashed runner
        result.error = f"{type(exc).__name__}: {exc}"
        return result
    select = spec.get("select") or []
    compared = lint.catalog.matching(select) if select else None  # includes the case's own rules
    findings = [f for f in lint.findings if compared is None or f.rule in compared]
    expected = [dict(e) for e in spec.get("expect") or []]
    remaining = list(findings)
    for entry in expected:
        hit = next((f for f in remaining if _matches(entry, f)), None)
        if hit is None:
            result.missing.append(entry)
        else:
            remaining.remove(hit)
    # ``describe`` prints these: their messages are masked like every report's.
    result.unexpected = [replace(f, message=lint.masker.message(f)) for f in remaining]
    return result


def describe(result: CaseResult, base: Path) -> str:
    try:
        name = result.folder.relative_to(base).as_posix() or "."
    except ValueError:
        name = str(result.folder)
    if result.ok:
        return f"PASS {name}"
    lines = [f"FAIL {name}"]
    if result.error:
        lines.append(f"  error: {result.error}")
    for entry in result.missing:
        where = f"{entry.get('path')}:{entry.get('line', '?')}:{entry.get('column', '?')}"
        lines.append(f"  missing:    {where} {entry.get('rule')}")
    for finding in result.unexpected:
        lines.append(f"  unexpected: {finding.path}:{finding.line}:{finding.column} {finding.rule} {finding.message}")
    return "\n".join(lines)
