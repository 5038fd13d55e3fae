"""The benchmark's summary table (bench/run.py): ratios and --timings stage shares per corpus."""
from __future__ import annotations

import importlib.util
import sys

from .conftest import ROOT

TIMINGS = """homeops-lint timings: stage                   wall       cpu   share
homeops-lint timings: read+parse             1.075     1.074   38.3%
homeops-lint timings: index                  0.508     0.508   18.1%
homeops-lint timings: check:flux             0.547     0.545   19.5%
homeops-lint timings: check:schema           0.130     0.130    4.6%
homeops-lint timings: check:secret           0.735     0.732   26.2%
homeops-lint timings: total (in process)     2.808     2.779  100.0%
homeops-lint timings: share of secret scanning: 26.2% of the run"""


def _run_module():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("bench_run_report", ROOT / "bench" / "run.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _row(name: str, wall: float, cpu: float = 0.0) -> dict:
    return {"name": name, "status": "ok", "wall": wall, "n": 3, "rss_mb": 10.0, "cpu": cpu or wall}


def test_stage_shares_are_shares_of_cpu() -> None:
    shares = _run_module().stage_shares(TIMINGS)
    assert set(shares) == {"read+parse", "index", "check:flux", "check:schema", "check:secret"}
    assert round(shares["read+parse"], 1) == round(100 * 1.074 / 2.989, 1)
    assert abs(sum(shares.values()) - 100.0) < 1e-9


def test_summary_row() -> None:
    run = _run_module()
    corpus = {"label": "owner/home-ops", "yaml_files": 120, "docs": 150, "rows": {
        "floor-compose": _row("parse floor (compose)", 0.5, 0.4), "lint-cold": _row("homeops-lint cold", 2.0, 3.0),
        "lint-warm": _row("homeops-lint warm", 0.2), "lint-hook": _row("homeops-lint hook", 0.25),
        "yamllint": _row("yamllint", 12.0), "lint-timings": {"name": "timings", "status": "ok", "text": TIMINGS}}}
    untimed = {"label": "small", "yaml_files": 10, "docs": 12, "rows": {
        "floor-compose": _row("parse floor (compose)", 0.1),
        "lint-cold": {"name": "homeops-lint cold", "status": "failed", "reason": "boom"}}}
    lines = run.summary([corpus, untimed]).splitlines()
    cells = [c.strip() for c in lines[2].strip("|").split("|")]
    assert cells == ["owner/home-ops", "120", "150", "0.500s", "2.000s", "4.00×", "7.50×", "0.200s", "0.250s",
                     "12.000s", "6.00×", "4.00×", "36%", "17%", "18%", "4%", "24%", "0%"]
    cells = [c.strip() for c in lines[3].strip("|").split("|")]
    assert cells[4:7] == ["failed", "–", "–"] and cells[-1] == "–"


def test_rewriting_results_keeps_the_hand_written_notes(tmp_path) -> None:  # type: ignore[no-untyped-def]
    run = _run_module()
    out = tmp_path / "RESULTS.md"
    assert run.kept_notes(str(out)) == []  # no file yet
    out.write_text("# old generated part\n\n" + run.HAND_WRITTEN + "\n\n## Analysis\n\nkept text\n")
    notes = run.kept_notes(str(out))
    assert notes[-1] == run.HAND_WRITTEN + "\n\n## Analysis\n\nkept text"
    out.write_text("# generated only, no marker\n")
    assert run.kept_notes(str(out)) == []
