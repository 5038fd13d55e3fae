"""Reporters: one module per output format, each with ``render(result, options) -> str``."""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..engine import Result
    from .common import ReportOptions

FORMATS = ("text", "json", "json-lines", "sarif", "junit", "github", "gitlab")


def render(fmt: str, result: Result, options: ReportOptions) -> str:
    import importlib

    module = importlib.import_module(f"homeops_lint.report.{fmt.replace('-', '_')}")
    return module.render(result, options)  # type: ignore[no-any-return]


def embeds_statistics(fmt: str) -> bool:
    """Whether ``--statistics`` goes into the report; otherwise the CLI writes it to stderr."""
    import importlib

    module = importlib.import_module(f"homeops_lint.report.{fmt.replace('-', '_')}")
    return bool(getattr(module, "EMBEDS_STATISTICS", True))
