"""lb-: the IP plan: pinned addresses (``architecture.addresses``) and pool headroom
(lb-ip-pin-mismatch, lb-pool-exhausted)."""
from __future__ import annotations

from typing import Any

from ...context import Context
from ...model import Severity
from ...network import Request, Requests, Workload, manifest_pools
from .requests import report_request


def check_pins(ctx: Context, requests: Requests) -> None:
    """``architecture.addresses``: a pinned workload asks for exactly its addresses, and nobody else does."""
    from ...ipplan import read_pins, workload_key

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
                report_request(ctx, "lb-ip-pin-mismatch", request,
                        f"{workload.describe()} is pinned to {_addresses(allowed)} in the policy "
                        f"(architecture.addresses {mine[0].key}), but asks for {request.address}{request.via}"
                        f"{taken}; change the request or the pin")
            elif holders and not mine:
                report_request(ctx, "lb-ip-pin-mismatch", request,
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
            report_request(ctx, "lb-ip-pin-mismatch", own[0],
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
    from ...ipplan import values_key_path

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


def check_exhausted(ctx: Context) -> None:
    """Warn when a pool is nearly full; an error when what it must hand out exceeds its size."""
    from ...ipplan import DEFAULT_HEADROOM, build_plan

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
