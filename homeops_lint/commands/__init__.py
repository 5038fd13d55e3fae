"""Subcommands that sit on top of the library: they parse arguments, call it and print.

The library never imports this package. ``cli.py`` dispatches to the entries of ``SUBCOMMANDS``.
"""
from __future__ import annotations

# Subcommands other than lint: name -> "module:function" taking argv and returning an exit code.
# Kept as strings so that a command's module (and what it imports) loads only when it runs.
SUBCOMMANDS: dict[str, str] = {
    "rules": "homeops_lint.commands.rules:main",
    "rule": "homeops_lint.commands.rules:main_rule",
    "init": "homeops_lint.commands.init:main",
    "test": "homeops_lint.commands.test:main",
    "graph": "homeops_lint.commands.graph:main",
    "baseline": "homeops_lint.commands.baseline:main",
    "hook": "homeops_lint.commands.hook:main",
    "ip": "homeops_lint.commands.ip:main",
    "diff": "homeops_lint.commands.diff:main",
}
