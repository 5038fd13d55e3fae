#!/usr/bin/env python3
"""Benchmark runner: homeops-lint vs. the parse floor and peer tools, on the same corpora, in one run.

Every measurement runs the tool in a fresh wrapper process (``python -c WRAPPER``) that starts the
command with ``subprocess``, times it with ``time.perf_counter`` and reads the peak RSS from
``resource.getrusage(RUSAGE_CHILDREN).ru_maxrss`` (the largest resident set of any waited-for
descendant).  The median over ``--reps`` repetitions is reported.  Tools whose first repetition
exceeds ``--slow-seconds`` are measured once (marked ``n=1``) so that a full run stays bounded.

Usage: python bench/run.py [--sizes small,medium,large] [--reps 5] [--peers all|none|yamllint,...]
"""
from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
CACHE = os.environ.get("HOMEOPS_BENCH_CACHE", "/tmp/homeops-bench")
VENV_BIN = os.path.join(REPO, ".venv", "bin")
PEERS_BIN = os.path.join(HERE, ".venv-peers", "bin")
PY = sys.executable
ALL_PEERS = ["yamllint", "detect-secrets", "kubernetes-validate", "checkov"]
SIZE_ORDER = ["small", "medium", "large"]

WRAPPER = r"""
import json, os, resource, subprocess, sys, threading, time
spec = json.loads(sys.stdin.read())
expired = []
t0 = time.perf_counter()
try:
    with open(spec["stdout"], "wb") as out, open(spec["stderr"], "wb") as err:
        p = subprocess.Popen(spec["cmd"], cwd=spec["cwd"], stdout=out, stderr=err, env=spec.get("env"))
    # A blocking wait: subprocess.run(timeout=...) polls with sleeps of up to 50 ms, which rounds
    # every wall time up to the next poll.
    timer = threading.Timer(spec["timeout"], lambda: (expired.append(1), p.kill()))
    timer.start()
    rc = p.wait()
    timer.cancel()
    if expired:
        rc = "timeout"
except OSError as e:
    rc = "oserror: %s" % e
wall = time.perf_counter() - t0
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"wall": wall, "rss_kb": ru.ru_maxrss, "cpu": ru.ru_utime + ru.ru_stime, "rc": rc}))
"""


# ----------------------------------------------------------------------------------------------
def run_once(cmd, cwd, timeout=1800, env=None):
    tmp = tempfile.mkdtemp(prefix="hb-")
    spec = {"cmd": cmd, "cwd": cwd, "timeout": timeout, "env": env,
            "stdout": os.path.join(tmp, "out"), "stderr": os.path.join(tmp, "err")}
    try:
        p = subprocess.run([PY, "-c", WRAPPER], input=json.dumps(spec), capture_output=True, text=True)
    except OSError as e:
        p = subprocess.CompletedProcess([], 1, "", f"could not start wrapper: {e}")
    try:
        res = json.loads(p.stdout.strip().splitlines()[-1])
    except Exception:  # wrapper itself failed
        res = {"wall": None, "rss_kb": None, "cpu": None, "rc": f"wrapper failed: {p.stderr[-300:]}"}
    with open(spec["stdout"], "rb") as fh:
        res["stdout"] = fh.read().decode(errors="replace")
    with open(spec["stderr"], "rb") as fh:
        res["stderr"] = fh.read().decode(errors="replace")
    shutil.rmtree(tmp, ignore_errors=True)
    return res


def measure(name, cmd, cwd, reps, ok_rcs=(0,), slow=60.0, before=None, env=None, tb_fails=True):
    """Median wall/RSS over reps. `before` is called before every repetition (e.g. to clear a cache)."""
    walls, rsss, cpus, first = [], [], [], None
    for i in range(reps):
        if before:
            before()
        r = run_once(cmd, cwd, env=env)
        if first is None:
            first = r
        if r["rc"] not in ok_rcs or (tb_fails and "Traceback (most recent call last)" in r["stderr"]):
            tail = (r["stderr"].strip() or r["stdout"].strip())[-400:]
            return {"name": name, "status": "failed", "reason": f"rc={r['rc']}: {tail}", "n": i + 1}
        walls.append(r["wall"])
        rsss.append(r["rss_kb"])
        cpus.append(r["cpu"])
        if i == 0 and r["wall"] > slow:
            break
    return {"name": name, "status": "ok", "wall": statistics.median(walls), "rss_mb": statistics.median(rsss) / 1024,
            "cpu": statistics.median(cpus), "n": len(walls), "walls": walls, "first": first}


def na(name, reason):
    return {"name": name, "status": "not available", "reason": reason}


# ----------------------------------------------------------------------------------------------
def gen_hash():
    with open(os.path.join(HERE, "generate.py"), "rb") as fh:
        return hashlib.sha256(fh.read()).hexdigest()[:16]


def ensure_corpus(size, seed):
    name = f"{size}-seed{seed}"
    out = os.path.join(CACHE, name)
    stamp = os.path.join(CACHE, name + ".stamp")
    want = f"{gen_hash()} {size} {seed}"
    if not (os.path.isdir(out) and os.path.exists(stamp) and open(stamp).read() == want):
        os.makedirs(CACHE, exist_ok=True)
        print(f"[bench] generating {size} corpus -> {out}", flush=True)
        subprocess.run([PY, os.path.join(HERE, "generate.py"), "--size", size, "--out", out, "--seed", str(seed)],
                       check=True)
        with open(stamp, "w") as fh:
            fh.write(want)
    return out


def ensure_demo():
    src = os.path.join(REPO, "fixtures", "home-ops")
    if not os.path.isdir(src):
        return None
    # copy out of the project's git work tree (detect-secrets scans nothing from inside another work tree)
    out = os.path.join(CACHE, "demo-home-ops")
    shutil.rmtree(out, ignore_errors=True)
    shutil.copytree(src, out, ignore=shutil.ignore_patterns(".git"))
    return out


def ensure_real(spec, mirror, trees):
    """Copies of exported real-repository trees (bench/corpus), largest first when ``spec`` is a count.

    The trees come from ``bench/corpus/run.py`` (it exports each fetched snapshot's HEAD once); they
    are copied again here because the hook measurement edits a file.
    """
    sys.path.insert(0, os.path.join(HERE, "corpus"))
    import run as corpus_run  # noqa: PLC0415  bench/corpus/run.py

    sys.path.pop(0)
    entries = corpus_run.load_repos()
    available = []
    for entry in entries:
        slug = entry["repo"].replace("/", "+")
        git_dir = os.path.join(mirror, slug, "repo")
        tree = os.path.join(trees, slug)
        if not os.path.isdir(tree):
            if not os.path.isdir(git_dir):
                print(f"[bench] {entry['repo']}: not fetched ({git_dir}); skipped", flush=True)
                continue
            from pathlib import Path  # noqa: PLC0415

            corpus_run.export(Path(git_dir), Path(tree))
        available.append((entry["repo"], tree, corpus_stats(tree)["bytes"]))
    if spec.isdigit():
        chosen = sorted(available, key=lambda t: -t[2])[: int(spec)]
    else:
        wanted = set(spec.split(","))
        chosen = [t for t in available if t[0] in wanted]
    out = []
    for repo, tree, _ in chosen:
        dest = os.path.join(CACHE, "real-" + repo.replace("/", "+"))
        shutil.rmtree(dest, ignore_errors=True)
        shutil.copytree(tree, dest, symlinks=True)
        out.append((repo, dest))
    return out


def corpus_stats(root):
    files = yfiles = nbytes = 0
    for d, dirs, names in os.walk(root):
        dirs[:] = [x for x in dirs if x not in (".git",)]
        for n in names:
            files += 1
            nbytes += os.path.getsize(os.path.join(d, n))
            if n.endswith((".yaml", ".yml")):
                yfiles += 1
    return {"files": files, "yaml_files": yfiles, "bytes": nbytes}


def yaml_files(root):
    res = []
    for d, dirs, names in os.walk(root):
        dirs[:] = sorted(x for x in dirs if x != ".git")
        res += [os.path.relpath(os.path.join(d, n), root) for n in sorted(names) if n.endswith((".yaml", ".yml"))]
    return res


# ----------------------------------------------------------------------------------------------
def find_exe(name, *bins):
    for b in bins:
        p = os.path.join(b, name)
        if os.path.exists(p):
            return p
    return shutil.which(name)


def tool_version(cmd):
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        return (p.stdout.strip() or p.stderr.strip()).splitlines()[0][:80] if p.returncode == 0 else None
    except Exception:
        return None


def snapshot_tool():
    """Copy homeops_lint/, rules/ and schemas/ to CACHE/tool-<git describe>; None if absent."""
    if not os.path.isdir(os.path.join(REPO, "homeops_lint")):
        return None
    rev = subprocess.run(["git", "-C", REPO, "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    out = os.path.join(CACHE, f"tool-{rev or 'tree'}")
    shutil.rmtree(out, ignore_errors=True)
    for name in ("homeops_lint", "rules", "schemas"):
        src = os.path.join(REPO, name)
        if os.path.isdir(src):
            shutil.copytree(src, os.path.join(out, name), ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    # Byte-compile once, as pip does on install: with PYTHONDONTWRITEBYTECODE set (as on these
    # machines) every run would otherwise recompile the whole package, which no user pays.
    subprocess.run([PY, "-m", "compileall", "-q", os.path.join(out, "homeops_lint")], check=False)
    return out


def snapshot_command(snap):
    """The command that runs the frozen, byte-compiled copy of the tool ``snapshot_tool`` made."""
    return [PY, "-c", f"import sys; sys.path.insert(0, {snap!r}); sys.argv[0] = 'homeops-lint'; "
                      "from homeops_lint.cli import main; sys.exit(main())"]


def linter_command(path=None):
    """``[path]`` when a linter is given, else the byte-compiled snapshot of this checkout (as a
    user's pip install runs it: with PYTHONDONTWRITEBYTECODE set, an editable install recompiles
    the whole package on every run, about 0.1 s that no user pays)."""
    if path:
        return [path]
    snap = snapshot_tool()
    if snap is None:
        raise SystemExit("run from a homeops-lint checkout, or give --linter")
    return snapshot_command(snap)


class Lint:
    """What the installed homeops-lint supports.  Falls back to the in-tree package (python -c) if the
    console script is not installed yet."""

    def __init__(self):
        self.exe = None
        self.help = ""
        self.version = None
        self.reason = None
        self.cache_dir = self.no_cache = False
        self.timings = None
        exe = find_exe("homeops-lint", VENV_BIN)
        snap = snapshot_tool() if os.environ.get("HOMEOPS_BENCH_LIVE") != "1" else None
        if snap:
            # A frozen copy of the tool: other work in the checkout cannot change it mid-run (the
            # cache would rightly treat every edit of the code as a new tool and miss).
            cmd = snapshot_command(snap)
        elif exe:
            cmd = [exe]
        elif os.path.exists(os.path.join(REPO, "homeops_lint", "cli.py")):
            cmd = [PY, "-c", f"import sys; sys.path.insert(0, {REPO!r}); sys.argv[0] = 'homeops-lint'; "
                             "from homeops_lint.cli import main; sys.exit(main())"]
        else:
            self.reason = "homeops-lint not installed and homeops_lint/cli.py absent"
            return
        try:
            p = subprocess.run(cmd + ["--help"], capture_output=True, text=True, timeout=120)
        except Exception as e:  # noqa: BLE001
            self.reason = f"homeops-lint --help failed: {e}"
            return
        if p.returncode != 0:
            self.reason = f"homeops-lint --help failed: {(p.stderr or p.stdout).strip()[-300:]}"
            return
        self.exe = cmd
        self.help = p.stdout
        self.version = tool_version(cmd + ["--version"])
        self.cache_dir = "--cache-dir" in self.help
        self.no_cache = "--no-cache" in self.help
        self.timings = next((f for f in ("--timings", "--profile")
                             if re.search(r"(^|[\s\[])" + f + r"([\s,\]=]|$)", self.help, re.M)), None)


# ----------------------------------------------------------------------------------------------
def bench_corpus(label, root, reps, peers, lint, slow):
    rows = {}
    print(f"[bench] corpus {label}: {root}", flush=True)
    r = measure("parse floor (compose)", [PY, os.path.join(HERE, "parse_floor.py"), "compose", root], root, reps)
    rows["floor-compose"] = r
    docs = None
    if r["status"] == "ok":
        kv = dict(x.split("=") for x in r["first"]["stdout"].split())
        docs = int(kv["docs"])
    rows["floor-load"] = measure("parse floor (load)", [PY, os.path.join(HERE, "parse_floor.py"), "load", root],
                                 root, reps)
    # ---- homeops-lint
    if not lint.exe:
        for k, n in (("lint-cold", "homeops-lint cold"), ("lint-warm", "homeops-lint warm"),
                     ("lint-hook", "homeops-lint hook")):
            rows[k] = {"name": n, "status": "pending", "reason": lint.reason}
    else:
        base = [*lint.exe, "--format", "json"]
        cache = tempfile.mkdtemp(prefix="hb-cache-")
        clear = lambda: (shutil.rmtree(cache, ignore_errors=True), os.makedirs(cache, exist_ok=True))  # noqa: E731
        if lint.no_cache:
            cold_cmd, before = base + ["--no-cache", "."], None
        elif lint.cache_dir:
            cold_cmd, before = base + ["--cache-dir", cache, "."], clear
        else:
            cold_cmd, before = base + ["."], None
        rows["lint-cold"] = measure("homeops-lint cold", cold_cmd, root, reps, ok_rcs=(0, 1), slow=slow,
                                    before=before)
        if rows["lint-cold"]["status"] == "ok":
            try:
                rows["lint-cold"]["findings"] = len(json.loads(rows["lint-cold"]["first"]["stdout"])["findings"])
            except Exception:
                pass
        if lint.cache_dir:
            clear()
            run_once(base + ["--cache-dir", cache, "."], root)  # prime
            rows["lint-warm"] = measure("homeops-lint warm", base + ["--cache-dir", cache, "."], root, reps,
                                        ok_rcs=(0, 1), slow=slow)
            hook_file = pick_hook_file(root)
            hook_cmd = base + ["--cache-dir", cache, hook_file]
            run_once(hook_cmd, root)  # prime: the same hook invocation on an unchanged tree
            rows["lint-hook"] = measure("homeops-lint hook", hook_cmd, root, reps, ok_rcs=(0, 1), slow=slow)
            rows["lint-hook"]["file"] = hook_file
            # The hook after an edit: the staged file differs from the cached run every time.
            edit = Editor(os.path.join(root, hook_file))
            try:
                rows["lint-hook-edit"] = measure("homeops-lint hook, file edited", hook_cmd, root, reps,
                                                 ok_rcs=(0, 1), slow=slow, before=edit.touch)
                rows["lint-hook-edit"]["file"] = hook_file
            finally:
                edit.restore()
        else:
            msg = "--cache-dir/--no-cache not supported by this homeops-lint yet"
            rows["lint-warm"] = {"name": "homeops-lint warm", "status": "skipped", "reason": msg}
            rows["lint-hook"] = {"name": "homeops-lint hook", "status": "skipped", "reason": msg}
        if lint.timings:
            r = run_once(cold_cmd[:-1] + [lint.timings, "."], root)
            text = "\n".join(ln for ln in r["stderr"].splitlines() if ln.startswith("homeops-lint timings:"))
            rows["lint-timings"] = {"name": "timings", "status": "ok", "text": text or r["stderr"][-3000:]}
        shutil.rmtree(cache, ignore_errors=True)
    # ---- peers
    if "yamllint" in peers:
        exe = find_exe("yamllint", VENV_BIN, PEERS_BIN)
        rows["yamllint"] = (measure("yamllint", [exe, "-f", "parsable", "."], root, reps, ok_rcs=(0, 1), slow=slow)
                            if exe else na("yamllint", "not installed (pip install yamllint)"))
    if "detect-secrets" in peers:
        exe = find_exe("detect-secrets", VENV_BIN, PEERS_BIN)
        rows["detect-secrets"] = (measure("detect-secrets", [exe, "scan", "--all-files", "."], root, reps, slow=slow)
                                  if exe else na("detect-secrets", "not installed"))
        if rows["detect-secrets"].get("status") == "ok":
            try:
                res = json.loads(rows["detect-secrets"]["first"]["stdout"])["results"]
                rows["detect-secrets"]["findings"] = sum(len(v) for v in res.values())
                rows["detect-secrets"]["scanned_files_with_hits"] = len(res)
            except Exception:
                pass
    if "kubernetes-validate" in peers:
        exe = find_exe("kubernetes-validate", VENV_BIN, PEERS_BIN)
        # file list via a file (argv would exceed ARG_MAX on large corpora); same entry point as the CLI
        lst = os.path.join(CACHE, f"kv-files-{label}.txt")
        with open(lst, "w") as fh:
            fh.write("\n".join(yaml_files(root)))
        drv = ("import sys; from kubernetes_validate.__main__ import main; "
               f"sys.argv = ['kubernetes-validate', '--quiet'] + open({lst!r}).read().split('\\n'); sys.exit(main())")
        kv_py = os.path.join(os.path.dirname(exe), "python") if exe else None
        rows["kubernetes-validate"] = (
            measure("kubernetes-validate", [kv_py, "-c", drv], root, reps, ok_rcs=(0, 1, 2), slow=slow)
            if exe else na("kubernetes-validate", "not installed"))
    if "checkov" in peers:
        exe = find_exe("checkov", PEERS_BIN)
        rows["checkov"] = (
            measure("checkov", [exe, "-d", ".", "--framework", "kubernetes", "secrets", "--quiet", "--compact",
                                "--skip-download", "-o", "cli"], root, reps, ok_rcs=(0, 1), slow=slow, tb_fails=False,
                    env=dict(os.environ, BC_SKIP_MAPPING="TRUE", CHECKOV_RUN_SCA_PACKAGE_SCAN_V2="false"))
            if exe else na("checkov", f"not installed in {PEERS_BIN} (bash bench/run.sh installs it)"))
    for r in rows.values():
        r.pop("first", None)
    return {"label": label, "root": root, "docs": docs, **corpus_stats(root), "rows": rows}


class Editor:
    """Appends a different comment line to a file before each repetition; restores it at the end."""

    def __init__(self, path):
        self.path = path
        with open(path, "rb") as fh:
            self.original = fh.read()
        self.n = 0

    def touch(self):
        self.n += 1
        with open(self.path, "wb") as fh:
            fh.write(self.original + f"# bench edit {self.n}\n".encode())

    def restore(self):
        with open(self.path, "wb") as fh:
            fh.write(self.original)


def pick_hook_file(root):
    for cand in sorted(yaml_files(root)):
        if cand.endswith("helmrelease.yaml"):
            return cand
    ys = yaml_files(root)
    return ys[0] if ys else "."


# ----------------------------------------------------------------------------------------------
def fmt_t(r):
    if r.get("status") != "ok":
        return r.get("status", "?")
    return f"{r['wall']:.3f}s" + ("" if r["n"] > 1 else " (n=1)")


def ratio(r, ref):
    if r.get("status") != "ok" or not ref or ref.get("status") != "ok" or not ref["wall"]:
        return "–"
    return f"{r['wall'] / ref['wall']:.2f}×"


def table(c):
    rows = c["rows"]
    floor, cold = rows.get("floor-compose"), rows.get("lint-cold")
    out = ["| tool | median wall | peak RSS | CPU (user+sys) | n | × parse floor | × homeops-lint cold | notes |",
           "|---|---:|---:|---:|---:|---:|---:|---|"]
    for r in rows.values():
        if r["name"] == "timings":
            continue
        if r.get("status") == "ok":
            notes = []
            if "findings" in r:
                notes.append(f"{r['findings']} findings")
            if "file" in r:
                notes.append(f"file `{r['file']}`")
            out.append(f"| {r['name']} | {fmt_t(r)} | {r['rss_mb']:.0f} MB | {r['cpu']:.2f}s | {r['n']} | "
                       f"{ratio(r, floor)} | {ratio(r, cold)} | {'; '.join(notes)} |")
        else:
            reason = r.get("reason", "").replace("|", "\\|").replace("\n", " ")[:200]
            out.append(f"| {r['name']} | {r.get('status')} | – | – | – | – | – | {reason} |")
    return "\n".join(out)


STAGE_COLUMNS = (("read+parse", ("read+parse",)), ("index", ("index",)), ("flux", ("check:flux",)),
                 ("schema", ("check:schema",)), ("secret", ("check:secret",)))


def stage_shares(text):
    """{"read+parse": 38.3, "check:flux": 19.5, ...}: each ``--timings`` stage's share of the CPU time
    of all stages. CPU, not wall: on a loaded machine a stage's wall time also counts the time it
    waited for a core, and with 2 processes the check stages overlap in wall time."""
    cpu = {}
    for m in re.finditer(r"^homeops-lint timings: (\S+(?: \S+)*?)\s+([0-9.]+)\s+([0-9.]+)\s+[0-9.]+%$", text, re.M):
        if not m.group(1).startswith("total"):
            cpu[m.group(1)] = float(m.group(3))
    total = sum(cpu.values())
    return {stage: 100.0 * value / total for stage, value in cpu.items()} if total else {}


def summary(results):
    """One row per corpus: the floor as a process, cold, warm, hook, yamllint (median wall times), the
    ratios that the targets name, the same ratio in CPU time (user+sys, which a loaded machine disturbs
    far less than wall time), and each main stage's share of the CPU time (``--timings``)."""
    hdr = ("| corpus | YAML files | docs | floor | cold | cold ÷ floor | cold ÷ floor (CPU) | warm | hook | yamllint "
           "| yamllint ÷ cold | yamllint ÷ cold (CPU) | " + " | ".join(name for name, _ in STAGE_COLUMNS) + " | other |")
    out = [hdr, "|---|" + "---:|" * (12 + len(STAGE_COLUMNS))]

    def t(r):
        return fmt_t(r) if r and r.get("status") == "ok" else (r or {}).get("status", "–")

    def x(a, b, key="wall"):
        ok = a and b and a.get("status") == "ok" and b.get("status") == "ok" and b[key]
        return f"{a[key] / b[key]:.2f}×" if ok else "–"

    for c in results:
        rows = c["rows"]
        floor, cold, yl = rows.get("floor-compose"), rows.get("lint-cold"), rows.get("yamllint")
        shares = stage_shares((rows.get("lint-timings") or {}).get("text", ""))
        cells = [f"{sum(shares.get(st, 0.0) for st in stages):.0f}%" if shares else "–"
                 for _name, stages in STAGE_COLUMNS]
        other = 100.0 - sum(shares.get(st, 0.0) for _n, sts in STAGE_COLUMNS for st in sts)
        cells.append(f"{max(other, 0.0):.0f}%" if shares else "–")
        out.append(f"| {c['label']} | {c['yaml_files']} | {c['docs'] or '–'} | {t(floor)} | {t(cold)} | "
                   f"{x(cold, floor)} | {x(cold, floor, 'cpu')} | {t(rows.get('lint-warm'))} | "
                   f"{t(rows.get('lint-hook'))} | {t(yl)} | {x(yl, cold)} | {x(yl, cold, 'cpu')} | "
                   + " | ".join(cells) + " |")
    return "\n".join(out)


def verdict(x, limit, unit, higher=False):
    if (x >= limit) if higher else (x <= limit):
        return "met"
    gap = (limit - x) if higher else (x - limit)
    return f"missed by {gap:.3g}{unit}"


def targets(results, lint, version_time, githook=()):
    by = {c["label"]: c for c in results}
    lines = []

    def ok(r):
        return r is not None and r.get("status") == "ok"

    # 1
    t1 = []
    for c in results:
        f, l = c["rows"].get("floor-compose"), c["rows"].get("lint-cold")
        if ok(f) and ok(l):
            x = l["wall"] / f["wall"]
            t1.append(f"{c['label']}: {x:.2f}× ({verdict(x, 3, '×')})")
        else:
            t1.append(f"{c['label']}: pending")
    lines.append("1. **Full cold lint ≤ 3× parse floor (compose)** — " + "; ".join(t1))
    # 2
    t2 = []
    for c in results:
        y, l = c["rows"].get("yamllint"), c["rows"].get("lint-cold")
        if ok(y) and ok(l):
            x = y["wall"] / l["wall"]
            t2.append(f"{c['label']}: {x:.1f}× faster ({verdict(x, 10, '×', higher=True)})")
        elif ok(y):
            t2.append(f"{c['label']}: pending (yamllint {y['wall']:.2f}s ⇒ target cold ≤ {y['wall'] / 10:.3f}s)")
        else:
            t2.append(f"{c['label']}: yamllint not measured")
    lines.append("2. **≥10× faster than yamllint** — " + "; ".join(t2))
    # 3
    demo = by.get("demo")
    if demo is None:
        h = "demo repo not in this run (`--no-demo`, or `fixtures/home-ops` is missing)"
    else:
        hk = demo["rows"].get("lint-hook")
        h = (f"demo hook median {hk['wall']:.3f}s ({verdict(hk['wall'], 0.3, 's')})"
             if ok(hk) else f"demo hook: {hk.get('status') if hk else 'pending'} ({(hk or {}).get('reason', '')[:120]})")
        he = demo["rows"].get("lint-hook-edit")
        if ok(he):
            h += f"; after editing the staged file {he['wall']:.3f}s ({verdict(he['wall'], 0.3, 's')})"
    if version_time is None:
        v = "`--version`: pending"
    else:
        v = f"`--version` median {version_time:.3f}s ({verdict(version_time, 0.1, 's')})"
    lines.append(f"3. **Hook < 0.3 s on the demo repo; `--version` < 0.1 s** — {h}; {v}")
    if githook:
        parts = []
        for row in githook:
            if row["label"] == "demo":
                parts.append(f"demo {row['hit']:.3f}s ({verdict(row['hit'], 0.3, 's')})")
            else:
                x = row["hit"] / row["cold"]
                parts.append(f"{row['label']}: {x:.2f}× a cold lint ({verdict(x, 1.2, '×')})")
        lines.append("3b. **`homeops-lint hook` with one staged file: ≤ 1.2× a cold lint on real repositories, "
                     "≤ 0.3 s on the demo repo** (the hook of the previous commit recorded the tree) — "
                     + "; ".join(parts))
    # 4
    lg = by.get("large")
    if lg is None:
        lines.append("4. **Large: cold < 10 s, warm < 1 s, peak RSS < 1 GB** — large corpus not run in this invocation")
    else:
        c, w = lg["rows"].get("lint-cold"), lg["rows"].get("lint-warm")
        parts = []
        parts.append(f"cold {c['wall']:.2f}s ({verdict(c['wall'], 10, 's')})"
                     if ok(c) else f"cold {c.get('status')}")
        parts.append(f"warm {w['wall']:.2f}s ({verdict(w['wall'], 1, 's')})"
                     if ok(w) else f"warm {w.get('status') if w else 'pending'}")
        if ok(c):
            rss = max(c["rss_mb"], w["rss_mb"] if ok(w) else 0)
            parts.append(f"peak RSS {rss:.0f} MB ({verdict(rss, 1024, ' MB')})")
        else:
            parts.append("peak RSS pending")
        lines.append("4. **Large: cold < 10 s, warm < 1 s, peak RSS < 1 GB** — " + "; ".join(parts))
    # 5
    if not lint.exe:
        lines.append("5. **Secret scanning ≤ 40 %, schema validation ≤ 20 % of a full run** — pending "
                     "(homeops-lint not installed)")
    elif not lint.timings:
        lines.append("5. **Secret scanning ≤ 40 %, schema validation ≤ 20 % of a full run** — not exposed yet "
                     "(no `--timings`/`--profile` flag)")
    else:
        t5 = []
        for c in results:
            row = c["rows"].get("lint-timings")
            if not row:
                continue
            shares = timing_shares(row["text"])
            sec, sch = shares.get("secret scanning"), shares.get("schema validation")
            t5.append(f"{c['label']}: secrets {fmt_share(sec, 40)}, schema {fmt_share(sch, 20)}")
        lines.append("5. **Secret scanning ≤ 40 %, schema validation ≤ 20 % of a full run** (wall share, from "
                     f"`homeops-lint --no-cache {lint.timings}`) — " + "; ".join(t5))
        last = [c for c in results if "lint-timings" in c["rows"]]
        if last:
            lines.append(f"\n   Breakdown on the {last[-1]['label']} corpus (one cold run):\n\n```\n"
                         + last[-1]["rows"]["lint-timings"]["text"].strip() + "\n```")
    return "\n".join(lines)


def timing_shares(text):
    """{"secret scanning": 23.4, ...} from the "share of X: N% of the run" lines of --timings."""
    return {m.group(1): float(m.group(2)) for m in re.finditer(r"share of ([a-z ]+): ([0-9.]+)% of the run", text)}


def fmt_share(x, limit):
    return "not measured" if x is None else f"{x:.1f}% ({verdict(x, limit, ' points')})"


def linearity(results):
    sized = [c for c in results if c["label"] in SIZE_ORDER and c.get("docs")]
    if len(sized) < 2:
        return "Needs at least two of small/medium/large."
    keys = ["floor-compose", "floor-load", "lint-cold", "lint-warm", "lint-hook-edit", "yamllint", "detect-secrets",
            "kubernetes-validate", "checkov"]
    hdr = "| tool | " + " | ".join(f"{c['label']} ({c['docs']} docs) µs/doc · KB/doc" for c in sized) + " |"
    out = [hdr, "|---|" + "---:|" * len(sized)]
    for k in keys:
        cells = []
        name = None
        for c in sized:
            r = c["rows"].get(k)
            if not r:
                cells.append("–")
                continue
            name = r["name"]
            if r.get("status") == "ok":
                cells.append(f"{r['wall'] / c['docs'] * 1e6:.0f} · {r['rss_mb'] * 1024 / c['docs']:.1f}")
            else:
                cells.append(r.get("status"))
        if name:
            out.append(f"| {name} | " + " | ".join(cells) + " |")
    out.append("\nConstant µs/doc across sizes means linear time; falling KB/doc means a fixed start-up "
               "footprint (interpreter, schemas) dominating the small corpus.")
    return "\n".join(out)


def githook_table(rows):
    out = ["`bench/hook.py`'s measurement, run on the demo repository and the real ones: each is committed in "
           "a fresh git repository, one YAML file gets a comment line appended and staged, and the median of "
           "`--reps` runs is given (wall, CPU of the process tree in brackets). *Hit*: the previous commit's "
           "hook recorded the unchanged tree, so the before-state comes from the cache (the usual case); "
           "*miss*: no cache, the before-state is linted from a snapshot.\n",
           "| repo | files | cold lint | hook hit | hook miss | hit ÷ cold (wall) | hit ÷ cold (CPU) | hit = miss |",
           "|---|---:|---:|---:|---:|---:|---:|---|"]
    for row in rows:
        cells = " | ".join(f"{row[k]:.3f}s ({row[k + '_cpu']:.2f})" for k in ("cold", "hit", "miss"))
        out.append(f"| {row['label']} | {row['files']} | {cells} | {row['hit'] / row['cold']:.2f}× "
                   f"| {row['hit_cpu'] / row['cold_cpu']:.2f}× | {'yes' if row['same'] else 'NO'} |")
    return "\n".join(out)


def cpu_model():
    try:
        for ln in open("/proc/cpuinfo"):
            if ln.startswith("model name"):
                return ln.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def write_results(path, results, lint, versions, version_time, args, githook=()):
    now = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    uname = subprocess.run(["uname", "-a"], capture_output=True, text=True).stdout.strip()
    L = [f"# homeops-lint benchmark results\n",
         f"Generated by `bash bench/run.sh` (`python bench/run.py --sizes {args.sizes} --reps {args.reps} "
         f"--peers {args.peers}" + (f" --real {args.real}" if args.real else "") + f"`). Medians over {args.reps} repetitions (tools slower than {args.slow:.0f}s on "
         "the first repetition are measured once, marked n=1).\n",
         "## Environment\n",
         f"- date: {now}", f"- uname: `{uname}`", f"- CPU: {cpu_model()}", f"- cores: {os.cpu_count()}",
         f"- Python: {platform.python_version()} ({sys.executable})"]
    for k, v in versions.items():
        L.append(f"- {k}: {v or 'not available'}")
    L += ["\n## Corpora\n", "| corpus | files | YAML files | YAML documents | bytes | path |", "|---|---:|---:|---:|---:|---|"]
    for c in results:
        L.append(f"| {c['label']} | {c['files']} | {c['yaml_files']} | {c['docs']} | {c['bytes']:,} | `{c['root']}` |")
    L += ["\n## Summary\n", summary(results)]
    for c in results:
        L += [f"\n## {c['label']}\n", table(c)]
    L += ["\n## Linearity (time and peak RSS per YAML document)\n", linearity(results)]
    if githook:
        L += ["\n## The git hook: `homeops-lint hook` with one staged file\n", githook_table(githook)]
    L += ["\n## Targets\n", targets(results, lint, version_time, githook)]
    if not lint.exe:
        L.append(f"\nhomeops-lint rows are **pending**: {lint.reason}. The engine author re-runs `bash bench/run.sh`.")
    L += kept_notes(path)
    with open(path, "w") as fh:
        fh.write("\n".join(L) + "\n")


HAND_WRITTEN = "<!-- Below: notes written by hand. bench/run.py keeps everything after this line. -->"


def kept_notes(path):
    """The hand-written part of an existing RESULTS.md (analyses, older runs), from the marker on."""
    try:
        with open(path) as fh:
            text = fh.read()
    except OSError:
        return []
    at = text.find(HAND_WRITTEN)
    return ["", text[at:].rstrip("\n")] if at >= 0 else []


def render_saved(args):
    """RESULTS.md from a saved run, without measuring anything (e.g. after changing the report)."""
    with open(args.render) as fh:
        saved = json.load(fh)
    lint = Lint.__new__(Lint)
    lint.exe, lint.reason = ["homeops-lint"], None
    lint.timings = "--timings" if any("lint-timings" in c["rows"] for c in saved["results"]) else None
    write_results(args.out, saved["results"], lint, saved["versions"], saved["version_time"], args,
                  saved.get("githook", ()))
    print(f"wrote {args.out}")
    return 0


# ----------------------------------------------------------------------------------------------
def main(argv=None):
    ap = argparse.ArgumentParser(description="homeops-lint benchmark vs parse floor and peers")
    ap.add_argument("--sizes", default="small,medium,large")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--peers", default="all", help="all | none | comma list of " + ",".join(ALL_PEERS))
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--slow", type=float, default=60.0,
                    help="measure a tool only once when its first repetition takes longer (seconds)")
    ap.add_argument("--no-demo", action="store_true", help="skip fixtures/home-ops even if present")
    ap.add_argument("--real", default="3",
                    help="real repositories of bench/corpus too: a count (the N largest; 0 for none) or "
                         "owner/name,... (those not fetched are skipped)")
    ap.add_argument("--no-githook", action="store_true",
                    help="skip timing `homeops-lint hook` with one staged file (bench/hook.py) on the demo and real repos")
    ap.add_argument("--mirror", default="/work/.mirror", help="where the corpus snapshots were fetched")
    ap.add_argument("--trees", default="/tmp/homeops-corpus/trees", help="exported corpus trees (bench/corpus/run.py)")
    ap.add_argument("--out", default=os.path.join(HERE, "RESULTS.md"))
    ap.add_argument("--render", metavar="JSON", default="",
                    help="only write --out again from a saved run (CACHE/last-results.json of an earlier run)")
    args = ap.parse_args(argv)
    if args.render:
        return render_saved(args)
    peers = ALL_PEERS if args.peers == "all" else [] if args.peers == "none" else args.peers.split(",")
    sizes = [s for s in args.sizes.split(",") if s]

    lint = Lint()
    versions = {"homeops-lint": lint.version or ("pending: " + (lint.reason or "?"))}
    import yaml  # noqa: PLC0415

    versions["PyYAML"] = f"{yaml.__version__} (libyaml: {yaml.__with_libyaml__})"
    for name, bins in (("yamllint", (VENV_BIN, PEERS_BIN)), ("detect-secrets", (VENV_BIN, PEERS_BIN)),
                       ("kubernetes-validate", (VENV_BIN, PEERS_BIN)), ("checkov", (PEERS_BIN,))):
        if name in peers:
            exe = find_exe(name, *bins)
            versions[name] = tool_version([exe, "--version"]) if exe else None

    version_time = None
    if lint.exe:
        r = measure("homeops-lint --version", [*lint.exe, "--version"], REPO, max(args.reps, 5))
        version_time = r["wall"] if r["status"] == "ok" else None

    results = []
    demo = None if args.no_demo else ensure_demo()
    if demo:
        results.append(bench_corpus("demo", demo, args.reps, peers, lint, args.slow))
    for s in sorted(sizes, key=SIZE_ORDER.index):
        root = ensure_corpus(s, args.seed)
        results.append(bench_corpus(s, root, args.reps, peers, lint, args.slow))
    real = ensure_real(args.real, args.mirror, args.trees) if args.real and args.real != "0" else []
    for repo, root in real:
        results.append(bench_corpus(repo, root, args.reps, peers, lint, args.slow))
    githook = []
    if lint.exe and not args.no_githook:
        import hook as githook_bench  # noqa: PLC0415  bench/hook.py

        for label, root in ([("demo", demo)] if demo else []) + real:
            print(f"[bench] git hook, one staged file: {label}", flush=True)
            row = githook_bench.measure(Path(root), list(lint.exe), args.reps)
            githook.append({**row, "label": label})

    for c in results:
        print(f"\n== {c['label']}: {c['yaml_files']} YAML files, {c['docs']} documents, {c['bytes']:,} bytes")
        print(table(c))
    if version_time is not None:
        print(f"\nhomeops-lint --version: {version_time:.3f}s")
    if githook:
        print("\n" + githook_table(githook))
    write_results(args.out, results, lint, versions, version_time, args, githook)
    with open(os.path.join(CACHE, "last-results.json"), "w") as fh:
        json.dump({"results": results, "versions": versions, "version_time": version_time, "githook": githook},
                  fh, indent=1, default=str)
    print(f"\nwrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
