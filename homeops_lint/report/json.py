"""``--format json``: one object, sorted, byte-identical across runs (schemas/report.schema.json)."""
from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from .common import ReportOptions, finding_dict, statistics, summary

if TYPE_CHECKING:
    from ..engine import Result


def render(result: Result, options: ReportOptions) -> str:
    payload: dict[str, Any] = {
        "version": 1,
        "findings": [finding_dict(f, result) for f in result.findings],
        "summary": summary(result),
    }
    if options.statistics:
        payload["statistics"] = [{"rule": r, "severity": s, "count": n} for r, s, n in statistics(result.findings)]
    return json.dumps(payload, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
