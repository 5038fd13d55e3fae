"""Schema errors as short, human messages at a key path; errors on values Flux substitutes
(``${VAR}``) or SOPS encrypts (``ENC[...]``) are dropped."""
from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterable, Optional

from ..model import KeyPath, format_path, get_path
from .view import is_deferred, k8s_view

if TYPE_CHECKING:
    from .store import Resolved


# --- errors as short, human messages ---------------------------------------------------------
@dataclass(frozen=True)
class Issue:
    path: KeyPath  # where to report (a key path inside the document)
    message: str  # starts with the dotted key, e.g. "`spec.blocks[0].stop`: expected a string"
    unknown_field: bool = False
    value: Any = None  # the offending value (for message templates); never printed by us
    missing: bool = False  # a required field (or one of a required set) is absent


_TYPE_NAMES = {"string": "a string", "integer": "an integer", "number": "a number", "boolean": "a boolean",
               "object": "a mapping", "array": "a list", "null": "null"}


def type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return "null"


def _schema_at(schema: Any, path: Iterable[Any]) -> Any:
    node = schema
    for step in path:
        if isinstance(node, dict):
            node = node.get(str(step), node.get(step)) if not isinstance(step, int) else None
        elif isinstance(node, list) and isinstance(step, int) and 0 <= step < len(node):
            node = node[step]
        else:
            return None
    return node


def _quote(path: KeyPath) -> str:
    return f"`{format_path(path)}`" if path else "the document"


def _one_of_text(values: list[Any], limit: int = 6) -> str:
    shown = [json.dumps(v) for v in values[:limit]]
    more = f" (and {len(values) - limit} more)" if len(values) > limit else ""
    return ", ".join(shown) + more


def _yaml11_hint(value: Any) -> str:
    if isinstance(value, bool):
        return " (an unquoted yes/no/on/off/true/false is a boolean to Kubernetes; quote it)"
    return ""


def humanize(error: Any, schema: dict[str, Any], data: Any = None) -> list[Issue]:
    """One jsonschema-rs error as issues with short messages (empty when it must be ignored).

    ``data`` is the validated instance, needed to name the key of an ``additionalProperties:
    false`` error that jsonschema-rs reports as a false schema on the parent mapping.
    """
    kind = type(error.kind).__name__
    path: KeyPath = tuple(error.instance_path)
    value = error.instance
    where = _quote(path)
    schema_path = list(error.schema_path)
    subschema = _schema_at(schema, schema_path[:-1]) or {}
    unexpected: list[Any] = []
    if kind == "AdditionalProperties":
        unexpected = list(error.kind.unexpected)
    elif kind == "FalseSchema" and schema_path[-1:] == ["additionalProperties"] and isinstance(subschema, dict):
        parent = get_path(data, path)
        patterns = [re.compile(p) for p in (subschema.get("patternProperties") or {})]
        unexpected = [k for k in (parent if isinstance(parent, dict) else {})
                      if k not in (subschema.get("properties") or {}) and not any(p.search(str(k)) for p in patterns)]
        kind = "AdditionalProperties"
    if kind == "AdditionalProperties":
        known = sorted(subschema.get("properties", {}) if isinstance(subschema, dict) else {})
        out = []
        for key in unexpected:
            if is_deferred(key):
                continue
            close = difflib.get_close_matches(str(key), known, n=1, cutoff=0.6)
            hint = f" (did you mean `{close[0]}`?)" if close else ""
            out.append(Issue(path + (key,), f"{_quote(path + (key,))}: unknown field{hint}", True, key))
        return out
    if kind in ("UnevaluatedProperties",):
        return [Issue(path, f"{where}: unknown field(s) {error.kind.unexpected}", True, value)]
    if is_deferred(value):
        return []  # Flux substitutes it (or SOPS decrypts it) before the API server sees it
    if kind == "Required":
        return [Issue(path, f"{where}: missing required field `{error.kind.property}`", False, value, True)]
    if kind == "Type":
        types = [t for t in error.kind.types if t != "null"] or ["null"]  # "or null" is noise
        expected = " or ".join(_TYPE_NAMES.get(t, t) for t in types)
        return [Issue(path, f"{where}: expected {expected}, got {type_name(value)}{_yaml11_hint(value)}", False, value)]
    if kind == "Enum":
        options = error.kind.options if hasattr(error.kind, "options") else subschema.get("enum", [])
        options = options if isinstance(options, list) else subschema.get("enum", [])
        return [Issue(path, f"{where}: expected one of {_one_of_text(options)}{_yaml11_hint(value)}", False, value)]
    if kind == "Constant":
        expected = subschema.get("const") if isinstance(subschema, dict) else None
        return [Issue(path, f"{where}: must be {json.dumps(expected)}", False, value)]
    if kind == "Pattern":
        return [Issue(path, f"{where}: does not match the pattern `{subschema.get('pattern', '')}`", False, value)]
    if kind in ("Minimum", "ExclusiveMinimum", "Maximum", "ExclusiveMaximum", "MinLength", "MaxLength",
                "MinItems", "MaxItems", "MinProperties", "MaxProperties", "MultipleOf", "UniqueItems"):
        return [Issue(path, f"{where}: {_bound_text(kind, subschema)}", False, value)]
    if kind in ("Not", "FalseSchema"):
        target = _schema_at(schema, list(error.schema_path)[:-1]) if kind == "Not" else None
        note = target.get("description") if isinstance(target, dict) else None
        return [Issue(path, f"{where}: not allowed" + (f": {note}" if note else ""), False, value)]
    if kind in ("OneOfNotValid", "AnyOf", "OneOfMultipleValid"):
        return _alternatives(error, kind, path, value, subschema, schema, data)
    if kind == "Format":
        return []  # formats are annotations in Kubernetes schemas; the API server checks few of them
    return [Issue(path, f"{where}: {error.message}", False, value)]


def _bound_text(kind: str, sub: dict[str, Any]) -> str:
    key = {"Minimum": "minimum", "ExclusiveMinimum": "exclusiveMinimum", "Maximum": "maximum",
           "ExclusiveMaximum": "exclusiveMaximum", "MinLength": "minLength", "MaxLength": "maxLength",
           "MinItems": "minItems", "MaxItems": "maxItems", "MinProperties": "minProperties",
           "MaxProperties": "maxProperties", "MultipleOf": "multipleOf"}.get(kind)
    bound = sub.get(key) if key and isinstance(sub, dict) else None
    return {
        "Minimum": f"must be at least {bound}", "ExclusiveMinimum": f"must be more than {bound}",
        "Maximum": f"must be at most {bound}", "ExclusiveMaximum": f"must be less than {bound}",
        "MinLength": f"must be at least {bound} characters long", "MaxLength": f"must be at most {bound} characters long",
        "MinItems": f"needs at least {bound} item(s)", "MaxItems": f"allows at most {bound} item(s)",
        "MinProperties": f"needs at least {bound} key(s)", "MaxProperties": f"allows at most {bound} key(s)",
        "MultipleOf": f"must be a multiple of {bound}", "UniqueItems": "items must be unique",
    }.get(kind, "is out of range")


def _alternatives(error: Any, kind: str, path: KeyPath, value: Any, sub: dict[str, Any],
                  schema: dict[str, Any], data: Any) -> list[Issue]:
    where = _quote(path)
    branches = sub.get("oneOf" if kind.startswith("OneOf") else "anyOf") if isinstance(sub, dict) else None
    branches = branches if isinstance(branches, list) else []
    # "exactly one of these keys": every branch is a `required` (optionally with `not required`)
    required = [b.get("required") for b in branches if isinstance(b, dict)]
    if required and all(isinstance(r, list) and len(r) == 1 for r in required):
        keys = ", ".join(f"`{r[0]}`" for r in required)
        if kind == "OneOfMultipleValid" or (isinstance(value, dict) and sum(r[0] in value for r in required) > 1):
            return [Issue(path, f"{where}: set only one of {keys}", False, value)]
        return [Issue(path, f"{where}: set one of {keys}", False, value, True)]
    if kind == "OneOfMultipleValid":
        return [Issue(path, f"{where}: matches more than one allowed form", False, value)]
    context = getattr(error.kind, "context", None) or []
    # All alternatives are plain types: "expected a string or an integer"
    types = [b.get("type") for b in branches if isinstance(b, dict)]
    if types and all(isinstance(t, str) for t in types) and all(set(b) <= {"type", "description"} for b in branches):
        expected = " or ".join(_TYPE_NAMES.get(t, t) for t in types)
        return [Issue(path, f"{where}: expected {expected}, got {type_name(value)}", False, value)]
    # Otherwise: the alternative that came closest (fewest, deepest errors) explains the mistake.
    best: list[Issue] = []
    best_score: Optional[tuple[int, int]] = None
    for branch_errors in context:
        issues = [i for e in branch_errors for i in humanize(e, schema, data)]
        if not branch_errors:
            continue
        depth = max(len(list(e.instance_path)) for e in branch_errors)
        score = (len(branch_errors), -depth)
        if best_score is None or score < best_score:
            best, best_score = issues, score
    if best_score is not None:
        return best
    return [Issue(path, f"{where}: does not match any allowed form", False, value)]


def _errors(validator: Any, data: Any) -> tuple[Any, list[Any]]:
    """The instance that was validated (a plain view when the original has non-string keys) and
    its errors (fast path: one is_valid call)."""
    try:
        if validator.is_valid(data):
            return data, []
        return data, list(validator.iter_errors(data))
    except ValueError:
        # e.g. a non-string mapping key: validate the plain view instead
        data = k8s_view(data, yaml11=False)
        if validator.is_valid(data):
            return data, []
        return data, list(validator.iter_errors(data))


def _without(data: Any, paths: list[KeyPath]) -> Any:
    """A copy of ``data`` without the mapping keys at ``paths`` (the rest is shared, not copied)."""
    if not paths:
        return data
    if isinstance(data, dict):
        heads = {p[0] for p in paths}
        out = {}
        for key, value in data.items():
            if (key,) in paths:
                continue
            out[key] = _without(value, [p[1:] for p in paths if p[0] == key and len(p) > 1]) if key in heads else value
        return out
    if isinstance(data, list):
        return [_without(v, [p[1:] for p in paths if p[0] == i and len(p) > 1]) for i, v in enumerate(data)]
    return data


def _null_fields(errors: list[Any]) -> list[KeyPath]:
    """Mapping fields set to an explicit null that the schema does not allow to be null."""
    out = []
    for error in errors:
        path = tuple(error.instance_path)
        if error.instance is None and path and isinstance(path[-1], str) and type(error.kind).__name__ in (
                "Type", "Enum", "AnyOf", "OneOfNotValid"):
            out.append(path)
    return out


# Strategic merge patch directives: keys kustomize and the API server read, never fields.
_PATCH_DIRECTIVE = "$"


def validate(resolved: Resolved, data: Any, limit: int = 20, patch: bool = False) -> list[Issue]:
    """Issues of ``data`` against a resolved schema (fast path: one is_valid call).

    Validation is of what the API server receives: an explicit ``null`` for a field that is not
    nullable is pruned (custom resources with a structural schema) or decodes to the field's zero
    value (built-in kinds) before the object is validated, so such a field counts as absent.
    ``patch``: ``data`` is a patch (strategic merge or merge patch) that is merged into an object
    before anything validates it, so absent required fields and patch directives are not issues.
    """
    validator = resolved.validator
    data, errors = _errors(validator, data)
    if not errors:
        return []
    nulls = _null_fields(errors)
    if nulls:
        data, errors = _errors(validator, _without(data, nulls))
        if not errors:
            return []
    issues: list[Issue] = []
    seen: set[tuple[KeyPath, str]] = set()
    valued: set[KeyPath] = set()  # one message about a value is enough (type + enum say the same)
    for error in errors:
        for issue in humanize(error, resolved.schema, data):
            if patch and (issue.missing or (issue.unknown_field and str(issue.value).startswith(_PATCH_DIRECTIVE))):
                continue
            key = (issue.path, issue.message)
            is_value = not issue.unknown_field and not issue.missing
            if key in seen or (is_value and issue.path in valued):
                continue
            seen.add(key)
            if is_value:
                valued.add(issue.path)
            issues.append(issue)
    return issues[:limit]
