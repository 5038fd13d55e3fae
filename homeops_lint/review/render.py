"""Renderers of a ``changes.Review``: ``markdown`` (a PR comment), ``json`` (``schemas/diff.schema.json``)
and ``text``. Every list comes in a stable order; markdown caps each section ("and N more") and
the whole comment under GitHub's comment size limit."""
from __future__ import annotations

import json
from typing import Any, Callable, Iterable, Sequence

from ..model import Severity
from .changes import AddressChange, BootstrapChange, FindingChange, KustomizationChange, ObjectChange, Review

FORMATS = ("text", "markdown", "json")
MARKER = "<!-- homeops-lint diff -->"  # CI recipes find (and update) their comment by it
COMMENT_LIMIT = 60000  # characters; GitHub refuses comments over 65536
SCHEMA_VERSION = 1
_OBJECT_WORDS = {"unapplied": "no longer applied", "applied": "newly applied", "moved": "moved"}
_ADDRESS_WORDS = {"gained": "gained", "lost": "lost", "pool": "changed pool"}


def render(fmt: str, review: Review, limit: int = 50) -> str:
    if fmt == "json":
        return json.dumps(as_json(review), indent=2, ensure_ascii=False) + "\n"
    if fmt == "markdown":
        text = markdown(review, limit)
        while len(text) > COMMENT_LIMIT and limit > 5:
            limit = max(5, limit // 2)
            text = markdown(review, limit)
        return text
    return plain(review)


# --- the verdict ----------------------------------------------------------------------------------
def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _by_severity(findings: Iterable[FindingChange]) -> dict[str, int]:
    out = {s.value: 0 for s in Severity}
    for change in findings:
        out[change.finding.severity.value] += 1
    return out


def _flux_summary(review: Review) -> list[str]:
    parts = []
    ks: dict[str, int] = {}
    for change in review.kustomizations:
        ks[change.change] = ks.get(change.change, 0) + 1
    for what in ("added", "removed", "changed"):
        if ks.get(what):
            parts.append(f"{_plural(ks[what], 'Kustomization')} {what}")
    objects: dict[str, int] = {}
    for obj in review.objects:
        objects[obj.change] = objects.get(obj.change, 0) + 1
    for what in ("unapplied", "moved", "applied"):
        if objects.get(what):
            parts.append(f"{_plural(objects[what], 'object')} {_OBJECT_WORDS[what]}")
    if review.addresses:
        parts.append(_plural(len(review.addresses), "address change"))
    if review.bootstrap:
        parts.append(_plural(len(review.bootstrap), "bootstrap boundary change"))
    return parts


def verdict(review: Review, emoji: bool = True) -> str:
    introduced = _by_severity(review.of_state("introduced"))
    fixed, present = len(review.of_state("fixed")), len(review.of_state("present"))
    if review.failed:
        head = ("❌ " if emoji else "") + f"{_plural(introduced['error'], 'new error')}"
    elif introduced["warning"] or introduced["info"]:
        head = ("⚠️ " if emoji else "") + "no new error"
    else:
        head = ("✅ " if emoji else "") + "no new finding"
    others = [f"{_plural(introduced[s], 'new ' + s)}" for s in ("warning", "info") if introduced[s]]
    counts = f"{sum(introduced.values())} introduced, {fixed} fixed, {present} still present"
    flux = _flux_summary(review) or ["no change to what Flux applies"]
    incomplete = [] if review.complete else ["incomplete: the time budget stopped a run"]
    return " · ".join([head + (f" ({', '.join(others)})" if others else ""), counts, *flux, *incomplete])


# --- markdown -------------------------------------------------------------------------------------
def _cell(text: str) -> str:
    text = " ".join(str(text).split())
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("|", "\\|")


def _code(text: str) -> str:
    text = " ".join(str(text).split()).replace("`", "'").replace("|", "\\|")
    return f"`{text}`" if text else ""


def _table(header: Sequence[str], rows: list[Sequence[str]], limit: int) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows[:limit]]
    if len(rows) > limit:
        lines += ["", f"… and {len(rows) - limit} more"]
    return lines


def _section(title: str, count: int, body: list[str], open_: bool = False) -> list[str]:
    return [f"<details{' open' if open_ else ''}><summary><b>{title}</b> ({count})</summary>", "", *body, "",
            "</details>", ""]


def _finding_rows(changes: list[FindingChange]) -> list[Sequence[str]]:
    return [(c.finding.severity.value, _code(c.finding.rule),
             _code(f"{c.finding.path}:{c.finding.line}:{c.finding.column}"), _cell(c.message),
             _cell(", ".join(c.clusters))) for c in changes]


def _per_cluster(changes: Sequence[Any], header: Sequence[str], row: Callable[[Any], Sequence[str]],
                 limit: int) -> list[str]:
    clusters = sorted({c.cluster for c in changes})
    out: list[str] = []
    for cluster in clusters:
        mine = [row(c) for c in changes if c.cluster == cluster]
        if len(clusters) > 1:
            out += [f"**cluster `{cluster}`**", ""]
        out += _table(header, mine, limit) + [""]
    return out


def _ks_row(c: KustomizationChange) -> Sequence[str]:
    return (c.change, _code(c.name), _code(c.where), _cell("; ".join(c.details)))


def _object_row(c: ObjectChange) -> Sequence[str]:
    return (_OBJECT_WORDS[c.change], _code(c.resource), _code(c.where), _cell(c.kustomization), _cell(c.detail))


def _address_row(c: AddressChange) -> Sequence[str]:
    pool = f"{c.old_pool or '(none)'} → {c.pool or '(none)'}" if c.change == "pool" else (c.pool or "(no pool)")
    return (_code(c.owner), _ADDRESS_WORDS[c.change], _code(c.address), _cell(pool), _code(c.where))


def _bootstrap_row(c: BootstrapChange) -> Sequence[str]:
    what = "enters Flux" if c.change == "entered" else "leaves Flux"
    return (_code(c.component), what, _code(c.resource), _code(c.where), _cell(c.kustomization))


def markdown(review: Review, limit: int = 50) -> str:
    lines = [MARKER, f"**homeops-lint diff**: {verdict(review)}", "",
             f"<sub>{_cell(review.base.label)} → {_cell(review.head.label)}</sub>", ""]
    header = ("severity", "rule", "where", "message", "cluster")
    introduced, fixed = review.of_state("introduced"), review.of_state("fixed")
    if introduced:
        lines += _section("Introduced findings", len(introduced),
                          _table(header, _finding_rows(introduced), limit), open_=review.failed)
    if fixed:
        lines += _section("Fixed findings", len(fixed), _table(header, _finding_rows(fixed), limit))
    if review.kustomizations:
        lines += _section("Flux Kustomizations", len(review.kustomizations), _per_cluster(
            review.kustomizations, ("change", "Kustomization", "where", "what changed"), _ks_row, limit))
    if review.objects:
        lines += _section("Objects Flux applies", len(review.objects), _per_cluster(
            review.objects, ("change", "object", "file", "Kustomization", "detail"), _object_row, limit))
    if review.addresses:
        lines += _section("LoadBalancer addresses", len(review.addresses), _per_cluster(
            review.addresses, ("owner", "change", "address", "pool", "where"), _address_row, limit))
    if review.bootstrap:
        lines += _section("Bootstrap boundary", len(review.bootstrap), _per_cluster(
            review.bootstrap, ("component", "change", "object", "file", "Kustomization"), _bootstrap_row, limit))
    return "\n".join(lines).rstrip("\n") + "\n"


# --- text -----------------------------------------------------------------------------------------
def plain(review: Review) -> str:
    lines = [f"homeops-lint diff: {review.base.label} -> {review.head.label}", verdict(review, emoji=False)]
    for state, title in (("introduced", "introduced"), ("fixed", "fixed")):
        changes = review.of_state(state)
        if changes:
            lines += ["", f"{title} findings ({len(changes)}):"]
            lines += [f"  {c.finding.path}:{c.finding.line}:{c.finding.column}: {c.finding.severity.value} "
                      f"{c.finding.rule}: {' '.join(c.message.split())}" for c in changes]
    for cluster in review.clusters:
        block: list[str] = []
        block += [f"  Kustomization {c.name} {c.change} ({c.where})" + (f": {'; '.join(c.details)}" if c.details else "")
                  for c in review.kustomizations if c.cluster == cluster]
        block += [f"  {c.resource} {_OBJECT_WORDS[c.change]} ({c.where}; {c.kustomization})"
                  + (f": {c.detail}" if c.detail else "") for c in review.objects if c.cluster == cluster]
        block += [f"  {c.owner} {_ADDRESS_WORDS[c.change]} {c.address} "
                  + (f"({c.old_pool or 'no pool'} -> {c.pool or 'no pool'})" if c.change == "pool"
                     else f"(pool {c.pool or '(none)'})") for c in review.addresses if c.cluster == cluster]
        block += [f"  {c.component}: {c.resource} {'enters' if c.change == 'entered' else 'leaves'} Flux "
                  f"({c.where}; {c.kustomization})" for c in review.bootstrap if c.cluster == cluster]
        if block:
            lines += ["", f"cluster {cluster}:", *block]
    return "\n".join(lines) + "\n"


# --- json -----------------------------------------------------------------------------------------
def _finding_json(change: FindingChange) -> dict[str, Any]:
    f = change.finding
    return {"rule": f.rule, "severity": f.severity.value, "path": f.path, "line": f.line, "column": f.column,
            "message": change.message, "resource": f.resource or None, "key": f.key or None,
            "clusters": list(change.clusters)}


def as_json(review: Review) -> dict[str, Any]:
    clusters = []
    for name in review.clusters:
        clusters.append({
            "name": name,
            "kustomizations": [{"change": c.change, "name": c.name, "where": c.where, "details": list(c.details)}
                               for c in review.kustomizations if c.cluster == name],
            "objects": [{"change": c.change, "resource": c.resource, "path": c.where,
                         "kustomization": c.kustomization, "detail": c.detail}
                        for c in review.objects if c.cluster == name],
            "addresses": [{"change": c.change, "owner": c.owner, "address": c.address, "pool": c.pool,
                           "old_pool": c.old_pool, "where": c.where}
                          for c in review.addresses if c.cluster == name],
            "bootstrap": [{"change": c.change, "component": c.component, "resource": c.resource, "path": c.where,
                           "kustomization": c.kustomization}
                          for c in review.bootstrap if c.cluster == name],
        })
    return {
        "version": SCHEMA_VERSION,
        "base": {"rev": review.base.rev, "label": review.base.label},
        "head": {"rev": review.head.rev, "label": review.head.label},
        "verdict": "fail" if review.failed else "pass",
        "complete": review.complete,
        "summary": {
            "introduced": _by_severity(review.of_state("introduced")),
            "fixed": _by_severity(review.of_state("fixed")),
            "present": _by_severity(review.of_state("present")),
            "kustomizations": len(review.kustomizations), "objects": len(review.objects),
            "addresses": len(review.addresses), "bootstrap": len(review.bootstrap),
        },
        "findings": {state: [_finding_json(c) for c in review.of_state(state)]
                     for state in ("introduced", "fixed", "present")},
        "clusters": clusters,
        "notes": list(review.notes),
    }
