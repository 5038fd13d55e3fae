"""bgp-: the cluster peers with the declared ASNs and actually announces its LoadBalancer IPs.

See rules/catalog/bgp.yaml, and domain.md §2 for the BGPv1/BGPv2 shapes and their defaults (a nil
selector selects nothing; a PeerConfig family without ``advertisements`` announces nothing).
"""
from __future__ import annotations

from typing import Any, Optional

from ..context import Context
from ..flux import Applied
from ..model import KeyPath
from ..network import LabelView, cilium_version, collect_requests, resolve, selector_matches

BGP_V2_KINDS = ("CiliumBGPClusterConfig", "CiliumBGPPeerConfig", "CiliumBGPAdvertisement",
                "CiliumBGPNodeConfigOverride")


def check(ctx: Context) -> None:
    version = cilium_version(ctx.index, ctx.policy)
    clusters = _applied(ctx, "CiliumBGPClusterConfig")
    peer_configs = _applied(ctx, "CiliumBGPPeerConfig")
    adverts = _applied(ctx, "CiliumBGPAdvertisement")
    policies = _applied(ctx, "CiliumBGPPeeringPolicy")
    _check_asns(ctx, clusters, policies)
    _check_deprecated(ctx, version, clusters, policies)
    _check_peering_policies(ctx, policies)
    _check_cluster_configs(ctx, clusters, peer_configs)
    selected = _check_peer_configs(ctx, peer_configs, adverts)
    _check_advertisements(ctx, adverts, selected, peer_configs)
    _check_lb_announced(ctx, clusters, peer_configs, adverts, policies)


def _applied(ctx: Context, kind: str) -> list[Applied]:
    seen: set[int] = set()
    out = []
    for applied in ctx.index.applied_of_kind(kind):
        if applied.doc.group == "cilium.io" and id(applied.doc) not in seen:
            seen.add(id(applied.doc))
            out.append(applied)
    return out


def _asn(applied: Applied, value: Any) -> Optional[int]:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    text, _ = resolve(applied, value)
    return int(text) if text is not None and text.strip().isdigit() else None


# --- ASNs ---------------------------------------------------------------------------------------
def _check_asns(ctx: Context, clusters: list[Applied], policies: list[Applied]) -> None:
    bgp = ctx.policy.architecture.get("bgp")
    if not isinstance(bgp, dict):
        return
    cluster_asn = bgp.get("cluster_asn") if isinstance(bgp.get("cluster_asn"), int) else None
    router_asn = bgp.get("router_asn") if isinstance(bgp.get("router_asn"), int) else None
    router_address = bgp.get("router_address") if isinstance(bgp.get("router_address"), str) else None
    for applied in clusters:
        for i, instance in _items(applied.doc.get("spec", "bgpInstances")):
            base: KeyPath = ("spec", "bgpInstances", i)
            _compare(ctx, applied, base + ("localASN",), instance.get("localASN"), cluster_asn, "local", "cluster_asn")
            for j, peer in _items(instance.get("peers")):
                if router_address and _strip_prefix(peer.get("peerAddress")) not in (None, router_address):
                    continue
                _compare(ctx, applied, base + ("peers", j, "peerASN"), peer.get("peerASN"), router_asn, "peer",
                         "router_asn")
    for applied in policies:
        for i, router in _items(applied.doc.get("spec", "virtualRouters")):
            base = ("spec", "virtualRouters", i)
            _compare(ctx, applied, base + ("localASN",), router.get("localASN"), cluster_asn, "local", "cluster_asn")
            for j, neighbor in _items(router.get("neighbors")):
                if router_address and _strip_prefix(neighbor.get("peerAddress")) not in (None, router_address):
                    continue
                _compare(ctx, applied, base + ("neighbors", j, "peerASN"), neighbor.get("peerASN"), router_asn,
                         "peer", "router_asn")


def _strip_prefix(value: Any) -> Optional[str]:
    return value.split("/", 1)[0].strip() if isinstance(value, str) else None


def _compare(ctx: Context, applied: Applied, key: KeyPath, raw: Any, expected: Optional[int], which: str,
             policy_key: str) -> None:
    if expected is None or raw is None:
        return
    actual = _asn(applied, raw)
    if actual is None or actual == expected:
        return
    if which == "peer" and actual == 0:
        message = (f"peerASN 0 accepts whatever ASN the router announces; the policy's router_asn is {expected}: "
                   f"pin peerASN: {expected}")
    else:
        message = (f"{which} ASN {actual} differs from the policy's {policy_key} {expected}; the session will not "
                   f"establish. Set it to {expected} (or fix architecture.bgp.{policy_key})")
    ctx.report("bgp-asn-mismatch", applied.doc, key, message, value=True)


def _items(value: Any) -> list[tuple[int, dict[str, Any]]]:
    return [(i, v) for i, v in enumerate(value) if isinstance(v, dict)] if isinstance(value, list) else []


# --- deprecated APIs ------------------------------------------------------------------------------
def _check_deprecated(ctx: Context, version: Optional[tuple[int, int]], clusters: list[Applied],
                      policies: list[Applied]) -> None:
    running = f" This repository deploys Cilium {version[0]}.{version[1]}." if version else ""
    for applied in policies:
        if version is not None and version >= (1, 19):
            extra = " The CRD no longer exists there, so applying it fails (no matches for kind)."
        elif clusters:
            extra = (" While it exists it overrides the CiliumBGPClusterConfig on the nodes both select "
                     "(the PeeringPolicy wins).")
        else:
            extra = ""
        ctx.report("bgp-deprecated-api", applied.doc, ("kind",),
                   "CiliumBGPPeeringPolicy (BGPv1) is deprecated since Cilium 1.18 and removed in 1.19."
                   f"{running}{extra} Migrate to CiliumBGPClusterConfig, CiliumBGPPeerConfig and "
                   "CiliumBGPAdvertisement (cilium.io/v2)")
    if version is None or version < (1, 18):
        return
    for kind in BGP_V2_KINDS:
        for applied in _applied(ctx, kind):
            if applied.doc.api_version == "cilium.io/v2alpha1":
                ctx.report("bgp-deprecated-api", applied.doc, ("apiVersion",),
                           f"{kind} cilium.io/v2alpha1 is deprecated since Cilium 1.18, which promoted BGPv2 to "
                           f"cilium.io/v2.{running} Change apiVersion to cilium.io/v2 (same spec)")


# --- BGPv1 ----------------------------------------------------------------------------------------
def _check_peering_policies(ctx: Context, policies: list[Applied]) -> None:
    for applied in policies:
        for i, router in _items(applied.doc.get("spec", "virtualRouters")):
            if router.get("serviceSelector") is None:
                ctx.report("bgp-advertisement-empty", applied.doc, ("spec", "virtualRouters", i),
                           "this virtual router has no serviceSelector, so it announces no Service (a nil selector "
                           "selects nothing); to announce every Service use a NotIn expression on a key no "
                           "Service carries")


# --- BGPv2 ----------------------------------------------------------------------------------------
def _check_cluster_configs(ctx: Context, clusters: list[Applied], peer_configs: list[Applied]) -> None:
    names = {a.doc.name for a in peer_configs}
    for applied in clusters:
        for i, instance in _items(applied.doc.get("spec", "bgpInstances")):
            for j, peer in _items(instance.get("peers")):
                key: KeyPath = ("spec", "bgpInstances", i, "peers", j)
                ref = peer.get("peerConfigRef")
                name = ref.get("name") if isinstance(ref, dict) else None
                if name is None:
                    ctx.report("bgp-advertisement-empty", applied.doc, key,
                               f"peer {peer.get('name', j)} has no peerConfigRef, so it uses the default peer "
                               "config, which advertises nothing; reference a CiliumBGPPeerConfig whose families "
                               "select your CiliumBGPAdvertisement")
                elif isinstance(name, str) and "${" not in name and name not in names:
                    ctx.report("bgp-peer-config-missing", applied.doc, key + ("peerConfigRef", "name"),
                               f"peerConfigRef {name} names no applied CiliumBGPPeerConfig (Cilium: MissingPeerConfigs)"
                               "; the peer gets no advertisements. Add the PeerConfig or fix the name"
                               + (f" (known: {', '.join(sorted(names))})" if names else ""), value=True)


def _check_peer_configs(ctx: Context, peer_configs: list[Applied], adverts: list[Applied]) -> set[int]:
    """Report families that announce nothing; return the ids of the advertisements some family selects."""
    selected: set[int] = set()
    for applied in peer_configs:
        families = applied.doc.get("spec", "families")
        if not isinstance(families, list) or not families:
            ctx.report("bgp-advertisement-empty", applied.doc, ("spec",),
                       f"CiliumBGPPeerConfig {applied.doc.name} has no families, so it defaults to IPv4 and IPv6 "
                       "unicast with no advertisements: nothing is announced. Add families with an "
                       "advertisements selector")
            continue
        for i, family in _items(families):
            afi = family.get("afi", "?")
            selector = family.get("advertisements")
            if selector is None:
                ctx.report("bgp-advertisement-empty", applied.doc, ("spec", "families", i),
                           f"the {afi}/{family.get('safi', 'unicast')} family has no advertisements selector, so "
                           "nothing is announced for it; add advertisements: {matchLabels: ...} matching your "
                           "CiliumBGPAdvertisement's labels")
                continue
            hits = [a for a in adverts
                    if selector_matches(selector, LabelView(a.doc.labels(), True)) is True]
            selected.update(id(a.doc) for a in hits)
            if not hits and adverts:
                ctx.report("bgp-advertisement-unselected", applied.doc, ("spec", "families", i, "advertisements"),
                           f"the {afi} family's advertisements selector matches no CiliumBGPAdvertisement "
                           f"(labels of {', '.join(a.doc.name for a in adverts)} differ), so nothing is announced; "
                           "align the selector with the advertisement's labels")
    return selected


def _check_advertisements(ctx: Context, adverts: list[Applied], selected: set[int],
                          peer_configs: list[Applied]) -> None:
    for applied in adverts:
        doc = applied.doc
        if peer_configs and id(doc) not in selected:
            hint = "it has no labels" if not doc.labels() else \
                f"its labels {', '.join(f'{k}={v}' for k, v in doc.labels().items())} match no family"
            ctx.report("bgp-advertisement-unselected", doc, ("metadata", "name"),
                       f"no CiliumBGPPeerConfig family selects CiliumBGPAdvertisement {doc.name} ({hint}), so it "
                       "announces nothing; label it to match a family's advertisements selector")
        for i, item in _items(doc.get("spec", "advertisements")):
            if item.get("advertisementType") != "Service":
                continue
            key: KeyPath = ("spec", "advertisements", i)
            if item.get("selector") is None:
                ctx.report("bgp-advertisement-empty", doc, key,
                           "this Service advertisement has no selector, and a nil selector selects no Service; to "
                           "announce every Service use matchExpressions [{key: somekey, operator: NotIn, values: "
                           "[never-used-value]}]")
            addresses = item.get("service", {}).get("addresses") if isinstance(item.get("service"), dict) else None
            if not isinstance(addresses, list) or not addresses:
                ctx.report("bgp-advertisement-empty", doc, key,
                           "this Service advertisement lists no service.addresses, so it announces nothing; add "
                           "service: {addresses: [LoadBalancerIP]}")


def _check_lb_announced(ctx: Context, clusters: list[Applied], peer_configs: list[Applied],
                        adverts: list[Applied], policies: list[Applied]) -> None:
    """With BGPv2 in use, each requested LoadBalancer IP family must be announced to some peer."""
    if not clusters and not policies:
        return
    requests = [r for r in collect_requests(ctx.index, ctx.policy).requests if r.kind == "request"]
    families = {r.address.version for r in requests}
    if not families:
        return
    announcing: set[int] = set()
    lb_adverts = [a for a in adverts if any(
        item.get("advertisementType") == "Service" and item.get("selector") is not None
        and isinstance(item.get("service"), dict) and "LoadBalancerIP" in (item["service"].get("addresses") or [])
        for _, item in _items(a.doc.get("spec", "advertisements")))]
    for applied in peer_configs:
        for _, family in _items(applied.doc.get("spec", "families")):
            selector = family.get("advertisements")
            if selector is None:
                continue
            if any(selector_matches(selector, LabelView(a.doc.labels(), True)) is True for a in lb_adverts):
                announcing.add(6 if family.get("afi") == "ipv6" else 4)
    for applied in policies:
        for _, router in _items(applied.doc.get("spec", "virtualRouters")):
            kinds = router.get("serviceAdvertisements")
            if router.get("serviceSelector") is not None and (kinds is None or "LoadBalancerIP" in (kinds or [])):
                announcing.update((4, 6))  # BGPv1 announces to every neighbor, per their families
    anchor = (clusters or policies)[0]
    key: KeyPath = ("spec", "bgpInstances") if clusters else ("spec", "virtualRouters")
    for version in sorted(families - announcing):
        example = next(r for r in requests if r.address.version == version)
        ctx.report("bgp-lb-not-advertised", anchor.doc, key,
                   f"LoadBalancer IPs such as {example.address} ({example.workload.describe()}) are requested, but no "
                   f"CiliumBGPPeerConfig ipv{version} family selects a CiliumBGPAdvertisement of LoadBalancerIP "
                   "Service addresses, so the router never learns them; add one")
