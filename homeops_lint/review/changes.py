"""What differs between two engine results of one repository (``homeops-lint diff``).

* **Findings** are matched by their baseline key (rule, path, resource, key path, value
  fingerprint; ``baseline.finding_key``), so a finding that only moved lines is neither
  introduced nor fixed. Matching counts duplicates: two equal keys before and three after is one
  introduced finding.
* **Flux**: per cluster (one entrypoint's tree, named as ``homeops-lint ip`` names it), the Flux
  Kustomizations added, removed or changed (path, dependsOn, targetNamespace, postBuild
  substitutions, prune, as the controller receives the spec after its parents' patches), and the
  objects that start or stop being applied, or move to another namespace or Kustomization.
* **LoadBalancer addresses**: who gained or lost which address, in which pool (``ipplan``).
* **Bootstrap boundary**: objects of a bootstrap-only component (``architecture.bootstrap_only``)
  that enter or leave the Flux paths.

Substitution values are never shown, only the names whose value changed: a value can come from
a Secret.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

from ..model import Finding, Severity, resource_id
from .trees import Version

_SEVERITY_ORDER = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}


@dataclass(frozen=True)
class FindingChange:
    state: str  # introduced | fixed | present
    finding: Finding  # in HEAD (introduced, present) or in BASE (fixed)
    message: str  # masked
    clusters: tuple[str, ...]  # the clusters that apply the finding's file; () when none does

    def sort_key(self) -> tuple[Any, ...]:
        return (_SEVERITY_ORDER[self.finding.severity], *self.finding.sort_key())


@dataclass(frozen=True)
class KustomizationChange:
    cluster: str
    change: str  # added | removed | changed
    name: str  # namespace/name of the Flux Kustomization
    where: str  # file:line (HEAD's, or BASE's when removed)
    details: tuple[str, ...] = ()  # "path: ./a -> ./b", "prune: true -> false", ...


@dataclass(frozen=True)
class ObjectChange:
    cluster: str
    change: str  # applied | unapplied | moved
    resource: str  # Kind/namespace/name (HEAD's; BASE's when unapplied)
    where: str  # the file that holds it
    kustomization: str  # the applying Flux Kustomization(s), comma-separated
    detail: str = ""  # for a move: "namespace a -> b", "Kustomization x -> y"


@dataclass(frozen=True)
class AddressChange:
    cluster: str
    change: str  # gained | lost | pool
    owner: str  # Kind/namespace/name (a chart's Service: HelmRelease/ns/release:values.key)
    address: str
    pool: str  # the pool holding it ("" when none does); for "pool": the new pool
    old_pool: str = ""
    where: str = ""


@dataclass(frozen=True)
class BootstrapChange:
    cluster: str
    change: str  # entered | left
    component: str
    resource: str
    where: str
    kustomization: str


@dataclass
class Review:
    base: Version
    head: Version
    findings: list[FindingChange] = field(default_factory=list)
    kustomizations: list[KustomizationChange] = field(default_factory=list)
    objects: list[ObjectChange] = field(default_factory=list)
    addresses: list[AddressChange] = field(default_factory=list)
    bootstrap: list[BootstrapChange] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    complete: bool = True  # False when the time budget stopped either run

    def of_state(self, state: str) -> list[FindingChange]:
        return [f for f in self.findings if f.state == state]

    @property
    def introduced_errors(self) -> int:
        return sum(1 for f in self.of_state("introduced") if f.finding.severity == Severity.ERROR)

    @property
    def failed(self) -> bool:
        """HEAD introduces an error (old debt alone never fails a review)."""
        return self.introduced_errors > 0

    @property
    def clusters(self) -> list[str]:
        names = {c.cluster for group in (self.kustomizations, self.objects, self.addresses, self.bootstrap)
                 for c in group}
        return sorted(names)


@dataclass
class Side:
    """What the comparison needs of one version's engine result, as plain data: the base side can
    be summarised in another process and sent back (``review.run``)."""

    findings: list[tuple[tuple[str, ...], Finding, str, tuple[str, ...]]]  # (key, finding, message, clusters)
    kustomizations: dict[tuple[str, str], tuple[dict[str, Any], str]]
    objects: dict[tuple[str, str, str, str], tuple[set[str], str]]
    holdings: dict[tuple[str, str], dict[str, tuple[str, str]]]
    bootstrap: dict[tuple[str, str, str], tuple[str, str]]
    notes: list[str]
    complete: bool


def summarize(result: Any) -> Side:
    """One engine result, reduced to what ``compare`` reads (secrets masked, values not kept)."""
    from ..baseline import finding_key
    from ..ipplan import ClusterNames
    from ..report.common import mask_message

    names = ClusterNames(result.index)
    flux = _Flux(result, names)
    clusters = _file_clusters(result, names, {f.path for f in result.all_findings})
    findings = [(finding_key(f, result), f, mask_message(result, f), clusters.get(f.path, ()))
                for f in result.all_findings]
    return Side(findings, flux.kustomizations, flux.objects, _holdings(result), _in_flux(flux, result),
                list(result.notes), bool(result.complete))


def compare(base: Version, head: Version, before: Side, after: Side) -> Review:
    """The review of the change from ``before`` (BASE's summary) to ``after`` (HEAD's)."""
    review = Review(base, head)
    review.findings = _findings(before, after)
    review.kustomizations = _kustomizations(before, after)
    review.objects = _objects(before, after)
    review.addresses = _addresses(before, after)
    review.bootstrap = _bootstrap(before, after)
    for note in (*before.notes, *after.notes):
        if note not in review.notes:
            review.notes.append(note)
    review.complete = before.complete and after.complete
    return review


# --- findings -------------------------------------------------------------------------------------
def _findings(before: Side, after: Side) -> list[FindingChange]:
    left: dict[tuple[str, ...], list[tuple[Finding, str, tuple[str, ...]]]] = {}
    for key, finding, message, clusters in before.findings:
        left.setdefault(key, []).append((finding, message, clusters))
    out: list[FindingChange] = []
    for key, finding, message, clusters in after.findings:
        matches = left.get(key)
        state = "present" if matches else "introduced"
        if matches:
            matches.pop(0)
        out.append(FindingChange(state, finding, message, clusters))
    for rest in left.values():
        out.extend(FindingChange("fixed", finding, message, clusters) for finding, message, clusters in rest)
    return sorted(out, key=FindingChange.sort_key)


def _file_clusters(result: Any, names: Any, paths: set[str]) -> dict[str, tuple[str, ...]]:
    """The clusters that apply each of ``paths`` (the files with findings)."""
    by_file: dict[str, set[str]] = {}
    for applied in result.index.applied:
        if applied.doc.path in paths:
            by_file.setdefault(applied.doc.path, set()).add(names(applied.root))
    for node in result.index.graph.nodes:
        if node.doc.path in paths:
            by_file.setdefault(node.doc.path, set()).add(names(node.root))
    return {path: tuple(sorted(clusters)) for path, clusters in by_file.items()}


# --- Flux -----------------------------------------------------------------------------------------
def _ks_name(doc: Any, namespace: Optional[str] = None) -> str:
    namespace = doc.namespace or namespace
    return f"{namespace}/{doc.name}" if namespace else doc.name


def _where(doc: Any) -> str:
    return f"{doc.path}:{doc.line}"


class _Flux:
    """One result's Flux view, keyed for comparison: Kustomizations and applied objects per cluster."""

    def __init__(self, result: Any, names: Any) -> None:
        graph = result.index.graph
        self.kustomizations: dict[tuple[str, str], tuple[dict[str, Any], str]] = {}
        ks_names: dict[int, str] = {}  # a Flux Kustomization's name with its effective namespace
        for node in graph.nodes:
            ks_names.setdefault(id(node.doc), _ks_name(node.doc, node.namespace))
            key = (names(node.root), ks_names[id(node.doc)])
            if key not in self.kustomizations:
                self.kustomizations[key] = (_ks_state(node), _where(node.doc))
        # (cluster, kind, namespace, name) -> (applying Kustomizations, file)
        self.objects: dict[tuple[str, str, str, str], tuple[set[str], str]] = {}
        self.applied: list[tuple[str, Any]] = []
        self.ks_names = ks_names
        for applied in graph.applied:
            cluster = names(applied.root)
            self.applied.append((cluster, applied))
            doc = applied.doc
            key = (cluster, doc.kind, applied.namespace or "", applied.name)
            ks = applied.kustomization
            label = ks_names.get(id(ks))
            if label is None:
                label = ks_names[id(ks)] = _ks_name(ks) if ks is not None else "(entrypoint)"
            held = self.objects.get(key)
            if held is None:
                held = self.objects[key] = (set(), doc.path)
            held[0].add(label)


def _ks_state(node: Any) -> dict[str, Any]:
    spec = node.spec if isinstance(node.spec, dict) else {}
    depends = spec.get("dependsOn")
    names = []
    for item in depends if isinstance(depends, list) else []:
        if isinstance(item, dict) and isinstance(item.get("name"), str):
            names.append(f"{item['namespace']}/{item['name']}" if isinstance(item.get("namespace"), str)
                         else item["name"])
    subst = node.substitutions
    values = {name: ("opaque" if name in subst.opaque_names and name not in subst.values else subst.values[name])
              for name in sorted(set(subst.values) | set(subst.opaque_names))}
    path = node.path if node.path is not None else ("(external)" if node.external else
                                                    "(unresolved)" if node.unresolved else "(none)")
    return {"path": path, "dependsOn": tuple(sorted(names)), "targetNamespace": spec.get("targetNamespace"),
            "prune": spec.get("prune"), "substitutions": values,
            "substituteFrom": tuple(sorted(subst.resolved_from))}


def _shown(value: Any) -> str:
    if value is None:
        return "(unset)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple):
        return ", ".join(value) if value else "(none)"
    return str(value)


def _ks_details(old: dict[str, Any], new: dict[str, Any]) -> tuple[str, ...]:
    out = []
    for field_name in ("path", "dependsOn", "targetNamespace", "prune", "substituteFrom"):
        if old[field_name] != new[field_name]:
            if isinstance(old[field_name], tuple):
                gone = [v for v in old[field_name] if v not in new[field_name]]
                came = [v for v in new[field_name] if v not in old[field_name]]
                parts = [f"+{v}" for v in came] + [f"-{v}" for v in gone]
                out.append(f"{field_name}: {' '.join(parts)}")
            else:
                out.append(f"{field_name}: {_shown(old[field_name])} -> {_shown(new[field_name])}")
    old_vars, new_vars = old["substitutions"], new["substitutions"]
    added = sorted(set(new_vars) - set(old_vars))
    removed = sorted(set(old_vars) - set(new_vars))
    changed = sorted(n for n in set(old_vars) & set(new_vars) if old_vars[n] != new_vars[n])
    parts = [f"+{n}" for n in added] + [f"-{n}" for n in removed] + [f"~{n}" for n in changed]
    if parts:
        out.append(f"substitutions: {' '.join(parts)}")
    return tuple(out)


def _kustomizations(old: Side, new: Side) -> list[KustomizationChange]:
    out = []
    for key in sorted(new.kustomizations.keys() | old.kustomizations.keys()):
        cluster, name = key
        if key not in old.kustomizations:
            out.append(KustomizationChange(cluster, "added", name, new.kustomizations[key][1],
                                           (f"path: {new.kustomizations[key][0]['path']}",)))
        elif key not in new.kustomizations:
            out.append(KustomizationChange(cluster, "removed", name, old.kustomizations[key][1]))
        else:
            details = _ks_details(old.kustomizations[key][0], new.kustomizations[key][0])
            if details:
                out.append(KustomizationChange(cluster, "changed", name, new.kustomizations[key][1], details))
    return out


def _objects(old: Side, new: Side) -> list[ObjectChange]:
    added = {k: v for k, v in new.objects.items() if k not in old.objects}
    removed = {k: v for k, v in old.objects.items() if k not in new.objects}
    out: list[ObjectChange] = []
    # A namespace move: one object of that kind and name left one namespace and entered another.
    by_name_added: dict[tuple[str, str, str], list[tuple[str, str, str, str]]] = {}
    for key in added:
        by_name_added.setdefault((key[0], key[1], key[3]), []).append(key)
    by_name_removed: dict[tuple[str, str, str], list[tuple[str, str, str, str]]] = {}
    for key in removed:
        by_name_removed.setdefault((key[0], key[1], key[3]), []).append(key)
    for name_key, gone in by_name_removed.items():
        came = by_name_added.get(name_key, [])
        if len(gone) == 1 and len(came) == 1:
            before, after = gone[0], came[0]
            ks, path = added.pop(after)
            removed.pop(before)
            out.append(ObjectChange(after[0], "moved", _resource(after), path, ", ".join(sorted(ks)),
                                    f"namespace {before[2] or '(none)'} -> {after[2] or '(none)'}"))
    for key, (ks, path) in added.items():
        out.append(ObjectChange(key[0], "applied", _resource(key), path, ", ".join(sorted(ks))))
    for key, (ks, path) in removed.items():
        out.append(ObjectChange(key[0], "unapplied", _resource(key), path, ", ".join(sorted(ks))))
    for key in new.objects.keys() & old.objects.keys():
        old_ks, new_ks = old.objects[key][0], new.objects[key][0]
        if old_ks != new_ks:
            out.append(ObjectChange(key[0], "moved", _resource(key), new.objects[key][1], ", ".join(sorted(new_ks)),
                                    f"Kustomization {', '.join(sorted(old_ks))} -> {', '.join(sorted(new_ks))}"))
    order = {"unapplied": 0, "moved": 1, "applied": 2}
    return sorted(out, key=lambda c: (c.cluster, order[c.change], c.resource, c.where))


def _resource(key: tuple[str, str, str, str]) -> str:
    return resource_id(key[1] or "(no kind)", key[2] or None, key[3])


# --- LoadBalancer addresses -----------------------------------------------------------------------
def _holdings(result: Any) -> dict[tuple[str, str], dict[str, tuple[str, str]]]:
    """(cluster, owner) -> address -> (pool, where)."""
    from ..ipplan import build_plan

    out: dict[tuple[str, str], dict[str, tuple[str, str]]] = {}
    for cluster in build_plan(result.index, result.policy).clusters:
        for row in cluster.rows:
            for owner in row.owners:
                out.setdefault((cluster.name, owner.ident), {})[str(row.address)] = (row.pool or "", owner.where)
    return out


def _addresses(before: Side, after: Side) -> list[AddressChange]:
    old, new = before.holdings, after.holdings
    out = []
    for key in sorted(old.keys() | new.keys()):
        cluster, owner = key
        then, now = old.get(key, {}), new.get(key, {})
        for address in sorted(now.keys() | then.keys()):
            if address not in then:
                out.append(AddressChange(cluster, "gained", owner, address, now[address][0], where=now[address][1]))
            elif address not in now:
                out.append(AddressChange(cluster, "lost", owner, address, then[address][0], where=then[address][1]))
            elif then[address][0] != now[address][0]:
                out.append(AddressChange(cluster, "pool", owner, address, now[address][0], then[address][0],
                                         now[address][1]))
    return out


# --- bootstrap boundary ---------------------------------------------------------------------------
def _in_flux(flux: _Flux, result: Any) -> dict[tuple[str, str, str], tuple[str, str]]:
    """(cluster, component, resource) -> (file, applying Kustomization) for bootstrap-only objects Flux applies."""
    from ..components import SourceLookup, bootstrap_entries, load_components, match_document

    architecture = result.policy.architecture
    entries = bootstrap_entries(architecture)
    if not entries or not result.index.graph.has_flux:
        return {}
    components = load_components(architecture)
    selected = {e.name: components[e.name] for e in entries if e.name in components}
    if not selected:
        return {}
    sources = SourceLookup((a.doc, a.namespace) for a in result.index.applied)
    out: dict[tuple[str, str, str], tuple[str, str]] = {}
    for cluster, applied in flux.applied:
        if applied.kustomization is None:
            continue
        for match in match_document(applied.doc, applied.namespace, selected, sources):
            key = (cluster, match.component, resource_id(applied.doc.kind, applied.namespace, applied.name))
            ks = applied.kustomization
            out.setdefault(key, (applied.doc.path, flux.ks_names.get(id(ks)) or _ks_name(ks)))
    return out


def _bootstrap(before: Side, after: Side) -> list[BootstrapChange]:
    old, new = before.bootstrap, after.bootstrap
    out = []
    for key in sorted(new.keys() - old.keys()):
        out.append(BootstrapChange(key[0], "entered", key[1], key[2], *new[key]))
    for key in sorted(old.keys() - new.keys()):
        out.append(BootstrapChange(key[0], "left", key[1], key[2], *old[key]))
    return out
