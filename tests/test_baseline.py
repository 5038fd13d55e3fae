"""Baseline: write, edit unrelated lines (nothing new), introduce a violation (reported), stale entries."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from .conftest import cli, write_tree

POLICY = ("version: 1\narchitecture:\n  networks:\n    loadbalancer: [10.50.0.0/24]\n"
          "  pools:\n    lan: {role: default, ranges: [\"10.50.0.10-10.50.0.99\"]}\n")
POOL = ("apiVersion: cilium.io/v2\nkind: CiliumLoadBalancerIPPool\nmetadata:\n  name: lan\n"
        "spec:\n  blocks:\n    - {start: 10.50.0.10, stop: 10.50.0.99}\n")


def service(name: str, ip: str, extra: str = "") -> str:
    return (f"apiVersion: v1\nkind: Service\nmetadata:\n  name: {name}\n  namespace: apps\n"
            f"  annotations:\n{extra}    lbipam.cilium.io/ips: {ip}\nspec:\n  type: LoadBalancer\n")


def make(tmp_path: Path) -> Path:
    return write_tree(tmp_path / "repo", {
        ".homeops-lint.yaml": POLICY,
        "net/pool.yaml": POOL,
        "apps/old.yaml": service("old", "10.50.3.3"),
        "apps/web.yaml": service("web", "10.50.0.20"),
        "apps/broken.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x\n",
    })


def findings(root: Path, *args: str) -> tuple[int, list[dict], str]:
    done = cli(str(root), "--format", "json", *args)
    assert done.returncode in (0, 1), done.stderr.decode()
    return done.returncode, json.loads(done.stdout)["findings"], done.stderr.decode()


def test_round_trip(tmp_path):
    root = make(tmp_path)
    baseline = root / ".homeops-lint-baseline.yaml"
    code, before, _ = findings(root)
    assert code == 1 and {f["rule"] for f in before} >= {"parse-error", "lb-ip-outside-pool"}
    written = cli("baseline", "write", str(baseline), str(root))
    assert written.returncode == 0, written.stderr.decode()
    assert "wrote" in written.stderr.decode()

    code, shown, stderr = findings(root, "--baseline", str(baseline))
    assert (code, shown) == (0, []), shown
    assert "no longer match" not in stderr

    # Unrelated edits: lines added above the findings, a comment, another annotation.
    (root / "apps/old.yaml").write_text("# moved down by a comment\n---\n" + service(
        "old", "10.50.3.3", extra="    example.com/owner: me\n"))
    (root / "apps/broken.yaml").write_text("# header\n\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: x\n")
    code, shown, stderr = findings(root, "--baseline", str(baseline))
    assert (code, shown) == (0, []), shown
    assert "no longer match" not in stderr

    # A new violation is reported, and only it.
    (root / "apps/web.yaml").write_text(service("web", "10.50.9.9"))
    code, shown, _ = findings(root, "--baseline", str(baseline))
    assert code == 1
    assert [(f["rule"], f["path"]) for f in shown] == [("lb-ip-outside-pool", "apps/web.yaml")]

    # Changing a baselined value is a new finding too (the fingerprint follows the value).
    (root / "apps/web.yaml").write_text(service("web", "10.50.0.20"))
    (root / "apps/old.yaml").write_text(service("old", "10.50.4.4"))
    code, shown, stderr = findings(root, "--baseline", str(baseline))
    assert [(f["rule"], f["path"]) for f in shown] == [("lb-ip-outside-pool", "apps/old.yaml")]
    assert "no longer match" in stderr  # the entry for 10.50.3.3 is stale now


def test_stale_entries_are_reported_not_failed(tmp_path):
    root = make(tmp_path)
    baseline = root / "baseline.yaml"
    assert cli("baseline", "write", str(baseline), str(root)).returncode == 0
    (root / "apps/old.yaml").write_text(service("old", "10.50.0.30"))  # fixed
    code, shown, stderr = findings(root, "--baseline", str(baseline))
    assert (code, shown) == (0, [])
    assert re.search(r"baseline .*: 1 entry no longer match.*apps/old.yaml: lb-ip-outside-pool", stderr), stderr
    # Rewriting drops it.
    assert cli("baseline", "write", str(baseline), str(root)).returncode == 0
    assert "apps/old.yaml" not in baseline.read_text()
    assert "no longer match" not in findings(root, "--baseline", str(baseline))[2]


def test_file_is_sorted_stable_and_free_of_lines_and_values(tmp_path):
    root = make(tmp_path)
    first, second = root / "b1.yaml", root / "b2.yaml"
    assert cli("baseline", "write", str(first), str(root)).returncode == 0
    (root / "apps/old.yaml").write_text("\n\n# shifted\n" + service("old", "10.50.3.3"))
    assert cli("baseline", "write", str(second), str(root)).returncode == 0
    text = first.read_text()
    assert text == second.read_text()  # line moves do not change it; no timestamps
    entries = [json.loads(line[2:]) for line in text.splitlines() if line.startswith("- ")]
    assert entries == sorted(entries, key=lambda e: (e["rule"], e["path"], e["resource"], e["key"], e["fingerprint"]))
    assert all(set(e) <= {"rule", "path", "resource", "key", "fingerprint", "count"} for e in entries)
    assert "10.50.3.3" not in text and "line" not in json.dumps(entries)
    service_entry = next(e for e in entries if e["path"] == "apps/old.yaml")
    assert service_entry["resource"] == "Service/apps/old"
    assert service_entry["key"] == 'metadata.annotations."lbipam.cilium.io/ips"'
    assert service_entry["fingerprint"]


def test_secret_values_never_reach_the_baseline(tmp_path):
    value = "Qm9-vZ3x-Lp8w-Tn2k"
    root = make(tmp_path)
    (root / "apps/secret.yaml").write_text("apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n"
                                           f"  namespace: apps\nstringData:\n  password: \"{value}\"\n")
    baseline = root / "b.yaml"
    assert cli("baseline", "write", str(baseline), str(root)).returncode == 0
    assert value not in baseline.read_text()


def test_bad_baseline_is_a_usage_error(tmp_path):
    root = make(tmp_path)
    (root / "b.yaml").write_text("just: a mapping\n")
    done = cli(str(root), "--baseline", str(root / "b.yaml"))
    assert done.returncode == 2 and b"not a baseline file" in done.stderr
    done = cli(str(root), "--baseline", str(root / "missing.yaml"))
    assert done.returncode == 2 and b"cannot read the baseline" in done.stderr


def test_baseline_with_selected_rules_does_not_call_other_entries_stale(tmp_path):
    root = make(tmp_path)
    baseline = root / "b.yaml"
    assert cli("baseline", "write", str(baseline), str(root)).returncode == 0
    code, shown, stderr = findings(root, "--baseline", str(baseline), "--select", "parse-")
    assert (code, shown) == (0, [])
    assert "no longer match" not in stderr


@pytest.mark.parametrize("name", ["b.json", "b.JSON", "b.yaml", "b.yml"])
def test_baseline_format_follows_the_extension_and_both_are_read(tmp_path, name):
    root = make(tmp_path)
    baseline = tmp_path / name
    assert cli("baseline", "write", str(baseline), str(root)).returncode == 0
    text = baseline.read_text()
    if name.lower().endswith(".json"):
        data = json.loads(text)  # real JSON, not YAML with a .json name
        assert data["version"] == 1 and len(data["entries"]) >= 2
        assert all(line.startswith("    {") for line in text.splitlines()[3:-2])  # one entry per line
    else:
        assert text.startswith("# homeops-lint baseline") and "\nentries:\n- {" in text
        with pytest.raises(json.JSONDecodeError):
            json.loads(text)
    code, shown, stderr = findings(root, "--baseline", str(baseline))
    assert (code, shown) == (0, []), stderr
    # The other format is read too, whatever the file is called.
    other = tmp_path / ("other.yaml" if name.lower().endswith(".json") else "other.json")
    other.write_text(text)
    assert findings(root, "--baseline", str(other))[:2] == (0, [])


def test_an_empty_json_baseline_is_valid_json(tmp_path):
    root = write_tree(tmp_path / "r", {"ok.yaml": "a: 1\n"})
    baseline = tmp_path / "b.json"
    assert cli("baseline", "write", str(baseline), str(root), "--select", "lb-").returncode == 0
    assert json.loads(baseline.read_text()) == {"version": 1, "entries": []}
