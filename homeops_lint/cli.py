"""Command line: ``homeops-lint [PATH ...]`` and its subcommands.

Exit codes: 0 no error-severity finding, 1 at least one, 2 usage error, unreadable policy, a run
the time budget stopped (its findings are printed) or internal error (one line on stderr; a
traceback only with ``--debug``, and only for an internal error).
"""
from __future__ import annotations

import os
import sys
from typing import Callable, Optional, Sequence

from . import __version__

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2

# Subcommands other than lint: name -> "module:function" taking argv and returning an exit code.
SUBCOMMANDS: dict[str, str] = {
    "rules": "homeops_lint.cli:cmd_rules",
    "rule": "homeops_lint.cli:cmd_rule",
    "init": "homeops_lint.cli:cmd_init",
    "test": "homeops_lint.ruletest:main",
    "graph": "homeops_lint.graph_cmd:main",
    "baseline": "homeops_lint.baseline:cmd_baseline",
    "hook": "homeops_lint.gitchanges:cmd_hook",
    "ip": "homeops_lint.commands.ip:main",
    "diff": "homeops_lint.commands.diff:main",
}


def _die(message: str) -> int:
    sys.stderr.write(f"homeops-lint: {message}\n")
    return EXIT_ERROR


def _csv(values: Optional[Sequence[str]]) -> list[str]:
    out: list[str] = []
    for value in values or []:
        out.extend(v.strip() for v in value.split(",") if v.strip())
    return out


def lint_parser():  # type: ignore[no-untyped-def]
    from .errors import argument_parser
    from .report import FORMATS

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


def _use_color(choice: str, stream) -> bool:  # type: ignore[no-untyped-def]
    if choice == "always":
        return True
    if choice == "never" or os.environ.get("NO_COLOR"):
        return False
    return bool(getattr(stream, "isatty", lambda: False)())


def write_output(text: str, output: Optional[str]) -> None:
    if output:
        from .fsutil import atomic_write

        atomic_write(output, text)
    else:
        sys.stdout.write(text)
        sys.stdout.flush()


def cmd_lint(argv: Sequence[str]) -> int:
    return lint_with(lint_parser().parse_args(list(argv)))


def lint_with(args, change=None, root: Optional[str] = None,  # type: ignore[no-untyped-def]
              paths: Optional[list[str]] = None) -> int:
    """Lint with parsed ``args``; ``change`` (gitchanges.Change) narrows the shown findings."""
    from types import SimpleNamespace

    # The engine (and everything it imports) is loaded only when the cache cannot replay the run:
    # until then the options live in a namespace with engine.Options' fields.
    engine_options = SimpleNamespace(paths=paths or args.paths, root=root or args.root, config=args.config,
                                     select=_csv(args.select), ignore=_csv(args.ignore), extra_exclude=[],
                                     show_only=None, rule_dirs=[], timings=None)
    if getattr(args, "timings", False):
        from .timing import Timings

        engine_options.timings = Timings()
    if args.baseline:
        from .baseline import exclude_glob

        engine_options.extra_exclude.append(exclude_glob(args.baseline, engine_options.root, engine_options.paths))
    if args.fix or args.diff:
        from .engine import Options
        from .fix import run_fixes

        engine_options = Options(**vars(engine_options))

        fixed = run_fixes(engine_options, write=not args.diff, unsafe=args.unsafe_fixes)
        if args.diff:
            return fixed
    cache, replay_key = None, None
    if change is None and not (args.staged or args.changed or args.fix or args.diff):
        cache, replay_key = _replay_lookup(args, engine_options)
        if replay_key is not None and _replay(cache, replay_key, args, engine_options):
            return cache.replayed_code  # type: ignore[union-attr, no-any-return]
    from .engine import Options, enabled_rules, run
    from .report import embeds_statistics
    from .report.common import ReportOptions, statistics

    if not isinstance(engine_options, Options):
        engine_options = Options(**vars(engine_options))
    result = run(engine_options)
    if args.baseline:  # first, so that baselined findings never need attributing to a change
        from .baseline import apply

        enabled = enabled_rules(result.catalog, result.policy, engine_options.select, engine_options.ignore)
        result = apply(result, args.baseline, enabled)
    if change is None and (args.staged or args.changed):
        from . import gitchanges

        change = gitchanges.staged(result.root) if args.staged else gitchanges.changed(result.root, args.changed)
    if change is not None:
        from .gitchanges import attribute

        result = attribute(result, engine_options, change)
    before = "" if args.quiet else "".join(f"homeops-lint: {note}\n" for note in result.notes)
    if not result.files:  # even with --quiet: a run that read nothing must not pass unnoticed
        before += f"homeops-lint: warning: no files were linted under {result.root}\n"
    sys.stderr.write(before)
    options = ReportOptions(color=_use_color(args.color, sys.stdout) and not args.output,
                            quiet=args.quiet, statistics=args.statistics)
    timings = engine_options.timings
    if timings is not None:
        with timings.stage("report"):
            text = _render_text_or_report(args, result, options, engine_options)
            write_output(text, args.output)
    else:
        text = _render_text_or_report(args, result, options, engine_options)
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
    if timings is not None:
        sys.stderr.write(timings.render())
    return code


def _render_text_or_report(args, result, options, engine_options) -> str:  # type: ignore[no-untyped-def]
    from .report import render

    text = render(args.format, result, options)
    if args.format == "text" and not args.quiet and result.findings:
        from .fix import fixable_counts
        from .report.text import fixable_line

        text += fixable_line(*fixable_counts(result, engine_options))
    return text


def _replay_lookup(args, engine_options):  # type: ignore[no-untyped-def]
    """(cache, key) for this invocation, or (None, None) when the cache is off or unusable."""
    if getattr(args, "no_cache", False) or os.environ.get("HOMEOPS_LINT_NO_CACHE"):
        return None, None
    from pathlib import Path

    from .cache import Cache, default_dir, file_digest, key_of, tree_key
    from .discover import lint_root

    timings = engine_options.timings
    try:
        root = lint_root(engine_options.root, engine_options.paths)
        chosen = getattr(args, "cache_dir", None)
        cache = Cache(Path(chosen).absolute() if chosen else default_dir(root))
        try:  # a cache folder the user put inside the tree is never linted
            inside = cache.folder.resolve().relative_to(root.resolve()).as_posix()
            if inside != ".":
                engine_options.extra_exclude.append("/" + inside)
        except ValueError:
            pass
        if timings is not None:
            with timings.stage("cache key"):
                tree = tree_key(engine_options, cache)
        else:
            tree = tree_key(engine_options, cache)
    except Exception:  # noqa: BLE001 - the engine reports policy/usage errors itself; the cache never fails a run
        return None, None
    color = _use_color(args.color, sys.stdout) and not args.output
    shown = sorted(engine_options.show_only) if engine_options.show_only is not None else None
    key = key_of(tree, args.format, args.output, args.quiet, args.statistics, color, args.exit_zero,
                 args.baseline, file_digest(args.baseline), os.getcwd(),
                 [os.path.abspath(p) for p in engine_options.paths], shown)
    return cache, key


def _replay(cache, key: str, args, engine_options) -> bool:  # type: ignore[no-untyped-def]
    """Write the cached output of an identical earlier run; False when there is none."""
    entry = cache.get("out", key)
    if not (isinstance(entry, dict) and all(isinstance(entry.get(k), str) for k in ("before", "text", "after"))
            and entry.get("code") in (EXIT_CLEAN, EXIT_FINDINGS)):
        return False
    sys.stderr.write(entry["before"])
    write_output(entry["text"], args.output)
    sys.stderr.write(entry["after"])
    if engine_options.timings is not None:
        engine_options.timings.note("cache: unchanged tree, output replayed")
        sys.stderr.write(engine_options.timings.render())
    cache.replayed_code = entry["code"]
    return True


def cmd_rules(argv: Sequence[str]) -> int:
    from .errors import argument_parser

    parser = argument_parser(prog="homeops-lint rules", description="List every rule.")
    parser.add_argument("--format", choices=("text", "json", "markdown"), default="text")
    parser.add_argument("--builtin", action="store_true", help="only the shipped rules (ignore the policy's custom_rules)")
    args = parser.parse_args(list(argv))
    from .catalog import catalog_for, load_catalog

    catalog = load_catalog() if args.builtin else catalog_for(".")  # built-in rules and the policy's custom_rules
    if args.format == "markdown":
        sys.stdout.write(rules_markdown(catalog))
        return EXIT_CLEAN
    if args.format == "json":
        import json

        sys.stdout.write(json.dumps([{"id": r.id, "family": r.family, "severity": r.severity.value,
                                      "enabled": r.enabled, "summary": r.summary} for r in catalog],
                                    indent=2) + "\n")
        return EXIT_CLEAN
    width = max((len(r.id) for r in catalog), default=10)
    for rule in catalog:
        severity = rule.severity.value if rule.enabled else f"{rule.severity.value}, off"
        sys.stdout.write(f"{rule.id:<{width}}  {rule.family:<11} {severity:<12} {rule.summary.strip()}\n")
    return EXIT_CLEAN


def rules_markdown(catalog) -> str:  # type: ignore[no-untyped-def]
    """docs/rules.md: the rule table, generated from the catalog (a test keeps it current)."""
    lines = ["# Rules", "",
             "Generated by `homeops-lint rules --builtin --format markdown > docs/rules.md`; do not edit.",
             "`homeops-lint rule ID` prints a rule's full documentation with a failing and a passing example.", ""]
    family = None
    reasons: list[str] = []
    for rule in catalog:
        if rule.family != family:
            lines += reasons
            family, reasons = rule.family, ["", "Why these severities (docs/severity.md):", ""]
            lines += ["", f"## `{family}-`", "", "| rule | default | summary |", "|---|---|---|"]
        severity = rule.severity.value if rule.enabled else f"off ({rule.severity.value} when on)"
        summary = " ".join(rule.summary.split()).replace("|", "\\|")
        lines.append(f"| `{rule.id}` | {severity} | {summary} |")
        if rule.severity_why:
            reasons.append(f"- `{rule.id}`: {' '.join(rule.severity_why.split())}")
    lines += reasons if len(reasons) > 3 else []
    return "\n".join(lines) + "\n"


def cmd_rule(argv: Sequence[str]) -> int:
    if len(argv) != 1 or argv[0].startswith("-"):
        return _die("usage: homeops-lint rule RULE-ID")
    from .catalog import catalog_for

    catalog = catalog_for(".")  # built-in rules and the policy's custom_rules
    rule = catalog.get(argv[0])
    if rule is None:
        close = [name for name in catalog.suggest(argv[0]) if name in catalog.rules]
        hint = f" (did you mean {' or '.join(close)}?)" if close else ""
        return _die(f"unknown rule '{argv[0]}'{hint}; 'homeops-lint rules' lists them")
    sys.stdout.write(rule.doc_text())
    return EXIT_CLEAN


def cmd_init(argv: Sequence[str]) -> int:
    from .errors import argument_parser

    parser = argument_parser(prog="homeops-lint init",
                             description="Write the architecture inferred from the repo to .homeops-lint.yaml.")
    parser.add_argument("path", nargs="?", default=".")
    parser.add_argument("--force", action="store_true", help="overwrite an existing policy file")
    parser.add_argument("--stdout", action="store_true", help="print the policy instead of writing it")
    parser.add_argument("--pin-addresses", action="store_true",
                        help="pin today's LoadBalancer addresses in architecture.addresses")
    args = parser.parse_args(list(argv))
    from pathlib import Path

    from .engine import Options, run
    from .fsutil import atomic_write
    from .inference import render_policy

    root = Path(args.path).absolute()
    if not root.is_dir():
        return _die(f"{args.path}: not a folder")
    target = root / ".homeops-lint.yaml"
    if target.exists() and not args.force and not args.stdout:
        return _die(f"{target} exists; use --force to overwrite it or --stdout to print the inferred policy")
    result = run(Options(paths=[str(root)], root=str(root), config=os.devnull if False else None,
                         select=["parse-"]))
    text = render_policy(result.index, result.policy if result.policy.origin == "inferred" else None,
                         pin_addresses=args.pin_addresses)
    if args.stdout:
        sys.stdout.write(text)
        return EXIT_CLEAN
    atomic_write(str(target), text)
    sys.stderr.write(f"homeops-lint: wrote {target}; review it, then commit it\n")
    return EXIT_CLEAN


def _call(spec: str) -> Callable[[Sequence[str]], int]:
    import importlib

    module_name, _, func = spec.partition(":")
    return getattr(importlib.import_module(module_name), func)  # type: ignore[no-any-return]


def main(argv: Optional[Sequence[str]] = None) -> int:
    if argv is None:
        # The process entry point: a short-lived process whose objects all live to the end, so the
        # cyclic collector only costs time (engine.run pauses it for library callers too).
        import gc

        gc.disable()
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    if argv and argv[0] in ("--version", "-V"):
        sys.stdout.write(f"homeops-lint {__version__}\n")
        return EXIT_CLEAN
    try:
        if argv and argv[0] in SUBCOMMANDS:
            return _call(SUBCOMMANDS[argv[0]])(argv[1:])
        if argv and argv[0] == "lint":
            argv = argv[1:]
        return cmd_lint(argv)
    except SystemExit as exc:  # argparse: --help exits 0, usage errors exit 2
        return int(exc.code) if isinstance(exc.code, int) else EXIT_ERROR
    except KeyboardInterrupt:
        return _die("interrupted")
    except BrokenPipeError:
        return EXIT_CLEAN
    except Exception as exc:  # noqa: BLE001 - the last line of defence; a traceback only with --debug
        from .errors import describe

        if debug:  # the traceback is extra; the exit code stays 2
            import traceback

            traceback.print_exc()
        known = describe(exc)
        if known is not None:
            return _die(known)
        return _die(f"internal error ({type(exc).__name__} at {_where(exc)}); "
                    "run with --debug for the traceback and please report it")


def _where(exc: BaseException) -> str:
    import traceback

    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return "?"
    last = frames[-1]
    return f"{os.path.basename(last.filename)}:{last.lineno}"


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
