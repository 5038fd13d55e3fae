"""ScheduledBackup and Backup: the Cluster they target, their method and plugin, the schedule; every
Cluster needs a ScheduledBackup; and the fixer that adds ``method: plugin`` (never safe: backups
start going to the plugin's ObjectStore)."""
from __future__ import annotations

from typing import Any, Optional

from ...context import Context
from ...fix import DataChange, Fix, InsertLines
from ...model import Document, KeyPath, Map, Severity
from .cluster import Backup, backup_from_spec
from .common import (
    CNPG_GROUP, DAILY_EXAMPLE, PLUGIN, Collector, Issue, View, in_ns, lookup, not_found_hint, quoted, same_ns,
)


# --- ScheduledBackup and Backup --------------------------------------------------------------------
def check_backup(ctx: Context, out: Collector, backup: View, clusters: list[View], stores: list[View],
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
            f"the {doc.kind} names no Cluster: set spec.cluster.name to a Cluster in {in_ns(backup.ns)}"))
        return []
    name = backup.resolve(raw)
    if name is None:
        return []
    found = lookup(clusters, name, backup.ns)
    if found:
        return found
    hint = not_found_hint(ctx, clusters, "Cluster", CNPG_GROUP, name, backup.ns)
    out.add(backup.app, Issue(
        "cnpg-backup-target-missing", doc, ("spec", "cluster", "name"), "missing",
        f"spec.cluster.name {quoted(raw, name)} names no applied Cluster in {in_ns(backup.ns)}: the "
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
    if any(s.name == name and same_ns(s.ns, backup.ns) for s in stores):
        store_hint = (" ('" + name + "' is an ObjectStore: the plugin takes the store from the Cluster's "
                      "spec.plugins parameters, not from here)")
    out.add(backup.app, Issue(
        "cnpg-scheduled-backup-method", doc, ("spec", "pluginConfiguration", "name"), "wrong-plugin-name",
        f"pluginConfiguration.name {quoted(raw, name)} is not the plugin's name: backups fail with 'requested "
        f"plugin is not available'; use name: {PLUGIN}{store_hint}",
        f"pluginConfiguration.name '{raw}' is not the plugin's name; use name: {PLUGIN}{store_hint}", value=True))


def _check_schedule(ctx: Context, out: Collector, backup: View, raw: Any) -> None:
    from ... import cron

    text = backup.resolve(raw)
    if text is None:
        return  # not a string (the schema rules say so) or an unknown ${VAR}
    doc = backup.doc
    key: KeyPath = ("spec", "schedule")
    shown = quoted(raw, text)
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
def check_scheduled(ctx: Context, out: Collector, cluster: View, scheduled: list[View], state: Backup) -> None:
    if cluster.name is None or state.replica or not state.declared:
        return  # a replica's source holds the backups; no backup at all is cnpg-backup-missing's
    for backup in scheduled:
        if not same_ns(backup.ns, cluster.ns):
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
        f"no applied ScheduledBackup targets Cluster {quoted(cluster.doc.name, cluster.name)} in "
        f"{in_ns(cluster.ns)}: no base backup is ever taken, so there is nothing to restore from (archived "
        f"WAL alone cannot be restored); add a ScheduledBackup with cluster.name: {cluster.name}, method: plugin, "
        f"pluginConfiguration.name: {PLUGIN}, schedule: '{DAILY_EXAMPLE}'{hint}",
        f"no applied ScheduledBackup targets Cluster '{cluster.doc.name}': no base backup is ever taken{hint}",
        value=True))


# --- the fixer -------------------------------------------------------------------------------------
def _as_written(value: Any) -> Optional[str]:
    return value if isinstance(value, str) else None


def _namespaces(doc: Document, index: Any) -> set[Optional[str]]:
    applied = {a.namespace for a in index.applications(doc)}
    return applied or {doc.namespace}


def _plugin_only(cluster: Document) -> bool:
    """The Cluster, as written, backs up through the barman-cloud plugin and has no in-tree store."""
    state = backup_from_spec(cluster.get("spec"), _as_written)
    return PLUGIN in state.plugins and not state.in_tree


def fix_scheduled_backup_method(doc: Document, source: Any, index: Any) -> list[Fix]:
    """Add ``method: plugin`` (and ``pluginConfiguration.name``) to a ScheduledBackup of a plugin-only
    Cluster. Never safe: backups start going to the plugin's ObjectStore."""
    if doc.kind != "ScheduledBackup" or doc.group != CNPG_GROUP:
        return []
    spec = doc.get("spec")
    cluster_name = doc.get("spec", "cluster", "name")
    if not isinstance(spec, Map) or "method" in spec or not isinstance(cluster_name, str) or not spec:
        return []
    config = spec.get("pluginConfiguration")
    if config is not None and not (isinstance(config, Map) and config.get("name") == PLUGIN):
        return []  # another plugin, or a broken value: not a mechanical fix
    namespaces = _namespaces(doc, index)
    clusters = [c for c in index.all_of_kind("Cluster", group=CNPG_GROUP) if c.name == cluster_name
                and (None in namespaces or _namespaces(c, index) & namespaces or None in _namespaces(c, index))]
    if not clusters or not all(_plugin_only(c) for c in clusters):
        return []
    first_key = next(iter(spec))
    kpos = spec.key_pos(first_key)
    line = source.line_text(kpos.line)
    if line[: kpos.column - 1].strip() or kpos.line <= doc.pos("spec").line:
        return []  # a flow-style spec: leave it to a human
    indent = " " * (kpos.column - 1)
    lines = [f"{indent}method: plugin"]
    changes: list[DataChange] = [(doc.index, ("spec",), "set", ("method", "plugin"))]
    if config is None:
        lines += [f"{indent}pluginConfiguration:", f"{indent}  name: {PLUGIN}"]
        changes.append((doc.index, ("spec",), "set", ("pluginConfiguration", {"name": PLUGIN})))
    # Right below ``spec:``, so a comment above the first field stays with that field.
    return [Fix(doc.path, kpos.line, "cnpg-scheduled-backup-method",
                f"add method: plugin to ScheduledBackup {doc.name}: Cluster {cluster_name} backs up only "
                "through the barman-cloud plugin, and the default method is the in-tree barmanObjectStore",
                False, (InsertLines(doc.pos("spec").line + 1, tuple(lines)),), tuple(changes))]
