"""The policy file: schema errors name the line, packs layer underneath, inference and init work."""
from __future__ import annotations

import json

import pytest

from homeops_lint.policy import PolicyError, load_policy

from .conftest import cli, lint


def test_schema_error_names_the_line(tree) -> None:
    root = tree({".homeops-lint.yaml": "version: 1\narchitecture:\n  pools:\n    lan: {role: egress, ranges: [10.0.0.0/24]}\n"})
    with pytest.raises(PolicyError) as info:
        load_policy(root)
    assert ".homeops-lint.yaml:4:" in str(info.value) and "role" in str(info.value)


def test_unknown_key_is_a_usage_error_with_exit_2(tree) -> None:
    root = tree({".homeops-lint.yaml": "version: 1\narchitecure: {}\n"})
    proc = cli("--root", str(root), str(root))
    assert proc.returncode == 2
    assert b".homeops-lint.yaml:" in proc.stderr and b"Traceback" not in proc.stderr


def test_extends_layers_the_pack_underneath(tree) -> None:
    root = tree({".homeops-lint.yaml": "version: 1\nextends: home-ops\narchitecture:\n  bgp: {cluster_asn: 65001}\n"})
    policy = load_policy(root)
    assert policy.architecture["bgp"] == {"cluster_asn": 65001, "router_asn": 64513}
    assert policy.architecture["pools"]["bgp-ingress"]["ranges"] == ["172.29.52.200-172.29.52.220"]


def test_unknown_pack(tree) -> None:
    root = tree({".homeops-lint.yaml": "version: 1\nextends: nope\n"})
    with pytest.raises(PolicyError, match="unknown policy pack 'nope'"):
        load_policy(root)


def test_invalid_pool_is_a_finding_not_a_crash(tree) -> None:
    root = tree({".homeops-lint.yaml": "version: 1\narchitecture:\n  pools:\n"
                 "    a: {ranges: [10.0.0.9-10.0.0.1]}\n    b: {ranges: [10.0.0.0/24]}\n    c: {ranges: [10.0.0.128/25]}\n"})
    result = lint(root)
    got = sorted((f.rule, f.line) for f in result.findings)
    assert ("policy-invalid", 4) in got
    assert ("policy-pool-overlap", 6) in got


def test_inference_without_policy(tree) -> None:
    root = tree({
        "pools.yaml": "apiVersion: cilium.io/v2\nkind: CiliumLoadBalancerIPPool\nmetadata: {name: lb-ingress}\n"
                      "spec:\n  blocks:\n    - {start: 10.1.0.10, stop: 10.1.0.20}\n",
        "talos/talconfig.yaml": "clusterName: x\nendpoint: https://10.0.0.1:6443\nclusterPodNets: [10.42.0.0/16]\n"
                                "clusterSvcNets: [10.43.0.0/16]\nnodes: []\n",
    })
    result = lint(root)
    assert result.policy.origin == "inferred"
    assert result.policy.architecture["pools"] == {"lb-ingress": {"role": "ingress", "ranges": ["10.1.0.10-10.1.0.20"]}}
    assert result.policy.architecture["networks"] == {"pods": ["10.42.0.0/16"], "services": ["10.43.0.0/16"]}
    assert any("inferred 1 LoadBalancer pool" in n for n in result.notes)


def test_init_writes_a_valid_policy(tree) -> None:
    root = tree({"pool.yaml": "apiVersion: cilium.io/v2\nkind: CiliumLoadBalancerIPPool\nmetadata: {name: home}\n"
                              "spec:\n  blocks:\n    - cidr: 192.168.50.0/26\n"})
    proc = cli("init", str(root))
    assert proc.returncode == 0, proc.stderr
    written = root / ".homeops-lint.yaml"
    policy = load_policy(root)  # validates against the schema
    assert policy.architecture["pools"]["home"]["ranges"] == ["192.168.50.0/26"]
    again = cli("init", str(root))
    assert again.returncode == 2 and b"--force" in again.stderr
    assert written.read_text().startswith("# yaml-language-server")
    listing = json.loads(cli("--format", "json", "--root", str(root), str(root)).stdout)
    assert listing["version"] == 1


def test_init_on_the_demo_infers_the_reference_architecture(tmp_path) -> None:
    import shutil

    from .conftest import FIXTURES

    root = tmp_path / "demo"
    shutil.copytree(FIXTURES / "home-ops", root)
    (root / ".homeops-lint.yaml").unlink()
    proc = cli("init", str(root))
    assert proc.returncode == 0, proc.stderr
    policy = load_policy(root)
    architecture = policy.architecture
    assert architecture["pools"]["bgp-ingress"] == {"role": "ingress", "ranges": ["172.29.52.200-172.29.52.220"]}
    assert architecture["bgp"] == {"cluster_asn": 64512, "router_asn": 64513, "router_address": "172.29.51.1"}
    assert architecture["bootstrap_only"] == ["talos", "cilium", "external-secrets", "onepassword-connect"]
    assert "fd47:25e1:2f96:51:2000::/64" in architecture["networks"]["pods"]
