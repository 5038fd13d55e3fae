"""Measure the secret detectors: cost per detector, and precision/recall on the fixture corpora.

    python -m homeops_lint.secrets.measure cost REPO [REPO ...]     # per-detector seconds
    python -m homeops_lint.secrets.measure corpus [--peer]          # precision/recall on fixtures/secret

``cost`` loads each repo once (as the linter does), then times every detector phase of the secret
scan separately, and the full lint for comparison. ``corpus`` labels every expected finding of the
leak cases (fixtures/secret/*/homeops-lint-test.yaml) as a positive line; every other reported line,
in the leak cases and in the trap case, is a false positive. ``--peer`` scores detect-secrets with
all its default plugins on the same files, for comparison.
"""
from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path
from typing import Sequence


def _load(root: Path):  # type: ignore[no-untyped-def]
    from .. import discover, source
    from ..policy import load_policy

    policy = load_policy(root, None)
    found = discover.discover(root, policy.exclude)
    files, _ = source.read_all(root, found.files, source.ReadLimits())
    return files


def cost(roots: Sequence[str], repeat: int = 3) -> None:
    from ..engine import Options, run
    from .scan import scan

    for raw in roots:
        root = Path(raw).absolute()
        files = _load(root)
        phases: dict[str, list[float]] = {}
        totals: list[float] = []
        stats = None
        for _ in range(repeat):
            started = time.perf_counter()
            _, stats = scan(files, lambda rule: True)
            totals.append(time.perf_counter() - started)
            for name, seconds in stats.seconds.items():
                phases.setdefault(name, []).append(seconds)
        lint = []
        for _ in range(repeat):
            started = time.perf_counter()
            run(Options(paths=[str(root)], root=str(root)))
            lint.append(time.perf_counter() - started)
        assert stats is not None
        print(f"{root}: {stats.files} text files, {stats.bytes / 1e6:.1f} MB, "
              f"{stats.token_lines} line(s) sent to detect-secrets")
        for name, values in phases.items():
            print(f"  {name:<26} {statistics.median(values) * 1000:8.1f} ms")
        secret_s, lint_s = statistics.median(totals), statistics.median(lint)
        print(f"  {'secret scan (all)':<26} {secret_s * 1000:8.1f} ms")
        print(f"  {'full lint (every rule)':<26} {lint_s * 1000:8.1f} ms  (secret share {secret_s / lint_s:.0%})")


def _labels(case: Path) -> set[tuple[str, int]]:
    from ..ruletest import load_spec

    spec = load_spec(case)
    return {(e["path"], int(e["line"])) for e in spec.get("expect") or []
            if str(e.get("rule", "")).startswith("secret-") and "line" in e}


def _ours(case: Path) -> set[tuple[str, int]]:
    from ..engine import Options, run
    from ..ruletest import TEST_FILE

    result = run(Options(paths=[str(case)], root=str(case), extra_exclude=[TEST_FILE], select=["secret-"]))
    return {(f.path, f.line) for f in result.findings if f.rule.startswith("secret-")}


def _peer(case: Path) -> set[tuple[str, int]]:
    import os

    from detect_secrets import SecretsCollection
    from detect_secrets.settings import default_settings

    from ..ruletest import TEST_FILE

    out: set[tuple[str, int]] = set()
    cwd = os.getcwd()
    os.chdir(case)  # detect-secrets reports paths relative to the working directory
    try:
        with default_settings():
            collection = SecretsCollection()
            for path in sorted(p for p in case.rglob("*") if p.is_file() and p.name != TEST_FILE):
                collection.scan_file(str(path.relative_to(case)))
            for filename, secret in collection:
                out.add((Path(filename).as_posix(), int(secret.line_number)))
    finally:
        os.chdir(cwd)
    return out


def corpus(peer: bool) -> None:
    base = Path(__file__).resolve().parents[2] / "fixtures" / "secret"
    cases = sorted(p.parent for p in base.glob("*/homeops-lint-test.yaml"))
    scorers = [("homeops-lint", _ours)] + ([("detect-secrets (default plugins)", _peer)] if peer else [])
    for name, scorer in scorers:
        tp = fp = fn = 0
        for case in cases:
            truth, predicted = _labels(case), scorer(case)
            tp += len(truth & predicted)
            fp += len(predicted - truth)
            fn += len(truth - predicted)
        precision = tp / (tp + fp) if tp + fp else 1.0
        recall = tp / (tp + fn) if tp + fn else 1.0
        print(f"{name:<34} cases={len(cases)} leaks={tp + fn} TP={tp} FP={fp} FN={fn} "
              f"precision={precision:.1%} recall={recall:.1%}")


def main(argv: Sequence[str]) -> int:
    if argv and argv[0] == "cost" and len(argv) > 1:
        cost(argv[1:])
        return 0
    if argv and argv[0] == "corpus":
        corpus("--peer" in argv)
        return 0
    sys.stderr.write(__doc__ or "")
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
