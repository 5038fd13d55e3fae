"""``homeops-lint [lint] [PATH ...]``: lint the repository and print the report.

An unchanged tree replays the previous run's output from the cache (``cache.py``) without
loading the engine; ``--staged``/``--changed`` narrow the shown findings (``gitchanges.py``).
"""
from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any, Optional, Sequence

from .. import __version__
from ..errors import EXIT_CLEAN, EXIT_ERROR, EXIT_FINDINGS
from ..options import Options, split_values
from ..output import use_color, write_output
from ..timing import or_off
from . import SUBCOMMANDS

if TYPE_CHECKING:
    from argparse import Namespace

    from ..cache import Cache
    from ..engine import Result
    from ..gitchanges import Change
    from ..report.common import ReportOptions


def parser() -> Any:
    """The lint's argument parser (the hook reuses it with another prog and description)."""
    from ..errors import argument_parser
    from ..report import FORMATS

    parser = argument_parser(
        prog="homeops-lint",
        description="Lint a GitOps home-ops repository against its declared architecture.",
        epilog="Subcommands: " + ", ".join(sorted(SUBCOMMANDS)) + ". Run 'homeops-lint rules' for the rule list.",
    )
    parser.add_argument("paths", nargs="*", default=["."], metavar="PATH",
                        help="repo root, folder or files (default: .); the whole repo is always loaded, "
                             "these select which findings are shown")
    parser.add_argument("--config", metavar="FILE", help="policy file (default: .homeops-lint.yaml at the root)")
    parser.add_argument("--root", metavar="DIR", help="the repository root (default: found through the policy file or git)")
    parser.add_argument("--format", default="text", choices=FORMATS, help="output format (default: text)")
    parser.add_argument("--output", "-o", metavar="FILE", help="write the report to FILE instead of stdout")
    parser.add_argument("--select", action="append", metavar="RULE,...", help="only these rules or family prefixes (lb-)")
    parser.add_argument("--ignore", action="append", metavar="RULE,...", help="skip these rules or family prefixes")
    parser.add_argument("--exit-zero", action="store_true", help="exit 0 even when there are findings")
    parser.add_argument("--quiet", "-q", action="store_true", help="print findings only, one line each")
    parser.add_argument("--statistics", action="store_true", help="count findings by rule")
    parser.add_argument("--color", default="auto", choices=("auto", "always", "never"))
    parser.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")
    parser.add_argument("--version", action="version", version=f"homeops-lint {__version__}")
    # Integrations (docs/integrations.md): git scopes, baseline, fixes.
    scope = parser.add_mutually_exclusive_group()
    scope.add_argument("--staged", action="store_true",
                       help="show only findings that concern staged files (the whole repo is still judged)")
    scope.add_argument("--changed", nargs="?", const="HEAD", metavar="REF",
                       help="show only findings that concern files changed against REF (default HEAD; "
                            "write --changed=REF before paths)")
    parser.add_argument("--baseline", metavar="FILE", help="hide the findings recorded in FILE "
                        "('homeops-lint baseline write FILE')")
    parser.add_argument("--fix", action="store_true", help="apply safe fixes, then lint")
    parser.add_argument("--diff", action="store_true", help="print the fixes as a unified diff; write nothing")
    parser.add_argument("--unsafe-fixes", action="store_true", help="also apply fixes that may change meaning")
    # Performance (bench/README.md): the cache and the time breakdown.
    parser.add_argument("--timings", action="store_true",
                        help="print the time spent per stage and per check module to stderr")
    parser.add_argument("--cache-dir", metavar="DIR",
                        help="cache folder (default: $HOMEOPS_LINT_CACHE_DIR, else $XDG_CACHE_HOME/homeops-lint/"
                             "<root hash>); an unchanged tree replays the previous run's output")
    parser.add_argument("--no-cache", action="store_true", help="neither read nor write the cache")
    return parser


def main(argv: Sequence[str]) -> int:
    return lint_with(parser().parse_args(list(argv)))


def lint_with(args: Namespace, change: Optional[Change] = None, root: Optional[str] = None,
              paths: Optional[list[str]] = None) -> int:
    """Lint with parsed ``args``; ``change`` narrows the shown findings to those it concerns."""
    # The engine (and everything it imports) is loaded only when the cache cannot replay the run.
    options = Options(paths=paths or args.paths, root=root or args.root, config=args.config,
                      select=split_values(args.select), ignore=split_values(args.ignore))
    if getattr(args, "timings", False):
        from ..timing import Timings

        options.timings = Timings()
    if args.baseline:
        from ..baseline import exclude_glob

        options.extra_exclude.append(exclude_glob(args.baseline, options.root, options.paths))
    if args.fix or args.diff:
        from ..fix import run_fixes

        fixed = run_fixes(options, write=not args.diff, unsafe=args.unsafe_fixes)
        if args.diff:
            return fixed
    # The cache replays a whole-repo run's output; every run that lints records the state it
    # judged, where a changed-files run finds its before-state (gitchanges.attribute).
    scoped = change is not None or bool(args.staged or args.changed)
    replays = not (scoped or args.fix or args.diff)
    cache = _open_cache(args, options) if replays or scoped else None
    replay_key = None
    if cache is not None and replays:
        replay_key = _replay_key(cache, args, options)
        if replay_key is not None and _replay(cache, replay_key, args, options):
            return cache.replayed_code
    from ..engine import enabled_rules, run
    from ..report import embeds_statistics
    from ..report.common import ReportOptions, statistics

    result = run(options)
    timings = or_off(options.timings)
    if cache is not None:
        from ..gitchanges import record_state

        with timings.stage("cache: record"):
            record_state(cache, result, options)  # the next commit's before-state is, usually, this one
    if args.baseline:  # first, so that baselined findings never need attributing to a change
        from ..baseline import apply

        enabled = enabled_rules(result.catalog, result.policy, options.select, options.ignore)
        result = apply(result, args.baseline, enabled)
    if scoped:
        from .. import gitchanges

        if change is None:
            change = gitchanges.staged(result.root) if args.staged else gitchanges.changed(result.root, args.changed)
        result = gitchanges.attribute(result, options, change, cache)
    before = "" if args.quiet else "".join(f"homeops-lint: {note}\n" for note in result.notes)
    if not result.files:  # even with --quiet: a run that read nothing must not pass unnoticed
        before += f"homeops-lint: warning: no files were linted under {result.root}\n"
    sys.stderr.write(before)
    report_options = ReportOptions(color=use_color(args.color, sys.stdout) and not args.output,
                                   quiet=args.quiet, statistics=args.statistics)
    with timings.stage("report"):
        text = _render(args, result, report_options, options)
        write_output(text, args.output)
    after = ""
    if args.statistics and not embeds_statistics(args.format):
        after = "".join(f"{count:5d}  {rule}  ({severity})\n"  # formats that cannot hold them
                        for rule, severity, count in statistics(result.findings))
    sys.stderr.write(after)
    code = EXIT_CLEAN if args.exit_zero else (EXIT_FINDINGS if result.failed else EXIT_CLEAN)
    if not result.complete:  # not every file or check was judged: never a pass, nor a plain failure
        sys.stderr.write("homeops-lint: the run was stopped by limits.time_budget; its findings are incomplete\n")
        code = EXIT_ERROR
    if cache is not None and replay_key is not None and result.complete:
        cache.put("out", replay_key, {"before": before, "text": text, "after": after, "code": code})
    if options.timings is not None:
        sys.stderr.write(options.timings.render())
    return code


def _render(args: Namespace, result: Result, report_options: ReportOptions, options: Options) -> str:
    from ..report import render

    text = render(args.format, result, report_options)
    if args.format == "text" and not args.quiet and result.findings:
        from ..fix import fixable_counts
        from ..report.text import fixable_line

        text += fixable_line(*fixable_counts(result, options))
    return text


def _open_cache(args: Namespace, options: Options) -> Optional[Cache]:
    """The cache folder of this run, or None when the cache is off or unusable. A cache folder
    the user put inside the tree is left out of the linted files."""
    if getattr(args, "no_cache", False) or os.environ.get("HOMEOPS_LINT_NO_CACHE"):
        return None
    from pathlib import Path

    from ..cache import Cache, default_dir
    from ..discover import lint_root

    try:
        root = lint_root(options.root, options.paths)
        chosen = getattr(args, "cache_dir", None)
        cache = Cache(Path(chosen).absolute() if chosen else default_dir(root))
        try:
            inside = cache.folder.resolve().relative_to(root.resolve()).as_posix()
            if inside != ".":
                options.extra_exclude.append("/" + inside)
        except ValueError:
            pass
    except Exception:  # noqa: BLE001 - the engine reports usage errors itself; the cache never fails a run
        return None
    return cache


def _replay_key(cache: Cache, args: Namespace, options: Options) -> Optional[str]:
    """The key of this invocation's output, or None when the tree cannot be keyed."""
    from ..cache import file_digest, key_of, tree_key

    timings = options.timings
    try:
        if timings is not None:
            with timings.stage("cache key"):
                tree = tree_key(options, cache)
        else:
            tree = tree_key(options, cache)
    except Exception:  # noqa: BLE001 - the engine reports policy/usage errors itself; the cache never fails a run
        return None
    color = use_color(args.color, sys.stdout) and not args.output
    shown = sorted(options.show_only) if options.show_only is not None else None
    return key_of(tree, args.format, args.output, args.quiet, args.statistics, color, args.exit_zero,
                  args.baseline, file_digest(args.baseline), os.getcwd(),
                  [os.path.abspath(p) for p in options.paths], shown)


def _replay(cache: Cache, key: str, args: Namespace, options: Options) -> bool:
    """Write the cached output of an identical earlier run; False when there is none."""
    entry = cache.get("out", key)
    if not (isinstance(entry, dict) and all(isinstance(entry.get(k), str) for k in ("before", "text", "after"))
            and entry.get("code") in (EXIT_CLEAN, EXIT_FINDINGS)):
        return False
    sys.stderr.write(entry["before"])
    write_output(entry["text"], args.output)
    sys.stderr.write(entry["after"])
    if options.timings is not None:
        options.timings.note("cache: unchanged tree, output replayed")
        sys.stderr.write(options.timings.render())
    cache.replayed_code = entry["code"]
    return True
