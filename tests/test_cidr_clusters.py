"""cidr-: which sources describe which cluster (issue #13: precision on real repositories)."""
from __future__ import annotations

import shutil
from pathlib import Path

from .conftest import FIXTURES, lint, write_tree

CASE = FIXTURES / "cidr" / "multi-cluster"


def _cidr(root: Path) -> list[tuple[str, str, str]]:
    return sorted((f.path, f.rule, f.severity.value) for f in lint(root, "--select=cidr-").all_findings
                  if f.rule.startswith("cidr-"))


def _copy(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    shutil.copytree(CASE, root, ignore=shutil.ignore_patterns("homeops-lint-test.yaml"))
    return root


def test_each_cluster_is_compared_with_itself(tmp_path: Path) -> None:
    assert _cidr(_copy(tmp_path)) == [("kubernetes/lab/bootstrap/cilium/values.yaml", "cidr-mismatch", "error")]


def test_a_source_of_no_known_cluster_warns(tmp_path: Path) -> None:
    root = write_tree(_copy(tmp_path), {"kubernetes/shared/cilium/values.yaml": "ipv4NativeRoutingCIDR: 10.42.0.0/16\n"})
    found = [f for f in _cidr(root) if f[0].startswith("kubernetes/shared/")]
    # it cannot cover both clusters' pods; which cluster it serves is unknown, so it only warns
    assert found == [("kubernetes/shared/cilium/values.yaml", "cidr-mismatch", "warning")]


def test_a_single_cluster_repo_still_errors(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    shutil.rmtree(root / "talos" / "lab")
    shutil.rmtree(root / "kubernetes" / "lab")
    write_tree(root, {"kubernetes/main/bootstrap/cilium/values.yaml": "ipv4NativeRoutingCIDR: 10.42.0.0/16\n"})
    assert _cidr(root) == [("kubernetes/main/bootstrap/cilium/values.yaml", "cidr-mismatch", "error")]


def test_the_archived_talconfig_counts_once_it_leaves_the_archive(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    shutil.move(str(root / "archive" / "2024" / "talos"), str(root / "talos" / "old"))
    found = [f for f in _cidr(root) if f[0].startswith("talos/")]
    assert ("talos/old/talconfig.yaml", "cidr-mismatch", "error") in found
