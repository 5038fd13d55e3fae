"""schema-: every Kubernetes document against its schema, offline (see rules/catalog/schema.yaml).

Which documents: every Kubernetes document of the repository, applied by Flux or not. Schema
validity is a property of the file: a stale or not-yet-wired file with a typo becomes a live
failure the day someone lists it in a kustomization, and a pre-commit hook should catch it while
the author is still looking at it. It is also cheap: with jsonschema-rs a document costs a few
microseconds once its schema is compiled, and schemas are compiled once per kind. Set the option
``applied_only: true`` on ``schema-invalid`` to judge only what Flux applies.

Where schemas come from is described in ``homeops_lint/schemas.py``.
"""
from __future__ import annotations

from typing import Optional

from ..context import Context
from ..model import DocClass, Document
from ..schemas import Resolved, SchemaStore, Unusable, Views, settings_from_policy, validate

RULES = ("schema-invalid", "schema-unknown-field", "schema-missing")


def build_store(ctx: Context) -> SchemaStore:
    crds = [d for d in ctx.index.all_of_kind("CustomResourceDefinition") if d.group == "apiextensions.k8s.io"]
    return SchemaStore(ctx.root, settings_from_policy(ctx.root, ctx.policy.data), crds)


def documents(ctx: Context) -> list[Document]:
    if ctx.options("schema-invalid").get("applied_only"):
        return [d for d in ctx.index.iter_applied_docs() if d.doc_class == DocClass.K8S]
    return ctx.index.documents_of(DocClass.K8S)


def check(ctx: Context) -> None:
    if not any(ctx.enabled(rule) for rule in RULES):
        return
    store = build_store(ctx)
    views = Views(lambda path: _text(ctx, path))
    namespaces: dict[int, Optional[str]] = {}
    for applied in ctx.index.applied:
        namespaces.setdefault(id(applied.doc), applied.namespace)
    for doc in documents(ctx):
        ctx.budget.check()
        resolved = store.resolve(doc, _text(ctx, doc.path))
        namespace = namespaces.get(id(doc), doc.namespace)
        if not isinstance(resolved, Resolved):
            _missing(ctx, doc, resolved, namespace)
            continue
        for issue in validate(resolved, views(doc)):
            rule = "schema-unknown-field" if issue.unknown_field else "schema-invalid"
            ctx.report(rule, doc, issue.path, issue.message, namespace=namespace)


def _text(ctx: Context, path: str) -> str:
    source = ctx.index.file(path)
    return source.text if source is not None else ""


def _missing(ctx: Context, doc: Document, unusable: Optional[Unusable], namespace: Optional[str]) -> None:
    if not ctx.enabled("schema-missing"):
        return
    if unusable is not None:
        message = f"{doc.api_version} {doc.kind}: the schema {unusable.source} cannot be used: {unusable.reason}"
    else:
        message = (f"no schema for {doc.api_version} {doc.kind}: commit its CustomResourceDefinition, or add "
                   f"a folder to schemas.folders or map its modeline URL in schemas.modelines")
    ctx.report("schema-missing", doc, ("kind",), message, namespace=namespace)
