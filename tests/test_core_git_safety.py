"""The linted repository's git configuration never runs code, in any git-backed mode."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from .conftest import cli, write_tree

DUP = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  name: b\n"


@pytest.mark.parametrize("mode", [[], ["--staged"], ["--changed"], ["--changed", "HEAD"]])
def test_repo_git_config_commands_never_run(tmp_path: Path, mode: list[str]) -> None:
    root = write_tree(tmp_path / "repo", {"ok.yaml": "a: 1\n", ".homeops-lint.yaml": "version: 1\n"})
    marker = tmp_path / "ran"
    hook = tmp_path / "hook.sh"
    hook.write_text(f"#!/bin/sh\ntouch {marker}\nexit 1\n")
    hook.chmod(0o755)
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@e", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@e"}
    git = ["git", "-C", str(root)]
    subprocess.run([*git, "init", "-q"], check=True, env=env)
    subprocess.run([*git, "add", "."], check=True, env=env)
    subprocess.run([*git, "commit", "-qm", "init"], check=True, env=env)
    # From here on, any git command that honours the repo's config would run the hook.
    for key in ("core.fsmonitor", "diff.external", "core.pager"):
        subprocess.run([*git, "config", key, str(hook)], check=True, env=env)
    subprocess.run([*git, "config", "diff.yaml.textconv", str(hook)], check=True, env=env)
    (root / ".gitattributes").write_text("*.yaml diff=yaml\n")
    (root / "bad.yaml").write_text(DUP)
    subprocess.run([*git, "add", "bad.yaml"], check=True, env={**env, "GIT_CONFIG_PARAMETERS": "'core.fsmonitor=false'"})
    marker.unlink(missing_ok=True)
    proc = cli(str(root), *mode, cwd=root)
    assert proc.returncode == 1, proc.stderr
    assert b"bad.yaml:5:3: parse-duplicate-key" in proc.stdout
    assert not marker.exists(), "a command from the linted repo's git config ran"
