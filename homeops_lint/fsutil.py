"""Writing files safely: every write the tool makes (policy, baseline, report, --fix) is atomic."""
from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path


def atomic_write(path: str, text: str, encoding: str = "utf-8") -> None:
    """Write ``text`` to a temporary file beside ``path`` and rename it over ``path``."""
    atomic_write_bytes(path, text.encode(encoding))


def _umask() -> int:
    try:  # Linux: read it without changing it (os.umask can only be read by setting it)
        with open("/proc/self/status", encoding="ascii", errors="replace") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    current = os.umask(0o022)
    os.umask(current)
    return current


def atomic_write_bytes(path: "str | Path", data: bytes, mode: "int | None" = None) -> None:
    """Write ``data`` beside ``path`` and rename it over ``path``: readers see the old file or the
    new one, never half of one. ``mode`` sets the permissions; by default a replaced file keeps its
    own and a new file gets what ``open()`` would give it (0666 less the umask).

    An I/O error is raised naming ``path`` (not the temporary file), so the CLI can say which."""
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    if target.is_dir():
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise type(exc)(exc.errno, exc.strerror, str(path)) from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        if mode is None:
            try:
                mode = target.stat().st_mode & 0o7777
            except FileNotFoundError:
                mode = 0o666 & ~_umask()
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(exc, OSError):
            raise type(exc)(exc.errno, exc.strerror, str(path)) from None
        raise
