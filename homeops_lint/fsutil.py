"""Writing files safely: every write the tool makes (policy, baseline, report, --fix) is atomic."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path


def atomic_write(path: str, text: str, encoding: str = "utf-8") -> None:
    """Write ``text`` to a temporary file beside ``path`` and rename it over ``path``."""
    atomic_write_bytes(path, text.encode(encoding))


def atomic_write_bytes(path: "str | Path", data: bytes, mode: "int | None" = None) -> None:
    """Write ``data`` beside ``path`` and rename it over ``path``: readers see the old file or the
    new one, never half of one. ``mode`` sets the permissions; by default an existing file keeps
    its own."""
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        if mode is not None:
            os.chmod(tmp, mode)
        elif target.exists():
            os.chmod(tmp, target.stat().st_mode & 0o777)
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
