"""cnpg-: every CloudNativePG database is backed up through the barman-cloud plugin (rules/catalog/cnpg.yaml).

Facts these rules rest on (domain.md §4): the plugin is looked up by the exact name
``barman-cloud.cloudnative-pg.io``; it reads only the ``barmanObjectName`` and ``serverName``
parameters; it finds the ObjectStore by ``{Cluster namespace, barmanObjectName}``; ``serverName``
defaults to the Cluster's own name; a ScheduledBackup's ``method`` defaults to the in-tree
``barmanObjectStore``; the schedule is robfig/cron v1.2.0 with a leading seconds field.

Every object is judged once per Flux Kustomization that applies it, with that Kustomization's
effective namespace and ``postBuild`` substitutions. A name that cannot be resolved is unknown and
never makes something "missing". A defect in a file applied by several Kustomizations (a shared
kustomize Component) is reported once, at that file, with how many Kustomizations include it.
"""
from __future__ import annotations

import difflib
import posixpath
from dataclasses import dataclass, field
from typing import Any, Iterable, Optional

from ..classify import KUSTOMIZATION_NAMES, kustomize_patch_files
from ..context import Context
from ..flux import Applied, Patch, patched_spec
from ..model import DocClass, Document, KeyPath, Map, Severity, resource_id

FAMILIES = ("cnpg",)
PLUGIN = "barman-cloud.cloudnative-pg.io"
CNPG_GROUP = "postgresql.cnpg.io"
BARMAN_GROUP = "barmancloud.cnpg.io"
PARAMETER_KEYS = ("barmanObjectName", "serverName")
RETENTION_HELP = "a number followed by d, w or m, e.g. 30d"
DAILY_EXAMPLE = "0 0 3 * * *"

# ObjectStore schema (barmancloud.cnpg.io/v1, plugin v0.14): the keys each section accepts.
SPEC_KEYS = ("configuration", "retentionPolicy", "instanceSidecarConfiguration")
CONFIGURATION_KEYS = ("destinationPath", "endpointURL", "endpointCA", "s3Credentials", "azureCredentials",
                      "googleCredentials", "wal", "data", "tags", "historyTags")
WAL_KEYS = ("compression", "encryption", "maxParallel", "archiveAdditionalCommandArgs",
            "restoreAdditionalCommandArgs")
DATA_KEYS = ("compression", "encryption", "jobs", "immediateCheckpoint", "additionalCommandArgs")
CREDENTIAL_KEYS = {
    "s3Credentials": ("accessKeyId", "secretAccessKey", "region", "sessionToken", "inheritFromIAMRole"),
    "azureCredentials": ("connectionString", "storageAccount", "storageKey", "storageSasToken",
                         "inheritFromAzureAD", "useDefaultAzureCredentials"),
    "googleCredentials": ("applicationCredentials", "gkeEnvironment"),
}
CREDENTIAL_FLAGS = ("inheritFromIAMRole", "inheritFromAzureAD", "useDefaultAzureCredentials", "gkeEnvironment")
WAL_COMPRESSION = ("bzip2", "gzip", "lz4", "snappy", "xz", "zstd")
DATA_COMPRESSION = ("bzip2", "gzip", "lz4", "snappy")
ENCRYPTION = ("AES256", "aws:kms")
# Where a key found in the wrong section belongs.
HOME_OF = {
    **{k: "spec.configuration" for k in CONFIGURATION_KEYS},
    "retentionPolicy": "spec.retentionPolicy",
    "instanceSidecarConfiguration": "spec.instanceSidecarConfiguration",
    "maxParallel": "spec.configuration.wal",
    "archiveAdditionalCommandArgs": "spec.configuration.wal",
    "restoreAdditionalCommandArgs": "spec.configuration.wal",
    "jobs": "spec.configuration.data",
    "immediateCheckpoint": "spec.configuration.data",
    "additionalCommandArgs": "spec.configuration.data",
    "compression": "spec.configuration.wal or spec.configuration.data",
    "encryption": "spec.configuration.wal or spec.configuration.data",
    **{k: f"spec.configuration.{section}" for section, keys in CREDENTIAL_KEYS.items() for k in keys},
}


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
def _same_ns(a: Optional[str], b: Optional[str]) -> bool:
    return a is None or b is None or a == b


def _shown(raw: Any, resolved: Optional[str]) -> str:
    """'name', or "'${APP}-db' (authentik-db)" when a substitution changed it."""
    if isinstance(raw, str) and resolved is not None and raw != resolved:
        return f"'{raw}' ({resolved})"
    return f"'{resolved if resolved is not None else raw}'"


def _a(word: str) -> str:
    return ("an " if word[:1].lower() in "aeiou" else "a ") + word


def _in_ns(ns: Optional[str]) -> str:
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


def _views(ctx: Context, kind: str, group: str) -> list[View]:
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
    from .. import yamlload

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


def _lookup(views: list[View], name: str, ns: Optional[str]) -> list[View]:
    """Views that are (or, with an unknown name or namespace, may be) ``ns/name``."""
    return [v for v in views if (v.name is None or v.name == name) and _same_ns(v.ns, ns)]


def _not_found_hint(ctx: Context, views: list[View], kind: str, group: str, name: str,
                    ns: Optional[str]) -> str:
    """Why a same-named object does not count: other namespace, unapplied file, or a near miss."""
    elsewhere = sorted({v.ns for v in views if v.name == name and v.ns and v.ns != ns})
    if elsewhere:
        return (f"; {_a(kind)} '{name}' exists only in namespace {', '.join(elsewhere)}, and it is looked up "
                f"in the same namespace only")
    unapplied = [d for d in ctx.index.all_of_kind(kind, group=group)
                 if d.name == name and not ctx.index.is_applied(d)]
    if unapplied:
        return (f"; {unapplied[0].path} defines {_a(kind)} '{name}', but no Flux Kustomization applies "
                "that file")
    local = sorted({v.name for v in views if v.name and _same_ns(v.ns, ns)})
    close = difflib.get_close_matches(name, local, n=1, cutoff=0.6)
    if close:
        return f"; did you mean '{close[0]}'?"
    if local:
        return f"; {kind}s in {_in_ns(ns)}: {', '.join(local[:6])}"
    return ""


# --- the Cluster ---------------------------------------------------------------------------------
@dataclass
class PluginEntry:
    index: int
    entry: Map
    name: Optional[str]  # resolved

    @property
    def key(self) -> KeyPath:
        return ("spec", "plugins", self.index)

    @property
    def enabled(self) -> bool:
        return self.entry.get("enabled", True) is not False

    @property
    def archiver(self) -> bool:
        return self.entry.get("isWALArchiver") is True


def _plugins(cluster: View) -> list[PluginEntry]:
    plugins = cluster.doc.get("spec", "plugins")
    if not isinstance(plugins, list):
        return []
    return [PluginEntry(i, p, cluster.resolve(p.get("name")) if "name" in p else "")
            for i, p in enumerate(plugins) if isinstance(p, Map)]


def _barmanish(entry: PluginEntry) -> bool:
    params = entry.entry.get("parameters")
    return bool(entry.name and "barman" in entry.name.lower()) or (
        isinstance(params, dict) and "barmanObjectName" in params)


def _effective_server(cluster: View, params: Any) -> Optional[str]:
    """serverName, defaulting to the Cluster's own name (domain §4.2)."""
    if isinstance(params, dict) and "serverName" in params:
        return cluster.resolve(params.get("serverName"))
    return cluster.name


@dataclass(frozen=True)
class Backup:
    """How a Cluster is backed up, read from its spec after the kustomize patches of its build."""

    replica: bool  # a replica cluster: its source holds the backups
    in_tree: bool  # spec.backup.barmanObjectStore (deprecated, still works)
    snapshots: bool  # spec.backup.volumeSnapshot
    archivers: frozenset[str]  # names of enabled WAL-archiver plugins (barman-cloud or another CNPG-I plugin)
    plugins: frozenset[str]  # names of every enabled plugin; None-named (unknown ${VAR}) ones as ""
    declared: bool  # any backup configuration at all, even a disabled or misconfigured plugin

    @property
    def anything(self) -> bool:
        """Backed up by some mechanism (or by an unknown ``${VAR}`` plugin: never guess)."""
        return self.replica or self.in_tree or self.snapshots or bool(self.archivers) or "" in self.plugins


def backup_of(ctx: Context, cluster: View) -> Backup:
    spec = effective_spec(ctx, cluster)
    spec = spec if isinstance(spec, dict) else {}
    backup = spec.get("backup") if isinstance(spec.get("backup"), dict) else {}
    replica = spec.get("replica") if isinstance(spec.get("replica"), dict) else {}
    listed = [p for p in spec.get("plugins") or [] if isinstance(p, dict)] if isinstance(spec.get("plugins"), list) else []
    plugins = [p for p in listed if p.get("enabled", True) is not False]

    def name(entry: dict) -> str:
        return cluster.resolve(entry.get("name")) or ""

    return Backup(replica=replica.get("enabled") is True, in_tree=backup.get("barmanObjectStore") is not None,
                  snapshots=backup.get("volumeSnapshot") is not None,
                  archivers=frozenset(name(p) for p in plugins if p.get("isWALArchiver") is True),
                  plugins=frozenset(name(p) for p in plugins),
                  declared=bool(listed) or bool(backup) or replica.get("enabled") is True)


def _check_cluster(ctx: Context, out: Collector, cluster: View, stores: list[View], state: Backup) -> None:
    doc = cluster.doc
    spec = doc.get("spec")
    if not isinstance(spec, dict):
        return
    entries = _plugins(cluster)
    barman = [e for e in entries if e.name == PLUGIN]
    unknown_names = [e for e in entries if e.name is None]  # ${PLUGIN}: may be barman; never guess
    legacy = spec.get("backup", {}).get("barmanObjectStore") if isinstance(spec.get("backup"), dict) else None
    _check_legacy(out, cluster, spec, legacy is not None)
    if not barman and not unknown_names and not (state.anything and not _misnamed(entries)):
        _report_backup_missing(out, cluster, entries, stores)
    for entry in barman:
        if not entry.enabled:
            out.add(cluster.app, Issue(
                "cnpg-plugin-disabled", doc, entry.key + ("enabled",), "disabled",
                f"the barman-cloud plugin is set to enabled: false: CloudNativePG does not load it, so no WAL "
                f"is archived and every plugin backup fails with 'requested plugin is not available'; "
                f"remove 'enabled: false'", value=True))
    enabled_barman = [e for e in barman if e.enabled]
    if enabled_barman and not any(e.archiver for e in enabled_barman):
        entry = enabled_barman[0]
        key = entry.key + (("isWALArchiver",) if "isWALArchiver" in entry.entry else ("name",))
        out.add(cluster.app, Issue(
            "cnpg-wal-archiver-missing", doc, key, "not-archiver",
            "the barman-cloud plugin is not the WAL archiver (isWALArchiver defaults to false): no WAL is "
            "archived, so backups cannot be restored to a point in time and plugin backups wait for WAL "
            "forever; set isWALArchiver: true", value="isWALArchiver" in entry.entry))
    archivers = [e for e in entries if e.enabled and e.archiver]
    for extra in archivers[1:]:
        out.add(cluster.app, Issue(
            "cnpg-wal-archiver-conflict", doc, extra.key + ("isWALArchiver",), "two-archivers",
            f"more than one plugin is the WAL archiver (plugin {archivers[0].entry.get('name')!s} already is): "
            "CloudNativePG rejects the Cluster ('Cannot enable more than one WAL archiver plugin'); keep "
            "isWALArchiver: true on one plugin only"))
    if archivers and legacy is not None:
        out.add(cluster.app, Issue(
            "cnpg-wal-archiver-conflict", doc, archivers[0].key + ("isWALArchiver",), "archiver-and-legacy",
            "a WAL archiver plugin cannot be combined with spec.backup.barmanObjectStore: CloudNativePG rejects "
            "the Cluster; finish the migration by removing spec.backup.barmanObjectStore"))
    for entry in enabled_barman:
        params = entry.entry.get("parameters")
        _check_parameters(out, cluster, entry.key, params, required=True)
        if isinstance(params, dict):
            _check_store_ref(ctx, out, cluster, entry.key + ("parameters",), params, stores)
    _check_external_clusters(ctx, out, cluster, stores)
    _check_recovery(out, cluster, spec)


def _check_legacy(out: Collector, cluster: View, spec: dict, has_legacy: bool) -> None:
    doc = cluster.doc
    ns = cluster.ns
    if has_legacy:
        out.add(cluster.app, Issue(
            "cnpg-backup-legacy", doc, ("spec", "backup", "barmanObjectStore"), "in-tree",
            "spec.backup.barmanObjectStore is the in-tree backup path, deprecated since CloudNativePG 1.26 and "
            "announced for removal: move its destinationPath, endpoint, credentials, wal and data settings to "
            f"an ObjectStore (barmancloud.cnpg.io/v1) spec.configuration in {_in_ns(ns)}, move retentionPolicy "
            "to the ObjectStore's spec.retentionPolicy, replace this block with spec.plugins: [{name: "
            f"{PLUGIN}, isWALArchiver: true, parameters: {{barmanObjectName: <store>, serverName: "
            f"{cluster.name or '<cluster>'}}}}}] (keep the serverName the old archive used), and set "
            "ScheduledBackups to method: plugin",
            "spec.backup.barmanObjectStore is the in-tree backup path, deprecated since CloudNativePG 1.26 and "
            "announced for removal: move its settings to an ObjectStore's spec.configuration (retentionPolicy to "
            f"its spec.retentionPolicy), reference it from spec.plugins (name: {PLUGIN}, isWALArchiver: true, "
            "parameters barmanObjectName and the old serverName), and set ScheduledBackups to method: plugin"))
    elif isinstance(spec.get("backup"), dict) and "retentionPolicy" in spec["backup"]:
        out.add(cluster.app, Issue(
            "cnpg-backup-legacy", doc, ("spec", "backup", "retentionPolicy"), "orphan-retention",
            "spec.backup.retentionPolicy only applies to the in-tree barmanObjectStore and is ignored here: "
            "old backups are never deleted; set retentionPolicy on the ObjectStore (spec.retentionPolicy)"))
    externals = spec.get("externalClusters")
    if isinstance(externals, list):
        for i, ext in enumerate(externals):
            if isinstance(ext, dict) and ext.get("barmanObjectStore") is not None:
                out.add(cluster.app, Issue(
                    "cnpg-backup-legacy", doc, ("spec", "externalClusters", i, "barmanObjectStore"), "in-tree-ext",
                    f"externalClusters[{i}].barmanObjectStore is the deprecated in-tree path: describe the "
                    "source archive as an ObjectStore and use plugin: {name: " + PLUGIN + ", parameters: "
                    "{barmanObjectName: <store>, serverName: <source cluster name>}}"))


def _misnamed(entries: list[PluginEntry]) -> list[PluginEntry]:
    """Plugins meant to be barman-cloud (by name or parameters) under another name."""
    return [e for e in entries if e.name and e.name != PLUGIN and _barmanish(e)]


def _report_backup_missing(out: Collector, cluster: View, entries: list[PluginEntry], stores: list[View]) -> None:
    doc = cluster.doc
    wrong = _misnamed(entries)
    if wrong:
        entry = wrong[0]
        out.add(cluster.app, Issue(
            "cnpg-backup-missing", doc, entry.key + ("name",), "wrong-name",
            f"plugin name '{entry.name}' is not the barman-cloud plugin: CloudNativePG looks plugins up by "
            f"their exact name, so nothing is archived or backed up; use name: {PLUGIN}", value=True))
        return
    local = sorted({s.name for s in stores if s.name and cluster.ns and s.ns == cluster.ns})
    hint = f" (ObjectStore{'s' if len(local) > 1 else ''} in {_in_ns(cluster.ns)}: {', '.join(local)})" \
        if local else ""
    key: KeyPath = ("spec", "plugins") if "plugins" in doc.get("spec") else ("metadata", "name")
    # Nothing is configured at all: maybe a scratch or re-derivable database, maybe a forgotten
    # backup. Nothing breaks, so the linter cannot be sure it is wrong: a warning.
    out.add(cluster.app, Issue(
        "cnpg-backup-missing", doc, key, "no-plugin",
        f"Cluster {_shown(doc.name, cluster.name)} has no barman-cloud plugin in spec.plugins: its WAL is not "
        f"archived and no backup can be taken; add plugins: [{{name: {PLUGIN}, isWALArchiver: true, "
        f"parameters: {{barmanObjectName: <ObjectStore>}}}}]{hint}",
        f"Cluster '{doc.name}' has no barman-cloud plugin in spec.plugins: its WAL is not archived and no "
        f"backup can be taken; add plugins: [{{name: {PLUGIN}, isWALArchiver: true, parameters: "
        "{barmanObjectName: <ObjectStore>}}]", severity=Severity.WARNING))


def _suggest_parameter(key: str) -> Optional[str]:
    lowered = key.lower()
    if "server" in lowered:
        return "serverName"
    if "object" in lowered or "store" in lowered or "barman" in lowered or "bucket" in lowered:
        return "barmanObjectName"
    close = difflib.get_close_matches(key, PARAMETER_KEYS, n=1, cutoff=0.6)
    return close[0] if close else None


def _check_parameters(out: Collector, cluster: View, base: KeyPath, params: Any, *, required: bool) -> None:
    """Plugin parameters: only barmanObjectName and serverName are read; barmanObjectName is needed."""
    doc = cluster.doc
    valid = " and ".join(PARAMETER_KEYS)
    if not isinstance(params, dict):
        if required:
            out.add(cluster.app, Issue(
                "cnpg-plugin-parameters", doc, base + (("parameters",) if params is not None else ("name",)),
                "no-parameters",
                "the barman-cloud plugin has no parameters: it cannot find an ObjectStore ('no reference to "
                f"barmanObjectName have been included'); set parameters.barmanObjectName (valid keys: {valid})"))
        return
    renamed_to_object = False
    anchors = params.anchor_keys if isinstance(params, Map) else frozenset()
    for key in params:
        if key in PARAMETER_KEYS:
            continue
        suggestion = _suggest_parameter(str(key))
        renamed_to_object = renamed_to_object or (suggestion == "barmanObjectName" and "barmanObjectName" not in params)
        origin = " (merged from a YAML anchor, reported where the anchor defines it)" if key in anchors else ""
        hint = f"; did you mean {suggestion}?" if suggestion else ""
        effect = " (so barmanObjectName is empty)" if suggestion == "barmanObjectName" and \
            "barmanObjectName" not in params else ""
        out.add(cluster.app, Issue(
            "cnpg-plugin-parameters", doc, base + ("parameters", key), f"unknown:{key}",
            f"parameter '{key}'{origin} is not read by the barman-cloud plugin{effect}; the valid keys are "
            f"{valid}{hint}"))
    if "barmanObjectName" not in params:
        if required and not renamed_to_object:
            out.add(cluster.app, Issue(
                "cnpg-plugin-parameters", doc, base + ("parameters",), "no-object-name",
                f"parameters has no barmanObjectName: the plugin does not know which ObjectStore to use; set "
                f"barmanObjectName to the ObjectStore's name (valid keys: {valid})"))
        return
    value = params.get("barmanObjectName")
    if value is None or (isinstance(value, str) and not value.strip()):
        out.add(cluster.app, Issue(
            "cnpg-plugin-parameters", doc, base + ("parameters", "barmanObjectName"), "empty-object-name",
            "barmanObjectName is empty: set it to the name of an ObjectStore in the Cluster's namespace"))


def _check_store_ref(ctx: Context, out: Collector, cluster: View, base: KeyPath, params: dict,
                     stores: list[View]) -> None:
    raw = params.get("barmanObjectName")
    name = cluster.resolve(raw)
    if not name or not name.strip():
        return  # missing/empty is cnpg-plugin-parameters; unknown (${VAR}) is never "missing"
    if _lookup(stores, name, cluster.ns):
        return
    hint = _not_found_hint(ctx, stores, "ObjectStore", BARMAN_GROUP, name, cluster.ns)
    out.add(cluster.app, Issue(
        "cnpg-objectstore-missing", cluster.doc, base + ("barmanObjectName",), "missing",
        f"barmanObjectName {_shown(raw, name)} names no applied ObjectStore in {_in_ns(cluster.ns)}: the plugin "
        f"looks the store up in the Cluster's own namespace, so archiving and backups fail{hint}",
        f"barmanObjectName '{raw}' names no applied ObjectStore in the Cluster's namespace{hint}",
        value=True))


def _check_external_clusters(ctx: Context, out: Collector, cluster: View, stores: list[View]) -> None:
    externals = cluster.doc.get("spec", "externalClusters")
    if not isinstance(externals, list):
        return
    for i, ext in enumerate(externals):
        plugin = ext.get("plugin") if isinstance(ext, dict) else None
        if not isinstance(plugin, dict) or cluster.resolve(plugin.get("name")) != PLUGIN:
            continue
        base: KeyPath = ("spec", "externalClusters", i, "plugin")
        params = plugin.get("parameters")
        _check_parameters(out, cluster, base, params, required=True)
        if isinstance(params, dict):
            _check_store_ref(ctx, out, cluster, base + ("parameters",), params, stores)


def _check_recovery(out: Collector, cluster: View, spec: dict) -> None:
    recovery = spec.get("bootstrap", {}).get("recovery") if isinstance(spec.get("bootstrap"), dict) else None
    if not isinstance(recovery, dict) or "source" not in recovery:
        return
    raw = recovery.get("source")
    source = cluster.resolve(raw)
    if source is None:
        return
    key: KeyPath = ("spec", "bootstrap", "recovery", "source")
    externals = spec.get("externalClusters")
    entries = [(i, e) for i, e in enumerate(externals)] if isinstance(externals, list) else []
    named = {cluster.resolve(e.get("name")): (i, e) for i, e in entries if isinstance(e, dict)}
    if None in named:
        return  # an externalClusters name we cannot resolve may be the one
    if source not in named:
        known = ", ".join(sorted(n for n in named if n)) or "none"
        out.add(cluster.app, Issue(
            "cnpg-recovery-source", cluster.doc, key, "no-entry",
            f"bootstrap.recovery.source {_shown(raw, source)} names no spec.externalClusters entry (entries: "
            f"{known}): the Cluster cannot be created; add an externalClusters entry with that name and plugin: "
            f"{{name: {PLUGIN}, parameters: {{barmanObjectName: <store>, serverName: <source cluster>}}}}",
            f"bootstrap.recovery.source '{raw}' names no spec.externalClusters entry: the Cluster cannot be "
            "created; add an externalClusters entry with that name and plugin configuration", value=True))
        return
    index, ext = named[source]
    plugin = ext.get("plugin")
    if plugin is None:
        if ext.get("barmanObjectStore") is not None:
            return  # cnpg-backup-legacy explains the in-tree source
        out.add(cluster.app, Issue(
            "cnpg-recovery-source", cluster.doc, ("spec", "externalClusters", index), "no-plugin",
            f"externalClusters entry '{source}' is the recovery source but has no plugin configuration: recovery "
            f"reads the backup through the plugin; add plugin: {{name: {PLUGIN}, parameters: "
            "{barmanObjectName: <store>, serverName: <source cluster>}} (to clone a running server use "
            "bootstrap.pg_basebackup instead)"))
        return
    name = cluster.resolve(plugin.get("name")) if isinstance(plugin, dict) else ""
    if name is not None and name != PLUGIN:
        out.add(cluster.app, Issue(
            "cnpg-recovery-source", cluster.doc, ("spec", "externalClusters", index, "plugin", "name"), "wrong-plugin",
            f"the recovery source's plugin name '{name}' is not the barman-cloud plugin; use name: {PLUGIN}",
            value=True))


# --- archive paths shared by two writers -----------------------------------------------------------
def _archive_target(cluster: View) -> Optional[tuple[str, str, str, KeyPath]]:
    """(namespace, store, serverName, key) the Cluster archives WAL into, when fully known."""
    for entry in _plugins(cluster):
        if entry.name == PLUGIN and entry.enabled and entry.archiver:
            params = entry.entry.get("parameters")
            if not isinstance(params, dict):
                return None
            store = cluster.resolve(params.get("barmanObjectName"))
            server = _effective_server(cluster, params)
            if cluster.ns and store and server:
                key = entry.key + ("parameters", "serverName" if "serverName" in params else "barmanObjectName")
                return cluster.ns, store, server, key
    return None


def _recovery_target(cluster: View) -> Optional[tuple[str, str, str]]:
    spec = cluster.doc.get("spec")
    source = cluster.resolve(cluster.doc.get("spec", "bootstrap", "recovery", "source"))
    externals = spec.get("externalClusters") if isinstance(spec, dict) else None
    if not source or not isinstance(externals, list):
        return None
    for ext in externals:
        if isinstance(ext, dict) and cluster.resolve(ext.get("name")) == source:
            plugin = ext.get("plugin")
            params = plugin.get("parameters") if isinstance(plugin, dict) else None
            if isinstance(params, dict) and cluster.resolve(plugin.get("name")) == PLUGIN:
                store = cluster.resolve(params.get("barmanObjectName"))
                server = _effective_server(cluster, params)
                if cluster.ns and store and server:
                    return cluster.ns, store, server
    return None


SKIP_EMPTY_ARCHIVE_CHECK = "cnpg.io/skipEmptyWalArchiveCheck"


def _skips_empty_archive_check(cluster: View) -> bool:
    """The Cluster opts out of the empty-archive check: restoring from its own archive and archiving
    on into it (a new timeline) is then deliberate, the rebuild-from-backup pattern. CloudNativePG and
    the plugin skip the check when this annotation is "enabled"."""
    return cluster.doc.annotations().get(SKIP_EMPTY_ARCHIVE_CHECK) == "enabled"


def _check_collisions(out: Collector, clusters: list[View]) -> None:
    writers: dict[tuple[str, str, str], View] = {}
    for cluster in clusters:
        target = _archive_target(cluster)
        if target is None:
            continue
        ns, store, server, key = target
        restored_from = _recovery_target(cluster)
        if restored_from == (ns, store, server) and not _skips_empty_archive_check(cluster):
            out.add(cluster.app, Issue(
                "cnpg-archive-collision", cluster.doc, key, "restore-into-source",
                f"this Cluster restores from ObjectStore '{store}' serverName '{server}' and archives into the "
                "same path: the plugin refuses to archive into a non-empty archive, and a success would mix two "
                f"timelines; archive into another ObjectStore or set serverName to a new value (e.g. "
                f"'{server}-v2')",
                "this Cluster restores from the same ObjectStore and serverName it archives into (serverName "
                "defaults to the Cluster's name): the plugin refuses to archive into a non-empty archive; give "
                "the archive a new serverName (e.g. a version suffix) or another ObjectStore"))
        other = writers.get((ns, store, server))
        if other is not None and (other.ns, other.name) != (cluster.ns, cluster.name):
            out.add(cluster.app, Issue(
                "cnpg-archive-collision", cluster.doc, key, "shared-path",
                f"Cluster '{cluster.name}' archives into ObjectStore '{store}' with serverName '{server}', like "
                f"Cluster '{other.name}' ({other.where()}): the second writer finds a non-empty archive and "
                "stops archiving, or both overwrite each other's WAL; give each Cluster its own serverName "
                "parameter",
                "this Cluster archives into the same ObjectStore and serverName as another Cluster: the second "
                "writer finds a non-empty archive and stops archiving; give each Cluster its own serverName"))
        writers.setdefault((ns, store, server), cluster)


# --- the ObjectStore -------------------------------------------------------------------------------
def _check_store(out: Collector, store: View) -> None:
    doc = store.doc
    spec = doc.get("spec")

    def add(key: KeyPath, code: str, message: str, *, value: bool = False, mask: tuple[str, ...] = ()) -> None:
        out.add(store.app, Issue("cnpg-objectstore-invalid", doc, key, code, message, value=value, mask=mask))

    if not isinstance(spec, dict) or not isinstance(spec.get("configuration"), dict):
        add(("spec",) if isinstance(spec, dict) else ("metadata", "name"), "no-configuration",
            "the ObjectStore has no spec.configuration: there is no destination to archive to; set "
            "spec.configuration.destinationPath (e.g. s3://bucket/path/) and credentials")
        if isinstance(spec, dict):
            _unknown_keys(add, spec, ("spec",), SPEC_KEYS)
        return
    conf = spec["configuration"]
    _unknown_keys(add, spec, ("spec",), SPEC_KEYS)
    _unknown_keys(add, conf, ("spec", "configuration"), CONFIGURATION_KEYS + ("serverName",))
    path = conf.get("destinationPath")
    if not isinstance(path, str) or not path.strip():
        add(("spec", "configuration") + (("destinationPath",) if "destinationPath" in conf else ()),
            "no-destination", "spec.configuration.destinationPath is missing or empty: the plugin has nowhere to "
            "write WAL and backups; set it (e.g. s3://bucket/path/)", value="destinationPath" in conf)
    if "serverName" in conf:
        add(("spec", "configuration", "serverName"), "server-name",
            "spec.configuration.serverName must stay empty on an ObjectStore (the API rejects it): set the "
            "serverName parameter in the Cluster's spec.plugins entry instead")
    retention = store.resolve(spec.get("retentionPolicy")) if "retentionPolicy" in spec else None
    if retention is not None and not _retention_ok(retention):
        add(("spec", "retentionPolicy"), "retention-pattern",
            f"retentionPolicy '{retention}' is not valid: use {RETENTION_HELP}", value=True)
    _check_sections(add, store, conf)
    _check_credentials(add, conf)


def _retention_ok(text: str) -> bool:
    return len(text) >= 2 and text[-1] in "dwm" and text[:-1].isascii() and text[:-1].isdigit() \
        and text[0] != "0"


def _unknown_keys(add: Any, section: dict, base: KeyPath, allowed: tuple[str, ...]) -> None:
    where = ".".join(str(p) for p in base)
    for key in section:
        if key in allowed:
            continue
        home = HOME_OF.get(str(key))
        if home and home != where:
            add(base + (key,), f"misplaced:{key}",
                f"{key} does not belong in {where}; it belongs in {home} (the API drops it here, so it has no "
                "effect)")
        else:
            close = difflib.get_close_matches(str(key), allowed, n=1, cutoff=0.6)
            hint = f"; did you mean {close[0]}?" if close else ""
            add(base + (key,), f"unknown:{key}",
                f"{key} is not a field of {where} (valid: {', '.join(allowed)}){hint}")


def _check_sections(add: Any, store: View, conf: dict) -> None:
    for section, keys, allowed_compression in (("wal", WAL_KEYS, WAL_COMPRESSION), ("data", DATA_KEYS, DATA_COMPRESSION)):
        part = conf.get(section)
        if not isinstance(part, dict):
            continue
        base: KeyPath = ("spec", "configuration", section)
        _unknown_keys(add, part, base, keys)
        compression = store.resolve(part.get("compression")) if "compression" in part else None
        if compression is not None and compression not in allowed_compression:
            extra = " (xz and zstd are accepted by wal.compression only)" if section == "data" and \
                compression in WAL_COMPRESSION else ""
            add(base + ("compression",), "compression",
                f"{section}.compression '{compression}' is not allowed here: {section}.compression accepts "
                f"{', '.join(allowed_compression)}{extra}", value=True)
        encryption = store.resolve(part.get("encryption")) if "encryption" in part else None
        if encryption is not None and encryption not in ENCRYPTION:
            add(base + ("encryption",), "encryption",
                f"{section}.encryption '{encryption}' is not allowed: use {' or '.join(ENCRYPTION)}", value=True)


def _check_credentials(add: Any, conf: dict) -> None:
    providers = [p for p in CREDENTIAL_KEYS if p in conf]
    if not providers:
        add(("spec", "configuration"), "no-credentials",
            "the ObjectStore has no credentials: set s3Credentials (accessKeyId and secretAccessKey as "
            "{name, key} Secret references, or inheritFromIAMRole: true), azureCredentials or googleCredentials")
        return
    for provider in providers:
        creds = conf.get(provider)
        base: KeyPath = ("spec", "configuration", provider)
        if not isinstance(creds, dict):
            add(base, f"creds-shape:{provider}",
                f"{provider} must be a mapping of Secret references ({{name, key}}), not a plain value",
                value=True, mask=(str(creds),) if isinstance(creds, str) else ())
            continue
        _unknown_keys(add, creds, base, CREDENTIAL_KEYS[provider])
        for key, value in creds.items():
            if key in CREDENTIAL_FLAGS or key not in CREDENTIAL_KEYS[provider]:
                continue
            _check_secret_ref(add, base + (key,), f"{provider}.{key}", value)
        if provider == "s3Credentials" and creds.get("inheritFromIAMRole") is not True:
            missing = [k for k in ("accessKeyId", "secretAccessKey") if k not in creds]
            if missing:
                add(base, "s3-incomplete",
                    f"s3Credentials has no {' and no '.join(missing)}: set both as Secret references, or "
                    "inheritFromIAMRole: true")


def _check_secret_ref(add: Any, key: KeyPath, label: str, value: Any) -> None:
    if isinstance(value, dict):
        missing = [k for k in ("name", "key") if not isinstance(value.get(k), str) or not value.get(k)]
        if missing:
            add(key, f"ref-incomplete:{label}",
                f"{label} is a Secret reference without {' and '.join(missing)}: it needs both name (a Secret in "
                "the ObjectStore's namespace) and key")
        return
    secret = value if isinstance(value, str) else ""
    add(key, f"literal:{label}",
        f"{label} is a literal value, not a Secret reference: the field takes {{name: <Secret>, key: <key>}}, "
        "and a credential in Git is a leak; move it to a Secret (e.g. from an ExternalSecret) and reference it",
        value=True, mask=(secret,) if secret else ())


# --- ScheduledBackup and Backup --------------------------------------------------------------------
def _check_backup(ctx: Context, out: Collector, backup: View, clusters: list[View], stores: list[View],
                  states: dict[int, Backup]) -> None:
    doc = backup.doc
    spec = doc.get("spec")
    if not isinstance(spec, dict):
        return
    targets = _check_target(ctx, out, backup, spec, clusters)
    _check_method(out, backup, spec, stores, [states[id(t)] for t in targets if id(t) in states])
    if doc.kind == "ScheduledBackup" and "schedule" in spec:
        _check_schedule(ctx, out, backup, spec.get("schedule"))


def _check_target(ctx: Context, out: Collector, backup: View, spec: dict, clusters: list[View]) -> list[View]:
    doc = backup.doc
    raw = spec.get("cluster", {}).get("name") if isinstance(spec.get("cluster"), dict) else None
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        out.add(backup.app, Issue(
            "cnpg-backup-target-missing", doc, ("spec", "cluster") if "cluster" in spec else ("spec",), "no-name",
            f"the {doc.kind} names no Cluster: set spec.cluster.name to a Cluster in {_in_ns(backup.ns)}"))
        return []
    name = backup.resolve(raw)
    if name is None:
        return []
    found = _lookup(clusters, name, backup.ns)
    if found:
        return found
    hint = _not_found_hint(ctx, clusters, "Cluster", CNPG_GROUP, name, backup.ns)
    out.add(backup.app, Issue(
        "cnpg-backup-target-missing", doc, ("spec", "cluster", "name"), "missing",
        f"spec.cluster.name {_shown(raw, name)} names no applied Cluster in {_in_ns(backup.ns)}: the "
        f"{doc.kind} never produces a backup{hint}",
        f"spec.cluster.name '{raw}' names no applied Cluster in the {doc.kind}'s namespace{hint}", value=True))
    return []


def _check_method(out: Collector, backup: View, spec: dict, stores: list[View], targets: list[Backup]) -> None:
    doc = backup.doc
    method = backup.resolve(spec.get("method")) if "method" in spec else ""
    if method is None or method == "volumeSnapshot":
        return  # unknown, or a deliberate snapshot backup (a different mechanism)
    fix = f"set method: plugin and pluginConfiguration: {{name: {PLUGIN}}}"
    if method in ("", "barmanObjectStore") and targets and all(t.in_tree and not t.archivers for t in targets):
        # The Cluster still has the in-tree store (maybe added by a kustomize patch): the backup
        # works; the method is deprecated along with the store, which is a warning.
        out.add(backup.app, Issue(
            "cnpg-scheduled-backup-method", doc, ("spec", "method") if method else ("spec",), "in-tree-method",
            f"the {doc.kind} uses the in-tree barmanObjectStore method{'' if method else ' (the default)'}; it "
            "works while its Cluster keeps spec.backup.barmanObjectStore, which is deprecated since "
            f"CloudNativePG 1.26 and announced for removal: when the Cluster moves to the plugin, {fix}",
            value=bool(method), severity=Severity.WARNING))
        return
    if method == "":
        out.add(backup.app, Issue(
            "cnpg-scheduled-backup-method", doc, ("spec",), "no-method",
            f"the {doc.kind} has no method: the default is barmanObjectStore, the in-tree path, which a "
            f"plugin-only Cluster does not have, so {'every backup fails' if doc.kind == 'ScheduledBackup' else 'the backup fails'}; "
            f"{fix}"))
        return
    if method != "plugin":
        out.add(backup.app, Issue(
            "cnpg-scheduled-backup-method", doc, ("spec", "method"), f"method:{method}",
            f"method '{method}' does not use the barman-cloud plugin (barmanObjectStore is the deprecated "
            f"in-tree path); {fix}", value=True))
        return
    conf = spec.get("pluginConfiguration")
    if not isinstance(conf, dict) or "name" not in conf:
        out.add(backup.app, Issue(
            "cnpg-scheduled-backup-method", doc, ("spec", "pluginConfiguration") if "pluginConfiguration" in spec
            else ("spec", "method"), "no-plugin-configuration",
            f"method: plugin without pluginConfiguration.name: CloudNativePG rejects every Backup it creates; "
            f"add pluginConfiguration: {{name: {PLUGIN}}}"))
        return
    raw = conf.get("name")
    name = backup.resolve(raw)
    if name is None or name == PLUGIN:
        return
    if targets and all(name in t.plugins for t in targets):
        return  # another CNPG-I backup plugin the Cluster loads (e.g. pgbackrest.dalibo.com)
    store_hint = ""
    if any(s.name == name and _same_ns(s.ns, backup.ns) for s in stores):
        store_hint = (" ('" + name + "' is an ObjectStore: the plugin takes the store from the Cluster's "
                      "spec.plugins parameters, not from here)")
    out.add(backup.app, Issue(
        "cnpg-scheduled-backup-method", doc, ("spec", "pluginConfiguration", "name"), "wrong-plugin-name",
        f"pluginConfiguration.name {_shown(raw, name)} is not the plugin's name: backups fail with 'requested "
        f"plugin is not available'; use name: {PLUGIN}{store_hint}",
        f"pluginConfiguration.name '{raw}' is not the plugin's name; use name: {PLUGIN}{store_hint}", value=True))


def _check_schedule(ctx: Context, out: Collector, backup: View, raw: Any) -> None:
    from .. import cron

    text = backup.resolve(raw)
    if text is None:
        return  # not a string (the schema rules say so) or an unknown ${VAR}
    doc = backup.doc
    key: KeyPath = ("spec", "schedule")
    shown = _shown(raw, text)
    fields = cron.go_fields(text)
    six = "use six fields: seconds minutes hours day-of-month month day-of-week"
    # Used when the substituted schedule differs between the Kustomizations that include the file.
    generic = (f"schedule '{raw}', once substituted, is not what CloudNativePG's cron (six fields, seconds "
               f"first) reads as intended in the Kustomizations listed; {six}")
    try:
        schedule = cron.parse(text)
    except cron.CronError as exc:
        shifted = " (five fields are read as seconds, minutes, hours, day of month, month)" \
            if len(fields) == 5 else ""
        out.add(backup.app, Issue(
            "cnpg-schedule-invalid", doc, key, "parse-error",
            f"schedule {shown} is rejected by CloudNativePG's cron parser: {exc}{shifted}; {six}, e.g. "
            f"'{DAILY_EXAMPLE}' for daily at 03:00", generic, value=True))
        return
    if isinstance(schedule, cron.SpecSchedule) and schedule.fields == 5:
        meant = cron.as_crontab(text)
        meant_text = f", not {cron.describe(meant)} as in a five-field crontab; write '0 {' '.join(fields)}'" \
            if meant is not None else f"; {six}"
        out.add(backup.app, Issue(
            "cnpg-schedule-invalid", doc, key, "five-fields",
            f"schedule {shown} is read as seconds, minutes, hours, day of month, month (CloudNativePG's cron "
            f"starts with seconds): it runs {cron.describe(schedule)}{meant_text}", generic, value=True))
        return
    if not cron.ever_runs(schedule):
        out.add(backup.app, Issue(
            "cnpg-schedule-invalid", doc, key, "never",
            f"schedule {shown} never runs: no date matches its day-of-month and month fields (the fields are "
            "seconds minutes hours day-of-month month day-of-week)", generic, value=True))
        return
    limit = ctx.options("cnpg-schedule-invalid").get("max_backups_per_day", 24)
    per_day = cron.runs_per_day(schedule)
    if isinstance(limit, int) and per_day > limit:
        out.add(backup.app, Issue(
            "cnpg-schedule-invalid", doc, key, "too-often",
            f"schedule {shown} runs {cron.describe(schedule)}: {per_day} base backups a day (more than "
            f"max_backups_per_day {limit}); the first field is seconds, e.g. '{DAILY_EXAMPLE}' is daily at "
            "03:00", generic, value=True))


# --- every Cluster needs a ScheduledBackup -----------------------------------------------------------
def _check_scheduled(ctx: Context, out: Collector, cluster: View, scheduled: list[View], state: Backup) -> None:
    if cluster.name is None or state.replica or not state.declared:
        return  # a replica's source holds the backups; no backup at all is cnpg-backup-missing's
    for backup in scheduled:
        if not _same_ns(backup.ns, cluster.ns):
            continue
        raw = backup.doc.get("spec", "cluster", "name")
        target = backup.resolve(raw)
        if isinstance(raw, str) and (target is None or target == cluster.name):
            return
    elsewhere = sorted({b.ns for b in scheduled if b.ns and b.resolve(b.doc.get("spec", "cluster", "name"))
                        == cluster.name and b.ns != cluster.ns})
    unapplied = [d for d in ctx.index.all_of_kind("ScheduledBackup", group=CNPG_GROUP)
                 if not ctx.index.is_applied(d) and d.get("spec", "cluster", "name") == cluster.doc.name]
    hint = ""
    if elsewhere:
        hint = f"; a ScheduledBackup for '{cluster.name}' exists in namespace {', '.join(elsewhere)} only"
    elif unapplied:
        hint = f"; {unapplied[0].path} has one, but no Flux Kustomization applies that file"
    out.add(cluster.app, Issue(
        "cnpg-scheduled-backup-missing", cluster.doc, ("metadata", "name"), "none",
        f"no applied ScheduledBackup targets Cluster {_shown(cluster.doc.name, cluster.name)} in "
        f"{_in_ns(cluster.ns)}: no base backup is ever taken, so there is nothing to restore from (archived "
        f"WAL alone cannot be restored); add a ScheduledBackup with cluster.name: {cluster.name}, method: plugin, "
        f"pluginConfiguration.name: {PLUGIN}, schedule: '{DAILY_EXAMPLE}'{hint}",
        f"no applied ScheduledBackup targets Cluster '{cluster.doc.name}': no base backup is ever taken{hint}",
        value=True))


def check(ctx: Context) -> None:
    clusters = _views(ctx, "Cluster", CNPG_GROUP)
    stores = _views(ctx, "ObjectStore", BARMAN_GROUP)
    scheduled = _views(ctx, "ScheduledBackup", CNPG_GROUP)
    backups = scheduled + _views(ctx, "Backup", CNPG_GROUP)
    out = Collector(ctx)
    states = {id(cluster): backup_of(ctx, cluster) for cluster in clusters}
    for cluster in clusters:
        _check_cluster(ctx, out, cluster, stores, states[id(cluster)])
        _check_scheduled(ctx, out, cluster, scheduled, states[id(cluster)])
    _check_collisions(out, clusters)
    for store in stores:
        _check_store(out, store)
    for backup in backups:
        _check_backup(ctx, out, backup, clusters, stores, states)
    out.flush()
