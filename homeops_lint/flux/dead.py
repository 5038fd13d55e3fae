"""Files nothing applies: Kubernetes manifests, kustomizations and Flux Kustomizations that no
reconciled Flux path builds."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Optional

from ..classify import KUSTOMIZATION_NAMES
from ..model import DocClass, Document, FileKind, SourceFile
from .kinds import is_flux_kustomization
from .model import FluxGraph
from .walker import Walker


# --- files nothing applies -------------------------------------------------------------------
@dataclass(frozen=True)
class DeadFile:
    """A file Flux never applies. ``kind`` is ``manifest`` (a loose file), ``kustomization`` (a
    kustomization.yaml nothing builds) or ``flux-kustomization`` (a Flux Kustomization nothing
    applies); the last two cover the files they would apply, which are not reported again."""

    path: str
    kind: str
    message: str
    line: int = 1
    column: int = 1
    covers: tuple[str, ...] = ()


def _describe_kinds(docs: Iterable[Document]) -> str:
    counts: dict[str, int] = {}
    for doc in docs:
        if doc.kind:
            counts[doc.kind] = counts.get(doc.kind, 0) + 1
    parts = [f"{n} {k}" if n > 1 else k for k, n in sorted(counts.items())]
    return ", ".join(parts) if parts else "manifests"


def dead_files(files: list[SourceFile], graph: FluxGraph, skip: "Any" = None) -> list[DeadFile]:
    """Kubernetes manifests, kustomizations and Flux Kustomizations that nothing applies.

    Only meaningful when the entrypoints are known. ``skip(path)`` says which files are outside
    the question (bootstrap material, docs, chart templates, files tooling applies by hand).
    """
    if graph.mode != "entrypoints":
        return []
    view = [f for f in files if f.path not in graph.excluded_files]
    by_path = {f.path: f for f in view}
    chart_dirs = {f.path.rsplit("/", 1)[0] if "/" in f.path else "" for f in view
                  if f.path.rsplit("/", 1)[-1] == "Chart.yaml"}

    def outside(path: str) -> bool:
        if path in graph.reached_files or path in graph.referenced_files:
            return True
        if any(d == "" or path.startswith(d + "/") for d in chart_dirs):
            return True  # a Helm chart's files are rendered by Helm, not applied by Flux
        return bool(skip and skip(path))

    def k8s_docs(source: SourceFile) -> list[Document]:
        return [d for d in source.documents if d.doc_class == DocClass.K8S]

    probe = Walker(view, set(), tooling=graph.tooling, patches=graph.patches)
    probe.graph.excluded_files = graph.excluded_files
    out: list[DeadFile] = []
    covered: set[str] = set()
    # 1. Flux Kustomizations in files nothing applies: report the topmost, cover what they reach.
    dead_ks = [d for f in view if not outside(f.path) for d in f.documents if is_flux_kustomization(d)]
    builds: dict[int, set[str]] = {}
    for doc in dead_ks:
        walker = Walker(view, set(), probe)
        walker.graph.excluded_files = graph.excluded_files
        walker.visit(doc, None, (), set())
        builds[id(doc)] = (walker.graph.reached_files | walker.graph.referenced_files) - {doc.path}
    reached_by_other = set().union(*builds.values()) if builds else set()
    for doc in dead_ks:
        if doc.path in reached_by_other or doc.path in covered:
            continue
        covers = tuple(sorted(p for p in builds[id(doc)] if not outside(p)))
        covered.update(covers)
        covered.add(doc.path)
        path = doc.get("spec", "path")
        where = f" (its path {path} holds {len(covers)} file(s) that are not applied either)" if covers else ""
        out.append(DeadFile(doc.path, "flux-kustomization",
                            f"Flux Kustomization {doc.name} is applied by nothing{where}: no kustomization.yaml "
                            "lists this file and no reconciled Flux path contains it; add it to its parent "
                            "kustomization.yaml or delete it", doc.pos("kind").line, 1, covers))
    # 2. kustomization files that no build uses.
    unreached_k = [f for f in view if f.path.rsplit("/", 1)[-1] in KUSTOMIZATION_NAMES
                   and f.path not in graph.reached_files and f.path not in graph.referenced_files
                   and f.path not in covered]
    for source in unreached_k:
        if outside(source.path):  # applied by hand (skipped folder, tooling): so is what it lists
            folder = source.path.rsplit("/", 1)[0] if "/" in source.path else ""
            walker = Walker(view, set(), probe)
            walker.build_folder(folder, ())
            covered.update(walker.graph.reached_files | walker.graph.referenced_files)
    dead_k = [f for f in unreached_k if not outside(f.path) and f.path not in covered]
    kbuilds: dict[str, set[str]] = {}
    for source in dead_k:
        folder = source.path.rsplit("/", 1)[0] if "/" in source.path else ""
        walker = Walker(view, set(), probe)
        walker.build_folder(folder, ())
        kbuilds[source.path] = (walker.graph.reached_files | walker.graph.referenced_files) - {source.path}
    nested = set().union(*kbuilds.values()) if kbuilds else set()
    for source in dead_k:
        if source.path in nested:
            continue
        covers = tuple(sorted(p for p in kbuilds[source.path] if not outside(p) and p not in covered))
        if not any(k8s_docs(by_path[p]) for p in covers if p in by_path):
            continue  # a kustomization of nothing Kubernetes (e.g. a Talos or tooling folder)
        covered.update(covers)
        covered.add(source.path)
        folder = source.path.rsplit("/", 1)[0] if "/" in source.path else "."
        out.append(DeadFile(source.path, "kustomization",
                            f"{folder}/ is built by nothing: no Flux Kustomization path and no other "
                            f"kustomization.yaml reaches it, so its {len(covers)} file(s) are never applied; "
                            "reference it from a reconciled kustomization or delete it", 1, 1, covers))
    # 3. loose manifests.
    for source in view:
        if source.kind != FileKind.YAML or outside(source.path) or source.path in covered:
            continue
        if source.path.rsplit("/", 1)[-1] in KUSTOMIZATION_NAMES:
            continue
        docs = k8s_docs(source)
        if not docs:
            continue
        what = _describe_kinds(docs)
        owner = _reconciled_folder(source.path, graph, by_path)
        if owner is not None and owner[1] == "":
            continue  # its folder's kustomization file does not parse: that is the finding
        if owner is not None:
            folder, ks_name = owner
            message = (f"{what} is never applied: Flux Kustomization {ks_name} reconciles {folder}/ but its "
                       f"kustomization.yaml does not list {source.path.rsplit('/', 1)[-1]}; list it under "
                       "resources or delete the file")
        else:
            message = (f"{what} is never applied: no kustomization.yaml lists this file and no reconciled "
                       "Flux path contains it; reference it or delete the file")
        out.append(DeadFile(source.path, "manifest", message, docs[0].pos("kind").line if docs else 1, 1))
    return sorted(out, key=lambda d: d.path)


def _reconciled_folder(path: str, graph: FluxGraph, by_path: dict[str, SourceFile]) -> Optional[tuple[str, str]]:
    """The nearest folder above ``path`` whose kustomization file Flux builds, and the Kustomization."""
    parts = path.split("/")[:-1]
    while parts:
        folder = "/".join(parts)
        for name in KUSTOMIZATION_NAMES:
            candidate = f"{folder}/{name}"
            if candidate in by_path and candidate in graph.reached_files:
                if not by_path[candidate].documents:
                    return folder, ""
                for applied in graph.applied:
                    if applied.doc.path.startswith(folder + "/") and applied.kustomization is not None:
                        return folder, applied.kustomization.name
                return folder, "(unknown)"
        parts.pop()
    return None
