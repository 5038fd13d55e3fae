"""``homeops-lint init [PATH]``: write the architecture inferred from the repo to .homeops-lint.yaml."""
from __future__ import annotations

import sys
from typing import Sequence

from ..errors import EXIT_CLEAN
from ..output import die


def main(argv: Sequence[str]) -> int:
    from ..errors import argument_parser

    parser = argument_parser(prog="homeops-lint init",
                             description="Write the architecture inferred from the repo to .homeops-lint.yaml.")
    parser.add_argument("path", nargs="?", default=".")
    parser.add_argument("--force", action="store_true", help="overwrite an existing policy file")
    parser.add_argument("--stdout", action="store_true", help="print the policy instead of writing it")
    parser.add_argument("--pin-addresses", action="store_true",
                        help="pin today's LoadBalancer addresses in architecture.addresses")
    args = parser.parse_args(list(argv))
    from pathlib import Path

    from ..engine import Options, run
    from ..fsutil import atomic_write
    from ..inference import render_policy

    root = Path(args.path).absolute()
    if not root.is_dir():
        return die(f"{args.path}: not a folder")
    target = root / ".homeops-lint.yaml"
    if target.exists() and not args.force and not args.stdout:
        return die(f"{target} exists; use --force to overwrite it or --stdout to print the inferred policy")
    result = run(Options(paths=[str(root)], root=str(root), select=["parse-"]))
    text = render_policy(result.index, result.policy if result.policy.origin == "inferred" else None,
                         pin_addresses=args.pin_addresses)
    if args.stdout:
        sys.stdout.write(text)
        return EXIT_CLEAN
    atomic_write(str(target), text)
    sys.stderr.write(f"homeops-lint: wrote {target}; review it, then commit it\n")
    return EXIT_CLEAN
