"""Stage 4: the repo index every check reads. Built once; no check re-parses a file."""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Callable, Iterable, Iterator, Optional

from .flux import Applied, FluxGraph, KsNode, Substitutions, build_graph
from .model import DocClass, Document, SourceFile


@dataclass
class RepoIndex:
    files: list[SourceFile]
    graph: FluxGraph
    _by_path: dict[str, SourceFile] = field(default_factory=dict, repr=False)
    _derived: dict[Any, Any] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._by_path = {f.path: f for f in self.files}

    def derived(self, key: Any, build: Callable[[], Any]) -> Any:
        """Data several check families derive from the index (e.g. every LoadBalancer request),
        built once per run by whichever family asks first."""
        if key not in self._derived:
            self._derived[key] = build()
        return self._derived[key]

    # --- files and documents -----------------------------------------------------------
    def file(self, path: str) -> Optional[SourceFile]:
        return self._by_path.get(path)

    @cached_property
    def documents(self) -> list[Document]:
        return [doc for f in self.files for doc in f.documents]

    def documents_of(self, doc_class: DocClass) -> list[Document]:
        return [d for d in self.documents if d.doc_class == doc_class]

    @cached_property
    def _by_kind(self) -> dict[str, list[Document]]:
        out: dict[str, list[Document]] = {}
        for doc in self.documents:
            if doc.doc_class == DocClass.K8S:
                out.setdefault(doc.kind, []).append(doc)
        return out

    def all_of_kind(self, *kinds: str, group: Optional[str] = None) -> list[Document]:
        """Every document of these kinds, applied or not (hygiene rules)."""
        out: list[Document] = []
        for kind in kinds:
            out.extend(d for d in self._by_kind.get(kind, []) if group is None or d.group == group)
        return out

    # --- the applied set ---------------------------------------------------------------
    @property
    def applied(self) -> list[Applied]:
        return self.graph.applied

    @cached_property
    def _applied_by_kind(self) -> dict[str, list[Applied]]:
        out: dict[str, list[Applied]] = {}
        for item in self.graph.applied:
            if item.doc.doc_class == DocClass.K8S:
                out.setdefault(item.doc.kind, []).append(item)
        return out

    def applied_of_kind(self, *kinds: str, group: Optional[str] = None) -> list[Applied]:
        """Applied objects of these kinds (optionally of one API group), in a stable order."""
        out: list[Applied] = []
        for kind in kinds:
            out.extend(a for a in self._applied_by_kind.get(kind, []) if group is None or a.doc.group == group)
        return out

    @cached_property
    def _applied_ids(self) -> set[int]:
        return {id(a.doc) for a in self.graph.applied}

    def is_applied(self, doc: Document) -> bool:
        return id(doc) in self._applied_ids

    @cached_property
    def _applications(self) -> dict[int, list[Applied]]:
        out: dict[int, list[Applied]] = {}
        for item in self.graph.applied:
            out.setdefault(id(item.doc), []).append(item)
        return out

    def applications(self, doc: Document) -> list[Applied]:
        """Every way Flux applies ``doc`` (a shared component is applied once per including Kustomization)."""
        # One dict lookup, not a scan of the applied set: checks call this per document.
        return list(self._applications.get(id(doc), ()))

    @cached_property
    def _ks_nodes(self) -> dict[int, KsNode]:
        out: dict[int, KsNode] = {}
        for node in self.graph.nodes:
            out.setdefault(id(node.doc), node)
        return out

    def effective_spec(self, doc: Document) -> Any:
        """``spec`` as Flux applies it. For a Flux Kustomization the graph follows: after its
        parent Kustomization's ``spec.patches`` (cluster-template's ``cluster-apps`` gives every
        child ``sourceRef``, ``prune``, ``decryption``, ``postBuild``), the patches of the
        kustomization file that lists it and of the kustomize Components that file lists (in
        kustomize's order), and a FluxInstance's ``kustomize.patches``. Unchanged
        parts keep their positions; fields a patch added have none in this file. Any other
        document: its own ``spec``."""
        node = self._ks_nodes.get(id(doc))
        return node.spec if node is not None else doc.get("spec")

    def iter_applied_docs(self) -> Iterator[Document]:
        seen: set[int] = set()
        for item in self.graph.applied:
            if id(item.doc) not in seen:
                seen.add(id(item.doc))
                yield item.doc


def build_index(files: list[SourceFile], entrypoints: Iterable[str] = ()) -> RepoIndex:
    return RepoIndex(files=files, graph=build_graph(files, entrypoints))


__all__ = ["RepoIndex", "build_index", "Applied", "Substitutions"]
