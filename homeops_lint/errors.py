"""User-facing errors: exceptions that mean "you called it wrong", printed as one line."""
from __future__ import annotations

from typing import Optional


def describe(exc: BaseException) -> Optional[str]:
    """The one-line message for a known user error, or None for an internal error."""
    from .catalog import CatalogError
    from .discover import UsageError
    from .policy import PolicyError

    if isinstance(exc, (PolicyError, UsageError, CatalogError)):
        return str(exc)
    return None
