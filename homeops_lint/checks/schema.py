"""schema-: every Kubernetes document against its schema, offline (see rules/catalog/schema.yaml).

Which documents: every Kubernetes document of the repository, applied by Flux or not. Schema
validity is a property of the file: a stale or not-yet-wired file with a typo becomes a live
failure the day someone lists it in a kustomization, and a pre-commit hook should catch it while
the author is still looking at it. It is also cheap: with jsonschema-rs a document costs a few
microseconds once its schema is compiled, and schemas are compiled once per kind. Set the option
``applied_only: true`` on ``schema-invalid`` to judge only what Flux applies.

What is validated is what the API server receives (rules/catalog/schema.yaml): explicit nulls
count as absent, a file a kustomization uses as a patch is validated as a patch (no required
fields), a kind whose schema declares a ``sops`` block keeps it, and a Flux Kustomization is
validated with the spec its parent's ``spec.patches`` give it (``KsNode.spec`` of the Flux graph).
A file in an example, docs, test or archive folder that nothing applies only warns.

Where schemas come from is described in ``homeops_lint/schemas/__init__.py``.
"""
from __future__ import annotations

from typing import Any, Optional

from ..classify import is_non_cluster_path, kustomize_patch_files
from ..context import Context
from ..flux import KUSTOMIZE_GROUP, is_flux_kustomization
from ..model import DocClass, Document, Severity
from ..schemas import (Resolved, SchemaStore, Unusable, Views, declares_sops, k8s_view, settings_from_policy,
                       validate)

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
    patch_files = ctx.index.derived("kustomize-patch-files", lambda: kustomize_patch_files(
        ctx.index.documents_of(DocClass.KUSTOMIZE)))
    patched = _patched_flux_specs(ctx)
    parents_patch_children = _parents_patch_children(ctx)
    no_flux = ctx.index.graph.mode == "no-flux"
    for doc in documents(ctx):
        ctx.budget.check()
        resolved = store.resolve(doc, _text(ctx, doc.path))
        namespace = namespaces.get(id(doc), doc.namespace)
        if not isinstance(resolved, Resolved):
            _missing(ctx, doc, resolved, namespace)
            continue
        view = views(doc, declares_sops(resolved))
        flux_child = is_flux_kustomization(doc)
        if flux_child and id(doc) in patched and isinstance(view, dict):
            view = {**view, "spec": k8s_view(patched[id(doc)])}  # what the parent's patches make of it
        # A file outside the cluster's folders that nothing applies may be a sketch or an example.
        unsure = is_non_cluster_path(doc.path) and (no_flux or not ctx.index.is_applied(doc))
        for issue in validate(resolved, view, patch=doc.path in patch_files):
            rule = "schema-unknown-field" if issue.unknown_field else "schema-invalid"
            severity = None
            if rule == "schema-invalid" and (unsure or (
                    issue.missing and flux_child and id(doc) not in patched and parents_patch_children)):
                severity = Severity.WARNING
            ctx.report(rule, doc, issue.path, issue.message, namespace=namespace, severity=severity)


def _patched_flux_specs(ctx: Context) -> dict[int, dict[str, Any]]:
    """Flux Kustomizations whose spec their parent's ``spec.patches`` (or a kustomize patch) change:
    the child is validated as the parent applies it."""
    out: dict[int, dict[str, Any]] = {}
    for node in ctx.index.graph.nodes:
        if node.synthetic or id(node.doc) in out:
            continue
        if node.spec != node.doc.get("spec"):
            out[id(node.doc)] = node.spec
    return out


def _parents_patch_children(ctx: Context) -> bool:
    """Some Flux Kustomization patches the Kustomizations it applies (typically to give every
    child its sourceRef, prune or postBuild): a child that is not reached may still get them."""
    for doc in ctx.index.all_of_kind("Kustomization", group=KUSTOMIZE_GROUP):
        for body, target in ctx.index.graph.patches.inline(doc.get("spec", "patches")):
            kind = target.get("kind") if isinstance(target, dict) else None
            if kind is None and isinstance(body, dict):
                kind = body.get("kind")
            if kind is None or kind == "Kustomization" or (isinstance(kind, str) and "Kustomization" in kind):
                return True
    return False


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
