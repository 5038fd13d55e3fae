"""Building the Flux graph of a repository: find the entrypoints, walk each one's tree, add the
roots tooling applies by hand, and read the substituteFrom objects the clusters apply."""
from __future__ import annotations

import re
from typing import Any, Iterable, Optional

from ..model import DocClass, Document, Map, Pos, SourceFile
from .kinds import KUSTOMIZE_GROUP, SOURCE_GROUP, effective_namespace, is_flux_kustomization
from .model import Applied, FluxGraph, GraphEvent
from .sourceignore import artifact_view
from .substitutions import EMPTY_SUBST, VAR_RE, object_variables
from .tooling import LazyMentions, Mentions
from .tree import Tree, file_refs, is_remote, kustomization_entries, kustomization_files, normalize
from .walker import Walker
from .webhook import injected_sources


def _entrypoint_sync(doc: Document) -> Optional[tuple[str, Pos, str, str]]:
    """(sync path, its position, source kind, source name) of a FluxInstance, a flux-instance
    HelmRelease or a flux-instance values file, if it has one."""
    base: tuple[str, ...]
    if doc.kind == "FluxInstance":
        base = ("spec", "sync")
    elif doc.kind == "HelmRelease":
        base = ("spec", "values", "instance", "sync")
    elif doc.doc_class == DocClass.OTHER and isinstance(doc.get("instance", "sync"), dict) \
            and (doc.get("instance", "sync", "url") is not None or doc.get("instance", "sync", "kind") is not None):
        base = ("instance", "sync")  # a values file of the flux-instance chart
    else:
        return None
    path = doc.get(*base, "path")
    if not isinstance(path, str):
        return None
    kind = doc.get(*base, "kind")
    name = doc.get(*base, "name")
    default_ns = doc.namespace or "flux-system"
    if doc.kind == "HelmRelease" and isinstance(doc.get("spec", "targetNamespace"), str):
        default_ns = doc.get("spec", "targetNamespace")
    return (path, doc.pos(*base, "path", value=True), kind if isinstance(kind, str) else "GitRepository",
            name if isinstance(name, str) else default_ns)


def _only_matching_folder(pattern: str, files: list[SourceFile]) -> Optional[str]:
    """The one folder of the repository a sync path with variables can name
    (``kubernetes/clusters/${CLUSTER}/bootstrap`` where only ``clusters/deedee/bootstrap`` exists):
    a variable stands for one path part. None when no folder or several match."""
    text = pattern.strip()
    text = (text[2:] if text.startswith("./") else text).strip("/")
    pieces, last = [], 0
    for match in VAR_RE.finditer(text):
        pieces += [re.escape(text[last:match.start()]), r"[^/]+"]
        last = match.end()
    regex = re.compile("".join(pieces) + re.escape(text[last:]))
    found = [folder for folder in Tree(files).dirs if regex.fullmatch(folder)]
    return found[0] if len(found) == 1 else None


def _sync_url(doc: Document) -> Optional[str]:
    """The repository URL a FluxInstance (or flux-instance chart values) syncs from."""
    for base in (("spec", "sync"), ("spec", "values", "instance", "sync"), ("instance", "sync")):
        url = doc.get(*base, "url")
        if isinstance(url, str):
            return url
    return None


def repo_key(url: Any) -> Optional[str]:
    """``host/owner/repo`` of a Git URL in any of its spellings (https, ssh, scp-like, ``.git``),
    so two sources can be told to point at the same repository."""
    if not isinstance(url, str) or not url.strip() or "${" in url:
        return None
    text = url.strip().lower()
    text = re.sub(r"^[a-z][a-z0-9+.-]*://", "", text)
    text = re.sub(r"^[^@/]+@", "", text)  # user@ (git@github.com:owner/repo)
    host, _sep, rest = text.partition("/")
    if ":" in host:
        host, _, after = host.partition(":")
        if not after.isdigit():  # scp-like host:owner/repo; host:port otherwise
            rest = f"{after}/{rest}" if rest else after
    rest = rest.strip("/")
    if rest.endswith(".git"):
        rest = rest[:-4]
    return f"{host}/{rest}" if host and rest else None


def _same_repository_sources(documents: list[Document], names: set[str],
                             synthetic: list[tuple[Document, tuple[str, Pos, str, str]]]) -> set[str]:
    """Names of the GitRepositories that point at the repository the entrypoints sync from: a
    Kustomization whose sourceRef names one of them builds this repository, not another one."""
    keys = {repo_key(_sync_url(doc)) for doc, _sync in synthetic}
    repos = [d for d in documents if d.kind == "GitRepository" and d.group == SOURCE_GROUP]
    keys.update(repo_key(d.get("spec", "url")) for d in repos if d.name in names)
    keys.discard(None)
    return {d.name for d in repos if d.name and repo_key(d.get("spec", "url")) in keys}


def _tooling_roots(view: list[SourceFile], flux_ks: list[Document], seen: set[int],
                   excluded: set[str], walker: "Walker", tooling: "Mentions") -> list[Document]:
    """Flux Kustomizations no entrypoint reaches but tooling applies by hand (a Taskfile's
    ``kubectl apply -k kubernetes/flux/config``): in the cluster they exist, so they are roots too."""
    candidates = [d for d in flux_ks if id(d) not in seen and d.path not in excluded]
    if not candidates:
        return []
    if not tooling:
        return []
    tree = walker.tree
    out: list[Document] = []
    built: dict[str, set[str]] = {}
    for doc in candidates:
        if tooling.path(doc.path):
            out.append(doc)
            continue
        parts = doc.path.split("/")[:-1]
        while parts:
            folder = "/".join(parts)
            kfile = tree.kustomization_file(folder)
            if kfile is not None and tooling.path(kfile.path):
                if folder not in built:
                    probe = Walker(view, set(), walker)
                    probe.build_folder(folder, ())
                    built[folder] = probe.graph.reached_files
                if doc.path in built[folder]:
                    out.append(doc)
                    break
            parts.pop()
    return out


def _live_syncs(files: list[SourceFile], synthetic: list[tuple[Document, tuple[str, Pos, str, str]]],
                tooling: "Mentions") -> list[tuple[Document, tuple[str, Pos, str, str]]]:
    """Of several FluxInstance syncs, the ones something installs: a kustomization file lists the
    file (as a resource, or as a values file of a generator) or tooling names it. A FluxInstance
    left in a folder nothing builds is a stale copy (flux-operator keeps one instance per
    cluster), not a second cluster. When none or all are installed, all are kept."""
    listed: set[str] = set()
    for source, data in kustomization_files(files):
        folder = source.path.rsplit("/", 1)[0] if "/" in source.path else ""
        refs = [e for e in data.get("resources") or [] if isinstance(e, str)] \
            if isinstance(data.get("resources"), list) else []
        for section in ("configMapGenerator", "secretGenerator", "patches", "patchesStrategicMerge"):
            refs.extend(file_refs(data.get(section)))
        for ref in refs:
            target = normalize(folder, ref.strip())
            if target is not None:
                listed.add(target)
    live = [(doc, sync) for doc, sync in synthetic if doc.path in listed or tooling.path(doc.path)]
    return live or synthetic


def _merge_roots(graph: FluxGraph, overlaps: list[tuple[Document, Document]], lone: list[Document]) -> None:
    """A tooling-applied root whose tree reaches a Flux Kustomization of another entrypoint is
    that entrypoint's cluster; so is one that overlaps nothing when the repository has a single
    other cluster. Every node and applied object then names the first of them as its root."""
    parent: dict[int, Document] = {}

    def find(doc: Document) -> Document:
        while id(doc) in parent:
            doc = parent[id(doc)]
        return doc

    order = {id(n.doc): i for i, n in enumerate(graph.roots)}

    def union(a: Document, b: Document) -> None:
        ra, rb = find(a), find(b)
        if ra is not rb:
            first, second = sorted((ra, rb), key=lambda d: order.get(id(d), len(order)))
            parent[id(second)] = first

    tooling = {id(d) for d in lone}
    for a, b in overlaps:
        # Two entrypoints of their own may be two clusters sharing a folder: only a tooling
        # root is known to belong to the cluster it overlaps.
        if id(a) in tooling or id(b) in tooling:
            union(a, b)
    for doc in lone:
        if find(doc) is not doc:
            continue
        others = {id(find(n.root or n.doc)): find(n.root or n.doc) for n in graph.roots
                  if find(n.root or n.doc) is not doc}
        if len(others) == 1:
            union(next(iter(others.values())), doc)
    if not parent:
        return
    from dataclasses import replace

    def moved(item: Applied) -> Applied:
        root = find(item.root) if item.root is not None else None
        return item if root is item.root else replace(item, root=root)

    for node in graph.nodes:
        node.root = find(node.root) if node.root is not None else None
        node.objects = [moved(a) for a in node.objects]
    graph.applied = [moved(a) for a in graph.applied]


def _kustomization_entry_events(tree: "Tree", graph: FluxGraph) -> None:
    """Remote entries of every kustomization file (a note: never fetched, never checked), and
    entries leaving the repository in kustomization files no Flux build reaches (the walk
    reports reached ones; whoever builds an unreached one by hand fails just the same)."""
    for source, _data in kustomization_files(tree.files.values()):
        path = source.path
        folder = path.rsplit("/", 1)[0] if "/" in path else ""
        reached = path in graph.referenced_files
        for section, i, entry, pos in kustomization_entries(source.documents[0]):
            if is_remote(entry):
                graph.events.append(GraphEvent(
                    "flux-remote-resource", path, pos,
                    f"{section} entry '{entry}' is remote: Flux downloads it at build time (unless "
                    "kustomize-controller runs with --no-remote-bases) and homeops-lint does not, so "
                    "the objects it adds are not checked", key=f"{section}[{i}]"))
            elif not reached and "${" not in entry and normalize(folder, entry) is None:
                graph.events.append(GraphEvent(
                    "flux-path-escape", path, pos,
                    f"{section} entry '{entry}' leaves the repository; no Flux Kustomization builds this "
                    "file, but any build of it (kubectl apply -k, a Taskfile) fails or reads files "
                    "outside the repository", key=f"{section}[{i}]", severity="warning"))


def _gitrepository_ignore(files: list[SourceFile], entry_docs: list[Document]) -> Optional[str]:
    """``spec.ignore`` of the GitRepository the entrypoints sync from, when it sets one."""
    names = {(d.get("spec", "sourceRef", "name"), d.namespace or "flux-system") for d in entry_docs}
    for source in files:
        for doc in source.documents:
            if doc.kind == "GitRepository" and doc.group == SOURCE_GROUP \
                    and (doc.name, doc.namespace or "flux-system") in names:
                ignore = doc.get("spec", "ignore")
                if isinstance(ignore, str):
                    return ignore
    return None


def _resolve_substitute_from(graph: FluxGraph, files: list[SourceFile]) -> None:
    """Read the substituteFrom ConfigMaps/Secrets that the same cluster applies in the
    Kustomization's namespace, and those an admission webhook adds (``webhook``, read in the
    webhook's namespace, before the Kustomization's own); unread sources stay opaque (their
    variables are unknown)."""
    objects: dict[tuple[int, str, str, str], Document] = {}
    for applied in graph.applied:
        if applied.doc.kind in ("ConfigMap", "Secret") and applied.doc.api_version == "v1":
            key = (id(applied.root), applied.doc.kind, applied.namespace or "", applied.doc.name)
            objects.setdefault(key, applied.doc)
    injected = injected_sources(graph.applied, files)
    for node in graph.nodes:
        post = node.spec.get("postBuild")
        own = post.get("substituteFrom") if isinstance(post, dict) else None
        own = [ref for ref in own if isinstance(ref, dict)] if isinstance(own, list) else []
        # The webhook's sources count where Flux substitutes at all (postBuild variables or sources).
        extra = injected.get(id(node.root), []) if node.substitutions.enabled else []
        if not own and not extra:
            continue
        refs: list[tuple[str, Any, Any, str]] = [
            (source.label, source.kind, source.name, source.namespace) for source in extra]
        refs += [(f"{ref.get('kind')}/{ref.get('name')}", ref.get("kind"), ref.get("name"), node.namespace or "")
                 for ref in own]
        subst = node.substitutions
        inline = dict(subst.values)
        merged: dict[str, str] = {}
        opaque_names: set[str] = set()
        opaque_sources: list[str] = []
        for label, kind, name, namespace in refs:
            doc = objects.get((id(node.root), str(kind), namespace, str(name))) if name else None
            if doc is None:
                opaque_sources.append(label)
                subst.resolved_from[label] = ""
                # Later sources override earlier ones: what this one holds is unknown, so every value
                # read so far may be replaced (a ConfigMap of dummies before the real Secret).
                opaque_names.update(merged)
                merged.clear()
                continue
            subst.resolved_from[label] = doc.path
            values, hidden = object_variables(doc)
            for key, value in values.items():
                merged[key] = value
                opaque_names.discard(key)
                if key not in inline:  # the last source that defines it is where its value comes from
                    subst.locations[key] = (doc.path, doc.pos("data", key) if doc.get("data", key)
                                            is not None else doc.pos("stringData", key))
            for key in hidden:
                merged.pop(key, None)
                opaque_names.add(key)
        merged.update(inline)  # inline substitute beats substituteFrom
        subst.values.clear()
        subst.values.update(merged)
        subst.opaque_names = opaque_names - set(inline)
        subst.opaque_sources = opaque_sources
        subst.enabled = True


def build_graph(files: list[SourceFile], entrypoint_paths: Iterable[str] = ()) -> FluxGraph:
    documents = [doc for f in files for doc in f.documents]
    flux_ks = [doc for doc in documents if is_flux_kustomization(doc)]
    explicit = [p[2:] if p.startswith("./") else p for p in entrypoint_paths]
    entry_docs: list[Document] = []
    synthetic: list[tuple[Document, tuple[str, Pos, str, str]]] = []
    if explicit:
        entry_docs = [doc for doc in flux_ks if doc.path in explicit]
    else:
        entry_docs = [d for d in flux_ks if d.name == "flux-system" and d.namespace in (None, "flux-system")]
        seen_paths = {normalize("", str(d.get("spec", "path") or "").lstrip("/")) for d in entry_docs}
        for doc in documents:
            sync = _entrypoint_sync(doc)
            if sync is None:
                continue
            if "${" in sync[0]:
                sync = (_only_matching_folder(sync[0], files) or sync[0],) + sync[1:]
            path = normalize("", sync[0].lstrip("/"))
            if path in seen_paths:
                continue  # the same sync declared twice (HelmRelease and its values file, or a migration)
            seen_paths.add(path)
            synthetic.append((doc, sync))
    tooling = LazyMentions(files)
    if len(synthetic) > 1:
        synthetic = _live_syncs(files, synthetic, tooling)
    source_names = {"flux-system"}
    for doc in entry_docs:
        name = doc.get("spec", "sourceRef", "name")
        if isinstance(name, str):
            source_names.add(name)
    for _doc, sync in synthetic:
        source_names.add(sync[3])
    source_names |= _same_repository_sources(documents, source_names, synthetic)
    view, excluded = artifact_view(files, _gitrepository_ignore(files, entry_docs))
    walker = Walker(view, source_names, tooling=tooling)
    graph = walker.graph
    graph.excluded_files = excluded
    seen: set[int] = set()
    if not entry_docs and not synthetic:
        if not flux_ks:
            graph.has_flux = False
            graph.mode = "no-flux"
            for doc in documents:
                graph.applied.append(Applied(doc, effective_namespace(doc, None), None, (doc.path,), EMPTY_SUBST))
            graph.reached_files = {f.path for f in files if f.documents}
            _kustomization_entry_events(walker.tree, graph)
            return graph
        # No declared entrypoint: every Flux Kustomization that no other one reaches is a root.
        graph.mode = "inferred-roots"
        probe = Walker(view, set(), walker)
        probe.graph.excluded_files = excluded
        probe_seen: set[int] = set()
        for doc in flux_ks:
            probe.visit(doc, None, (), probe_seen)
        reached_ids = {id(a.doc) for a in probe.graph.applied}
        entry_docs = [d for d in flux_ks if id(d) not in reached_ids] or flux_ks[:1]
    graph.has_flux = True
    graph.entrypoints = list(entry_docs) + [doc for doc, _ in synthetic]
    for doc in entry_docs:
        graph.reached_files.add(doc.path)
        source = doc.get("spec", "sourceRef")
        if isinstance(source, dict) and isinstance(source.get("name"), str):
            graph.implicit_sources.add((str(source.get("kind") or "GitRepository"),
                                        str(source.get("namespace") or doc.namespace or "flux-system"),
                                        source["name"]))
        node = walker.visit(doc, None, (), seen)
        if node is not None:
            graph.roots.append(node)
            if not any(a.doc is doc for a in node.objects):
                graph.applied.append(Applied(doc, doc.namespace or "flux-system", None, (doc.path,),
                                             EMPTY_SUBST, doc))
    for doc, sync in synthetic:
        graph.reached_files.add(doc.path)
        namespace = doc.namespace or "flux-system"
        graph.implicit_sources.add((sync[2], namespace, sync[3]))
        root_ks = _synthetic_root(doc, sync)
        # flux-operator applies the instance's kustomize patches to the sync Kustomization too
        # (how operator repos add ``decryption`` to it).
        for base in (("spec",), ("spec", "values", "instance"), ("instance",)):
            patches = graph.patches.inline(doc.get(*base, "kustomize", "patches"))
            if patches:
                walker.kpatches[id(root_ks)] = patches
                break
        label = f"{doc.path}:{sync[1].line} {doc.kind or 'flux-instance values'} {doc.name or 'instance'} sync"
        node = walker.visit(root_ks, None, (label,), seen, namespace, root_ks, synthetic=True)
        if node is not None:
            graph.roots.append(node)
    lone: list[Document] = []
    if graph.mode == "entrypoints" and not explicit:
        for doc in _tooling_roots(view, flux_ks, seen, excluded, walker, tooling):
            if id(doc) in seen:
                continue  # an earlier tooling root's tree reached it
            graph.reached_files.add(doc.path)
            node = walker.visit(doc, None, (f"{doc.path} (applied by tooling)",), seen)
            if node is not None:
                graph.roots.append(node)
                graph.entrypoints.append(doc)
                lone.append(doc)
                if not any(a.doc is doc for a in node.objects):
                    graph.applied.append(Applied(doc, doc.namespace or "flux-system", None, (doc.path,),
                                                 EMPTY_SUBST, doc))
    _merge_roots(graph, walker.overlaps, lone)
    graph.tooling = tooling
    # A document reachable several times through one chain is applied once; keep distinct ones.
    unique: dict[tuple[int, Optional[str], int, Optional[str]], Applied] = {}
    for applied in graph.applied:
        key = (id(applied.doc), applied.namespace, id(applied.kustomization), applied.renamed)
        unique.setdefault(key, applied)
    graph.applied = list(unique.values())
    _resolve_substitute_from(graph, files)
    _kustomization_entry_events(walker.tree, graph)
    return graph


def _synthetic_root(doc: Document, sync: tuple[str, Pos, str, str]) -> Document:
    """A stand-in Flux Kustomization for a FluxInstance sync path (it is what flux-operator creates)."""
    path, pos, kind, name = sync
    spec = Map(pos)
    spec["path"] = path
    spec.kpos["path"] = pos
    spec.vpos["path"] = pos
    ref = Map(pos)
    ref["kind"] = kind
    ref["name"] = name
    spec["sourceRef"] = ref
    spec["prune"] = True
    data = Map(doc.pos())
    data["apiVersion"] = f"{KUSTOMIZE_GROUP}/v1"
    data["kind"] = "Kustomization"
    meta = Map(doc.pos())
    meta["name"] = name
    meta["namespace"] = doc.namespace or "flux-system"
    data["metadata"] = meta
    data["spec"] = spec
    return Document(doc.path, doc.index, data, doc.line, doc.doc_class)


