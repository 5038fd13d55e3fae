"""The CI recipes of docs/diff.md run as written (all but the posting steps, which need the network)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import ROOT, write_tree
from .test_diff import REPO
from .test_hooks import git_env, pre_commit_language

CI = ROOT / "docs" / "ci"
VENV_BIN = Path(sys.executable).parent


def git(repo: Path, env: dict[str, str], *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=repo, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.fixture
def pull_request(tmp_path: Path) -> tuple[Path, Path, dict[str, str]]:
    """An upstream (bare) with main, and a clone whose branch `pr` moves a Service into the ingress pool."""
    env = git_env(tmp_path)
    work = write_tree(tmp_path / "work", REPO)
    git(work, env, "init", "-q", "-b", "main")
    git(work, env, "add", "-A")
    git(work, env, "commit", "-qm", "base")
    upstream = tmp_path / "upstream.git"
    git(tmp_path, env, "clone", "-q", "--bare", str(work), str(upstream))
    clone = tmp_path / "clone"
    git(tmp_path, env, "clone", "-q", str(upstream), str(clone))
    git(clone, env, "switch", "-q", "-c", "pr")
    service = clone / "apps/web/app/service.yaml"
    service.write_text(service.read_text().replace("10.0.50.110", "10.0.50.205"))
    git(clone, env, "commit", "-qam", "web: a new address")
    return clone, upstream, env


def _bash(script: str, cwd: Path, env: dict[str, str], *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", "-e", "-c", script, "recipe", *args], cwd=cwd, env=env, input=stdin,
                          capture_output=True, text=True, timeout=300)


def test_the_docs_show_the_recipes_verbatim() -> None:
    doc = (ROOT / "docs" / "diff.md").read_text(encoding="utf-8")
    for name in ("github-workflow.yaml", "gitlab-ci.yaml", "pre-push"):
        assert (CI / name).read_text(encoding="utf-8").rstrip() in doc, name


def test_github_workflow_reviews_the_pull_request(pull_request: tuple[Path, Path, dict[str, str]],
                                                   tmp_path: Path) -> None:
    from homeops_lint import yamlload

    clone, _, env = pull_request
    workflow = yamlload.load_one((CI / "github-workflow.yaml").read_text(encoding="utf-8"))
    steps = workflow["jobs"]["review"]["steps"]
    assert steps[0]["uses"].startswith("actions/checkout@") and steps[0]["with"]["fetch-depth"] == 0
    review = next(s for s in steps if s.get("id") == "diff")
    output, summary = tmp_path / "github-output", tmp_path / "step-summary"
    step_env = {**env, "GITHUB_OUTPUT": str(output), "GITHUB_STEP_SUMMARY": str(summary),
                **{k: v.replace("${{ github.base_ref }}", "main") for k, v in review["env"].items()}}
    done = _bash(review["run"], clone, step_env)
    assert done.returncode == 0, done.stderr  # the step records the status; a later step fails the job
    assert output.read_text() == "status=1\n"
    comment = (clone / "homeops-lint-diff.md").read_text()
    assert comment.startswith("<!-- homeops-lint diff -->\n**homeops-lint diff**: ❌ 2 new errors")
    assert "`lb-ip-wrong-pool`" in comment and summary.read_text() == comment
    post = next(s for s in steps if s.get("name") == "Post or update the comment")
    assert "<!-- homeops-lint diff -->" in post["run"] and "homeops-lint-diff.md" in post["run"]
    last = steps[-1]["run"].replace("${{ steps.diff.outputs.status }}", output.read_text().split("=")[1].strip())
    assert _bash(last, clone, env).returncode == 1


def test_gitlab_job_reviews_the_merge_request(pull_request: tuple[Path, Path, dict[str, str]]) -> None:
    from homeops_lint import yamlload

    clone, _, env = pull_request
    pipeline = yamlload.load_one((CI / "gitlab-ci.yaml").read_text(encoding="utf-8"))
    job = pipeline["homeops-lint-diff"]
    assert job["variables"]["GIT_DEPTH"] == "0" and job["artifacts"]["when"] == "always"
    base = git(clone, env, "merge-base", "origin/main", "HEAD")
    done = _bash("\n".join(job["script"]), clone, {**env, "CI_MERGE_REQUEST_DIFF_BASE_SHA": base})
    assert done.returncode == 1, done.stderr  # the job fails: the change introduces an error
    for path in job["artifacts"]["paths"]:
        assert (clone / path).read_text().startswith("<!-- homeops-lint diff -->")
    note = pipeline["homeops-lint-diff-note"]
    assert note["needs"] == [{"job": "homeops-lint-diff", "artifacts": True}]


def test_git_pre_push_hook_stops_a_push_that_introduces_an_error(
        pull_request: tuple[Path, Path, dict[str, str]]) -> None:
    clone, upstream, env = pull_request
    hook = clone / ".git" / "hooks" / "pre-push"
    hook.write_bytes((CI / "pre-push").read_bytes())
    hook.chmod(0o755)
    pushed = subprocess.run(["git", "push", "-q", "origin", "pr"], cwd=clone, env=env, capture_output=True,
                            text=True, timeout=300)
    assert pushed.returncode != 0
    assert "lb-ip-wrong-pool" in pushed.stdout + pushed.stderr
    assert "the push introduces errors" in pushed.stderr
    assert "pr" not in git(upstream, env, "branch", "--list", "pr")
    # A change that introduces no error goes through, new branch or not.
    git(clone, env, "switch", "-q", "-c", "docs", "origin/main")
    (clone / "README.md").write_text("# home-ops\n")
    git(clone, env, "add", "README.md")
    git(clone, env, "commit", "-qm", "docs")
    assert subprocess.run(["git", "push", "-q", "origin", "docs"], cwd=clone, env=env, capture_output=True,
                          timeout=300).returncode == 0
    (clone / "README.md").write_text("# home-ops\n\nMore.\n")
    git(clone, env, "commit", "-qam", "more docs")
    done = subprocess.run(["git", "push", "-q", "origin", "docs"], cwd=clone, env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr


def test_pre_commit_pre_push_hook(pull_request: tuple[Path, Path, dict[str, str]], tmp_path: Path) -> None:
    """The shipped hook, through the real pre-commit (offline: language and entry overridden as in test_hooks)."""
    from homeops_lint import yamlload

    clone, upstream, env = pull_request
    manifest_text = (ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8")
    hook = next(h for h in yamlload.load_one(manifest_text) if h["id"] == "homeops-lint-diff")
    assert hook["stages"] == ["pre-push"] and hook["pass_filenames"] is False and hook["always_run"] is True
    hooks_repo = write_tree(tmp_path / "hooks", {".pre-commit-hooks.yaml": manifest_text})
    git(hooks_repo, env, "init", "-q")
    git(hooks_repo, env, "add", "-A")
    git(hooks_repo, env, "commit", "-qm", "hooks")
    rev = git(hooks_repo, env, "rev-parse", "HEAD")
    (clone / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {hooks_repo}\n    rev: {rev}\n    hooks:\n      - id: homeops-lint-diff\n"
        f"        language: {pre_commit_language()}\n        entry: {VENV_BIN}/{hook['entry']}\n")
    installed = subprocess.run([sys.executable, "-m", "pre_commit", "install", "--hook-type", "pre-push"],
                               cwd=clone, env=env, capture_output=True, text=True, timeout=120)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    git(clone, env, "push", "-q", "origin", "main")  # the remote now knows main: pushes of pr have a base
    pushed = subprocess.run(["git", "push", "origin", "pr"], cwd=clone, env=env, capture_output=True,
                            text=True, timeout=300)
    assert pushed.returncode != 0, pushed.stdout + pushed.stderr
    assert "lb-ip-wrong-pool" in pushed.stdout + pushed.stderr


def test_pre_push_outside_pre_commit_is_a_usage_error(pull_request: tuple[Path, Path, dict[str, str]]) -> None:
    clone, _, env = pull_request
    env = {k: v for k, v in env.items() if not k.startswith("PRE_COMMIT_")}
    done = subprocess.run([sys.executable, "-m", "homeops_lint", "diff", "--pre-push"], cwd=clone, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "pre-push stage" in done.stderr
    env = {**env, "PRE_COMMIT_FROM_REF": git(clone, env, "rev-parse", "HEAD~1"),
           "PRE_COMMIT_TO_REF": git(clone, env, "rev-parse", "HEAD")}
    done = subprocess.run([sys.executable, "-m", "homeops_lint", "diff", "--pre-push"], cwd=clone, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and "lb-ip-wrong-pool" in done.stdout
