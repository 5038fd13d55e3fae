"""Infer an architecture when a repo has no policy file.

Pools come from the applied CiliumLoadBalancerIPPools (MetalLB IPAddressPools too), with their
role guessed from the name; networks come from the Talos and talhelper configs. The result has
the shape of the policy's ``architecture`` key, so ``homeops-lint init`` can write it for review.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional

from .model import DocClass

if TYPE_CHECKING:
    from .index import RepoIndex
    from .policy import Policy

POOL_KINDS = ("CiliumLoadBalancerIPPool",)


def _role_from_name(name: str) -> str:
    lowered = name.lower()
    if "ingress" in lowered or "gateway" in lowered:
        return "ingress"
    if "reserved" in lowered:
        return "reserved"
    return "default"


def _pool_ranges(doc: Any) -> list[str]:
    ranges: list[str] = []
    spec = doc.get("spec")
    if not isinstance(spec, dict):
        return ranges
    if doc.kind == "IPAddressPool":
        for item in spec.get("addresses") or []:
            if isinstance(item, str):
                ranges.append(item.replace(" ", ""))
        return ranges
    for section in ("blocks", "cidrs"):
        for block in spec.get(section) or []:
            if not isinstance(block, dict):
                continue
            if isinstance(block.get("cidr"), str):
                ranges.append(block["cidr"])
            elif isinstance(block.get("start"), str):
                stop = block.get("stop") if isinstance(block.get("stop"), str) else block["start"]
                ranges.append(f"{block['start']}-{stop}")
    return ranges


def _add(networks: dict[str, list[str]], key: str, values: Any) -> None:
    if isinstance(values, str):
        values = [v.strip() for v in values.split(",")]
    if not isinstance(values, list):
        return
    bucket = networks.setdefault(key, [])
    for value in values:
        if isinstance(value, str) and value and "${" not in value and value not in bucket:
            bucket.append(value)


def infer_architecture(index: RepoIndex) -> dict[str, Any]:
    pools: dict[str, Any] = {}
    for applied in index.applied_of_kind("CiliumLoadBalancerIPPool", "IPAddressPool"):
        doc = applied.doc
        ranges = _pool_ranges(doc)
        if doc.name and ranges:
            pools[doc.name] = {"role": _role_from_name(doc.name), "ranges": ranges}
    networks: dict[str, list[str]] = {}
    for doc in index.documents:
        data = doc.data
        if not isinstance(data, dict):
            continue
        if doc.doc_class == DocClass.TALHELPER:
            _add(networks, "pods", data.get("clusterPodNets"))
            _add(networks, "services", data.get("clusterSvcNets"))
        elif doc.doc_class == DocClass.TALOS:
            network = (data.get("cluster") or {}).get("network") if isinstance(data.get("cluster"), dict) else None
            if doc.kind == "KubeNetworkConfig":
                network = data
            if isinstance(network, dict):
                _add(networks, "pods", network.get("podSubnets"))
                _add(networks, "services", network.get("serviceSubnets"))
    architecture: dict[str, Any] = {}
    if networks:
        architecture["networks"] = networks
    if pools:
        architecture["pools"] = pools
    return architecture


def _bgp(index: RepoIndex) -> dict[str, Any]:
    for applied in index.applied_of_kind("CiliumBGPClusterConfig"):
        for instance in applied.doc.get("spec", "bgpInstances") or []:
            if not isinstance(instance, dict):
                continue
            out: dict[str, Any] = {}
            if isinstance(instance.get("localASN"), int):
                out["cluster_asn"] = instance["localASN"]
            for peer in instance.get("peers") or []:
                if isinstance(peer, dict) and isinstance(peer.get("peerASN"), int):
                    out["router_asn"] = peer["peerASN"]
                    if isinstance(peer.get("peerAddress"), str):
                        out["router_address"] = peer["peerAddress"]
                    break
            if out:
                return out
    for applied in index.applied_of_kind("CiliumBGPPeeringPolicy"):
        for router in applied.doc.get("spec", "virtualRouters") or []:
            if isinstance(router, dict) and isinstance(router.get("localASN"), int):
                out = {"cluster_asn": router["localASN"]}
                for neighbor in router.get("neighbors") or []:
                    if isinstance(neighbor, dict) and isinstance(neighbor.get("peerASN"), int):
                        out["router_asn"] = neighbor["peerASN"]
                        break
                return out
    return {}


# --- networks that are not written down anywhere as such ------------------------------------------
def _interfaces(doc: Any) -> list[tuple[str, Any]]:
    """(where, interface) of the node network interfaces a Talos or talhelper document declares."""
    data = doc.data
    out: list[tuple[str, Any]] = []
    if doc.doc_class == DocClass.TALHELPER and isinstance(data.get("nodes"), list):
        for i, node in enumerate(data["nodes"]):
            for j, iface in enumerate(node.get("networkInterfaces") or [] if isinstance(node, dict) else []):
                out.append((f"nodes[{i}].networkInterfaces[{j}]", iface))
    elif doc.doc_class == DocClass.TALOS and isinstance(data.get("machine"), dict):
        network = data["machine"].get("network")
        for j, iface in enumerate(network.get("interfaces") or [] if isinstance(network, dict) else []):
            out.append((f"machine.network.interfaces[{j}]", iface))
    flat: list[tuple[str, Any]] = []
    for where, iface in out:
        if isinstance(iface, dict):
            flat.append((where, iface))
            for k, vlan in enumerate(iface.get("vlans") or [] if isinstance(iface.get("vlans"), list) else []):
                if isinstance(vlan, dict):
                    flat.append((f"{where}.vlans[{k}]", vlan))
    return flat


def infer_node_networks(index: RepoIndex) -> tuple[list[str], str]:
    """The node subnets, from the interface addresses (``a.b.c.d/nn``) and routes Talos and talhelper
    declare, and a comment saying where they came from; ([], why) when the prefix is not written."""
    from .ipmath import RangeError, parse_address, parse_cidr

    networks: list[str] = []
    sources: list[str] = []
    bare: list[str] = []
    for doc in index.documents:
        if doc.doc_class not in (DocClass.TALOS, DocClass.TALHELPER) or not isinstance(doc.data, dict):
            continue
        for where, iface in _interfaces(doc):
            for address in iface.get("addresses") or [] if isinstance(iface.get("addresses"), list) else []:
                text = str(address)
                if "${" in text:
                    continue
                try:
                    network = str(parse_cidr(text).network)
                except RangeError:
                    if parse_address(text) is not None:
                        bare.append(text)
                    continue
                if network not in networks:
                    networks.append(network)
                    sources.append(f"{doc.path} {where}.addresses")
            for route in iface.get("routes") or [] if isinstance(iface.get("routes"), list) else []:
                if isinstance(route, dict) and route.get("gateway") is not None:
                    gateway = parse_address(str(route["gateway"]))
                    if gateway is not None and not any(gateway in parse_cidr(n).network for n in networks):
                        bare.append(f"gateway {gateway}")
        if doc.doc_class == DocClass.TALHELPER:
            for node in doc.data.get("nodes") or [] if isinstance(doc.data.get("nodes"), list) else []:
                if isinstance(node, dict) and isinstance(node.get("ipAddress"), str):
                    bare += [a.strip() for a in node["ipAddress"].split(",") if parse_address(a.strip())]
    if networks:
        return networks, "from " + "; ".join(sorted(set(sources))[:3]) + (" ..." if len(set(sources)) > 3 else "")
    if bare:
        listed = ", ".join(dict.fromkeys(bare))
        return [], f"node addresses {listed} are declared without a prefix length (fill in)"
    return [], "no Talos or talhelper node address found (fill in)"


def infer_loadbalancer_network(architecture: dict[str, Any]) -> tuple[list[str], str]:
    """The smallest network per address family that holds every pool, and a comment."""
    import ipaddress

    from .ipmath import RangeError, parse_pool_range

    bounds: dict[int, list[int]] = {}
    for pool in architecture.get("pools", {}).values():
        for text in pool.get("ranges", []):
            try:
                address_range = parse_pool_range(text)[0]
            except RangeError:
                continue
            low_high = bounds.setdefault(address_range.version, [address_range.first, address_range.last])
            low_high[0], low_high[1] = min(low_high[0], address_range.first), max(low_high[1], address_range.last)
    out: list[str] = []
    for version, (first, last) in sorted(bounds.items()):
        width = 32 if version == 4 else 128
        prefix = width - (first ^ last).bit_length()
        network = ipaddress.ip_network((first, prefix) if version == 4 else (first, prefix), strict=False)
        out.append(str(network))
    if not out:
        return [], "no LoadBalancer pool found (fill in)"
    return out, "the smallest network that holds every pool"


def render_pins(index: RepoIndex, policy: Policy) -> list[str]:
    """``addresses:`` lines pinning today's LoadBalancer allocations (``init --pin-addresses``)."""
    from .ipplan import build_plan

    plan = build_plan(index, policy)
    pins: dict[str, list[str]] = {}
    for cluster in plan.clusters:
        for row in cluster.rows:
            if row.status not in ("ok", "shared"):
                continue  # a duplicate or unpooled address is a finding to fix, not a plan to keep
            for owner in row.owners:
                bucket = pins.setdefault(owner.workload, [])
                if str(row.address) not in bucket:
                    bucket.append(str(row.address))
    if not pins:
        return ["  addresses: {}  # no LoadBalancer address is requested"]
    lines = ["  # Today's LoadBalancer allocations (init --pin-addresses); lb-ip-pin-mismatch keeps them.",
             "  addresses:"]
    for key, addresses in sorted(pins.items()):
        value = f'"{addresses[0]}"' if len(addresses) == 1 else _yaml_list(addresses)
        lines.append(f'    "{key}": {value}')
    return lines


def _yaml_list(values: list[str]) -> str:
    return "[" + ", ".join(f'"{v}"' for v in values) + "]"


def render_policy(index: RepoIndex, policy: Optional[Policy] = None, pin_addresses: bool = False) -> str:
    """The inferred policy as a commented YAML file for ``homeops-lint init``."""
    architecture = infer_architecture(index)
    nodes, nodes_note = infer_node_networks(index)
    loadbalancer, loadbalancer_note = infer_loadbalancer_network(architecture)
    bgp = _bgp(index)
    lines = [
        "# yaml-language-server: $schema=https://homeops-lint.dev/schemas/policy.schema.json",
        "# homeops-lint policy, inferred by 'homeops-lint init' from the applied manifests.",
        "# Review every value: the linter judges the repository against what is written here.",
        "version: 1",
        "architecture:",
        "  networks:",
    ]
    networks = {**architecture.get("networks", {}), "nodes": nodes, "loadbalancer": loadbalancer}
    for key, comment in (("nodes", f"node/management subnets: {nodes_note}"),
                         ("loadbalancer", f"the LoadBalancer network: {loadbalancer_note}"),
                         ("pods", "pod CIDRs (from Talos/talhelper)"), ("services", "service CIDRs")):
        values = networks.get(key, [])
        fill = "" if values or "(fill in)" in comment else " (fill in)"
        lines.append(f"    {key}: {_yaml_list(values)}  # {comment}{fill}")
    pools = architecture.get("pools", {})
    if pools:
        lines.append("  pools:  # role: default | ingress | reserved | any")
        for name, pool in pools.items():
            lines.append(f"    {name}: {{role: {pool['role']}, ranges: {_yaml_list(pool['ranges'])}}}")
    else:
        lines.append("  pools: {}  # no CiliumLoadBalancerIPPool found in the applied manifests")
    if bgp:
        lines.append("  bgp: {" + ", ".join(f"{k}: {v}" if k != "router_address" else f'{k}: "{v}"'
                                            for k, v in bgp.items()) + "}")
    if pin_addresses:
        from .policy import Policy

        lines += render_pins(index, policy if policy is not None else Policy(origin="none"))
    entries = infer_bootstrap(index)
    lines += [
        "  # Components installed before Flux (found in bootstrap helmfiles, scripts, Talos manifests).",
        "  # A plain name may not be reachable from any Flux Kustomization; mode: adopt lets Flux take",
        "  # over the bootstrap release when both definitions agree (chart, release name, namespace).",
        "  bootstrap_only: [" + ", ".join(entries) + "]",
        "rules: {}",
        "ignore: []",
        "",
    ]
    return "\n".join(lines)


def infer_bootstrap(index: RepoIndex) -> list[str]:
    """bootstrap_only entries for ``init``: what the bootstrap phase installs, as the repo shows it."""
    from .components import SourceLookup, bootstrap_definitions, load_components, match_document

    components = load_components({})
    entries: list[str] = []
    if any(d.doc_class in (DocClass.TALOS, DocClass.TALHELPER) for d in index.documents):
        entries.append("talos")
    installed = {d.component for d in bootstrap_definitions(index.files, components, index.is_applied)}
    installed.discard("talos")
    if not installed:
        return entries
    sources = SourceLookup((a.doc, a.namespace) for a in index.applied)
    in_flux = {m.component for a in index.applied if a.kustomization is not None
               for m in match_document(a.doc, a.namespace, {n: components[n] for n in installed}, sources)}
    for name in sorted(installed):
        entries.append(f"{{name: {name}, mode: adopt}}" if name in in_flux else name)
    return entries
