"""Command line: ``homeops-lint [PATH ...]`` and its subcommands (``homeops_lint.commands``).

Exit codes: 0 no error-severity finding, 1 at least one, 2 usage error, unreadable policy, a run
the time budget stopped (its findings are printed) or internal error (one line on stderr; a
traceback only with ``--debug``, and only for an internal error).
"""
from __future__ import annotations

import os
import sys
from typing import Callable, Optional, Sequence

from . import __version__
from .commands import SUBCOMMANDS
from .errors import EXIT_CLEAN, EXIT_ERROR
from .output import die


def _command(spec: str) -> Callable[[Sequence[str]], int]:
    import importlib

    module_name, _, func = spec.partition(":")
    return getattr(importlib.import_module(module_name), func)  # type: ignore[no-any-return]


def main(argv: Optional[Sequence[str]] = None) -> int:
    if argv is None:
        # The process entry point: a short-lived process whose objects all live to the end, so the
        # cyclic collector only costs time (engine.run pauses it for library callers too).
        import gc

        gc.disable()
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    if argv and argv[0] in ("--version", "-V"):
        sys.stdout.write(f"homeops-lint {__version__}\n")
        return EXIT_CLEAN
    try:
        if argv and argv[0] in SUBCOMMANDS:
            return _command(SUBCOMMANDS[argv[0]])(argv[1:])
        if argv and argv[0] == "lint":
            argv = argv[1:]
        from .commands.lint import main as lint_main

        return lint_main(argv)
    except SystemExit as exc:  # argparse: --help exits 0, usage errors exit 2
        return int(exc.code) if isinstance(exc.code, int) else EXIT_ERROR
    except KeyboardInterrupt:
        return die("interrupted")
    except BrokenPipeError:
        return EXIT_CLEAN
    except Exception as exc:  # noqa: BLE001 - the last line of defence; a traceback only with --debug
        from .errors import describe

        if debug:  # the traceback is extra; the exit code stays 2
            import traceback

            traceback.print_exc()
        known = describe(exc)
        if known is not None:
            return die(known)
        return die(f"internal error ({type(exc).__name__} at {_where(exc)}); "
                   "run with --debug for the traceback and please report it")


def _where(exc: BaseException) -> str:
    import traceback

    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return "?"
    last = frames[-1]
    return f"{os.path.basename(last.filename)}:{last.lineno}"


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
