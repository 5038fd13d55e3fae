"""``homeops-lint graph`` renders the Flux tree in every format."""
from __future__ import annotations

import json
import re
import subprocess

from .conftest import FIXTURES, cli, write_tree


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


def _sync(cluster: str) -> str:
    return ("apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata:\n  name: flux-system\n"
            "  namespace: flux-system\nspec:\n  interval: 1m\n  ref: {branch: main}\n  url: https://example.com/r\n"
            "---\napiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: flux-system\n"
            f"  namespace: flux-system\nspec:\n  interval: 10m\n  path: ./clusters/{cluster}\n  prune: true\n"
            "  sourceRef: {kind: GitRepository, name: flux-system}\n")


def _ks(name: str, path: str, after: str = "") -> str:
    depends = f"  dependsOn:\n    - name: {after}\n" if after else ""
    return ("apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n"
            f"  name: {name}\n  namespace: flux-system\nspec:\n  interval: 10m\n  path: {path}\n  prune: true\n"
            f"  sourceRef: {{kind: GitRepository, name: flux-system}}\n{depends}")


def test_two_clusters_keep_their_nodes_apart(tmp_path) -> None:
    """Each cluster has its own flux-system/flux-system, infra and apps: six nodes, not three."""
    files = {}
    for cluster in ("alpha", "beta"):
        files[f"clusters/{cluster}/flux-system/gotk-sync.yaml"] = _sync(cluster)
        files[f"clusters/{cluster}/infra.yaml"] = _ks("infra", f"./infra/{cluster}")
        files[f"clusters/{cluster}/apps.yaml"] = _ks("apps", f"./apps/{cluster}", after="infra")
        files[f"infra/{cluster}/cm.yaml"] = f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: infra-{cluster}\n"
        files[f"apps/{cluster}/cm.yaml"] = f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: apps-{cluster}\n"
    root = write_tree(tmp_path / "repo", files)
    subprocess.run(["git", "init", "-q", str(root)], check=True)

    data = json.loads(cli("graph", str(root), "--format", "json").stdout)

    def walk(nodes):
        for node in nodes:
            yield node
            yield from walk(node["children"])

    ids = [n["id"] for n in walk(data["kustomizations"])]
    assert sorted(ids) == sorted(f"{c}:flux-system/{n}" for c in ("alpha", "beta") for n in ("flux-system", "infra", "apps"))
    dot = cli("graph", str(root), "--format", "dot").stdout.decode()
    declared = set(re.findall(r'^  ("[^"]+") \[label=', dot, re.M))
    assert len(declared) == 6
    # dependsOn stays inside its cluster
    assert '"alpha:flux-system/apps" -> "alpha:flux-system/infra" [style=dashed' in dot
    assert '"beta:flux-system/apps" -> "beta:flux-system/infra" [style=dashed' in dot
    assert '"alpha:flux-system/apps" -> "beta:' not in dot
    mermaid = cli("graph", str(root), "--format", "mermaid").stdout.decode()
    assert len(set(re.findall(r"^  (n_\w+)\[", mermaid, re.M))) == 6
    assert len(re.findall(r"-\.->\|dependsOn\|", mermaid)) == 2


def test_a_single_cluster_keeps_plain_ids() -> None:
    data = json.loads(cli("graph", str(FIXTURES / "home-ops"), "--format", "json").stdout)
    assert data["kustomizations"][0]["id"] == "flux-system/flux-system"
