"""Comment and policy suppressions, and the reports about unused or unexplained ones."""
from __future__ import annotations

from .conftest import lint

DUP = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  name: b{comment}\n"


def rules_at(result):
    return sorted((f.rule, f.path, f.line) for f in result.findings)


def test_trailing_comment_suppresses_its_line(tree) -> None:
    root = tree({"cm.yaml": DUP.format(comment="  # homeops-lint: disable=parse-duplicate-key -- chart quirk")})
    result = lint(root)
    assert rules_at(result) == []
    assert [f.rule for f in result.suppressed] == ["parse-duplicate-key"]


def test_comment_on_the_line_above(tree) -> None:
    text = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  # homeops-lint: disable=parse- -- family prefix\n  name: b\n"
    assert rules_at(lint(tree({"cm.yaml": text}))) == []


def test_missing_reason_and_unused(tree) -> None:
    root = tree({
        "cm.yaml": DUP.format(comment="  # homeops-lint: disable=parse-duplicate-key"),
        "ok.yaml": "a: 1  # homeops-lint: disable=parse-duplicate-key -- stale\n",
        "typo.yaml": "# homeops-lint: disable-file=no-such-rule -- typo\n",
    })
    assert rules_at(lint(root)) == [
        ("suppression-missing-reason", "cm.yaml", 5),
        ("suppression-unused", "ok.yaml", 1),
        ("suppression-unused", "typo.yaml", 1),
    ]


def test_disable_file(tree) -> None:
    root = tree({"cm.yaml": "# homeops-lint: disable-file=parse-duplicate-key -- generated\n" + DUP.format(comment="")})
    assert rules_at(lint(root)) == []


def test_policy_ignore_entries(tree) -> None:
    root = tree({
        ".homeops-lint.yaml": "version: 1\nignore:\n  - {rule: parse-duplicate-key, path: 'vendor/*', reason: upstream}\n"
                              "  - {rule: parse-duplicate-key, resource: 'Secret/*', reason: stale}\n",
        "vendor/cm.yaml": DUP.format(comment=""),
        "cm.yaml": DUP.format(comment=""),
    })
    assert rules_at(lint(root)) == [("parse-duplicate-key", "cm.yaml", 5), ("suppression-unused", ".homeops-lint.yaml", 4)]
