"""Infer an architecture when a repo has no policy file.

Pools come from the applied CiliumLoadBalancerIPPools (MetalLB IPAddressPools too), with their
role guessed from the name; networks come from the Talos and talhelper configs. The result has
the shape of the policy's ``architecture`` key, so ``homeops-lint init`` can write it for review.
"""
from __future__ import annotations

from typing import Any

from .model import DocClass

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


def infer_architecture(index: Any) -> dict[str, Any]:
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


def _bgp(index: Any) -> dict[str, Any]:
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


def _yaml_list(values: list[str]) -> str:
    return "[" + ", ".join(f'"{v}"' for v in values) + "]"


def render_policy(index: Any, policy: Any = None) -> str:
    """The inferred policy as a commented YAML file for ``homeops-lint init``."""
    architecture = infer_architecture(index)
    bgp = _bgp(index)
    lines = [
        "# yaml-language-server: $schema=https://homeops-lint.dev/schemas/policy.schema.json",
        "# homeops-lint policy, inferred by 'homeops-lint init' from the applied manifests.",
        "# Review every value: the linter judges the repository against what is written here.",
        "version: 1",
        "architecture:",
        "  networks:",
    ]
    networks = architecture.get("networks", {})
    for key, comment in (("nodes", "node/management subnets"), ("loadbalancer", "the LoadBalancer VLAN"),
                         ("pods", "pod CIDRs (from Talos/talhelper)"), ("services", "service CIDRs")):
        values = networks.get(key, [])
        lines.append(f"    {key}: {_yaml_list(values)}  # {comment}{'' if values else ' (fill in)'}")
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


def infer_bootstrap(index: Any) -> list[str]:
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
