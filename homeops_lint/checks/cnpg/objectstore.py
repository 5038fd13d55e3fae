"""The ObjectStore (barmancloud.cnpg.io/v1): its sections, keys, values and credentials."""
from __future__ import annotations

import difflib
from typing import Any

from ...model import KeyPath
from .common import RETENTION_HELP, Collector, Issue, View

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


# --- the ObjectStore -------------------------------------------------------------------------------
def check_store(out: Collector, store: View) -> None:
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


