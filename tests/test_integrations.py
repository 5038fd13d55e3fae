"""Changed-files mode: --staged, --changed [REF] and the hook entry, on real git repositories."""
from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from .conftest import cli, write_tree

POLICY = ("version: 1\narchitecture:\n  networks:\n    loadbalancer: [10.50.0.0/24]\n"
          "  pools:\n    lan: {role: default, ranges: [\"10.50.0.10-10.50.0.99\"]}\n")
POOL = ("apiVersion: cilium.io/v2\nkind: CiliumLoadBalancerIPPool\nmetadata:\n  name: lan\n"
        "spec:\n  blocks:\n    - {start: 10.50.0.10, stop: 10.50.0.99}\n")
ENV = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@x.invalid", "GIT_COMMITTER_NAME": "t",
       "GIT_COMMITTER_EMAIL": "t@x.invalid", "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}


def service(name: str, ip: str) -> str:
    return (f"apiVersion: v1\nkind: Service\nmetadata:\n  name: {name}\n  namespace: apps\n"
            f"  annotations:\n    lbipam.cilium.io/ips: {ip}\nspec:\n  type: LoadBalancer\n")


def git(root: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=root, env=ENV, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = write_tree(tmp_path / "repo", {
        ".homeops-lint.yaml": POLICY,
        "net/pool.yaml": POOL,
        "apps/web.yaml": service("web", "10.50.0.20"),
        "apps/legacy.yaml": service("legacy", "10.50.7.7"),  # committed finding
        "README.md": "hi\n",
    })
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "initial")
    return root


def shown(root: Path, *args: str, cwd: Path | None = None) -> tuple[int, list[tuple[str, str]]]:
    done = cli(*args, "--format", "json", cwd=cwd or root)
    assert done.returncode in (0, 1), done.stderr.decode()
    return done.returncode, [(f["rule"], f["path"]) for f in json.loads(done.stdout)["findings"]]


def test_staged_shows_only_staged_files(repo):
    (repo / "apps/web.yaml").write_text(service("web", "10.50.1.1"))
    (repo / "apps/other.yaml").write_text(service("other", "10.50.2.2"))  # not staged
    git(repo, "add", "apps/web.yaml")
    code, found = shown(repo, "--staged")
    assert code == 1 and found == [("lb-ip-outside-pool", "apps/web.yaml")]
    code, everything = shown(repo)
    assert {p for _, p in everything} >= {"apps/web.yaml", "apps/other.yaml", "apps/legacy.yaml"}


def test_staged_pool_change_reports_the_service_it_breaks(repo):
    (repo / "net/pool.yaml").write_text(POOL.replace("10.50.0.99", "10.50.0.15"))
    (repo / ".homeops-lint.yaml").write_text(POLICY.replace("10.50.0.99", "10.50.0.15"))
    git(repo, "add", "net/pool.yaml", ".homeops-lint.yaml")
    code, found = shown(repo, "--staged")
    assert code == 1
    assert ("lb-ip-outside-pool", "apps/web.yaml") in found
    assert all(path != "apps/legacy.yaml" for _, path in found)  # broken before the change too


def test_staged_pool_removal_is_a_cause(repo):
    """Hook runners pass no name for a removed file; the hook asks git for staged removals."""
    extra = POOL.replace("name: lan", "name: extra").replace("10.50.0.10", "10.50.1.10").replace(
        "10.50.0.99", "10.50.1.99")
    (repo / "net/extra.yaml").write_text(extra)
    (repo / "apps/web.yaml").write_text(service("web", "10.50.1.20"))
    # Without a policy file the pools are inferred from the repo, so a removed pool is a lost pool.
    git(repo, "rm", "-q", ".homeops-lint.yaml")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "extra pool")
    assert shown(repo)[1] == [("lb-ip-outside-pool", "apps/legacy.yaml")]
    git(repo, "rm", "-q", "net/extra.yaml")
    (repo / "README.md").write_text("hi again\n")
    git(repo, "add", "README.md")
    done = cli("hook", "README.md", cwd=repo)
    assert done.returncode == 1, done.stdout.decode() + done.stderr.decode()
    assert b"apps/web.yaml" in done.stdout
    assert b"apps/legacy.yaml" not in done.stdout


def test_nothing_staged_means_nothing_shown(repo):
    (repo / "apps/web.yaml").write_text(service("web", "10.50.1.1"))  # changed, not staged
    assert shown(repo, "--staged") == (0, [])


def test_changed_against_a_ref(repo):
    git(repo, "checkout", "-qb", "feature")
    (repo / "apps/web.yaml").write_text(service("web", "10.50.1.1"))
    git(repo, "commit", "-qam", "break web")
    (repo / "apps/new.yaml").write_text(service("new", "10.50.3.3"))  # untracked counts as changed
    code, found = shown(repo, "--changed=main")
    assert code == 1
    assert sorted(found) == [("lb-ip-outside-pool", "apps/new.yaml"), ("lb-ip-outside-pool", "apps/web.yaml")]
    # Against HEAD only the untracked file is a change.
    assert shown(repo, "--changed")[1] == [("lb-ip-outside-pool", "apps/new.yaml")]


def test_changed_with_an_unknown_ref_is_a_usage_error(repo):
    done = cli("--changed=nope", cwd=repo)
    assert done.returncode == 2 and b"'nope' is not a commit" in done.stderr


def test_hook_without_files_uses_the_staged_set(repo):
    (repo / "apps/web.yaml").write_text(service("web", "10.50.1.1"))
    git(repo, "add", "apps/web.yaml")
    done = cli("hook", "--quiet", cwd=repo)
    assert done.returncode == 1
    assert done.stdout.decode().startswith("apps/web.yaml:7:5: lb-ip-outside-pool")


def test_hook_in_a_repo_without_commits(tmp_path):
    root = write_tree(tmp_path / "fresh", {".homeops-lint.yaml": POLICY, "net/pool.yaml": POOL,
                                           "apps/web.yaml": service("web", "10.50.1.1")})
    git(root, "init", "-q")
    git(root, "add", "-A")
    done = cli("hook", "apps/web.yaml", "net/pool.yaml", cwd=root)
    assert done.returncode == 1 and b"apps/web.yaml:7:5: lb-ip-outside-pool" in done.stdout


def test_hook_judges_a_cluster_in_a_subfolder_by_its_own_policy(tmp_path):
    top = tmp_path / "top"
    write_tree(top, {"README.md": "x\n", "cluster/.homeops-lint.yaml": POLICY, "cluster/net/pool.yaml": POOL,
                     "cluster/apps/web.yaml": service("web", "10.50.0.20")})
    git(top, "init", "-q")
    git(top, "add", "-A")
    git(top, "commit", "-qm", "init")
    (top / "cluster/apps/web.yaml").write_text(service("web", "10.50.1.1"))
    git(top, "add", "-A")
    done = cli("hook", "cluster/apps/web.yaml", cwd=top)
    assert done.returncode == 1
    assert b"apps/web.yaml:7:5: lb-ip-outside-pool" in done.stdout
    assert b"no .homeops-lint.yaml" not in done.stderr  # the cluster's policy was used


def test_snapshot_never_writes_through_hard_links(repo):
    """The before-state reuses files by hard link; reverting a changed one must not touch the original."""
    original = (repo / "apps/web.yaml").read_text()
    (repo / "apps/web.yaml").write_text(service("web", "10.50.1.1"))
    git(repo, "add", "apps/web.yaml")
    (repo / "net/pool.yaml").write_text(POOL.replace("10.50.0.99", "10.50.0.15"))
    git(repo, "add", "net/pool.yaml")
    shown(repo, "--staged")
    assert (repo / "apps/web.yaml").read_text() == service("web", "10.50.1.1") != original
    assert "10.50.0.15" in (repo / "net/pool.yaml").read_text()
    assert not list((repo / ".git").glob("homeops-lint-before-*"))  # cleaned up


def test_staged_with_a_baseline(repo):
    assert cli("baseline", "write", str(repo / ".baseline.yaml"), cwd=repo).returncode == 0
    (repo / "net/pool.yaml").write_text(POOL.replace("10.50.0.99", "10.50.0.15"))
    (repo / ".homeops-lint.yaml").write_text(POLICY.replace("10.50.0.99", "10.50.0.15"))
    git(repo, "add", "net/pool.yaml", ".homeops-lint.yaml")
    code, found = shown(repo, "--staged", "--baseline", ".baseline.yaml")
    assert code == 1 and found == [("lb-ip-outside-pool", "apps/web.yaml")]
    # The hook entry takes the same option (pre-commit: args: [--baseline, FILE]).
    done = cli("hook", "--baseline", ".baseline.yaml", "--quiet", "net/pool.yaml", cwd=repo)
    assert done.returncode == 1 and b"apps/legacy.yaml" not in done.stdout and b"apps/web.yaml" in done.stdout


def test_hook_in_pre_push_uses_the_pushed_range(repo):
    """pre-commit's pre-push stage: the base is PRE_COMMIT_FROM_REF, not HEAD."""
    start = git(repo, "rev-parse", "HEAD").strip()
    (repo / "net/pool.yaml").write_text(POOL.replace("10.50.0.99", "10.50.0.15"))
    (repo / ".homeops-lint.yaml").write_text(POLICY.replace("10.50.0.99", "10.50.0.15"))
    git(repo, "commit", "-qam", "narrow the pool")
    head = git(repo, "rev-parse", "HEAD").strip()
    env = {**ENV, "PRE_COMMIT_FROM_REF": start, "PRE_COMMIT_TO_REF": head}
    done = subprocess.run([*cli_command(), "hook", "--quiet", "net/pool.yaml", ".homeops-lint.yaml"], cwd=repo,
                          env=env, capture_output=True, timeout=120)
    assert done.returncode == 1 and b"apps/web.yaml:7:5: lb-ip-outside-pool" in done.stdout
    assert b"legacy" not in done.stdout
    # Without the range, HEAD already holds the change: nothing is new elsewhere.
    done = subprocess.run([*cli_command(), "hook", "--quiet", "net/pool.yaml", ".homeops-lint.yaml"], cwd=repo,
                          env=ENV, capture_output=True, timeout=120)
    assert b"apps/web.yaml" not in done.stdout


def cli_command() -> list[str]:
    import sys

    return [sys.executable, "-m", "homeops_lint"]
