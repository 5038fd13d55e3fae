"""The IP plan: who holds which LoadBalancer address, per cluster, and what is still free.

Built from the LoadBalancer requests and pools ``network/`` derives once per run (nothing here
parses a file). Used by ``homeops-lint ip``, the ``lb-ip-pin-mismatch`` / ``lb-pool-exhausted``
rules and the ``docs-ip-table-drift`` rule that keeps README tables in step.

* A **row** is one address with its owners (several when a sharing key lets them share it) and a
  status: ``ok``, ``shared``, ``duplicate`` (several owners that do not share), ``unpooled`` (no
  pool holds it), ``disabled`` (only a disabled pool holds it), ``reserved`` (a reserved pool) or
  ``not-lb`` (the owner is not a LoadBalancer Service) or ``ignored`` (no IPAM reads the request: a
  foreign loadBalancerClass, Envoy Gateway ``spec.addresses``, the other IPAM's annotation) or
  ``first-last`` (the first or last address of a CIDR block that Cilium pre-allocates).
* A **pool summary** counts a pool's addresses: size, reserved (first/last of a CIDR block when
  ``allowFirstLastIPs`` is "No"), used, free, and the first free ones.
* **Pins** (``architecture.addresses``) name a workload as ``namespace/name`` (or a glob), or a
  chart's Service as ``namespace/release:values.key``; a pinned address is never offered as free.
"""
from __future__ import annotations

import fnmatch
import posixpath
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Iterable, Optional

from .ipmath import IPAddress, IPRange, RangeError, address_of, parse_address, parse_range
from .network import Pool, Request, Workload, collect_requests, cilium_version, first_last_reserved, \
    ignored_reason, manifest_pools, policy_pools, selector_matches, service_workload, sharing_conflict

if TYPE_CHECKING:
    from .index import RepoIndex
    from .policy import Policy

STATUS_MARK = {"ok": "", "shared": "shared", "duplicate": "DUPLICATE", "unpooled": "NO POOL",
               "disabled": "POOL DISABLED", "reserved": "RESERVED", "not-lb": "NOT A LOADBALANCER",
               "ignored": "IGNORED BY IPAM", "first-last": "PRE-ALLOCATED"}
PROBLEM_STATUSES = ("duplicate", "unpooled", "disabled", "reserved", "not-lb", "ignored", "first-last")
DEFAULT_HEADROOM = 2


# --- the model ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Owner:
    """One workload that asks for an address, and where it asks."""

    kind: str  # Service | HelmRelease | Gateway | EnvoyProxy
    namespace: str
    name: str
    values_key: str  # for a chart's Service: the values key (``grafana``); "" otherwise
    how: str  # e.g. "annotation lbipam.cilium.io/ips", "spec.loadBalancerIP", "Gateway spec.addresses"
    path: str
    line: int
    column: int
    via: str  # "${VAR} from postBuild.substitute[From] at file:line", or ""
    sharing_key: Optional[str]

    @property
    def ident(self) -> str:
        """``kind/namespace/name``, with ``:values.key`` for a Service a chart makes."""
        return f"{self.kind}/{self.workload}"

    @property
    def workload(self) -> str:
        """The pin key form: ``namespace/name`` or ``namespace/release:values.key``."""
        return f"{self.namespace}/{self.name}" + (f":{self.values_key}" if self.values_key else "")

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"


@dataclass
class Row:
    address: IPAddress
    cluster: str
    pool: Optional[str]
    role: str
    owners: list[Owner]
    status: str
    pin_note: str = ""  # where the policy's pins disagree (lb-ip-pin-mismatch says how)

    @property
    def problem(self) -> bool:
        return self.status in PROBLEM_STATUSES or bool(self.pin_note)

    @property
    def mark(self) -> str:
        return "; ".join(m for m in (STATUS_MARK[self.status], self.pin_note) if m)


@dataclass
class PoolPlan:
    """A pool of one cluster with its blocks and counts. ``source`` is manifest or policy."""

    name: str
    cluster: str
    role: str
    blocks: list[IPRange]
    cidr_blocks: list[bool]  # per block: it is a CIDR (first/last may be reserved)
    disabled: bool
    reserve_first_last: bool
    source: str
    selector: Any = None  # Cilium serviceSelector; None selects every Service
    implementation: str = "cilium"
    used: set[int] = field(default_factory=set)  # addresses (as int) requested inside the pool
    pinned: set[int] = field(default_factory=set)  # pinned addresses inside the pool, requested or not
    other_reserved: set[int] = field(default_factory=set)  # also in another pool (reserved or overlapping)
    dynamic: int = 0  # LoadBalancer Services with no address that only this pool can serve

    @property
    def merged(self) -> list[IPRange]:
        """The blocks as disjoint ranges in address order (overlapping blocks count once)."""
        out: list[IPRange] = []
        for block in sorted(self.blocks):
            last = out[-1] if out else None
            if last is not None and last.version == block.version and block.first <= last.last + 1:
                out[-1] = IPRange(last.version, last.first, max(last.last, block.last))
            else:
                out.append(block)
        return out

    @property
    def size(self) -> int:
        return sum(b.size for b in self.merged)

    def reserved_edges(self) -> set[int]:
        """The first and last address of each CIDR block Cilium pre-allocates (never for /31, /32)."""
        out: set[int] = set()
        if not self.reserve_first_last:
            return out
        for block, is_cidr in zip(self.blocks, self.cidr_blocks):
            if is_cidr and block.size >= 4:
                out.update((block.first, block.last))
        return out

    @property
    def allocatable(self) -> bool:
        """A pool that hands addresses out: enabled and not reserved."""
        return not self.disabled and self.role != "reserved"

    @property
    def free(self) -> int:
        """Addresses left after the requested, pinned and reserved ones and the dynamic Services."""
        taken = self.used | self.pinned | self.reserved_edges() | self.other_reserved
        return self.size - len(taken) - self.dynamic

    def contains(self, address: IPAddress) -> bool:
        return any(b.contains(address) for b in self.blocks)

    def describe(self) -> str:
        return ", ".join(str(b) for b in self.blocks)

    def free_addresses(self, count: int) -> list[IPAddress]:
        """The first ``count`` free addresses: not requested, not pinned, not a reserved edge."""
        if not self.allocatable:
            return []
        taken = self.used | self.pinned | self.reserved_edges() | self.other_reserved
        out: list[IPAddress] = []
        for block in self.merged:
            value = block.first
            while value <= block.last and len(out) < count:
                if value not in taken:
                    out.append(address_of(block.version, value))
                value += 1
            if len(out) >= count:
                break
        return out


@dataclass
class ClusterPlan:
    name: str
    rows: list[Row] = field(default_factory=list)
    pools: list[PoolPlan] = field(default_factory=list)
    dynamic: int = 0  # LoadBalancer Services that ask for no address (the IPAM picks one)

    def pool(self, name: str) -> Optional[PoolPlan]:
        return next((p for p in self.pools if p.name == name), None)


@dataclass
class Plan:
    clusters: list[ClusterPlan]
    pins: "Pins"

    def cluster(self, name: Optional[str]) -> Optional[ClusterPlan]:
        if name is None:
            return self.clusters[0] if len(self.clusters) == 1 else None
        return next((c for c in self.clusters if c.name == name), None)

    def pools_named(self, name: str) -> list[PoolPlan]:
        return [p for c in self.clusters for p in c.pools if p.name == name]


# --- pins ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Pin:
    key: str  # namespace/name, a glob, or namespace/release:values.key
    addresses: tuple[IPAddress, ...]
    bad: tuple[str, ...]  # entries that are not addresses

    @property
    def glob(self) -> bool:
        return any(c in self.key for c in "*?[")

    def matches(self, workload_key: str) -> bool:
        """``ns/name`` matches every Service of that name and every Service of a release of that name;
        ``ns/release:key`` only the chart's Service at that values key."""
        if ":" in self.key:
            return fnmatch.fnmatchcase(workload_key, self.key)
        return fnmatch.fnmatchcase(workload_key.split(":", 1)[0], self.key)


@dataclass
class Pins:
    pins: list[Pin] = field(default_factory=list)

    def by_address(self) -> dict[IPAddress, list[Pin]]:
        out: dict[IPAddress, list[Pin]] = {}
        for pin in self.pins:
            for address in pin.addresses:
                out.setdefault(address, []).append(pin)
        return out

    def addresses(self) -> set[IPAddress]:
        return {a for pin in self.pins for a in pin.addresses}


def read_pins(policy: Policy) -> Pins:
    entries = policy.architecture.get("addresses")
    pins = Pins()
    if not isinstance(entries, dict):
        return pins
    for key, value in entries.items():
        values = value if isinstance(value, list) else [value]
        good: list[IPAddress] = []
        bad: list[str] = []
        for item in values:
            address = parse_address(str(item)) if item is not None else None
            if address is None:
                bad.append(str(item))
            else:
                good.append(address)
        pins.pins.append(Pin(str(key), tuple(good), tuple(bad)))
    return pins


# --- building -----------------------------------------------------------------------------------
class ClusterNames:
    """A cluster is one Flux entrypoint's tree. It is named after its ``clusters/<name>/`` folder;
    a repository with one tree and no such folder names it after the repository's folder, and
    several trees without one are named by their entrypoint's folder."""

    def __init__(self, index: RepoIndex) -> None:
        self.roots = [n.root for n in index.graph.roots if getattr(n, "root", None) is not None]
        first = index.files[0] if index.files else None
        base = first.abspath[: -len(first.path)].rstrip("/\\") if first is not None and \
            first.abspath.endswith(first.path) else ""
        self.repo = posixpath.basename(base.replace("\\", "/")) or "default"
        self._names: dict[int, str] = {}

    def _distinct(self, parts: list[str]) -> str:
        """The folders in which this entrypoint's path differs from the others' (``main``, ``utility``)."""
        others = [[p for p in posixpath.dirname(r.path).split("/") if p] for r in self.roots]
        head = 0
        while all(len(o) > head and len(parts) > head and o[head] == parts[head] for o in others):
            head += 1
        tail = 0
        while all(len(o) - head > tail and len(parts) - head > tail and o[-1 - tail] == parts[-1 - tail]
                  for o in others):
            tail += 1
        return "/".join(parts[head:len(parts) - tail])

    def __call__(self, root: Any) -> str:
        if root is None:
            return self.repo
        if id(root) not in self._names:
            parts = [p for p in posixpath.dirname(root.path).split("/") if p]
            if "clusters" in parts[:-1]:
                name = parts[parts.index("clusters") + 1]
            elif len({id(r) for r in self.roots}) <= 1:
                name = self.repo
            else:
                name = self._distinct(parts) or root.name or self.repo
            self._names[id(root)] = name
        return self._names[id(root)]


def values_key(workload: Workload) -> str:
    """For a Service a chart makes: its values key without the trailing ``service`` (``grafana``)."""
    if workload.kind != "HelmRelease":
        return ""
    steps = [str(s) for s in workload.service_key[2:]]  # after ("spec", "values")
    if steps and steps[-1] == "service":
        steps = steps[:-1]
    return ".".join(steps) or "service"


def values_key_path(key: str) -> list[tuple[str, ...]]:
    """Where in the values a pinned ``values.key`` describes its Service: ``<key>.service``, or ``<key>``."""
    steps = tuple(key.split(".")) if key != "service" else ()
    return [steps + ("service",), steps] if steps else [("service",)]


def owner_of(request: Request) -> Owner:
    workload = request.workload
    pos = request.doc.pos(*request.key)
    namespace = workload.applied.namespace or "default"
    if workload.kind == "HelmRelease" and workload.namespace:
        namespace = workload.namespace  # targetNamespace: where the chart's Service lives
    return Owner(workload.kind, namespace, workload.doc.name, values_key(workload), request.source,
                 request.doc.path, pos.line, pos.column, request.via.strip(" ()"), workload.sharing_key())


def workload_key(workload: Workload) -> str:
    namespace = workload.applied.namespace or "default"
    if workload.kind == "HelmRelease" and workload.namespace:
        namespace = workload.namespace
    key = values_key(workload)
    return f"{namespace}/{workload.doc.name}" + (f":{key}" if key else "")


def build_plan(index: RepoIndex, policy: Policy) -> Plan:
    """The plan of every cluster; built once per run and shared by the command and the rules."""
    return index.derived(("ip-plan", id(policy)), lambda: _build(index, policy))  # type: ignore[no-any-return]


def _roots_of(index: RepoIndex, applied: Any) -> list[Any]:
    roots = [a.root for a in index.applications(applied.doc)] or [applied.root]
    out: list[Any] = []
    for root in roots:
        if all(root is not r for r in out):
            out.append(root)
    return out


def _build(index: RepoIndex, policy: Policy) -> Plan:
    cluster_name = ClusterNames(index)
    pins = read_pins(policy)
    version = cilium_version(index, policy)
    requests = collect_requests(index, policy)
    clusters: dict[str, ClusterPlan] = {}

    def cluster_of(root: Any) -> ClusterPlan:
        name = cluster_name(root)
        if name not in clusters:
            clusters[name] = ClusterPlan(name)
        return clusters[name]

    pools = manifest_pools(index, policy)
    for pool in pools:
        for root in _roots_of(index, pool.applied):
            cluster_of(root).pools.append(_pool_plan(pool, cluster_name(root), version))
    for request in requests.requests:
        if request.kind != "target":
            cluster_of(request.workload.applied.root)
    if not clusters:
        clusters[cluster_name(None)] = ClusterPlan(cluster_name(None))
    declared = policy_pools(policy)
    for cluster in clusters.values():
        if not cluster.pools:  # pools made elsewhere: the policy's pools stand in for them
            for name, role, ranges in declared:
                cluster.pools.append(PoolPlan(name, cluster.name, role, list(ranges), [False] * len(ranges),
                                              False, False, "policy"))
    _place_requests(clusters, requests.requests, cluster_name)
    _count(clusters, pins)
    _note_pins(clusters, pins)
    _count_dynamic(index, policy, clusters, requests, cluster_name)
    return Plan(sorted(clusters.values(), key=lambda c: c.name), pins)


def _pool_plan(pool: Pool, cluster: str, version: Optional[tuple[int, int]]) -> PoolPlan:
    return PoolPlan(pool.name, cluster, pool.role, [b.range for b in pool.blocks],
                    [b.cidr is not None for b in pool.blocks], pool.disabled,
                    first_last_reserved(pool, version), "manifest", pool.selector, pool.implementation)


def _holding(cluster: ClusterPlan, request: Request) -> Optional[PoolPlan]:
    """The pool that would hand the address out: an enabled one of the request's IPAM first."""
    holding = [p for p in cluster.pools if p.contains(request.address)]
    enabled = [p for p in holding if not p.disabled]
    return (enabled or holding or [None])[0]


def _place_requests(clusters: dict[str, ClusterPlan], requests: Iterable[Request], cluster_name: ClusterNames
                    ) -> None:
    grouped: dict[tuple[str, IPAddress], list[tuple[Request, Owner]]] = {}
    for request in requests:
        if request.kind == "target":
            continue  # an external-dns target points at an address; it does not hold it
        cluster = cluster_name(request.workload.applied.root)
        owner = owner_of(request)
        group = grouped.setdefault((cluster, request.address), [])
        if all(o.ident != owner.ident for _r, o in group):
            group.append((request, owner))
    for (cluster_label, address), group in grouped.items():
        cluster = clusters[cluster_label]
        request = group[0][0]
        pool = _holding(cluster, request)
        owners = sorted((o for _r, o in group), key=lambda o: (o.path, o.line, o.ident))
        status = "ok"
        implementations = {p.implementation for p in cluster.pools if p.source == "manifest"}
        if any(r.workload.kind == "Service" and r.workload.service_type != "LoadBalancer" for r, _o in group):
            status = "not-lb"
        elif all(ignored_reason(r, implementations) for r, _o in group):
            status = "ignored"
        elif pool is None:
            status = "unpooled"
        elif pool.role == "reserved":
            status = "reserved"
        elif pool.disabled:
            status = "disabled"
        elif int(address) in pool.reserved_edges():
            status = "first-last"  # Cilium holds it already: the request fails with already_allocated
        if len(owners) > 1 and status == "ok":
            workloads = [r.workload for r, _o in group]
            clash = any(sharing_conflict(a, b) for i, b in enumerate(workloads) for a in workloads[:i])
            status = "duplicate" if clash else "shared"
        cluster.rows.append(Row(address, cluster.name, pool.name if pool else None, pool.role if pool else "",
                                owners, status))
    for cluster in clusters.values():
        cluster.rows.sort(key=lambda r: (r.address.version, int(r.address)))


def _count(clusters: dict[str, ClusterPlan], pins: Pins) -> None:
    pinned = pins.addresses()
    for cluster in clusters.values():
        for pool in cluster.pools:
            for row in cluster.rows:
                if row.status not in ("not-lb", "ignored") and pool.contains(row.address):
                    pool.used.add(int(row.address))
            pool.pinned = {int(a) for a in pinned if pool.contains(a)}
            # An address two pools hold is not safe to hand out: Cilium disables one of the pools
            # (lb-pool-overlap), and a reserved pool's addresses are not for allocation.
            pool.other_reserved = {v for other in cluster.pools if other is not pool for b in other.blocks
                                   for v in _overlap_values(b, pool.blocks)}


def _note_pins(clusters: dict[str, ClusterPlan], pins: Pins) -> None:
    """Mark rows the pins disagree with: an owner pinned to other addresses, or an address pinned to
    another workload."""
    if not pins.pins:
        return
    by_address = pins.by_address()
    for cluster in clusters.values():
        for row in cluster.rows:
            notes: list[str] = []
            for owner in row.owners:
                mine = [p for p in pins.pins if p.matches(owner.workload)]
                if mine and all(row.address not in p.addresses for p in mine):
                    wanted = ", ".join(str(a) for p in mine for a in p.addresses)
                    notes.append(f"PINNED TO {wanted}" if len(row.owners) == 1 else
                                 f"{owner.workload} PINNED TO {wanted}")
            holders = [p.key for p in by_address.get(row.address, [])
                       if not any(p.matches(o.workload) for o in row.owners)]
            if holders:
                notes.append(f"PINNED FOR {', '.join(holders)}")
            row.pin_note = "; ".join(notes)


_MAX_OVERLAP = 1 << 16  # an overlap this large is lb-pool-overlap's business, not a count


def _overlap_values(block: IPRange, blocks: list[IPRange]) -> Iterable[int]:
    for other in blocks:
        if block.overlaps(other):
            first, last = max(block.first, other.first), min(block.last, other.last)
            if last - first < _MAX_OVERLAP:
                yield from range(first, last + 1)


def _count_dynamic(index: RepoIndex, policy: Policy, clusters: dict[str, ClusterPlan], requests: Any,
                   cluster_name: ClusterNames) -> None:
    """LoadBalancer Services that ask for no address: the IPAM gives each one an address from a pool
    whose selector matches. One is charged to a pool only when that pool is the only one that can
    serve it (an unknown selector outcome counts as "can serve")."""
    asking = {w.identity for w in requests.workloads}
    for applied in index.applied_of_kind("Service"):
        doc = applied.doc
        if doc.group or doc.get("spec", "type") != "LoadBalancer":
            continue
        workload = service_workload(index, policy, applied)
        if workload.identity in asking or workload.lb_class not in (None, "io.cilium/bgp-control-plane",
                                                                    "io.cilium/l2-announcer"):
            continue
        cluster = clusters.get(cluster_name(applied.root))
        if cluster is None:
            continue
        cluster.dynamic += 1
        serving = [p for p in cluster.pools if not p.disabled and p.source == "manifest"
                   and (p.selector is None or selector_matches(p.selector, workload.labels) is not False)]
        if len(serving) == 1:
            serving[0].dynamic += 1


# --- queries ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Query:
    range: IPRange
    text: str

    @property
    def single(self) -> bool:
        return self.range.size == 1


def parse_query(text: str) -> Optional[Query]:
    """An address, a CIDR or a ``start-stop`` range; None when ``text`` is none of them (a path)."""
    if not text or "/" in text and not _cidr_like(text):
        return None
    try:
        address_range, _cidr = parse_range(text)
    except RangeError:
        return None
    return Query(address_range, text)


def _cidr_like(text: str) -> bool:
    address, _, prefix = text.partition("/")
    return prefix.isdigit() and parse_address(address) is not None


@dataclass
class Answer:
    query: Query
    rows: list[Row]
    pools: list[PoolPlan]  # pools that overlap the query
    pinned: list[tuple[IPAddress, list[str]]]  # pinned addresses in the query and their pin keys


def answer(plan: Plan, query: Query) -> Answer:
    rows = [r for c in plan.clusters for r in c.rows if query.range.contains(r.address)]
    pools = [p for c in plan.clusters for p in c.pools if any(b.overlaps(query.range) for b in p.blocks)]
    pinned = sorted(((a, [p.key for p in pins]) for a, pins in plan.pins.by_address().items()
                     if query.range.contains(a)), key=lambda x: (x[0].version, int(x[0])))
    return Answer(query, rows, pools, pinned)


def free_in(plan: Plan, pool_name: str, count: int, cluster: Optional[str] = None) -> list[IPAddress]:
    """The next ``count`` free addresses of a pool (of ``cluster`` when the name is in several)."""
    pools = [p for c in plan.clusters if cluster is None or c.name == cluster for p in c.pools
             if p.name == pool_name]
    if not pools:
        raise KeyError(pool_name)
    return pools[0].free_addresses(count)


# --- README tables ------------------------------------------------------------------------------
TABLE_HEADER = ("address", "pool", "owner", "requested by", "note")


def table_rows(plan: Plan, cluster: Optional[str] = None, pool: Optional[str] = None) -> list[tuple[str, ...]]:
    """The rows of a README table: stable columns only (no line numbers), so it drifts only when the
    plan does."""
    out: list[tuple[str, ...]] = []
    for cluster_plan in plan.clusters:
        if cluster is not None and cluster_plan.name != cluster:
            continue
        for row in cluster_plan.rows:
            if pool is not None and row.pool != pool:
                continue
            owners = ", ".join(o.ident for o in row.owners)
            how = ", ".join(dict.fromkeys(o.how for o in row.owners))
            out.append((str(row.address), row.pool or "-", owners, how, row.mark))
    return out


def markdown_table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> list[str]:
    def cell(text: str) -> str:
        return text.replace("|", "\\|") if text else " "

    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    return lines


__all__ = ["Answer", "ClusterPlan", "Owner", "Pin", "Pins", "Plan", "PoolPlan", "Query", "Row", "answer",
           "build_plan", "ClusterNames", "free_in", "markdown_table", "parse_query", "read_pins",
           "table_rows", "workload_key"]
