"""The Cluster: its barman-cloud plugin entry and parameters, the ObjectStore it names, recovery,
the legacy in-tree store, and two writers sharing one archive path (domain.md §4)."""
from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any, Callable, Optional

from ...context import Context
from ...model import KeyPath, Map, Severity
from .common import (
    BARMAN_GROUP, PARAMETER_KEYS, PLUGIN, Collector, Issue, View, effective_spec, in_ns, lookup,
    not_found_hint, quoted,
)


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
    return backup_from_spec(effective_spec(ctx, cluster), cluster.resolve)


def backup_from_spec(spec: Any, resolve: Callable[[Any], Optional[str]]) -> Backup:
    """How a Cluster with this spec is backed up; ``resolve`` gives a plugin's name (None: unknown)."""
    spec = spec if isinstance(spec, dict) else {}
    backup = spec.get("backup") if isinstance(spec.get("backup"), dict) else {}
    replica = spec.get("replica") if isinstance(spec.get("replica"), dict) else {}
    listed = [p for p in spec.get("plugins") or [] if isinstance(p, dict)] if isinstance(spec.get("plugins"), list) else []
    plugins = [p for p in listed if p.get("enabled", True) is not False]

    def name(entry: dict) -> str:
        return resolve(entry.get("name")) or ""

    return Backup(replica=replica.get("enabled") is True, in_tree=backup.get("barmanObjectStore") is not None,
                  snapshots=backup.get("volumeSnapshot") is not None,
                  archivers=frozenset(name(p) for p in plugins if p.get("isWALArchiver") is True),
                  plugins=frozenset(name(p) for p in plugins),
                  declared=bool(listed) or bool(backup) or replica.get("enabled") is True)


def check_cluster(ctx: Context, out: Collector, cluster: View, stores: list[View], state: Backup) -> None:
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
            f"an ObjectStore (barmancloud.cnpg.io/v1) spec.configuration in {in_ns(ns)}, move retentionPolicy "
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
    hint = f" (ObjectStore{'s' if len(local) > 1 else ''} in {in_ns(cluster.ns)}: {', '.join(local)})" \
        if local else ""
    key: KeyPath = ("spec", "plugins") if "plugins" in doc.get("spec") else ("metadata", "name")
    # Nothing is configured at all: maybe a scratch or re-derivable database, maybe a forgotten
    # backup. Nothing breaks, so the linter cannot be sure it is wrong: a warning.
    out.add(cluster.app, Issue(
        "cnpg-backup-missing", doc, key, "no-plugin",
        f"Cluster {quoted(doc.name, cluster.name)} has no barman-cloud plugin in spec.plugins: its WAL is not "
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
    if lookup(stores, name, cluster.ns):
        return
    hint = not_found_hint(ctx, stores, "ObjectStore", BARMAN_GROUP, name, cluster.ns)
    out.add(cluster.app, Issue(
        "cnpg-objectstore-missing", cluster.doc, base + ("barmanObjectName",), "missing",
        f"barmanObjectName {quoted(raw, name)} names no applied ObjectStore in {in_ns(cluster.ns)}: the plugin "
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
            f"bootstrap.recovery.source {quoted(raw, source)} names no spec.externalClusters entry (entries: "
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


def check_collisions(out: Collector, clusters: list[View]) -> None:
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


