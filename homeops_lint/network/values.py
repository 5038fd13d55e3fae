"""Values as a manifest gives them: YAML scalars as text, and ``${VAR}`` resolved through the
applying Kustomization, with where each variable came from."""
from __future__ import annotations

from typing import Any, Optional

from ..flux import Applied, variables_in


def scalar_text(value: Any) -> str:
    """A YAML scalar as text (a boolean as YAML writes it; nothing as "")."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def resolve(applied: Applied, value: Any) -> tuple[Optional[str], str]:
    """(substituted text or None when unknown, an explanation naming the variables used)."""
    if value is None or isinstance(value, (dict, list)):
        return None, ""
    text = scalar_text(value)
    if "${" not in text:
        return text, ""
    resolved = applied.resolve(text)
    if resolved is None:
        return None, ""
    subst = applied.substitutions
    names = list(dict.fromkeys(name for name, _default in variables_in(text)))
    parts = []
    for name in names:
        where = subst.locations.get(name)
        if where:
            ks = applied.kustomization
            field = "substitute" if ks is not None and where[0] == ks.path else "substituteFrom"
            parts.append(f"${{{name}}} from postBuild.{field} at {where[0]}:{where[1].line}")
        else:
            parts.append(f"${{{name}}} default")
    return resolved, (" (" + "; ".join(parts) + ")") if parts else ""


