"""--fix / --diff / --unsafe-fixes on our own fixtures: exact bytes before and after."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from .conftest import cli, write_tree

SERVICE = """\
# the web front end
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: apps
  annotations:
    io.cilium/lb-ipam-ips: "10.50.0.20"   # keep this comment
    example.com/owner: me
spec:
  type: LoadBalancer
---
apiVersion: v1
kind: Service
metadata:
  name: both
  namespace: apps
  annotations:
    lbipam.cilium.io/ips: 10.50.0.21
    io.cilium/lb-ipam-ips: 10.50.0.21
spec:
  type: LoadBalancer
---
apiVersion: v1
kind: Service
metadata:
  name: differ
  namespace: apps
  annotations:
    lbipam.cilium.io/ips: 10.50.0.22
    io.cilium/lb-ipam-ips: 10.50.0.23
spec:
  type: LoadBalancer
"""
POOLS = """\
apiVersion: cilium.io/v2
kind: CiliumLoadBalancerIPPool
metadata:
  name: lan
spec:
  allowFirstLastIPs: No  # reserve .0 and .255
  blocks:
    - cidr: 10.50.0.0/24
---
apiVersion: cilium.io/v2
kind: CiliumLoadBalancerIPPool
metadata:
  name: lab
spec:
  allowFirstLastIPs: yes
  blocks:
    - {start: 10.50.1.10, stop: 10.50.1.20}
"""
DATABASE = """\
apiVersion: postgresql.cnpg.io/v1
kind: Cluster
metadata:
  name: pg
  namespace: db
spec:
  instances: 2
  plugins:
    - name: barman-cloud.cloudnative-pg.io
      isWALArchiver: true
      parameters:
        barmanObjectName: pg-store
---
apiVersion: postgresql.cnpg.io/v1
kind: ScheduledBackup
metadata:
  name: pg-daily
  namespace: db
spec:
  # 03:00 every day (six fields: seconds first)
  schedule: "0 0 3 * * *"
  cluster:
    name: pg
"""

SERVICE_FIXED = SERVICE.replace('    io.cilium/lb-ipam-ips: "10.50.0.20"', '    lbipam.cilium.io/ips: "10.50.0.20"').replace(
    "    lbipam.cilium.io/ips: 10.50.0.21\n    io.cilium/lb-ipam-ips: 10.50.0.21\n",
    "    lbipam.cilium.io/ips: 10.50.0.21\n")
POOLS_FIXED = POOLS.replace("allowFirstLastIPs: No ", 'allowFirstLastIPs: "No" ')
DATABASE_UNSAFE = DATABASE.replace(
    "spec:\n  # 03:00", "spec:\n  method: plugin\n  pluginConfiguration:\n    name: barman-cloud.cloudnative-pg.io\n  # 03:00")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return write_tree(tmp_path / "repo", {"apps/web.yaml": SERVICE, "net/pools.yaml": POOLS,
                                          "db/pg.yaml": DATABASE})


def read(repo: Path) -> dict[str, str]:
    return {p: (repo / p).read_text() for p in ("apps/web.yaml", "net/pools.yaml", "db/pg.yaml")}


def test_diff_shows_safe_fixes_and_writes_nothing(repo):
    before = read(repo)
    done = cli(str(repo), "--diff")
    out = done.stdout.decode()
    assert done.returncode == 1
    assert read(repo) == before
    assert '-    io.cilium/lb-ipam-ips: "10.50.0.20"   # keep this comment' in out
    assert '+    lbipam.cilium.io/ips: "10.50.0.20"   # keep this comment' in out
    assert '+  allowFirstLastIPs: "No"  # reserve .0 and .255' in out
    assert "method: plugin" not in out and '"Yes"' not in out and "10.50.0.23" not in out
    assert b"more fixes available with --unsafe-fixes" in done.stderr


def test_fix_applies_safe_fixes_byte_for_byte(repo):
    done = cli(str(repo), "--fix")
    assert done.returncode in (0, 1), done.stderr.decode()
    assert read(repo) == {"apps/web.yaml": SERVICE_FIXED, "net/pools.yaml": POOLS_FIXED, "db/pg.yaml": DATABASE}
    assert b"fixed apps/web.yaml:8: lb-deprecated-annotation: rename the deprecated" in done.stderr
    # Nothing left to fix safely; running again changes nothing.
    again = cli(str(repo), "--diff")
    assert again.returncode == 0 and again.stdout == b""
    assert not list(repo.rglob(".*.tmp"))


def test_unsafe_fixes(repo):
    done = cli(str(repo), "--fix", "--unsafe-fixes")
    assert done.returncode in (0, 1), done.stderr.decode()
    after = read(repo)
    assert after["db/pg.yaml"] == DATABASE_UNSAFE
    assert after["net/pools.yaml"] == POOLS_FIXED.replace("allowFirstLastIPs: yes", 'allowFirstLastIPs: "Yes"')
    assert "10.50.0.23" not in after["apps/web.yaml"]  # dead old key dropped
    assert "    lbipam.cilium.io/ips: 10.50.0.22\nspec:" in after["apps/web.yaml"]


def test_fixed_files_parse_to_the_intended_data(repo):
    from ruamel.yaml import YAML

    cli(str(repo), "--fix", "--unsafe-fixes")
    docs = list(YAML(typ="safe").load_all((repo / "db/pg.yaml").read_text()))
    assert docs[1]["spec"] == {"method": "plugin", "pluginConfiguration": {"name": "barman-cloud.cloudnative-pg.io"},
                               "schedule": "0 0 3 * * *", "cluster": {"name": "pg"}}
    pools = list(YAML(typ="safe", pure=True).load_all((repo / "net/pools.yaml").read_text()))
    assert [p["spec"]["allowFirstLastIPs"] for p in pools] == ["No", "Yes"]


def test_no_method_fix_when_the_cluster_also_has_an_in_tree_store(tmp_path):
    both = DATABASE.replace("  instances: 2\n", "  instances: 2\n  backup:\n    barmanObjectStore:\n"
                            "      destinationPath: s3://b/\n")
    root = write_tree(tmp_path / "r", {"db/pg.yaml": both})
    done = cli(str(root), "--diff", "--unsafe-fixes")
    assert done.returncode == 0 and done.stdout == b""


def test_no_method_fix_for_a_cluster_in_another_namespace(tmp_path):
    other = DATABASE.replace("  name: pg\n  namespace: db\n", "  name: pg\n  namespace: other\n", 1)
    root = write_tree(tmp_path / "r", {"db/pg.yaml": other})
    assert cli(str(root), "--diff", "--unsafe-fixes").stdout == b""


def test_rename_is_unsafe_on_pre_1_15_pools(tmp_path):
    old_pool = ("apiVersion: cilium.io/v2alpha1\nkind: CiliumLoadBalancerIPPool\nmetadata:\n  name: lan\n"
                "spec:\n  cidrs:\n    - cidr: 10.50.0.0/24\n")
    root = write_tree(tmp_path / "r", {"apps/web.yaml": SERVICE.split("---")[0], "net/pool.yaml": old_pool})
    safe = cli(str(root), "--diff")
    assert safe.stdout == b"" and b"--unsafe-fixes (lb-deprecated-annotation)" in safe.stderr
    assert b"+    lbipam.cilium.io/ips" in cli(str(root), "--diff", "--unsafe-fixes").stdout


def test_crlf_and_helm_values_annotations(tmp_path):
    release = ("apiVersion: helm.toolkit.fluxcd.io/v2\r\nkind: HelmRelease\r\nmetadata:\r\n  name: ingress\r\n"
               "spec:\r\n  values:\r\n    service:\r\n      annotations:\r\n"
               "        io.cilium/lb-ipam-ips: 10.50.0.30\r\n")
    root = tmp_path / "r"
    (root / "apps").mkdir(parents=True)
    (root / "apps/hr.yaml").write_bytes(release.encode())
    cli(str(root), "--fix")
    assert (root / "apps/hr.yaml").read_bytes() == release.replace(
        "io.cilium/lb-ipam-ips", "lbipam.cilium.io/ips").encode()


def test_fix_respects_paths(repo):
    cli(str(repo / "net"), "--fix", "--root", str(repo))
    after = read(repo)
    assert after["net/pools.yaml"] == POOLS_FIXED
    assert after["apps/web.yaml"] == SERVICE


def test_fix_respects_ignore(repo):
    cli(str(repo), "--fix", "--ignore", "lb-")
    assert read(repo)["apps/web.yaml"] == SERVICE


def test_unverifiable_files_are_left_alone(tmp_path):
    from homeops_lint.fix import Fix, Replace, plan

    text = "a: 1\nb: 2\n"
    wrong = Fix("x.yaml", 1, "t", "t", True, (Replace(1, 1, "a", "c"),), ((0, (), "set", ("a", 1)),))
    with pytest.raises(ValueError, match="intended data"):
        plan(text, [wrong])
    moved = Fix("x.yaml", 1, "t", "t", True, (Replace(2, 1, "a", "c"),), ())
    with pytest.raises(ValueError, match="changed since"):
        plan(text, [moved])


def test_fix_then_lint_no_longer_reports_the_deprecated_annotation(repo):
    from homeops_lint.catalog import load_catalog

    if load_catalog().get("lb-deprecated-annotation") is None:
        pytest.skip("the lb rule family has no lb-deprecated-annotation rule")
    rules = lambda: {(f["rule"], f["path"]) for f in json.loads(cli(str(repo), "--format", "json").stdout)["findings"]}  # noqa: E731
    assert ("lb-deprecated-annotation", "apps/web.yaml") in rules()
    cli(str(repo), "--fix", "--unsafe-fixes")
    assert ("lb-deprecated-annotation", "apps/web.yaml") not in rules()


def test_fixers_follow_their_rules(repo):
    """--select picks fixers by the rule they fix; a rule turned off turns its fixer off."""
    cli(str(repo), "--fix", "--unsafe-fixes", "--select", "cnpg-scheduled-backup-method")
    after = read(repo)
    assert after["db/pg.yaml"] == DATABASE_UNSAFE
    assert after["apps/web.yaml"] == SERVICE and after["net/pools.yaml"] == POOLS
