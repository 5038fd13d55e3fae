"""The severity contract (docs/severity.md): every shipped rule states its severity and why."""
from __future__ import annotations

from pathlib import Path

import pytest

from homeops_lint import yamlload
from homeops_lint.catalog import load_catalog
from homeops_lint.resources import data_dir

CATALOG = load_catalog()
SEVERITIES = {"error", "warning", "info", "off"}


def _entries() -> list[tuple[str, dict]]:
    out = []
    for folder in ("rules/catalog", "rules/builtin"):
        base = data_dir(folder)
        for path in sorted(Path(base).glob("*.yaml")):
            data = yamlload.load_one(path.read_text(encoding="utf-8"))
            for entry in data.get("rules", []):
                out.append((f"{folder}/{path.name}", entry))
    return out


ENTRIES = _entries()


def test_the_catalog_files_hold_every_rule() -> None:
    assert {entry["id"] for _, entry in ENTRIES} == set(CATALOG.rules)


@pytest.mark.parametrize("source,entry", ENTRIES, ids=[e["id"] for _, e in ENTRIES])
def test_every_rule_states_its_severity_and_why(source: str, entry: dict) -> None:
    assert entry.get("severity") in SEVERITIES, f"{entry['id']} ({source}): no explicit severity"
    reason = str(entry.get("severity_why") or "").strip()
    assert reason, f"{entry['id']} ({source}): no severity_why"
    rule = CATALOG.get(entry["id"])
    assert rule is not None and rule.severity_why.strip() == reason
    shown = rule.doc_text()
    assert f"## Why {rule.severity.value}?" in shown and reason.split()[0] in shown


def test_a_missing_reason_fails(tmp_path: Path) -> None:
    # the check above can fail: a rule without the field has an empty reason
    rules = tmp_path / "x.yaml"
    rules.write_text("family: demo\nrules:\n  - id: demo-rule\n    severity: error\n    summary: s\n")
    from homeops_lint.catalog import load_rules_file

    (rule,) = load_rules_file(rules)
    assert rule.severity_why == "" and "## Why" not in rule.doc_text()
