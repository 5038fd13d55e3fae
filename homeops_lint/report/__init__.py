"""Reporters: one module per output format, each with ``render(result, options) -> str``."""
from __future__ import annotations

FORMATS = ("text", "json")


def render(fmt: str, result, options) -> str:  # type: ignore[no-untyped-def]
    import importlib

    module = importlib.import_module(f"homeops_lint.report.{fmt.replace('-', '_')}")
    return module.render(result, options)
