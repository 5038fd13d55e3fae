"""A rule test case can carry its repository inline (``files:``), so that a new case is one file."""
from __future__ import annotations

from pathlib import Path

import pytest

from homeops_lint.ruletest import TEST_FILE, describe, run_case

POOL = """\
apiVersion: cilium.io/v2
kind: CiliumLoadBalancerIPPool
metadata: {name: lan}
spec:
  blocks: [{start: 192.168.10.20, stop: 192.168.10.149}]
"""
SERVICE = """\
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: default
  annotations:
    lbipam.cilium.io/ips: 192.168.99.9
spec:
  type: LoadBalancer
  ports: [{port: 80}]
"""


def _case(tmp_path: Path, body: str) -> Path:
    case = tmp_path / "outside-pool"
    case.mkdir()
    (case / TEST_FILE).write_text(body, encoding="utf-8")
    return case


def _inline(files: dict[str, str], expect: str) -> str:
    lines = ["select: [lb-ip-outside-pool]", "files:"]
    for name, text in files.items():
        lines.append(f"  {name}: |")
        lines.extend(f"    {line}" for line in text.splitlines())
    return "\n".join(lines) + f"\nexpect: {expect}\n"


def test_an_inline_case_lints_its_files(tmp_path: Path) -> None:
    case = _case(tmp_path, _inline({"pools.yaml": POOL, "apps/web.yaml": SERVICE},
                                   "[{rule: lb-ip-outside-pool, path: apps/web.yaml, line: 7}]"))
    result = run_case(case)
    assert result.ok, describe(result, tmp_path)
    assert sorted(p.name for p in case.iterdir()) == [TEST_FILE]  # nothing written beside the case


def test_an_inline_case_fails_on_a_wrong_expectation(tmp_path: Path) -> None:
    case = _case(tmp_path, _inline({"pools.yaml": POOL, "apps/web.yaml": SERVICE}, "[]"))
    result = run_case(case)
    assert not result.ok and [f.path for f in result.unexpected] == ["apps/web.yaml"]
    assert "unexpected: apps/web.yaml:7" in describe(result, tmp_path)


def test_inline_files_replace_the_folder(tmp_path: Path) -> None:
    """With ``files:``, the folder's other files are not part of the case's repository."""
    case = _case(tmp_path, _inline({"pools.yaml": POOL}, "[]"))
    (case / "web.yaml").write_text(SERVICE, encoding="utf-8")
    assert run_case(case).ok


@pytest.mark.parametrize("name", ["../escape.yaml", "/etc/passwd", "a/../../b.yaml", TEST_FILE, "a\\b.yaml"])
def test_a_path_outside_the_case_is_a_broken_case(tmp_path: Path, name: str) -> None:
    case = _case(tmp_path, f"files:\n  '{name}': 'x: 1'\nexpect: []\n")
    result = run_case(case)
    assert result.error and "relative path inside the case" in result.error
    assert not (tmp_path / "escape.yaml").exists()


@pytest.mark.parametrize("files", ["[]", "{}", "{a.yaml: {x: 1}}", "some text"])
def test_files_must_be_a_mapping_of_texts(tmp_path: Path, files: str) -> None:
    result = run_case(_case(tmp_path, f"files: {files}\nexpect: []\n"))
    assert result.error and "'files'" in result.error


def test_a_pinned_severity_must_match(tmp_path: Path) -> None:
    case = _case(tmp_path, _inline({"pools.yaml": POOL, "apps/web.yaml": SERVICE},
                                   "[{rule: lb-ip-outside-pool, path: apps/web.yaml, line: 7, severity: warning}]"))
    result = run_case(case)
    assert not result.ok and result.missing and result.unexpected  # the finding is an error
