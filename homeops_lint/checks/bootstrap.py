"""The bootstrap boundary (``bootstrap-``): components installed before Flux must not also be
reconciled by Flux, unless the policy says Flux adopts them and both definitions agree (§8)."""
from __future__ import annotations

from typing import Optional

from ..components import (
    BootstrapEntry, Component, Definition, Match, SourceLookup, bootstrap_definitions, bootstrap_entries,
    load_components, match_document,
)
from ..context import Context
from ..flux import Applied, format_chain

FAMILIES = ("bootstrap",)


def check(ctx: Context) -> None:
    architecture = ctx.policy.architecture
    components = load_components(architecture)
    entries = bootstrap_entries(architecture)
    _unknown_components(ctx, entries, components)
    wanted = {e.name: e for e in entries if e.name in components}
    graph = ctx.index.graph
    if not wanted or not graph.has_flux:
        return  # without Flux nothing reconciles: there is no second owner
    selected = {name: components[name] for name in wanted}
    sources = SourceLookup((a.doc, a.namespace) for a in ctx.index.applied)
    definitions: Optional[list[Definition]] = None
    seen: set[tuple[str, str]] = set()
    for applied in ctx.index.applied:
        if applied.kustomization is None:
            continue  # an entrypoint itself, not something a Flux Kustomization applies
        for match in match_document(applied.doc, applied.namespace, selected, sources):
            if (match.component, applied.doc.path) in seen:
                continue  # one finding per component and file
            seen.add((match.component, applied.doc.path))
            entry = wanted[match.component]
            if entry.mode == "forbid":
                _report_in_flux(ctx, applied, match)
            elif applied.doc.kind == "HelmRelease":
                if definitions is None:
                    definitions = bootstrap_definitions(ctx.index.files, selected, ctx.index.is_applied)
                _check_adoption(ctx, applied, match, [d for d in definitions if d.component == match.component])


def _unknown_components(ctx: Context, entries: list[BootstrapEntry], components: dict[str, Component]) -> None:
    for entry in entries:
        if entry.name in components:
            continue
        path, pos, note = ctx.policy.locate("architecture", "bootstrap_only", entry.index)
        if path is None:
            continue
        known = ", ".join(sorted(components))
        ctx.report("bootstrap-unknown-component", path, pos=pos,
                   message=f"bootstrap_only names '{entry.name}', which no component matcher describes{note}; "
                           f"known components: {known} (add a matcher under architecture.components)")


def _report_in_flux(ctx: Context, applied: Applied, match: Match) -> None:
    chain = format_chain(applied.local_chain)
    ctx.report(
        "bootstrap-in-flux", applied.doc, match.key,
        f"{match.component} is bootstrap-only (architecture.bootstrap_only) but Flux applies this "
        f"{match.what}: {chain}. Flux and the bootstrap install would both own it and a prune can remove "
        f"it; take it out of the Flux path, or declare {{name: {match.component}, mode: adopt}} if Flux "
        "adopts the bootstrap install on purpose",
        namespace=applied.namespace)


def _flux_release(applied: Applied) -> tuple[str, str, str]:
    """(release name, release namespace, storage namespace) helm-controller uses."""
    doc = applied.doc
    namespace = applied.namespace or doc.namespace or "default"
    target = doc.get("spec", "targetNamespace")
    target = target if isinstance(target, str) and target else None
    release = doc.get("spec", "releaseName")
    if not isinstance(release, str) or not release:
        release = f"{target}-{doc.name}" if target else doc.name
    storage = doc.get("spec", "storageNamespace")
    storage = storage if isinstance(storage, str) and storage else namespace
    return release, target or namespace, storage


def _differences(applied: Applied, match: Match, definition: Definition) -> list[tuple[str, tuple]]:
    """What keeps helm-controller from adopting ``definition``: (reason, key to report)."""
    if not definition.helm:
        return [(f"the bootstrap install is not a Helm release ({definition.how}), so helm-controller "
                 "refuses to take over its objects (no Helm ownership metadata)", match.key)]
    release, release_ns, storage = _flux_release(applied)
    out: list[tuple[str, tuple]] = []
    if definition.chart and match.chart and definition.chart != match.chart:
        out.append((f"chart {match.chart} is not the bootstrap chart {definition.chart}", match.key))
    if definition.release and definition.release != release:
        key = ("spec", "releaseName") if applied.doc.get("spec", "releaseName") else ("metadata", "name")
        out.append((f"release name {release} is not the bootstrap release {definition.release} "
                     "(set spec.releaseName)", key))
    if definition.namespace and (release_ns != definition.namespace or storage != definition.namespace):
        where = release_ns if release_ns != definition.namespace else storage
        out.append((f"release namespace {where} is not the bootstrap namespace {definition.namespace}",
                    ("metadata", "namespace") if applied.doc.namespace else ("metadata",)))
    return out


def _check_adoption(ctx: Context, applied: Applied, match: Match, definitions: list[Definition]) -> None:
    if not definitions:
        return  # nothing to compare with: the bootstrap install is not in the repo
    judged = [(d, _differences(applied, match, d)) for d in definitions]
    if any(not diffs for _d, diffs in judged):
        return
    definition, diffs = judged[0]
    reasons = "; ".join(reason for reason, _key in diffs)
    ctx.report(
        "bootstrap-adopt-mismatch", applied.doc, diffs[0][1],
        f"{match.component} is declared mode: adopt, but this HelmRelease cannot adopt the bootstrap "
        f"install ({definition.describe()}): {reasons}. Flux would install a second copy or fail; make "
        "both definitions use the same chart, release name and namespace",
        namespace=applied.namespace)
