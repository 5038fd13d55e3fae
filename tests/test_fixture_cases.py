"""Every fixture repo (a folder with homeops-lint-test.yaml below fixtures/) gives exactly the
findings it expects. This is the same mechanism as `homeops-lint test`."""
from __future__ import annotations

import pytest

from homeops_lint.ruletest import describe, find_cases, run_case

from .conftest import FIXTURES

CASES = find_cases(FIXTURES)


def test_there_are_fixture_cases() -> None:
    assert len(CASES) >= 2


@pytest.mark.parametrize("case", CASES, ids=[c.relative_to(FIXTURES).as_posix() for c in CASES])
def test_fixture_case(case) -> None:
    result = run_case(case)
    assert result.ok, describe(result, FIXTURES)
