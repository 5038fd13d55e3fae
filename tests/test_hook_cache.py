"""The hook's before-state served from the cache (gitchanges.record_state / attribute).

A changed-files run records the findings of the state it judged; the next commit's hook finds its
before-state (HEAD plus the unchanged work tree) recorded and does not lint a snapshot of it
again. A hit must show exactly what a miss, and a run without any cache, shows.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import write_tree
from .test_integrations import ENV, POLICY, POOL, git, service

HIT_NOTE = "cache: the before-state's findings were recorded by an earlier run"
RAN_BEFORE = "homeops-lint timings: before-state"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = write_tree(tmp_path / "repo", {
        ".homeops-lint.yaml": POLICY,
        "net/pool.yaml": POOL,
        "apps/web.yaml": service("web", "10.50.0.20"),
        "apps/db.yaml": service("db", "10.50.0.30"),
        "apps/legacy.yaml": service("legacy", "10.50.7.7"),  # broken before any change: never shown
        "README.md": "hi\n",
    })
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "initial")
    return root


def hook(root: Path, cache: Path | None, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**ENV, "XDG_CACHE_HOME": str(root.parent / "xdg")}
    env.pop("HOMEOPS_LINT_NO_CACHE", None)
    env.pop("HOMEOPS_LINT_CACHE_DIR", None)
    where = ["--cache-dir", str(cache)] if cache is not None else ["--no-cache"]
    done = subprocess.run([sys.executable, "-m", "homeops_lint", "hook", "--color", "never", "--timings", *where,
                           *args], cwd=root, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode in (0, 1), done.stderr
    return done


def shrink_pool(root: Path) -> None:
    """A staged pool change that breaks web and db, which are not part of the change."""
    (root / "net/pool.yaml").write_text(POOL.replace("10.50.0.99", "10.50.0.15"))
    (root / ".homeops-lint.yaml").write_text(POLICY.replace("10.50.0.99", "10.50.0.15"))
    git(root, "add", "net/pool.yaml", ".homeops-lint.yaml")


def test_hit_miss_and_no_cache_show_the_same(repo, tmp_path):
    warm, cold = tmp_path / "warm", tmp_path / "cold"
    primed = hook(repo, warm)  # the previous commit's hook: nothing staged, the clean tree recorded
    assert "All checks passed" in primed.stdout and HIT_NOTE in primed.stderr  # nothing staged: the same state
    shrink_pool(repo)
    hit, miss, uncached = hook(repo, warm), hook(repo, cold), hook(repo, None)
    assert HIT_NOTE in hit.stderr and RAN_BEFORE not in hit.stderr
    assert HIT_NOTE not in miss.stderr and RAN_BEFORE in miss.stderr
    assert HIT_NOTE not in uncached.stderr and RAN_BEFORE in uncached.stderr
    assert hit.returncode == miss.returncode == uncached.returncode == 1
    assert hit.stdout == miss.stdout == uncached.stdout
    assert "apps/db.yaml" in hit.stdout and "apps/web.yaml" in hit.stdout  # new, caused by the change
    assert "apps/legacy.yaml" not in hit.stdout  # broken before the change
    again = hook(repo, cold)  # a retried commit: the miss recorded its before-state
    assert HIT_NOTE in again.stderr and again.stdout == miss.stdout


def test_an_unstaged_edit_elsewhere_is_a_miss(repo, tmp_path):
    """The before-state includes the unchanged work tree: a file edited since the recorded run
    makes another state, so its findings are linted, not read back."""
    warm = tmp_path / "warm"
    hook(repo, warm)
    (repo / "apps/legacy.yaml").write_text(service("legacy", "10.50.0.40"))  # fixed, not staged
    (repo / "apps/new.yaml").write_text(service("new", "10.50.0.41"))  # untracked: part of the tree
    shrink_pool(repo)
    done = hook(repo, warm)
    assert HIT_NOTE not in done.stderr and RAN_BEFORE in done.stderr
    assert done.stdout == hook(repo, None).stdout
    assert "apps/legacy.yaml" in done.stdout and "apps/new.yaml" in done.stdout  # broken by the change


def test_a_damaged_entry_is_a_miss(repo, tmp_path):
    warm = tmp_path / "warm"
    hook(repo, warm)
    entries = sorted(warm.glob("state-*.json"))
    assert entries
    for entry in entries:  # same length, one byte flipped: the HMAC no longer verifies
        data = bytearray(entry.read_bytes())
        data[-3] ^= 1
        entry.write_bytes(bytes(data))
    shrink_pool(repo)
    done = hook(repo, warm)
    assert HIT_NOTE not in done.stderr and RAN_BEFORE in done.stderr
    assert done.stdout == hook(repo, None).stdout


def test_the_hook_writes_nothing_into_the_repository(repo, tmp_path):
    def listing(root: Path) -> dict[str, bytes]:
        out = {}
        for folder, _dirs, files in os.walk(root):
            for name in files:
                full = Path(folder, name)
                out[str(full.relative_to(root))] = full.read_bytes()
        return out

    warm = tmp_path / "warm"
    hook(repo, warm)
    shrink_pool(repo)
    before = listing(repo)
    hook(repo, warm)  # a hit
    hook(repo, tmp_path / "cold")  # a miss: the snapshot lives in .git only while it runs
    assert listing(repo) == before
    assert sorted(p.name.split("-")[0] for p in warm.iterdir()) == ["stat", "state", "state"]


def test_a_lint_of_the_clean_tree_serves_the_first_hook(repo, tmp_path):
    warm = tmp_path / "warm"
    env = {**ENV, "XDG_CACHE_HOME": str(tmp_path / "xdg")}
    linted = subprocess.run([sys.executable, "-m", "homeops_lint", "--cache-dir", str(warm), "."], cwd=repo, env=env,
                            capture_output=True, text=True, timeout=120)
    assert linted.returncode == 1 and "apps/legacy.yaml" in linted.stdout
    shrink_pool(repo)
    done = hook(repo, warm)
    assert HIT_NOTE in done.stderr and done.stdout == hook(repo, None).stdout


RULE = """id: home-no-nodeport
severity: error
summary: No NodePort Services.
match: {kind: Service, applied: false}
assert:
  properties:
    spec:
      properties:
        type: {not: {const: ClusterIP}}
message: "{kind} {name}: `{path}` is {value}"
"""
NODEPORT = "apiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: apps}\nspec:\n  type: NodePort\n"


def test_a_rule_file_the_lint_does_not_read_is_part_of_the_state(tmp_path):
    """Custom rule files count even when the policy excludes them from the linted files: a state
    recorded with another version of a rule never serves as the before-state."""
    firing = RULE.replace("const: ClusterIP", "const: NodePort")
    root = write_tree(tmp_path / "repo", {
        ".homeops-lint.yaml": "version: 1\ncustom_rules: [rules]\nexclude: [rules/]\n",
        "rules/nodeport.yaml": firing, "apps/svc.yaml": NODEPORT, "README.md": "hi\n"})
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "initial")
    warm = tmp_path / "warm"
    (root / "rules/nodeport.yaml").write_text(RULE)  # an experiment with a quieter rule, never staged
    env = {**ENV, "XDG_CACHE_HOME": str(tmp_path / "xdg")}
    linted = subprocess.run([sys.executable, "-m", "homeops_lint", "--cache-dir", str(warm), "."], cwd=root, env=env,
                            capture_output=True, text=True, timeout=120)
    assert linted.returncode == 0 and "home-no-nodeport" not in linted.stdout
    (root / "rules/nodeport.yaml").write_text(firing)  # back to the committed rule
    (root / "README.md").write_text("hello\n")
    git(root, "add", "README.md")
    done = hook(root, warm)
    assert HIT_NOTE not in done.stderr and RAN_BEFORE in done.stderr
    assert "apps/svc.yaml" not in done.stdout  # its finding was there before this commit
    assert done.stdout == hook(root, None).stdout
