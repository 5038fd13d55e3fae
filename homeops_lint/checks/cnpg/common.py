"""What every cnpg- check shares: the names CloudNativePG looks things up by, each applied object
as one Flux Kustomization applies it (``View``), its spec after the kustomize patches of its build,
and the collector that reports a defect of a shared file once."""
from __future__ import annotations

import difflib
import posixpath
from dataclasses import dataclass, field
from typing import Any, Iterable, Optional

from ...classify import KUSTOMIZATION_NAMES, kustomize_patch_files
from ...context import Context
from ...flux import Applied, Patch, patched_spec
from ...model import DocClass, Document, KeyPath, Severity, resource_id

PLUGIN = "barman-cloud.cloudnative-pg.io"
CNPG_GROUP = "postgresql.cnpg.io"
BARMAN_GROUP = "barmancloud.cnpg.io"
PARAMETER_KEYS = ("barmanObjectName", "serverName")
RETENTION_HELP = "a number followed by d, w or m, e.g. 30d"
DAILY_EXAMPLE = "0 0 3 * * *"


# --- issues, grouped so that a shared file is reported once --------------------------------------
@dataclass(frozen=True)
class Issue:
    rule: str
    doc: Document
    key: KeyPath
    code: str  # what is wrong, independent of names (groups the same defect across applications)
    message: str  # with names resolved for this application
    generic: str = ""  # with names as written (used when applications disagree); default: message
    value: bool = False
    mask: tuple[str, ...] = ()
    severity: Optional[Severity] = None  # overrides the rule's default for this finding


@dataclass
class Collector:
    ctx: Context
    groups: dict[tuple[Any, ...], list[tuple[Optional[Applied], Issue]]] = field(default_factory=dict)

    def add(self, app: Optional[Applied], issue: Issue) -> None:
        if not self.ctx.enabled(issue.rule):
            return
        # Keyed by position, not key path: parameters shared through a YAML alias are one defect.
        pos = issue.doc.pos(*issue.key, value=issue.value)
        code = issue.code.split(":", 1)[0] if ":" in issue.code else issue.code
        self.groups.setdefault((issue.rule, id(issue.doc), pos.line, pos.column, code), []).append((app, issue))

    def flush(self) -> None:
        for entries in self.groups.values():
            first_app, first = entries[0]
            messages = {issue.message for _, issue in entries}
            message = first.message if len(messages) == 1 else (first.generic or first.message)
            including = _kustomizations(self.ctx.index.applications(first.doc))
            if len(including) > 1:
                affected = _kustomizations([app for app, _ in entries if app is not None])
                message += _shared_note(affected, including)
            namespaces = {app.resolved_namespace for app, _ in entries if app is not None}
            namespace = next(iter(namespaces)) if len(namespaces) == 1 else None
            names = {app.resolve(first.doc.name) for app, _ in entries if app is not None}
            name = next(iter(names)) if len(names) == 1 and None not in names else first.doc.name
            resource = resource_id(first.doc.kind, namespace, name or first.doc.name)
            self.ctx.report(first.rule, first.doc, first.key, message, value=first.value,
                            resource=resource, mask=tuple(m for _, i in entries for m in i.mask),
                            severity=first.severity)


def _kustomizations(apps: Iterable[Applied]) -> list[str]:
    names: dict[int, str] = {}
    for app in apps:
        ks = app.kustomization
        names.setdefault(id(ks), ks.name if ks is not None else app.doc.path)
    return sorted(names.values())


def _shared_note(affected: list[str], including: list[str]) -> str:
    def listed(names: list[str]) -> str:
        return ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")

    if len(affected) >= len(including):
        return (f" [this file is included by {len(including)} Flux Kustomizations ({listed(including)});"
                " fix it once here]")
    return (f" [in {len(affected)} of the {len(including)} Flux Kustomizations that include this file:"
            f" {listed(affected)}]")


# --- names per application -----------------------------------------------------------------------
def same_ns(a: Optional[str], b: Optional[str]) -> bool:
    return a is None or b is None or a == b


def quoted(raw: Any, resolved: Optional[str]) -> str:
    """'name', or "'${APP}-db' (authentik-db)" when a substitution changed it."""
    if isinstance(raw, str) and resolved is not None and raw != resolved:
        return f"'{raw}' ({resolved})"
    return f"'{resolved if resolved is not None else raw}'"


def _with_article(word: str) -> str:
    return ("an " if word[:1].lower() in "aeiou" else "a ") + word


def in_ns(ns: Optional[str]) -> str:
    return f"namespace '{ns}'" if ns else "its namespace"


@dataclass
class View:
    """One applied object as one Flux Kustomization applies it."""

    app: Applied
    name: Optional[str]  # resolved metadata.name; None when unknown

    @property
    def doc(self) -> Document:
        return self.app.doc

    @property
    def ns(self) -> Optional[str]:
        return self.app.resolved_namespace

    def resolve(self, value: Any) -> Optional[str]:
        return self.app.resolve(value)

    def where(self) -> str:
        return f"{self.doc.path}:{self.doc.pos('metadata', 'name').line}"


def applied_views(ctx: Context, kind: str, group: str) -> list[View]:
    """Applied objects of a kind; a file a kustomization uses as a patch is not an object (without
    Flux every file counts as applied, e.g. ``patches/affinity.yaml`` with ``name: not-used``)."""
    patch_files = ctx.index.derived("kustomize-patch-files", lambda: kustomize_patch_files(
        ctx.index.documents_of(DocClass.KUSTOMIZE)))
    return [View(app, app.resolve(app.doc.name) if app.doc.name else None)
            for app in ctx.index.applied_of_kind(kind, group=group) if app.doc.path not in patch_files]


# --- kustomize patches the build applies to an object -------------------------------------------
def _kustomization_at(ctx: Context, folder: str) -> Optional[Document]:
    for name in KUSTOMIZATION_NAMES:
        source = ctx.index.file(f"{folder}/{name}" if folder else name)
        if source is not None and source.documents:
            return source.documents[0]
    return None


def _folder_patches(ctx: Context, folder: str, depth: int = 0) -> list[Patch]:
    """The patches of the kustomization in ``folder`` and of the components it includes."""
    from ... import yamlload

    kustomization = _kustomization_at(ctx, folder)
    data = kustomization.data if kustomization is not None else None
    if not isinstance(data, dict) or depth > 8:
        return []

    def body(ref: Any) -> Any:
        if not isinstance(ref, str):
            return None
        if "\n" in ref or ref.lstrip().startswith(("-", "{", "[", "apiVersion")):
            try:
                return yamlload.load_one(ref)
            except ValueError:
                return None
        source = ctx.index.file(posixpath.normpath(posixpath.join(folder, ref)))
        return source.documents[0].data if source is not None and source.documents else None

    inline = [p for p in data.get("patches") or [] if isinstance(p, dict) and isinstance(p.get("patch"), str)] \
        if isinstance(data.get("patches"), list) else []
    patches: list[Patch] = list(ctx.index.graph.patches.inline(inline))
    for section in ("patches", "patchesJson6902"):
        for item in data.get(section) or [] if isinstance(data.get(section), list) else []:
            if isinstance(item, dict) and isinstance(item.get("path"), str):
                patches.append((body(item["path"]), item.get("target")))
    for item in data.get("patchesStrategicMerge") or [] if isinstance(data.get("patchesStrategicMerge"), list) else []:
        patches.append((body(item), None))
    for component in data.get("components") or [] if isinstance(data.get("components"), list) else []:
        if isinstance(component, str) and "://" not in component:
            path = posixpath.normpath(posixpath.join(folder, component))
            if not path.startswith(".."):
                patches.extend(ctx.index.derived(("cnpg-folder-patches", path),
                                                 lambda path=path: _folder_patches(ctx, path, depth + 1)))
    return [p for p in patches if p[0] is not None]


def effective_spec(ctx: Context, view: "View") -> Any:
    """The object's spec after the kustomize patches of the folders that build it (a Component
    that adds ``spec.backup`` to every Cluster, for one)."""
    patches: list[Patch] = []
    seen: set[str] = set()
    for step in view.app.local_chain:  # from the Flux Kustomization that builds it
        if " " in step or ctx.index.file(step.rstrip("/")) is not None:
            continue  # a Kustomization label or a file
        folder = posixpath.normpath(step.rstrip("/")) if step not in ("", ".", "./") else ""
        folder = "" if folder == "." else folder
        if folder not in seen:
            seen.add(folder)
            patches.extend(ctx.index.derived(("cnpg-folder-patches", folder),
                                             lambda folder=folder: _folder_patches(ctx, folder)))
    ks = view.app.kustomization
    components = ks.get("spec", "components") if ks is not None else None
    base = ks.get("spec", "path") if ks is not None else None
    if isinstance(components, list) and isinstance(base, str) and "${" not in base:
        # components a Flux Kustomization adds to its build (spec.components, relative to spec.path)
        for component in components:
            if isinstance(component, str) and "://" not in component and "${" not in component:
                path = posixpath.normpath(posixpath.join(base.strip().lstrip("./") or ".", component))
                if not path.startswith("..") and path not in seen:
                    seen.add(path)
                    patches.extend(ctx.index.derived(("cnpg-folder-patches", path),
                                                     lambda path=path: _folder_patches(ctx, path)))
    if not seen and "/" in view.doc.path:
        # Without Flux there is no build chain: the kustomization beside the file builds it.
        folder = view.doc.path.rsplit("/", 1)[0]
        patches.extend(ctx.index.derived(("cnpg-folder-patches", folder), lambda: _folder_patches(ctx, folder)))
    spec = view.doc.get("spec")
    return patched_spec(view.doc, view.ns, patches) if patches else spec


def lookup(views: list[View], name: str, ns: Optional[str]) -> list[View]:
    """Views that are (or, with an unknown name or namespace, may be) ``ns/name``."""
    return [v for v in views if (v.name is None or v.name == name) and same_ns(v.ns, ns)]


def not_found_hint(ctx: Context, views: list[View], kind: str, group: str, name: str,
                    ns: Optional[str]) -> str:
    """Why a same-named object does not count: other namespace, unapplied file, or a near miss."""
    elsewhere = sorted({v.ns for v in views if v.name == name and v.ns and v.ns != ns})
    if elsewhere:
        return (f"; {_with_article(kind)} '{name}' exists only in namespace {', '.join(elsewhere)}, "
                "and it is looked up in the same namespace only")
    unapplied = [d for d in ctx.index.all_of_kind(kind, group=group)
                 if d.name == name and not ctx.index.is_applied(d)]
    if unapplied:
        return (f"; {unapplied[0].path} defines {_with_article(kind)} '{name}', but no Flux Kustomization applies "
                "that file")
    local = sorted({v.name for v in views if v.name and same_ns(v.ns, ns)})
    close = difflib.get_close_matches(name, local, n=1, cutoff=0.6)
    if close:
        return f"; did you mean '{close[0]}'?"
    if local:
        return f"; {kind}s in {in_ns(ns)}: {', '.join(local[:6])}"
    return ""


