"""Kubernetes label selectors evaluated with three outcomes (match, no match, cannot tell): the
labels of a Service a Helm chart or a Gateway generates are only partly known."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

from .values import scalar_text


# --- label selectors --------------------------------------------------------------------------
@dataclass(frozen=True)
class LabelView:
    """The labels a selector is evaluated against. ``complete``: a missing key is known absent."""

    labels: dict[str, str]
    complete: bool
    annotations: dict[str, str] = field(default_factory=dict)  # to explain a label set as an annotation


def selector_matches(selector: Any, view: LabelView) -> Optional[bool]:
    """Evaluate a Kubernetes LabelSelector: True, False, or None when the labels cannot tell.

    An empty selector ``{}`` selects everything; a missing (nil) selector is the caller's business.
    """
    if not isinstance(selector, dict):
        return None
    outcome: Optional[bool] = True
    match_labels = selector.get("matchLabels")
    if isinstance(match_labels, dict):
        for key, want in match_labels.items():
            have = view.labels.get(str(key))
            if have is None:
                if view.complete:
                    return False
                outcome = None
            elif have != scalar_text(want):
                return False
    expressions = selector.get("matchExpressions")
    if isinstance(expressions, list):
        for expr in expressions:
            if not isinstance(expr, dict):
                continue
            result = _expression(expr, view)
            if result is False:
                return False
            if result is None:
                outcome = None
    return outcome


def _expression(expr: dict[str, Any], view: LabelView) -> Optional[bool]:
    key = str(expr.get("key", ""))
    op = str(expr.get("operator", ""))
    values = {scalar_text(v) for v in expr.get("values") or [] if v is not None} if isinstance(expr.get("values"), list) \
        else set()
    have = view.labels.get(key)
    if have is None and not view.complete:
        return None
    if op == "In":
        return have is not None and have in values
    if op == "NotIn":
        return have is None or have not in values  # NotIn on an absent key matches
    if op == "Exists":
        return have is not None
    if op == "DoesNotExist":
        return have is None
    return None


def selector_keys(selector: Any) -> set[str]:
    keys: set[str] = set()
    if isinstance(selector, dict):
        if isinstance(selector.get("matchLabels"), dict):
            keys.update(str(k) for k in selector["matchLabels"])
        for expr in selector.get("matchExpressions") or []:
            if isinstance(expr, dict) and "key" in expr:
                keys.add(str(expr["key"]))
    return keys


