"""cnpg- rules: behaviour the fixture cases do not pin down (odd input, secrets, demo repos)."""
from __future__ import annotations

from pathlib import Path

from .conftest import FIXTURES, lint

POLICY = {".homeops-lint.yaml": "version: 1\nextends: home-ops\n"}


def cnpg_findings(root: Path) -> list:
    return [f for f in lint(root).all_findings if f.rule.startswith("cnpg-")]


def test_reference_demo_is_clean() -> None:
    assert cnpg_findings(FIXTURES / "home-ops") == []


def test_wrong_types_never_crash(tree) -> None:
    root = tree({**POLICY, "odd.yaml": """
apiVersion: postgresql.cnpg.io/v1
kind: Cluster
metadata: {name: odd, namespace: db}
spec:
  plugins: [42, "barman", {name: [1], parameters: 7}, {name: barman-cloud.cloudnative-pg.io, parameters: [a]}]
  backup: [1]
  bootstrap: {recovery: {source: 3}}
  externalClusters: [{name: 1, plugin: 2}, 5]
---
apiVersion: postgresql.cnpg.io/v1
kind: Cluster
metadata: {name: odd2, namespace: db}
spec: 12
---
apiVersion: barmancloud.cnpg.io/v1
kind: ObjectStore
metadata: {name: s, namespace: db}
spec:
  configuration:
    destinationPath: 5
    s3Credentials: [x]
    wal: 3
    data: {compression: 7}
  retentionPolicy: 30
---
apiVersion: postgresql.cnpg.io/v1
kind: ScheduledBackup
metadata: {name: sb, namespace: db}
spec: {schedule: 5, cluster: 3, method: [plugin], pluginConfiguration: x}
---
apiVersion: postgresql.cnpg.io/v1
kind: ScheduledBackup
metadata: {name: sb2, namespace: db}
spec: [1, 2]
"""})
    findings = cnpg_findings(root)
    assert any(f.rule == "cnpg-plugin-parameters" for f in findings)  # parameters: [a] is no mapping


def test_literal_credential_is_masked_and_never_printed(tree) -> None:
    secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    root = tree({**POLICY, "store.yaml": f"""
apiVersion: barmancloud.cnpg.io/v1
kind: ObjectStore
metadata: {{name: s, namespace: db}}
spec:
  configuration:
    destinationPath: s3://b/
    s3Credentials:
      accessKeyId: {{name: s3, key: ID}}
      secretAccessKey: {secret}
"""})
    findings = [f for f in cnpg_findings(root) if "literal value" in f.message]
    assert len(findings) == 1
    assert secret not in findings[0].message and secret in findings[0].mask


def test_plugin_name_from_an_unknown_variable_is_never_missing(tree) -> None:
    root = tree({**POLICY, "db.yaml": """
apiVersion: postgresql.cnpg.io/v1
kind: Cluster
metadata: {name: db, namespace: apps}
spec:
  plugins:
    - name: ${BACKUP_PLUGIN}
      isWALArchiver: true
      parameters: {barmanObjectName: store}
"""})
    rules = {f.rule for f in cnpg_findings(root)}
    assert "cnpg-backup-missing" not in rules and "cnpg-objectstore-missing" not in rules


def test_shared_component_resolves_names_per_kustomization() -> None:
    findings = cnpg_findings(FIXTURES / "cnpg" / "shared-component")
    missing = [f for f in findings if f.rule == "cnpg-objectstore-missing"]
    assert len(missing) == 1
    assert "(immich-s3)" in missing[0].message and "namespace 'immich'" in missing[0].message
    assert missing[0].resource == "Cluster/immich/immich-db"
    once = [f for f in findings if f.rule == "cnpg-scheduled-backup-method"]
    assert len(once) == 1 and "included by 4 Flux Kustomizations" in once[0].message


def test_schedule_limit_is_an_option(tree) -> None:
    files = {"sb.yaml": """
apiVersion: postgresql.cnpg.io/v1
kind: ScheduledBackup
metadata: {name: sb, namespace: apps}
spec:
  schedule: "0 0 * * * *"
  method: plugin
  pluginConfiguration: {name: barman-cloud.cloudnative-pg.io}
  cluster: {name: db}
"""}
    strict = tree({**files, ".homeops-lint.yaml": "version: 1\nextends: home-ops\nrules:\n  cnpg-schedule-invalid:\n"
                   "    options: {max_backups_per_day: 4}\n"})
    assert [f.message for f in cnpg_findings(strict) if f.rule == "cnpg-schedule-invalid"][0].startswith(
        "schedule '0 0 * * * *' runs at minute 0 of every hour: 24 base backups a day")


# --- precision on real repositories (issue #13) ---------------------------------------------------
def test_backup_mechanisms_severities() -> None:
    found = sorted((f.path, f.rule, f.severity.value) for f in cnpg_findings(FIXTURES / "cnpg" / "backup-mechanisms"))
    # nothing breaks in either case: no backup at all may be deliberate, the in-tree method still works
    assert found == [("apps/scratch/cluster.yaml", "cnpg-backup-missing", "warning"),
                     ("components/cnpg-backup/scheduledbackup.yaml", "cnpg-scheduled-backup-method", "warning")]


def test_without_flux_a_patch_file_is_not_a_database(tree) -> None:
    cluster = ("apiVersion: postgresql.cnpg.io/v1\nkind: Cluster\nmetadata: {name: app-db, namespace: db}\n"
               "spec:\n  instances: 1\n  storage: {size: 1Gi}\n  backup:\n    barmanObjectStore:\n"
               "      destinationPath: s3://db/\n")
    patch = "apiVersion: postgresql.cnpg.io/v1\nkind: Cluster\nmetadata: {name: not-used}\nspec: {instances: 2}\n"
    files = {**POLICY, "db/cluster.yaml": cluster, "db/patches/instances.yaml": patch,
             "db/kustomization.yaml": "resources: [cluster.yaml]\npatches:\n  - path: patches/instances.yaml\n"
                                      "    target: {kind: Cluster}\n"}
    found = {(f.path, f.rule) for f in cnpg_findings(tree(files))}
    assert not any(path == "db/patches/instances.yaml" for path, _ in found)
    assert ("db/cluster.yaml", "cnpg-backup-legacy") in found  # the real Cluster is still judged


def test_the_kustomization_beside_a_file_patches_it_without_flux(tree) -> None:
    cluster = "apiVersion: postgresql.cnpg.io/v1\nkind: Cluster\nmetadata: {name: app-db, namespace: db}\nspec: {instances: 1}\n"
    add_backup = ("- op: add\n  path: /spec/plugins\n  value: [{name: pgbackrest.dalibo.com, isWALArchiver: true}]\n")
    files = {**POLICY, "db/cluster.yaml": cluster, "db/backup.yaml": add_backup,
             "db/kustomization.yaml": "resources: [cluster.yaml]\npatches:\n  - path: backup.yaml\n"
                                      "    target: {kind: Cluster}\n"}
    assert [f.rule for f in cnpg_findings(tree(files)) if f.rule == "cnpg-backup-missing"] == []
    files["db/kustomization.yaml"] = "resources: [cluster.yaml]\n"
    assert [f.severity.value for f in cnpg_findings(tree(files)) if f.rule == "cnpg-backup-missing"] == ["warning"]


def test_restoring_into_its_own_archive_without_the_annotation_is_still_an_error(tmp_path: Path) -> None:
    import shutil

    root = tmp_path / "repo"
    shutil.copytree(FIXTURES / "cnpg" / "backup-mechanisms", root)
    path = root / "apps" / "rebuild" / "cluster.yaml"
    path.write_text(path.read_text().replace('cnpg.io/skipEmptyWalArchiveCheck: "enabled"', "note: rebuilt"))
    found = [(f.path, f.severity.value) for f in cnpg_findings(root) if f.rule == "cnpg-archive-collision"]
    assert found == [("apps/rebuild/cluster.yaml", "error")]


def test_the_method_fixer_only_touches_backups_of_plugin_only_clusters(tree) -> None:
    # The fixer lives beside the backup checks and judges "plugin-only" with their backup_from_spec:
    # an enabled barman-cloud plugin entry and no in-tree barmanObjectStore, as written.
    from homeops_lint.fix import all_fixers

    fixer = all_fixers()["cnpg-scheduled-backup-method"][1]
    backup = ("apiVersion: postgresql.cnpg.io/v1\nkind: ScheduledBackup\nmetadata: {name: b, namespace: db}\n"
              "spec:\n  schedule: '0 0 3 * * *'\n  cluster:\n    name: pg\n")
    cluster = ("apiVersion: postgresql.cnpg.io/v1\nkind: Cluster\nmetadata: {name: pg, namespace: db}\nspec:\n"
               "  plugins:\n    - name: barman-cloud.cloudnative-pg.io\n      isWALArchiver: true\n")

    def fixes(cluster_text: str) -> list:
        root = tree({**POLICY, "db.yaml": cluster_text + "---\n" + backup})
        result = lint(root)
        doc = next(d for d in result.index.all_of_kind("ScheduledBackup"))
        return fixer(doc, result.index.file("db.yaml"), result.index)

    assert [f.safe for f in fixes(cluster)] == [False]
    assert fixes(cluster + "      enabled: false\n") == []  # the plugin is not loaded
    assert fixes(cluster + "  backup:\n    barmanObjectStore: {destinationPath: 's3://b'}\n") == []  # in-tree
