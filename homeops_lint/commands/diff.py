"""``homeops-lint diff [BASE] [HEAD]``: review a change, for a pull request comment.

    homeops-lint diff                          the work tree against the merge base with the default branch
    homeops-lint diff HEAD~1                   the work tree against the previous commit
    homeops-lint diff origin/main HEAD --format markdown -o comment.md

BASE defaults to the merge base of HEAD with the default branch (origin/HEAD, main or master),
or HEAD~1 when HEAD is on it; HEAD defaults to the work tree. Commits are read from git objects,
never checked out: the work tree, the index and the hooks are left alone.

It reports, per cluster, the findings the change introduces, fixes and leaves (matched without
line numbers, as baselines are), what Flux applies differently, the LoadBalancer addresses that
moved and bootstrap-only components entering or leaving Flux. Exit codes: 0 the change introduces
no error (old findings never fail it), 1 it introduces at least one, 2 usage error, or a run the
time budget stopped.
"""
from __future__ import annotations

import os
import sys
from typing import Sequence

from ..errors import EXIT_CLEAN, EXIT_ERROR, EXIT_FINDINGS
from ..options import split_values
from ..output import die, write_output


def parser():  # type: ignore[no-untyped-def]
    import argparse

    from ..errors import argument_parser
    from ..review.render import FORMATS

    p = argument_parser(prog="homeops-lint diff", description=__doc__.split("\n\n")[0],
                        formatter_class=argparse.RawDescriptionHelpFormatter,
                        epilog="\n".join(__doc__.split("\n\n")[1].splitlines()))
    p.add_argument("base", nargs="?", metavar="BASE", help="the commit before the change (default: see above)")
    p.add_argument("head", nargs="?", metavar="HEAD", help="the commit after the change (default: the work tree)")
    p.add_argument("--format", default="text", choices=FORMATS, help="output format (default: text)")
    p.add_argument("--output", "-o", metavar="FILE", help="write the report to FILE instead of stdout")
    p.add_argument("--root", metavar="DIR", help="the repository root (default: found from the current folder)")
    p.add_argument("--config", metavar="FILE", help="policy file (default: .homeops-lint.yaml at the root of "
                                                    "each version)")
    p.add_argument("--select", action="append", metavar="RULE,...", help="only these rules or family prefixes")
    p.add_argument("--ignore", action="append", metavar="RULE,...", help="skip these rules or family prefixes")
    p.add_argument("--max-items", type=int, default=50, metavar="N",
                   help="markdown: list at most N items per section, then 'and N more' (default 50)")
    p.add_argument("--pre-push", action="store_true",
                   help="BASE and HEAD from pre-commit's pre-push stage (PRE_COMMIT_FROM_REF, PRE_COMMIT_TO_REF); "
                        "a new branch is compared with the default base")
    p.add_argument("--exit-zero", action="store_true", help="exit 0 even when the change introduces an error")
    p.add_argument("--timings", action="store_true", help="print the time spent per stage to stderr")
    return p


def main(argv: Sequence[str]) -> int:
    args = parser().parse_args(list(argv))
    if args.max_items < 1:
        return _die("--max-items must be at least 1")
    from ..discover import find_root, lint_root
    from ..review.render import render
    from ..review.run import review as run_review

    if args.pre_push:
        if args.base or args.head:
            return _die("--pre-push takes BASE and HEAD from pre-commit; give no commits")
        args.base, args.head = os.environ.get("PRE_COMMIT_FROM_REF"), os.environ.get("PRE_COMMIT_TO_REF")
        if not args.head:
            return _die("--pre-push runs in pre-commit's pre-push stage (PRE_COMMIT_TO_REF is not set)")
        if args.base and not args.base.strip("0"):
            args.base = None  # a new branch: the merge base with the default branch
    root = lint_root(args.root, ["."]) if args.root else find_root(["."])
    timings = None
    if args.timings:
        from ..timing import Timings

        timings = Timings()
    review = run_review(root, args.base, args.head, args.config, tuple(split_values(args.select)), tuple(split_values(args.ignore)), timings)
    text = render(args.format, review, args.max_items)
    write_output(text, args.output)
    for note in review.notes:
        sys.stderr.write(f"homeops-lint: {note}\n")
    if timings is not None:
        sys.stderr.write(timings.render())
    if not review.complete:
        sys.stderr.write("homeops-lint: the time budget stopped a run; the review is incomplete\n")
        return EXIT_ERROR
    return EXIT_FINDINGS if review.failed and not args.exit_zero else EXIT_CLEAN


def _die(message: str) -> int:
    return die(message, "homeops-lint diff")

