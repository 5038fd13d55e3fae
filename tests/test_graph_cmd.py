"""``homeops-lint graph`` renders the Flux tree in every format."""
from __future__ import annotations

import json

from .conftest import FIXTURES, cli


def test_text_graph_of_the_demo() -> None:
    proc = cli("graph", str(FIXTURES / "home-ops"))
    out = proc.stdout.decode()
    assert proc.returncode == 0, proc.stderr
    assert "entrypoint: clusters/home-ops/flux-system/gotk-sync.yaml" in out
    assert "├── networking  ./infrastructure/networking" in out
    assert "3 CiliumLoadBalancerIPPool" in out
    assert "→ ns home-automation  after networking" in out
    assert "cilium" in out and "helmfile release in bootstrap/helmfile.yaml" in out
    assert "✗ infrastructure/networking/bgp-peering-legacy.yaml" in out


def test_json_dot_mermaid() -> None:
    data = json.loads(cli("graph", str(FIXTURES / "home-ops-broken"), "--format", "json").stdout)
    assert data["version"] == 1 and data["mode"] == "entrypoints"
    root = data["kustomizations"][0]
    assert root["name"] == "flux-system" and root["children"]
    marked = [c for c in root["children"] if c["bootstrapOnly"]]
    assert marked, "the broken demo's bootstrap-only component is marked"
    dot = cli("graph", str(FIXTURES / "home-ops"), "--format", "dot").stdout.decode()
    assert dot.startswith("digraph flux {") and '"flux-system/flux-system" -> "flux-system/networking"' in dot
    mermaid = cli("graph", str(FIXTURES / "home-ops"), "--format", "mermaid").stdout.decode()
    assert mermaid.startswith("flowchart LR") and "-.->|dependsOn|" in mermaid
