"""Every place a repository states its pod, service, node and LoadBalancer networks (domain.md §6).

A *group* is one statement of the architecture (the policy, a talconfig, a Talos config or patch, a
KubeNetworkConfig, one set of Cilium values, the LB pools): rules compare lists inside a group
(pods against services) and groups against each other (talhelper against Talos against Cilium).
"""
from __future__ import annotations

import posixpath
from dataclasses import dataclass, field
from typing import Any, Optional

from .classify import is_non_cluster_path
from .ipmath import IPRange, ParsedCIDR, RangeError, parse_address, parse_cidr, split_addresses
from .model import DocClass, Document, KeyPath
from .network import chart_name, manifest_pools, resolve

# kinds: pods | services | nodes (subnets) | node-ip | loadbalancer (networks) | pool (LB pool blocks)
#        | native-routing (Cilium) ; cluster-pool lists count as pods when Cilium owns pod IPAM
POLICY = "policy"


@dataclass
class NetValue:
    kind: str
    text: str
    parsed: Optional[ParsedCIDR]
    range: Optional[IPRange]
    error: str
    doc: Optional[Document]  # None: the policy
    key: KeyPath
    source: str  # e.g. "talhelper clusterPodNets"
    check_host_bits: bool = True

    @property
    def family(self) -> int:
        return self.range.version if self.range else 0

    def label(self) -> str:
        shown = str(self.parsed.network) if self.parsed else self.text
        where = f" ({self.doc.path}:{self.doc.pos(*self.key).line})" if self.doc else " (policy)"
        return f"{self.source} {shown}{where}"


@dataclass
class Group:
    name: str  # "policy", or a document path#index
    label: str  # what the user calls it
    doc: Optional[Document]
    values: list[NetValue] = field(default_factory=list)
    strict: bool = False  # KubeNetworkConfig: host bits are rejected, limits apply to both families
    node_masks: dict[int, int] = field(default_factory=dict)  # family -> per-node mask
    node_mask_keys: dict[int, KeyPath] = field(default_factory=dict)
    cilium_values: Any = None  # the values mapping for a Cilium group
    cluster: Optional[str] = None  # the cluster it describes, when the repository says (see assign_clusters)
    cluster_named: bool = False  # the document names its cluster itself (clusterName)

    def of(self, kind: str) -> list[NetValue]:
        return [v for v in self.values if v.kind == kind]


def _value(kind: str, raw: Any, doc: Optional[Document], key: KeyPath, source: str, applied: Any = None,
           address_ok: bool = False, host_bits: bool = True) -> Optional[NetValue]:
    if raw is None or isinstance(raw, (dict, list, bool)):
        return None
    text = str(raw).strip()
    if applied is not None:
        resolved, _ = resolve(applied, raw)
        if resolved is None:
            return None
        text = resolved.strip()
    elif "${" in text or "{{" in text:
        return None  # talhelper envsubst / templates: unknown, never an error
    if not text:
        return None
    if address_ok and "/" not in text:
        address = parse_address(text)
        if address is None:
            return None  # a hostname: not ours to judge
        return NetValue(kind, text, None, IPRange.of(address, address), "", doc, key, source, False)
    try:
        parsed = parse_cidr(text)
    except RangeError as exc:
        return NetValue(kind, text, None, None, str(exc), doc, key, source, host_bits)
    return NetValue(kind, text, parsed, parsed.range, "", doc, key, source, host_bits)


def _list(group: Group, kind: str, values: Any, key: KeyPath, source: str, applied: Any = None) -> None:
    if isinstance(values, str):
        for i, part in enumerate(split_addresses(values)):
            value = _value(kind, part, group.doc, key, source, applied)
            if value:
                group.values.append(value)
        return
    if not isinstance(values, list):
        return
    for i, raw in enumerate(values):
        value = _value(kind, raw, group.doc, key + (i,), source, applied)
        if value:
            group.values.append(value)


def policy_group(policy: Any) -> Optional[Group]:
    networks = policy.architecture.get("networks")
    if not isinstance(networks, dict):
        return None
    group = Group(POLICY, "the policy", None)
    for kind in ("pods", "services", "nodes", "loadbalancer"):
        values = networks.get(kind)
        for i, raw in enumerate(values if isinstance(values, list) else []):
            value = _value(kind, raw, None, ("architecture", "networks", kind, i), f"policy networks.{kind}")
            if value:
                value.check_host_bits = False  # the core's policy-invalid reports these
                group.values.append(value)
    return group if group.values else None


def _mask(value: Any) -> Optional[int]:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def is_cluster_source(index: Any, doc: Document) -> bool:
    """A document that may state the cluster's networks: not an example, test fixture, golden
    file, archive or sandbox (unless Flux applies it, which makes it the cluster's)."""
    if not is_non_cluster_path(doc.path):
        return True
    return index.graph.mode != "no-flux" and index.is_applied(doc)  # without Flux, "applied" means every file


def _named(group: Group, name: Any) -> Group:
    if isinstance(name, str) and name.strip() and "${" not in name and "{{" not in name:
        group.cluster, group.cluster_named = name.strip(), True
    return group


def assign_clusters(groups: list[Group]) -> set[str]:
    """Tell which cluster each group describes, in a repository with several: a talconfig or
    Talos config names its cluster (clusterName); any other source belongs to the cluster whose
    name is a folder of its path (``kubernetes/main/...`` is cluster ``main``). Returns the names."""
    names = {g.cluster for g in groups if g.cluster_named and g.cluster}
    for group in groups:
        if group.cluster_named or group.doc is None:
            continue
        folders = set(group.doc.path.split("/")[:-1])
        matching = names & folders
        group.cluster = next(iter(matching)) if len(matching) == 1 else None
    return names


def same_cluster(a: Group, b: Group) -> bool:
    """Whether two groups may describe the same cluster (unknown counts as maybe)."""
    return a.cluster is None or b.cluster is None or a.cluster == b.cluster


def talos_groups(index: Any) -> list[Group]:
    groups: list[Group] = []
    for doc in index.documents_of(DocClass.TALOS):
        data = doc.data
        if not isinstance(data, dict) or not is_cluster_source(index, doc):
            continue
        group = Group(f"{doc.path}#{doc.index}", f"Talos config {doc.path}", doc)
        cluster_section = data.get("cluster")
        if isinstance(cluster_section, dict):
            _named(group, cluster_section.get("clusterName"))
        if doc.kind == "KubeNetworkConfig":
            group.label, group.strict = f"KubeNetworkConfig {doc.path}", True
            _list(group, "pods", data.get("podSubnets"), ("podSubnets",), "KubeNetworkConfig podSubnets")
            _list(group, "services", data.get("serviceSubnets"), ("serviceSubnets",), "KubeNetworkConfig serviceSubnets")
            for family, key in ((4, "nodeCIDRMaskSizeIPv4"), (6, "nodeCIDRMaskSizeIPv6")):
                mask = _mask(data.get(key))
                if mask is not None:
                    group.node_masks[family], group.node_mask_keys[family] = mask, (key,)
        cluster = data.get("cluster")
        network = cluster.get("network") if isinstance(cluster, dict) else None
        if isinstance(network, dict):
            base: KeyPath = ("cluster", "network")
            _list(group, "pods", network.get("podSubnets"), base + ("podSubnets",), "Talos cluster.network.podSubnets")
            _list(group, "services", network.get("serviceSubnets"), base + ("serviceSubnets",),
                  "Talos cluster.network.serviceSubnets")
        args = cluster.get("controllerManager", {}).get("extraArgs") if isinstance(cluster, dict) and \
            isinstance(cluster.get("controllerManager"), dict) else None
        if isinstance(args, dict):
            for family, key in ((4, "node-cidr-mask-size-ipv4"), (6, "node-cidr-mask-size-ipv6")):
                mask = _mask(args.get(key))
                if mask is not None:
                    group.node_masks[family] = mask
                    group.node_mask_keys[family] = ("cluster", "controllerManager", "extraArgs", key)
        machine = data.get("machine")
        net = machine.get("network") if isinstance(machine, dict) else None
        interfaces = net.get("interfaces") if isinstance(net, dict) else None
        _interfaces(group, interfaces, ("machine", "network", "interfaces"), "Talos interface")
        if group.values or group.node_masks:
            groups.append(group)
    return groups


def _interfaces(group: Group, interfaces: Any, base: KeyPath, source: str) -> None:
    if not isinstance(interfaces, list):
        return
    for i, iface in enumerate(interfaces):
        if not isinstance(iface, dict):
            continue
        addresses = iface.get("addresses")
        for j, raw in enumerate(addresses if isinstance(addresses, list) else []):
            if not isinstance(raw, str) or "${" in raw:
                continue
            key = base + (i, "addresses", j)
            try:
                parsed = parse_cidr(raw) if "/" in raw else None
            except RangeError:
                continue
            address = parse_address(raw.split("/", 1)[0])
            if address is None:
                continue
            group.values.append(NetValue("node-ip", raw, None, IPRange.of(address, address), "", group.doc, key,
                                         f"{source} address", False))
            if parsed is not None:
                group.values.append(NetValue("nodes", str(parsed.network), parsed, parsed.range, "", group.doc,
                                             key, f"{source} subnet", False))
        vip = iface.get("vip")
        if isinstance(vip, dict):
            value = _value("node-ip", vip.get("ip"), group.doc, base + (i, "vip", "ip"), f"{source} VIP",
                           address_ok=True)
            if value:
                group.values.append(value)


def talhelper_groups(index: Any) -> tuple[list[Group], int]:
    """talhelper configs, and the largest node count any of them declares."""
    groups: list[Group] = []
    nodes_count = 0
    for doc in index.documents_of(DocClass.TALHELPER):
        data = doc.data
        if not isinstance(data, dict) or not is_cluster_source(index, doc):
            continue
        group = _named(Group(f"{doc.path}#{doc.index}", f"talhelper {doc.path}", doc), data.get("clusterName"))
        _list(group, "pods", data.get("clusterPodNets"), ("clusterPodNets",), "talhelper clusterPodNets")
        _list(group, "services", data.get("clusterSvcNets"), ("clusterSvcNets",), "talhelper clusterSvcNets")
        nodes = data.get("nodes")
        node_list = [n for n in nodes if isinstance(n, dict)] if isinstance(nodes, list) else []
        nodes_count = max(nodes_count, len(node_list))
        for i, node in enumerate(nodes if isinstance(nodes, list) else []):
            if not isinstance(node, dict):
                continue
            raw = node.get("ipAddress")
            if isinstance(raw, str):
                for part in split_addresses(raw):
                    value = _value("node-ip", part, doc, ("nodes", i, "ipAddress"),
                                   f"talhelper node {node.get('hostname', i)}", address_ok=True)
                    if value:
                        group.values.append(value)
            _interfaces(group, node.get("networkInterfaces"), ("nodes", i, "networkInterfaces"),
                        f"talhelper node {node.get('hostname', i)}")
        if group.values or group.cluster_named:
            groups.append(group)  # a talconfig without networks still names a cluster
    return groups, nodes_count


_CILIUM_KEYS = ("ipv4NativeRoutingCIDR", "ipv6NativeRoutingCIDR")


def _looks_like_cilium_values(data: Any) -> bool:
    if not isinstance(data, dict) or "apiVersion" in data:
        return False
    if any(k in data for k in _CILIUM_KEYS):
        return True
    ipam = data.get("ipam")
    operator = ipam.get("operator") if isinstance(ipam, dict) else None
    return isinstance(operator, dict) and any(str(k).startswith("clusterPoolIPv") for k in operator)


def cilium_groups(index: Any) -> list[Group]:
    """Cilium values: from applied HelmReleases of the cilium chart, from helmfile releases of it (inline
    values and values files), and from any other values file that carries Cilium's CIDR keys."""
    groups: list[Group] = []
    seen: set[int] = set()
    for applied in index.applied_of_kind("HelmRelease"):
        doc = applied.doc
        values = doc.get("spec", "values")
        if chart_name(doc) == "cilium" and isinstance(values, dict) and id(doc) not in seen:
            seen.add(id(doc))
            groups.append(_cilium_group(doc, values, ("spec", "values"), applied, f"Cilium HelmRelease {doc.name}"))
    for doc in index.documents:
        data = doc.data
        if not isinstance(data, dict) or "apiVersion" in data or not isinstance(data.get("releases"), list) \
                or not is_cluster_source(index, doc):
            continue
        folder = posixpath.dirname(doc.path)
        for i, release in enumerate(data["releases"]):
            if not isinstance(release, dict) or str(release.get("chart", "")).rsplit("/", 1)[-1] != "cilium":
                continue
            for j, entry in enumerate(release.get("values") or [] if isinstance(release.get("values"), list) else []):
                if isinstance(entry, dict) and id(entry) not in seen:
                    seen.add(id(entry))
                    groups.append(_cilium_group(doc, entry, ("releases", i, "values", j), None,
                                                f"helmfile release cilium ({doc.path})"))
                elif isinstance(entry, str):
                    source = index.file(posixpath.normpath(posixpath.join(folder, entry)))
                    for values_doc in source.documents if source is not None else []:
                        if isinstance(values_doc.data, dict) and id(values_doc) not in seen:
                            seen.add(id(values_doc))
                            groups.append(_cilium_group(values_doc, values_doc.data, (), None,
                                                        f"Cilium values {values_doc.path}"))
    for doc in index.documents_of(DocClass.OTHER):
        if id(doc) not in seen and _looks_like_cilium_values(doc.data) and is_cluster_source(index, doc):
            seen.add(id(doc))
            groups.append(_cilium_group(doc, doc.data, (), None, f"Cilium values {doc.path}"))
    return [g for g in groups if g.values or g.cilium_values is not None]


def cilium_ipam_mode(values: Any) -> str:
    ipam = values.get("ipam") if isinstance(values, dict) else None
    mode = ipam.get("mode") if isinstance(ipam, dict) else None
    return mode if isinstance(mode, str) else "cluster-pool"


def _cilium_group(doc: Document, values: dict[str, Any], base: KeyPath, applied: Any, label: str) -> Group:
    group = Group(f"{doc.path}#{doc.index}:{'.'.join(map(str, base))}", label, doc)
    group.cilium_values = (values, base)
    for family, key in ((4, "ipv4NativeRoutingCIDR"), (6, "ipv6NativeRoutingCIDR")):
        value = _value("native-routing", values.get(key), doc, base + (key,), f"Cilium {key}", applied)
        if value:
            group.values.append(value)
    ipam = values.get("ipam") if isinstance(values.get("ipam"), dict) else {}
    operator = ipam.get("operator") if isinstance(ipam.get("operator"), dict) else {}
    kind = "pods" if cilium_ipam_mode(values) == "cluster-pool" else "unused-pool"
    for family, key, mask_key in ((4, "clusterPoolIPv4PodCIDRList", "clusterPoolIPv4MaskSize"),
                                  (6, "clusterPoolIPv6PodCIDRList", "clusterPoolIPv6MaskSize")):
        _list(group, kind, operator.get(key), base + ("ipam", "operator", key), f"Cilium {key}", applied)
        mask = _mask(operator.get(mask_key))
        if mask is not None:
            group.node_masks[family] = mask
            group.node_mask_keys[family] = base + ("ipam", "operator", mask_key)
    return group


def pool_group(index: Any, policy: Any) -> Optional[Group]:
    group = Group("pools", "the LoadBalancer pools", None)
    for pool in manifest_pools(index, policy):
        for block in pool.blocks:
            group.values.append(NetValue("pool", block.text, block.cidr, block.range, "", pool.doc, block.key,
                                         f"pool {pool.name}", block.cidr is not None))
    return group if group.values else None

