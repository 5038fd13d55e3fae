"""The linted repository's git configuration never runs code, in any git-backed mode."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from .conftest import cli, write_tree

DUP = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  name: b\n"
# Every hook git knows (githooks(5)); any of them running under core.hooksPath is a failure.
HOOKS = ("applypatch-msg", "pre-applypatch", "post-applypatch", "pre-commit", "pre-merge-commit",
         "prepare-commit-msg", "commit-msg", "post-commit", "pre-rebase", "post-checkout", "post-merge",
         "pre-push", "pre-receive", "update", "proc-receive", "post-receive", "post-update",
         "reference-transaction", "push-to-checkout", "pre-auto-gc", "post-rewrite", "sendemail-validate",
         "fsmonitor-watchman", "p4-changelist", "p4-prepare-changelist", "p4-post-changelist",
         "p4-pre-submit", "post-index-change")
ENV = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@e", "GIT_COMMITTER_NAME": "t",
       "GIT_COMMITTER_EMAIL": "t@e"}


@pytest.mark.parametrize("mode", [[], ["--staged"], ["--changed"], ["--changed", "HEAD"]])
def test_repo_git_config_commands_never_run(tmp_path: Path, mode: list[str]) -> None:
    root = write_tree(tmp_path / "repo", {"ok.yaml": "a: 1\n", ".homeops-lint.yaml": "version: 1\n"})
    marker = tmp_path / "ran"
    hook = tmp_path / "hook.sh"
    hook.write_text(f"#!/bin/sh\ntouch {marker}\nexit 1\n")
    hook.chmod(0o755)
    git = ["git", "-C", str(root)]
    subprocess.run([*git, "init", "-q"], check=True, env=ENV)
    subprocess.run([*git, "add", "."], check=True, env=ENV)
    subprocess.run([*git, "commit", "-qm", "init"], check=True, env=ENV)
    # From here on, any git command that honours the repo's config would run the hook.
    for key in ("core.fsmonitor", "diff.external", "core.pager"):
        subprocess.run([*git, "config", key, str(hook)], check=True, env=ENV)
    subprocess.run([*git, "config", "diff.yaml.textconv", str(hook)], check=True, env=ENV)
    (root / ".gitattributes").write_text("*.yaml diff=yaml\n")
    (root / "bad.yaml").write_text(DUP)
    subprocess.run([*git, "add", "bad.yaml"], check=True, env={**ENV, "GIT_CONFIG_PARAMETERS": "'core.fsmonitor=false'"})
    marker.unlink(missing_ok=True)
    proc = cli(str(root), *mode, cwd=root)
    assert proc.returncode == 1, proc.stderr
    assert b"bad.yaml:5:3: parse-duplicate-key" in proc.stdout
    assert not marker.exists(), "a command from the linted repo's git config ran"


def _hostile_repo(tmp_path: Path) -> tuple[Path, Path]:
    """A committed repo whose config plants a marker-writing command everywhere git could run one,
    with a stat-dirty work tree (same content, new mtimes) and one really changed file."""
    root = write_tree(tmp_path / "repo", {
        ".homeops-lint.yaml": "version: 1\n",
        "ok.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ok\n",
        "apps/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n",
        "cases/dup/cm.yaml": DUP,
        "cases/dup/homeops-lint-test.yaml": "expect:\n  - {rule: parse-duplicate-key, path: cm.yaml, line: 5}\n",
    })
    markers = tmp_path / "markers"
    markers.mkdir()
    git = ["git", "-C", str(root)]
    subprocess.run([*git, "init", "-q"], check=True, env=ENV)
    subprocess.run([*git, "add", "."], check=True, env=ENV)
    subprocess.run([*git, "commit", "-qm", "init"], check=True, env=ENV)

    def command(name: str) -> str:
        script = tmp_path / f"{name}.sh"
        script.write_text(f"#!/bin/sh\ntouch {markers / name}\ncat\n")
        script.chmod(0o755)
        return str(script)

    hooks = tmp_path / "hooks"
    hooks.mkdir()
    for name in HOOKS:
        (hooks / name).write_text(f"#!/bin/sh\ntouch {markers / ('hook-' + name)}\n")
        (hooks / name).chmod(0o755)
    config = {
        "core.hooksPath": str(hooks),
        "core.fsmonitor": command("fsmonitor"),
        "core.pager": command("pager"),
        "pager.diff": command("pager-diff"),
        "diff.external": command("external-diff"),
        "diff.mark.textconv": command("textconv"),
        "diff.mark.command": command("diff-driver"),
        "filter.mark.clean": command("clean"),
        "filter.mark.smudge": command("smudge"),
        "filter.mark.process": command("process"),
        "core.askPass": command("askpass"),
        "credential.helper": command("credential"),
        "core.sshCommand": command("ssh"),
        "gpg.program": command("gpg"),
    }
    for key, value in config.items():
        subprocess.run([*git, "config", key, value], check=True, env=ENV)
    (root / ".gitattributes").write_text("* filter=mark diff=mark\n")
    # Stat-dirty: every tracked file keeps its content but gets a new mtime, so any command that
    # refreshes the index must re-hash it through the clean filter.
    for path in root.rglob("*"):
        if path.is_file() and ".git" not in path.parts:
            os.utime(path, (1_000_000_000, 1_000_000_000))
    (root / "apps" / "cm.yaml").write_text(DUP)  # a real unstaged change with a finding
    return root, markers


SUBCOMMANDS = [
    ["."], ["--staged"], ["--changed"], ["--changed", "HEAD"], ["--changed=HEAD", "apps"],
    ["--fix"], ["--diff"], ["--no-cache", "."], ["hook"], ["hook", "apps/cm.yaml"],
    ["baseline", "write", "{tmp}/baseline.json"], ["--baseline", "{tmp}/baseline.json"],
    ["graph"], ["graph", "--format", "mermaid"], ["init", "--stdout"], ["init", "--force"],
    ["rules"], ["rule", "parse-duplicate-key"], ["test", "cases"], ["diff", "HEAD"],
]


def test_every_subcommand_leaves_git_config_and_index_alone(tmp_path: Path) -> None:
    root, markers = _hostile_repo(tmp_path)
    index = (root / ".git" / "index").read_bytes()
    ran = []
    for argv in SUBCOMMANDS:
        argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
        proc = cli(*argv, cwd=root)
        assert proc.returncode in (0, 1), (argv, proc.stderr)
        planted = sorted(p.name for p in markers.iterdir())
        if planted:
            ran.append((argv, planted))
            for p in markers.iterdir():
                p.unlink()
        assert (root / ".git" / "index").read_bytes() == index, f"{argv} rewrote .git/index"
    assert not ran, f"the linted repo's git config ran commands: {ran}"


def test_changed_sees_a_content_change_under_a_clean_filter(tmp_path: Path) -> None:
    """Without running the filter, --changed still finds the changed file (and only it)."""
    root, markers = _hostile_repo(tmp_path)
    proc = cli("--changed", "--format", "json", cwd=root)
    assert proc.returncode == 1, proc.stderr
    assert b'"path": "apps/cm.yaml"' in proc.stdout
    assert b"cases/dup/cm.yaml" not in proc.stdout  # stat-dirty but unchanged: not attributed
    assert not list(markers.iterdir())


def test_changed_paths_without_git_diff(tmp_path: Path) -> None:
    """The plumbing comparison finds what ``git diff --name-only BASE`` would, and no more:
    edits, deletions, additions, staged-only changes, a symlink retarget; not a sparse
    (skip-worktree) file that is absent on disk, nor a touched file."""
    from homeops_lint.gitchanges import changed, staged

    root = write_tree(tmp_path / "repo", {"a.yaml": "a: 1\n", "b.yaml": "b: 1\n", "c.yaml": "c: 1\n",
                                          "d.yaml": "d: 1\n", "sparse.yaml": "s: 1\n", "same.yaml": "x: 1\n",
                                          "sub/e.yaml": "e: 1\n"})
    (root / "link.yaml").symlink_to("a.yaml")
    git = ["git", "-C", str(root)]
    subprocess.run([*git, "init", "-q"], check=True, env=ENV)
    subprocess.run([*git, "add", "."], check=True, env=ENV)
    subprocess.run([*git, "commit", "-qm", "init"], check=True, env=ENV)
    (root / "a.yaml").write_text("a: 2\n")                     # unstaged edit
    (root / "b.yaml").unlink()                                # unstaged deletion
    (root / "c.yaml").write_text("c: 2\n")                    # staged edit ...
    subprocess.run([*git, "add", "c.yaml"], check=True, env=ENV)
    (root / "new.yaml").write_text("n: 1\n")                  # untracked
    (root / "link.yaml").unlink()
    (root / "link.yaml").symlink_to("d.yaml")                 # retargeted symlink
    subprocess.run([*git, "update-index", "--skip-worktree", "sparse.yaml"], check=True, env=ENV)
    (root / "sparse.yaml").unlink()                           # sparse checkout: not a deletion
    os.utime(root / "same.yaml", (1_000_000_000, 1_000_000_000))  # stat-dirty only
    (root / "sub" / "e.yaml").write_text("e: 2\n")
    expected = {"a.yaml", "b.yaml", "c.yaml", "new.yaml", "link.yaml", "sub/e.yaml"}
    assert set(changed(root, "HEAD").paths) == expected
    assert set(changed(root / "sub", "HEAD").paths) == {"e.yaml"}  # relative to a nested root
    assert set(staged(root).paths) == {"c.yaml"}
