#!/usr/bin/env python3
"""Compare the reports of two homeops-lint builds, byte for byte, over every repository we have.

Usage:
  python bench/compare.py --ref OLD/.venv/bin/homeops-lint --new .venv/bin/homeops-lint
                          [--only fixtures,demo,bench,corpus] [--sizes small,medium]
                          [--formats json] [--trees DIR] [--work DIR]

A refactor must not change what the tool says. This lints, with each build in turn and the same
arguments (``--no-cache --format FORMAT``):

- fixtures: every fixture case (``fixtures/**/homeops-lint-test.yaml``), each as its own root;
- demo: the demo repositories ``fixtures/home-ops`` and ``fixtures/home-ops-broken``;
- bench: the generated corpora (``bench/generate.py``, seed 1, each size with and without
  ``--violations``);
- corpus: the real-repository trees (``bench/corpus/run.py`` exports them; default
  ``/tmp/homeops-corpus/trees``), skipped when absent.

The fixtures and demo repositories are copied to ``--work`` first (the linted tree is then the
same for both builds whatever the git state of this checkout). A run's output is its stdout, its
stderr and its exit code; two runs are identical only when all three are. Prints one line per
differing target (with the first differing line), a count per group, and exits 1 when anything
differs.
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
CHECKOUT = HERE.parent
GROUPS = ("fixtures", "demo", "bench", "corpus")
DEMOS = ("home-ops", "home-ops-broken")


def fixture_targets(work: Path) -> list[tuple[str, Path]]:
    copy = work / "fixtures"
    if copy.exists():
        shutil.rmtree(copy)
    shutil.copytree(CHECKOUT / "fixtures", copy, symlinks=True)
    demos = {copy / name for name in DEMOS}
    cases = sorted(p.parent for p in copy.rglob("homeops-lint-test.yaml"))
    return [(str(case.relative_to(copy)), case) for case in cases
            if not any(case == demo or demo in case.parents for demo in demos)]


def demo_targets(work: Path) -> list[tuple[str, Path]]:
    copy = work / "fixtures"
    return [(name, copy / name) for name in DEMOS if (copy / name).is_dir()]


def bench_targets(work: Path, sizes: list[str]) -> list[tuple[str, Path]]:
    out = []
    for size in sizes:
        for violations in (False, True):
            name = f"{size}-seed1{'-violations' if violations else ''}"
            dest = work / "bench" / name
            if not dest.is_dir():
                command = [sys.executable, str(HERE / "generate.py"), "--size", size, "--out", str(dest), "--seed", "1"]
                subprocess.run(command + (["--violations"] if violations else []), check=True,
                               stdout=subprocess.DEVNULL)
            out.append((name, dest))
    return out


def corpus_targets(trees: Path) -> list[tuple[str, Path]]:
    if not trees.is_dir():
        return []
    return [(tree.name, tree) for tree in sorted(trees.iterdir()) if tree.is_dir()]


def lint(linter: str, root: Path, output_format: str) -> tuple[bytes, bytes, int]:
    command = [linter, "--no-cache", "--format", output_format, "--root", str(root), str(root)]
    proc = subprocess.run(command, cwd=root, capture_output=True)
    return proc.stdout, proc.stderr, proc.returncode


def first_difference(old: tuple[bytes, bytes, int], new: tuple[bytes, bytes, int]) -> str:
    if old[2] != new[2]:
        return f"exit code {old[2]} -> {new[2]}"
    for label, a, b in (("stdout", old[0], new[0]), ("stderr", old[1], new[1])):
        if a == b:
            continue
        old_lines, new_lines = a.splitlines(), b.splitlines()
        for number, (x, y) in enumerate(zip(old_lines, new_lines), start=1):
            if x != y:
                return f"{label} line {number}: {x[:120]!r} -> {y[:120]!r}"
        return f"{label}: {len(old_lines)} lines -> {len(new_lines)} lines"
    return ""


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ref", required=True, help="the reference build's homeops-lint executable")
    ap.add_argument("--new", required=True, help="the build under test")
    ap.add_argument("--only", default=",".join(GROUPS), help="groups to run (default: all)")
    ap.add_argument("--sizes", default="small,medium", help="generated corpus sizes (small, medium, large)")
    ap.add_argument("--formats", default="json", help="report formats, comma-separated (default: json)")
    ap.add_argument("--trees", type=Path, default=Path("/tmp/homeops-corpus/trees"))
    ap.add_argument("--work", type=Path, default=Path("/tmp/homeops-compare"))
    args = ap.parse_args()
    # Each run's working directory is the linted tree: a relative linter path means this one.
    args.ref, args.new = (str(Path(p).resolve()) if "/" in p else p for p in (args.ref, args.new))
    groups = [g.strip() for g in args.only.split(",") if g.strip()]
    unknown = set(groups) - set(GROUPS)
    if unknown:
        ap.error(f"--only: unknown group(s) {', '.join(sorted(unknown))}")
    args.work.mkdir(parents=True, exist_ok=True)
    if "fixtures" in groups or "demo" in groups:
        cases = fixture_targets(args.work)
    targets = {
        "fixtures": lambda: cases,
        "demo": lambda: demo_targets(args.work),
        "bench": lambda: bench_targets(args.work, [s.strip() for s in args.sizes.split(",") if s.strip()]),
        "corpus": lambda: corpus_targets(args.trees),
    }
    formats = [f.strip() for f in args.formats.split(",") if f.strip()]
    total_same = total_diff = 0
    for group in groups:
        same = diff = 0
        for name, root in targets[group]():
            for output_format in formats:
                old, new = lint(args.ref, root, output_format), lint(args.new, root, output_format)
                if old == new:
                    same += 1
                    continue
                diff += 1
                print(f"DIFFERENT {group}/{name} ({output_format}): {first_difference(old, new)}")
        print(f"{group:9s} identical={same} different={diff}")
        total_same += same
        total_diff += diff
    print(f"TOTAL     identical={total_same} different={total_diff}")
    return 1 if total_diff else 0


if __name__ == "__main__":
    sys.exit(main())
