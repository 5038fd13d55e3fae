"""Stage 3: say what each file and each document is.

A file is YAML (by extension), a template (recognised, never linted as a manifest), other text,
or binary. A YAML document is a Kubernetes object, a kustomize kustomization, a Talos machine
config, a talhelper config, SOPS-encrypted data, or other YAML.
"""
from __future__ import annotations

import posixpath
import re
from typing import Any, Iterable, Optional

from .model import DocClass

YAML_SUFFIXES = (".yaml", ".yml")
KUSTOMIZATION_NAMES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
TEMPLATE_SUFFIXES = (".tpl", ".j2", ".jinja", ".jinja2", ".gotmpl", ".tmpl", ".tftpl")
# Helm/Go actions and Jinja statements at the start of a line (or of a list item), and an unquoted
# value that starts with ``{{`` on a line that ends with ``}}``. Matched line by line with plain
# string operations: a regex over the whole text backtracks quadratically on hostile lines.
_LINE_STARTS = ("{{", "{%", "#%", "- {{", "- {%")
_VALUE_RE = re.compile(r":[ \t]+\{\{")
_MARKER_RE = re.compile(r"\{\{|\{%|#\{|#%")  # every line that can be templated holds one
_TALOS_KINDS = {
    "KubeNetworkConfig", "LinkConfig", "Layer2VIPConfig", "HostnameConfig", "ResolverConfig",
    "TimeSyncConfig", "StaticHostConfig", "DHCPv4Config", "DHCPv6Config", "BondConfig", "VLANConfig",
    "BridgeConfig", "DummyLinkConfig", "LinkAliasConfig", "RouteConfig", "EthernetConfig",
    "NetworkDefaultActionConfig", "NetworkRuleConfig", "KmsgLogConfig", "EventSinkConfig",
    "WatchdogTimerConfig", "VolumeConfig", "UserVolumeConfig", "SideroLinkConfig", "TrustedRootsConfig",
    "ExtensionServiceConfig", "PCIDriverRebindConfig", "EthernetConfig", "RawVolumeConfig",
    "ExistingVolumeConfig", "SwapVolumeConfig", "ZswapConfig", "ImageCacheConfig", "OOMConfig",
}
_SOPS_KEYS = {"mac", "version"}


def is_yaml_path(path: str) -> bool:
    name = path.rsplit("/", 1)[-1]
    return name.endswith(YAML_SUFFIXES) or name == "Kustomization"


def is_template_path(path: str) -> bool:
    name = path.rsplit("/", 1)[-1].lower()
    return any(name.endswith(suffix) for suffix in TEMPLATE_SUFFIXES)


def looks_templated(text: str) -> bool:
    """Text that only a template engine turns into YAML (Helm, Jinja, makejinja). Linear time."""
    # Only a line holding a marker can be templated: visit those lines alone, found at C speed
    # (a large values file or rule group has thousands of lines and a few ``{{``). The stretch
    # between two \n is split again as splitlines() splits (\r, \x85, \u2028, ... also end a line).
    start = 0
    while True:
        marker = _MARKER_RE.search(text, start)
        if marker is None:
            return False
        begin = text.rfind("\n", start, marker.start()) + 1 or start
        end = text.find("\n", marker.end())
        if end < 0:
            end = len(text)
        if any(_templated_line(line) for line in text[begin:end].splitlines()):
            return True
        start = end


def _templated_line(line: str) -> bool:
    stripped = line.lstrip()
    if stripped.startswith(_LINE_STARTS):
        return True
    if "{{" in line and line.rstrip().endswith("}}") and _VALUE_RE.search(line):
        return True
    return _makejinja_line(line)


def _makejinja_line(line: str) -> bool:
    opening = line.find("#{")
    return opening >= 0 and line.find("}#", opening + 2) >= 0


def has_makejinja_markers(text: str) -> bool:
    """makejinja's ``#{ var }#`` / ``#% block %#``: YAML comments to a parser, so the file parses."""
    if "#{" not in text and "#%" not in text:
        return False
    return any(_makejinja_line(line) or line.lstrip().startswith("#%") for line in text.splitlines())


def chart_dirs(paths: Iterable[str]) -> frozenset[str]:
    """Folders holding a Helm chart (a ``Chart.yaml``); their ``templates/`` are templates."""
    return frozenset(p.rsplit("/", 1)[0] if "/" in p else "" for p in paths
                     if p.rsplit("/", 1)[-1] == "Chart.yaml")


def in_chart_templates(path: str, charts: Iterable[str]) -> bool:
    for chart in charts:
        prefix = f"{chart}/templates/" if chart else "templates/"
        if path.startswith(prefix):
            return True
    return False


def has_sops_block(data: Any) -> bool:
    if not isinstance(data, dict):
        return False
    block = data.get("sops")
    return isinstance(block, dict) and bool(_SOPS_KEYS & set(block))


def classify_document(path: str, data: Any) -> DocClass:
    if not isinstance(data, dict):
        return DocClass.OTHER
    name = path.rsplit("/", 1)[-1]
    api = data.get("apiVersion")
    kind = data.get("kind")
    if name in KUSTOMIZATION_NAMES or (
        isinstance(api, str) and api.startswith("kustomize.config.k8s.io/")
    ):
        return DocClass.KUSTOMIZE
    if api == "v1alpha1" and isinstance(kind, str) and (kind in _TALOS_KINDS or kind.endswith("Config")):
        return DocClass.TALOS
    if data.get("version") == "v1alpha1" and ("machine" in data or "cluster" in data):
        return DocClass.TALOS
    if isinstance(api, str) and api and isinstance(kind, str) and kind:
        return DocClass.K8S
    if "clusterName" in data and ("nodes" in data or "endpoint" in data):
        return DocClass.TALHELPER
    if name.startswith("talconfig") and ("nodes" in data or "clusterPodNets" in data):
        return DocClass.TALHELPER
    # A Talos config patch (strategic merge): machine/cluster sections without the version key
    if ("machine" in data or "cluster" in data) and isinstance(data.get("machine", data.get("cluster")), dict):
        section = data.get("machine") if isinstance(data.get("machine"), dict) else data.get("cluster")
        talos_keys = {"network", "install", "kubelet", "features", "files", "sysctls", "proxy",
                      "controlPlane", "apiServer", "etcd", "coreDNS", "token", "ca", "certSANs"}
        if isinstance(section, dict) and talos_keys & set(section):
            return DocClass.TALOS
    if has_sops_block(data):
        return DocClass.SOPS_OTHER
    return DocClass.OTHER


# --- files that are not the cluster ----------------------------------------------------------
# Folders that hold examples, test data, golden files, archives and tool sandboxes: what they say
# is not what the cluster runs, so a rule that compares sources of truth never takes them as one.
NON_CLUSTER_DIRS = frozenset({
    "test", "tests", "testdata", "__tests__", "fixtures", "example", "examples", "sample", "samples",
    "golden", "goldens", "archive", "archives", "archived", ".archive", "attic", "devenv", "doc", "docs",
})
_NON_CLUSTER_SUFFIXES = (".disabled", ".bak", ".old", ".orig", ".example", ".sample", ".golden")


def is_non_cluster_path(path: str) -> bool:
    """A path inside an example, test, archive or sandbox folder, or one disabled by its name
    (``foo.disabled/``, ``talconfig.yaml.disabled``)."""
    parts = path.split("/")
    for part in parts:
        lowered = part.lower()
        if lowered in NON_CLUSTER_DIRS or lowered.endswith(_NON_CLUSTER_SUFFIXES) or ".golden." in lowered:
            return True
    return False


def _join(folder: str, entry: str) -> Optional[str]:
    if entry.startswith("/") or "://" in entry:
        return None
    joined = posixpath.normpath(posixpath.join(folder, entry)) if folder else posixpath.normpath(entry)
    return None if joined == ".." or joined.startswith("../") else joined


def kustomize_patch_files(documents: Iterable[Any]) -> frozenset[str]:
    """Files some kustomization (or component) uses as a patch and none lists as a resource.

    A strategic merge patch looks like an object but lacks required fields by design; it is only
    ever applied merged into the object it targets."""
    patches: set[str] = set()
    resources: set[str] = set()
    for doc in documents:
        data = doc.data
        if doc.doc_class != DocClass.KUSTOMIZE or not isinstance(data, dict):
            continue
        folder = doc.path.rsplit("/", 1)[0] if "/" in doc.path else ""
        for section in ("patches", "patchesJson6902", "patchesStrategicMerge"):
            items = data.get(section)
            for item in items if isinstance(items, list) else []:
                ref = item.get("path") if isinstance(item, dict) else item
                if isinstance(ref, str) and "\n" not in ref and ":" not in ref.split("/", 1)[0]:
                    target = _join(folder, ref.strip())
                    if target is not None:
                        patches.add(target)
        items = data.get("resources")
        for item in items if isinstance(items, list) else []:
            target = _join(folder, item) if isinstance(item, str) else None
            if target is not None:
                resources.add(target)
    return frozenset(patches - resources)
