"""Where the commands' text goes: the report file or stdout, colour or not, one-line errors."""
from __future__ import annotations

import os
import sys
from typing import Optional, TextIO

from .errors import EXIT_ERROR


def write_output(text: str, output: Optional[str]) -> None:
    """Write ``text`` to the file ``output`` (atomically) or, without one, to stdout."""
    if output:
        from .fsutil import atomic_write

        atomic_write(output, text)
    else:
        sys.stdout.write(text)
        sys.stdout.flush()


def use_color(choice: str, stream: TextIO) -> bool:
    """``--color auto|always|never``: auto means a terminal and no ``NO_COLOR``."""
    if choice == "always":
        return True
    if choice == "never" or os.environ.get("NO_COLOR"):
        return False
    return bool(getattr(stream, "isatty", lambda: False)())


def die(message: str, prog: str = "homeops-lint") -> int:
    """Print a one-line error on stderr; the exit code of a usage error."""
    sys.stderr.write(f"{prog}: {message}\n")
    return EXIT_ERROR
