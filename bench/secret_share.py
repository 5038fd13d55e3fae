#!/usr/bin/env python3
"""Secret scanning's share of a cold run on real repositories (the precision issue's budget: at most
20 % on the three largest corpus repositories).

Runs ``homeops-lint --no-cache --timings -q .`` in each tree, as a user's installed copy would run
(the package is copied and byte-compiled once, like ``bench/run.py`` does), and prints the medians
of the share ``--timings`` reports for ``check:secret`` (wall, as printed) and of its CPU share.

    .venv/bin/python bench/secret_share.py            # the three largest trees under --trees-dir
    .venv/bin/python bench/secret_share.py --reps 9 /tmp/homeops-corpus/trees/sulibot+home-ops

The trees are the corpus exports of ``bench/corpus/run.py``. On a loaded machine the CPU column is
the steadier one; on large repositories the checks run in two processes and the stage times
overlap, so read the wall share there on an idle machine.
"""
from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run as bench  # noqa: E402 - bench/run.py: snapshot_tool()

_STAGE = re.compile(r"homeops-lint timings: (check:secret|total \(in process\))\s+([\d.]+)\s+([\d.]+)")


def tree_size(root: str) -> int:
    total = 0
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d != ".git"]
        total += sum(os.path.getsize(os.path.join(folder, f)) for f in files
                     if not os.path.islink(os.path.join(folder, f)))
    return total


def one_run(tool: str, tree: str) -> tuple[float, float, float, float]:
    """(secret wall, secret cpu, total wall, total cpu) of one cold run."""
    env = dict(os.environ, PYTHONPATH=tool)
    done = subprocess.run([sys.executable, "-m", "homeops_lint", "--no-cache", "--timings", "-q", "."],
                          cwd=tree, env=env, capture_output=True, text=True, check=False)
    stages = {m.group(1): (float(m.group(2)), float(m.group(3))) for m in _STAGE.finditer(done.stderr)}
    if done.returncode not in (0, 1) or len(stages) != 2:
        raise SystemExit(f"{tree}: homeops-lint exited {done.returncode}: {done.stderr.strip()[-400:]}")
    (secret_wall, secret_cpu), (total_wall, total_cpu) = stages["check:secret"], stages["total (in process)"]
    return secret_wall, secret_cpu, total_wall, total_cpu


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("trees", nargs="*", help="repository trees (default: the three largest under --trees-dir)")
    parser.add_argument("--trees-dir", default="/tmp/homeops-corpus/trees")
    parser.add_argument("--reps", type=int, default=7)
    args = parser.parse_args(argv)
    trees = args.trees
    if not trees:
        if not os.path.isdir(args.trees_dir):
            parser.error(f"no trees given and {args.trees_dir} does not exist (run bench/corpus/run.py first)")
        found = [os.path.join(args.trees_dir, name) for name in os.listdir(args.trees_dir)]
        trees = sorted(found, key=tree_size, reverse=True)[:3]
    tool = bench.snapshot_tool()
    if tool is None:
        parser.error("run from a homeops-lint checkout")
    worst = 0.0
    for tree in trees:
        runs = [one_run(tool, tree) for _ in range(args.reps)]
        wall = statistics.median(100 * r[0] / r[2] for r in runs)
        cpu = statistics.median(100 * r[1] / r[3] for r in runs)
        worst = max(worst, wall)
        print(f"{os.path.basename(tree.rstrip('/'))}: secret scanning {wall:.1f} % of the run (wall), "
              f"{cpu:.1f} % (cpu); check:secret {statistics.median(r[0] for r in runs):.3f} s of "
              f"{statistics.median(r[2] for r in runs):.3f} s, median of {args.reps}")
    print(f"largest share: {worst:.1f} % (budget 20 %)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
