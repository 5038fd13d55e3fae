"""atheris target: the loader and the whole rule engine, on fuzzer-chosen bytes.

Each input is split into up to four files (on ``\\0\\0``) of a small repo beside a fixed normal
file, then linted in-process with every rule, rendered in every format and checked:
- nothing raises (the CLI would exit 2);
- the normal file's finding survives;
- every format renders and encodes as UTF-8; JSON outputs parse;
- a second run on the same bytes gives the same output (determinism).

Run it (fuzz/README.md):  .venv/bin/python fuzz/fuzz_loader.py -max_total_time=600 fuzz/corpus
"""
from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

import atheris

with atheris.instrument_imports():
    from homeops_lint import report, yamlload
    from homeops_lint.engine import Options, run
    from homeops_lint.report.common import ReportOptions

NAMES = ["clusters/main/flux-system/gotk-sync.yaml", "apps/kustomization.yaml", "apps/app.yaml", "x.txt"]
CONTROL = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  name: b\n"
WORK = Path(tempfile.mkdtemp(prefix="homeops-lint-fuzz-"))


def _write_repo(data: bytes) -> Path:
    root = WORK / "repo"
    shutil.rmtree(root, ignore_errors=True)
    (root / "control").mkdir(parents=True)
    (root / "control" / "dup.yaml").write_text(CONTROL)
    for name, part in zip(NAMES, data.split(b"\0\0")):
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(part)
    return root


def _outputs(root: Path) -> dict[str, str]:
    result = run(Options(paths=[str(root)], root=str(root)))
    assert ("parse-duplicate-key", "control/dup.yaml", 5) in {(f.rule, f.path, f.line) for f in result.findings}
    outputs = {}
    for fmt in report.FORMATS:
        text = report.render(fmt, result, ReportOptions(statistics=True))
        text.encode("utf-8")
        if fmt in ("json", "sarif", "gitlab"):
            json.loads(text)
        outputs[fmt] = text
    return outputs


def test_one_input(data: bytes) -> None:
    yamlload.load(data.decode("utf-8", "replace"))  # the loader alone, on the raw text
    root = _write_repo(data)
    first = _outputs(root)
    assert first == _outputs(root), "two runs on the same input differ"


def _memoise_fixed_costs() -> None:
    """The rule catalog is read from our own files on every run: read it once per fuzzing process."""
    from functools import lru_cache

    from homeops_lint import catalog, engine

    cached = lru_cache(maxsize=4)(lambda dirs: catalog.load_catalog(list(dirs)))
    engine.load_catalog = lambda dirs=(): cached(tuple(dirs))  # type: ignore[assignment]


def main() -> None:
    os.environ.setdefault("HOMEOPS_LINT_WORKERS", "1")
    _memoise_fixed_costs()
    seeds = Path(__file__).resolve().parent / "corpus"
    if seeds.is_dir() and not any(a for a in sys.argv[1:] if not a.startswith("-")):
        sys.argv.append(str(seeds))
    atheris.Setup(sys.argv, test_one_input)
    try:
        atheris.Fuzz()
    finally:
        shutil.rmtree(WORK, ignore_errors=True)


if __name__ == "__main__":
    main()
