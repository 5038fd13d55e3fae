"""cidr-: pod, service, node and LoadBalancer networks are valid, disjoint, consistent and big enough.

Every comparison uses the masked network (what Kubernetes, Talos and Cilium actually use); host
bits are reported on their own (domain.md §6.1). See rules/catalog/cidr.yaml.
"""
from __future__ import annotations

from typing import Any, Optional

from ..context import Context
from ..ipmath import IPRange, family_name, host_bits, range_text, subnet_count
from ..model import DocClass, Severity
from ..network_cidr import (Group, NetValue, assign_clusters, cilium_groups, pool_group, policy_group, same_cluster,
                            talhelper_groups, talos_groups)

DEFAULT_NODE_MASKS = {4: 24, 6: 64}  # kube-controller-manager and Talos defaults
# Which kinds of network must never overlap. nodes x loadbalancer only when they partly overlap:
# L2-announced LoadBalancer IPs live inside the node subnet on purpose.
_DISJOINT = {
    frozenset({"pods", "services"}), frozenset({"pods", "nodes"}), frozenset({"pods", "node-ip"}),
    frozenset({"pods", "loadbalancer"}), frozenset({"pods", "pool"}), frozenset({"services", "nodes"}),
    frozenset({"services", "node-ip"}), frozenset({"services", "loadbalancer"}), frozenset({"services", "pool"}),
    frozenset({"node-ip", "pool"}),
}
_NAMES = {"pods": "pod", "services": "service", "nodes": "node", "node-ip": "node address",
          "loadbalancer": "LoadBalancer", "pool": "LoadBalancer pool"}


def check(ctx: Context) -> None:
    policy = policy_group(ctx.policy) if ctx.policy.origin == "file" else None
    talhelper, node_count = talhelper_groups(ctx.index)
    talos = talos_groups(ctx.index)
    cilium = cilium_groups(ctx.index)
    pools = pool_group(ctx.index, ctx.policy)
    repo_groups = [*talhelper, *talos, *cilium]
    clusters = assign_clusters(repo_groups)
    groups = ([policy] if policy else []) + repo_groups + ([pools] if pools else [])
    masks = _node_masks(talos)
    for group in groups:
        _check_invalid(ctx, group)
    reported: set[Any] = set()
    for group in groups:
        _check_overlap_within(ctx, group, reported)
    _check_overlap_across(ctx, groups, reported)
    _check_mismatch(ctx, policy, repo_groups, len(clusters) > 1)
    for group in groups:
        _check_family(ctx, group)
        _check_size(ctx, group, masks, node_count)
    _check_cilium_ipv6(ctx, cilium, [policy, *repo_groups] if policy else repo_groups)


# --- reporting ----------------------------------------------------------------------------------
def _report(ctx: Context, rule: str, value: NetValue, message: str, escalate: bool = False,
            unsure: bool = False) -> None:
    severity = Severity.ERROR if escalate else Severity.WARNING if unsure else None
    if value.doc is None:
        where, pos, note = ctx.policy.locate(*value.key)
        if where is None:
            return
        ctx.report(rule, where, message=message + note, pos=pos, severity=severity)
    else:
        # Talos and talhelper documents are not Kubernetes objects: no kind/name to show
        resource = None if value.doc.doc_class == DocClass.K8S else ""
        ctx.report(rule, value.doc, value.key, message, value=True, resource=resource, severity=severity)


# --- cidr-invalid -------------------------------------------------------------------------------
def _check_invalid(ctx: Context, group: Group) -> None:
    for value in group.values:
        if value.doc is None:
            continue  # the policy's own values: policy-invalid
        if value.error:
            _report(ctx, "cidr-invalid", value, f"{value.source}: {value.error}; write network/prefix, e.g. "
                    f"{'10.244.0.0/16' if ':' not in value.text else 'fd00:10:244::/56'}", escalate=True)
        elif value.parsed is not None and value.parsed.host_bits and value.check_host_bits:
            if group.strict:
                _report(ctx, "cidr-invalid", value,
                        f"{value.source}: {value.text} has host bits set; Talos rejects it (\"is not a valid CIDR\"). "
                        f"Write {value.parsed.network}", escalate=True)
            else:
                _report(ctx, "cidr-invalid", value,
                        f"{value.source}: {value.text} has host bits set, so it silently becomes "
                        f"{value.parsed.network}; write {value.parsed.network} (or the network you meant)")


# --- cidr-overlap -------------------------------------------------------------------------------
def _pair_key(a: NetValue, b: NetValue) -> Any:
    assert a.range is not None and b.range is not None
    return frozenset({(a.kind, a.range), (b.kind, b.range)})


def _overlapping(a: NetValue, b: NetValue) -> bool:
    if a.range is None or b.range is None or a.kind == b.kind or not a.range.overlaps(b.range):
        return False
    kinds = frozenset({a.kind, b.kind})
    if kinds == frozenset({"nodes", "loadbalancer"}):
        return not (a.range.covers(b.range) or b.range.covers(a.range))
    return kinds in _DISJOINT


def _overlap_message(a: NetValue, b: NetValue) -> str:
    assert a.range is not None and b.range is not None
    shared = IPRange(a.range.version, max(a.range.first, b.range.first), min(a.range.last, b.range.last))
    shown_a = str(a.parsed.network) if a.parsed else str(a.range)
    shown_b = str(b.parsed.network) if b.parsed else str(b.range)
    note = ""
    for v in (a, b):
        if v.parsed is not None and v.parsed.host_bits:
            note = f" ({v.text} means {v.parsed.network} once its host bits are masked)"
    if "node-ip" in (a.kind, b.kind):
        node, other = (a, b) if a.kind == "node-ip" else (b, a)
        shown_other = shown_b if other is b else shown_a
        return (f"the node address {node.range} is inside the {_NAMES[other.kind]} network {shown_other}{note}; "
                "a node address must not be handed out or routed as another network. Move one of them")
    return (f"the {_NAMES[a.kind]} network {shown_a} overlaps the {_NAMES[b.kind]} network {shown_b}{note}; they "
            f"share {range_text(shared)}. Give each its own, disjoint range")


def _check_overlap_within(ctx: Context, group: Group, reported: set[Any]) -> None:
    """Each statement of the architecture (the policy, a talconfig, a Talos patch) is judged on its own."""
    values = [v for v in group.values if v.range is not None]
    seen: set[Any] = set()
    for i, b in enumerate(values):
        for a in values[:i]:
            if _overlapping(a, b) and _pair_key(a, b) not in seen:
                seen.add(_pair_key(a, b))
                _report(ctx, "cidr-overlap", b, _overlap_message(a, b))
    reported.update(seen)


def _check_overlap_across(ctx: Context, groups: list[Group], reported: set[Any]) -> None:
    """Overlaps that only show when two sources are put together, reported once at the repository file."""
    flat = [(g, v) for g in groups for v in g.values if v.range is not None]
    for i, (group_b, b) in enumerate(flat):
        for group_a, a in flat[:i]:
            if group_a is group_b or not _overlapping(a, b) or not same_cluster(group_a, group_b):
                continue  # two clusters may reuse the same ranges
            key = _pair_key(a, b)
            if key in reported:
                continue
            reported.add(key)
            target = b if b.doc is not None else a
            other = a if target is b else b
            _report(ctx, "cidr-overlap", target, _overlap_message(other, target) + f" ({other.label()})")


# --- cidr-mismatch -------------------------------------------------------------------------------
def _networks(group: Group, kind: str) -> list[Any]:
    return sorted({v.parsed.network for v in group.of(kind) if v.parsed is not None},
                  key=lambda n: (n.version, int(n.network_address), n.prefixlen))


def _shown(networks: list[Any]) -> str:
    return ", ".join(str(n) for n in networks) or "nothing"


def _check_mismatch(ctx: Context, policy: Optional[Group], repo_groups: list[Group], several: bool) -> None:
    """Sources of the same cluster must agree. With several clusters in the repository, a source
    is compared with those of its own cluster; when its cluster is unknown, a mismatch warns."""
    for kind in ("pods", "services"):
        stating = [g for g in repo_groups if g.of(kind)]
        for group in stating:
            if policy is not None and policy.of(kind):
                reference = policy
            else:
                reference = next((g for g in stating if same_cluster(g, group)), group)
            if reference is group:
                continue
            expected = _networks(reference, kind)
            actual = _networks(group, kind)
            if actual != expected:
                first = group.of(kind)[0]
                ref_label = "the policy" if reference.doc is None else reference.label
                _report(ctx, "cidr-mismatch", first,
                        f"{group.label} states {kind} {_shown(actual)}, but {ref_label} states {_shown(expected)} "
                        "(compared after masking host bits); make every source agree",
                        unsure=several and (group.cluster is None or reference.cluster is None))
    # node addresses must lie in the declared node networks
    node_nets = [v.range for v in (policy.of("nodes") if policy else []) if v.range is not None]
    if node_nets:
        for group in repo_groups:
            for value in group.of("node-ip"):
                assert value.range is not None
                same = [n for n in node_nets if n.version == value.range.version]
                if same and not any(n.covers(value.range) for n in same):
                    _report(ctx, "cidr-mismatch", value,
                            f"{value.source} {value.range} is outside the policy's node networks "
                            f"({', '.join(str(IPRange(n.version, n.first, n.last)) for n in same)}); fix the "
                            "address or networks.nodes")
    # Cilium's native-routing CIDR must cover the pod network of its family (of its own cluster);
    # it may be wider than the pod network (domain.md §6.3: the range routed natively)
    for group in repo_groups:
        sources = ([policy] if policy else []) + [g for g in repo_groups if same_cluster(g, group)]
        pods = [v for g in sources for v in g.of("pods") if v.parsed is not None]
        unsure = several and (group.cluster is None or any(g.cluster is None for g in sources if g.of("pods")))
        for value in group.of("native-routing"):
            if value.parsed is None or value.family != (4 if "ipv4" in value.source.lower() else 6):
                continue  # a value of the wrong family is cidr-family's
            family_pods = {p.parsed.network for p in pods if p.parsed and p.parsed.network.version == value.family}
            uncovered = [p for p in family_pods if not p.subnet_of(value.parsed.network)]  # type: ignore[arg-type]
            if uncovered:
                _report(ctx, "cidr-mismatch", value,
                        f"{value.source} {value.parsed.network} does not cover the pod network "
                        f"{', '.join(str(p) for p in sorted(uncovered, key=str))}; pod traffic outside it is "
                        "masqueraded or dropped. Set it to the pod CIDR", unsure=unsure)


# --- cidr-family --------------------------------------------------------------------------------
def _families(values: list[NetValue]) -> list[int]:
    return [v.family for v in values if v.family]


def _check_family(ctx: Context, group: Group) -> None:
    lists = {kind: group.of(kind) for kind in ("pods", "services")}
    for kind, values in lists.items():
        families = _families(values)
        if len(families) > 2:
            _report(ctx, "cidr-family", values[2],
                    f"{values[2].source} has {len(families)} entries; Kubernetes allows at most two, one per family")
        for version in (4, 6):
            same = [v for v in values if v.family == version]
            if len(same) > 1:
                _report(ctx, "cidr-family", same[1],
                        f"{same[1].source} has a second {family_name(version)} network ({same[1].text}); dual-stack "
                        f"takes exactly one network per family. Keep one")
    pods, services = _families(lists["pods"]), _families(lists["services"])
    if pods and services:
        if set(pods) != set(services) or (len(pods) != len(services) and len(set(pods)) == len(pods)
                                          and len(set(services)) == len(services)):
            missing = sorted(set(pods) ^ set(services))
            target = lists["services"][0] if len(services) < len(pods) else lists["pods"][0]
            _report(ctx, "cidr-family", target,
                    f"{group.label} has {_family_names(pods)} pod network(s) but {_family_names(services)} "
                    "service network(s); "
                    f"dual-stack needs one of each per family (add the {', '.join(family_name(v) for v in missing)} "
                    "one, or drop the other)")
        elif len(pods) == len(services) and pods != services:
            _report(ctx, "cidr-family", lists["services"][0],
                    f"{group.label} lists pods as {_family_names(pods)} but services as {_family_names(services)}; "
                    "the first entry is the primary family, keep the same order in both")
    for value in group.of("native-routing"):
        wanted = 4 if "ipv4" in value.source.lower() else 6
        if value.family and value.family != wanted:
            _report(ctx, "cidr-family", value,
                    f"{value.source} holds the {family_name(value.family)} network {value.text}; it takes an "
                    f"{family_name(wanted)} CIDR")
    for value in group.values:
        if "IPv4PodCIDRList" in value.source and value.family == 6 or \
                "IPv6PodCIDRList" in value.source and value.family == 4:
            _report(ctx, "cidr-family", value, f"{value.source} holds the {family_name(value.family)} network "
                    f"{value.text}; move it to the other family's list")


def _family_names(families: list[int]) -> str:
    return "+".join(family_name(v) for v in families)


# --- cidr-size ----------------------------------------------------------------------------------
def _node_masks(talos: list[Group]) -> dict[int, int]:
    masks = dict(DEFAULT_NODE_MASKS)
    for group in talos:
        if not group.strict:
            masks.update(group.node_masks)
    return masks


def _check_size(ctx: Context, group: Group, cluster_masks: dict[int, int], node_count: int) -> None:
    options = ctx.options("cidr-size")
    max_bits = int(options.get("service_max_host_bits", 20))
    max_diff = int(options.get("max_node_mask_difference", 16))
    for value in group.of("services"):
        if value.parsed is None:
            continue
        bits = host_bits(value.parsed.network)
        if bits > max_bits:
            limit = value.parsed.network.max_prefixlen - max_bits
            _report(ctx, "cidr-size", value,
                    f"service network {value.parsed.network} has {bits} host bits; kube-apiserver (up to 1.33 with "
                    f"default feature gates) and Talos KubeNetworkConfig allow at most {max_bits} "
                    f"(/{limit} or longer). Use a /{limit}")
    cilium = group.cilium_values is not None
    masks = dict(cluster_masks)
    if cilium:
        masks = {4: 24, 6: 120}
    masks.update(group.node_masks)
    for value in group.of("pods"):
        if value.parsed is None:
            continue
        network = value.parsed.network
        mask = masks.get(network.version)
        if mask is None:
            continue
        what = "clusterPool mask size" if cilium else "per-node pod CIDR mask"
        if network.prefixlen > mask:
            _report(ctx, "cidr-size", value,
                    f"pod network {network} is smaller than the {what} /{mask}; no node can get a pod CIDR. Use a "
                    f"prefix of /{mask} or shorter")
            continue
        diff = mask - network.prefixlen
        if diff > max_diff and (network.version == 6 or group.strict or cilium):
            _report(ctx, "cidr-size", value,
                    f"pod network {network} with the {what} /{mask} is {diff} bits apart; the node CIDR allocator "
                    f"refuses more than {max_diff}. Use a pod prefix of /{mask - max_diff} or longer, or a per-node "
                    f"mask of /{network.prefixlen + max_diff} or shorter")
            continue
        count = subnet_count(network, mask)
        if not cilium and node_count and count < node_count:
            _report(ctx, "cidr-size", value,
                    f"pod network {network} with the {what} /{mask} gives {count} node CIDR"
                    f"{'s' if count != 1 else ''} for {node_count} nodes; the others get no "
                    f"{family_name(network.version)} pod CIDR. Use /{max(0, mask - max(_bits_for(node_count), 8))} "
                    f"or a longer node mask")


def _bits_for(count: int) -> int:
    return max(0, (count - 1).bit_length())


def _check_cilium_ipv6(ctx: Context, cilium: list[Group], others: list[Group]) -> None:
    """IPv6 pod networks are declared but the Cilium values leave IPv6 off (or the reverse)."""
    v6_pods = any(v.family == 6 for g in others for v in g.of("pods") if g.cilium_values is None)
    for group in cilium:
        values, base = group.cilium_values
        ipv6 = values.get("ipv6") if isinstance(values, dict) else None
        enabled = isinstance(ipv6, dict) and ipv6.get("enabled") is True
        if v6_pods and not enabled and group.doc is not None:
            key = base + ("ipv6", "enabled") if isinstance(ipv6, dict) and "enabled" in ipv6 else base
            ctx.report("cidr-family", group.doc, key,
                       f"{group.label}: IPv6 pod networks are declared, but ipv6.enabled is not true (it defaults to "
                       "false), so pods get no IPv6 address; set ipv6: {enabled: true}")
