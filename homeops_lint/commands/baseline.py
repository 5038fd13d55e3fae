"""``homeops-lint baseline write FILE [PATH ...] [--select/--ignore/--config/--root]``."""
from __future__ import annotations

import sys
from typing import Sequence

from ..errors import EXIT_CLEAN
from ..options import Options, split_values


def main(argv: Sequence[str]) -> int:
    from ..errors import argument_parser

    parser = argument_parser(prog="homeops-lint baseline",
                             description="Record today's findings so that --baseline FILE hides them.")
    sub = parser.add_subparsers(dest="action", required=True)
    write = sub.add_parser("write", help="write every current finding to FILE (sorted, no line numbers)")
    write.add_argument("file", metavar="FILE")
    write.add_argument("paths", nargs="*", default=["."], metavar="PATH")
    write.add_argument("--config", metavar="FILE")
    write.add_argument("--root", metavar="DIR")
    write.add_argument("--select", action="append", metavar="RULE,...")
    write.add_argument("--ignore", action="append", metavar="RULE,...")
    args = parser.parse_args(list(argv))
    from ..baseline import dumps, entries_for, exclude_glob, is_json
    from ..engine import run
    from ..fsutil import atomic_write

    result = run(Options(paths=args.paths, root=args.root, config=args.config,
                         select=split_values(args.select), ignore=split_values(args.ignore),
                         extra_exclude=[exclude_glob(args.file, args.root, args.paths)]))
    entries = entries_for(result.findings, result)
    atomic_write(args.file, dumps(entries, as_json=is_json(args.file)))
    total = sum(e.count for e in entries)
    sys.stderr.write(f"homeops-lint: wrote {total} finding{'s' if total != 1 else ''} "
                     f"({len(entries)} entr{'y' if len(entries) == 1 else 'ies'}) to {args.file}\n")
    return EXIT_CLEAN
