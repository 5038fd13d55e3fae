"""``homeops-lint hook [OPTIONS] [FILE ...]``: the git hook entry for pre-commit and lefthook."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence

from ..errors import EXIT_CLEAN
from .lint import lint_with, parser


def main(argv: Sequence[str]) -> int:
    """FILEs are the staged files the hook runner passes; without any, the staged set comes from git.
    Each FILE is grouped under its own root (nearest .homeops-lint.yaml or .git), so a monorepo
    with several clusters gets each judged by its own policy.
    """
    from ..discover import find_root
    from ..gitchanges import from_files, staged

    hook_parser = parser()
    hook_parser.prog = "homeops-lint hook"
    hook_parser.description = ("Git hook entry: judge the whole repo, show the findings that concern the "
                               "given (staged) files, including new findings they cause elsewhere.")
    args = hook_parser.parse_args(list(argv))
    files = [p for p in args.paths if p != "."] if args.paths != ["."] else []
    groups: dict[Path, list[str]] = {}
    if files:
        for name in files:
            if not os.path.lexists(name):
                continue
            root = Path(args.root).absolute() if args.root else find_root([name])
            groups.setdefault(root, []).append(name)
        if not groups:
            return EXIT_CLEAN
    else:
        root = Path(args.root).absolute() if args.root else find_root(["."])
        groups[root] = []
    worst = EXIT_CLEAN
    for root, names in sorted(groups.items()):
        change = from_files(root, names) if names else staged(root)
        code = lint_with(args, change=change, root=str(root), paths=[str(root)])
        worst = max(worst, code)
    return worst
