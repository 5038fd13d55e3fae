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

Modules: ``common`` (views, kustomize patches, the report-once collector), ``cluster``,
``objectstore``, ``backups`` (ScheduledBackup and Backup, and the fixer of
cnpg-scheduled-backup-method).
"""
from __future__ import annotations

from ...context import Context
from .backups import check_backup, check_scheduled, fix_scheduled_backup_method
from .cluster import backup_of, check_cluster, check_collisions
from .common import BARMAN_GROUP, CNPG_GROUP, PLUGIN, Collector, applied_views
from .objectstore import check_store

FAMILIES = ("cnpg",)
# fixer id -> (the rule whose finding it fixes, function); ``homeops_lint/fix.py`` collects them.
FIXERS = {"cnpg-scheduled-backup-method": ("cnpg-scheduled-backup-method", fix_scheduled_backup_method)}
__all__ = ["FAMILIES", "FIXERS", "PLUGIN", "check", "fix_scheduled_backup_method"]


def check(ctx: Context) -> None:
    clusters = applied_views(ctx, "Cluster", CNPG_GROUP)
    stores = applied_views(ctx, "ObjectStore", BARMAN_GROUP)
    scheduled = applied_views(ctx, "ScheduledBackup", CNPG_GROUP)
    backups = scheduled + applied_views(ctx, "Backup", CNPG_GROUP)
    out = Collector(ctx)
    states = {id(cluster): backup_of(ctx, cluster) for cluster in clusters}
    for cluster in clusters:
        check_cluster(ctx, out, cluster, stores, states[id(cluster)])
        check_scheduled(ctx, out, cluster, scheduled, states[id(cluster)])
    check_collisions(out, clusters)
    for store in stores:
        check_store(out, store)
    for backup in backups:
        check_backup(ctx, out, backup, clusters, stores, states)
    out.flush()

