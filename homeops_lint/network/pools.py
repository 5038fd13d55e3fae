"""LoadBalancer pools (Cilium ``CiliumLoadBalancerIPPool``, MetalLB ``IPAddressPool``) with their
blocks, selector, state and the role the policy gives them, and the Cilium version the repository
deploys, when it says so."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Optional

from ..flux import Applied
from ..ipmath import IPRange, ParsedCIDR, RangeError, parse_address, parse_cidr, parse_pool_range
from ..model import Document, KeyPath
from .values import resolve, scalar_text

POOL_KINDS = ("CiliumLoadBalancerIPPool", "IPAddressPool")
# Charts and workloads that terminate ingress traffic. k8s-gateway is a DNS server, not a gateway.
# Bare "gateway" is not enough (pushgateway, loki-gateway); Gateway objects and gateway labels are.
INGRESS_WORDS = ("ingress", "traefik", "envoy", "contour", "kong", "gateway-helm")
NOT_INGRESS = ("k8s-gateway", "k8s_gateway", "k8sgateway", "external-dns")


# --- versions ---------------------------------------------------------------------------------
_VERSION_RE = re.compile(r"v?(\d+)\.(\d+)(?:\.(\d+))?")


def parse_version(text: Any) -> Optional[tuple[int, int]]:
    match = _VERSION_RE.match(str(text).strip()) if text is not None else None
    return (int(match.group(1)), int(match.group(2))) if match else None


def cilium_version(index: Any, policy: Any) -> Optional[tuple[int, int]]:
    """The Cilium minor version: the policy's ``versions.cilium``, else the cilium HelmRelease, else a
    helmfile release of the cilium chart (bootstrap installs are the norm on Talos)."""
    versions = policy.architecture.get("versions")
    if isinstance(versions, dict) and versions.get("cilium") is not None:
        found = parse_version(versions["cilium"])
        if found:
            return found
    for applied in index.applied_of_kind("HelmRelease"):
        if chart_name(applied.doc) == "cilium":
            found = parse_version(applied.doc.get("spec", "chart", "spec", "version"))
            if found:
                return found
            ref = applied.doc.get("spec", "chartRef", "name")
            for source in index.applied_of_kind("OCIRepository"):
                if source.doc.name == ref:
                    found = parse_version(source.doc.get("spec", "ref", "tag"))
                    if found:
                        return found
    for doc in index.documents:
        for release in _helmfile_releases(doc):
            if str(release.get("chart", "")).rsplit("/", 1)[-1] == "cilium":
                found = parse_version(release.get("version"))
                if found:
                    return found
    return None


def _helmfile_releases(doc: Document) -> list[dict[str, Any]]:
    data = doc.data
    if not isinstance(data, dict) or "apiVersion" in data or not isinstance(data.get("releases"), list):
        return []
    return [r for r in data["releases"] if isinstance(r, dict)]


def chart_name(doc: Document) -> str:
    """The chart a HelmRelease installs: ``spec.chart.spec.chart``, else its ``chartRef`` name."""
    name = doc.get("spec", "chart", "spec", "chart")
    if not isinstance(name, str):
        name = doc.get("spec", "chartRef", "name")
    if not isinstance(name, str):
        return ""
    return name.rsplit("/", 1)[-1]


# --- pools ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Block:
    range: IPRange
    key: KeyPath  # the block's key path in the pool document
    cidr: Optional[ParsedCIDR]  # set when the block is a CIDR (first/last reservation applies)
    text: str


@dataclass
class Pool:
    name: str
    applied: Applied
    implementation: str  # cilium | metallb
    blocks: list[Block]
    selector: Any  # Cilium serviceSelector (None: every Service)
    disabled: bool
    allow_first_last: Optional[str]  # the source text of allowFirstLastIPs, if any
    role: str = "default"
    role_source: str = "name"  # policy | name

    @property
    def doc(self) -> Document:
        return self.applied.doc

    @property
    def ranges(self) -> list[IPRange]:
        return [b.range for b in self.blocks]

    def describe(self) -> str:
        return ", ".join(b.text if b.cidr else str(b.range) for b in self.blocks)


def first_last_reserved(pool: Pool, version: Optional[tuple[int, int]]) -> bool:
    """Cilium pre-allocates the first and last address of each CIDR block of the pool (domain.md §1.2):
    with allowFirstLastIPs "No", or unset on Cilium 1.15."""
    if pool.implementation != "cilium":
        return False
    if pool.allow_first_last is None:
        return version is not None and version < (1, 16)  # 1.15 defaulted to "No"
    return pool.allow_first_last == "No"


def pool_blocks(doc: Document, applied: Optional[Applied] = None
                ) -> tuple[list[Block], list[tuple[KeyPath, str]]]:
    """The parsed blocks of a pool document and the (key, problem) pairs of the ones that don't parse.

    ``${VAR}`` values are substituted from the applying Kustomization; an unknown one skips the block.
    """

    def text_of(value: Any) -> Optional[str]:
        if applied is None:
            return None if "${" in scalar_text(value) else scalar_text(value)
        return resolve(applied, value)[0]

    blocks: list[Block] = []
    problems: list[tuple[KeyPath, str]] = []
    spec = doc.get("spec")
    if not isinstance(spec, dict):
        return blocks, problems
    if doc.kind == "IPAddressPool":
        entries = spec.get("addresses")
        for i, entry in enumerate(entries if isinstance(entries, list) else []):
            entry = text_of(entry) if isinstance(entry, str) else None
            if entry is None:
                continue
            try:
                address_range, cidr = parse_pool_range(entry)
            except RangeError as exc:
                problems.append((("spec", "addresses", i), str(exc)))
                continue
            blocks.append(Block(address_range, ("spec", "addresses", i), cidr, entry))
        return blocks, problems
    for section in ("blocks", "cidrs"):
        entries = spec.get(section)
        for i, entry in enumerate(entries if isinstance(entries, list) else []):
            if not isinstance(entry, dict):
                continue
            key: KeyPath = ("spec", section, i)
            if "cidr" in entry and entry.get("cidr") is not None:
                text = text_of(entry["cidr"])
                if text is None:
                    continue
                try:
                    cidr = parse_cidr(text)
                except RangeError as exc:
                    problems.append((key + ("cidr",), str(exc)))
                    continue
                blocks.append(Block(cidr.range, key + ("cidr",), cidr, text))
            elif entry.get("start") is not None:
                start_text = text_of(entry["start"])
                stop_text = text_of(entry.get("stop")) if entry.get("stop") is not None else start_text
                if start_text is None or stop_text is None:
                    continue
                start, stop = parse_address(start_text), parse_address(stop_text)
                if start is None or stop is None:
                    bad = ("start" if start is None else "stop")
                    problems.append((key + (bad,), f"'{start_text if start is None else stop_text}' is not an "
                                                   "IP address"))
                    continue
                try:
                    blocks.append(Block(IPRange.of(start, stop), key, None, f"{start_text}-{stop_text}"))
                except RangeError as exc:
                    problems.append((key + ("stop",), str(exc)))
    return blocks, problems


def policy_pools(policy: Any) -> list[tuple[str, str, list[IPRange]]]:
    """(name, role, ranges) of the policy's declared pools; unparsable ranges are the core's business."""
    out: list[tuple[str, str, list[IPRange]]] = []
    pools = policy.architecture.get("pools")
    if not isinstance(pools, dict):
        return out
    for name, pool in pools.items():
        if not isinstance(pool, dict):
            continue
        ranges: list[IPRange] = []
        for text in pool.get("ranges") or []:
            try:
                ranges.append(parse_pool_range(str(text))[0])
            except RangeError:
                continue
        role = pool.get("role") if isinstance(pool.get("role"), str) else "default"
        out.append((str(name), role, ranges))
    return out


def role_from_name(name: str) -> str:
    lowered = name.lower()
    if "reserved" in lowered:
        return "reserved"
    if any(w in lowered for w in ("ingress", "gateway")) and not any(w in lowered for w in NOT_INGRESS):
        return "ingress"
    return "default"


def manifest_pools(index: Any, policy: Any) -> list[Pool]:
    declared = policy_pools(policy)
    by_name = {name: role for name, role, _ in declared}
    pools: list[Pool] = []
    seen: set[int] = set()
    for applied in index.applied_of_kind(*POOL_KINDS):
        doc = applied.doc
        if id(doc) in seen:
            continue
        if doc.kind == "IPAddressPool" and not doc.group.startswith("metallb.io"):
            continue
        if doc.kind == "CiliumLoadBalancerIPPool" and doc.group != "cilium.io":
            continue
        seen.add(id(doc))
        blocks, _ = pool_blocks(doc, applied)
        spec = doc.get("spec") if isinstance(doc.get("spec"), dict) else {}
        metallb = doc.kind == "IPAddressPool"
        allow = spec.get("allowFirstLastIPs")
        pool = Pool(
            name=doc.name, applied=applied, implementation="metallb" if metallb else "cilium", blocks=blocks,
            selector=None if metallb else spec.get("serviceSelector"),
            disabled=spec.get("disabled") is True,
            allow_first_last=None if allow is None else scalar_text(allow),
        )
        if doc.name in by_name:
            pool.role, pool.role_source = by_name[doc.name], "policy"
        else:
            covering = [role for _, role, ranges in declared
                        if blocks and all(any(r.covers(b.range) for r in ranges) for b in blocks)]
            if covering:
                pool.role, pool.role_source = covering[0], "policy"
            else:
                pool.role = role_from_name(doc.name)
        pools.append(pool)
    return pools


