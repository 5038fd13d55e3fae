"""Flux graph rules (``flux-``): what the graph walk found broken, sources, dependencies,
duplicates, dead files, substitutions and removed APIs (domain.md §5)."""
from __future__ import annotations

import fnmatch
import re
from typing import Any, Iterable, Optional

from ..context import Context
from ..flux import (
    HELM_GROUP, KUSTOMIZE_GROUP, SOURCE_GROUP, SUBSTITUTE_OPT_OUT, Applied, FluxGraph, KsNode, Mentions,
    dead_files, format_chain, tooling_text, variables_in,
)
from ..model import DocClass, Document, KeyPath, Severity, SourceFile, iter_nodes

FAMILIES = ("flux",)
SOURCE_KINDS = ("GitRepository", "OCIRepository", "HelmRepository", "Bucket", "HelmChart")
# API versions the Flux controllers no longer serve: (group, version) -> (Flux release, replacement).
REMOVED_APIS = {
    (KUSTOMIZE_GROUP, "v1beta1"): ("2.7", "v1"), (KUSTOMIZE_GROUP, "v1beta2"): ("2.8", "v1"),
    (HELM_GROUP, "v2beta1"): ("2.7", "v2"), (HELM_GROUP, "v2beta2"): ("2.8", "v2"),
    (SOURCE_GROUP, "v1beta1"): ("2.7", "v1"), (SOURCE_GROUP, "v1beta2"): ("2.8", "v1"),
    ("notification.toolkit.fluxcd.io", "v1beta1"): ("2.9", "v1 (Receiver) or v1beta3 (Alert, Provider)"),
    ("notification.toolkit.fluxcd.io", "v1beta2"): ("2.9", "v1 (Receiver) or v1beta3 (Alert, Provider)"),
    ("image.toolkit.fluxcd.io", "v1beta1"): ("2.9", "v1"), ("image.toolkit.fluxcd.io", "v1beta2"): ("2.9", "v1"),
}


def check(ctx: Context) -> None:
    graph = ctx.index.graph
    for event in graph.events:
        ctx.report(event.rule, event.path, pos=event.pos, message=event.message, resource=event.resource,
                   severity=Severity(event.severity) if event.severity else None)
    if not graph.has_flux:
        return
    _sources(ctx, graph)
    _dependencies(ctx, graph)
    _duplicates(ctx)
    _unreachable(ctx, graph)
    _substitutions(ctx)
    _removed_apis(ctx)
    _required_fields(ctx, graph)
    _sops_without_decryption(ctx, graph)


# --- helpers ----------------------------------------------------------------------------------
def _index(ctx: Context, kinds: Iterable[str]) -> dict[tuple[int, str, str, str], Applied]:
    """Applied objects by (cluster root, kind, namespace, name)."""
    out: dict[tuple[int, str, str, str], Applied] = {}
    for kind in kinds:
        for applied in ctx.index.applied_of_kind(kind):
            name = applied.substitutions.apply(applied.doc.name)
            if name:
                out.setdefault((id(applied.root), kind, applied.namespace or "", name), applied)
    return out


def _elsewhere(index: dict[tuple[int, str, str, str], Applied], root: int, kind: str, name: str) -> str:
    spaces = sorted({k[2] for k in index if k[0] == root and k[1] == kind and k[3] == name})
    return f" (one exists in namespace {spaces[0]}; set the namespace explicitly)" if spaces else ""


def _uncertain_roots(graph: FluxGraph) -> set[int]:
    """Clusters whose tree could not be followed completely (another repository, a path whose
    variables are unknown): an object missing there may live in the part we cannot see."""
    out: set[int] = set()
    for node in graph.nodes:
        if node.external or node.unresolved:
            out.add(id(node.root))
    return out


def _root_ks(graph: FluxGraph) -> dict[tuple[int, str, str, str], KsNode]:
    return {(id(n.root), "Kustomization", n.namespace or "", n.name): n for n in graph.roots}


# --- sources ----------------------------------------------------------------------------------
def _sources(ctx: Context, graph: FluxGraph) -> None:
    defined = {k: v for k, v in _index(ctx, SOURCE_KINDS).items() if v.doc.group == SOURCE_GROUP}
    implicit = graph.implicit_sources
    uncertain = _uncertain_roots(graph)

    def exists(root: int, kind: str, namespace: str, name: str) -> bool:
        return (root, kind, namespace, name) in defined or (kind, namespace, name) in implicit

    # Sources written in the repository that no entrypoint's tree applies (a bootstrap folder, a
    # file applied by hand): a real cluster may well have them, so their absence is not certain.
    unapplied: dict[tuple[str, str], Document] = {}
    for doc in ctx.index.all_of_kind(*SOURCE_KINDS, group=SOURCE_GROUP):
        if not ctx.index.is_applied(doc):
            unapplied.setdefault((doc.kind, doc.name), doc)

    def missing(where: Document, key: KeyPath, what: str, kind: str, ref_ns: str, name: str, tail: str,
                hint: str, namespace: Optional[str]) -> None:
        outside = unapplied.get((kind, name))
        if outside is not None:
            ctx.report("flux-source-missing", where, key,
                       f"{what} {kind} {ref_ns}/{name} is not applied by this cluster's Flux tree, but "
                       f"{outside.path}:{outside.pos('metadata', 'name').line} defines it outside that tree "
                       "(bootstrap or applied by hand?); if nothing creates it in the cluster, " + tail,
                       value=True, namespace=namespace, severity=Severity.WARNING)
            return
        ctx.report("flux-source-missing", where, key,
                   f"{what} {kind} {ref_ns}/{name} is not defined: nothing this cluster applies creates it{hint}, "
                   f"so {tail}", value=True, namespace=namespace)

    roots = {id(n.doc) for n in graph.roots}
    for node in graph.nodes:
        if node.synthetic or id(node.doc) in roots:
            continue  # Flux creates the entrypoint's source itself
        applied = next((a for a in ctx.index.applications(node.doc) if a.root is node.root), None)
        ref = node.spec.get("sourceRef")
        if not isinstance(ref, dict) or applied is None:
            continue
        kind = applied.substitutions.apply(ref.get("kind")) or "GitRepository"
        name = applied.substitutions.apply(ref.get("name"))
        namespace = applied.substitutions.apply(ref.get("namespace")) or node.namespace or ""
        if not name or "${" in name or kind not in SOURCE_KINDS:
            continue
        if not exists(id(node.root), kind, namespace, name):
            hint = _elsewhere(defined, id(node.root), kind, name)
            if not hint and any(k == kind and n == name for k, _ns, n in implicit):
                hint = " (the entrypoint's source lives in flux-system; set sourceRef.namespace: flux-system)"
            missing(node.doc, ("spec", "sourceRef", "name"), "sourceRef", kind, namespace, name,
                    f"Flux never builds Kustomization {node.name}", hint, node.namespace)
    for applied in ctx.index.applied_of_kind("HelmRelease", group=HELM_GROUP):
        root = id(applied.root)
        namespace = applied.namespace or ""
        chart_ref = applied.doc.get("spec", "chart", "spec", "sourceRef")
        key: KeyPath = ("spec", "chart", "spec", "sourceRef", "name")
        default_kind = "HelmRepository"
        if not isinstance(chart_ref, dict):
            chart_ref = applied.doc.get("spec", "chartRef")
            key, default_kind = ("spec", "chartRef", "name"), "OCIRepository"
        if not isinstance(chart_ref, dict):
            continue
        kind = applied.substitutions.apply(chart_ref.get("kind")) or default_kind
        name = applied.substitutions.apply(chart_ref.get("name"))
        ref_ns = applied.substitutions.apply(chart_ref.get("namespace")) or namespace
        if not name or "${" in name or kind not in ("HelmRepository", "GitRepository", "OCIRepository", "Bucket"):
            continue
        if not exists(root, kind, ref_ns, name) and root not in uncertain:
            missing(applied.doc, key, "chart source", kind, ref_ns, name, f"HelmRelease {applied.doc.name} never installs",
                    _elsewhere(defined, root, kind, name), applied.namespace)


# --- dependsOn --------------------------------------------------------------------------------
def _dependency_targets(ctx: Context, graph: FluxGraph) -> list[tuple[Applied, str, int, tuple[int, str, str, str]]]:
    """Every dependsOn entry: (the dependent, its kind, entry index, the key it points to)."""
    out = []
    for kind, group in (("Kustomization", KUSTOMIZE_GROUP), ("HelmRelease", HELM_GROUP)):
        for applied in ctx.index.applied_of_kind(kind, group=group):
            deps = applied.doc.get("spec", "dependsOn")
            for i, dep in enumerate(deps if isinstance(deps, list) else []):
                if not isinstance(dep, dict):
                    continue
                name = applied.substitutions.apply(dep.get("name"))
                dep_kind = applied.substitutions.apply(dep.get("kind")) or kind
                namespace = (applied.substitutions.apply(dep.get("namespace")) or applied.namespace
                             or "flux-system")
                if name and "${" not in name and "${" not in namespace:
                    out.append((applied, kind, i, (id(applied.root), dep_kind, namespace, name)))
    return out


def _dependencies(ctx: Context, graph: FluxGraph) -> None:
    existing: dict[Any, Any] = {**_index(ctx, ("Kustomization", "HelmRelease")), **_root_ks(graph)}
    uncertain = _uncertain_roots(graph)
    targets = _dependency_targets(ctx, graph)
    edges: dict[tuple[int, str, str, str], list[tuple[tuple[int, str, str, str], Applied, int]]] = {}
    seen: set[tuple[int, int]] = set()
    for applied, kind, i, target in targets:
        if (id(applied.doc), i) in seen:
            continue
        seen.add((id(applied.doc), i))
        source = (id(applied.root), kind, applied.namespace or "", applied.doc.name)
        edges.setdefault(source, []).append((target, applied, i))
        if target not in existing and target[0] not in uncertain:
            hint = _elsewhere(existing, target[0], target[1], target[3])  # type: ignore[arg-type]
            ctx.report("flux-dependency-missing", applied.doc, ("spec", "dependsOn", i, "name"),
                       f"dependsOn {target[1]} {target[2]}/{target[3]} does not exist in this cluster{hint}; "
                       f"{kind} {applied.doc.name} waits for it forever",
                       value=True, namespace=applied.namespace)
    _cycles(ctx, edges)


def _cycles(ctx: Context, edges: dict[Any, list[tuple[Any, Applied, int]]]) -> None:
    """Report each dependsOn cycle once, at the edge leaving its first member."""
    reported: set[frozenset[Any]] = set()
    for start in sorted(edges, key=lambda k: (k[1], k[2], k[3])):
        stack: list[tuple[Any, list[Any]]] = [(start, [start])]
        visited: set[Any] = set()
        while stack:
            node, path = stack.pop()
            for target, _applied, _i in edges.get(node, []):
                if target == start:
                    members = frozenset(path)
                    if members in reported:
                        continue
                    reported.add(members)
                    first_target = path[1] if len(path) > 1 else start
                    applied, index = next((a, i) for t, a, i in edges[start] if t == first_target)
                    names = " → ".join(f"{k[1]} {k[3]}" for k in path + [start])
                    ctx.report("flux-dependency-cycle", applied.doc, ("spec", "dependsOn", index, "name"),
                               f"dependsOn cycle: {names}; none of them ever becomes ready. Remove one "
                               "of these dependencies", value=True, namespace=applied.namespace)
                elif target not in visited and target in edges:
                    visited.add(target)
                    stack.append((target, path + [target]))


# --- duplicates -------------------------------------------------------------------------------
def _rendered(applied: Applied) -> Any:
    """The object as its Kustomization applies it (after postBuild substitution), without the
    namespace and name that already identify it; unknown variables stay as written."""
    def render(value: Any) -> Any:
        if isinstance(value, dict):
            return {str(k): render(v) for k, v in value.items()}
        if isinstance(value, list):
            return [render(v) for v in value]
        if isinstance(value, str):
            resolved = applied.substitutions.apply(value)
            return value if resolved is None else resolved
        return value

    data = render(applied.doc.data)
    meta = data.get("metadata") if isinstance(data, dict) else None
    if isinstance(meta, dict):
        meta.pop("namespace", None)
        meta.pop("name", None)
    return data


def _duplicates(ctx: Context) -> None:
    """Two Kustomizations applying the same object. kustomize-controller applies server-side with
    one field manager and stamps the object with the applying Kustomization's ownership labels;
    its garbage collection deletes only objects that carry its own labels. Identical definitions
    therefore converge (only the ownership labels flip): a warning. Different definitions
    overwrite each other on every reconcile (drift, and a prune by the current owner deletes an
    object the other still declares): an error. Twice in one build, kustomize fails: an error."""
    groups: dict[tuple[int, str, str, str, str], list[Applied]] = {}
    for applied in ctx.index.applied:
        doc = applied.doc
        if doc.doc_class != DocClass.K8S or not applied.name:
            continue
        name = applied.substitutions.apply(applied.name)
        if not name or "${" in name:
            continue
        key = (id(applied.root), doc.group, doc.kind, applied.namespace or "", name)
        groups.setdefault(key, []).append(applied)
    for (_root, _group, kind, namespace, name), items in groups.items():
        distinct: dict[tuple[int, int], Applied] = {}
        for item in items:
            distinct.setdefault((id(item.doc), id(item.kustomization)), item)
        if len(distinct) < 2:
            continue
        ordered = sorted(distinct.values(), key=lambda a: (a.doc.path, a.doc.line))
        first = ordered[0]
        first_ks = first.kustomization.name if first.kustomization else "?"
        for other in ordered[1:]:
            other_ks = other.kustomization.name if other.kustomization else "?"
            severity: Optional[Severity] = None
            if other.kustomization is first.kustomization:
                where = (f"{first.doc.path}:{first.doc.pos('metadata', 'name').line} defines it too, in the "
                         "same build; kustomize fails with 'may not add resource with an already registered id'")
            elif _rendered(other) == _rendered(first):
                severity = Severity.WARNING
                what = "this file" if other.doc is first.doc else \
                    f"identical definitions ({first.doc.path}:{first.doc.pos('metadata', 'name').line} and this one)"
                where = (f"Flux Kustomizations {first_ks} and {other_ks} both apply {what}; the object "
                         "converges but its ownership flips between them, and it is deleted if the one that "
                         "applied it last stops declaring it (until the other reconciles). Apply it from one "
                         "Kustomization")
            elif other.doc is first.doc:
                where = (f"both Flux Kustomizations {first_ks} and {other_ks} apply this file, with different "
                         "postBuild substitutions; each reconcile overwrites the other's version and a prune "
                         "by either removes an object the other declares")
            else:
                where = (f"{first.doc.path}:{first.doc.pos('metadata', 'name').line} defines it differently "
                         f"(Flux Kustomization {first_ks}); each reconcile overwrites the other's version and "
                         "a prune by either removes an object the other declares")
            ns = f"{namespace}/" if namespace else ""
            ctx.report("flux-duplicate-object", other.doc, ("metadata", "name"),
                       f"{kind} {ns}{name} is applied twice: {where}", namespace=other.namespace,
                       severity=severity)


# --- dead files -------------------------------------------------------------------------------
def unreachable_skip(ctx_options: dict[str, Any], files: list[SourceFile], known: Any = None) -> Any:
    """The files flux-unreachable leaves alone: bootstrap, docs, templates, archives, files that
    tooling (Taskfiles, scripts, helmfiles, Talos configs) mentions by path. ``known`` is the
    graph's index of those mentions, reused when the graph already built it."""
    skip_dirs = {str(d) for d in ctx_options.get("skip_dirs") or []}
    skip_globs = [str(g) for g in ctx_options.get("skip") or []]
    tooling: Any = None
    if ctx_options.get("tooling_mentions", True):
        tooling = known if known is not None else Mentions(tooling_text(files))

    def skip(path: str) -> bool:
        folders = path.split("/")[:-1]
        if any(part.startswith(".") or part.lower() in skip_dirs for part in folders):
            return True
        if any(fnmatch.fnmatchcase(path, g) for g in skip_globs):
            return True
        return tooling is not None and bool(tooling) and tooling.path(path)

    return skip


def _unreachable(ctx: Context, graph: FluxGraph) -> None:
    if not ctx.enabled("flux-unreachable"):
        return
    files = ctx.index.files
    skip = unreachable_skip(ctx.options("flux-unreachable"), files, graph.tooling)
    for dead in dead_files(files, graph, skip):
        ctx.report("flux-unreachable", dead.path, pos=_pos(dead.line, dead.column), message=dead.message)


def _pos(line: int, column: int):  # type: ignore[no-untyped-def]
    from ..model import Pos

    return Pos(line, column)


# --- substitutions ----------------------------------------------------------------------------
def _may_hold_variables(ctx: Context, doc: Document, texts: dict[str, bool]) -> bool:
    """False only when no string of ``doc`` can contain ``${``: its file's text holds neither
    ``${`` nor a backslash (a double-quoted escape such as ``"\x24{A}"`` or an escaped line
    break makes ``${`` without it appearing literally). Unknown text: walk the document."""
    verdict = texts.get(doc.path)
    if verdict is None:
        source = ctx.index.file(doc.path)
        text = source.text if source is not None else ""
        verdict = not text or "${" in text or "\\" in text
        texts[doc.path] = verdict
    return verdict


def _substitutions(ctx: Context) -> None:
    if not ctx.enabled("flux-substitution-undefined"):
        return
    seen: set[tuple[int, int, str]] = set()
    texts: dict[str, bool] = {}
    for applied in ctx.index.applied:
        subst = applied.substitutions
        doc = applied.doc
        if not subst.enabled or doc.doc_class != DocClass.K8S or applied.kustomization is None:
            continue
        if SUBSTITUTE_OPT_OUT in doc.labels() and doc.labels()[SUBSTITUTE_OPT_OUT] == "disabled":
            continue
        if str(doc.annotations().get(SUBSTITUTE_OPT_OUT, "")) == "disabled":
            continue
        if not _may_hold_variables(ctx, doc, texts):
            continue
        for path, value, _parent in iter_nodes(doc.data):
            if not isinstance(value, str) or "${" not in value:
                continue
            for name, has_default in variables_in(value):
                if has_default or subst.defined(name) is not False:
                    continue
                key = (id(doc), id(applied.kustomization), name)
                if key in seen:
                    continue
                seen.add(key)
                ks = applied.kustomization
                names = sorted(subst.values) + sorted(f"{n} (encrypted)" for n in subst.opaque_names)
                known = ", ".join(names[:8]) + (", ..." if len(names) > 8 else "") if names else "none"
                ctx.report("flux-substitution-undefined", doc, path,
                           f"${{{name}}} is defined by no postBuild substitute or substituteFrom of Flux "
                           f"Kustomization {ks.name} ({ks.path}); Flux replaces it with an empty string. "
                           f"Defined: {known}. Define it, give a default (${{{name}:=value}}) or escape it "
                           f"($${{{name}}})", value=True, namespace=applied.namespace)


# --- API versions and required fields ---------------------------------------------------------
def _version_tuple(text: Any) -> Optional[tuple[int, ...]]:
    if not isinstance(text, str):
        return None
    digits = text.lstrip("v").split(".")
    try:
        return tuple(int(d) for d in digits[:2])
    except ValueError:
        return None


_FLUX_VERSION_RE = re.compile(r"#\s*Flux Version:\s*v?(\d+\.\d+)")
_FLUX_MANIFEST_URLS = ("github.com/fluxcd/flux2", "ghcr.io/fluxcd/flux-manifests")


def _deployed_flux(ctx: Context) -> Optional[tuple[int, ...]]:
    """The Flux release the repository installs, where it pins one: a GitRepository or OCIRepository
    of the Flux manifests with a tag, a FluxInstance (or flux-instance chart values) with an exact
    ``distribution.version``, or a gotk-components.yaml header. None when nothing pins it."""
    found: list[tuple[int, ...]] = []
    for doc in ctx.index.all_of_kind("GitRepository", "OCIRepository"):
        url = doc.get("spec", "url")
        if isinstance(url, str) and any(u in url for u in _FLUX_MANIFEST_URLS):
            version = _version_tuple(doc.get("spec", "ref", "tag"))
            if version:
                found.append(version)
    for doc in ctx.index.all_of_kind("FluxInstance"):
        version = _version_tuple(doc.get("spec", "distribution", "version"))
        if version:
            found.append(version)
    for doc in ctx.index.all_of_kind("HelmRelease"):
        version = _version_tuple(doc.get("spec", "values", "instance", "distribution", "version"))
        if version:
            found.append(version)
    for source in ctx.index.files:
        if source.path.endswith("gotk-components.yaml") and source.text:
            match = _FLUX_VERSION_RE.search(source.text[:2000])
            if match:
                found.append(_version_tuple(match.group(1)) or ())
    found = [v for v in found if v]
    return min(found) if found else None


def _removed_apis(ctx: Context) -> None:
    declared = _version_tuple((ctx.policy.architecture.get("versions") or {}).get("flux")
                              if isinstance(ctx.policy.architecture.get("versions"), dict) else None)
    pinned = None
    if declared is None:
        pinned = _deployed_flux(ctx)
    seen: set[int] = set()
    for applied in ctx.index.applied:
        doc = applied.doc
        if id(doc) in seen or doc.doc_class != DocClass.K8S or "/" not in doc.api_version:
            continue
        seen.add(id(doc))
        group, version = doc.api_version.rsplit("/", 1)
        removed = REMOVED_APIS.get((group, version))
        if removed is None:
            continue
        release, replacement = removed
        if declared is not None and declared < _version_tuple(release):  # type: ignore[operator]
            continue  # the cluster runs a Flux that still serves it
        if pinned is not None and pinned < _version_tuple(release):  # type: ignore[operator]
            # The repository pins a Flux that still serves it: nothing fails today, the upgrade will.
            ctx.report("flux-api-removed", doc, ("apiVersion",),
                       f"{doc.api_version} is removed in Flux {release}; the Flux this repository installs "
                       f"({'.'.join(map(str, pinned))}) still serves it, but the upgrade will reject this "
                       f"{doc.kind}. Use {group}/{replacement}", value=True, namespace=applied.namespace,
                       severity=Severity.WARNING)
            continue
        ctx.report("flux-api-removed", doc, ("apiVersion",),
                   f"{doc.api_version} was removed in Flux {release}; the controllers reject this {doc.kind}. "
                   f"Use {group}/{replacement}", value=True, namespace=applied.namespace)


def _required_fields(ctx: Context, graph: FluxGraph) -> None:
    seen: set[int] = set()
    for applied in ctx.index.applied_of_kind("Kustomization", group=KUSTOMIZE_GROUP):
        doc = applied.doc
        if id(doc) in seen or not isinstance(doc.get("spec"), dict):
            continue
        seen.add(id(doc))
        if "prune" not in doc.get("spec"):
            if "prune" not in (ctx.index.effective_spec(doc) or {}):
                ctx.report("flux-prune-missing", doc, ("spec",),
                           f"Kustomization {doc.name} has no spec.prune; it is required by "
                           f"{KUSTOMIZE_GROUP}/v1 and the API server rejects the object. Set prune: true "
                           "(delete what leaves Git) or prune: false", namespace=applied.namespace)
    seen.clear()
    for applied in ctx.index.applied_of_kind("HelmRelease", group=HELM_GROUP):
        doc = applied.doc
        spec = doc.get("spec")
        if id(doc) in seen or not isinstance(spec, dict) or not doc.api_version.endswith("/v2"):
            continue
        seen.add(id(doc))
        has_chart, has_ref = spec.get("chart") is not None, spec.get("chartRef") is not None
        if has_chart and has_ref:
            ctx.report("flux-helmrelease-chart", doc, ("spec", "chartRef"),
                       f"HelmRelease {doc.name} sets both spec.chart and spec.chartRef; the API server "
                       "rejects it ('either chart or chartRef must be set'). Keep one",
                       namespace=applied.namespace)
        elif not has_chart and not has_ref:
            ctx.report("flux-helmrelease-chart", doc, ("spec",),
                       f"HelmRelease {doc.name} sets neither spec.chart nor spec.chartRef; the API server "
                       "rejects it. Point it at a chart", namespace=applied.namespace)


def _sops_without_decryption(ctx: Context, graph: FluxGraph) -> None:
    nodes = {id(n.doc): n for n in graph.nodes}
    # One Kustomization fails once per encrypted file, however many namespaces a shared
    # component applies it to: one finding per (file document, Kustomization).
    applications: dict[tuple[int, int], list[Applied]] = {}
    for applied in ctx.index.applied_of_kind("Secret"):
        if applied.doc.sops and applied.doc.api_version == "v1" and applied.kustomization is not None:
            applications.setdefault((id(applied.doc), id(applied.kustomization)), []).append(applied)
    for group in applications.values():
        applied = group[0]
        doc = applied.doc
        if str(doc.annotations().get("kustomize.toolkit.fluxcd.io/decrypt", "")) == "disabled":
            continue
        node = nodes.get(id(applied.kustomization))
        spec = node.spec if node is not None else applied.kustomization.get("spec")
        decryption = spec.get("decryption") if isinstance(spec, dict) else None
        if isinstance(decryption, dict) and decryption.get("provider"):
            continue
        ks = applied.kustomization
        assert ks is not None
        spaces = sorted({a.namespace or "" for a in group} - {""})
        times = f" in {len(spaces)} namespaces ({', '.join(spaces[:4])}{', ...' if len(spaces) > 4 else ''})" \
            if len(spaces) > 1 else ""
        ctx.report("flux-sops-no-decryption", doc, ("sops",),
                   f"this SOPS-encrypted Secret is applied{times} by Flux Kustomization {ks.name} ({ks.path}), "
                   "which has no spec.decryption (after its parent's patches); Flux fails with 'is SOPS "
                   "encrypted, configuring decryption is required'. Add decryption: {provider: sops, "
                   f"secretRef: {{name: sops-age}}}} (chain: {format_chain(applied.local_chain)})",
                   namespace=applied.namespace)
