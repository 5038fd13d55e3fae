"""``--format github``: GitHub Actions workflow commands, one annotation per finding.

``::error file=PATH,line=L,col=C,title=RULE::MESSAGE`` (``warning``/``notice`` for the other
severities). Property values and the message are escaped as the Actions toolkit does (``%``, CR,
LF, and in properties also ``:`` and ``,``). Paths are relative to the repository checkout.
``--statistics`` adds plain log lines after the annotations.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..model import Severity
from .common import ReportOptions, mask_message, repo_prefix, statistics

if TYPE_CHECKING:
    from ..engine import Result

COMMANDS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render(result: Result, options: ReportOptions) -> str:
    prefix = repo_prefix(result)
    lines = []
    for finding in result.findings:
        message = mask_message(result, finding)
        if finding.resource:
            message += f" [{finding.resource}]"
        props = ",".join(f"{name}={escape_property(str(value))}" for name, value in (
            ("file", prefix + finding.path), ("line", finding.line), ("col", finding.column),
            ("title", f"homeops-lint {finding.rule}")))
        lines.append(f"::{COMMANDS[finding.severity]} {props}::{escape_data(message)}")
    if options.statistics:
        for rule, severity, count in statistics(result.findings):
            lines.append(f"{count:5d}  {rule}  ({severity})")
    return "\n".join(lines) + ("\n" if lines else "")
