"""The command line contract: exit codes, formats, rule docs, paths and determinism."""
from __future__ import annotations

import json
from pathlib import Path

import jsonschema

from homeops_lint import __version__
from homeops_lint.catalog import load_catalog

from .conftest import FIXTURES, ROOT, cli

DUP = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  name: b\n"


def test_version() -> None:
    proc = cli("--version")
    assert proc.returncode == 0 and proc.stdout.decode().strip() == f"homeops-lint {__version__}"


def test_exit_codes(tree) -> None:
    clean = tree({"ok.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ok}\n"})
    assert cli("--root", str(clean), str(clean)).returncode == 0
    (clean / "bad.yaml").write_text(DUP)
    assert cli("--root", str(clean), str(clean)).returncode == 1
    assert cli("--exit-zero", "--root", str(clean), str(clean)).returncode == 0
    assert cli("--no-such-flag").returncode == 2
    assert cli(str(clean / "missing-path")).returncode == 2


def test_text_output_points_at_the_key(tree) -> None:
    root = tree({"bad.yaml": DUP})
    out = cli("--color", "never", "--root", str(root), str(root)).stdout.decode()
    assert "bad.yaml:5:3: parse-duplicate-key duplicate key 'name'" in out
    assert "5 |   name: b" in out and "  |   ^" in out
    assert out.strip().endswith("Found 1 error, 0 warnings, 0 info in 1 files, 1 documents.")


def test_json_report_validates_and_is_deterministic(tree) -> None:
    root = tree({"b.yaml": DUP, "a.yaml": DUP, "c.yaml": "x: [1,\n"})
    first = cli("--format", "json", "--root", str(root), str(root)).stdout
    second = cli("--format", "json", "--root", str(root), str(root)).stdout
    assert first == second
    report = json.loads(first)
    schema = json.loads((ROOT / "schemas" / "report.schema.json").read_text())
    jsonschema.validate(report, schema)
    assert [(f["path"], f["rule"]) for f in report["findings"]] == [
        ("a.yaml", "parse-duplicate-key"), ("b.yaml", "parse-duplicate-key"), ("c.yaml", "parse-error")]


def test_files_select_what_is_shown_but_the_repo_is_loaded_whole(tree) -> None:
    root = tree({".homeops-lint.yaml": "version: 1\n", "a.yaml": DUP, "sub/b.yaml": DUP})
    report = json.loads(cli("--format", "json", str(root / "sub" / "b.yaml")).stdout)
    assert [f["path"] for f in report["findings"]] == ["sub/b.yaml"]
    assert report["summary"]["files"] == 3


def test_select_and_ignore(tree) -> None:
    root = tree({"bad.yaml": DUP, "broken.yaml": "a: [\n"})
    only = json.loads(cli("--format", "json", "--select", "parse-error", "--root", str(root), str(root)).stdout)
    assert {f["rule"] for f in only["findings"]} == {"parse-error"}
    without = json.loads(cli("--format", "json", "--ignore", "parse-", "--root", str(root), str(root)).stdout)
    assert without["findings"] == []


def test_rules_and_rule_docs() -> None:
    listing = cli("rules").stdout.decode()
    for rule in load_catalog():
        assert rule.id in listing
    doc = cli("rule", "parse-duplicate-key").stdout.decode()
    for heading in ("## What it does", "## Why is this bad?", "## Example", "## Use instead"):
        assert heading in doc
    unknown = cli("rule", "parse-nope")
    assert unknown.returncode == 2 and b"unknown rule" in unknown.stderr


def test_broken_files_never_stop_the_run(tree) -> None:
    root = tree({
        "broken.yaml": "a: [\n",
        "chart/templates/deploy.yaml": "{{- if .Values.enabled }}\napiVersion: apps/v1\n{{- end }}\n",
        "dup.yaml": DUP,
    })
    (root / "blob.yaml").write_bytes(b"\x00\x01binary\x00")
    report = json.loads(cli("--format", "json", "--root", str(root), str(root)).stdout)
    rules = sorted((f["path"], f["rule"]) for f in report["findings"])
    assert rules == [("blob.yaml", "parse-encoding"), ("broken.yaml", "parse-error"), ("dup.yaml", "parse-duplicate-key")]


def test_demo_repo_runs(tmp_path: Path) -> None:
    proc = cli("--format", "json", str(FIXTURES / "home-ops"))
    assert proc.returncode in (0, 1), proc.stderr
    assert json.loads(proc.stdout)["summary"]["files"] > 50


def test_docs_rules_md_is_current() -> None:
    from homeops_lint.catalog import load_catalog
    from homeops_lint.commands.rules import rules_markdown

    current = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    assert current == rules_markdown(load_catalog()), \
        "docs/rules.md is stale: homeops-lint rules --builtin --format markdown > docs/rules.md"
