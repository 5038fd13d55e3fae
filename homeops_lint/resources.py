"""Where the shipped data lives: ``rules/`` and ``schemas/``.

In a source checkout (and an editable install) they sit beside the package; a wheel carries them
inside the package as ``homeops_lint/_data/``.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


@lru_cache(maxsize=None)
def data_dir(name: str) -> Path:
    bundled = _PACKAGE / "_data" / name
    if bundled.is_dir():
        return bundled
    return _PACKAGE.parent / name
