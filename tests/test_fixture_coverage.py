"""Every rule of the catalog (built-in and declarative, on or off by default) has a fixture case
that fails with it and one that passes it.

A case is *about* a rule when it lives in ``fixtures/<the rule's family>/`` or its ``select``
names the rule or its family. It *judges* the rule when the rule runs there (``select``, and the
case's policy for a rule that is off by default, as ``homeops-lint test`` runs it) and its
findings are compared. A failing example expects the rule; a passing one judges it and expects
none of it. Whether the cases really give what they expect is ``test_fixture_cases.py``'s job;
this test only reads their ``homeops-lint-test.yaml``, so it is cheap.
"""
from __future__ import annotations

from pathlib import Path

from homeops_lint.catalog import load_catalog
from homeops_lint.engine import enabled_rules
from homeops_lint.policy import PolicyError, load_policy
from homeops_lint.ruletest import case_root, find_cases, load_spec

from .conftest import FIXTURES


def coverage_gaps(fixtures: Path) -> list[str]:
    """One line per catalog rule that lacks a failing or a passing case below ``fixtures``."""
    builtin = load_catalog()
    failing: set[str] = set()
    passing: set[str] = set()
    for case in find_cases(fixtures):
        spec = load_spec(case)
        catalog = load_catalog([(case / str(d)).resolve() for d in spec.get("rules") or []])
        select = [str(s) for s in spec.get("select") or []]
        try:
            with case_root(case, spec) as root:
                policy = load_policy(root)
        except PolicyError:
            continue  # no rule runs against a policy that cannot be loaded
        judged = enabled_rules(catalog, policy, select, [])
        if select:
            judged &= catalog.matching(select)
        expected = {str(entry.get("rule")) for entry in spec.get("expect") or []}
        family_folder = case.relative_to(fixtures).parts[0]
        for rule_id in judged & set(builtin.rules):
            if builtin.rules[rule_id].family != family_folder and not (select and rule_id in catalog.matching(select)):
                continue  # not about this rule: a case of another family that happens to run it
            (failing if rule_id in expected else passing).add(rule_id)
    gaps = []
    for rule in builtin:
        missing = [what for what, found in (("failing", failing), ("passing", passing)) if rule.id not in found]
        if missing:
            gaps.append(f"{rule.id}: no {' and no '.join(missing)} case in fixtures/{rule.family}/ "
                        "(or one whose select names it)")
    return gaps


def test_every_rule_has_a_failing_and_a_passing_fixture_case() -> None:
    gaps = coverage_gaps(FIXTURES)
    assert not gaps, "\n".join(gaps)


def test_coverage_gaps_are_found(tmp_path: Path) -> None:
    """A rule with only a failing case is a gap, and so is an off-by-default rule that a case
    selects only by its family prefix (it does not run there)."""
    case = tmp_path / "lb" / "outside"
    case.mkdir(parents=True)
    (case / "homeops-lint-test.yaml").write_text(
        "select: [lb-ip-outside-pool]\nexpect:\n  - {rule: lb-ip-outside-pool, path: svc.yaml, line: 5}\n")
    family = tmp_path / "declarative" / "practice"
    family.mkdir(parents=True)
    (family / "homeops-lint-test.yaml").write_text("select: [practice-]\nexpect: []\n")
    gaps = {line.split(":", 1)[0]: line for line in coverage_gaps(tmp_path)}
    assert "no passing" in gaps["lb-ip-outside-pool"] and "failing" not in gaps["lb-ip-outside-pool"]
    assert "no failing and no passing" in gaps["practice-lb-pool-label"]  # off by default: not judged
    assert "no failing case" in gaps["practice-chart-unpinned"]  # judged, passing, never failing
    assert "lb-ip-invalid" in gaps  # nothing at all
