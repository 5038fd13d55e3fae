"""read_file resolves each folder once per run (from its parent's real path and one lstat); a
symlinked folder anywhere in the chain is still resolved in full, so a path through it that leaves
the repository is never read, whatever order the files come in."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from homeops_lint.source import ReadLimits, read_file


def _tree(tmp_path: Path) -> Path:
    outside = tmp_path / "outside"
    (outside / "c").mkdir(parents=True)
    (outside / "c" / "x.yaml").write_text("a: 1\n")
    root = tmp_path / "repo"
    (root / "a" / "b" / "real" / "c").mkdir(parents=True)
    (root / "a" / "b" / "real" / "c" / "x.yaml").write_text("a: 1\n")
    (root / "a" / "b" / "here.yaml").write_text("a: 1\n")
    os.symlink(outside, root / "a" / "b" / "out")  # leaves the repository
    os.symlink("real", root / "a" / "b" / "in")  # stays inside it
    return root


ORDERS = [["a/b/here.yaml", "a/b/real/c/x.yaml", "a/b/out/c/x.yaml", "a/b/in/c/x.yaml"],
          ["a/b/out/c/x.yaml", "a/b/in/c/x.yaml", "a/b/real/c/x.yaml", "a/b/here.yaml"]]


@pytest.mark.parametrize("order", ORDERS)
def test_symlinked_folders_in_the_chain(tmp_path: Path, order: list[str]) -> None:
    root = _tree(tmp_path)
    cache: dict[str, str] = {}
    verdicts = {}
    for rel in order:
        source, problems = read_file(root, rel, ReadLimits(), os.path.realpath(root), (), cache)
        verdicts[rel] = (source.kind.value, [p.message for p in problems])
    assert verdicts["a/b/out/c/x.yaml"][0] == "skipped"
    assert "outside the repository" in verdicts["a/b/out/c/x.yaml"][1][0]
    for rel in ("a/b/here.yaml", "a/b/real/c/x.yaml", "a/b/in/c/x.yaml"):
        assert verdicts[rel] == ("yaml", []), rel
    for folder, real in cache.items():  # every cached folder is what realpath says
        assert real == os.path.realpath(folder), folder
