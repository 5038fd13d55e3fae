"""Exit codes and user-facing errors: exceptions that mean "you called it wrong", printed as one line.

A leaf module: the library raises these and the commands turn them into exit codes, so it imports
nothing of the package.
"""
from __future__ import annotations

from typing import Any, Optional

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


class UserError(Exception):
    """A problem the user can fix (a bad option, policy or rule file): one line on stderr, exit 2."""


class UsageError(UserError):
    """A problem with how the tool was called; the CLI prints it and exits 2."""


def describe(exc: BaseException) -> Optional[str]:
    """The one-line message for a known user error, or None for an internal error."""
    if isinstance(exc, UserError):
        return str(exc)
    if isinstance(exc, OSError) and exc.filename is not None:
        # An ordinary I/O problem (a missing folder, a directory given as a file, no permission):
        # the user's to fix, so it names the path instead of asking for a bug report.
        return f"{exc.filename}: {exc.strerror or exc}"
    return None


def argument_parser(**kwargs: Any) -> Any:
    """An ``argparse.ArgumentParser`` whose usage errors are one line on stderr and exit 2.

    Every subcommand builds its parser here (subparsers inherit the class), so ``homeops-lint
    --format nope`` and ``homeops-lint graph --nope`` fail the same documented way.
    """
    import argparse
    import sys

    class OneLineParser(argparse.ArgumentParser):
        def error(self, message: str) -> Any:  # type: ignore[override]
            sys.stderr.write(f"{self.prog}: error: {message} (see '{self.prog} --help')\n")
            raise SystemExit(EXIT_ERROR)

    return OneLineParser(**kwargs)
