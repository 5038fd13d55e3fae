"""lb-: every LoadBalancer IP the applied set asks for lands in the right pool, and the pools are sane.

See rules/catalog/lb.yaml for each rule, and domain.md §1 and §3 for the Cilium LB-IPAM behaviour
the rules mirror (no_pool, pool_selector_mismatch, already_allocated, pool conflicts).
"""
from __future__ import annotations

from typing import Any, Optional

from ..context import Context
from ..ipmath import IPRange, RangeError, describe_ranges, first_last, parse_cidr
from ..network import (METALLB_POOL, METALLB_POOL_LEGACY, LabelView, Pool, Request, Requests,
                       Workload, collect_requests, cilium_version, first_last_reserved, ignored_reason, manifest_pools,
                       policy_pools, selector_keys, selector_matches, sharing_conflict)
from ..model import Severity

_YAML11_BOOLS = {"y", "yes", "n", "no", "true", "false", "on", "off"}


def check(ctx: Context) -> None:
    pools = manifest_pools(ctx.index, ctx.policy)
    version = cilium_version(ctx.index, ctx.policy)
    requests = collect_requests(ctx.index, ctx.policy)
    _check_pool_documents(ctx, version)
    _check_pool_overlap(ctx, pools)
    _check_pool_network(ctx, pools)
    _check_pool_declarations(ctx, pools)
    _check_requests(ctx, pools, requests, version)
    _check_duplicates(ctx, requests)
    _check_deprecated(ctx, requests)
    if ctx.enabled("lb-ip-pin-mismatch"):
        _check_pins(ctx, requests)
    if ctx.enabled("lb-pool-exhausted"):
        _check_exhausted(ctx)


# --- requests -----------------------------------------------------------------------------------
def _report(ctx: Context, rule: str, request: Request, message: str) -> None:
    ctx.report(rule, request.doc, request.key, message, namespace=request.workload.applied.namespace)


def _check_requests(ctx: Context, pools: list[Pool], requests: Requests, version: Optional[tuple[int, int]]) -> None:
    for bad in requests.bad:
        ctx.report("lb-ip-invalid", bad.workload.doc, bad.key,
                   f"'{bad.text}' in {bad.source}{bad.via} is not an IP address; Cilium logs it and drops it, so "
                   "the Service never gets it. Write a plain IPv4 or IPv6 address (comma-separated for several)",
                   namespace=bad.workload.applied.namespace)
    seen: set[tuple[Any, ...]] = set()
    for request in requests.requests:
        marker = (request.workload.identity, request.address, request.kind)
        if marker in seen:
            continue  # loadBalancerIP and the annotation asking for the same address: one request
        seen.add(marker)
        if request.kind == "target":
            _check_target(ctx, pools, request)
            continue
        if _ignored(ctx, pools, request):
            continue
        _check_one(ctx, pools, request, version)


def _ignored(ctx: Context, pools: list[Pool], request: Request) -> bool:
    """Requests no IPAM will ever read: report them (warning) and judge them no further."""
    reason = ignored_reason(request, {p.implementation for p in pools})
    if not reason:
        return False
    _report(ctx, "lb-ip-ignored", request, f"{request.address}{request.via}: {reason}")
    return True


def _candidate_pools(pools: list[Pool], request: Request) -> list[Pool]:
    if request.ipam in ("cilium", "metallb"):
        return [p for p in pools if p.implementation == request.ipam]
    return pools


def _role_pools_hint(ctx: Context, pools: list[Pool], role: str) -> str:
    wanted = "default" if role == "any" else role
    fitting = [p for p in pools if p.role in (wanted, "any") and not p.disabled and p.blocks]
    if any(p.role_source == "policy" for p in fitting):
        fitting = [p for p in fitting if p.role_source == "policy"]  # the planned pools, not stray ones
    if fitting:
        return "; " + "; ".join(f"the {p.role.replace('any', 'any-role')} pool {p.name} is {p.describe()}" for p in fitting[:3])
    declared = [(n, r, rs) for n, r, rs in policy_pools(ctx.policy) if r in (wanted, "any") and rs]
    if declared:
        return "; " + "; ".join(f"the {r.replace('any', 'any-role')} pool {n} is {describe_ranges(rs)}" for n, r, rs in declared[:3])
    return ""


def _check_one(ctx: Context, pools: list[Pool], request: Request, version: Optional[tuple[int, int]]) -> None:
    workload = request.workload
    address = request.address
    ip = f"{address}{request.via}"
    role = workload.role
    candidates = _candidate_pools(pools, request)
    if not pools:
        _check_against_policy(ctx, request)
        return
    holding = [p for p in candidates if any(r.contains(address) for r in p.ranges)]
    if not holding:
        reserved = [n for n, r, rs in policy_pools(ctx.policy) if r == "reserved" and any(x.contains(address) for x in rs)]
        if reserved:
            _report(ctx, "lb-ip-reserved", request,
                    f"{ip} is in the reserved pool {reserved[0]}; reserved addresses are not handed out. "
                    f"Pick another address{_role_pools_hint(ctx, pools, role)}")
            return
        consequence = "MetalLB cannot assign it" if all(p.implementation == "metallb" for p in candidates or pools) \
            else "Cilium reports no_pool"
        _report(ctx, "lb-ip-outside-pool", request,
                f"{ip} is in no pool, so {consequence} and the {workload.describe()} never gets an "
                f"address{_role_pools_hint(ctx, candidates or pools, role)}")
        return
    enabled = [p for p in holding if not p.disabled]
    pool = (enabled or holding)[0]
    if pool.role == "reserved":
        _report(ctx, "lb-ip-reserved", request,
                f"{ip} is in {pool.name}, a reserved pool{' (disabled)' if pool.disabled else ''}; it is not for "
                f"allocation. Pick another address{_role_pools_hint(ctx, pools, role)}")
        return
    if not enabled:
        _report(ctx, "lb-ip-outside-pool", request,
                f"{ip} is only in pool {pool.name}, which is disabled (spec.disabled: true), so no pool can hand it "
                f"out{_role_pools_hint(ctx, pools, role)}")
        return
    # Without a policy file pool roles are guessed from names; "default" then only means "no hint".
    guessed_default = ctx.policy.origin != "file" and pool.role == "default"
    if not (pool.role == "any" or role == "any" or pool.role == role or guessed_default):
        _report(ctx, "lb-ip-wrong-pool", request,
                f"{ip} is in the {pool.role} pool {pool.name}, but {workload.describe()} has the {role} role. "
                f"Move it"
                f"{_role_pools_hint(ctx, pools, role)}, or set its role in the policy's workload_roles")
    _check_selector(ctx, pool, request)
    _check_first_last(ctx, pool, request, version)


def _check_against_policy(ctx: Context, request: Request) -> None:
    """No pool manifest in the repository (pools made elsewhere): judge by the policy's pools."""
    declared = policy_pools(ctx.policy)
    if not declared:
        return
    address, workload = request.address, request.workload
    holding = [(n, r) for n, r, rs in declared if any(x.contains(address) for x in rs)]
    hint = _role_pools_hint(ctx, [], workload.role)
    if not holding:
        _report(ctx, "lb-ip-outside-pool", request,
                f"{address}{request.via} is in no pool the policy declares{hint}")
    elif holding[0][1] == "reserved":
        _report(ctx, "lb-ip-reserved", request,
                f"{address}{request.via} is in the reserved pool {holding[0][0]}; pick another address{hint}")
    elif not (holding[0][1] == "any" or workload.role in ("any", holding[0][1])):
        _report(ctx, "lb-ip-wrong-pool", request,
                f"{address}{request.via} is in the {holding[0][1]} pool {holding[0][0]}, but "
                f"{workload.describe()} has the {workload.role} role{hint}")


def _check_selector(ctx: Context, pool: Pool, request: Request) -> None:
    workload = request.workload
    if pool.implementation == "metallb":
        wanted = workload.annotations.get(METALLB_POOL) or workload.annotations.get(METALLB_POOL_LEGACY)
        if isinstance(wanted, str) and wanted.strip() and wanted.strip() != pool.name:
            _report(ctx, "lb-pool-selector-mismatch", request,
                    f"{request.address} is in MetalLB pool {pool.name}, but the Service asks for pool "
                    f"{wanted.strip()} (metallb.io/address-pool); make them agree")
        _check_metallb_allocation(ctx, pool, request)
        return
    if pool.selector is None:
        return
    result = selector_matches(pool.selector, workload.labels)
    if result is not False and not _label_as_annotation(pool.selector, workload.labels):
        return
    hint = ""
    misplaced = sorted(k for k in selector_keys(pool.selector)
                       if k in workload.labels.annotations and k not in workload.labels.labels)
    if misplaced:
        where = "labels" if workload.kind == "Service" else "service labels"
        hint = (f"; {', '.join(misplaced)} is set as an annotation, but pool selectors read labels: move it to "
                f"{where}")
    elif result is False:
        hint = f"; change the selector or give the Service the labels/namespace it selects"
    else:
        return
    _report(ctx, "lb-pool-selector-mismatch", request,
            f"{request.address}{request.via} is in pool {pool.name}, whose serviceSelector does not select "
            f"{workload.describe()} (Cilium: pool_selector_mismatch){hint}")


def _label_as_annotation(selector: Any, view: LabelView) -> bool:
    """A selector key the workload sets only as an annotation: a mistake whatever else is unknown."""
    return any(k in view.annotations and k not in view.labels for k in selector_keys(selector))


def _check_metallb_allocation(ctx: Context, pool: Pool, request: Request) -> None:
    allocation = pool.doc.get("spec", "serviceAllocation")
    namespaces = allocation.get("namespaces") if isinstance(allocation, dict) else None
    ns = request.workload.namespace
    if isinstance(namespaces, list) and namespaces and ns is not None and ns not in [str(n) for n in namespaces]:
        _report(ctx, "lb-pool-selector-mismatch", request,
                f"{request.address} is in MetalLB pool {pool.name}, whose serviceAllocation.namespaces "
                f"({', '.join(str(n) for n in namespaces)}) excludes namespace {ns}")


def _check_first_last(ctx: Context, pool: Pool, request: Request, version: Optional[tuple[int, int]]) -> None:
    if not first_last_reserved(pool, version):
        return
    for block in pool.blocks:
        if block.cidr is None or block.range.size < 4 or not block.range.contains(request.address):
            continue
        first, last = first_last(block.cidr.network)
        if request.address in (first, last):
            which = "first" if request.address == first else "last"
            _report(ctx, "lb-ip-first-last", request,
                    f"{request.address}{request.via} is the {which} address of {block.cidr.network} in pool "
                    f"{pool.name}, and allowFirstLastIPs is \"No\": Cilium pre-allocates it, so the request fails "
                    "with already_allocated. Pick an inner address or set allowFirstLastIPs: \"Yes\"")


def _check_target(ctx: Context, pools: list[Pool], request: Request) -> None:
    """An external-dns target IP: judged only when it lies in the LoadBalancer network or a pool."""
    address = request.address
    in_network = any(n.version == address.version and address in n for n in _lb_networks(ctx))
    holding = [p for p in pools if any(r.contains(address) for r in p.ranges)]
    if holding and holding[0].role == "reserved":
        _report(ctx, "lb-ip-reserved", request,
                f"external-dns points at {address}{request.via}, which is in the reserved pool {holding[0].name}; "
                "no Service can hold it")
    elif in_network and pools and not holding:
        _report(ctx, "lb-ip-outside-pool", request,
                f"external-dns points at {address}{request.via}, which is in the LoadBalancer network but in no "
                "pool, so no Service can hold it; point the record at the ingress address")


def _lb_networks(ctx: Context) -> list[Any]:
    networks = ctx.policy.architecture.get("networks")
    values = networks.get("loadbalancer") if isinstance(networks, dict) else None
    out = []
    for text in values if isinstance(values, list) else []:
        try:
            out.append(parse_cidr(str(text)).network)
        except RangeError:
            continue
    return out


# --- duplicates ---------------------------------------------------------------------------------
def _check_duplicates(ctx: Context, requests: Requests) -> None:
    by_ip: dict[Any, list[Request]] = {}
    for request in requests.requests:
        if request.kind == "target":
            continue
        group = by_ip.setdefault(request.address, [])
        if all(r.workload.identity != request.workload.identity for r in group):
            group.append(request)
    for address, group in by_ip.items():
        if len(group) < 2:
            continue
        group.sort(key=lambda r: (r.doc.path, r.doc.pos(*r.key).line))
        for i, later in enumerate(group[1:], start=1):
            for earlier in group[:i]:
                reason = sharing_conflict(earlier.workload, later.workload)
                if reason:
                    where = f"{earlier.doc.path}:{earlier.doc.pos(*earlier.key).line}"
                    metallb = "metallb" in (earlier.ipam, later.ipam)
                    key = "metallb.io/allow-shared-ip" if metallb else "lbipam.cilium.io/sharing-key"
                    _report(ctx, "lb-ip-duplicate", later,
                            f"{address}{later.via} is also requested by {earlier.workload.describe()} ({where}); "
                            f"{reason}. Only one of them gets it"
                            f"{'' if metallb else ' (already_allocated)'}: give one another address, "
                            f"or share it with the same {key} on both and distinct ports")
                    break


def _check_deprecated(ctx: Context, requests: Requests) -> None:
    for workload, key, old, new in requests.deprecated:
        ctx.report("lb-deprecated-annotation", workload.doc, key,
                   f"{old} is the deprecated spelling; use {new} (when both are set, {new} wins)",
                   namespace=workload.applied.namespace)


# --- pools --------------------------------------------------------------------------------------
def _check_pool_documents(ctx: Context, version: Optional[tuple[int, int]]) -> None:
    from ..network import pool_blocks

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


def _check_pool_overlap(ctx: Context, pools: list[Pool]) -> None:
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


def _check_pool_network(ctx: Context, pools: list[Pool]) -> None:
    networks = _lb_networks(ctx)
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


def _check_pool_declarations(ctx: Context, pools: list[Pool]) -> None:
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



# --- the IP plan: pinned addresses and pool headroom -----------------------------------------------
def _check_pins(ctx: Context, requests: Requests) -> None:
    """``architecture.addresses``: a pinned workload asks for exactly its addresses, and nobody else does."""
    from ..ipplan import read_pins, workload_key

    pins = read_pins(ctx.policy)
    if not pins.pins:
        return
    for pin in pins.pins:
        for bad in pin.bad:
            where, pos, note = ctx.policy.locate("architecture", "addresses", pin.key)
            if where is not None:
                ctx.report("lb-ip-pin-mismatch", where, message=(
                    f"the pin {pin.key}: '{bad}' is not an IP address, so it pins nothing{note}"), pos=pos)
    by_address = pins.by_address()
    asked: dict[tuple[Any, ...], tuple[Workload, list[Request]]] = {}
    for request in requests.requests:
        if request.kind != "target":
            asked.setdefault(request.workload.identity, (request.workload, []))[1].append(request)
    requested_by_pin: dict[str, set[Any]] = {}
    for workload, own in asked.values():
        key = workload_key(workload)
        mine = [p for p in pins.pins if p.matches(key)]
        allowed = {a for p in mine for a in p.addresses}
        seen: set[Any] = set()
        for request in own:
            if request.address in seen:
                continue
            seen.add(request.address)
            for pin in mine:
                requested_by_pin.setdefault(pin.key, set()).add(request.address)
            holders = [p.key for p in by_address.get(request.address, []) if not p.matches(key)]
            if mine and request.address not in allowed:
                taken = f"; it is pinned to {', '.join(holders)}" if holders else ""
                _report(ctx, "lb-ip-pin-mismatch", request,
                        f"{workload.describe()} is pinned to {_addresses(allowed)} in the policy "
                        f"(architecture.addresses {mine[0].key}), but asks for {request.address}{request.via}"
                        f"{taken}; change the request or the pin")
            elif holders and not mine:
                _report(ctx, "lb-ip-pin-mismatch", request,
                        f"{request.address}{request.via} is pinned to {', '.join(holders)} in the policy "
                        f"(architecture.addresses), but {workload.describe()} asks for it; pick a free address "
                        "('homeops-lint ip --free POOL') or pin it to this workload too if they share it")
    for pin in pins.pins:
        if pin.glob or not pin.addresses:
            continue
        matched = [(w, own) for w, own in asked.values() if pin.matches(workload_key(w))]
        missing = [a for a in pin.addresses if a not in requested_by_pin.get(pin.key, set())]
        strays = any(r.address not in pin.addresses for _w, own in matched for r in own)
        if matched and missing and not strays:  # a stray request is reported above, with the pin
            workload, own = matched[0]
            _report(ctx, "lb-ip-pin-mismatch", own[0],
                    f"{workload.describe()} is pinned to {_addresses(pin.addresses)} in the policy "
                    f"(architecture.addresses {pin.key}), but does not ask for {_addresses(missing)}; "
                    "add it to the request or drop it from the pin")
        elif not matched:
            _pinned_without_request(ctx, pin)


def _addresses(addresses: Any) -> str:
    ordered = sorted(addresses, key=lambda a: (a.version, int(a)))
    return ", ".join(str(a) for a in ordered)


def _pinned_without_request(ctx: Context, pin: Any) -> None:
    """A pinned LoadBalancer Service that asks for no address gets any free one from the IPAM."""
    from ..ipplan import values_key_path

    name_part, _, values_key = pin.key.partition(":")
    namespace, _, name = name_part.partition("/")
    if values_key:
        for applied in ctx.index.applied_of_kind("HelmRelease"):
            doc = applied.doc
            target = doc.get("spec", "targetNamespace")
            ns = target if isinstance(target, str) else (applied.namespace or "default")
            if doc.name != name or ns != namespace:
                continue
            for path in values_key_path(values_key):
                service = doc.get("spec", "values", *path)
                if isinstance(service, dict) and service.get("type") == "LoadBalancer":
                    ctx.report("lb-ip-pin-mismatch", doc, ("spec", "values", *path, "type"),
                               f"HelmRelease {ns}/{name} makes a LoadBalancer Service at values {'.'.join(path)}, "
                               f"pinned to {_addresses(pin.addresses)} in the policy (architecture.addresses "
                               f"{pin.key}), but it asks for no address, so the IPAM gives it any free one; add "
                               f"annotations: {{lbipam.cilium.io/ips: \"{_addresses(pin.addresses)}\"}}",
                               namespace=applied.namespace)
                    break
        return
    for applied in ctx.index.applied_of_kind("Service"):
        doc = applied.doc
        if doc.group or doc.name != name or (applied.namespace or "default") != namespace:
            continue
        if doc.get("spec", "type") == "LoadBalancer":
            ctx.report("lb-ip-pin-mismatch", doc, ("spec", "type"),
                       f"Service {namespace}/{name} is pinned to {_addresses(pin.addresses)} in the policy "
                       f"(architecture.addresses {pin.key}), but asks for no address, so the IPAM gives it any "
                       f"free one; add the annotation lbipam.cilium.io/ips: \"{_addresses(pin.addresses)}\"",
                       namespace=applied.namespace)


def _check_exhausted(ctx: Context) -> None:
    """Warn when a pool is nearly full; an error when what it must hand out exceeds its size."""
    from ..ipplan import DEFAULT_HEADROOM, build_plan

    headroom = int(ctx.policy.limit("pool_headroom", DEFAULT_HEADROOM))
    headroom = headroom if isinstance(headroom, int) and not isinstance(headroom, bool) else DEFAULT_HEADROOM
    plan = build_plan(ctx.index, ctx.policy)
    pools = {p.name: p for p in manifest_pools(ctx.index, ctx.policy)}
    reported: set[str] = set()
    for cluster in plan.clusters:
        for pool in cluster.pools:
            if not pool.allocatable or pool.name in reported:
                continue
            taken = len(pool.used | pool.pinned | pool.reserved_edges() | pool.other_reserved)
            demand = taken + pool.dynamic
            parts = [f"{len(pool.used)} requested"]
            if pool.pinned - pool.used:
                parts.append(f"{len(pool.pinned - pool.used)} pinned but not requested")
            if pool.reserved_edges():
                parts.append(f"{len(pool.reserved_edges())} first/last pre-allocated")
            if pool.other_reserved:
                parts.append(f"{len(pool.other_reserved)} also in another pool")
            if pool.dynamic:
                parts.append(f"{pool.dynamic} LoadBalancer Service{'s' if pool.dynamic != 1 else ''} without an "
                             "address that only this pool serves")
            counted = ", ".join(parts)
            if demand > pool.size:
                message = (f"pool {pool.name} ({pool.describe()}) has {pool.size} address"
                           f"{'es' if pool.size != 1 else ''} but must hand out {demand} ({counted}); Cilium "
                           "answers out_of_ips and a Service stays <pending>. Grow the pool or add another one")
                severity = Severity.ERROR
            elif pool.size > headroom and pool.free < headroom and not all(b.size == 1 for b in pool.blocks):
                # (a pool of single addresses is a per-Service list, sized on purpose)
                message = (f"pool {pool.name} ({pool.describe()}) has {pool.free} free address"
                           f"{'es' if pool.free != 1 else ''} of {pool.size} ({counted}), fewer than "
                           f"limits.pool_headroom ({headroom}); the next LoadBalancer Service may get none")
                severity = None
            else:
                continue
            reported.add(pool.name)
            manifest = pools.get(pool.name)
            if manifest is not None and pool.source == "manifest":
                ctx.report("lb-pool-exhausted", manifest.doc, ("metadata", "name"), message, severity=severity)
            else:
                where, pos, note = ctx.policy.locate("architecture", "pools", pool.name)
                if where is not None:
                    ctx.report("lb-pool-exhausted", where, message=message + note, pos=pos, severity=severity)
