"""Declarative rules: policy as code, without Python.

A declarative rule (``rules/builtin/*.yaml``, or a folder named in the policy's ``custom_rules``;
format in ``schemas/rule.schema.json``) matches Kubernetes objects by apiVersion, kind,
namespace, name and labels, and asserts a JSON Schema on each. Every violation is a finding at
the offending key, worded by the rule's message template.

Objects are judged as Flux applies them: with their effective namespace, and a Flux
Kustomization with its parent's ``spec.patches`` applied. ``${VAR}`` values Flux substitutes are
never judged (unknown is never an error).
"""
from __future__ import annotations

import string
from fnmatch import fnmatchcase
from typing import Any, Iterable, Optional

from ..catalog import Catalog, Rule, substitute_options
from ..context import Context
from ..model import DocClass, Document, format_path, resource_id
from ..schemas import Issue, Resolved, Views, validate

FAMILIES: tuple[str, ...] = ()  # any family: see rules_served
DEFAULT_MESSAGE = "{kind} {name}: {error}"


def rules_served(catalog: Catalog) -> set[str]:
    return {rule.id for rule in catalog.rules.values() if rule.declarative}


def check(ctx: Context) -> None:
    rules = [r for r in ctx.catalog.rules.values() if r.declarative and ctx.enabled(r.id)]
    if not rules:
        return
    patched = _patched_specs(ctx)
    views = Views(lambda path: getattr(ctx.index.file(path), "text", ""))
    pools: dict[bool, _Pool] = {}
    for rule in rules:
        evaluate(ctx, rule, patched, views, pools)


def _patched_specs(ctx: Context) -> dict[int, Any]:
    """id(Flux Kustomization document) -> its spec after the parent's patches (when patched)."""
    out: dict[int, Any] = {}
    stack = list(getattr(ctx.index.graph, "roots", []) or [])
    while stack:
        node = stack.pop()
        spec = getattr(node, "spec", None)
        if isinstance(spec, dict) and spec and spec is not node.doc.get("spec"):
            out[id(node.doc)] = spec
        stack.extend(getattr(node, "children", []) or [])
    return out


def candidates(ctx: Context, applied: bool) -> Iterable[tuple[Document, Optional[str], str]]:
    """(document, effective namespace, name as Flux substitutes it) of the objects to judge."""
    if not applied:
        for doc in ctx.index.documents_of(DocClass.K8S):
            yield doc, doc.namespace, doc.name
        return
    seen: set[tuple[int, Optional[str]]] = set()
    for item in ctx.index.applied:
        key = (id(item.doc), item.namespace)
        if item.doc.doc_class == DocClass.K8S and key not in seen:
            seen.add(key)
            name = item.doc.name
            if "${" in name:
                name = item.resolve(name) or name
            yield item.doc, item.namespace, name


Candidate = tuple[Document, Optional[str], str]
_GLOB = frozenset("*?[")


class _Pool:
    """The candidates of one kind of match (applied or all), listed once and bucketed by kind.

    Most rules match one or a few literal kinds: looking those up by kind replaces a scan of every
    document per rule. The order stays the order of the full scan, so output is unchanged.
    """

    def __init__(self, ctx: Context, applied: bool) -> None:
        self.items: list[Candidate] = list(candidates(ctx, applied))
        self.by_kind: dict[str, list[tuple[int, Candidate]]] = {}
        for position, item in enumerate(self.items):
            self.by_kind.setdefault(item[0].kind, []).append((position, item))

    def matching(self, match: dict[str, Any]) -> list[Candidate]:
        """The candidates ``match`` can select; every candidate when its kind is absent or a glob."""
        if "kind" not in match:
            return self.items
        kinds = _patterns(match["kind"])
        if not isinstance(match["kind"], (str, list)) or any(_GLOB & set(k) for k in kinds):
            return self.items
        if len(kinds) == 1:
            return [item for _, item in self.by_kind.get(kinds[0], ())]
        found = [entry for kind in dict.fromkeys(kinds) for entry in self.by_kind.get(kind, ())]
        found.sort(key=lambda entry: entry[0])
        return [item for _, item in found]


def _patterns(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value] if isinstance(value, list) else []


def selects(selector: Any, doc: Document, namespace: Optional[str]) -> bool:
    """Does ``selector`` (match or exclude) select this object? Every given field must match."""
    if not isinstance(selector, dict):
        return False
    fields = {"apiVersion": doc.api_version, "kind": doc.kind, "name": doc.name, "namespace": namespace}
    for key, actual in fields.items():
        if key not in selector:
            continue
        if actual is None or not any(fnmatchcase(actual, p) for p in _patterns(selector[key])):
            return False
    wanted = selector.get("labels")
    if isinstance(wanted, dict):
        labels = doc.labels()
        for key, pattern in wanted.items():
            if str(key) not in labels or not fnmatchcase(labels[str(key)], str(pattern)):
                return False
    return True


def compile_rule(rule: Rule, options: dict[str, Any]) -> Resolved:
    import jsonschema_rs

    assert rule.declarative is not None
    schema = substitute_options(rule.declarative.get("assert") or {}, options)
    return Resolved(f"rule {rule.id}", jsonschema_rs.validator_for(schema), schema)


def evaluate(ctx: Context, rule: Rule, patched: dict[int, Any], views: Views,
             pools: Optional[dict[bool, _Pool]] = None) -> None:
    spec = rule.declarative or {}
    match = spec.get("match") if isinstance(spec.get("match"), dict) else {}
    exclude = spec.get("exclude")
    options = ctx.options(rule.id)
    resolved = compile_rule(rule, options)
    template = str(spec.get("message") or DEFAULT_MESSAGE)
    applied = bool(match.get("applied", True))
    pools = {} if pools is None else pools
    if applied not in pools:
        pools[applied] = _Pool(ctx, applied)
    for doc, namespace, name in pools[applied].matching(match):
        if not selects(match, doc, namespace) or (exclude and selects(exclude, doc, namespace)):
            continue
        data = views(doc)
        if id(doc) in patched and isinstance(data, dict):
            data = {**data, "spec": patched[id(doc)]}
        for issue in validate(resolved, data):
            ctx.report(rule.id, doc, issue.path, render(template, rule, doc, name, namespace, issue, options),
                       namespace=namespace, resource=resource_id(doc.kind, namespace, name))


class _Fields(dict):  # type: ignore[type-arg]
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"  # an unknown field stays visible instead of crashing the run


def render(template: str, rule: Rule, doc: Document, name: str, namespace: Optional[str], issue: Issue,
           options: dict[str, Any]) -> str:
    value = issue.value if isinstance(issue.value, (str, int, float, bool)) else ""
    fields = _Fields(kind=doc.kind, name=name, namespace=namespace or "", apiVersion=doc.api_version,
                     path=format_path(issue.path), value=value, error=issue.message, rule=rule.id,
                     options=options)
    try:
        return string.Formatter().vformat(template, (), fields)
    except (ValueError, KeyError, IndexError, AttributeError, TypeError):
        return f"{doc.kind} {name}: {issue.message}"
