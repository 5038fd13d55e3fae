"""Tests for the synthetic corpus generator (bench/generate.py). No timing assertions."""
from __future__ import annotations

import hashlib
import importlib.util
import os
import pathlib
import subprocess
import sys

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[1]
GEN = ROOT / "bench" / "generate.py"


def _load_gen():
    spec = importlib.util.spec_from_file_location("bench_generate", GEN)
    mod = importlib.util.module_from_spec(spec)
    sys.modules["bench_generate"] = mod
    spec.loader.exec_module(mod)
    return mod


gen = _load_gen()


def _run(out: pathlib.Path, *extra: str) -> str:
    p = subprocess.run([sys.executable, str(GEN), "--size", "small", "--out", str(out), *extra],
                       capture_output=True, text=True, check=True)
    return p.stdout


def _tree_hash(root: pathlib.Path) -> str:
    h = hashlib.sha256()
    for p in sorted(root.rglob("*")):
        if p.is_file():
            h.update(str(p.relative_to(root)).encode() + b"\0")
            h.update(p.read_bytes() + b"\0")
    return h.hexdigest()


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> pathlib.Path:
    out = tmp_path_factory.mktemp("c") / "small"
    _run(out, "--seed", "7")
    return out


def test_deterministic_same_seed_byte_identical(small, tmp_path):
    again = tmp_path / "again"
    _run(again, "--seed", "7")
    assert _tree_hash(small) == _tree_hash(again)


def test_different_seed_differs(small, tmp_path):
    other = tmp_path / "other"
    _run(other, "--seed", "8")
    assert _tree_hash(small) != _tree_hash(other)


def test_cli_prints_counts(tmp_path):
    out = _run(tmp_path / "x")
    assert "files" in out and "documents" in out and "bytes" in out


def test_small_document_count_and_every_yaml_parses(small):
    docs = 0
    files = 0
    for p in small.rglob("*"):
        if p.suffix in (".yaml", ".yml"):
            files += 1
            text = p.read_text()
            docs += sum(1 for _ in yaml.compose_all(text, Loader=yaml.SafeLoader))
            list(yaml.safe_load_all(text))  # full construction works too
    assert 350 <= docs <= 700, docs
    assert files > 300
    assert docs == gen.generate("small", 7).docs


def test_layout(small):
    for rel in (".homeops-lint.yaml", "kubernetes/flux/cluster/ks.yaml", "clusters/main/flux-system/gotk-sync.yaml",
                "talos/talconfig.yaml", "kubernetes/apps/kube-system/cilium/app/networking.yaml",
                "kubernetes/apps/kube-system/crds/app/crds.yaml"):
        assert (small / rel).is_file(), rel
    cfg = yaml.safe_load((small / ".homeops-lint.yaml").read_text())
    assert cfg["version"] == 1
    assert cfg["architecture"]["pools"]["lb-ingress"]["ranges"] == ["10.10.1.200-10.10.1.250"]
    assert cfg["architecture"]["bgp"] == {"cluster_asn": 64512, "router_asn": 64513}
    crds = list(yaml.safe_load_all((small / "kubernetes/apps/kube-system/crds/app/crds.yaml").read_text()))
    assert len(crds) > 20 and all(d["kind"] == "CustomResourceDefinition" for d in crds)
    assert len((small / "kubernetes/apps/kube-system/crds/app/crds.yaml").read_text().splitlines()) > 2000
    assert list(small.rglob("*.sops.yaml")) and list(small.rglob("*.md")) and list(small.rglob("*.sh"))


def test_every_flux_path_exists_and_lb_ips_unique_in_pools(small):
    import ipaddress

    lo, hi = int(ipaddress.ip_address("10.10.1.10")), int(ipaddress.ip_address("10.10.1.250"))
    seen = set()
    for p in small.rglob("*.yaml"):
        for d in yaml.safe_load_all(p.read_text()):
            if not isinstance(d, dict):
                continue
            if d.get("kind") == "Kustomization" and str(d.get("apiVersion", "")).startswith("kustomize.toolkit"):
                assert (small / d["spec"]["path"]).is_dir(), (p, d["spec"]["path"])
                if "postBuild" in d["spec"] and d["metadata"]["name"] not in ("cluster-apps",):
                    assert d["spec"]["postBuild"]["substitute"]["APP"]
            ann = ((d.get("metadata") or {}).get("annotations") or {}) if d.get("kind") == "Service" else {}
            ip = ann.get("lbipam.cilium.io/ips")
            if ip:
                assert lo <= int(ipaddress.ip_address(ip)) <= hi, ip
                assert ip not in seen
                seen.add(ip)


def test_violations_point_at_offending_keys(tmp_path):
    out = tmp_path / "v"
    _run(out, "--violations")
    exp = yaml.safe_load((out / "homeops-lint-test.yaml").read_text())["expect"]
    rules = sorted(e["rule"] for e in exp)
    assert rules == sorted(["lb-ip-outside-pool", "secret-inline", "cnpg-backup-missing",
                            "cnpg-schedule-invalid", "flux-path-missing"])
    key_on_line = {
        "lb-ip-outside-pool": "lbipam.cilium.io/ips:",
        "secret-inline": "password:",
        "cnpg-backup-missing": "spec:",
        "cnpg-schedule-invalid": "schedule:",
        "flux-path-missing": "path:",
    }
    for e in exp:
        assert set(e) == {"rule", "path", "line"}
        lines = (out / e["path"]).read_text().splitlines()
        line = lines[e["line"] - 1]
        assert line.lstrip().startswith(key_on_line[e["rule"]]), (e, line)
        if e["rule"] == "lb-ip-outside-pool":
            assert "10.10.2.77" in line
        if e["rule"] == "cnpg-schedule-invalid":
            assert len(line.split(":", 1)[1].strip().strip('"').split()) == 5
        if e["rule"] == "flux-path-missing":
            target = line.split(":", 1)[1].strip()
            assert not (out / target).exists()
        if e["rule"] == "secret-inline":
            assert "sops:" not in (out / e["path"]).read_text()
        if e["rule"] == "cnpg-backup-missing":
            text = (out / e["path"]).read_text()
            cluster = [d for d in yaml.safe_load_all(text) if d and d.get("kind") == "Cluster"][0]
            assert "plugins" not in cluster["spec"] and "backup" not in cluster["spec"]
            assert any(ln == "kind: Cluster" for ln in lines[: e["line"]])


def test_generator_rejects_unknown_size():
    with pytest.raises(ValueError):
        gen.generate("huge", 1)
