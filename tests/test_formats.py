"""Every report format, validated against its published schema or format rules.

- SARIF: the OASIS SARIF 2.1.0 JSON schema (vendored in tests/data), with jsonschema.
- JUnit: parses as XML with the testsuites/testsuite/testcase/failure structure CI widgets read.
- GitHub: workflow-command syntax ``::level key=value,...::message`` with the toolkit's escaping.
- GitLab: code quality issues with description, check_name, unique fingerprint, a known severity,
  location.path, location.lines.begin and location.positions (with the column).
- json-lines: one JSON object per line.
"""
from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from .conftest import ROOT, cli, write_tree

SECRET_VALUE = "Zk8-pL2q-Wm7r-Xv4t"
FILES = {
    ".homeops-lint.yaml": (
        "version: 1\narchitecture:\n  networks:\n    loadbalancer: [10.50.0.0/24]\n"
        "  pools:\n    lan: {role: default, ranges: [\"10.50.0.10-10.50.0.99\"]}\n"),
    "net/pool.yaml": ("apiVersion: cilium.io/v2\nkind: CiliumLoadBalancerIPPool\nmetadata:\n  name: lan\n"
                      "spec:\n  blocks:\n    - {start: 10.50.0.10, stop: 10.50.0.99}\n"),
    "apps/web.yaml": ("apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  namespace: apps\n"
                      "  annotations:\n    lbipam.cilium.io/ips: 10.50.1.20\nspec:\n  type: LoadBalancer\n"),
    # A broken YAML file: a parse finding that every build has, whatever rules exist.
    "apps/broken.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x\n",
    "apps/secret.yaml": ("apiVersion: v1\nkind: Secret\nmetadata:\n  name: creds\n  namespace: apps\n"
                         f"stringData:\n  password: \"{SECRET_VALUE}\"\n"),
}


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("formats") / "repo"
    write_tree(root, FILES)
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    return root


def run(repo: Path, fmt: str, *extra: str) -> subprocess.CompletedProcess:
    done = cli(str(repo), "--format", fmt, *extra)
    assert done.returncode in (0, 1), done.stderr.decode()
    return done


def test_sarif_validates_against_the_oasis_schema(repo):
    import jsonschema

    schema = json.loads((ROOT / "tests" / "data" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    log = json.loads(run(repo, "sarif", "--statistics").stdout)
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    errors = sorted(validator_class(schema, format_checker=validator_class.FORMAT_CHECKER).iter_errors(log),
                    key=str)
    assert not errors, "\n".join(e.message for e in errors[:5])
    assert log["version"] == "2.1.0"
    sarif_run = log["runs"][0]
    results = sarif_run["results"]
    assert results
    rules = sarif_run["tool"]["driver"]["rules"]
    for result in results:
        region = result["locations"][0]["physicalLocation"]["region"]
        assert region["startLine"] >= 1 and region["startColumn"] >= 1
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
    by_rule = {r["ruleId"]: r for r in results}
    parse = by_rule["parse-error"]
    assert parse["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "apps/broken.yaml"
    assert "statistics" in sarif_run["properties"]


def test_sarif_rule_help_comes_from_the_rule_docs(repo):
    from homeops_lint.catalog import load_catalog

    catalog = load_catalog()
    log = json.loads(run(repo, "sarif").stdout)
    for rule in log["runs"][0]["tool"]["driver"]["rules"]:
        doc = catalog.get(rule["id"])
        assert doc is not None
        assert rule["help"]["text"] == doc.doc_text()
        assert rule["shortDescription"]["text"] == doc.summary.strip()
        assert rule["defaultConfiguration"]["level"] in ("error", "warning", "note")


def test_sarif_locations_are_relative_to_the_checkout(tmp_path):
    """A policy in a subfolder: SARIF, GitHub and GitLab paths still resolve from the repo top."""
    root = tmp_path / "top"
    write_tree(root, {f"cluster/{k}": v for k, v in FILES.items()})
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    sarif = json.loads(cli(str(root / "cluster"), "--format", "sarif").stdout)
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in sarif["runs"][0]["results"]}
    assert "cluster/apps/broken.yaml" in uris
    gitlab = json.loads(cli(str(root / "cluster"), "--format", "gitlab").stdout)
    assert "cluster/apps/broken.yaml" in {i["location"]["path"] for i in gitlab}
    github = cli(str(root / "cluster"), "--format", "github").stdout.decode()
    assert "file=cluster/apps/broken.yaml," in github


def test_junit_structure(repo):
    done = run(repo, "junit", "--statistics")
    tree = ET.fromstring(done.stdout)
    assert tree.tag == "testsuites"
    suites = tree.findall("testsuite")
    assert suites
    failures = 0
    for suite in suites:
        cases = suite.findall("testcase")
        assert int(suite.get("tests")) == len(cases)
        assert int(suite.get("failures")) == sum(1 for c in cases if c.find("failure") is not None)
        for case in cases:
            assert case.get("name") and case.get("classname") == suite.get("name")
            failure = case.find("failure")
            assert failure is not None and failure.get("type") and failure.get("message")
        failures += int(suite.get("failures"))
    assert int(tree.get("failures")) == failures == int(tree.get("tests"))
    assert tree.find("properties/property") is not None
    assert "broken.yaml" in {s.get("name").rsplit("/", 1)[-1] for s in suites}


def test_junit_clean_run_is_one_passing_case(tmp_path):
    write_tree(tmp_path / "r", {"a.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n"})
    done = cli(str(tmp_path / "r"), "--format", "junit", "--select", "parse-")
    tree = ET.fromstring(done.stdout)
    cases = tree.findall("testsuite/testcase")
    assert len(cases) == 1 and cases[0].find("failure") is None
    assert tree.get("failures") == "0"


GITHUB_LINE = re.compile(r"^::(error|warning|notice) (?P<props>[^:]*)::(?P<message>.*)$")


def _unescape(text: str) -> str:
    return (text.replace("%0D", "\r").replace("%0A", "\n").replace("%3A", ":").replace("%2C", ",")
            .replace("%25", "%"))


def test_github_workflow_commands(repo):
    out = run(repo, "github").stdout.decode()
    lines = out.splitlines()
    assert lines
    for line in lines:
        match = GITHUB_LINE.match(line)
        assert match, line
        props = dict(p.split("=", 1) for p in match.group("props").split(","))
        assert set(props) == {"file", "line", "col", "title"}
        assert props["line"].isdigit() and props["col"].isdigit()
        assert "\n" not in match.group("message")
        assert _unescape(props["file"]) in FILES
    assert any("file=apps/broken.yaml," in line and line.startswith("::error ") for line in lines)


def test_github_escaping():
    from homeops_lint.report.github import escape_data, escape_property

    assert escape_property("a:b,c%d\ne") == "a%3Ab%2Cc%25d%0Ae"
    assert escape_data("50% done\r\nnext: a,b") == "50%25 done%0D%0Anext: a,b"


def test_gitlab_code_quality(repo):
    issues = json.loads(run(repo, "gitlab").stdout)
    assert isinstance(issues, list) and issues
    for issue in issues:
        assert isinstance(issue["description"], str) and issue["description"]
        assert isinstance(issue["check_name"], str)
        assert re.fullmatch(r"[0-9a-f]{64}", issue["fingerprint"])
        assert issue["severity"] in ("info", "minor", "major", "critical", "blocker")
        assert isinstance(issue["location"]["path"], str)
        assert isinstance(issue["location"]["lines"]["begin"], int) and issue["location"]["lines"]["begin"] >= 1
    assert len({i["fingerprint"] for i in issues}) == len(issues)
    again = json.loads(run(repo, "gitlab").stdout)
    assert [i["fingerprint"] for i in again] == [i["fingerprint"] for i in issues]  # stable


def test_gitlab_statistics_go_to_stderr(repo):
    done = run(repo, "gitlab", "--statistics")
    assert isinstance(json.loads(done.stdout), list)
    assert "parse-error" in done.stderr.decode()


def test_json_lines(repo):
    done = run(repo, "json-lines", "--statistics")
    lines = done.stdout.decode().splitlines()
    full = json.loads(cli(str(repo), "--format", "json").stdout)["findings"]
    assert [json.loads(line) for line in lines] == full
    assert "parse-error" in done.stderr.decode()


@pytest.mark.parametrize("fmt", ["sarif", "junit", "github", "gitlab", "json-lines", "json", "text"])
def test_no_format_prints_a_secret(repo, fmt):
    done = run(repo, fmt)
    assert SECRET_VALUE not in done.stdout.decode() + done.stderr.decode()


@pytest.mark.parametrize("fmt", ["sarif", "junit", "github", "gitlab", "json-lines"])
def test_output_file(repo, tmp_path, fmt):
    target = tmp_path / f"report.{fmt}"
    done = cli(str(repo), "--format", fmt, "--output", str(target))
    assert done.returncode == 1 and done.stdout == b""
    assert target.read_bytes() == run(repo, fmt).stdout


def test_gitlab_and_junit_carry_the_column(repo):
    """GitLab gets Code Climate ``positions`` with the column; JUnit has no column attribute, so the
    failure message leads with path:line:column, and file/line are the testcase's attributes."""
    reference = json.loads(run(repo, "json").stdout)["findings"]
    spots = sorted((f["path"], f["line"], f["column"]) for f in reference)
    assert any(column > 1 for _path, _line, column in spots)  # the columns below are real ones
    issues = json.loads(run(repo, "gitlab").stdout)
    gitlab = sorted((i["location"]["path"], i["location"]["positions"]["begin"]["line"],
                     i["location"]["positions"]["begin"]["column"]) for i in issues)
    assert gitlab == spots
    for issue in issues:
        positions = issue["location"]["positions"]
        assert positions["end"] == positions["begin"]
        assert issue["location"]["lines"]["begin"] == positions["begin"]["line"]
    tree = ET.fromstring(run(repo, "junit").stdout)
    junit = []
    for case in tree.iter("testcase"):
        message = case.find("failure").get("message")
        where = re.match(r"(.+?):(\d+):(\d+): ", message)
        assert where, message
        assert (case.get("file"), case.get("line")) == (where.group(1), where.group(2))
        junit.append((where.group(1), int(where.group(2)), int(where.group(3))))
    assert sorted(junit) == spots
