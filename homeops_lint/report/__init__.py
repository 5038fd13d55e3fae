"""Reporters: one module per output format, each with ``render(result, options) -> str``."""
from __future__ import annotations

FORMATS = ("text", "json", "json-lines", "sarif", "junit", "github", "gitlab")


def render(fmt: str, result, options) -> str:  # type: ignore[no-untyped-def]
    import importlib

    module = importlib.import_module(f"homeops_lint.report.{fmt.replace('-', '_')}")
    return module.render(result, options)


def embeds_statistics(fmt: str) -> bool:
    """Whether ``--statistics`` goes into the report; otherwise the CLI writes it to stderr."""
    import importlib

    module = importlib.import_module(f"homeops_lint.report.{fmt.replace('-', '_')}")
    return bool(getattr(module, "EMBEDS_STATISTICS", True))
