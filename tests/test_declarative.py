"""Declarative rules: loading and validating rule files, matching, options, messages, and the
user's path: write a rule, test it with `homeops-lint test`, see it fire, read its docs."""
from __future__ import annotations

from pathlib import Path

import pytest

from homeops_lint.catalog import CatalogError, load_catalog
from homeops_lint.ruletest import find_cases, run_case

from .conftest import ROOT, cli, lint, write_tree

EXAMPLE = ROOT / "examples" / "custom-rules"

RULE = """id: home-no-nodeport
severity: warning
summary: No NodePort Services.
match: {kind: Service, applied: false}
assert:
  properties:
    spec:
      properties:
        type: {not: {const: NodePort}}
message: "{kind} {name}: `{path}` is {value}; use a LoadBalancer"
"""
SERVICE = """apiVersion: v1
kind: Service
metadata: {name: s, namespace: apps, labels: {team: a}}
spec:
  type: NodePort
  ports: [{port: 80}]
"""


def test_the_example_rule_tests_pass() -> None:
    cases = find_cases(EXAMPLE)
    assert len(cases) == 2
    for case in cases:
        result = run_case(case)
        assert result.ok, (case, result.missing, result.unexpected, result.error)


def test_the_example_rule_fires_in_a_normal_run() -> None:
    out = cli(str(EXAMPLE), "--format", "text", "--color", "never")
    assert out.returncode == 1
    assert b"apps/ingresses.yaml:12:3: home-ingress-class Ingress documents/paperless" in out.stdout
    assert b"tests/" not in out.stdout  # the test cases are excluded by the example's policy


def test_rule_docs_of_a_custom_rule(tmp_path: Path) -> None:
    out = cli("rule", "home-ingress-class", cwd=EXAMPLE)
    assert out.returncode == 0, out.stderr
    text = out.stdout.decode()
    assert text.startswith("# home-ingress-class\n\nFamily: home    Default severity: error")
    assert "## What it does" in text and "## Why is this bad?" in text and "## Use instead" in text


def test_a_custom_rule_fires_with_its_message(tmp_path: Path) -> None:
    root = write_tree(tmp_path, {".homeops-lint.yaml": "version: 1\ncustom_rules: [rules]\n",
                                 "rules/nodeport.yaml": RULE, "svc.yaml": SERVICE})
    found = [f for f in lint(root).all_findings if f.rule == "home-no-nodeport"]
    assert [(f.line, f.column, f.message, f.severity.value) for f in found] == [
        (5, 3, "Service s: `spec.type` is NodePort; use a LoadBalancer", "warning")]


@pytest.mark.parametrize("match,hits", [
    ("{kind: Service, applied: false}", 1),
    ("{kind: [Deployment, Service], applied: false, namespace: app*}", 1),
    ("{kind: Service, applied: false, namespace: other}", 0),
    ("{kind: Service, applied: false, labels: {team: a}}", 1),
    ("{kind: Service, applied: false, labels: {team: b}}", 0),
    ("{kind: Service, apiVersion: 'apps/*', applied: false}", 0),
])
def test_match(tmp_path: Path, match: str, hits: int) -> None:
    rule = RULE.replace("match: {kind: Service, applied: false}", f"match: {match}")
    root = write_tree(tmp_path, {".homeops-lint.yaml": "version: 1\ncustom_rules: [rules]\n",
                                 "rules/nodeport.yaml": rule, "svc.yaml": SERVICE})
    assert len([f for f in lint(root).all_findings if f.rule == "home-no-nodeport"]) == hits


def test_exclude_and_applied(tmp_path: Path) -> None:
    rule = RULE.replace("applied: false}", "applied: true}\nexclude: {name: s}")
    root = write_tree(tmp_path, {".homeops-lint.yaml": "version: 1\ncustom_rules: [rules]\n",
                                 "rules/nodeport.yaml": rule, "svc.yaml": SERVICE})
    assert not [f for f in lint(root).all_findings if f.rule == "home-no-nodeport"]


def test_option_from_the_policy(tmp_path: Path) -> None:
    svc = SERVICE.replace("NodePort", "LoadBalancer")
    policy = "version: 1\nrules: {practice-lb-pool-label: {severity: warning, options: {label: team}}}\n"
    root = write_tree(tmp_path, {".homeops-lint.yaml": policy, "svc.yaml": svc})
    assert not [f for f in lint(root).all_findings if f.rule == "practice-lb-pool-label"]
    root2 = write_tree(tmp_path / "b", {".homeops-lint.yaml": policy.replace("team", "pool"), "svc.yaml": svc})
    found = [f.message for f in lint(root2).all_findings if f.rule == "practice-lb-pool-label"]
    assert found == ["Service s: a LoadBalancer Service names its pool with the `pool` label"]


BROKEN = [
    (RULE.replace("match: {kind: Service, applied: false}", "match: {knd: Service}"), "rules/bad.yaml:4:"),
    (RULE.replace("severity: warning", "severity: fatal"), "rules/bad.yaml:2:11"),
    (RULE.replace("{not: {const: NodePort}}", "{type: strin}"), "rules/bad.yaml:9:16"),
    (RULE.replace("id: home-no-nodeport", "id: NoNodePort"), "rules/bad.yaml:1:5"),
    ("id: x-y\nsummary: [unclosed\n", "rules/bad.yaml"),
]


@pytest.mark.parametrize("text,where", BROKEN)
def test_a_broken_rule_file_is_a_clear_error(tmp_path: Path, text: str, where: str) -> None:
    root = write_tree(tmp_path, {".homeops-lint.yaml": "version: 1\ncustom_rules: [rules]\n",
                                 "rules/bad.yaml": text, "svc.yaml": SERVICE})
    out = cli(str(root))
    assert out.returncode == 2
    err = out.stderr.decode()
    assert where in err and err.count("\n") == 1, err
    with pytest.raises(CatalogError):
        load_catalog([root / "rules"])


def test_a_missing_custom_rules_folder_is_an_error(tmp_path: Path) -> None:
    root = write_tree(tmp_path, {".homeops-lint.yaml": "version: 1\ncustom_rules: [nowhere]\n", "svc.yaml": SERVICE})
    out = cli(str(root))
    assert out.returncode == 2 and b"nowhere" in out.stderr


def test_builtin_rules_are_declarative() -> None:
    catalog = load_catalog()
    practice = [r for r in catalog if r.family == "practice"]
    assert len(practice) == 4 and all(r.declarative and r.fail and r.passing for r in practice)
