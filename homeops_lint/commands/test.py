"""``homeops-lint test [DIR ...]``: run the rule test cases (``homeops-lint-test.yaml`` folders) below DIR.

The cases and how they pass are described in ``homeops_lint/ruletest.py``.
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Sequence

from ..errors import EXIT_CLEAN, EXIT_ERROR, EXIT_FINDINGS
from ..ruletest import TEST_FILE, describe, find_cases, run_case


def main(argv: Sequence[str]) -> int:
    from ..errors import argument_parser

    parser = argument_parser(prog="homeops-lint test",
                             description="Run the test cases (folders with homeops-lint-test.yaml) below DIR.")
    parser.add_argument("dirs", nargs="*", default=["."], metavar="DIR")
    args = parser.parse_args(list(argv))
    failed = total = 0
    for raw in args.dirs:
        base = Path(raw)
        cases = find_cases(base) if base.is_dir() else []
        if not cases:
            sys.stderr.write(f"homeops-lint: no {TEST_FILE} found below {raw}\n")
            return EXIT_ERROR
        for case in cases:
            outcome = run_case(case)
            total += 1
            failed += not outcome.ok
            sys.stdout.write(describe(outcome, base) + "\n")
    sys.stdout.write(f"{total - failed} passed, {failed} failed\n")
    return EXIT_FINDINGS if failed else EXIT_CLEAN
