"""The component catalog and the bootstrap boundary."""
from __future__ import annotations

from homeops_lint.components import (
    SourceLookup, bootstrap_entries, chart_basename, image_repository, load_components, match_document,
)
from homeops_lint.model import DocClass, Document
from homeops_lint.yamlload import load_one

from .conftest import FIXTURES, lint


def doc(text: str, path: str = "x.yaml", doc_class: DocClass = DocClass.K8S) -> Document:
    return Document(path, 0, load_one(text), 1, doc_class)


def test_image_and_chart_names() -> None:
    assert image_repository("ghcr.io/1password/connect-api:1.7@sha256:abc") == "ghcr.io/1password/connect-api"
    assert image_repository("localhost:5000/cilium/cilium") == "localhost:5000/cilium/cilium"
    assert chart_basename("oci://ghcr.io/home-operations/charts-mirror/cilium") == "cilium"
    assert chart_basename("1password/connect") == "connect"


def test_catalog_matchers() -> None:
    components = load_components({})
    lookup = SourceLookup(())
    helmchart = doc("apiVersion: helm.cattle.io/v1\nkind: HelmChart\nmetadata: {name: cilium}\nspec: {chart: cilium}\n")
    assert [m.component for m in match_document(helmchart, "kube-system", components, lookup)] == ["cilium"]
    kustomize = doc("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
                    "helmCharts: [{name: cilium, repo: https://helm.cilium.io, releaseName: cilium}]\n",
                    "k/kustomization.yaml", DocClass.KUSTOMIZE)
    assert [m.key for m in match_document(kustomize, None, components, lookup)] == [("helmCharts", 0, "name")]
    # the generic "connect" chart is 1Password's only when its repository says so
    other = doc("apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata: {name: kafka-connect}\n"
                "spec: {chart: {spec: {chart: connect, sourceRef: {kind: HelmRepository, name: confluent}}}}\n")
    repo = doc("apiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmRepository\nmetadata: {name: confluent}\n"
               "spec: {url: https://confluentinc.github.io/cp-helm-charts}\n")
    assert match_document(other, "kafka", components, SourceLookup([(repo, "kafka")])) == []
    # CRD objects of a component (pools, stores) are GitOps config, not the component
    pool = doc("apiVersion: cilium.io/v2\nkind: CiliumLoadBalancerIPPool\nmetadata: {name: lan}\n")
    assert match_document(pool, None, components, lookup) == []


def test_policy_extends_the_catalog_and_adopt_entries() -> None:
    arch = {"components": {"metallb": {"charts": ["metallb"]}, "cilium": {"images": ["my/cilium"]}},
            "bootstrap_only": ["metallb", {"name": "cilium", "mode": "adopt"}, 7]}
    components = load_components(arch)
    assert components["metallb"].chart_names() == {"metallb"}
    assert components["cilium"].images == ["my/cilium"] and components["cilium"].chart_names() == {"cilium"}
    assert [(e.name, e.mode) for e in bootstrap_entries(arch)] == [("metallb", "forbid"), ("cilium", "adopt")]


def test_demo_repo_has_no_bootstrap_finding_and_the_broken_one_does() -> None:
    clean = lint(FIXTURES / "home-ops")
    assert not [f for f in clean.all_findings if f.rule.startswith("bootstrap-")]
    broken = [f for f in lint(FIXTURES / "home-ops-broken").all_findings if f.rule == "bootstrap-in-flux"]
    assert broken and "→" in broken[0].message


def test_no_flux_means_no_second_owner(tree) -> None:
    root = tree({".homeops-lint.yaml": "version: 1\narchitecture: {bootstrap_only: [cilium]}\n",
                 "cilium.yaml": "apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: cilium, namespace: kube-system}\n"})
    assert not [f for f in lint(root).all_findings if f.rule.startswith("bootstrap-")]
