"""The content-hash cache: an unchanged tree replays byte-identical output; any change to a file,
the policy or the tool invalidates it; a corrupt or foreign cache is ignored and rebuilt."""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from homeops_lint import cache as cache_mod
from homeops_lint import cli

ROOT = Path(__file__).resolve().parent.parent
DEMOS = ["home-ops", "home-ops-broken"]


@pytest.fixture(autouse=True)
def _private_cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("HOMEOPS_LINT_CACHE_DIR", raising=False)
    monkeypatch.delenv("HOMEOPS_LINT_NO_CACHE", raising=False)


def lint(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = cli.main(["--format", "json", "--timings", *args])
    out, err = capsys.readouterr()
    return code, out, err


def replayed(err: str) -> bool:
    return "output replayed" in err


def copy_demo(tmp_path: Path, name: str = "home-ops") -> Path:
    target = tmp_path / name
    shutil.copytree(ROOT / "fixtures" / name, target)
    return target


@pytest.mark.parametrize("demo", DEMOS)
def test_cold_and_warm_output_are_byte_identical(demo: str, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    repo = ROOT / "fixtures" / demo
    cache = tmp_path / "cache"
    code0, plain, _ = lint(capsys, "--no-cache", str(repo))
    code1, cold, err1 = lint(capsys, "--cache-dir", str(cache), str(repo))
    code2, warm, err2 = lint(capsys, "--cache-dir", str(cache), str(repo))
    assert not replayed(err1) and replayed(err2)
    assert plain == cold == warm
    assert code0 == code1 == code2
    assert json.loads(warm)["findings"] == json.loads(plain)["findings"]


def test_no_cache_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cache = tmp_path / "cache"
    lint(capsys, "--no-cache", "--cache-dir", str(cache), str(ROOT / "fixtures" / "home-ops"))
    assert not cache.exists()
    assert not (tmp_path / "xdg").exists()


def test_default_cache_is_outside_the_tree(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = copy_demo(tmp_path)
    before = sorted(p.relative_to(repo) for p in repo.rglob("*"))
    lint(capsys, str(repo))
    assert sorted(p.relative_to(repo) for p in repo.rglob("*")) == before
    homes = list((tmp_path / "xdg" / "homeops-lint").iterdir())
    assert any(h.is_dir() and list(h.glob("out-*.json")) for h in homes)


def test_a_changed_file_invalidates(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = copy_demo(tmp_path)
    cache = tmp_path / "cache"
    lint(capsys, "--cache-dir", str(cache), str(repo))
    target = next(p for p in sorted(repo.rglob("*.yaml")) if "kind: Service" in p.read_text())
    # Same size and mtime as before: only the content (and ctime) differ.
    stat = target.stat()
    text = target.read_text()
    changed = text.replace("kind: Service", "kind: Servicf", 1)
    assert len(changed) == len(text)
    target.write_text(changed)
    os.utime(target, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    _, warm, err = lint(capsys, "--cache-dir", str(cache), str(repo))
    _, fresh, _ = lint(capsys, "--no-cache", str(repo))
    assert not replayed(err)
    assert warm == fresh


def test_a_new_file_invalidates(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = copy_demo(tmp_path)
    cache = tmp_path / "cache"
    lint(capsys, "--cache-dir", str(cache), str(repo))
    (repo / "stray.yaml").write_text("apiVersion: v1\nkind: Secret\nmetadata:\n  name: x\nstringData:\n  password: hunter2hunter2\n")
    _, warm, err = lint(capsys, "--cache-dir", str(cache), str(repo))
    _, fresh, _ = lint(capsys, "--no-cache", str(repo))
    assert not replayed(err)
    assert warm == fresh


def test_policy_and_options_invalidate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = copy_demo(tmp_path)
    cache = tmp_path / "cache"
    lint(capsys, "--cache-dir", str(cache), str(repo))
    _, _, err = lint(capsys, "--cache-dir", str(cache), "--ignore", "lb-", str(repo))
    assert not replayed(err)
    policy = repo / ".homeops-lint.yaml"
    policy.write_text(policy.read_text() + "\n# a comment changes no rule, but the policy bytes\nexclude: [docs/]\n")
    _, warm, err = lint(capsys, "--cache-dir", str(cache), str(repo))
    _, fresh, _ = lint(capsys, "--no-cache", str(repo))
    assert not replayed(err)
    assert warm == fresh
    code = cli.main(["--cache-dir", str(cache), "--format", "text", "--color", "never", str(repo)])
    text_out, _ = capsys.readouterr()
    assert code in (0, 1) and not text_out.startswith("{")


def test_tool_version_invalidates(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    repo = ROOT / "fixtures" / "home-ops"
    cache = tmp_path / "cache"
    lint(capsys, "--cache-dir", str(cache), str(repo))
    _, _, err = lint(capsys, "--cache-dir", str(cache), str(repo))
    assert replayed(err)
    monkeypatch.setattr(cache_mod, "__version__", "999.0.0")
    _, _, err = lint(capsys, "--cache-dir", str(cache), str(repo))
    assert not replayed(err)


@pytest.mark.parametrize("damage", ["garbage", "truncate", "flip", "foreign-key", "empty", "old-format"])
def test_corrupt_or_foreign_cache_is_ignored_and_rebuilt(damage: str, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    repo = ROOT / "fixtures" / "home-ops-broken"
    cache = tmp_path / "cache"
    _, cold, _ = lint(capsys, "--cache-dir", str(cache), str(repo))
    entries = sorted(cache.glob("*.json"))
    assert entries
    for entry in entries:
        blob = entry.read_bytes()
        if damage == "garbage":
            entry.write_bytes(b"\x00\xff not a cache entry")
        elif damage == "truncate":
            entry.write_bytes(blob[: len(blob) // 2])
        elif damage == "flip":  # same length, one payload byte changed: the HMAC no longer matches
            entry.write_bytes(blob[:-3] + bytes([blob[-3] ^ 1]) + blob[-2:])
        elif damage == "empty":
            entry.write_bytes(b"")
        elif damage == "old-format":
            entry.write_bytes(blob.replace(b"homeops-lint-cache 1 ", b"homeops-lint-cache 0 ", 1))
    if damage == "foreign-key":  # entries made by another user (or copied in from a repository)
        (tmp_path / "xdg" / "homeops-lint" / "key").write_bytes(os.urandom(32))
    _, again, err = lint(capsys, "--cache-dir", str(cache), str(repo))
    assert not replayed(err)
    assert again == cold
    _, warm, err = lint(capsys, "--cache-dir", str(cache), str(repo))
    assert replayed(err) and warm == cold


def test_unwritable_cache_falls_back_silently(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    repo = ROOT / "fixtures" / "home-ops"
    _, plain, _ = lint(capsys, "--no-cache", str(repo))
    code, out, err = lint(capsys, "--cache-dir", str(blocker / "cache"), str(repo))
    assert out == plain and "Traceback" not in err and code in (0, 1)


def test_cache_folder_inside_the_tree_is_not_linted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = copy_demo(tmp_path)
    _, plain, _ = lint(capsys, "--no-cache", str(repo))
    inside = repo / ".cache-here"
    lint(capsys, "--cache-dir", str(inside), str(repo))
    assert list(inside.glob("out-*.json"))
    _, cold, err = lint(capsys, "--no-cache", "--cache-dir", str(inside), str(repo))
    # A second folder name that discovery does not know by name: still excluded as the cache folder.
    _, again, err = lint(capsys, "--cache-dir", str(inside), str(repo))
    assert replayed(err)
    summary = json.loads(again)["summary"]
    assert summary == json.loads(plain)["summary"]
    assert all(".cache-here" not in f["path"] for f in json.loads(again)["findings"])


def test_entries_are_json_and_sealed(tmp_path: Path) -> None:
    store = cache_mod.Cache(tmp_path / "c")
    assert store.put("out", "k", {"a": [1, "é"]})
    assert store.get("out", "k") == {"a": [1, "é"]}
    path = tmp_path / "c" / "out-k.json"
    head, _, payload = path.read_bytes().partition(b"\n")
    assert head.startswith(b"homeops-lint-cache 1 ")
    assert json.loads(payload) == {"a": [1, "é"]}
    assert store.get("out", "missing") is None
    # Renaming an entry to another key is detected (the HMAC covers the name).
    path.rename(tmp_path / "c" / "out-other.json")
    assert store.get("out", "other") is None


def test_digests_follow_content_not_stat(tmp_path: Path) -> None:
    store = cache_mod.Cache(tmp_path / "c")
    (tmp_path / "a.yaml").write_text("a: 1\n")
    first = store.digests(tmp_path, ["a.yaml", "missing.yaml"])
    assert first["missing.yaml"].startswith("error:")
    assert store.digests(tmp_path, ["a.yaml"])["a.yaml"] == first["a.yaml"]
    (tmp_path / "a.yaml").write_text("a: 2\n")
    assert store.digests(tmp_path, ["a.yaml"])["a.yaml"] != first["a.yaml"]
