"""Check modules in two processes give exactly the serial run's findings, in the same order."""
from __future__ import annotations

from pathlib import Path

import pytest

from homeops_lint import engine, pool

ROOT = Path(__file__).resolve().parent.parent


def findings(repo: Path) -> list[tuple[object, ...]]:
    result = engine.run(engine.Options(paths=[str(repo)], root=str(repo)))
    return [(f.rule, f.severity, f.path, f.line, f.column, f.message, f.resource, f.key, f.mask, f.fingerprint)
            for f in result.all_findings + result.suppressed]


@pytest.mark.parametrize("demo", ["home-ops", "home-ops-broken"])
def test_two_processes_equal_one(demo: str, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = ROOT / "fixtures" / demo
    monkeypatch.setenv("HOMEOPS_LINT_WORKERS", "1")
    serial = findings(repo)
    monkeypatch.setenv("HOMEOPS_LINT_WORKERS", "2")
    monkeypatch.setattr(pool, "MIN_DOCUMENTS", 0)
    if not pool.usable(1):
        pytest.skip("no fork or another thread is running")
    assert findings(repo) == serial
    assert serial


def test_a_failing_child_is_redone_here(monkeypatch: pytest.MonkeyPatch) -> None:
    repo = ROOT / "fixtures" / "home-ops-broken"
    monkeypatch.setenv("HOMEOPS_LINT_WORKERS", "1")
    serial = findings(repo)
    monkeypatch.setenv("HOMEOPS_LINT_WORKERS", "2")
    monkeypatch.setattr(pool, "MIN_DOCUMENTS", 0)
    if not pool.usable(1):
        pytest.skip("no fork or another thread is running")
    # The child cannot send its results: the parent runs the child's modules itself.
    monkeypatch.setattr(pool.pickle, "dumps", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("boom")))
    assert findings(repo) == serial


def test_split_balances_and_keeps_every_module() -> None:
    import importlib

    from homeops_lint.catalog import load_catalog

    names = ["secret", "flux", "declarative", "schema", "bgp", "cidr", "lb", "cnpg", "policy"]
    runnable = [(name, importlib.import_module(f"homeops_lint.checks.{name}")) for name in names]
    weights = pool.module_weights(runnable, load_catalog())
    # The weights come from the catalog's family files (declarative: the practice rules it serves).
    assert weights["secret"] == 1.5 and weights["declarative"] == 0.6 and weights["policy"] == 0.1
    mine, theirs = pool.split([*names, "new"], weights)
    assert mine | theirs == {*names, "new"} and not mine & theirs
    assert "secret" in mine and "flux" in theirs
