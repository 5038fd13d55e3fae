"""Stage 4b: the Flux graph — what Flux actually applies, and how it gets there.

Semantics (domain.md §5.3): start at the entrypoints (the ``flux-system`` Kustomization of a
``flux bootstrap`` repo, a FluxInstance or flux-instance HelmRelease sync path, or the policy's
``flux.entrypoints``). Build each Flux Kustomization's ``spec.path``: a folder with a kustomization
file yields exactly what that file lists (resources and components, files and folders, recursively);
a folder without one yields every ``*.yaml``/``*.yml`` file below it, stopping at sub-folders that
have their own kustomization file (which are built as folders). Child Flux Kustomizations found in
a build are followed in turn. Remote resources are recorded, never fetched. Nothing outside the
root is ever read.
"""
from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Optional

from .classify import KUSTOMIZATION_NAMES, YAML_SUFFIXES
from .model import Document, FileKind, Pos, SourceFile

KUSTOMIZE_GROUP = "kustomize.toolkit.fluxcd.io"
VAR_RE = re.compile(r"(?<!\$)\$\{([_a-zA-Z][_a-zA-Z0-9]*)(?::?=([^}]*))?\}")
REMOTE_RE = re.compile(r"^(?:[a-z][a-z0-9+.-]*://|git@|github\.com/|gitlab\.com/|bitbucket\.org/)", re.I)

# Kinds that are cluster-scoped: a namespace transformer never touches them.
CLUSTER_SCOPED = frozenset({
    "Namespace", "CustomResourceDefinition", "ClusterRole", "ClusterRoleBinding", "StorageClass",
    "PriorityClass", "PersistentVolume", "Node", "ValidatingWebhookConfiguration",
    "MutatingWebhookConfiguration", "APIService", "IngressClass", "RuntimeClass", "CSIDriver",
    "VolumeSnapshotClass", "ClusterIssuer", "ClusterSecretStore", "ClusterExternalSecret",
    "CiliumLoadBalancerIPPool", "CiliumBGPPeeringPolicy", "CiliumBGPClusterConfig", "CiliumBGPPeerConfig",
    "CiliumBGPAdvertisement", "CiliumBGPNodeConfigOverride", "CiliumL2AnnouncementPolicy",
    "CiliumClusterwideNetworkPolicy", "CiliumPodIPPool", "CiliumNode", "CiliumCIDRGroup",
    "GatewayClass", "ClusterPolicy", "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding",
    "ClusterImagePolicy", "FlowSchema", "PriorityLevelConfiguration", "ClusterGenerator",
    "ClusterPushSecret", "ImageContentSourcePolicy",
})


def is_flux_kustomization(doc: Document) -> bool:
    return doc.kind == "Kustomization" and doc.group == KUSTOMIZE_GROUP


def is_remote(entry: str) -> bool:
    return bool(REMOTE_RE.match(entry)) or entry.startswith("//")


def normalize(base: str, entry: str) -> Optional[str]:
    """Join ``entry`` to folder ``base`` (both relative to the root); None when it leaves the root."""
    if entry.startswith("/"):
        return None
    joined = posixpath.normpath(posixpath.join(base, entry)) if base else posixpath.normpath(entry)
    if joined == ".":
        return ""
    if joined == ".." or joined.startswith("../"):
        return None
    return joined


@dataclass(frozen=True)
class Applied:
    """One application of a document by Flux: the same document can be applied several times."""

    doc: Document
    namespace: Optional[str]  # effective namespace (targetNamespace / kustomize namespace / metadata)
    kustomization: Optional[Document]  # the Flux Kustomization whose build contains it
    chain: tuple[str, ...]  # human-readable reachability chain
    substitutions: "Substitutions"


@dataclass
class Substitutions:
    """The postBuild variables a Flux Kustomization provides, with where each is defined."""

    values: dict[str, str] = field(default_factory=dict)
    locations: dict[str, tuple[str, Pos]] = field(default_factory=dict)
    # substituteFrom entries that could not be read (SOPS Secrets, missing objects): any undefined
    # variable may come from them, so it is unknown rather than undefined.
    opaque_sources: list[str] = field(default_factory=list)
    enabled: bool = True

    def resolve(self, text: str) -> Optional[str]:
        """Substitute ``${VAR}``/``${VAR:=default}``; None when any variable is unknown."""
        if "${" not in text:
            return text
        unknown = False

        def repl(match: "re.Match[str]") -> str:
            nonlocal unknown
            name, default = match.group(1), match.group(2)
            if name in self.values:
                return self.values[name]
            if default is not None:
                return default
            unknown = True
            return match.group(0)

        out = VAR_RE.sub(repl, text)
        return None if unknown else out.replace("$${", "${")


EMPTY_SUBST = Substitutions(enabled=False)


@dataclass(frozen=True)
class GraphEvent:
    """Something the graph walk found wrong; the flux rules turn these into findings."""

    rule: str
    path: str
    pos: Pos
    message: str
    resource: str = ""
    key: str = ""


@dataclass
class KsNode:
    doc: Document
    path: Optional[str]  # resolved spec.path (None: escaped or external)
    parent: Optional["KsNode"]
    children: list["KsNode"] = field(default_factory=list)
    objects: list[Applied] = field(default_factory=list)
    external: bool = False  # its source is another repository


@dataclass
class FluxGraph:
    entrypoints: list[Document] = field(default_factory=list)
    roots: list[KsNode] = field(default_factory=list)
    applied: list[Applied] = field(default_factory=list)
    reached_files: set[str] = field(default_factory=set)  # files whose documents Flux applies
    referenced_files: set[str] = field(default_factory=set)  # files some kustomization mentions
    remote_resources: list[tuple[str, str]] = field(default_factory=list)  # (kustomization file, url)
    events: list[GraphEvent] = field(default_factory=list)
    has_flux: bool = False  # False: no entrypoint and no Flux Kustomization; all counts as applied
    mode: str = "entrypoints"  # entrypoints | inferred-roots | no-flux


class _Tree:
    """Folder/file lookup over the discovered files (never the disk: only what discovery saw)."""

    def __init__(self, files: Iterable[SourceFile]) -> None:
        self.files: dict[str, SourceFile] = {f.path: f for f in files}
        self.dirs: dict[str, list[str]] = {}
        for path in self.files:
            parts = path.split("/")
            for i in range(len(parts)):
                parent = "/".join(parts[:i])
                child = "/".join(parts[: i + 1])
                bucket = self.dirs.setdefault(parent, [])
                if not bucket or bucket[-1] != child:
                    bucket.append(child)
        for key in self.dirs:
            self.dirs[key] = sorted(set(self.dirs[key]))

    def is_dir(self, path: str) -> bool:
        return path in self.dirs and path not in self.files

    def kustomization_file(self, folder: str) -> Optional[SourceFile]:
        for name in KUSTOMIZATION_NAMES:
            candidate = f"{folder}/{name}" if folder else name
            if candidate in self.files:
                return self.files[candidate]
        return None


class _Walker:
    def __init__(self, files: list[SourceFile], root_source_names: set[str]) -> None:
        self.tree = _Tree(files)
        self.graph = FluxGraph()
        self.source_names = root_source_names
        self.visiting: set[str] = set()

    # --- kustomize builds -------------------------------------------------------------
    def build_folder(self, folder: str, chain: tuple[str, ...], depth: int = 0
                     ) -> list[tuple[Document, Optional[str], tuple[str, ...]]]:
        """Documents a folder yields, each with the kustomize namespace override and chain."""
        if depth > 64 or folder in self.visiting:
            return []
        self.visiting.add(folder)
        try:
            kfile = self.tree.kustomization_file(folder)
            if kfile is not None:
                return self._build_kustomization(kfile, folder, chain, depth)
            return self._build_generated(folder, chain, depth)
        finally:
            self.visiting.discard(folder)

    def _build_generated(self, folder: str, chain: tuple[str, ...], depth: int
                         ) -> list[tuple[Document, Optional[str], tuple[str, ...]]]:
        out: list[tuple[Document, Optional[str], tuple[str, ...]]] = []
        stack = [folder]
        while stack:
            current = stack.pop(0)
            for child in self.tree.dirs.get(current, []):
                name = child.rsplit("/", 1)[-1]
                if name.startswith(".") and self.tree.is_dir(child):
                    continue  # .git, .github and friends are excluded from Flux artifacts
                if self.tree.is_dir(child):
                    if self.tree.kustomization_file(child) is not None:
                        out.extend(self.build_folder(child, chain + (child + "/",), depth + 1))
                    else:
                        stack.append(child)
                elif child.endswith(YAML_SUFFIXES) and not name.endswith(".sops.yaml.example"):
                    source = self.tree.files[child]
                    if name == ".sops.yaml":
                        continue
                    self.graph.referenced_files.add(child)
                    out.extend(self._file_docs(source, None, chain + (child,)))
        return out

    def _file_docs(self, source: SourceFile, namespace: Optional[str], chain: tuple[str, ...]
                   ) -> list[tuple[Document, Optional[str], tuple[str, ...]]]:
        if source.kind != FileKind.YAML:
            return []
        self.graph.reached_files.add(source.path)
        return [(doc, namespace, chain) for doc in source.documents]

    def _build_kustomization(self, kfile: SourceFile, folder: str, chain: tuple[str, ...], depth: int
                             ) -> list[tuple[Document, Optional[str], tuple[str, ...]]]:
        self.graph.referenced_files.add(kfile.path)
        self.graph.reached_files.add(kfile.path)
        if not kfile.documents or not isinstance(kfile.documents[0].data, dict):
            return []
        kdoc = kfile.documents[0]
        data = kdoc.data
        namespace = data.get("namespace") if isinstance(data.get("namespace"), str) else None
        out: list[tuple[Document, Optional[str], tuple[str, ...]]] = []
        for section in ("resources", "components", "bases"):
            entries = data.get(section)
            if not isinstance(entries, list):
                continue
            for i, entry in enumerate(entries):
                if not isinstance(entry, str) or not entry.strip():
                    continue
                entry = entry.strip()
                pos = entries.item_pos(i) if hasattr(entries, "item_pos") else kdoc.pos(section)
                if is_remote(entry):
                    self.graph.remote_resources.append((kfile.path, entry))
                    continue
                target = normalize(folder, entry)
                if target is None:
                    self.graph.events.append(GraphEvent(
                        "flux-path-escape", kfile.path, pos,
                        f"{section} entry '{entry}' leaves the repository; it was not read",
                        key=f"{section}[{i}]"))
                    continue
                if target in self.tree.files:
                    self.graph.referenced_files.add(target)
                    out.extend(self._file_docs(self.tree.files[target], None, chain + (target,)))
                elif self.tree.is_dir(target):
                    if self.tree.kustomization_file(target) is None:
                        self.graph.events.append(GraphEvent(
                            "flux-resource-missing", kfile.path, pos,
                            f"{section} entry '{entry}' is a folder without a kustomization.yaml; "
                            "kustomize cannot build it", key=f"{section}[{i}]"))
                        continue
                    out.extend(self.build_folder(target, chain + (target + "/",), depth + 1))
                else:
                    self.graph.events.append(GraphEvent(
                        "flux-resource-missing", kfile.path, pos,
                        f"{section} entry '{entry}' does not exist (resolved to '{target or '.'}')",
                        key=f"{section}[{i}]"))
        # Files a kustomization uses without applying them as resources still count as referenced.
        for section in ("patches", "patchesStrategicMerge", "configMapGenerator", "secretGenerator",
                        "replacements", "crds", "configurations", "transformers", "generators"):
            for ref in _file_refs(data.get(section)):
                if not is_remote(ref):
                    target = normalize(folder, ref)
                    if target is not None and target in self.tree.files:
                        self.graph.referenced_files.add(target)
        helm_charts = data.get("helmCharts")
        if isinstance(helm_charts, list):
            for chart in helm_charts:
                if isinstance(chart, dict) and isinstance(chart.get("valuesFile"), str):
                    target = normalize(folder, chart["valuesFile"])
                    if target is not None:
                        self.graph.referenced_files.add(target)
        if namespace:
            # kustomize applies the outer namespace transformer last, so the outermost one wins
            out = [(doc, namespace, ch) for doc, _inner, ch in out]
        return out

    # --- Flux Kustomizations ------------------------------------------------------------
    def visit(self, ks: Document, parent: Optional[KsNode], chain: tuple[str, ...],
              seen: set[int]) -> Optional[KsNode]:
        if id(ks) in seen:
            return None
        seen.add(id(ks))
        spec = ks.data.get("spec") if isinstance(ks.data, dict) else None
        spec = spec if isinstance(spec, dict) else {}
        raw_path = spec.get("path")
        source_ref = spec.get("sourceRef") if isinstance(spec.get("sourceRef"), dict) else {}
        source_name = source_ref.get("name")
        node = KsNode(ks, None, parent)
        if isinstance(source_name, str) and self.source_names and source_name not in self.source_names \
                and "${" not in source_name:
            node.external = True
            return node
        path_text = raw_path if isinstance(raw_path, str) else "./"
        if "${" in path_text:
            return node  # a substituted path cannot be followed statically
        resolved = normalize("", path_text.lstrip("/") if path_text.startswith("./") else path_text)
        label = f"{ks.path}:{ks.pos('spec', 'path').line} Kustomization {ks.name}"
        if resolved is None:
            self.graph.events.append(GraphEvent(
                "flux-path-escape", ks.path, ks.pos("spec", "path", value=True),
                f"spec.path '{path_text}' leaves the repository; it was not read",
                resource=f"Kustomization/{ks.namespace or 'flux-system'}/{ks.name}", key="spec.path"))
            return node
        if resolved and not self.tree.is_dir(resolved):
            self.graph.events.append(GraphEvent(
                "flux-path-missing", ks.path, ks.pos("spec", "path", value=True),
                f"spec.path '{path_text}' does not exist in the repository",
                resource=f"Kustomization/{ks.namespace or 'flux-system'}/{ks.name}", key="spec.path"))
            return node
        node.path = resolved
        subst = substitutions_for(ks)
        target_ns = spec.get("targetNamespace") if isinstance(spec.get("targetNamespace"), str) else None
        items = self.build_folder(resolved, chain + (label, "./" + resolved if resolved else "./"))
        components = spec.get("components")
        if isinstance(components, list):
            for i, comp in enumerate(components):
                if not isinstance(comp, str):
                    continue
                target = normalize(resolved, comp)
                if target is None:
                    self.graph.events.append(GraphEvent(
                        "flux-path-escape", ks.path, components.item_pos(i),
                        f"component '{comp}' leaves the repository; it was not read", key=f"spec.components[{i}]"))
                elif not self.tree.is_dir(target):
                    if not spec.get("ignoreMissingComponents"):
                        self.graph.events.append(GraphEvent(
                            "flux-resource-missing", ks.path, components.item_pos(i),
                            f"component '{comp}' (resolved relative to spec.path: '{target}') does not exist",
                            key=f"spec.components[{i}]"))
                else:
                    items.extend(self.build_folder(target, chain + (label, target + "/")))
        for doc, ns_override, doc_chain in items:
            namespace = effective_namespace(doc, target_ns or ns_override)
            applied = Applied(doc, namespace, ks, doc_chain, subst)
            node.objects.append(applied)
            self.graph.applied.append(applied)
        for applied in list(node.objects):
            if is_flux_kustomization(applied.doc):
                child = self.visit(applied.doc, node, applied.chain, seen)
                if child is not None:
                    node.children.append(child)
        return node


def _file_refs(section: Any) -> list[str]:
    refs: list[str] = []
    if isinstance(section, list):
        for item in section:
            if isinstance(item, str):
                refs.append(item)
            elif isinstance(item, dict):
                if isinstance(item.get("path"), str):
                    refs.append(item["path"])
                for key in ("files", "envs"):
                    for f in item.get(key) or []:
                        if isinstance(f, str):
                            refs.append(f.split("=", 1)[-1])
                if isinstance(item.get("env"), str):
                    refs.append(item["env"])
    return refs


def effective_namespace(doc: Document, override: Optional[str]) -> Optional[str]:
    if doc.kind in CLUSTER_SCOPED:
        return None
    return override or doc.namespace


def substitutions_for(ks: Document) -> Substitutions:
    spec = ks.get("spec")
    subst = Substitutions()
    post = spec.get("postBuild") if isinstance(spec, dict) else None
    if not isinstance(post, dict):
        return subst
    inline = post.get("substitute")
    if isinstance(inline, dict):
        for key, value in inline.items():
            if value is None:
                continue
            subst.values[str(key)] = value if isinstance(value, str) else _yaml11_text(value)
            subst.locations[str(key)] = (ks.path, inline.key_pos(key))
    refs = post.get("substituteFrom")
    if isinstance(refs, list):
        for ref in refs:
            if isinstance(ref, dict):
                subst.opaque_sources.append(f"{ref.get('kind', '?')}/{ref.get('name', '?')}")
    return subst


def _yaml11_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _entrypoint_sync_path(doc: Document) -> Optional[tuple[str, Pos]]:
    """The sync path of a FluxInstance or a flux-instance HelmRelease, if it has one."""
    if doc.kind == "FluxInstance":
        path = doc.get("spec", "sync", "path")
        if isinstance(path, str):
            return path, doc.pos("spec", "sync", "path", value=True)
    if doc.kind == "HelmRelease":
        path = doc.get("spec", "values", "instance", "sync", "path")
        if isinstance(path, str):
            return path, doc.pos("spec", "values", "instance", "sync", "path", value=True)
    return None


def build_graph(files: list[SourceFile], entrypoint_paths: Iterable[str] = ()) -> FluxGraph:
    documents = [doc for f in files for doc in f.documents]
    flux_ks = [doc for doc in documents if is_flux_kustomization(doc)]
    explicit = list(entrypoint_paths)
    entry_docs: list[Document] = []
    synthetic: list[tuple[Document, str]] = []
    if explicit:
        for path in explicit:
            for doc in flux_ks:
                if doc.path == path.lstrip("./") or doc.path == path:
                    entry_docs.append(doc)
    else:
        entry_docs = [d for d in flux_ks if d.name == "flux-system" and d.namespace in (None, "flux-system")]
        for doc in documents:
            sync = _entrypoint_sync_path(doc)
            if sync is not None:
                synthetic.append((doc, sync[0]))
    source_names = {"flux-system"}
    for doc in entry_docs:
        name = doc.get("spec", "sourceRef", "name")
        if isinstance(name, str):
            source_names.add(name)
    walker = _Walker(files, source_names)
    graph = walker.graph
    seen: set[int] = set()
    if not entry_docs and not synthetic:
        if not flux_ks:
            graph.has_flux = False
            graph.mode = "no-flux"
            for doc in documents:
                graph.applied.append(Applied(doc, effective_namespace(doc, None), None, (doc.path,), EMPTY_SUBST))
            graph.reached_files = {f.path for f in files if f.documents}
            return graph
        # No declared entrypoint: every Flux Kustomization that no other one reaches is a root.
        graph.mode = "inferred-roots"
        probe = _Walker(files, set())
        probe_seen: set[int] = set()
        for doc in flux_ks:
            probe.visit(doc, None, (), probe_seen)
        reached_ids = {id(a.doc) for a in probe.graph.applied}
        entry_docs = [d for d in flux_ks if id(d) not in reached_ids] or flux_ks[:1]
    graph.has_flux = True
    graph.entrypoints = list(entry_docs) + [doc for doc, _ in synthetic]
    for doc in entry_docs:
        graph.reached_files.add(doc.path)
        graph.applied.append(Applied(doc, effective_namespace(doc, None), None, (doc.path,), EMPTY_SUBST))
        node = walker.visit(doc, None, (), seen)
        if node is not None:
            graph.roots.append(node)
    for doc, sync_path in synthetic:
        graph.reached_files.add(doc.path)
        root_ks = _synthetic_root(doc, sync_path)
        node = walker.visit(root_ks, None, (f"{doc.path}:{doc.line} {doc.kind} {doc.name} sync",), seen)
        if node is not None:
            graph.roots.append(node)
    # A document reachable several times through one chain is applied once; keep distinct ones.
    unique: dict[tuple[int, Optional[str], int], Applied] = {}
    for applied in graph.applied:
        key = (id(applied.doc), applied.namespace, id(applied.kustomization))
        unique.setdefault(key, applied)
    graph.applied = list(unique.values())
    return graph


def _synthetic_root(doc: Document, sync_path: str) -> Document:
    """A stand-in Flux Kustomization for a FluxInstance sync path (it is what flux-operator creates)."""
    from .model import Map

    spec = Map(doc.pos())
    spec["path"] = sync_path
    spec.kpos["path"] = doc.pos("spec")
    data = Map(doc.pos())
    data["apiVersion"] = f"{KUSTOMIZE_GROUP}/v1"
    data["kind"] = "Kustomization"
    meta = Map(doc.pos())
    meta["name"] = "flux-system"
    meta["namespace"] = "flux-system"
    data["metadata"] = meta
    data["spec"] = spec
    return Document(doc.path, doc.index, data, doc.line, doc.doc_class)
