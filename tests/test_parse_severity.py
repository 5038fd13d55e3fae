"""parse-error follows the severity contract: a file no Flux Kustomization can read breaks nothing."""
from __future__ import annotations

import shutil
from pathlib import Path

from .conftest import FIXTURES, lint

CASE = FIXTURES / "parse" / "unreached-broken"


def _parse(root: Path) -> list[tuple[str, str]]:
    return sorted((f.path, f.severity.value) for f in lint(root, "--select=parse-").all_findings
                  if f.rule == "parse-error")


def test_reached_is_an_error_unreached_a_warning() -> None:
    assert _parse(CASE) == [("apps/web/configmap.yaml", "error"),
                            ("terraform/modules/net/ippools-patch.yaml", "warning")]


def test_without_flux_every_broken_file_is_an_error(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    shutil.copytree(CASE, root, ignore=shutil.ignore_patterns("homeops-lint-test.yaml"))
    shutil.rmtree(root / "clusters")
    assert {severity for _, severity in _parse(root)} == {"error"}


def test_a_broken_file_under_a_reached_path_without_kustomization_is_an_error(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    shutil.copytree(CASE, root, ignore=shutil.ignore_patterns("homeops-lint-test.yaml"))
    (root / "apps" / "web" / "kustomization.yaml").unlink()  # Flux then reads every YAML file under the path
    (root / "apps" / "web" / "extra.yaml").write_text("a: [1\n")
    assert ("apps/web/extra.yaml", "error") in _parse(root)
