"""``--format sarif``: SARIF 2.1.0 for GitHub code scanning and other SARIF viewers.

Every result has a physical location (the file relative to the repository checkout, startLine and
startColumn) and, when the finding is about a Kubernetes object, a logical location naming it.
Rule metadata (short and full description, help text and markdown) comes from the rule docs in
``homeops_lint.catalog``, so ``homeops-lint rule ID`` and the code-scanning help pane say the same.
``partialFingerprints`` carries the line-independent baseline key, so alerts survive edits above them.
"""
from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any

from .. import __version__
from ..model import Severity
from .common import ReportOptions, mask_message, repo_prefix, source_line, statistics

if TYPE_CHECKING:
    from ..engine import Result

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def _rule_descriptor(rule: Any, rule_id: str) -> dict[str, Any]:
    if rule is None:  # a finding of a rule the catalog does not know (should not happen)
        return {"id": rule_id, "shortDescription": {"text": rule_id}}
    summary = rule.summary.strip() or rule_id
    full = " ".join(part.strip() for part in (rule.what, rule.why) if part.strip()) or summary
    return {
        "id": rule.id,
        "name": "".join(word.capitalize() for word in rule.id.split("-")),
        "shortDescription": {"text": summary},
        "fullDescription": {"text": full},
        "help": {"text": rule.doc_text(), "markdown": rule.doc_text()},
        "defaultConfiguration": {"level": LEVELS[rule.severity], "enabled": rule.enabled},
        "properties": {"tags": [rule.family], "family": rule.family},
    }


def _result(finding: Any, index: int, prefix: str, line_text: str, key_hash: str, message: str) -> dict[str, Any]:
    location: dict[str, Any] = {
        "physicalLocation": {
            "artifactLocation": {"uri": prefix + finding.path, "uriBaseId": "%SRCROOT%"},
            "region": {"startLine": max(finding.line, 1), "startColumn": max(finding.column, 1)},
        }
    }
    if line_text.strip():
        location["physicalLocation"]["region"]["snippet"] = {"text": line_text}
    if finding.resource:
        location["logicalLocations"] = [{"fullyQualifiedName": finding.resource + (
            "/" + finding.key if finding.key else ""), "name": finding.resource, "kind": "object"}]
    out: dict[str, Any] = {
        "ruleId": finding.rule,
        "ruleIndex": index,
        "level": LEVELS[finding.severity],
        "message": {"text": message},
        "locations": [location],
        "partialFingerprints": {"homeopsLintKey/v1": key_hash},
    }
    if finding.key:
        out["properties"] = {"keyPath": finding.key}
    return out


def render(result: Result, options: ReportOptions) -> str:
    from ..baseline import finding_key

    prefix = repo_prefix(result)
    rule_ids = sorted({f.rule for f in result.findings})
    rule_index = {rule_id: i for i, rule_id in enumerate(rule_ids)}
    results = []
    for finding in result.findings:
        line_text = source_line(result, finding)
        key = "\0".join(finding_key(finding, result))
        key_hash = hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]
        results.append(_result(finding, rule_index[finding.rule], prefix, line_text, key_hash,
                               mask_message(result, finding)))
    run: dict[str, Any] = {
        "tool": {"driver": {
            "name": "homeops-lint",
            "version": __version__,
            "semanticVersion": __version__,
            "rules": [_rule_descriptor(result.catalog.get(r), r) for r in rule_ids],
        }},
        "originalUriBaseIds": {"%SRCROOT%": {"description": {"text": "The repository checkout"}}},
        "columnKind": "unicodeCodePoints",
        "results": results,
    }
    if options.statistics:
        run["properties"] = {"statistics": [{"rule": r, "severity": s, "count": n}
                                            for r, s, n in statistics(result.findings)]}
    log = {"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"
