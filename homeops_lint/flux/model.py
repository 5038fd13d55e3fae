"""The Flux graph's model: what is applied (``Applied``), by which Flux Kustomization
(``KsNode``), reached through which chain, and what the walk found wrong (``GraphEvent``)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Optional

from ..model import Document, Pos
from .patches import PatchCache
from .substitutions import Substitutions

Build = list[tuple[Document, Optional[str], tuple[str, ...]]]  # (doc, kustomize namespace, chain)


def ks_label(ks: Document) -> str:
    """How a Flux Kustomization is named in a reachability chain: ``file:line Kustomization name``."""
    line = ks.pos("spec", "path").line if ks.get("spec", "path") is not None else ks.line
    return f"{ks.path}:{line} {ks.kind or 'Kustomization'} {ks.name}"


@dataclass(frozen=True)
class Applied:
    """One application of a document by Flux: the same document can be applied several times."""

    doc: Document
    namespace: Optional[str]  # effective namespace (targetNamespace / kustomize namespace / metadata)
    kustomization: Optional[Document]  # the Flux Kustomization whose build contains it
    chain: tuple[str, ...]  # human-readable reachability chain, from the entrypoint
    substitutions: "Substitutions"
    root: Optional[Document] = None  # the entrypoint (one cluster) whose tree applies it
    ks_step: int = 0  # index in ``chain`` of the applying Kustomization's own step
    # The namespace transformer also renames Namespace objects (kustomize's fieldspec
    # metadata/name of kind Namespace): cluster-template's shared ``name: _`` Namespace.
    renamed: Optional[str] = None

    @property
    def name(self) -> str:
        """The object's effective name."""
        return self.renamed or self.doc.name

    @property
    def local_chain(self) -> tuple[str, ...]:
        """The chain from the Kustomization that applies the document (what a message shows)."""
        return self.chain[self.ks_step:]

    def resolve(self, value: Any) -> Optional[str]:
        """A string field of the document with this application's postBuild variables resolved;
        None when it is not a string or a variable in it has no known value (without postBuild
        variables only a default gives one)."""
        if not isinstance(value, str):
            return None
        return self.substitutions.resolve(value)

    @property
    def resolved_namespace(self) -> Optional[str]:
        """The effective namespace with this application's variables resolved (a targetNamespace
        written as ``${NS}``); None when it is unknown."""
        if self.namespace is None or "${" not in self.namespace:
            return self.namespace
        return self.substitutions.resolve(self.namespace)


def format_chain(chain: Iterable[str]) -> str:
    """``a.yaml:9 Kustomization x → ./infra/x → helmrelease.yaml``: files shown relative to their folder."""
    out: list[str] = []
    folder = ""
    previous = ""
    for step in chain:
        if step.startswith("./"):
            folder = step[2:].rstrip("/")
            out.append(step)
        elif " " in step:  # a Kustomization or entrypoint label; its file step is redundant
            if out and previous and step.startswith(previous + ":"):
                out.pop()
            out.append(step)
            folder = ""
        else:
            shown = step[len(folder) + 1:] if folder and step.startswith(folder + "/") else step
            out.append(shown)
            if step.endswith("/"):
                folder = step.rstrip("/")
        previous = step
    return " → ".join(out)


@dataclass(frozen=True)
class GraphEvent:
    """Something the graph walk found wrong; the flux rules turn these into findings."""

    rule: str
    path: str
    pos: Pos
    message: str
    resource: str = ""
    key: str = ""
    severity: str = ""  # overrides the rule's default when the walk cannot be sure


@dataclass
class KsNode:
    doc: Document
    path: Optional[str]  # resolved spec.path (None: escaped, missing or external)
    parent: Optional["KsNode"]
    children: list["KsNode"] = field(default_factory=list)
    objects: list[Applied] = field(default_factory=list)
    external: bool = False  # its source is another repository
    namespace: Optional[str] = None  # the Flux Kustomization's own effective namespace
    spec: dict[str, Any] = field(default_factory=dict)  # spec after the parent's patches
    root: Optional[Document] = None  # the entrypoint of its tree
    synthetic: bool = False  # stands for a FluxInstance sync (no file holds this Kustomization)
    unresolved: bool = False  # its path has variables whose values are unknown: not followed
    substitutions: Substitutions = field(default_factory=Substitutions)
    source: tuple[str, str, str] = ("", "", "")  # (kind, namespace, name) of its sourceRef

    @property
    def name(self) -> str:
        return self.doc.name

    @property
    def label(self) -> str:
        return ks_label(self.doc)

    def walk(self) -> "Iterable[KsNode]":
        stack = [self]
        while stack:
            node = stack.pop(0)
            yield node
            stack[0:0] = node.children


@dataclass
class FluxGraph:
    entrypoints: list[Document] = field(default_factory=list)
    roots: list[KsNode] = field(default_factory=list)
    applied: list[Applied] = field(default_factory=list)
    reached_files: set[str] = field(default_factory=set)  # files whose documents Flux applies
    referenced_files: set[str] = field(default_factory=set)  # files some reached kustomization mentions
    remote_resources: list[tuple[str, str]] = field(default_factory=list)  # (kustomization file, url)
    events: list[GraphEvent] = field(default_factory=list)
    has_flux: bool = False  # False: no entrypoint and no Flux Kustomization; all counts as applied
    mode: str = "entrypoints"  # entrypoints | inferred-roots | no-flux
    # Sources Flux creates itself for an entrypoint (gotk-sync, FluxInstance): (kind, ns, name).
    implicit_sources: set[tuple[str, str, str]] = field(default_factory=set)
    excluded_files: set[str] = field(default_factory=set)  # files the source artifact leaves out
    tooling: Any = None  # what tooling (Taskfiles, scripts, helmfiles) names, indexed when first asked
    # Inline patch texts parsed once for this graph (and the checks that read the same patches).
    patches: PatchCache = field(default_factory=PatchCache)

    @property
    def nodes(self) -> list[KsNode]:
        return [node for root in self.roots for node in root.walk()]

