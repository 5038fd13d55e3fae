#!/usr/bin/env python3
"""Export the corpus snapshots once and lint each with full JSON output (all severities).

Usage:
  python bench/corpus/run.py [--mirror DIR] [--trees DIR] [--out DIR] [--linter PATH] [REPO ...]

REPO is `owner/name` from `bench/corpus/repos.yaml` (default: all of them). Each snapshot must have
been fetched to `<mirror>/<owner>+<name>/repo` (a bare git directory). Its HEAD is exported once
into `<trees>/<owner>+<name>` (re-exported when the commit changes), then linted as a new user
would: `homeops-lint --format json .` from its root, no policy file. The full report goes to
`<out>/<owner>+<name>.json`; a summary line per repo is printed. For the judged noise count, run
`../shared/tools/corpus-report` (see README.md).
"""
from __future__ import annotations

import argparse
import collections
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def load_repos() -> list[dict]:
    import yaml

    return yaml.safe_load((HERE / "repos.yaml").read_text())["repos"]


def head(git_dir: Path) -> str:
    return subprocess.run(["git", "--git-dir", str(git_dir), "rev-parse", "HEAD"], capture_output=True,
                          text=True, check=True).stdout.strip()


def export(git_dir: Path, dest: Path) -> None:
    """Write HEAD's blobs under dest (no symlinks, missing blobs skipped) and commit them."""
    import shutil

    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    listing = subprocess.run(["git", "--git-dir", str(git_dir), "ls-tree", "-r", "-z", "HEAD"],
                             capture_output=True, check=True).stdout.split(b"\0")
    batch = subprocess.Popen(["git", "--git-dir", str(git_dir), "cat-file", "--batch"],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    for item in listing:
        if not item:
            continue
        meta, path = item.split(b"\t", 1)
        mode, kind, sha = meta.split()
        if kind != b"blob":
            continue
        batch.stdin.write(sha + b"\n")
        batch.stdin.flush()
        header = batch.stdout.readline().split()
        if len(header) < 3 or header[1] == b"missing":
            continue
        data = batch.stdout.read(int(header[2]))
        batch.stdout.read(1)
        if mode == b"120000":
            continue
        target = dest / path.decode("utf-8", "surrogateescape")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    batch.stdin.close()
    batch.wait()
    env = dict(os.environ, GIT_AUTHOR_NAME="x", GIT_AUTHOR_EMAIL="x@x", GIT_COMMITTER_NAME="x",
               GIT_COMMITTER_EMAIL="x@x")
    subprocess.run(["git", "init", "-q", str(dest)], check=True)
    subprocess.run(["git", "-C", str(dest), "add", "-A", "-f"], check=True, env=env)
    subprocess.run(["git", "-C", str(dest), "commit", "-q", "-m", "snapshot", "--no-verify"], check=True,
                   env=env)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("repos", nargs="*")
    ap.add_argument("--mirror", type=Path, default=Path("/work/.mirror"))
    ap.add_argument("--trees", type=Path, default=Path("/tmp/homeops-corpus/trees"))
    ap.add_argument("--out", type=Path, default=Path("/tmp/homeops-corpus/out"))
    ap.add_argument("--linter", default=str(HERE.parent.parent / ".venv/bin/homeops-lint"))
    ap.add_argument("--extra", default="", help="extra linter arguments, space separated")
    args = ap.parse_args()
    wanted = set(args.repos)
    args.out.mkdir(parents=True, exist_ok=True)
    totals = collections.Counter()
    for entry in load_repos():
        name = entry["repo"]
        if wanted and name not in wanted:
            continue
        slug = name.replace("/", "+")
        git_dir = args.mirror / slug / "repo"
        if not git_dir.is_dir():
            print(f"{name:28s} not fetched ({git_dir})")
            continue
        tree = args.trees / slug
        commit = head(git_dir)
        stamp = tree / ".corpus-commit"
        if not stamp.is_file() or stamp.read_text().strip() != commit:
            export(git_dir, tree)
            (tree / ".git" / "info").mkdir(parents=True, exist_ok=True)
            (tree / ".git" / "info" / "exclude").write_text(".corpus-commit\n")
            stamp.write_text(commit + "\n")
        if commit != entry.get("commit"):
            print(f"{name:28s} note: HEAD {commit[:12]} differs from repos.yaml {str(entry.get('commit'))[:12]}")
        t0 = time.monotonic()
        proc = subprocess.run([args.linter, "--no-cache", "--format", "json", *args.extra.split(), "."],
                              cwd=tree, capture_output=True, text=True)
        took = time.monotonic() - t0
        crashed = proc.returncode not in (0, 1) or "Traceback" in proc.stderr
        try:
            report = json.loads(proc.stdout)
        except json.JSONDecodeError:
            report, crashed = {"findings": []}, True
        (args.out / f"{slug}.json").write_text(json.dumps(report, indent=1, sort_keys=True))
        sev = collections.Counter(f["severity"] for f in report.get("findings", []))
        print(f"{name:28s} {'CRASH ' if crashed else ''}exit={proc.returncode} {took:5.2f}s "
              f"error={sev['error']} warning={sev['warning']} info={sev['info']}")
        if crashed:
            print("   " + proc.stderr.strip()[-400:])
        totals.update(sev)
    print(f"TOTAL error={totals['error']} warning={totals['warning']} info={totals['info']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
