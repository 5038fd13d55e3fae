"""Every rule's documentation examples are executed: the failing example must produce the rule's
finding and the passing example must not."""
from __future__ import annotations

from pathlib import Path

import pytest

from homeops_lint.catalog import load_catalog
from homeops_lint.ruletest import TEST_FILE  # noqa: F401 - the docs share the fixture format

from .conftest import lint, write_tree

CATALOG = load_catalog()
DEFAULT_POLICY = "version: 1\nextends: home-ops\n"


def example_files(text: str) -> dict[str, str]:
    """Split an example on '# file: PATH' lines; the default file is manifests.yaml."""
    files: dict[str, str] = {}
    current = "manifests.yaml"
    lines: list[str] = []
    for line in text.splitlines(keepends=True):
        if line.startswith("# file: "):
            if "".join(lines).strip():
                files[current] = "".join(lines)
            current, lines = line[len("# file: "):].strip(), []
        else:
            lines.append(line)
    if "".join(lines).strip() or current not in files:
        files[current] = "".join(lines)
    files.setdefault(".homeops-lint.yaml", DEFAULT_POLICY)
    return files


def run_example(tmp_path: Path, text: str, rule_id: str):
    root = write_tree(tmp_path / "example", example_files(text))
    return [f for f in lint(root).all_findings if f.rule == rule_id]


# Rules whose trigger cannot be written as YAML text; tests/test_robustness.py covers each with a
# failing and a passing case instead.
NO_TEXT_EXAMPLE = {
    "parse-encoding": "binary, UTF-16 and Latin-1 bytes",
    "parse-unreadable": "permissions, symlink loops and links out of the repository",
}


def test_every_rule_has_docs() -> None:
    for rule in CATALOG:
        assert rule.summary.strip(), rule.id
        assert rule.what.strip(), f"{rule.id}: no 'what'"
        assert rule.why.strip(), f"{rule.id}: no 'why'"
        if rule.id not in NO_TEXT_EXAMPLE:
            assert rule.fail and rule.passing, f"{rule.id}: needs a failing and a passing example"


EXAMPLES = [r for r in CATALOG if r.fail or r.passing]


@pytest.mark.parametrize("rule", EXAMPLES, ids=[r.id for r in EXAMPLES])
def test_rule_examples(rule, tmp_path: Path) -> None:
    assert rule.fail and rule.passing, f"{rule.id}: needs both a failing and a passing example"
    found = run_example(tmp_path / "fail", rule.fail, rule.id)
    assert found, f"{rule.id}: the failing example produced no {rule.id} finding"
    clean = run_example(tmp_path / "pass", rule.passing, rule.id)
    assert not clean, f"{rule.id}: the passing example produced {[(f.path, f.line, f.message) for f in clean]}"
