#!/usr/bin/env python3
"""The git hook on real repositories: one staged one-line change, timed three ways.

Usage:
  python bench/hook.py [--linter PATH] [--reps N] [--trees DIR] [TARGET ...]

TARGET is a corpus tree name (``owner+name`` under ``--trees``, default
/tmp/homeops-corpus/trees) or a folder; default: the three largest corpus repos and
fixtures/home-ops. Each target is copied to a temporary folder, committed in a fresh git
repository, and one YAML file gets a comment line appended and staged. Then, ``--reps`` times
each (the median is printed):

- cold: ``homeops-lint --no-cache .`` (one full lint of the changed tree);
- hook miss: ``homeops-lint hook`` with an empty cache folder (the before-state is linted from a
  snapshot, as without a cache);
- hook hit: ``homeops-lint hook`` after a hook run on the clean tree (the previous commit's hook)
  recorded that state: the before-state's findings come from the cache.

The hit and the miss must print the same report (checked). Nothing is written outside the
temporary folder (the cache and its key live there too).
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
LARGEST = ("sulibot+home-ops", "gavinmcfall+home-ops", "swibrow+home-ops")
GIT = ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.invalid", "-c", "commit.gpgsign=false",
       "-c", "core.hooksPath=/dev/null", "-c", "init.defaultBranch=main"]


def git(cwd: Path, *args: str) -> None:
    subprocess.run([*GIT, *args], cwd=cwd, check=True, capture_output=True)


def prepare(source: Path, work: Path) -> str:
    """Copy ``source`` (without .git) to ``work``, commit it, and return the file to change."""
    shutil.copytree(source, work, symlinks=True, ignore=shutil.ignore_patterns(".git"))
    git(work, "init", "-q")
    git(work, "add", "-A")
    git(work, "commit", "-q", "--no-verify", "-m", "snapshot")
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=work, check=True, capture_output=True).stdout
    yamls = sorted(p for p in os.fsdecode(tracked).split("\0") if p.endswith((".yaml", ".yml"))
                   and not Path(p).name.startswith(".") and (work / p).is_file() and not (work / p).is_symlink())
    apps = [p for p in yamls if "/apps/" in f"/{p}"]
    return (apps or yamls)[len(apps or yamls) // 2]


def timed(cmd: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float, subprocess.CompletedProcess[bytes]]:
    """(wall seconds, CPU seconds of the process and its children, the finished process)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True)
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    if done.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)} in {cwd}: exit {done.returncode}\n{done.stderr.decode()}")
    return elapsed, cpu, done


def measure(source: Path, linter: list[str], reps: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="homeops-hook-bench-") as tmp:
        base = Path(tmp)
        work = base / "repo"
        changed = prepare(source, work)
        env = {**os.environ, "XDG_CACHE_HOME": str(base / "xdg"), "HOMEOPS_LINT_CACHE_DIR": str(base / "unused")}
        env.pop("HOMEOPS_LINT_NO_CACHE", None)
        warm = base / "cache-hit"
        timed([*linter, "hook", "--cache-dir", str(warm)], work, env)  # the previous commit's hook
        with open(work / changed, "a", encoding="utf-8") as handle:
            handle.write("# homeops-lint bench: a one-line change\n")
        git(work, "add", "--", changed)
        runs: dict[str, list[tuple[float, float]]] = {"cold": [], "miss": [], "hit": []}
        miss_out = hit_out = b""
        for rep in range(reps):
            runs["cold"].append(timed([*linter, "--no-cache", "."], work, env)[:2])
            *times, done = timed([*linter, "hook", "--cache-dir", str(base / f"cache-miss-{rep}")], work, env)
            runs["miss"].append((times[0], times[1]))
            miss_out = done.stdout
            *times, done = timed([*linter, "hook", "--cache-dir", str(warm)], work, env)
            runs["hit"].append((times[0], times[1]))
            hit_out = done.stdout
        files = len(subprocess.run(["git", "ls-files", "-z"], cwd=work, capture_output=True).stdout.split(b"\0")) - 1
    row: dict[str, object] = {"target": source.name, "files": files, "changed": changed, "same": miss_out == hit_out}
    for name, pairs in runs.items():
        row[name] = statistics.median(wall for wall, _ in pairs)
        row[name + "_cpu"] = statistics.median(cpu for _, cpu in pairs)
    return row


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("targets", nargs="*")
    ap.add_argument("--linter", default="",
                    help="the homeops-lint to time (default: a byte-compiled snapshot of this checkout)")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--trees", default="/tmp/homeops-corpus/trees")
    args = ap.parse_args()
    linter = bench.linter_command(args.linter)
    targets = args.targets or [*LARGEST, str(REPO / "fixtures/home-ops")]
    print("Median wall seconds (CPU seconds, the process and its children, in brackets).")
    print("| repo | files | cold lint | hook miss | hook hit | hit/cold wall | hit/cold CPU | hit = miss |")
    print("|---|---:|---:|---:|---:|---:|---:|---|")
    ok = True
    for target in targets:
        source = Path(target) if Path(target).is_dir() else Path(args.trees) / target
        row = measure(source, linter, args.reps)
        ok &= bool(row["same"])
        cells = " | ".join(f"{row[k]:.2f} s ({row[k + '_cpu']:.2f})" for k in ("cold", "miss", "hit"))
        print(f"| {row['target']} | {row['files']} | {cells} | {row['hit'] / row['cold']:.2f} "  # type: ignore[operator]
              f"| {row['hit_cpu'] / row['cold_cpu']:.2f} | {'yes' if row['same'] else 'NO'} |", flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
