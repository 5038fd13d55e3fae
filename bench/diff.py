#!/usr/bin/env python3
"""``homeops-lint diff HEAD~1`` against a cold lint, on the demo repository and a generated corpus.

Each corpus becomes a git repository with two commits, the second changing one file; then a cold
lint (``--no-cache``) and ``diff HEAD~1`` run alternately (back to back, so that load from other
processes hits both alike) and the medians of wall time and CPU time (user + system, children
included) are printed with their ratio.

Usage: python bench/diff.py [--sizes demo,large] [--reps 3] [--linter PATH] [--work DIR]
"""
from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
import run as bench  # noqa: E402 - bench/run.py: the byte-compiled snapshot of the tool
ENV = {**os.environ, "GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "bench@example.invalid",
       "GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "bench@example.invalid",
       "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), *args], check=True, env=ENV, capture_output=True)


def two_commits(root: Path, changed: str, old: str, new: str) -> None:
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "base")
    path = root / changed
    text = path.read_text(encoding="utf-8")
    assert old in text, (changed, old)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    git(root, "commit", "-qam", "one file changed")


def corpus(name: str, work: Path) -> Path:
    root = work / name
    if root.exists():
        shutil.rmtree(root)
    if name == "demo":
        shutil.copytree(REPO / "fixtures" / "home-ops", root)
        two_commits(root, "apps/home-automation/mosquitto/service.yaml", "172.29.52.111", "172.29.52.112")
        return root
    subprocess.run([sys.executable, str(HERE / "generate.py"), "--size", name, "--out", str(root), "--seed", "1"],
                   check=True, capture_output=True)
    services = sorted(root.glob("kubernetes/apps/*/*/app/service.yaml"))
    changed = services[len(services) // 2].relative_to(root).as_posix()
    two_commits(root, changed, "port:", "port:  ")
    return root


def measure(argv: list[str], cwd: Path) -> tuple[float, float]:
    """(wall, CPU incl. children) of one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="demo,large", help="demo and/or generate.py sizes (small, medium, large)")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--linter", default="",
                        help="the homeops-lint to time (default: a byte-compiled snapshot of this checkout)")
    parser.add_argument("--work", help="folder for the corpora (default: a temporary one)")
    args = parser.parse_args()
    linter = bench.linter_command(args.linter)
    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="homeops-diff-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    print("| corpus | cold lint wall | diff HEAD~1 wall | wall ratio | cold lint CPU | diff CPU | CPU ratio |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name in args.sizes.split(","):
        root = corpus(name.strip(), work)
        lint, diff = [], []
        for _ in range(args.reps):
            lint.append(measure([*linter, "--no-cache", "."], root))
            diff.append(measure([*linter, "diff", "HEAD~1"], root))
        lw, lc = statistics.median(w for w, _ in lint), statistics.median(c for _, c in lint)
        dw, dc = statistics.median(w for w, _ in diff), statistics.median(c for _, c in diff)
        print(f"| {name} | {lw:.2f}s | {dw:.2f}s | {dw / lw:.2f}× | {lc:.2f}s | {dc:.2f}s | {dc / lc:.2f}× |",
              flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
