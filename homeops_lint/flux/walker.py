"""The walk: build each Flux Kustomization's ``spec.path`` as kustomize-controller does, record
what it applies and follow the child Kustomizations found in the build."""
from __future__ import annotations

from typing import Any, Optional

from ..classify import YAML_SUFFIXES
from ..model import Document, FileKind, Pos, SourceFile
from .kinds import effective_namespace, is_flux_kustomization
from .model import Applied, Build, FluxGraph, GraphEvent, KsNode, ks_label
from .patches import PatchCache, kustomize_patches_by_doc, patched_spec
from .substitutions import EMPTY_SUBST, Substitutions, substitutions_for
from .tree import Tree, file_refs, is_remote, kustomization_entries, normalize


# --- the OCI artifact a source serves ---------------------------------------------------------
Source = tuple[str, str, str]  # (kind, namespace, name) of a sourceRef


class ArtifactRoots:
    """Where in the repository the root of an OCI artifact this repository produces lies.

    A GitRepository artifact is the repository itself, but ``flux push artifact --path=./kubernetes``
    packs one folder, and the ``spec.path`` of every Kustomization that syncs from that
    OCIRepository is relative to it. The folder comes from the push commands in the tooling
    (the one under which the path exists), else from the one folder D of the repository where
    ``D/<path>`` exists; one source has one artifact, so the first answer holds for every
    Kustomization of that source.
    """

    def __init__(self, tree: Tree, tooling: Any) -> None:
        self.tree = tree
        self.tooling = tooling
        self.chosen: dict[Source, tuple[str, str]] = {}  # source -> (root folder, "pushed" | "inferred")

    def _pushed(self) -> list[str]:
        folders = self.tooling.pushed if self.tooling is not None else []
        return [folder for folder in folders if self.tree.is_dir(folder)]

    def _under(self, root: str, path: str) -> str:
        return f"{root}/{path}" if root and path else root or path

    def resolve(self, source: Source, path: str, declared_in: str) -> tuple[Optional[str], str]:
        """(root folder or None when unknown, how it is known: pushed | inferred | repository).
        ``declared_in`` is the file of the Kustomization: among several pushed folders holding the
        path, the deepest one that holds that file too is preferred (it ships in the artifact)."""
        known = self.chosen.get(source)
        if known is not None:
            return known
        pushed = self._pushed()
        under = [root for root in pushed if self.tree.is_dir(self._under(root, path))]
        holding = [root for root in under if root == "" or declared_in.startswith(root + "/")]
        if holding:
            under = [max(holding, key=len)]
        if under:
            self.chosen[source] = (under[0], "pushed")
            return self.chosen[source]
        if not path:
            return "", "repository"  # every folder holds './': nothing tells the root apart
        suffix = "/" + path
        found = [folder[:-len(suffix)] if folder != path else "" for folder in self.tree.dirs
                 if (folder == path or folder.endswith(suffix)) and self.tree.is_dir(folder)]
        if len(found) == 1:
            self.chosen[source] = (found[0], "inferred")
            return self.chosen[source]
        return None, "unknown"


# --- the walk --------------------------------------------------------------------------------
class Walker:
    def __init__(self, files: list[SourceFile], root_source_names: set[str],
                 shared: Optional["Walker"] = None, tooling: Any = None,
                 patches: Optional[PatchCache] = None) -> None:
        # Probe walkers share the folder tree, the kustomize patch scan and the parsed inline
        # patches of a first walker.
        self.tree = shared.tree if shared is not None else Tree(files)
        self.artifacts = shared.artifacts if shared is not None else ArtifactRoots(self.tree, tooling)
        if shared is not None:
            patches = shared.graph.patches
        self.graph = FluxGraph(patches=patches if patches is not None else PatchCache())
        self.source_names = root_source_names
        self.visiting: set[str] = set()
        self.kpatches = shared.kpatches if shared is not None else kustomize_patches_by_doc(self.tree)
        # The entrypoint whose tree first reached each Flux Kustomization, and the pairs of
        # entrypoints whose trees reach the same one (they describe the same cluster).
        self.owner: dict[int, Document] = {}
        self.overlaps: list[tuple[Document, Document]] = []

    # --- kustomize builds -------------------------------------------------------------
    def build_folder(self, folder: str, chain: tuple[str, ...], depth: int = 0) -> Build:
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

    def _build_generated(self, folder: str, chain: tuple[str, ...], depth: int) -> Build:
        """What Flux generates for a folder without kustomization file: every YAML file below it,
        stopping at sub-folders that have their own kustomization file (built as folders)."""
        out: Build = []
        stack = [folder]
        while stack:
            current = stack.pop(0)
            for child in self.tree.dirs.get(current, []):
                if self.tree.is_dir(child):
                    if self.tree.kustomization_file(child) is not None:
                        out.extend(self.build_folder(child, chain + (child + "/",), depth + 1))
                    else:
                        stack.append(child)
                elif child.endswith(YAML_SUFFIXES):
                    self.graph.referenced_files.add(child)
                    out.extend(self._file_docs(self.tree.files[child], chain + (child,)))
        return out

    def _file_docs(self, source: SourceFile, chain: tuple[str, ...]) -> Build:
        if source.kind != FileKind.YAML:
            return []
        self.graph.reached_files.add(source.path)
        return [(doc, None, chain) for doc in source.documents]

    def _missing(self, kfile: SourceFile, pos: Pos, section: str, i: int, message: str) -> None:
        self.graph.events.append(GraphEvent("flux-resource-missing", kfile.path, pos, message,
                                            key=f"{section}[{i}]"))

    def _build_kustomization(self, kfile: SourceFile, folder: str, chain: tuple[str, ...], depth: int) -> Build:
        self.graph.referenced_files.add(kfile.path)
        self.graph.reached_files.add(kfile.path)
        if not kfile.documents or not isinstance(kfile.documents[0].data, dict):
            return []
        kdoc = kfile.documents[0]
        data = kdoc.data
        namespace = data.get("namespace") if isinstance(data.get("namespace"), str) else None
        out: Build = []
        for section, i, entry, pos in kustomization_entries(kdoc):
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
                out.extend(self._file_docs(self.tree.files[target], chain + (target,)))
            elif self.tree.is_dir(target):
                if self.tree.kustomization_file(target) is None:
                    self._missing(kfile, pos, section, i,
                                  f"{section} entry '{entry}' is a folder without a kustomization.yaml; "
                                  "kustomize cannot build it (add one that lists its files)")
                    continue
                out.extend(self.build_folder(target, chain + (target + "/",), depth + 1))
            elif target in self.graph.excluded_files:
                self._missing(kfile, pos, section, i,
                              f"{section} entry '{entry}' is excluded from the Flux source artifact "
                              "(default exclusions, .sourceignore or GitRepository spec.ignore)")
            elif "${" not in entry:
                self._missing(kfile, pos, section, i,
                              f"{section} entry '{entry}' does not exist (resolved to '{target or '.'}')")
        # Files a kustomization uses without applying them as resources still count as referenced.
        for section in ("patches", "patchesStrategicMerge", "patchesJson6902", "configMapGenerator",
                        "secretGenerator", "replacements", "crds", "configurations", "transformers",
                        "generators", "openapi"):
            for ref in file_refs(data.get(section)):
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
    def visit(self, ks: Document, parent: Optional[KsNode], chain: tuple[str, ...], seen: set[int],
              namespace: Optional[str] = None, root: Optional[Document] = None,
              parent_subst: Optional[Substitutions] = None, synthetic: bool = False) -> Optional[KsNode]:
        if id(ks) in seen:
            first = self.owner.get(id(ks))
            if first is not None and first is not (root or ks):
                self.overlaps.append((first, root or ks))
            return None
        seen.add(id(ks))
        self.owner[id(ks)] = root or ks
        namespace = namespace or ks.namespace or "flux-system"
        patches = self.kpatches.get(id(ks), []) + (self.graph.patches.inline(parent.spec.get("patches")) if parent else [])
        effective = patched_spec(ks, namespace, patches)
        node = KsNode(ks, None, parent, namespace=namespace, spec=effective, root=root or ks,
                      synthetic=synthetic)
        node.substitutions = substitutions_for(ks, effective)
        label = ks_label(ks)
        resource = f"Kustomization/{namespace}/{ks.name}"

        # A string field of the child as Flux sees it: after the parent's substitutions.
        text = (parent_subst if parent_subst is not None else EMPTY_SUBST).apply
        source_ref = effective.get("sourceRef") if isinstance(effective.get("sourceRef"), dict) else {}
        source_name = text(source_ref.get("name"))
        node.source = (str(source_ref.get("kind") or "GitRepository"),
                       text(source_ref.get("namespace")) or namespace, source_name or "")
        if source_name is not None and self.source_names and source_name not in self.source_names \
                and "${" not in source_name:
            node.external = True
            return node
        raw_path = effective.get("path")
        path_text = text(raw_path) if raw_path is not None else "./"
        if path_text is None or "${" in path_text:
            node.unresolved = True
            return node  # a path whose variables are unknown cannot be followed statically
        # spec.path is relative to the artifact root even with a leading slash (securejoin).
        resolved = normalize("", path_text.lstrip("/"))
        if resolved is None:
            self.graph.events.append(GraphEvent(
                "flux-path-escape", ks.path, ks.pos("spec", "path", value=True),
                f"spec.path '{path_text}' leaves the repository; it was not read",
                resource=resource, key="spec.path"))
            return node
        if node.source[0] == "OCIRepository":
            root_folder, how = self.artifacts.resolve(node.source, resolved, ks.path)
            if root_folder is None:
                self.graph.events.append(GraphEvent(
                    "flux-path-missing", ks.path, ks.pos("spec", "path", value=True),
                    f"spec.path '{path_text}' is relative to the root of OCI artifact {node.source[2]}, "
                    "which is unknown: no 'flux push artifact --path' in the tooling packs a folder holding it, and "
                    f"{self._holders(resolved)}; the Kustomization was not followed",
                    resource=resource, key="spec.path", severity="warning"))
                node.unresolved = True
                # Any of the folders holding the path may be what Flux builds: none is called dead.
                for folder in self._holder_folders(resolved):
                    probe = Walker([], set(), self)
                    probe.build_folder(folder, ())
                    self.graph.referenced_files |= probe.graph.reached_files | probe.graph.referenced_files
                return node
            if root_folder and not self.tree.is_dir(f"{root_folder}/{resolved}" if resolved else root_folder):
                self.graph.events.append(GraphEvent(
                    "flux-path-missing", ks.path, ks.pos("spec", "path", value=True),
                    f"spec.path '{path_text}' does not exist in OCI artifact {node.source[2]}, "
                    + (f"which CI pushes from {root_folder}/" if how == "pushed" else
                       f"whose root is inferred to be {root_folder}/")
                    + "; Flux fails this Kustomization with 'kustomization path not found'",
                    resource=resource, key="spec.path", severity="" if how == "pushed" else "warning"))
                return node
            resolved = f"{root_folder}/{resolved}" if root_folder and resolved else root_folder or resolved
        if resolved and not self.tree.is_dir(resolved):
            where = "is a file, not a folder" if resolved in self.tree.files else "does not exist in the repository"
            if resolved in self.graph.excluded_files or any(
                    f.startswith(resolved + "/") for f in self.graph.excluded_files):
                where = "is excluded from the Flux source artifact"
            self.graph.events.append(GraphEvent(
                "flux-path-missing", ks.path, ks.pos("spec", "path", value=True),
                f"spec.path '{path_text}' {where}; Flux fails this Kustomization with "
                "'kustomization path not found'", resource=resource, key="spec.path"))
            return node
        node.path = resolved
        target_ns = text(effective.get("targetNamespace"))
        items = self.build_folder(resolved, chain + (label, "./" + resolved if resolved else "./"))
        components = effective.get("components")
        if isinstance(components, list):
            for i, comp in enumerate(components):
                if not isinstance(comp, str):
                    continue
                target = normalize(resolved, comp)
                pos = components.item_pos(i) if isinstance(components, list) and hasattr(components, "item_pos") \
                    else ks.pos("spec", "components")
                if target is None:
                    self.graph.events.append(GraphEvent(
                        "flux-path-escape", ks.path, pos,
                        f"component '{comp}' leaves the repository; it was not read",
                        resource=resource, key=f"spec.components[{i}]"))
                elif not self.tree.is_dir(target) or self.tree.kustomization_file(target) is None:
                    if not effective.get("ignoreMissingComponents"):
                        self.graph.events.append(GraphEvent(
                            "flux-resource-missing", ks.path, pos,
                            f"component '{comp}' (resolved relative to spec.path: '{target}') "
                            + ("has no kustomization.yaml" if self.tree.is_dir(target) else "does not exist"),
                            resource=resource, key=f"spec.components[{i}]"))
                else:
                    items.extend(self.build_folder(target, chain + (label, target + "/")))
        step = len(chain)
        for doc, ns_override, doc_chain in items:
            ns = effective_namespace(doc, target_ns or ns_override)
            renamed = (target_ns or ns_override) if doc.kind == "Namespace" and doc.api_version == "v1" else None
            applied = Applied(doc, ns, ks, doc_chain, node.substitutions, node.root, step, renamed)
            node.objects.append(applied)
            self.graph.applied.append(applied)
        for applied in list(node.objects):
            if is_flux_kustomization(applied.doc):
                child = self.visit(applied.doc, node, applied.chain, seen, applied.namespace, node.root,
                                   node.substitutions)
                if child is not None:
                    node.children.append(child)
        return node

    def _holder_folders(self, path: str) -> list[str]:
        """The folders of the repository that are ``path`` or end with it."""
        holders = sorted(folder for folder in self.tree.dirs
                         if folder.endswith("/" + path) and self.tree.is_dir(folder))
        if path and self.tree.is_dir(path):
            holders.insert(0, path)
        return holders

    def _holders(self, path: str) -> str:
        """How many folders of the repository hold ``path`` (none or several: no single answer)."""
        holders = self._holder_folders(path)
        if not holders:
            return "no folder of the repository holds it"
        shown = ", ".join(f"./{folder}" for folder in holders[:3]) + (", ..." if len(holders) > 3 else "")
        return f"several folders hold it ({shown})"


