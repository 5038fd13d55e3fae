"""lb-: the LoadBalancer addresses the applied set asks for: each lands in the right pool, is
handed out once, and uses the current annotation (lb-ip-*, lb-pool-selector-mismatch,
lb-deprecated-annotation)."""
from __future__ import annotations

from typing import Any, Optional

from ...context import Context
from ...ipmath import describe_ranges, first_last
from ...network import (METALLB_POOL, METALLB_POOL_LEGACY, LabelView, Pool, Request, Requests,
                        first_last_reserved, ignored_reason, policy_pools, selector_keys, selector_matches,
                        sharing_conflict)
from .pools import lb_networks


def report_request(ctx: Context, rule: str, request: Request, message: str) -> None:
    ctx.report(rule, request.doc, request.key, message, namespace=request.workload.applied.namespace)


def check_requests(ctx: Context, pools: list[Pool], requests: Requests, version: Optional[tuple[int, int]]) -> None:
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
    report_request(ctx, "lb-ip-ignored", request, f"{request.address}{request.via}: {reason}")
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
            report_request(ctx, "lb-ip-reserved", request,
                    f"{ip} is in the reserved pool {reserved[0]}; reserved addresses are not handed out. "
                    f"Pick another address{_role_pools_hint(ctx, pools, role)}")
            return
        consequence = "MetalLB cannot assign it" if all(p.implementation == "metallb" for p in candidates or pools) \
            else "Cilium reports no_pool"
        report_request(ctx, "lb-ip-outside-pool", request,
                f"{ip} is in no pool, so {consequence} and the {workload.describe()} never gets an "
                f"address{_role_pools_hint(ctx, candidates or pools, role)}")
        return
    enabled = [p for p in holding if not p.disabled]
    pool = (enabled or holding)[0]
    if pool.role == "reserved":
        report_request(ctx, "lb-ip-reserved", request,
                f"{ip} is in {pool.name}, a reserved pool{' (disabled)' if pool.disabled else ''}; it is not for "
                f"allocation. Pick another address{_role_pools_hint(ctx, pools, role)}")
        return
    if not enabled:
        report_request(ctx, "lb-ip-outside-pool", request,
                f"{ip} is only in pool {pool.name}, which is disabled (spec.disabled: true), so no pool can hand it "
                f"out{_role_pools_hint(ctx, pools, role)}")
        return
    # Without a policy file pool roles are guessed from names; "default" then only means "no hint".
    guessed_default = ctx.policy.origin != "file" and pool.role == "default"
    if not (pool.role == "any" or role == "any" or pool.role == role or guessed_default):
        report_request(ctx, "lb-ip-wrong-pool", request,
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
        report_request(ctx, "lb-ip-outside-pool", request,
                f"{address}{request.via} is in no pool the policy declares{hint}")
    elif holding[0][1] == "reserved":
        report_request(ctx, "lb-ip-reserved", request,
                f"{address}{request.via} is in the reserved pool {holding[0][0]}; pick another address{hint}")
    elif not (holding[0][1] == "any" or workload.role in ("any", holding[0][1])):
        report_request(ctx, "lb-ip-wrong-pool", request,
                f"{address}{request.via} is in the {holding[0][1]} pool {holding[0][0]}, but "
                f"{workload.describe()} has the {workload.role} role{hint}")


def _check_selector(ctx: Context, pool: Pool, request: Request) -> None:
    workload = request.workload
    if pool.implementation == "metallb":
        wanted = workload.annotations.get(METALLB_POOL) or workload.annotations.get(METALLB_POOL_LEGACY)
        if isinstance(wanted, str) and wanted.strip() and wanted.strip() != pool.name:
            report_request(ctx, "lb-pool-selector-mismatch", request,
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
    report_request(ctx, "lb-pool-selector-mismatch", request,
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
        report_request(ctx, "lb-pool-selector-mismatch", request,
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
            report_request(ctx, "lb-ip-first-last", request,
                    f"{request.address}{request.via} is the {which} address of {block.cidr.network} in pool "
                    f"{pool.name}, and allowFirstLastIPs is \"No\": Cilium pre-allocates it, so the request fails "
                    "with already_allocated. Pick an inner address or set allowFirstLastIPs: \"Yes\"")


def _check_target(ctx: Context, pools: list[Pool], request: Request) -> None:
    """An external-dns target IP: judged only when it lies in the LoadBalancer network or a pool."""
    address = request.address
    in_network = any(n.version == address.version and address in n for n in lb_networks(ctx))
    holding = [p for p in pools if any(r.contains(address) for r in p.ranges)]
    if holding and holding[0].role == "reserved":
        report_request(ctx, "lb-ip-reserved", request,
                f"external-dns points at {address}{request.via}, which is in the reserved pool {holding[0].name}; "
                "no Service can hold it")
    elif in_network and pools and not holding:
        report_request(ctx, "lb-ip-outside-pool", request,
                f"external-dns points at {address}{request.via}, which is in the LoadBalancer network but in no "
                "pool, so no Service can hold it; point the record at the ingress address")



# --- duplicates ---------------------------------------------------------------------------------
def check_duplicates(ctx: Context, requests: Requests) -> None:
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
                    report_request(ctx, "lb-ip-duplicate", later,
                            f"{address}{later.via} is also requested by {earlier.workload.describe()} ({where}); "
                            f"{reason}. Only one of them gets it"
                            f"{'' if metallb else ' (already_allocated)'}: give one another address, "
                            f"or share it with the same {key} on both and distinct ports")
                    break


def check_deprecated(ctx: Context, requests: Requests) -> None:
    for workload, key, old, new in requests.deprecated:
        ctx.report("lb-deprecated-annotation", workload.doc, key,
                   f"{old} is the deprecated spelling; use {new} (when both are set, {new} wins)",
                   namespace=workload.applied.namespace)
