"""End-to-end git hook tests with the real pre-commit (and the real lefthook from npm when it installs).

A temporary hooks repository holds this project's ``.pre-commit-hooks.yaml`` exactly as written;
the temporary cluster repo's ``.pre-commit-config.yaml`` points at it by path, so pre-commit clones
it without the network. The hooks declare ``language: python``, which would pip-install this
project and its dependencies from PyPI; offline, the config overrides ``language`` to
``unsupported`` (``system`` before pre-commit 4.4) and ``entry`` to the manifest's own entry run
from this venv's ``bin``. Everything else (file types, pass_filenames, require_serial, args) comes
from the shipped manifest.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import ROOT, write_tree

VENV_BIN = Path(sys.executable).parent
SECRET_VALUE = "hunter2-Xq9v7LmP3tZr"

POLICY = """\
version: 1
architecture:
  networks:
    loadbalancer: [10.50.0.0/24]
  pools:
    lan: {role: default, ranges: ["10.50.0.10-10.50.0.99"]}
"""
POOL = """\
apiVersion: cilium.io/v2
kind: CiliumLoadBalancerIPPool
metadata:
  name: lan
spec:
  blocks:
    - start: 10.50.0.10
      stop: 10.50.0.99
"""


def service(name: str, ip: str, port: int = 80) -> str:
    return f"""\
apiVersion: v1
kind: Service
metadata:
  name: {name}
  namespace: apps
  annotations:
    lbipam.cilium.io/ips: {ip}
spec:
  type: LoadBalancer
  selector: {{app: {name}}}
  ports:
    - port: {port}
"""


SECRET = f"""\
apiVersion: v1
kind: Secret
metadata:
  name: db-credentials
  namespace: apps
type: Opaque
stringData:
  username: app
  password: "{SECRET_VALUE}"
"""


def git_env(home: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid",
        "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.invalid",
        "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1",
        "PRE_COMMIT_HOME": str(home / "pre-commit-home"),
        "PATH": f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}",
        "NO_COLOR": "1",
    })
    env.pop("GIT_DIR", None)
    env.pop("GIT_INDEX_FILE", None)
    return env


def git(repo: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=repo, env=env, capture_output=True, text=True, timeout=120)


def init_repo(repo: Path, env: dict[str, str], files: dict[str, str]) -> None:
    write_tree(repo, files)
    assert git(repo, env, "init", "-q", "-b", "main").returncode == 0
    git(repo, env, "add", "-A")
    done = git(repo, env, "commit", "-q", "--no-verify", "-m", "initial")
    assert done.returncode == 0, done.stderr


def cluster_files() -> dict[str, str]:
    return {
        ".homeops-lint.yaml": POLICY,
        "README.md": "# my cluster\n",
        "kubernetes/network/pool.yaml": POOL,
        "kubernetes/apps/web.yaml": service("web", "10.50.0.20"),
        # A finding that is already committed: a hook must not blame the next, unrelated commit.
        "kubernetes/apps/legacy.yaml": service("legacy", "10.50.7.7"),
    }


def pre_commit_language() -> str:
    import pre_commit.constants

    major, minor = (int(p) for p in pre_commit.constants.VERSION.split(".")[:2])
    return "unsupported" if (major, minor) >= (4, 4) else "system"


@pytest.fixture
def pre_commit_repo(tmp_path: Path):
    """A cluster repo with pre-commit installed and both shipped hooks configured."""
    from homeops_lint import yamlload

    env = git_env(tmp_path)
    hooks_repo = tmp_path / "hooks"
    hooks_repo.mkdir()
    manifest_text = (ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8")
    init_repo(hooks_repo, env, {".pre-commit-hooks.yaml": manifest_text})
    rev = git(hooks_repo, env, "rev-parse", "HEAD").stdout.strip()
    manifest = {h["id"]: h for h in yamlload.load_one(manifest_text)}
    hooks = ""
    for hook_id in ("homeops-lint", "homeops-lint-secrets"):
        entry = f"{VENV_BIN}/{manifest[hook_id]['entry']}"
        hooks += (f"      - id: {hook_id}\n        language: {pre_commit_language()}\n"
                  f"        entry: {entry}\n")
    config = f"repos:\n  - repo: {hooks_repo}\n    rev: {rev}\n    hooks:\n{hooks}"
    repo = tmp_path / "cluster"
    init_repo(repo, env, {**cluster_files(), ".pre-commit-config.yaml": config})
    installed = subprocess.run([sys.executable, "-m", "pre_commit", "install"], cwd=repo, env=env,
                               capture_output=True, text=True, timeout=120)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    return repo, env


def commit(repo: Path, env: dict[str, str], files: dict[str, str], message: str = "change") -> tuple[int, str]:
    write_tree(repo, files)
    git(repo, env, "add", *files)
    done = git(repo, env, "commit", "-m", message)
    return done.returncode, done.stdout + done.stderr


def test_manifest_declares_both_hooks():
    from homeops_lint import yamlload

    hooks = {h["id"]: h for h in yamlload.load_one((ROOT / ".pre-commit-hooks.yaml").read_text())}
    assert set(hooks) >= {"homeops-lint", "homeops-lint-secrets"}
    for hook in (hooks["homeops-lint"], hooks["homeops-lint-secrets"]):  # the pre-commit stage ones
        assert hook["language"] == "python" and hook["pass_filenames"] is True
        assert hook["require_serial"] is True  # one process sees every staged file
        assert hook["entry"].startswith("homeops-lint hook")
        assert hook.get("types") in (None, ["text"])
    assert "--select secret-" in hooks["homeops-lint-secrets"]["entry"]


def test_pre_commit_clean_commit_passes(pre_commit_repo):
    repo, env = pre_commit_repo
    code, output = commit(repo, env, {"kubernetes/apps/web.yaml": service("web", "10.50.0.21", 8080)})
    assert code == 0, output
    assert re.search(r"homeops-lint\.+Passed", output), output
    # The committed legacy finding is not this commit's business.
    assert "legacy" not in output


def test_pre_commit_rejects_ip_outside_pool(pre_commit_repo):
    repo, env = pre_commit_repo
    code, output = commit(repo, env, {"kubernetes/apps/web.yaml": service("web", "10.50.1.20")})
    assert code != 0, output
    assert re.search(r"homeops-lint\.+Failed", output), output
    assert "kubernetes/apps/web.yaml:7:5: lb-ip-outside-pool" in output
    assert "10.50.1.20" in output
    assert "legacy" not in output
    assert git(repo, env, "rev-list", "--count", "HEAD").stdout.strip() == "1"  # nothing was committed


def test_pre_commit_reports_cross_file_breakage(pre_commit_repo):
    """Narrowing the pool (the only staged file) breaks web.yaml, which is not staged."""
    repo, env = pre_commit_repo
    narrowed = POOL.replace("stop: 10.50.0.99", "stop: 10.50.0.15")
    policy = POLICY.replace("10.50.0.10-10.50.0.99", "10.50.0.10-10.50.0.15")
    code, output = commit(repo, env, {"kubernetes/network/pool.yaml": narrowed, ".homeops-lint.yaml": policy})
    assert code != 0, output
    assert "kubernetes/apps/web.yaml:7:5: lb-ip-outside-pool" in output
    assert "legacy" not in output  # it was outside every pool before the change too


def test_pre_commit_rejects_plaintext_secret_without_printing_it(pre_commit_repo):
    repo, env = pre_commit_repo
    code, output = commit(repo, env, {"kubernetes/apps/secret.yaml": SECRET})
    assert SECRET_VALUE not in output
    assert SECRET_VALUE[3:-3] not in output
    assert code != 0, f"a plaintext Secret was committed; hook output:\n{output}"
    assert re.search(r"homeops-lint \(secrets\)\.+Failed", output), output
    assert "kubernetes/apps/secret.yaml" in output and "secret-" in output


# ---------------------------------------------------------------- lefthook

LEFTHOOK_VERSION = "2.2.1"
# The snippet documented in docs/integrations.md; the test checks the doc holds it verbatim.
LEFTHOOK_SNIPPET = """\
pre-commit:
  jobs:
    - name: homeops-lint
      run: homeops-lint hook {staged_files}
    - name: homeops-lint-secrets
      run: homeops-lint hook --select secret- {staged_files}
"""


@pytest.fixture(scope="session")
def lefthook_bin(tmp_path_factory) -> Path:
    npm = shutil.which("npm")
    if npm is None:
        pytest.skip("npm is not installed, so the real lefthook cannot be fetched")
    folder = tmp_path_factory.mktemp("lefthook")
    try:
        done = subprocess.run([npm, "i", "-E", f"lefthook@{LEFTHOOK_VERSION}", "--no-audit", "--no-fund",
                               "--ignore-scripts"], cwd=folder, capture_output=True, text=True, timeout=300)
    except subprocess.TimeoutExpired:
        pytest.skip("npm install lefthook timed out (no registry access?)")
    binary = folder / "node_modules" / ".bin" / "lefthook"
    if done.returncode != 0 or not binary.exists():
        pytest.skip(f"npm could not install lefthook@{LEFTHOOK_VERSION}: {done.stderr.strip()[-300:]}")
    version = subprocess.run([str(binary), "version"], capture_output=True, text=True, timeout=60)
    if version.returncode != 0:
        pytest.skip(f"the lefthook binary does not run here: {version.stderr.strip()[-300:]}")
    return binary


@pytest.fixture
def lefthook_repo(tmp_path: Path, lefthook_bin: Path):
    env = git_env(tmp_path)
    env["PATH"] = f"{lefthook_bin.parent}{os.pathsep}{env['PATH']}"
    env["LEFTHOOK_QUIET"] = ""
    repo = tmp_path / "cluster"
    init_repo(repo, env, {**cluster_files(), "lefthook.yml": LEFTHOOK_SNIPPET})
    done = subprocess.run([str(lefthook_bin), "install"], cwd=repo, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    return repo, env


def test_docs_hold_the_tested_lefthook_snippet():
    assert LEFTHOOK_SNIPPET in (ROOT / "docs" / "integrations.md").read_text(encoding="utf-8")


def test_lefthook_clean_commit_passes(lefthook_repo):
    repo, env = lefthook_repo
    code, output = commit(repo, env, {"kubernetes/apps/web.yaml": service("web", "10.50.0.21", 8080)})
    assert code == 0, output
    assert "legacy" not in output


def test_lefthook_rejects_ip_outside_pool(lefthook_repo):
    repo, env = lefthook_repo
    code, output = commit(repo, env, {"kubernetes/apps/web.yaml": service("web", "10.50.1.20")})
    assert code != 0, output
    assert "kubernetes/apps/web.yaml:7:5: lb-ip-outside-pool" in output
    assert "legacy" not in output


def test_lefthook_reports_cross_file_breakage(lefthook_repo):
    repo, env = lefthook_repo
    narrowed = POOL.replace("stop: 10.50.0.99", "stop: 10.50.0.15")
    policy = POLICY.replace("10.50.0.10-10.50.0.99", "10.50.0.10-10.50.0.15")
    code, output = commit(repo, env, {"kubernetes/network/pool.yaml": narrowed, ".homeops-lint.yaml": policy})
    assert code != 0, output
    assert "kubernetes/apps/web.yaml:7:5: lb-ip-outside-pool" in output


def test_lefthook_rejects_plaintext_secret_without_printing_it(lefthook_repo):
    repo, env = lefthook_repo
    code, output = commit(repo, env, {"kubernetes/apps/secret.yaml": SECRET})
    assert SECRET_VALUE not in output
    assert code != 0, f"a plaintext Secret was committed; hook output:\n{output}"
    assert "kubernetes/apps/secret.yaml" in output and "secret-" in output
