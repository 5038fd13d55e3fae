"""``--format gitlab``: a GitLab code quality report (a JSON array of Code Climate issues).

Each issue has the fields GitLab reads: ``description``, ``check_name``, ``fingerprint`` (unique and
stable: the line-independent baseline key plus an occurrence number), ``severity`` (``info``,
``minor``, ``major``, ``critical``, ``blocker``) and ``location.path`` + ``location.lines.begin``,
plus the Code Climate ``location.positions`` form (``begin``/``end`` ``{line, column}``) that carries
the column; GitLab reads either.
Paths are relative to the repository checkout. The report must stay an array, so ``--statistics``
goes to stderr.
"""
from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING

from ..model import Severity
from .common import ReportOptions, mask_message, repo_prefix

if TYPE_CHECKING:
    from ..engine import Result

EMBEDS_STATISTICS = False
SEVERITIES = {Severity.ERROR: "major", Severity.WARNING: "minor", Severity.INFO: "info"}


def render(result: Result, options: ReportOptions) -> str:
    from ..baseline import finding_key

    prefix = repo_prefix(result)
    issues = []
    seen: dict[str, int] = {}
    for finding in result.findings:
        key = "\0".join(finding_key(finding, result))
        occurrence = seen.get(key, 0)
        seen[key] = occurrence + 1
        fingerprint = hashlib.sha256(f"{key}\0{occurrence}".encode("utf-8")).hexdigest()
        description = mask_message(result, finding)
        point = {"line": finding.line, "column": finding.column}
        if finding.resource:
            description += f" [{finding.resource}]"
        issues.append({
            "type": "issue",
            "check_name": finding.rule,
            "description": description,
            "categories": ["Security" if finding.rule.startswith("secret-") else "Bug Risk"],
            "fingerprint": fingerprint,
            "severity": SEVERITIES[finding.severity],
            "location": {"path": prefix + finding.path, "lines": {"begin": finding.line},
                         "positions": {"begin": point, "end": point}},
        })
    return json.dumps(issues, indent=2, ensure_ascii=False) + "\n"
