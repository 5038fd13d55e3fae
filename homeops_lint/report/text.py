"""Human output in the style of ruff's ``full`` format: location, rule, message, source, caret."""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..model import Severity
from .common import ReportOptions, mask_message, source_line, statistics, summary

if TYPE_CHECKING:
    from ..engine import Result

_COLORS = {Severity.ERROR: "31", Severity.WARNING: "33", Severity.INFO: "36"}


def _paint(text: str, code: str, on: bool) -> str:
    return f"\x1b[{code}m{text}\x1b[0m" if on else text


def render(result: Result, options: ReportOptions) -> str:
    lines: list[str] = []
    for finding in result.findings:
        where = _paint(f"{finding.path}:{finding.line}:{finding.column}:", "1", options.color)
        rule = _paint(finding.rule, "1;" + _COLORS[finding.severity], options.color)
        message = mask_message(result, finding)
        resource = f" [{finding.resource}]" if finding.resource else ""
        lines.append(f"{where} {rule} {message}{resource}")
        if options.quiet or not options.show_source:
            continue
        text = source_line(result, finding)
        if text.strip():
            gutter = " " * len(str(finding.line))
            lines.append(f"{gutter} |")
            lines.append(f"{finding.line} | {text}")
            lines.append(f"{gutter} | {' ' * max(finding.column - 1, 0)}{_paint('^', _COLORS[finding.severity], options.color)}")
            lines.append("")
    if options.statistics:
        for rule, severity, count in statistics(result.findings):
            lines.append(f"{count:5d}  {rule}  ({severity})")
    if not options.quiet:
        counts = summary(result)
        scope = f"{counts['files']} files, {counts['documents']} documents"
        suppressed = f"; {counts['suppressed']} suppressed" if counts["suppressed"] else ""
        if result.findings:
            parts = [f"{counts['errors']} error{'s' if counts['errors'] != 1 else ''}",
                     f"{counts['warnings']} warning{'s' if counts['warnings'] != 1 else ''}",
                     f"{counts['info']} info"]
            lines.append(f"Found {', '.join(parts)} in {scope}{suppressed}.")
        else:
            lines.append(f"All checks passed ({scope}{suppressed}).")
    return "\n".join(lines) + ("\n" if lines else "")


def fixable_line(safe: int, unsafe: int) -> str:
    """ruff's hint that ``--fix`` would help; "" when nothing shown is fixable."""
    if safe and unsafe:
        return f"[*] {safe} fixable with `--fix` ({unsafe} more with `--fix --unsafe-fixes`).\n"
    if safe:
        return f"[*] {safe} fixable with `--fix`.\n"
    if unsafe:
        return f"[*] {unsafe} fixable with `--fix --unsafe-fixes` (these fixes may change meaning).\n"
    return ""
