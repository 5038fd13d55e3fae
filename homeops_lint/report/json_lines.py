"""``--format json-lines``: one finding object per line (the ``json`` format's finding objects).

Streams well into ``jq -c`` and log shippers. The lines hold findings only; ``--statistics`` goes to
stderr so every line keeps one shape.
"""
from __future__ import annotations

import json
from typing import TYPE_CHECKING

from .common import ReportOptions, finding_dict

if TYPE_CHECKING:
    from ..engine import Result

EMBEDS_STATISTICS = False


def render(result: Result, options: ReportOptions) -> str:
    return "".join(json.dumps(finding_dict(f, result), sort_keys=True, ensure_ascii=False) + "\n"
                   for f in result.findings)
