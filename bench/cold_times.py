#!/usr/bin/env python3
"""Cold-run wall times of two builds of homeops-lint on the same trees, alternating, medians.

A build is a folder holding ``homeops_lint/``, ``rules/`` and ``schemas/`` (``git archive REV
homeops_lint rules schemas | tar -x -C DIR``); each is byte-compiled first, as a pip install is.
Each tree is linted ``--reps`` times by each build in turn (``--no-cache -q .``), so that load from
other processes hits both alike.

    git archive 27238b5 homeops_lint rules schemas | tar -x -C /tmp/old
    git archive HEAD homeops_lint rules schemas | tar -x -C /tmp/new
    python bench/cold_times.py --old /tmp/old --new /tmp/new /tmp/homeops-corpus/trees/sulibot+home-ops ...
"""
from __future__ import annotations

import argparse
import compileall
import os
import statistics
import subprocess
import sys
import time


def command(build: str) -> list[str]:
    return [sys.executable, "-c", f"import sys; sys.path.insert(0, {build!r}); sys.argv[0] = 'homeops-lint'; "
            "from homeops_lint.cli import main; sys.exit(main())", "--no-cache", "-q", "."]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("trees", nargs="+")
    parser.add_argument("--old", required=True, help="folder of the reference build")
    parser.add_argument("--new", required=True, help="folder of the build under test")
    parser.add_argument("--reps", type=int, default=5)
    args = parser.parse_args()
    for build in (args.old, args.new):
        if not os.path.isdir(os.path.join(build, "homeops_lint")):
            parser.error(f"{build} holds no homeops_lint/ (see the usage)")
        compileall.compile_dir(os.path.join(build, "homeops_lint"), quiet=1)
    print("| tree | old cold (wall) | new cold (wall) | new ÷ old |")
    print("|---|---:|---:|---:|")
    for tree in args.trees:
        walls: dict[str, list[float]] = {args.old: [], args.new: []}
        for _ in range(args.reps):
            for build in (args.old, args.new):
                started = time.perf_counter()
                subprocess.run(command(build), cwd=tree, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               check=False)
                walls[build].append(time.perf_counter() - started)
        old, new = statistics.median(walls[args.old]), statistics.median(walls[args.new])
        print(f"| {os.path.basename(tree.rstrip('/'))} | {old:.2f} s | {new:.2f} s | {new / old:.2f}× |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
