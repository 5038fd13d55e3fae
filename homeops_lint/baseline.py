"""Baselines: record today's findings once, then show only new ones (``--baseline FILE``).

For adopting the tool on a large repo without fixing everything at once. An entry is keyed
**without line numbers**: rule, path, resource, key path and a fingerprint. The fingerprint
is the rule's own ``Finding.fingerprint`` when it sets one (secret rules: never value-derived); otherwise a short hash of the finding's
source line with whitespace normalised and secrets masked (so a changed value is a new finding, and
no value is ever stored). Editing unrelated lines, or moving a block, leaves entries valid.

The file's extension picks its format: ``.json`` is JSON, anything else (``.yaml``, ``.yml``) is
YAML; both are read whatever the name. Either way there is one entry per line, sorted, without
timestamps or line numbers, so it diffs and merges cleanly::

    # homeops-lint baseline ...
    version: 1
    entries:
    - {"rule": "lb-ip-outside-pool", "path": "apps/x.yaml", "resource": "Service/default/x", ...}

    {
      "version": 1,
      "entries": [
        {"rule": "lb-ip-outside-pool", "path": "apps/x.yaml", "resource": "Service/default/x", ...}
      ]
    }

Entries that no longer match a finding are *stale*: the run says so on stderr (a note, not a
finding: a stale entry means something got fixed, which should never fail a build) and
``baseline write`` drops them.
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Optional, Sequence

from .errors import UsageError
from .model import Finding

if TYPE_CHECKING:
    from .engine import Result

VERSION = 1
FIELDS = ("rule", "path", "resource", "key", "fingerprint")
HEADER = ("# homeops-lint baseline: findings recorded by 'homeops-lint baseline write'; --baseline hides them.\n"
          "# One entry per line, keyed without line numbers; regenerate it instead of editing by hand.\n")
_SPACE = re.compile(r"\s+")

Key = tuple[str, ...]


def _source_line(result: Result, finding: Finding) -> Optional[str]:
    source = result.files_by_path.get(finding.path)
    if source is None:
        return None
    return source.line_text(finding.line)


def fingerprint(finding: Finding, result: Result) -> str:
    """A value fingerprint for ``finding`` that never contains the value itself."""
    if finding.fingerprint:
        return finding.fingerprint
    if not finding.key and (finding.line, finding.column) == (1, 1):
        return ""  # a file-level finding: the path and rule say it all
    from .report.common import source_line

    if _source_line(result, finding) is None:
        return ""
    normal = _SPACE.sub(" ", source_line(result, finding)).strip()
    return "l:" + hashlib.sha256(normal.encode("utf-8")).hexdigest()[:16]


def finding_key(finding: Finding, result: Result) -> Key:
    return (finding.rule, finding.path, finding.resource, finding.key, fingerprint(finding, result))


@dataclass(frozen=True)
class Entry:
    rule: str
    path: str
    resource: str
    key: str
    fingerprint: str
    count: int = 1

    @property
    def ident(self) -> Key:
        return (self.rule, self.path, self.resource, self.key, self.fingerprint)

    def describe(self) -> str:
        where = f" [{self.resource}]" if self.resource else ""
        at = f" at {self.key}" if self.key else ""
        return f"{self.path}: {self.rule}{where}{at}"


def entries_for(findings: Iterable[Finding], result: Result) -> list[Entry]:
    counts: dict[Key, int] = {}
    for finding in findings:
        key = finding_key(finding, result)
        counts[key] = counts.get(key, 0) + 1
    return [Entry(*key, count=n) for key, n in sorted(counts.items())]


def is_json(path: str) -> bool:
    """Whether a baseline named ``path`` is written as JSON (else YAML)."""
    return Path(path).suffix.lower() == ".json"


def dumps(entries: Sequence[Entry], as_json: bool = False) -> str:
    records = []
    for entry in sorted(entries, key=lambda e: e.ident):
        record: dict[str, Any] = {name: getattr(entry, name) for name in FIELDS}
        if entry.count != 1:
            record["count"] = entry.count
        records.append(json.dumps(record, ensure_ascii=False, sort_keys=False))
    if as_json:  # JSON has no comments: the header is YAML-only
        body = ",\n".join(f"    {record}" for record in records)
        return f'{{\n  "version": {VERSION},\n  "entries": [' + (f"\n{body}\n  ]" if records else "]") + "\n}\n"
    lines = [HEADER, f"version: {VERSION}\n"]
    if not records:
        lines.append("entries: []\n")
        return "".join(lines)
    lines.append("entries:\n")
    lines.extend(f"- {record}\n" for record in records)
    return "".join(lines)


def loads(text: str, source: str = "baseline") -> list[Entry]:
    from . import yamlload

    try:
        # JSON first when it looks like JSON (any JSON file, not only ones YAML can also read),
        # so that a .json and a .yaml baseline are both read whatever their name.
        data = json.loads(text) if text.lstrip().startswith("{") else yamlload.load_one(text)
    except ValueError as exc:  # json.JSONDecodeError is a ValueError
        raise UsageError(f"{source}: not a baseline file ({exc})") from None
    if not isinstance(data, dict) or "entries" not in data or not isinstance(data["entries"] or [], list):
        raise UsageError(f"{source}: not a baseline file (expected 'version' and 'entries')")
    if data.get("version") != VERSION:
        raise UsageError(f"{source}: baseline version {data.get('version')!r} is not supported (expected {VERSION})")
    out = []
    for number, item in enumerate(data.get("entries") or [], 1):
        if not isinstance(item, dict) or not isinstance(item.get("rule"), str):
            raise UsageError(f"{source}: entry {number} is not a mapping with a rule")
        count = item.get("count", 1)
        out.append(Entry(*(str(item.get(name) or "") for name in FIELDS),
                         count=count if isinstance(count, int) and count > 0 else 1))
    return out


def load(path: str) -> list[Entry]:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot read the baseline {path}: {exc.strerror or exc}") from None
    return loads(text, path)


def apply(result: Result, path: str, enabled: Optional[frozenset[str]] = None) -> Result:
    """Hide the baselined findings of ``result``; add a note about stale entries.

    Matching runs over every finding of the repo (not only the shown ones), so narrowing the
    output with paths or ``--staged`` never makes entries look stale. Entries of rules that are
    not enabled in this run are neither used nor stale.
    """
    entries = load(path)
    budget: dict[Key, int] = {}
    for entry in entries:
        if enabled is None or entry.rule in enabled:
            budget[entry.ident] = budget.get(entry.ident, 0) + entry.count
    left = dict(budget)
    hidden: set[int] = set()
    for finding in result.all_findings:
        key = finding_key(finding, result)
        if left.get(key, 0) > 0:
            left[key] -= 1
            hidden.add(id(finding))
    shown = [f for f in result.findings if id(f) not in hidden]
    remaining = [f for f in result.all_findings if id(f) not in hidden]
    notes = list(result.notes)
    stale = [Entry(*key, count=n) for key, n in sorted(left.items()) if n > 0]
    if stale:
        total = sum(e.count for e in stale)
        listed = "; ".join(e.describe() for e in stale[:5]) + ("; ..." if len(stale) > 5 else "")
        notes.append(f"baseline {path}: {total} entr{'y' if total == 1 else 'ies'} no longer match a "
                     f"finding (fixed or changed): {listed}. Run 'homeops-lint baseline write {path}' "
                     "to drop them")
    # all_findings loses the baselined ones too: changed-files mode never attributes them.
    return replace(result, findings=shown, all_findings=remaining, notes=notes)


def stale_entries(result: Result, path: str) -> list[Entry]:
    """The entries of ``path`` that match no finding of ``result`` (for tests and tooling)."""
    left: dict[Key, int] = {}
    for entry in load(path):
        left[entry.ident] = left.get(entry.ident, 0) + entry.count
    for finding in result.all_findings:
        key = finding_key(finding, result)
        if left.get(key, 0) > 0:
            left[key] -= 1
    return [Entry(*key, count=n) for key, n in sorted(left.items()) if n > 0]


def exclude_glob(file: str, root: Optional[str], paths: Sequence[str]) -> str:
    """The baseline file itself as an exclude glob, so writing it twice gives the same result."""
    from .discover import find_root

    base = Path(root).absolute() if root else find_root(paths)
    try:
        return Path(file).absolute().relative_to(base).as_posix()
    except ValueError:
        return ""
