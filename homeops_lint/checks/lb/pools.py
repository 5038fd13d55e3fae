"""lb-: the pools themselves: valid blocks, no overlap, inside the LoadBalancer network, and in
agreement with the policy's ``architecture.pools`` (lb-pool-*)."""
from __future__ import annotations

from typing import Any, Optional

from ...context import Context
from ...ipmath import IPRange, RangeError, describe_ranges, parse_cidr
from ...network import Pool, policy_pools

_YAML11_BOOLS = {"y", "yes", "n", "no", "true", "false", "on", "off"}


def lb_networks(ctx: Context) -> list[Any]:
    """The policy's ``networks.loadbalancer`` as networks (unparsable entries skipped)."""
    networks = ctx.policy.architecture.get("networks")
    values = networks.get("loadbalancer") if isinstance(networks, dict) else None
    out = []
    for text in values if isinstance(values, list) else []:
        try:
            out.append(parse_cidr(str(text)).network)
        except RangeError:
            continue
    return out


def check_pool_documents(ctx: Context, version: Optional[tuple[int, int]]) -> None:
    from ...network import pool_blocks

    for applied in ctx.index.applied_of_kind("CiliumLoadBalancerIPPool", "IPAddressPool"):
        doc = applied.doc
        if doc.kind == "IPAddressPool" and not doc.group.startswith("metallb.io"):
            continue
        _, problems = pool_blocks(doc, applied)
        for key, problem in problems:
            ctx.report("lb-pool-invalid", doc, key, f"pool {doc.name}: {problem}; Cilium rejects or ignores this "
                       "block. Write a CIDR or a start/stop pair of one family with start <= stop")
        spec = doc.get("spec")
        if not isinstance(spec, dict) or doc.kind != "CiliumLoadBalancerIPPool":
            continue
        _check_allow_first_last(ctx, doc, spec)
        api = doc.api_version.rsplit("/", 1)[-1]
        if "cidrs" in spec and (api != "v2alpha1" or version is None or version >= (1, 16)):
            running = f" (this repository deploys Cilium {version[0]}.{version[1]})" if version else ""
            ctx.report("lb-pool-invalid", doc, ("spec", "cidrs"),
                       f"spec.cidrs was removed in Cilium 1.16 and does not exist in {doc.api_version}{running}; "
                       "the API server drops it and the pool has no addresses. Rename it to spec.blocks")
        if not spec.get("blocks") and not spec.get("cidrs"):
            ctx.report("lb-pool-invalid", doc, ("spec",), f"pool {doc.name} has no blocks, so it offers no "
                       "addresses; add spec.blocks")
        if api == "v2alpha1" and version is not None and version >= (1, 18):
            ctx.report("lb-pool-deprecated-api", doc, ("apiVersion",),
                       f"cilium.io/v2alpha1 CiliumLoadBalancerIPPool is deprecated since Cilium 1.18 (this "
                       f"repository deploys {version[0]}.{version[1]}); use apiVersion: cilium.io/v2 (same spec)")


def _check_allow_first_last(ctx: Context, doc: Any, spec: Any) -> None:
    if "allowFirstLastIPs" not in spec:
        return
    value = spec["allowFirstLastIPs"]
    style = spec.vpos["allowFirstLastIPs"].style if hasattr(spec, "vpos") and "allowFirstLastIPs" in spec.vpos else ""
    text = "true" if value is True else "false" if value is False else str(value)
    if style == "" and (isinstance(value, bool) or text.lower() in _YAML11_BOOLS):
        fixed = "Yes" if text.lower() in ("y", "yes", "true", "on") else "No"
        ctx.report("lb-pool-invalid", doc, ("spec", "allowFirstLastIPs"),
                   f"allowFirstLastIPs: {text} is unquoted, so Kubernetes (YAML 1.1) reads a boolean and the "
                   f"string field rejects it; write allowFirstLastIPs: \"{fixed}\"", value=True)
    elif text not in ("Yes", "No"):
        ctx.report("lb-pool-invalid", doc, ("spec", "allowFirstLastIPs"),
                   f"allowFirstLastIPs must be exactly \"Yes\" or \"No\" (case-sensitive), not \"{text}\"",
                   value=True)


def check_pool_overlap(ctx: Context, pools: list[Pool]) -> None:
    flat = [(pool, block) for pool in pools for block in pool.blocks]
    flat.sort(key=lambda pb: (pb[0].doc.path, pb[0].doc.pos(*pb[1].key).line))
    for i, (pool_b, block_b) in enumerate(flat):
        for pool_a, block_a in flat[:i]:
            if not block_a.range.overlaps(block_b.range):
                continue
            shared = IPRange(block_a.range.version, max(block_a.range.first, block_b.range.first),
                             min(block_a.range.last, block_b.range.last))
            if "metallb" in (pool_a.implementation, pool_b.implementation):
                what = (f"overlaps {block_a.text} of pool {pool_a.name} ({pool_a.doc.path}); MetalLB's webhook "
                        "rejects overlapping pools, and two IPAMs would hand out the same address")
            elif pool_a is pool_b:
                what = f"overlaps {block_a.text} of the same pool; Cilium marks the pool conflicting"
            else:
                what = (f"overlaps {block_a.text} of pool {pool_a.name} ({pool_a.doc.path}); Cilium marks the newer "
                        "pool conflicting and disables all of its ranges")
            ctx.report("lb-pool-overlap", pool_b.doc, block_b.key,
                       f"pool {pool_b.name}: {block_b.text} {what}. They share {shared}; make the blocks disjoint")
            break


def check_pool_network(ctx: Context, pools: list[Pool]) -> None:
    networks = lb_networks(ctx)
    if not networks:
        return
    label = ", ".join(str(n) for n in networks)
    for pool in pools:
        for block in pool.blocks:
            same_family = [n for n in networks if n.version == block.range.version]
            if same_family and not any(IPRange.from_network(n).covers(block.range) for n in same_family):
                ctx.report("lb-pool-outside-network", pool.doc, block.key,
                           f"pool {pool.name}: {block.text} is outside the LoadBalancer network ({label}); the "
                           "router does not route it to the cluster. Move the pool into that network or declare "
                           "the network in the policy's networks.loadbalancer")
    if ctx.policy.origin != "file":
        return
    for name, _role, ranges in policy_pools(ctx.policy):
        for i, address_range in enumerate(ranges):
            same_family = [n for n in networks if n.version == address_range.version]
            if same_family and not any(IPRange.from_network(n).covers(address_range) for n in same_family):
                where, pos, note = ctx.policy.locate("architecture", "pools", name, "ranges")
                if where is not None:
                    ctx.report("lb-pool-outside-network", where, message=(
                        f"policy pool {name} ({address_range}) is outside networks.loadbalancer ({label}); fix the "
                        f"range or the network{note}"), pos=pos)


def _same_addresses(a: list[IPRange], b: list[IPRange]) -> bool:
    return _merge(a) == _merge(b)


def _merge(ranges: list[IPRange]) -> list[tuple[int, int, int]]:
    out: list[list[int]] = []
    for r in sorted(ranges):
        if out and out[-1][0] == r.version and r.first <= out[-1][2] + 1:
            out[-1][2] = max(out[-1][2], r.last)
        else:
            out.append([r.version, r.first, r.last])
    return [tuple(x) for x in out]  # type: ignore[misc]


def check_pool_declarations(ctx: Context, pools: list[Pool]) -> None:
    """The pool manifests and the policy's pools must agree on names, ranges and roles."""
    if ctx.policy.origin != "file":
        return
    declared = policy_pools(ctx.policy)
    if not declared:
        return
    by_name = {name: (role, ranges) for name, role, ranges in declared}
    names = {p.name for p in pools}
    for pool in pools:
        if pool.name not in by_name:
            same = [n for n, _r, rs in declared if rs and _same_addresses(rs, pool.ranges)]
            if same:
                ctx.report("lb-pool-mismatch", pool.doc, ("metadata", "name"),
                           f"pool {pool.name} has the ranges the policy declares for pool {same[0]}; use one name")
            else:
                ctx.report("lb-pool-undeclared", pool.doc, ("metadata", "name"),
                           f"pool {pool.name} ({pool.describe()}) is not declared in the policy's "
                           f"architecture.pools; declare it with its role so its addresses can be judged")
            continue
        role, ranges = by_name[pool.name]
        if ranges and pool.blocks and not _same_addresses(ranges, pool.ranges):
            ctx.report("lb-pool-mismatch", pool.doc, pool.blocks[0].key[:3],
                       f"pool {pool.name} is {pool.describe()}, but the policy declares {describe_ranges(ranges)}; "
                       "change the pool or the policy")
        if pool.implementation == "cilium" and pool.selector is None and not pool.disabled:
            if role == "ingress":
                ctx.report("lb-pool-mismatch", pool.doc, ("spec",),
                           f"the policy gives pool {pool.name} the ingress role, but it has no serviceSelector, so any "
                           "Service without a fixed address can be given one of its addresses; add a serviceSelector "
                           "(e.g. on io.kubernetes.service.namespace)")
            elif role == "reserved":
                ctx.report("lb-pool-mismatch", pool.doc, ("spec",),
                           f"the policy reserves pool {pool.name}, but it is enabled and selects every Service; "
                           "set spec.disabled: true or add a serviceSelector")
    if not pools:
        return
    for name, role, _ranges in declared:
        if name not in names and role != "reserved":
            where, pos, note = ctx.policy.locate("architecture", "pools", name)
            if where is not None:
                ctx.report("lb-pool-mismatch", where, message=(
                    f"the policy declares pool {name} ({role}), but no applied pool manifest has that name; add the "
                    f"CiliumLoadBalancerIPPool or remove the declaration{note}"), pos=pos)
