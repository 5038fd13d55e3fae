"""Stage 4b: the Flux graph — what Flux actually applies, and how it gets there.

Semantics (domain.md §5.3): start at the entrypoints (the ``flux-system`` Kustomization of a
``flux bootstrap`` repo, a FluxInstance or flux-instance HelmRelease sync path, or the policy's
``flux.entrypoints``), plus Flux Kustomizations no entrypoint reaches that tooling applies by hand
(a Taskfile's ``kubectl apply -k kubernetes/flux/config``), which join the cluster they overlap. A
GitRepository whose URL is the synced repository is this repository, whatever its name; a
FluxInstance nothing installs is a stale copy when another one is installed. Build each Flux Kustomization's ``spec.path``: a folder with a kustomization
file yields exactly what that file lists (resources and components, files and folders, recursively);
a folder without one yields every ``*.yaml``/``*.yml`` file below it, stopping at sub-folders that
have their own kustomization file (which are built as folders). The path is relative to the source
artifact's root: the repository root for a GitRepository, the folder CI pushes (``flux push
artifact --path``) for an OCIRepository this repository produces. Files the source artifact excludes
(``.github/``, ``.sops.yaml``, ``.sourceignore`` patterns, ...) do not exist for Flux. Child Flux
Kustomizations found in a build are followed in turn, after the parent's substitutions and
``spec.patches`` are applied to them. Remote resources are recorded, never fetched. Nothing
outside the root is ever read.
"""
from __future__ import annotations

import base64
import binascii
import posixpath
import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator, Optional

from .classify import KUSTOMIZATION_NAMES, YAML_SUFFIXES
from .model import DocClass, Document, FileKind, Map, Pos, SourceFile

KUSTOMIZE_GROUP = "kustomize.toolkit.fluxcd.io"
HELM_GROUP = "helm.toolkit.fluxcd.io"
SOURCE_GROUP = "source.toolkit.fluxcd.io"
# ``${var}`` and the envsubst forms Flux accepts (drone/envsubst): defaults (``-``, ``:-``, ``=``,
# ``:=``) and string operations (``^^``, ``,,``, ``#``, ``%``, ``/``, ``:offset``). ``$${var}`` is
# an escape and never a variable.
VAR_RE = re.compile(r"(?<!\$)\$\{(#?)([_a-zA-Z][_a-zA-Z0-9]*)((?::?[-=])([^}]*)|[^}]*)\}")
REMOTE_RE = re.compile(r"^(?:[a-z][a-z0-9+.-]*://|git@|github\.com/|gitlab\.com/|bitbucket\.org/)", re.I)
SUBSTITUTE_OPT_OUT = "kustomize.toolkit.fluxcd.io/substitute"

# Kinds that are cluster-scoped: a namespace transformer never touches them.
CLUSTER_SCOPED = frozenset({
    "Namespace", "CustomResourceDefinition", "ClusterRole", "ClusterRoleBinding", "StorageClass",
    "PriorityClass", "PersistentVolume", "Node", "ValidatingWebhookConfiguration",
    "MutatingWebhookConfiguration", "APIService", "IngressClass", "RuntimeClass", "CSIDriver", "CSINode",
    "VolumeAttachment", "VolumeSnapshotClass", "ClusterIssuer", "ClusterSecretStore", "ClusterExternalSecret",
    "CiliumLoadBalancerIPPool", "CiliumBGPPeeringPolicy", "CiliumBGPClusterConfig", "CiliumBGPPeerConfig",
    "CiliumBGPAdvertisement", "CiliumBGPNodeConfigOverride", "CiliumL2AnnouncementPolicy",
    "CiliumClusterwideNetworkPolicy", "CiliumPodIPPool", "CiliumNode", "CiliumCIDRGroup",
    "GatewayClass", "ClusterPolicy", "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding",
    "ClusterImagePolicy", "FlowSchema", "PriorityLevelConfiguration", "ClusterGenerator",
    "ClusterPushSecret", "ImageContentSourcePolicy", "NodeFeatureRule", "ClusterTriggerAuthentication",
    "MutatingAdmissionPolicy", "MutatingAdmissionPolicyBinding", "ClusterCleanupPolicy",
})

# source-controller's default artifact exclusions (domain.md §5.3 rule 5), in gitignore syntax.
DEFAULT_SOURCE_IGNORE = (
    ".git/", ".gitignore", ".gitmodules", ".gitattributes",
    "*.jpg", "*.jpeg", "*.gif", "*.png", "*.wmv", "*.flv", "*.tar.gz", "*.zip",
    ".github/", ".circleci/", ".travis.yml", ".gitlab-ci.yml", "appveyor.yml", ".drone.yml",
    "cloudbuild.yaml", "codeship-services.yml", "codeship-steps.yml",
    "**/.goreleaser.yml", "**/.sops.yaml", "**/.flux.yaml",
)

Build = list[tuple[Document, Optional[str], tuple[str, ...]]]  # (doc, kustomize namespace, chain)


def is_flux_kustomization(doc: Document) -> bool:
    return doc.kind == "Kustomization" and doc.group == KUSTOMIZE_GROUP


def kustomization_files(files: Iterable[SourceFile]) -> Iterator[tuple[SourceFile, dict[str, Any]]]:
    """Each kustomization file (``kustomization.yaml`` and its other names) whose first document
    is a mapping, with that mapping."""
    for source in files:
        if source.path.rsplit("/", 1)[-1] in KUSTOMIZATION_NAMES and source.documents \
                and isinstance(source.documents[0].data, dict):
            yield source, source.documents[0].data


def kustomization_entries(kdoc: Document) -> Iterator[tuple[str, int, str, Pos]]:
    """(section, index, entry, position) of each ``resources``/``components``/``bases`` entry of a
    kustomization file, stripped, in file order; entries that are not strings are left out."""
    data = kdoc.data
    for section in ("resources", "components", "bases"):
        entries = data.get(section) if isinstance(data, dict) else None
        if not isinstance(entries, list):
            continue
        for index, entry in enumerate(entries):
            if isinstance(entry, str) and entry.strip():
                pos = entries.item_pos(index) if hasattr(entries, "item_pos") else kdoc.pos(section)
                yield section, index, entry.strip(), pos


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


@dataclass
class Substitutions:
    """The postBuild variables a Flux Kustomization provides, with where each is defined."""

    values: dict[str, str] = field(default_factory=dict)
    locations: dict[str, tuple[str, Pos]] = field(default_factory=dict)
    # substituteFrom entries that could not be read (missing objects, generated by an
    # ExternalSecret): any undefined variable may come from them, so it is unknown, not undefined.
    opaque_sources: list[str] = field(default_factory=list)
    # Variables that are defined but whose values cannot be read (SOPS-encrypted Secret keys).
    opaque_names: set[str] = field(default_factory=set)
    # Flux substitutes only when the Kustomization has postBuild variables (inline or from objects).
    enabled: bool = True
    # Where each substituteFrom entry was found: "Kind/name" -> file, or "" when it was not found.
    resolved_from: dict[str, str] = field(default_factory=dict)

    def defined(self, name: str) -> Optional[bool]:
        """True when the variable is defined, False when it is certainly not, None when unknown."""
        if name in self.values or name in self.opaque_names:
            return True
        return None if self.opaque_sources else False

    def resolve(self, text: str) -> Optional[str]:
        """Substitute ``${VAR}``/``${VAR:=default}``; None when any variable is unknown."""
        if "${" not in text:
            return text
        unknown = False

        def repl(match: "re.Match[str]") -> str:
            nonlocal unknown
            length, name, rest, default = match.group(1), match.group(2), match.group(3), match.group(4)
            value = self.values.get(name)
            if default is not None:  # ${v-d} ${v:-d} ${v=d} ${v:=d}; with ':' an empty value counts as unset
                if value is None and (name in self.opaque_names or self.opaque_sources):
                    unknown = True  # defined in, or maybe defined in, a source we cannot read
                    return match.group(0)
                if value is None or (rest.startswith(":") and value == ""):
                    return default
                return value
            if value is None or (rest and not length):
                unknown = True  # unknown variable, or a string operation we do not evaluate
                return match.group(0)
            return str(len(value)) if length else value

        out = VAR_RE.sub(repl, text)
        return None if unknown else out.replace("$${", "${")


EMPTY_SUBST = Substitutions(enabled=False)


def variables_in(text: str) -> list[tuple[str, bool]]:
    """``(name, has_default)`` for each substitution variable in ``text``."""
    return [(m.group(2), m.group(4) is not None) for m in VAR_RE.finditer(text)]


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

    @property
    def nodes(self) -> list[KsNode]:
        return [node for root in self.roots for node in root.walk()]


# --- the source artifact: which files exist for Flux ----------------------------------------
def _glob_regex(pattern: str) -> str:
    out = ""
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out += "(?:.*/)?"
            i += 3
        elif pattern.startswith("**", i):
            out += ".*"
            i += 2
        elif pattern[i] == "*":
            out += "[^/]*"
            i += 1
        elif pattern[i] == "?":
            out += "[^/]"
            i += 1
        else:
            out += re.escape(pattern[i])
            i += 1
    return out


@dataclass(frozen=True)
class _IgnoreRule:
    regex: "re.Pattern[str]"
    negate: bool
    dir_only: bool


def _ignore_rules(text: str, base: str) -> list[_IgnoreRule]:
    """gitignore-syntax lines (``.sourceignore``, ``GitRepository.spec.ignore``) relative to ``base``."""
    rules = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        negate = line.startswith("!")
        line = line[1:] if negate else line
        dir_only = line.endswith("/")
        line = line.rstrip("/")
        if not line:
            continue
        anchored = "/" in line
        line = line.lstrip("/")
        prefix = re.escape(base + "/") if base else ""
        body = _glob_regex(line)
        regex = prefix + body if anchored else prefix + "(?:.*/)?" + body
        rules.append(_IgnoreRule(re.compile(regex + "$"), negate, dir_only))
    return rules


class _IgnoreMatcher:
    """Ordered ignore rules, with one combined regex per candidate type (folder, file) that
    rejects the common case (no rule matches) in a single match, and a memo of folder verdicts
    (every file below a folder asks the same question)."""

    def __init__(self, rules: list[_IgnoreRule]) -> None:
        self.rules = rules
        self.file_rules = [rule for rule in rules if not rule.dir_only]
        self.any_dir = self._combined(rules)
        self.any_file = self._combined(self.file_rules)
        self.dir_memo: dict[str, bool] = {}

    @staticmethod
    def _combined(rules: list[_IgnoreRule]) -> "Optional[re.Pattern[str]]":
        if not rules:
            return None
        return re.compile("|".join(f"(?:{rule.regex.pattern})" for rule in rules))

    def _state(self, candidate: str, is_dir: bool) -> bool:
        """The verdict of the last rule that matches ``candidate`` (False when none does)."""
        combined = self.any_dir if is_dir else self.any_file
        if combined is None or not combined.match(candidate):
            return False
        state = False
        for rule in self.rules if is_dir else self.file_rules:
            if rule.regex.match(candidate):
                state = not rule.negate
        return state

    def dir_state(self, candidate: str) -> bool:
        state = self.dir_memo.get(candidate)
        if state is None:
            state = self.dir_memo[candidate] = self._state(candidate, True)
        return state


def _excluded(path: str, rules: "list[_IgnoreRule] | _IgnoreMatcher") -> bool:
    matcher = rules if isinstance(rules, _IgnoreMatcher) else _IgnoreMatcher(rules)
    parts = path.split("/")
    # a folder that is ignored hides everything below it; a later rule cannot re-include it
    for depth in range(1, len(parts)):
        if matcher.dir_state("/".join(parts[:depth])):
            return True
    return matcher._state(path, False)


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
                self.dirs.setdefault(parent, []).append(child)
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


def artifact_view(files: list[SourceFile], spec_ignore: Optional[str]) -> tuple[list[SourceFile], set[str]]:
    """The files of the Flux source artifact, and those it excludes.

    ``GitRepository.spec.ignore`` replaces the default exclusions; ``.sourceignore`` files add
    patterns relative to their folder (domain.md §5.3 rule 5).
    """
    rules = _ignore_rules(spec_ignore if spec_ignore is not None else "\n".join(DEFAULT_SOURCE_IGNORE), "")
    for source in files:
        name = source.path.rsplit("/", 1)[-1]
        if name == ".sourceignore" and source.text:
            base = source.path.rsplit("/", 1)[0] if "/" in source.path else ""
            rules.extend(_ignore_rules(source.text, base))
    kept, dropped = [], set()
    matcher = _IgnoreMatcher(rules)
    for source in files:
        if _excluded(source.path, matcher):
            dropped.add(source.path)
        else:
            kept.append(source)
    return kept, dropped


# --- patches a parent Kustomization applies to its children ----------------------------------
def _merge(base: Any, patch: Any) -> Any:
    """JSON merge patch (RFC 7386), which is what a strategic merge does for custom resources."""
    if isinstance(base, dict) and isinstance(patch, dict):
        out = dict(base)
        for key, value in patch.items():
            if value is None:
                out.pop(key, None)
            else:
                out[key] = _merge(base.get(key), value)
        return out
    return patch


def _target_matches(target: Any, doc: Document, namespace: Optional[str]) -> bool:
    if not isinstance(target, dict):
        return False
    checks = {"group": doc.group, "kind": doc.kind, "name": doc.name, "namespace": namespace or ""}
    for key, actual in checks.items():
        wanted = target.get(key)
        if isinstance(wanted, str) and wanted:
            try:
                if not re.fullmatch(wanted, actual):
                    return False
            except re.error:
                if wanted != actual:
                    return False
    version = target.get("version")
    if isinstance(version, str) and version and not doc.api_version.endswith("/" + version):
        return False
    selector = target.get("labelSelector")
    if isinstance(selector, str) and selector:
        labels = doc.labels()
        for term in selector.split(","):
            term = term.strip()
            if "!=" in term or " in " in term or " notin " in term:
                continue  # set-based selectors: assume they match (never drop a patch wrongly)
            key, _, value = term.partition("=")
            key, value = key.strip(), value.lstrip("=").strip()
            if key.startswith("!"):
                if key[1:] in labels:
                    return False
            elif key not in labels or (value and labels[key] != value):
                return False
    return True


def _json6902(spec: dict[str, Any], ops: list[Any]) -> dict[str, Any]:
    """Apply the add/replace/remove operations of a JSON6902 patch that touch ``/spec``."""
    data: dict[str, Any] = {"spec": spec}
    for op in ops:
        if not isinstance(op, dict) or not isinstance(op.get("path"), str):
            continue
        steps = [s.replace("~1", "/").replace("~0", "~") for s in op["path"].strip("/").split("/")]
        if not steps or steps[0] != "spec":
            continue
        node: Any = data
        for step in steps[:-1]:
            if isinstance(node, dict):
                node = node.setdefault(step, {}) if op.get("op") == "add" else node.get(step)
            elif isinstance(node, list) and step.isdigit() and int(step) < len(node):
                node = node[int(step)]
            else:
                node = None
            if node is None:
                break
        last = steps[-1]
        if isinstance(node, dict):
            if op.get("op") in ("add", "replace"):
                node[last] = op.get("value")
            elif op.get("op") == "remove":
                node.pop(last, None)
        elif isinstance(node, list) and op.get("op") == "add":
            if last == "-":
                node.append(op.get("value"))
            elif last.isdigit():
                node.insert(int(last), op.get("value"))
    spec_out = data.get("spec")
    return spec_out if isinstance(spec_out, dict) else spec


Patch = tuple[Any, Any]  # (parsed patch body: a mapping or a JSON6902 list, its target or None)


def inline_patches(patches: Any) -> list[Patch]:
    """The ``spec.patches`` of a Flux Kustomization (inline strings), parsed."""
    out: list[Patch] = []
    if not isinstance(patches, list):
        return out
    from . import yamlload

    for item in patches:
        if isinstance(item, dict) and isinstance(item.get("patch"), str):
            text = item["patch"]
            cached = _PATCH_CACHE.get(text, _MISSING)
            if cached is _MISSING:
                try:
                    cached = yamlload.load_one(text)
                except ValueError:
                    cached = _INVALID
                # A mapping body is only read (``_merge`` copies what it changes), so every child
                # can share one parse; a JSON6902 list can have its inserted values mutated by a
                # later operation of the same patch, so it is parsed afresh for each child.
                if not isinstance(cached, list):
                    _PATCH_CACHE[text] = cached
            if cached is _INVALID:
                continue
            out.append((cached, item.get("target")))
    return out


_MISSING = object()
_INVALID = object()
# patch text -> its parsed (read-only) body; one parent's patches apply to each of its children
_PATCH_CACHE: dict[str, Any] = {}


def patched_spec(doc: Document, namespace: Optional[str], patches: list[Patch]) -> dict[str, Any]:
    """``doc``'s spec after the patches (parent ``spec.patches``, kustomize ``patches``) that target it."""
    spec = doc.get("spec")
    out: dict[str, Any] = dict(spec) if isinstance(spec, dict) else {}
    for body, target in patches:
        if isinstance(body, list):
            if _target_matches(target, doc, namespace):
                # the operations are copied too: one parsed patch serves every Kustomization it
                # targets, and a later operation must not edit a value an earlier one inserted there
                out = _json6902(_deep_copy(out), _deep_copy(body))
            continue
        if not isinstance(body, dict):
            continue
        if target is None:  # a strategic merge patch without target selects by its own kind/name
            meta = body.get("metadata") if isinstance(body.get("metadata"), dict) else {}
            target = {"kind": body.get("kind"), "name": meta.get("name")}
        if _target_matches(target, doc, namespace) and isinstance(body.get("spec"), dict):
            out = _merge(out, body["spec"])
    return out


def _deep_copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _deep_copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_deep_copy(v) for v in value]
    return value


# --- the OCI artifact a source serves ---------------------------------------------------------
Source = tuple[str, str, str]  # (kind, namespace, name) of a sourceRef


class _ArtifactRoots:
    """Where in the repository the root of an OCI artifact this repository produces lies.

    A GitRepository artifact is the repository itself, but ``flux push artifact --path=./kubernetes``
    packs one folder, and the ``spec.path`` of every Kustomization that syncs from that
    OCIRepository is relative to it. The folder comes from the push commands in the tooling
    (the one under which the path exists), else from the one folder D of the repository where
    ``D/<path>`` exists; one source has one artifact, so the first answer holds for every
    Kustomization of that source.
    """

    def __init__(self, tree: _Tree, tooling: Any) -> None:
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
class _Walker:
    def __init__(self, files: list[SourceFile], root_source_names: set[str],
                 shared: Optional["_Walker"] = None, tooling: Any = None) -> None:
        # Probe walkers share the folder tree and the kustomize patch scan of a first walker.
        self.tree = shared.tree if shared is not None else _Tree(files)
        self.artifacts = shared.artifacts if shared is not None else _ArtifactRoots(self.tree, tooling)
        self.graph = FluxGraph()
        self.source_names = root_source_names
        self.visiting: set[str] = set()
        self.kpatches = shared.kpatches if shared is not None else _kustomize_patches_by_doc(self.tree)
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
        patches = self.kpatches.get(id(ks), []) + (inline_patches(parent.spec.get("patches")) if parent else [])
        effective = patched_spec(ks, namespace, patches)
        node = KsNode(ks, None, parent, namespace=namespace, spec=effective, root=root or ks,
                      synthetic=synthetic)
        node.substitutions = substitutions_for(ks, effective)
        label = ks_label(ks)
        resource = f"Kustomization/{namespace}/{ks.name}"

        def text(value: Any) -> Optional[str]:
            """A string field of the child as Flux sees it: after the parent's substitutions."""
            if not isinstance(value, str):
                return None
            if "${" in value and parent_subst is not None and parent_subst.enabled:
                return parent_subst.resolve(value)
            return value

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
                    probe = _Walker([], set(), self)
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


def _kustomize_patches_by_doc(tree: _Tree) -> dict[int, list[Patch]]:
    """Patches that kustomization files apply to the Flux Kustomizations they list directly (how
    ``flux-system/kustomization.yaml`` adds ``decryption`` to the flux-system Kustomization),
    including the patches of the kustomize Components they list (a ``components/envsubst`` that
    gives every app's Kustomization ``postBuild.substituteFrom``)."""
    own: dict[str, list[Patch]] = {}  # kustomization file -> its own patches, parsed once
    out: dict[int, list[Patch]] = {}
    components: list[SourceFile] = []
    for source, data in kustomization_files(tree.files.values()):
        if data.get("kind") == "Component":
            components.append(source)
            continue
        _accumulate(tree, source, [], out, own, {source.path})
    # A Component is built as part of the kustomization that lists it; one that nothing lists
    # is judged on its own, like any kustomization file (never twice: its patches would repeat).
    for source in components:
        if source.path not in own:
            _accumulate(tree, source, [], out, own, {source.path})
    return out


def _accumulate(tree: _Tree, source: SourceFile, accumulated: list[Document],
                out: dict[int, list[Patch]], own: dict[str, list[Patch]], stack: set[str]) -> None:
    """Follow kustomize's order for one kustomization file: its resources join the build, each
    listed Component adds its resources and patches everything built so far (the including
    file's resources too), then the file's own patches apply to all of it."""
    data = source.documents[0].data
    folder = source.path.rsplit("/", 1)[0] if "/" in source.path else ""
    for entry in data.get("resources") or [] if isinstance(data.get("resources"), list) else []:
        target = normalize(folder, entry) if isinstance(entry, str) else None
        listed = tree.files.get(target) if target is not None else None
        accumulated.extend(doc for doc in (listed.documents if listed is not None else [])
                           if is_flux_kustomization(doc))
    for entry in data.get("components") or [] if isinstance(data.get("components"), list) else []:
        target = normalize(folder, entry) if isinstance(entry, str) and not is_remote(entry) else None
        component = tree.kustomization_file(target) if target is not None and tree.is_dir(target) else None
        if component is None or component.path in stack or len(stack) > 64 or not component.documents \
                or not isinstance(component.documents[0].data, dict):
            continue
        _accumulate(tree, component, accumulated, out, own, stack | {component.path})
    if source.path not in own:
        own[source.path] = _own_patches(tree, data, folder)
    if own[source.path]:
        for doc in accumulated:
            out.setdefault(id(doc), []).extend(own[source.path])


def _own_patches(tree: _Tree, data: dict[str, Any], folder: str) -> list[Patch]:
    """The ``patches``, ``patchesJson6902`` and ``patchesStrategicMerge`` of one kustomization
    file (inline or ``path:`` files) that can touch a Flux Kustomization."""
    from . import yamlload

    patches: list[Patch] = []

    def body_of(item: Any) -> Any:
        if isinstance(item, str) and ("\n" in item or ":" in item):
            try:
                return yamlload.load_one(item)
            except ValueError:
                return None
        if isinstance(item, str):
            target = normalize(folder, item)
            ref = tree.files.get(target) if target is not None else None
            return ref.documents[0].data if ref is not None and ref.documents else None
        return None

    for section in ("patches", "patchesJson6902"):
        for item in data.get(section) or [] if isinstance(data.get(section), list) else []:
            if isinstance(item, dict):
                body = body_of(item.get("patch")) if isinstance(item.get("patch"), str) else body_of(item.get("path"))
                if body is not None:
                    patches.append((body, item.get("target")))
    for item in data.get("patchesStrategicMerge") or [] if isinstance(data.get("patchesStrategicMerge"), list) else []:
        body = body_of(item)
        if body is not None:
            patches.append((body, None))
    return [p for p in patches if isinstance(p[0], list) or (
        isinstance(p[0], dict) and p[0].get("kind") in (None, "Kustomization"))]


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
                    values = item.get(key)
                    for f in values if isinstance(values, list) else []:
                        if isinstance(f, str):
                            refs.append(f.split("=", 1)[-1])
                if isinstance(item.get("env"), str):
                    refs.append(item["env"])
    return refs


def effective_namespace(doc: Document, override: Optional[str]) -> Optional[str]:
    if doc.kind in CLUSTER_SCOPED:
        return None
    return override or doc.namespace


def substitutions_for(ks: Document, spec: Optional[dict[str, Any]] = None) -> Substitutions:
    """The inline variables and substituteFrom sources of a Flux Kustomization's (patched) spec."""
    if spec is None:
        raw = ks.get("spec")
        spec = raw if isinstance(raw, dict) else {}
    subst = Substitutions(enabled=False)
    post = spec.get("postBuild")
    if not isinstance(post, dict):
        return subst
    inline = post.get("substitute")
    if isinstance(inline, dict):
        for key, value in inline.items():
            if value is None:
                continue
            subst.values[str(key)] = value if isinstance(value, str) else _yaml11_text(value)
            where = inline.key_pos(key) if isinstance(inline, Map) else ks.pos("spec", "postBuild")
            subst.locations[str(key)] = (ks.path, where)
    refs = post.get("substituteFrom")
    if isinstance(refs, list):
        for ref in refs:
            if isinstance(ref, dict):
                subst.opaque_sources.append(f"{ref.get('kind', '?')}/{ref.get('name', '?')}")
    subst.enabled = bool(subst.values or subst.opaque_sources)
    return subst


def _yaml11_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _object_variables(doc: Document) -> tuple[dict[str, str], set[str]]:
    """(readable values, names whose values are encrypted) of a ConfigMap or Secret."""
    values: dict[str, str] = {}
    opaque: set[str] = set()
    for section in ("data", "stringData"):
        block = doc.get(section)
        if not isinstance(block, dict):
            continue
        for key, value in block.items():
            name = str(key)
            if doc.sops or (isinstance(value, str) and value.startswith("ENC[")):
                opaque.add(name)
            elif doc.kind == "Secret" and section == "data" and isinstance(value, str):
                try:
                    values[name] = base64.b64decode(value, validate=True).decode("utf-8")
                except (binascii.Error, ValueError, UnicodeDecodeError):
                    opaque.add(name)
            elif value is not None:
                values[name] = value if isinstance(value, str) else _yaml11_text(value)
    return values, opaque


def _resolve_substitute_from(graph: FluxGraph) -> None:
    """Read the substituteFrom ConfigMaps/Secrets that the same cluster applies in the
    Kustomization's namespace; unread sources stay opaque (their variables are unknown)."""
    objects: dict[tuple[int, str, str, str], Document] = {}
    for applied in graph.applied:
        if applied.doc.kind in ("ConfigMap", "Secret") and applied.doc.api_version == "v1":
            key = (id(applied.root), applied.doc.kind, applied.namespace or "", applied.doc.name)
            objects.setdefault(key, applied.doc)
    for node in graph.nodes:
        post = node.spec.get("postBuild")
        refs = post.get("substituteFrom") if isinstance(post, dict) else None
        if not isinstance(refs, list) or not refs:
            continue
        subst = node.substitutions
        inline = dict(subst.values)
        merged: dict[str, str] = {}
        opaque_names: set[str] = set()
        opaque_sources: list[str] = []
        for ref in refs:
            if not isinstance(ref, dict):
                continue
            kind, name = ref.get("kind"), ref.get("name")
            label = f"{kind}/{name}"
            doc = objects.get((id(node.root), str(kind), node.namespace or "", str(name)))
            if doc is None:
                opaque_sources.append(label)
                subst.resolved_from[label] = ""
                continue
            subst.resolved_from[label] = doc.path
            values, hidden = _object_variables(doc)
            for key, value in values.items():
                merged[key] = value
                opaque_names.discard(key)
                subst.locations.setdefault(key, (doc.path, doc.pos("data", key) if doc.get("data", key)
                                                 is not None else doc.pos("stringData", key)))
            for key in hidden:
                merged.pop(key, None)
                opaque_names.add(key)
        merged.update(inline)  # inline substitute beats substituteFrom
        subst.values.clear()
        subst.values.update(merged)
        subst.opaque_names = opaque_names - set(inline)
        subst.opaque_sources = opaque_sources
        subst.enabled = True


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
                   excluded: set[str], walker: "_Walker", tooling: "Mentions") -> list[Document]:
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
                    probe = _Walker(view, set(), walker)
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
            refs.extend(_file_refs(data.get(section)))
        for ref in refs:
            target = normalize(folder, ref.strip())
            if target is not None:
                listed.add(target)
    live = [(doc, sync) for doc, sync in synthetic if doc.path in listed or tooling.path(doc.path)]
    return live or synthetic


class _LazyMentions:
    """The tooling mentions of a run, indexed on first use (most repositories never ask)."""

    def __init__(self, files: list[SourceFile]) -> None:
        self.files = files
        self._text: Optional[str] = None
        self._index: Optional[Mentions] = None
        self._pushed: Optional[list[str]] = None

    @property
    def text(self) -> str:
        if self._text is None:
            self._text = tooling_text(self.files)
        return self._text

    @property
    def index(self) -> Mentions:
        if self._index is None:
            self._index = Mentions(self.text)
        return self._index

    @property
    def pushed(self) -> list[str]:
        """The folders tooling builds OCI artifacts from (``flux push artifact --path``)."""
        if self._pushed is None:
            self._pushed = pushed_artifact_paths(self.text)
        return self._pushed

    def __bool__(self) -> bool:
        return bool(self.index)

    def path(self, path: str) -> bool:
        return self.index.path(path)


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


def _kustomization_entry_events(tree: "_Tree", graph: FluxGraph) -> None:
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


def build_graph(files: list[SourceFile], entrypoint_paths: Iterable[str] = ()) -> FluxGraph:
    _PATCH_CACHE.clear()  # scoped to one run: a long-lived process must not accumulate patches
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
            path = normalize("", sync[0].lstrip("/"))
            if path in seen_paths:
                continue  # the same sync declared twice (HelmRelease and its values file, or a migration)
            seen_paths.add(path)
            synthetic.append((doc, sync))
    tooling = _LazyMentions(files)
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
    walker = _Walker(view, source_names, tooling=tooling)
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
        probe = _Walker(view, set(), walker)
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
            patches = inline_patches(doc.get(*base, "kustomize", "patches"))
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
    _resolve_substitute_from(graph)
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


# --- files that tooling applies by hand -----------------------------------------------------
_TOOLING_NAME = re.compile(
    r"^(?:taskfile.*|makefile|gnumakefile|justfile|\.justfile|helmfile.*|talconfig.*|talenv.*|"
    r"docker-compose.*|compose\.ya?ml)$|\.(?:sh|bash|zsh|fish|mk|just|ps1|py|nu)$", re.IGNORECASE)
_TOOLING_DIRS = (".taskfiles/", ".github/workflows/", ".gitea/workflows/", ".forgejo/workflows/", "scripts/",
                 "hack/", ".just/")


def tooling_text(files: list[SourceFile]) -> str:
    """Text of the files that apply things by hand: Taskfiles, scripts, helmfiles, CI workflows,
    Talos and talhelper configs (documentation is not tooling)."""
    parts = []
    for source in files:
        name = source.path.rsplit("/", 1)[-1]
        if not source.text or source.kind not in (FileKind.TEXT, FileKind.TEMPLATE, FileKind.YAML):
            continue
        tooling = bool(_TOOLING_NAME.search(name)) or any(
            source.path.startswith(d) or f"/{d}" in source.path for d in _TOOLING_DIRS)
        if not tooling and source.kind == FileKind.YAML:
            tooling = any(d.doc_class in (DocClass.TALOS, DocClass.TALHELPER) for d in source.documents)
        if tooling:
            parts.append(source.text)
    return "\n".join(parts)


def mentioned(path: str, text: str) -> bool:
    parts = path.split("/")
    name = parts[-1]
    stem = path if name not in ("kustomization.yaml", "kustomization.yml", "Kustomization") \
        else "/".join(parts[:-1])
    pieces = stem.split("/")
    for start in range(0, max(1, len(pieces) - 1)):
        if mentions(text, "/".join(pieces[start:])):
            return True
    return False


def mentions(text: str, word: str) -> bool:
    """``word`` occurs in ``text`` not glued to a word character, '.' or '-' on either side.

    A substring scan (C speed) with a boundary check at each hit; the tooling text of a large repo
    is megabytes and this runs for every candidate file.
    """
    if not word:
        return False
    at = text.find(word)
    while at != -1:
        end = at + len(word)
        before = text[at - 1] if at > 0 else ""
        after = text[end] if end < len(text) else ""
        if not _glued(before) and not _glued(after):
            return True
        at = text.find(word, at + 1)
    return False


class Mentions:
    """Which paths the tooling text names, answered from an index of its path-like tokens.

    ``mentions`` scans the text for every question; a large repository asks hundreds of them of
    megabytes of Taskfiles and scripts. A word made of path characters occurs unglued exactly
    when it is a run of whole ``/``-separated parts of one token, so each token's runs of two
    or more parts are indexed once. Other words fall back to the scan.
    """

    _TOKEN = re.compile(r"[\w.\-/]+")
    _MAX_PARTS = 12

    def __init__(self, text: str) -> None:
        self.text = text
        self.runs: set[str] = set()
        for token in self._TOKEN.findall(text):
            if "/" not in token:
                continue
            parts = token.split("/")
            for i in range(len(parts)):
                for j in range(i + 2, min(len(parts), i + self._MAX_PARTS) + 1):
                    self.runs.add("/".join(parts[i:j]))

    def __bool__(self) -> bool:
        return bool(self.text)

    def word(self, word: str) -> bool:
        if "/" in word and word.count("/") < self._MAX_PARTS and self._TOKEN.fullmatch(word) \
                and "" not in word.split("/"):
            return word in self.runs
        return mentions(self.text, word)

    def path(self, path: str) -> bool:
        """A file (or, for a kustomization file, its folder) is named by a suffix of at least two
        parts of its path."""
        parts = path.split("/")
        stem = path if parts[-1] not in KUSTOMIZATION_NAMES else "/".join(parts[:-1])
        pieces = stem.split("/")
        return any(self.word("/".join(pieces[start:])) for start in range(0, max(1, len(pieces) - 1)))


def _glued(char: str) -> bool:
    return bool(char) and (char.isalnum() or char in "_.-")


_ARTIFACT_COMMAND = re.compile(r"\bflux\s+(?:push|build)\s+artifact\b")
_PATH_FLAG = re.compile(r"""(?<![\w-])--path(?:=|[ \t]+)(?:"([^"\n]*)"|'([^'\n]*)'|([^\s"'\\;|&)]+))""")


def pushed_artifact_paths(text: str) -> list[str]:
    """The folders (relative to the root, ``""`` for the root) that ``flux push artifact`` or
    ``flux build artifact`` commands in the tooling text package, in order of appearance.

    A command continues over lines ending in ``\\`` and over following lines that start with a
    flag (a YAML folded block). Values made of variables or templates are not guessed.
    """
    out: list[str] = []
    for match in _ARTIFACT_COMMAND.finditer(text):
        end = text.find("\n", match.end())
        end = len(text) if end == -1 else end
        command = text[match.end():end]
        for _ in range(32):
            if end >= len(text):
                break
            following = text.find("\n", end + 1)
            following = len(text) if following == -1 else following
            line = text[end + 1:following]
            if not (command.rstrip().endswith("\\") or line.lstrip().startswith("--")):
                break
            command += "\n" + line
            end = following
        flag = _PATH_FLAG.search(command)
        if flag is None:
            continue
        value = next(group for group in flag.groups() if group is not None).strip()
        if not value or value.startswith("/") or "$" in value or "{{" in value or "%" in value:
            continue
        folder = normalize("", value)
        if folder is not None and folder not in out:
            out.append(folder)
    return out



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

    probe = _Walker(view, set(), tooling=graph.tooling)
    probe.graph.excluded_files = graph.excluded_files
    out: list[DeadFile] = []
    covered: set[str] = set()
    # 1. Flux Kustomizations in files nothing applies: report the topmost, cover what they reach.
    dead_ks = [d for f in view if not outside(f.path) for d in f.documents if is_flux_kustomization(d)]
    builds: dict[int, set[str]] = {}
    for doc in dead_ks:
        walker = _Walker(view, set(), probe)
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
            walker = _Walker(view, set(), probe)
            walker.build_folder(folder, ())
            covered.update(walker.graph.reached_files | walker.graph.referenced_files)
    dead_k = [f for f in unreached_k if not outside(f.path) and f.path not in covered]
    kbuilds: dict[str, set[str]] = {}
    for source in dead_k:
        folder = source.path.rsplit("/", 1)[0] if "/" in source.path else ""
        walker = _Walker(view, set(), probe)
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
