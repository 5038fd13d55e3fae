"""Writing files safely: every write the tool makes (policy, baseline, report, --fix) is atomic."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path


def atomic_write(path: str, text: str, encoding: str = "utf-8") -> None:
    """Write ``text`` to a temporary file beside ``path`` and rename it over ``path``."""
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding=encoding, newline="") as handle:
            handle.write(text)
        if target.exists():
            os.chmod(tmp, target.stat().st_mode & 0o777)
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
