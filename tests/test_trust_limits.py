"""Issue #18 "Trust": a repository's own policy cannot switch the safety limits off, alias
expansion is bounded per document, per file and per run (nodes and characters), and the time
budget stops a run inside its long stages, with a finding and exit code 2.

The two subprocess tests measure the linter's peak memory with ``resource.getrusage`` (a fresh
parent process, so only the linter is counted) and run it under a 3 GB address-space limit, so a
regression fails the test instead of exhausting the machine.
"""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from homeops_lint.policy import LIMIT_CEILINGS

from .conftest import ROOT
from .test_robustness_support import CONTROL_FINDING, Clock, found, hostile_repo, lint_repo, write_files

CONFIGMAP = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: %s}\ndata:\n"
NINE_KEYS = [f"k{i}" for i in range(9)]
# Nine levels of nine-key maps: 9^9 = 387 million nodes once expanded, in a document the schema
# check validates (it copies what it validates, so expansion used to cost memory, not only time).
MAP_BOMB = CONFIGMAP % "bomb" + "  l0: &l0 {" + ", ".join(f"{k}: lol" for k in NINE_KEYS) + "}\n" + "".join(
    f"  l{i}: &l{i} {{" + ", ".join(f"{k}: *l{i - 1}" for k in NINE_KEYS) + "}\n" for i in range(1, 9))
# The security review's second case: many small documents, each just under the per-document limit
# (about 90,000 nodes), 9,999 of them in one 2.9 MB file.
SMALL_BOMB = CONFIGMAP + textwrap.dedent("""\
      a: &a [x, x, x, x, x, x, x, x, x, x]
      b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]
      c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]
      d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]
      e: &e [*d, *d, *d, *d, *d, *d, *d]
    """)
MANY_SMALL_BOMBS = "---\n".join(SMALL_BOMB % f"cm{i}" for i in range(9999))
# 100 KB of text aliased 800 times: few nodes, 80 MB of text for every rule that reads values.
LONG_TEXT = ("apiVersion: v1\nkind: Secret\nmetadata: {name: text}\nstringData:\n  s: &s "
             + "".join("abcdefghijklmnopqrstuvwxyz0123456789"[(i * 7919) % 36] for i in range(100_000))
             + "\n  many: [" + ", ".join(["*s"] * 800) + "]\n")
ABOVE_EVERY_CEILING = "version: 1\nlimits:\n" + "".join(
    f"  {name}: {int(ceiling) * 1000}\n" for name, ceiling in LIMIT_CEILINGS.items())


def _messages(result: Any, path: str, rule: str = "parse-limit") -> list[str]:
    return [f.message for f in result.findings if f.path == path and f.rule == rule]


# --- ceilings ------------------------------------------------------------------------------------
def test_every_limit_has_a_ceiling_above_its_default():
    from homeops_lint.engine import DEFAULT_TIME_BUDGET
    from homeops_lint.source import ReadLimits

    schema = json.loads((ROOT / "schemas" / "policy.schema.json").read_text(encoding="utf-8"))
    assert set(schema["properties"]["limits"]["properties"]) == set(LIMIT_CEILINGS)
    base = ReadLimits()
    defaults = {name: getattr(base, name, getattr(base.yaml, name, None)) for name in LIMIT_CEILINGS}
    defaults["time_budget"] = DEFAULT_TIME_BUDGET
    from homeops_lint.ipplan import DEFAULT_HEADROOM  # a check's limit, not a reader's

    defaults["pool_headroom"] = DEFAULT_HEADROOM
    for name, ceiling in LIMIT_CEILINGS.items():
        assert defaults[name] is not None and defaults[name] <= ceiling, name
        assert f"at most {_spelled(ceiling)}" in schema["properties"]["limits"]["properties"][name]["description"]


def _spelled(value: float) -> str:
    for unit, size in (("MiB", 1024 * 1024), ("KiB", 1024)):
        if value >= size and value % size == 0:
            return f"{int(value // size)} {unit}"
    return f"{int(value):,}"


def test_a_policy_cannot_raise_a_limit_above_its_ceiling(tmp_path):
    from homeops_lint.engine import _limits, _time_budget
    from homeops_lint.policy import load_policy

    root = hostile_repo(tmp_path, {".homeops-lint.yaml": ABOVE_EVERY_CEILING})
    policy = load_policy(root)
    limits = _limits(policy)
    used = {"max_file_size": limits.max_file_size, "max_line_length": limits.max_line_length,
            "time_budget": _time_budget(policy)}
    used.update({name: getattr(limits.yaml, name) for name in LIMIT_CEILINGS if hasattr(limits.yaml, name)})
    used["pool_headroom"] = policy.limit("pool_headroom", 2)  # read by lb-pool-exhausted
    assert used == LIMIT_CEILINGS
    assert limits.yaml.fixed == frozenset(LIMIT_CEILINGS) - {"pool_headroom"}  # a reader limit set

    result = lint_repo(root)
    warnings = [f for f in result.findings if f.rule == "policy-invalid"]
    assert [(f.line, f.severity.value) for f in warnings] == [(line, "warning") for line in range(3, 3 + len(LIMIT_CEILINGS))]
    assert "limits.max_alias_nodes is 1,000,000,000, above its ceiling of 1,000,000" in warnings[2].message
    assert CONTROL_FINDING in found(result)


def test_a_limit_at_its_ceiling_is_not_advertised_as_raisable(tmp_path):
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{c}: &{c} [" + ", ".join([f"*{p}"] * 10) + "]\n" for p, c in zip("abcdef", "bcdefg"))
    root = hostile_repo(tmp_path, {"bomb.yaml": bomb, ".homeops-lint.yaml": ABOVE_EVERY_CEILING})
    [message] = _messages(lint_repo(root), "bomb.yaml")
    assert "beyond 1,000,000 nodes" in message
    assert message.endswith("(limits.max_alias_nodes is at its ceiling, which no policy can raise)")


# --- alias expansion per file, per run, and in characters -----------------------------------------
def test_alias_nodes_are_bounded_per_file(tmp_path):
    root = hostile_repo(tmp_path, {"many.yaml": "---\n".join(SMALL_BOMB % f"cm{i}" for i in range(30))})
    result = lint_repo(root)
    [message] = _messages(result, "many.yaml")
    # 90,107 nodes per document: the 12th document crosses the file's 1,000,000
    assert "beyond 1,000,000 nodes in all (max_alias_nodes_per_file" in message
    assert "this document and the 18 after it were not linted" in message
    assert "raise limits.max_alias_nodes_per_file" in message
    assert len(result.index.file("many.yaml").documents) == 11
    assert CONTROL_FINDING in found(result)


def test_alias_nodes_are_bounded_per_run(tmp_path):
    files = {f"f{n}.yaml": "---\n".join(SMALL_BOMB % f"cm{n}-{i}" for i in range(8)) for n in range(4)}
    result = lint_repo(hostile_repo(tmp_path, files))
    # 8 x 90,107 per file stays under the file's limit; the third file crosses the run's 2,000,000,
    # and the run's allowance is spent for the fourth.
    assert not _messages(result, "f0.yaml") and not _messages(result, "f1.yaml")
    for path in ("f2.yaml", "f3.yaml"):
        [message] = _messages(result, path)
        assert "beyond 2,000,000 nodes in all (max_alias_nodes_per_run" in message
    assert len(result.index.file("f2.yaml").documents) == 6


def test_aliased_text_is_bounded_in_characters(tmp_path):
    root = hostile_repo(tmp_path, {"text.yaml": LONG_TEXT})
    result = lint_repo(root)
    [message] = _messages(result, "text.yaml")
    assert "more than 16,777,216 characters of text in this run (max_alias_bytes" in message
    assert "raise limits.max_alias_bytes" in message
    # the same text aliased a few times is fine
    few = LONG_TEXT.replace(", ".join(["*s"] * 800), ", ".join(["*s"] * 10))
    write_files(root, {"text.yaml": few})
    assert not _messages(lint_repo(root), "text.yaml")


def test_alias_limits_are_configurable(tmp_path):
    root = hostile_repo(tmp_path, {"many.yaml": "---\n".join(SMALL_BOMB % f"cm{i}" for i in range(3)),
                                   ".homeops-lint.yaml": "version: 1\nlimits: {max_alias_nodes_per_file: 150000}\n"})
    [message] = _messages(lint_repo(root), "many.yaml")
    assert "beyond 150,000 nodes in all" in message and "the 1 after it" in message


# --- the time budget inside long stages ----------------------------------------------------------
def test_time_budget_inside_a_file(tmp_path, monkeypatch):
    """One file of many documents: the budget is checked per document, not only per file."""
    import homeops_lint.engine as engine_mod
    import homeops_lint.yamlbuild as yamlbuild_mod

    clock = Clock()
    monkeypatch.setattr(engine_mod, "time", clock)
    real_build = yamlbuild_mod.Builder.build_document

    def slow_build(self, node, anchors=None):  # type: ignore[no-untyped-def]
        if node.start_mark.line == 3 * 40:  # the 41st document of many.yaml takes hours
            clock.offset += 10_000
        return real_build(self, node, anchors)

    monkeypatch.setattr(yamlbuild_mod.Builder, "build_document", slow_build)
    many = "---\n".join(f"kind: ConfigMap\nmetadata: {{name: c{i}}}\n" for i in range(100))
    result = lint_repo(hostile_repo(tmp_path, {"many.yaml": many, "z.yaml": "a: 1\n"}))
    [message] = _messages(result, "many.yaml")
    assert "time_budget of 120 s ran out while reading; this file and 1 more were not read" in message
    assert [f.line for f in result.findings if f.path == "many.yaml"] == [1 + 3 * 41]  # stopped before the 42nd
    assert result.complete is False
    assert CONTROL_FINDING in found(result)


@pytest.mark.parametrize("workers", ["1", "2"])
@pytest.mark.parametrize("slow, cut", [("schema", "schema"), ("secret", "secret")])
def test_time_budget_inside_a_check(tmp_path, monkeypatch, workers, slow, cut):
    """schema and secret check the budget per document / per file: a slow one stops part way,
    keeps what it found, and the modules after it do not run (serially and in the 2-process pool)."""
    import homeops_lint.engine as engine_mod
    import homeops_lint.pool as pool_mod

    clock = Clock()
    monkeypatch.setattr(engine_mod, "time", clock)
    monkeypatch.setenv("HOMEOPS_LINT_WORKERS", workers)
    monkeypatch.setattr(pool_mod, "MIN_DOCUMENTS", 0)
    if slow == "schema":
        import homeops_lint.checks.schema as target

        real = target.validate

        def slow_step(*args, **kwargs):  # type: ignore[no-untyped-def]
            clock.offset += 10_000
            return real(*args, **kwargs)

        monkeypatch.setattr(target, "validate", slow_step)
    else:
        import homeops_lint.secrets.scan as target

        (name, real), *rest = target.PHASES  # the first phase; the next phase's loop over the files notices

        def slow_step(*args, **kwargs):  # type: ignore[no-untyped-def]
            clock.offset += 10_000
            return real(*args, **kwargs)

        monkeypatch.setattr(target, "PHASES", ((name, slow_step), *rest))
    cms = {f"cm{i}.yaml": (CONFIGMAP % f"cm{i}") + "  a: b\n" for i in range(3)}
    root = hostile_repo(tmp_path, {**cms, ".homeops-lint.yaml": "version: 1\nlimits:\n  time_budget: 30\n"})
    result = lint_repo(root)
    [message] = _messages(result, ".homeops-lint.yaml")
    assert f"time_budget of 30 s ran out; these checks stopped part way: {cut}" in message
    assert result.complete is False
    assert CONTROL_FINDING in found(result)  # the loader's findings are kept


def test_a_complete_run_says_so(tmp_path):
    assert lint_repo(hostile_repo(tmp_path, {})).complete is True


# --- through the CLI: exit 2, the finding printed, --debug or not --------------------------------
@pytest.mark.parametrize("debug", [[], ["--debug"]])
def test_cli_exits_2_when_the_budget_stops_the_run(tmp_path, monkeypatch, capsys, debug):
    import homeops_lint.engine as engine_mod
    from homeops_lint.cli import main

    clock = Clock()
    monkeypatch.setattr(engine_mod, "time", clock)
    import homeops_lint.source as source_mod

    real_read = source_mod.read_file

    def slow_read(*args, **kwargs):  # type: ignore[no-untyped-def]
        read = real_read(*args, **kwargs)
        clock.offset += 10_000
        return read

    monkeypatch.setattr(source_mod, "read_file", slow_read)
    root = hostile_repo(tmp_path, {"b.yaml": "a: 1\n"})  # read in time; then the budget has run out
    code = main([str(root), "--no-cache", "--format", "json", *debug])
    out, err = capsys.readouterr()
    assert code == 2
    [finding] = json.loads(out)["findings"]
    assert (finding["rule"], finding["path"]) == ("parse-limit", "control/dup.yaml")
    assert "time_budget of 120 s ran out" in finding["message"]
    assert "stopped by limits.time_budget" in err


@pytest.mark.parametrize("debug", [[], ["--debug"]])
def test_cli_keeps_exit_2_for_an_invalid_limit_with_debug(tmp_path, capsys, debug):
    from homeops_lint.cli import main

    root = hostile_repo(tmp_path, {".homeops-lint.yaml": "version: 1\nlimits: {max_depth: 0}\n"})
    assert main([str(root), "--no-cache", *debug]) == 2
    err = capsys.readouterr().err
    # --debug adds the traceback (README, exit codes); the one line still ends the output
    assert err.splitlines()[-1].endswith("invalid policy at limits.max_depth: 0 is less than the minimum of 1")
    assert ("Traceback" in err) == bool(debug)


# --- peak memory and time, in a subprocess --------------------------------------------------------
_MEASURE = """
import resource, subprocess, sys
limit = 3 * 1024 ** 3
def cap():
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
done = subprocess.run(sys.argv[1:], capture_output=True, text=True, preexec_fn=cap, timeout=300)
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024  # Linux reports KiB
sys.stdout.write(f"{done.returncode} {peak}\\n" + done.stdout)
sys.stderr.write(done.stderr)
"""


def _measure(root: Path, *args: str) -> tuple[int, int, list[dict[str, Any]]]:
    """(exit code, peak RSS in bytes, findings) of the CLI on ``root``."""
    done = subprocess.run([sys.executable, "-c", _MEASURE, sys.executable, "-m", "homeops_lint", str(root),
                           "--no-cache", "--format", "json", *args], capture_output=True, text=True, timeout=400)
    head, _, report = done.stdout.partition("\n")
    code, peak = (int(x) for x in head.split())
    assert report, done.stderr[-2000:]
    return code, peak, json.loads(report)["findings"]


HOSTILE = {"bomb.yaml": MAP_BOMB, "many.yaml": MANY_SMALL_BOMBS, "text.yaml": LONG_TEXT}


@pytest.mark.parametrize("policy", ["", ABOVE_EVERY_CEILING], ids=["defaults", "ceilings"])
def test_alias_bombs_stay_under_1_gb(tmp_path, policy):
    root = hostile_repo(tmp_path, {**HOSTILE, **({".homeops-lint.yaml": policy} if policy else {})})
    code, peak, findings = _measure(root)
    assert code == 1
    limits = {(f["path"], f["rule"]) for f in findings if f["rule"] == "parse-limit"}
    assert {("bomb.yaml", "parse-limit"), ("many.yaml", "parse-limit"), ("text.yaml", "parse-limit")} <= limits
    assert not any("time_budget of" in f["message"] for f in findings)
    assert peak < 1024 ** 3, f"peak memory {peak / 1024 ** 2:.0f} MiB"


def test_alias_bombs_end_within_a_small_time_budget(tmp_path):
    """With a budget far shorter than the hostile repo needs, the run stops with the finding,
    and exit 2, whichever stage it was in."""
    policy = ABOVE_EVERY_CEILING.replace("  time_budget: 600000\n", "  time_budget: 0.1\n")
    root = hostile_repo(tmp_path, {**HOSTILE, ".homeops-lint.yaml": policy})
    code, peak, findings = _measure(root)
    assert code == 2
    assert any(f["rule"] == "parse-limit" and "time_budget of 0.1 s ran out" in f["message"] for f in findings)
    assert peak < 1024 ** 3
