"""Never green by mistake (#18): usage errors keep exit 2, typos in rule ids fail loudly, a missing
root is not a clean repo, I/O errors are one line naming the path, written files honour the umask."""
from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import FIXTURES, ROOT, cli, write_tree

DUP = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  name: b\n"
BROKEN = FIXTURES / "home-ops-broken"


def one_line(proc: subprocess.CompletedProcess) -> str:
    lines = proc.stderr.decode().splitlines()
    assert len(lines) == 1, proc.stderr.decode()
    return lines[0]


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = write_tree(tmp_path / "repo", {".homeops-lint.yaml": "version: 1\n", "bad.yaml": DUP})
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@e", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@e"}
    subprocess.run(["git", "-C", str(root), "init", "-q"], check=True, env=env)
    subprocess.run(["git", "-C", str(root), "add", "."], check=True, env=env)
    subprocess.run(["git", "-C", str(root), "commit", "-qm", "init"], check=True, env=env)
    return root


@pytest.mark.parametrize("argv", [
    ["--config", "{root}/nope.yaml"],        # a missing --config
    ["--config", "{root}/bad-policy.yaml"],  # a policy with an unknown key
    ["--changed=no-such-ref"],               # a bad --changed ref
    ["--select", "lb-ip-outsde-pool"],       # an unknown rule id
])
def test_debug_adds_a_traceback_but_keeps_exit_2(repo: Path, argv: list[str]) -> None:
    (repo / "bad-policy.yaml").write_text("version: 1\nnot_a_key: 1\n")
    argv = [a.replace("{root}", str(repo)) for a in argv]
    plain = cli("--no-cache", *argv, cwd=repo)
    assert plain.returncode == 2, plain.stderr
    assert b"Traceback" not in plain.stderr
    message = one_line(plain)
    debug = cli("--no-cache", "--debug", *argv, cwd=repo)
    assert debug.returncode == 2, debug.stderr
    assert b"Traceback (most recent call last)" in debug.stderr
    assert debug.stderr.decode().splitlines()[-1] == message  # the same one line ends it


@pytest.mark.parametrize("option", ["--select", "--ignore"])
def test_an_unknown_rule_or_prefix_is_a_usage_error_with_a_suggestion(option: str) -> None:
    proc = cli("--no-cache", str(BROKEN), option, "lb-ip-outsde-pool")
    assert proc.returncode == 2
    line = one_line(proc)
    assert option in line and "'lb-ip-outsde-pool'" in line and "did you mean lb-ip-outside-pool" in line
    prefix = cli("--no-cache", str(BROKEN), option, "lbb-")
    assert prefix.returncode == 2 and "did you mean lb-" in one_line(prefix)
    nothing = cli("--no-cache", str(BROKEN), option, "zzzzzz")
    assert nothing.returncode == 2 and "did you mean" not in one_line(nothing)


def test_rule_ids_and_prefixes_ignore_case() -> None:
    def rules(*select: str) -> list[tuple[str, int]]:
        proc = cli("--no-cache", str(BROKEN), "--format", "json", *select)
        assert proc.returncode == 1, proc.stderr
        return [(f["rule"], f["line"]) for f in json.loads(proc.stdout)["findings"]]

    exact = rules("--select", "lb-ip-outside-pool")
    assert exact and {r for r, _ in exact} == {"lb-ip-outside-pool"}
    assert rules("--select", "LB-IP-OUTSIDE-POOL") == exact
    family = rules("--select", "lb-")
    assert len(family) > len(exact) and rules("--select", "LB-") == family
    assert rules("--select", "LB-", "--ignore", "LB-IP-OUTSIDE-POOL") == [f for f in family if f not in exact]
    upper, lower = cli("rule", "LB-IP-OUTSIDE-POOL"), cli("rule", "lb-ip-outside-pool")
    assert upper.returncode == 0 and upper.stdout == lower.stdout and b"lb-ip-outside-pool" in upper.stdout
    typo = cli("rule", "lb-ip-outsde-pool")
    assert typo.returncode == 2 and "did you mean lb-ip-outside-pool" in one_line(typo)


def test_a_missing_root_or_path_is_exit_2_and_an_empty_one_warns(tmp_path: Path) -> None:
    missing = tmp_path / "nonexistent"
    for argv in (["--root", str(missing)], ["--root", str(missing), str(tmp_path)], [str(missing)],
                 ["--root", str(tmp_path), str(missing)]):
        for cached in ([], ["--no-cache"]):
            proc = cli(*cached, *argv, cwd=tmp_path)
            assert proc.returncode == 2, (argv, proc.stdout, proc.stderr)
            assert str(missing) in one_line(proc)
            assert b"passed" not in proc.stdout
    a_file = write_tree(tmp_path / "f", {"x.yaml": "a: 1\n"}) / "x.yaml"
    proc = cli("--root", str(a_file), str(a_file))
    assert proc.returncode == 2 and "not a folder" in one_line(proc)
    empty = tmp_path / "empty"
    empty.mkdir()
    for quiet in ([], ["--quiet"]):
        proc = cli("--no-cache", *quiet, str(empty), cwd=empty)
        assert proc.returncode == 0, proc.stderr
        assert f"warning: no files were linted under {empty}" in proc.stderr.decode()


@pytest.mark.parametrize("argv", [
    ["--output", "{dir}"],
    ["--output", "{missing}/report.txt"],
    ["baseline", "write", "{missing}/baseline.json"],
    ["graph", "-o", "{missing}/graph.dot"],
    ["graph", "--output", "{dir}"],
])
def test_io_errors_are_one_line_naming_the_path(tmp_path: Path, argv: list[str]) -> None:
    root = write_tree(tmp_path / "repo", {".homeops-lint.yaml": "version: 1\n", "ok.yaml": "a: 1\n"})
    (tmp_path / "dir").mkdir()
    argv = [a.replace("{dir}", str(tmp_path / "dir")).replace("{missing}", str(tmp_path / "missing"))
            for a in argv]
    proc = cli(*argv, cwd=root)
    assert proc.returncode == 2
    line = one_line(proc)
    named = next(a for a in argv if str(tmp_path) in a)
    assert line.startswith(f"homeops-lint: {named}: ") and "internal error" not in line, line
    assert not list((tmp_path / "dir").iterdir())


@pytest.mark.parametrize("argv", [["--format", "nope"], ["--no-such-flag"], ["graph", "--format", "nope"],
                                  ["baseline"], ["baseline", "read", "x"], ["rules", "--format", "x"],
                                  ["init", "--nope"], ["test", "--nope"], ["hook", "--nope"]])
def test_argparse_usage_errors_are_one_line(argv: list[str]) -> None:
    proc = cli(*argv)
    assert proc.returncode == 2
    line = one_line(proc)
    assert line.startswith("homeops-lint") and ": error: " in line and "--help" in line


def _run_with_umask(umask: int, *argv: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "homeops_lint", *argv], cwd=cwd, capture_output=True,
                          timeout=120, preexec_fn=lambda: os.umask(umask))  # noqa: PLW1509 - test only


def test_written_files_honour_the_umask_and_keep_a_replaced_files_mode(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "repo", {"ok.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n"})
    out = tmp_path / "out"
    out.mkdir()
    writes = {
        "report.json": ["--no-cache", "--format", "json", "--output", "{out}/report.json", "."],
        "baseline.json": ["baseline", "write", "{out}/baseline.json"],
        "graph.dot": ["graph", "--format", "dot", "-o", "{out}/graph.dot"],
    }

    def write_all(umask: int) -> None:
        for argv in writes.values():
            proc = _run_with_umask(umask, *[a.replace("{out}", str(out)) for a in argv], cwd=root)
            assert proc.returncode == 0, (argv, proc.stderr)
        proc = _run_with_umask(umask, "init", "--force", ".", cwd=root)
        assert proc.returncode == 0, proc.stderr

    def mode(path: Path) -> int:
        return stat.S_IMODE(path.stat().st_mode)

    targets = [out / name for name in writes] + [root / ".homeops-lint.yaml"]
    write_all(0o022)
    assert {t.name: mode(t) for t in targets} == {t.name: 0o644 for t in targets}
    for target in targets:
        target.unlink()
    write_all(0o027)
    assert {t.name: mode(t) for t in targets} == {t.name: 0o640 for t in targets}
    for target in targets:  # a replaced file keeps the mode its owner gave it, whatever the umask
        target.chmod(0o604)
    write_all(0o077)
    assert {t.name: mode(t) for t in targets} == {t.name: 0o604 for t in targets}



def test_the_text_summary_says_what_is_fixable(tmp_path: Path) -> None:
    import shutil

    repo = tmp_path / "demo"
    shutil.copytree(BROKEN, repo)

    def lint(*argv: str) -> str:
        proc = cli("--no-cache", str(repo), *argv)
        assert proc.returncode in (0, 1), proc.stderr
        return proc.stdout.decode()

    safe = lint("--select", "lb-deprecated-annotation")
    assert safe.endswith("[*] 1 fixable with `--fix`.\n")
    unsafe_only = lint("--select", "cnpg-scheduled-backup-method")
    assert unsafe_only.endswith("[*] 1 fixable with `--fix --unsafe-fixes` (these fixes may change meaning).\n")
    both = lint("--select", "lb-deprecated-annotation,cnpg-scheduled-backup-method")
    assert both.endswith("[*] 1 fixable with `--fix` (1 more with `--fix --unsafe-fixes`).\n")
    assert "[*]" not in lint("--select", "parse-,flux-")  # findings, none fixable
    assert "[*]" not in lint("--quiet", "--select", "lb-deprecated-annotation")
    assert "[*]" not in lint("--format", "json", "--select", "lb-deprecated-annotation")
    # Once the safe fix is applied, only the unsafe one is left to advertise.
    after = lint("--fix", "--select", "lb-deprecated-annotation,cnpg-scheduled-backup-method")
    assert after.endswith("[*] 1 fixable with `--fix --unsafe-fixes` (these fixes may change meaning).\n")


def test_docs_install_only_what_exists() -> None:
    """homeops-lint is not on PyPI: no doc may tell users otherwise, and examples pin a commit or a real tag."""
    import re

    docs = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    for doc in docs:
        text = doc.read_text(encoding="utf-8")
        assert not re.search(r"pip install\s+[\"']?homeops-lint\b(?![@/])", text), doc
        assert not re.search(r"^\s*rev:\s*['\"]?v\d", text, re.M), doc  # a release tag nobody published
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    integrations = (ROOT / "docs" / "integrations.md").read_text(encoding="utf-8")
    for text in (readme, integrations):
        assert 'pip install "git+https://github.com/OWNER/homeops-lint@COMMIT_SHA"' in text
        assert re.search(r"^\s*rev: COMMIT_SHA\b", text, re.M)
    # The hooks the docs name are the ones the manifest ships.
    from homeops_lint import yamlload

    shipped = {h["id"] for h in yamlload.load_one((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))}
    named = set(re.findall(r"^\s*- id: (\S+)", integrations, re.M))
    assert named and named <= shipped
