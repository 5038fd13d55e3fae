"""The pipeline: discover -> read and parse -> classify -> index and Flux graph -> checks ->
suppressions -> findings. The engine knows no rule; checks are found in ``homeops_lint.checks``.
"""
from __future__ import annotations

import importlib
import pkgutil
import re
import time
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Optional

from . import discover as discover_mod
from . import source as source_mod
from . import classify, pool, suppress, yamlload
from .budget import Budget, OutOfTime
from .catalog import Catalog, load_catalog
from .context import Context
from .index import RepoIndex, build_index
from .inference import infer_architecture
from .model import Finding, Pos, Severity, SourceFile
from .options import Options
from .policy import LIMIT_CEILINGS, Policy, load_policy, with_architecture
from .timing import or_off

if TYPE_CHECKING:
    from . import masking


@dataclass
class Result:
    root: Path
    policy: Policy
    catalog: Catalog
    index: RepoIndex
    findings: list[Finding]  # shown, sorted, after suppression
    suppressed: list[Finding]
    all_findings: list[Finding]  # before path filtering (after suppression)
    notes: list[str] = field(default_factory=list)  # one-line messages for stderr
    # False when the time budget stopped the run: some files or checks were not judged, a
    # parse-limit finding says which, and the CLI exits 2 (the findings are still printed).
    complete: bool = True

    @property
    def files(self) -> list[SourceFile]:
        return self.index.files

    @cached_property
    def masker(self) -> "masking.Masker":
        """The secrets reporters hide, per file, whichever rules ran (``masking.Masker``)."""
        from .masking import Masker

        return Masker(self.index.files, (*self.all_findings, *self.suppressed))

    @cached_property
    def files_by_path(self) -> dict[str, SourceFile]:
        return {f.path: f for f in self.index.files}

    def masks_for(self, path: str) -> tuple[str, ...]:
        """Every secret value of ``path``: reporters hide them on every source line and message
        they print from that file, whichever rule the line is shown for."""
        return self.masker.masks_for(path)

    def count(self, severity: Severity) -> int:
        return sum(1 for f in self.findings if f.severity == severity)

    @property
    def failed(self) -> bool:
        return any(f.severity == Severity.ERROR for f in self.findings)


def check_modules() -> list[str]:
    from . import checks

    return sorted(m.name for m in pkgutil.iter_modules(checks.__path__) if not m.name.startswith("_"))


def enabled_rules(catalog: Catalog, policy: Policy, select: Iterable[str], ignore: Iterable[str]) -> frozenset[str]:
    select = [s.strip().lower() for s in select if s.strip()]  # rule ids are lower-case
    ignore = [s.strip().lower() for s in ignore if s.strip()]
    if select:
        # A family prefix selects the family's rules that are on by default; a rule that is off by
        # default (e.g. schema-missing) is selected by its exact id, as with ruff's --select.
        exact = {s for s in select if s in catalog.rules}
        chosen = {r for r in catalog.matching(select) if catalog.rules[r].enabled or r in exact
                  or policy.rule_config(r).get("severity") not in (None, "off")}
    else:
        chosen = {r.id for r in catalog.rules.values() if r.enabled}
        # A rule that is off by default is turned on by giving it a severity in the policy.
        for rule in catalog.rules.values():
            if not rule.enabled and policy.rule_config(rule.id).get("severity") not in (None, "off"):
                chosen.add(rule.id)
    chosen -= catalog.matching(ignore)
    chosen = {r for r in chosen if policy.rule_config(r).get("severity") != "off" or r in select}
    return frozenset(chosen)


def _limits(policy: Policy) -> source_mod.ReadLimits:
    """The policy's limits, each clamped at its ceiling (``policy.LIMIT_CEILINGS``)."""
    base = source_mod.ReadLimits()
    values = {name: int(policy.limit(name, getattr(base.yaml, name)))
              for name in yamlload.Limits.__dataclass_fields__ if name.startswith("max_")}
    values.update(max_file_size=int(policy.limit("max_file_size", base.max_file_size)),
                  max_line_length=int(policy.limit("max_line_length", base.max_line_length)),
                  time_budget=_time_budget(policy))
    fixed = frozenset(name for name, value in values.items() if value >= LIMIT_CEILINGS[name])
    ylim = yamlload.Limits(**{name: value for name, value in values.items() if hasattr(base.yaml, name)},
                           fixed=fixed)
    return source_mod.ReadLimits(max_file_size=values["max_file_size"], max_line_length=values["max_line_length"],
                                 yaml=ylim)


read_limits = _limits  # public: ``homeops-lint diff`` parses a version ahead of its run with these


DEFAULT_TIME_BUDGET = 120.0  # seconds per run (limits.time_budget); a safety net, not a target
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _time_budget(policy: Policy) -> float:
    value = policy.limit("time_budget", DEFAULT_TIME_BUDGET)
    return float(value) if value > 0 else DEFAULT_TIME_BUDGET


def _printable(finding: Finding) -> Finding:
    """Control characters from hostile YAML (``"\\e[2J"`` keys) never reach a terminal or report."""
    if not _CONTROL.search(finding.message + finding.resource + finding.key):
        return finding

    def clean(value: str) -> str:
        return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", value)

    return replace(finding, message=clean(finding.message), resource=clean(finding.resource), key=clean(finding.key))


def _over_budget(ctx: Context, policy: Policy, budget: float, skipped: list[str], cut: list[str]) -> None:
    path, pos, _note = policy.locate("limits", "time_budget")
    parts = []
    if cut:
        parts.append(f"these checks stopped part way: {', '.join(cut)}")
    if skipped:
        parts.append(f"these checks did not run: {', '.join(skipped)}")
    ctx.report("parse-limit", path or ".", pos=pos, message=yamlload.limit_message(
        f"the time_budget of {budget:g} s ran out; {'; '.join(parts) or 'the run stopped'}",
        "time_budget", "every finding so far is kept",
        frozenset(("time_budget",)) if budget >= LIMIT_CEILINGS["time_budget"] else frozenset()))


def selected_paths(root: Path, paths: Iterable[str]) -> Optional[set[str]]:
    """Relative paths/folders whose findings are shown; None means everything."""
    chosen: set[str] = set()
    for raw in paths:
        full = Path(raw).absolute()
        try:
            rel = full.relative_to(root.absolute()).as_posix()
        except ValueError:
            try:
                rel = full.resolve().relative_to(root.resolve()).as_posix()
            except ValueError:
                continue
        if rel in ("", "."):
            return None
        chosen.add(rel)
    return chosen


def is_shown(finding: Finding, selected: Optional[set[str]]) -> bool:
    if selected is None:
        return True
    path = finding.path
    return path in selected or any(path.startswith(s.rstrip("/") + "/") for s in selected)


def run(options: Options) -> Result:
    """Lint the repo. The cyclic garbage collector is paused meanwhile: a run builds hundreds of
    thousands of small, acyclic containers that all live to the end, and the collector's repeated
    passes over them cost a third of a cold run. (The CLI keeps it off until exit.)"""
    import gc

    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _run(options)
    finally:
        if was_enabled:
            gc.enable()


def _run(options: Options) -> Result:
    started = time.monotonic()
    timings = or_off(options.timings)
    with timings.stage("policy+catalog"):
        if options.prelude is not None:
            root, policy, found = options.prelude
        else:
            root = discover_mod.lint_root(options.root, options.paths)
            policy = load_policy(root, options.config)
            found = None
        notes: list[str] = []
        extra_dirs = [root / d for d in policy.data.get("custom_rules", []) if isinstance(d, str)]
        extra_dirs += [Path(d) for d in options.rule_dirs]
        catalog = load_catalog(extra_dirs)
        enabled = enabled_rules(catalog, policy, catalog.patterns(options.select, "--select"),
                                catalog.patterns(options.ignore, "--ignore"))

    with timings.stage("discover"):
        if found is None:
            found = discover_mod.discover(root, [*policy.exclude, *options.extra_exclude])
    with timings.stage("read+parse"):
        budget = Budget(_time_budget(policy), time.monotonic, started)
        files, problems = source_mod.read_all(root, found.files, _limits(policy), budget, options.parses)
        read_cut = any(p.limit == "time_budget" for p in problems)
    with timings.stage("index"):
        index = build_index(files, policy.entrypoints)
    if policy.origin == "none":
        architecture = infer_architecture(index)
        policy = with_architecture(policy, architecture)
        pools = len(architecture.get("pools", {}))
        notes.append(f"no .homeops-lint.yaml: inferred {pools} LoadBalancer pool(s) and "
                     f"{len(architecture.get('networks', {}))} network list(s) from the repo "
                     "(run 'homeops-lint init' to write them down)")
    ctx = Context(root, index, policy, catalog, enabled, budget=budget)
    for problem in problems:
        ctx.report(problem.rule, problem.path, message=problem.message,
                   pos=Pos(problem.line, problem.column), severity=_parse_severity(index, problem))
    for rel, reason in found.skipped:
        ctx.report("parse-unreadable", rel, message=reason)
    families = {catalog.rules[rule_id].family for rule_id in enabled}
    modules = [] if read_cut else check_modules()  # a partial index would mislead every check
    skipped: list[str] = []
    cut: list[str] = []
    if modules and pool.usable(len(index.documents)):
        # Large repo: the check modules run in two processes (same findings, same order).
        runnable = [(name, module) for name, module in ((n, importlib.import_module(f"homeops_lint.checks.{n}"))
                                                        for n in modules)
                    if _serves(module, name, families, enabled, catalog)]
        skipped, cut = pool.run_checks(ctx, runnable, _check_one, budget, timings)
        modules = []
    for position, module_name in enumerate(modules):
        module = importlib.import_module(f"homeops_lint.checks.{module_name}")
        if not _serves(module, module_name, families, enabled, catalog):
            continue
        if budget.expired():
            skipped = [module_name, *_served(modules[position + 1:], families, enabled, catalog)]
            break
        with timings.stage(f"check:{module_name}"):
            try:
                _check_one(ctx, module_name, module)
            except OutOfTime:  # the module checks the budget inside its loop: keep what it found
                cut = [module_name]
                skipped = _served(modules[position + 1:], families, enabled, catalog)
                break
    if skipped or cut:
        _over_budget(ctx, policy, budget.seconds, skipped, cut)
    with timings.stage("suppress"):
        findings = [_printable(f) for f in _prefer_specific(_dedupe(ctx.findings), catalog)]
        kept, suppressed = suppress.apply(findings, files, policy, catalog, enabled, ctx.severity)
        kept = sorted(_dedupe(kept), key=Finding.sort_key)
    selected = options.show_only if options.show_only is not None else selected_paths(root, options.paths)
    shown = [f for f in kept if is_shown(f, selected)]
    return Result(root, policy, catalog, index, shown, sorted(suppressed, key=Finding.sort_key), kept, notes,
                  complete=not (read_cut or skipped or cut))


# Limits on one file's size or line length: over them, the file is not read at all.
_FILE_LIMITS = ("max_file_size", "max_line_length")


def _parse_severity(index: RepoIndex, problem: "source_mod.FileProblem") -> Optional[Severity]:
    """A YAML file that does not parse breaks the build that reads it; when the repository has Flux
    and no Flux Kustomization can read the file (not listed by a reached kustomization, not under
    a reached spec.path), nothing in the cluster breaks: a warning (docs/severity.md). A file that
    is not YAML (a script, a base64 blob) over a size or line-length limit is a warning too: Flux
    never applies it, and only the secret scan missed it."""
    rule, path = problem.rule, problem.path
    if rule == "parse-limit" and problem.limit in _FILE_LIMITS and not classify.is_yaml_path(path) \
            and not path.lower().endswith(".json"):
        return Severity.WARNING
    graph = index.graph
    if rule != "parse-error" or graph.mode == "no-flux":
        return None
    if path in graph.reached_files or path in graph.referenced_files:
        return None
    for node in graph.nodes:
        if node.path is None or node.external:
            continue
        folder = node.path.strip("/")
        if folder in ("", ".") or path.startswith(folder + "/"):
            return None
    return Severity.WARNING


def _serves(module, module_name: str, families: set[str], enabled: frozenset[str],  # type: ignore[no-untyped-def]
            catalog: Catalog) -> bool:
    module_families = getattr(module, "FAMILIES", (module_name,))
    # A module may serve rules of any family (declarative rules): it says which ones.
    served = getattr(module, "rules_served", None)
    return bool(families.intersection(module_families)) or bool(served and enabled & served(catalog))


def _served(names: list[str], families: set[str], enabled: frozenset[str], catalog: Catalog) -> list[str]:
    return [name for name in names
            if _serves(importlib.import_module(f"homeops_lint.checks.{name}"), name, families, enabled, catalog)]


def _check_one(ctx: Context, module_name: str, module) -> None:  # type: ignore[no-untyped-def]
    try:
        module.check(ctx)
    except RecursionError:  # deeply nested input a check walks recursively: keep the run
        ctx.report("parse-limit", ".", message=yamlload.limit_message(
            f"the {module_name} checks hit Python's recursion limit on deeply nested input",
            "max_depth", "their findings may be incomplete; lower limits.max_depth"))


def _prefer_specific(findings: list[Finding], catalog: Catalog) -> list[Finding]:
    """One problem, one finding: a finding of a family that yields to the domain rules (schema-)
    on a line that a domain rule already explains (e.g. cnpg-objectstore-invalid, lb-pool-invalid)
    is dropped in favour of the domain rule. The catalog says which families are which."""
    rules = catalog.rules
    explained = {(f.path, f.line) for f in findings if f.rule not in rules or rules[f.rule].domain}
    return [f for f in findings
            if not (f.rule in rules and rules[f.rule].yields_to_domain and (f.path, f.line) in explained)]


def _dedupe(findings: list[Finding]) -> list[Finding]:
    seen: set[tuple[object, ...]] = set()
    out = []
    for finding in findings:
        key = (finding.rule, finding.path, finding.line, finding.column, finding.message, finding.resource)
        if key not in seen:
            seen.add(key)
            out.append(finding)
    return out
