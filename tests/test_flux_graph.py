"""The Flux graph follows domain.md §5.3: which files a spec.path includes, namespaces,
components, entrypoints, sources, substitutions and patches."""
from __future__ import annotations

import os

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from homeops_lint.flux import Substitutions, dead_files, format_chain

from .conftest import lint

GOTK = """\
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata: {name: flux-system, namespace: flux-system}
spec: {interval: 1m, url: ssh://git@github.com/example/home-ops, ref: {branch: main}}
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: flux-system, namespace: flux-system}
spec: {interval: 10m, path: ./clusters/lab, prune: true, sourceRef: {kind: GitRepository, name: flux-system}}
"""


def ks(name: str, path: str, extra: str = "", namespace: str = "flux-system") -> str:
    return (f"apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\n"
            f"metadata: {{name: {name}, namespace: {namespace}}}\n"
            f"spec:\n  interval: 10m\n  path: {path}\n  prune: true\n"
            f"  sourceRef: {{kind: GitRepository, name: flux-system, namespace: flux-system}}\n{extra}")


def cm(name: str, namespace: str = "") -> str:
    ns = f", namespace: {namespace}" if namespace else ""
    return f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: {name}{ns}}}\ndata: {{A: b}}\n"


KUSTOMIZATION = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"


def applied(result) -> dict[str, list]:  # type: ignore[no-untyped-def]
    out: dict[str, list] = {}
    for item in result.index.applied:
        out.setdefault(item.doc.name, []).append(item)
    return out


def test_folder_without_kustomization_includes_every_yaml_and_builds_nested_kustomizations(tree) -> None:
    root = tree({
        "clusters/lab/flux-system/gotk-sync.yaml": GOTK,
        "clusters/lab/apps.yaml": ks("apps", "./apps"),
        "apps/top.yaml": cm("top"),
        "apps/plain/deeper.yml": cm("deeper"),  # no kustomization file: walked recursively
        "apps/notes.json": '{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "json"}}',
        "apps/nested/kustomization.yaml": KUSTOMIZATION + "resources: [listed.yaml]\n",
        "apps/nested/listed.yaml": cm("listed"),
        "apps/nested/unlisted.yaml": cm("unlisted"),  # its folder has a kustomization: not descended
    })
    names = applied(lint(root))
    assert {"top", "deeper", "listed"} <= set(names)
    assert "unlisted" not in names and "json" not in names
    assert names["listed"][0].kustomization.name == "apps"


def test_components_resolve_relative_to_spec_path(tree) -> None:
    root = tree({
        "clusters/lab/flux-system/gotk-sync.yaml": GOTK,
        "clusters/lab/apps.yaml": ks("apps", "./apps/prod", "  components: [../../components/limits]\n"),
        "apps/prod/kustomization.yaml": KUSTOMIZATION + "resources: [app.yaml]\n",
        "apps/prod/app.yaml": cm("app"),
        "components/limits/kustomization.yaml":
            "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nresources: [limits.yaml]\n",
        "components/limits/limits.yaml": cm("limits"),
        # relative to the repository root this would be components/limits too, so add a decoy that a
        # root-relative resolution of '../../components' would not find either way
    })
    result = lint(root)
    assert "limits" in applied(result)
    assert not [f for f in result.all_findings if f.rule == "flux-resource-missing"]
    # the same component written relative to the repository root is missing
    root2 = tree({
        "clusters/lab/flux-system/gotk-sync.yaml": GOTK,
        "clusters/lab/apps.yaml": ks("apps", "./apps/prod", "  components: [components/limits]\n"),
        "apps/prod/kustomization.yaml": KUSTOMIZATION + "resources: [app.yaml]\n",
        "apps/prod/app.yaml": cm("app"),
        "components/limits/kustomization.yaml":
            "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nresources: [limits.yaml]\n",
        "components/limits/limits.yaml": cm("limits"),
    })
    missing = [f for f in lint(root2).all_findings if f.rule == "flux-resource-missing"]
    assert missing and "apps/prod/components/limits" in missing[0].message


def test_target_namespace_and_kustomize_namespace(tree) -> None:
    root = tree({
        "clusters/lab/flux-system/gotk-sync.yaml": GOTK,
        "clusters/lab/apps.yaml": ks("apps", "./apps", "  targetNamespace: media\n")
        + "---\n" + ks("tools", "./tools"),
        "apps/app.yaml": cm("app", "elsewhere"),
        "apps/ns.yaml": "apiVersion: v1\nkind: Namespace\nmetadata: {name: media}\n",
        "apps/role.yaml": "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: reader}\n",
        "tools/kustomization.yaml": KUSTOMIZATION + "namespace: outer\nresources: [./inner]\n",
        "tools/inner/kustomization.yaml": KUSTOMIZATION + "namespace: inner\nresources: [tool.yaml]\n",
        "tools/inner/tool.yaml": cm("tool", "mine"),
    })
    names = applied(lint(root))
    assert names["app"][0].namespace == "media"
    assert names["reader"][0].namespace is None  # cluster-scoped objects keep no namespace
    assert names["tool"][0].namespace == "outer"  # the outermost namespace transformer wins


def test_unlisted_files_and_unreferenced_kustomizations_are_not_applied(tree) -> None:
    root = tree({
        "clusters/lab/flux-system/gotk-sync.yaml": GOTK,
        "clusters/lab/net.yaml": ks("networking", "./networking"),
        "networking/kustomization.yaml": KUSTOMIZATION + "resources: [pools.yaml]\n",
        "networking/pools.yaml": cm("pools"),
        "networking/pools-legacy.yaml": cm("legacy"),
        "orphan/kustomization.yaml": KUSTOMIZATION + "resources: [orphan.yaml]\n",
        "orphan/orphan.yaml": cm("orphan"),
    })
    result = lint(root)
    names = applied(result)
    assert "pools" in names and "legacy" not in names and "orphan" not in names
    dead = {d.path: d for d in dead_files(result.index.files, result.index.graph)}
    assert set(dead) == {"networking/pools-legacy.yaml", "orphan/kustomization.yaml"}
    assert dead["orphan/kustomization.yaml"].covers == ("orphan/orphan.yaml",)
    assert "networking" in dead["networking/pools-legacy.yaml"].message


def test_remote_resources_are_recorded_never_fetched(tree, monkeypatch) -> None:
    import socket

    def no_network(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise AssertionError("the linter opened a network connection")

    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket.socket, "connect", no_network)
    root = tree({
        "clusters/lab/flux-system/gotk-sync.yaml": GOTK,
        "clusters/lab/kustomization.yaml": KUSTOMIZATION
        + "resources:\n  - ./flux-system/gotk-sync.yaml\n  - https://github.com/fluxcd/flux2/manifests/install?ref=v2.6.0\n"
          "  - github.com/kubernetes-sigs/gateway-api/config/crd?ref=v1.3.0\n",
    })
    result = lint(root)
    assert [url for _file, url in result.index.graph.remote_resources] == [
        "https://github.com/fluxcd/flux2/manifests/install?ref=v2.6.0",
        "github.com/kubernetes-sigs/gateway-api/config/crd?ref=v1.3.0"]
    assert not [f for f in result.all_findings if f.rule.startswith("flux-resource")]


def test_paths_escaping_the_root_are_never_read(tmp_path: Path) -> None:
    from .conftest import write_tree

    write_tree(tmp_path, {"outside/secret.yaml": cm("outside")})
    root = write_tree(tmp_path / "repo", {
        "clusters/lab/flux-system/gotk-sync.yaml": GOTK,
        "clusters/lab/kustomization.yaml": KUSTOMIZATION + "resources: [./flux-system/gotk-sync.yaml, ../../../outside]\n",
        "clusters/lab/escape.yaml": ks("escape", "../outside"),
    })
    result = lint(root)
    assert "outside" not in applied(result)
    assert all(not a.doc.path.startswith("..") for a in result.index.applied)
    escapes = [f for f in result.all_findings if f.rule == "flux-path-escape"]
    assert len(escapes) == 1 and escapes[0].path == "clusters/lab/kustomization.yaml"
    # a spec.path that climbs above the root is reported too (never followed)
    root2 = write_tree(tmp_path / "repo2", {
        "clusters/lab/flux-system/gotk-sync.yaml": GOTK,
        "clusters/lab/escape.yaml": ks("escape", "../../outside"),
    })
    assert [f.rule for f in lint(root2).all_findings if f.rule.startswith("flux-path")] == ["flux-path-escape"]


def test_fluxinstance_and_flux_instance_helmrelease_are_entrypoints(tree) -> None:
    instance = ("apiVersion: fluxcd.controlplane.io/v1\nkind: FluxInstance\nmetadata: {name: flux, namespace: flux-system}\n"
                "spec:\n  distribution: {version: 2.6.x}\n  sync: {kind: GitRepository, url: https://x, ref: refs/heads/main, "
                "path: kubernetes/flux/cluster}\n")
    root = tree({
        "kubernetes/flux/instance.yaml": instance,
        "kubernetes/flux/cluster/ks.yaml": ks("cluster-apps", "./kubernetes/apps"),
        "kubernetes/apps/app.yaml": cm("app", "default"),
    })
    result = lint(root)
    graph = result.index.graph
    assert graph.mode == "entrypoints" and graph.roots[0].synthetic
    assert applied(result)["app"][0].kustomization.name == "cluster-apps"
    helmrelease = ("apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata: {name: flux-instance, namespace: flux-system}\n"
                   "spec:\n  interval: 1h\n  chartRef: {kind: OCIRepository, name: flux-instance}\n"
                   "  values:\n    instance:\n      sync: {kind: GitRepository, url: https://x, ref: refs/heads/main, "
                   "path: kubernetes/flux/cluster}\n")
    root2 = tree({
        "kubernetes/apps/flux-system/flux-instance/helmrelease.yaml": helmrelease,
        "kubernetes/flux/cluster/ks.yaml": ks("cluster-apps", "./kubernetes/apps/default"),
        "kubernetes/apps/default/app.yaml": cm("app2", "default"),
    })
    result2 = lint(root2)
    assert "app2" in applied(result2)
    assert format_chain(applied(result2)["app2"][0].local_chain).startswith(
        "kubernetes/flux/cluster/ks.yaml:6 Kustomization cluster-apps → ./kubernetes/apps/default → app.yaml")


def test_source_ref_to_another_repository_is_not_followed(tree) -> None:
    other = ks("shared", "./apps").replace("name: flux-system, namespace: flux-system}", "name: platform-repo}")
    root = tree({
        "clusters/lab/flux-system/gotk-sync.yaml": GOTK,
        "clusters/lab/shared.yaml": other,
        "clusters/lab/platform-repo.yaml": "apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\n"
        "metadata: {name: platform-repo, namespace: flux-system}\nspec: {interval: 1h, url: https://example.com/platform}\n",
        "apps/app.yaml": cm("app", "default"),
    })
    result = lint(root)
    node = next(n for n in result.index.graph.nodes if n.name == "shared")
    assert node.external and node.path is None
    assert "app" not in applied(result)
    assert not [f for f in result.all_findings if f.rule in ("flux-path-missing", "flux-source-missing")]


def test_substitute_from_configmap_and_sops_secret_keys(tree) -> None:
    root = tree({
        "clusters/lab/flux-system/gotk-sync.yaml": GOTK,
        "clusters/lab/settings.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings, namespace: flux-system}\n"
        "data: {DOMAIN: lab.example.com, IP: 10.0.0.1}\n",
        "clusters/lab/secrets.sops.yaml": "apiVersion: v1\nkind: Secret\nmetadata: {name: secrets, namespace: flux-system}\n"
        "stringData: {TOKEN: 'ENC[AES256_GCM,data:eA==,type:str]'}\nsops: {mac: 'ENC[x]', version: 3.9.0}\n",
        "clusters/lab/apps.yaml": ks("apps", "./apps", "  postBuild:\n    substitute: {IP: 10.0.0.9}\n"
                                     "    substituteFrom:\n      - {kind: ConfigMap, name: settings}\n"
                                     "      - {kind: Secret, name: secrets}\n"),
        "apps/app.yaml": cm("app", "default"),
    })
    subst = applied(lint(root))["app"][0].substitutions
    assert subst.resolve("${DOMAIN}/${IP}") == "lab.example.com/10.0.0.9"  # inline beats substituteFrom
    assert subst.defined("TOKEN") is True and subst.resolve("${TOKEN}") is None  # encrypted: known name only
    assert subst.defined("NOPE") is False


def test_one_resolver_for_an_application_and_for_what_flux_applies(tree) -> None:
    # Applied.resolve: a value with this application's variables (unknown: None); Substitutions.apply:
    # the text Flux's substitution step leaves, as written when the Kustomization has no postBuild.
    root = tree({
        "clusters/lab/flux-system/gotk-sync.yaml": GOTK,
        "clusters/lab/subst.yaml": ks("subst", "./subst", "  targetNamespace: ${NS}\n"
                                      "  postBuild:\n    substitute: {APP: echo, NS: media}\n"),
        "clusters/lab/plain.yaml": ks("plain", "./plain"),
        "subst/app.yaml": cm("with-subst", "default"),
        "plain/app.yaml": cm("without-subst", "default"),
    })
    result = lint(root)
    with_subst = applied(result)["with-subst"][0]
    assert with_subst.resolve("${APP}-db") == "echo-db"
    assert with_subst.resolve("${NOPE}") is None and with_subst.resolve(5) is None
    assert with_subst.substitutions.apply("${APP}-db") == "echo-db"
    # the parent (flux-system) substitutes nothing: the child's targetNamespace stays as written
    assert with_subst.namespace == "${NS}" and with_subst.resolved_namespace == "media"
    plain = applied(result)["without-subst"][0]
    assert plain.resolve("${APP}") is None and plain.resolve("${APP:=echo}") == "echo"
    assert plain.substitutions.apply("${APP}") == "${APP}"  # no postBuild: Flux leaves it alone
    assert plain.resolved_namespace == "default"


def test_parsed_inline_patches_belong_to_one_graph(tree) -> None:
    patch = "spec: {decryption: {provider: sops}}"
    parent = ks("cluster-apps", "./apps", f"  patches:\n    - patch: '{patch}'\n"
                "      target: {kind: Kustomization}\n")
    first = tree({"clusters/lab/flux-system/gotk-sync.yaml": GOTK, "clusters/lab/apps.yaml": parent,
                  "apps/child.yaml": ks("child", "./child"), "child/s.yaml": cm("c", "default")})
    graph = lint(first).index.graph
    assert patch in graph.patches.parsed
    from homeops_lint.flux import build_graph

    other = build_graph([])
    assert other.patches is not graph.patches and not other.patches.parsed


def test_parent_patches_and_kustomize_patches_reach_child_kustomizations(tree) -> None:
    parent = ks("cluster-apps", "./apps", "  patches:\n    - patch: |-\n        apiVersion: kustomize.toolkit.fluxcd.io/v1\n"
                "        kind: Kustomization\n        metadata: {name: not-used}\n"
                "        spec: {decryption: {provider: sops, secretRef: {name: sops-age}}}\n"
                "      target: {group: kustomize.toolkit.fluxcd.io, kind: Kustomization}\n")
    root = tree({
        "clusters/lab/flux-system/gotk-sync.yaml": GOTK,
        "clusters/lab/flux-system/kustomization.yaml": KUSTOMIZATION + "resources: [gotk-sync.yaml]\npatches:\n"
        "  - patch: |\n      - op: add\n        path: /spec/decryption\n        value: {provider: sops}\n"
        "    target: {kind: Kustomization, name: flux-system}\n",
        "clusters/lab/apps.yaml": parent,
        "apps/child.yaml": ks("child", "./child"),
        "child/s.yaml": cm("c", "default"),
    })
    graph = lint(root).index.graph
    specs = {n.name: n.spec for n in graph.nodes}
    assert specs["child"]["decryption"]["provider"] == "sops"
    assert specs["flux-system"]["decryption"] == {"provider": "sops"}
    assert "decryption" not in specs["cluster-apps"]


def test_source_artifact_exclusions(tree) -> None:
    root = tree({
        "clusters/lab/flux-system/gotk-sync.yaml": GOTK,
        "clusters/lab/.github/workflow-ish.yaml": cm("github"),
        "clusters/lab/.sourceignore": "drafts/\n",
        "clusters/lab/drafts/draft.yaml": cm("draft"),
        "clusters/lab/live.yaml": cm("live"),
    })
    names = applied(lint(root))
    assert "live" in names and "github" not in names and "draft" not in names


def test_each_cluster_is_its_own_tree(tree) -> None:
    other = GOTK.replace("./clusters/lab", "./clusters/prod")
    root = tree({
        "clusters/lab/flux-system/gotk-sync.yaml": GOTK,
        "clusters/prod/flux-system/gotk-sync.yaml": other,
        "clusters/lab/infra.yaml": ks("infra", "./infrastructure"),
        "clusters/prod/infra.yaml": ks("infra", "./infrastructure"),
        "infrastructure/app.yaml": cm("shared", "default"),
    })
    result = lint(root)
    assert len({id(a.root) for a in applied(result)["shared"]}) == 2
    assert not [f for f in result.all_findings if f.rule == "flux-duplicate-object"]


@given(st.dictionaries(st.from_regex(r"[A-Z_][A-Z0-9_]{0,8}", fullmatch=True),
                       st.text(alphabet="abc.-1", max_size=8), max_size=4),
       st.text(alphabet="${}:=-AB_x ", max_size=30))
def test_resolve_never_raises_and_leaves_no_known_variable(values: dict[str, str], text: str) -> None:
    subst = Substitutions(values=dict(values))
    out = subst.resolve(text)
    if out is not None:
        for name in values:
            assert "${" + name + "}" not in out.replace("$${", "")


def test_defaults_are_unknown_when_an_unreadable_source_may_define_the_variable() -> None:
    from homeops_lint.flux import Substitutions

    plain = Substitutions(values={"A": "1"})
    assert plain.resolve("${B:=10.0.0.5}") == "10.0.0.5"
    assert plain.resolve("${A:=x}") == "1"
    sops = Substitutions(values={"A": "1"}, opaque_names={"B"})
    assert sops.resolve("${B:=10.0.0.5}") is None  # B is defined, its value is encrypted
    opaque = Substitutions(values={"A": "1"}, opaque_sources=["Secret/cluster-secrets"])
    assert opaque.resolve("${B:=10.0.0.5}") is None  # B may come from the unreadable Secret
    assert opaque.resolve("${A:=x}") == "1"  # inline values beat substituteFrom


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=500 if os.environ.get("CI") else 100, deadline=None)
@given(st.text(alphabet="ab./-_ \nx1é", max_size=16), st.text(alphabet="ab./x", min_size=1, max_size=4))
def test_mentions_matches_the_boundary_regex(text: str, word: str) -> None:
    # flux-unreachable asks, for every candidate file, whether tooling text names it; the substring
    # scan that replaced a per-call regex (40 s -> 1.4 s on a repo of many clusters) means the same.
    import re

    from homeops_lint.flux import mentions

    expected = bool(re.search(r"(?<![\w.-])" + re.escape(word) + r"(?![\w.-])", text))
    assert mentions(text, word) == expected


# --- precision on real repositories (issue #13) -----------------------------------------------
def test_repo_key_matches_every_spelling_of_one_repository() -> None:
    from homeops_lint.flux import repo_key

    spellings = ["https://github.com/Example/home-ops", "https://github.com/example/home-ops.git",
                 "ssh://git@github.com/example/home-ops", "git@github.com:example/home-ops.git",
                 "https://github.com/example/home-ops/"]
    assert {repo_key(s) for s in spellings} == {"github.com/example/home-ops"}
    assert repo_key("https://github.com/example/other-ops") != repo_key(spellings[0])
    assert repo_key("${REPO_URL}") is None


def _oci(tag: str) -> str:
    return ("apiVersion: source.toolkit.fluxcd.io/v1\nkind: OCIRepository\nmetadata: {name: app-template}\n"
            f"spec: {{interval: 1h, url: oci://ghcr.io/bjw-s-labs/helm/app-template, ref: {{tag: {tag}}}}}\n")


def test_duplicate_object_warns_when_identical_and_errs_when_different(tree) -> None:
    apps = "\n---\n".join(ks(n, f"./apps/{n}", "  targetNamespace: media\n") for n in ("a", "b", "c", "d"))
    root = tree({
        "clusters/lab/flux-system/gotk-sync.yaml": GOTK,
        "clusters/lab/apps.yaml": apps,
        "apps/a/oci.yaml": _oci("4.0.1"),
        "apps/b/oci.yaml": _oci("4.0.1"),  # identical to a: converges
        "apps/c/cm.yaml": cm("same", "media"),
        "apps/d/cm.yaml": cm("same", "media").replace("A: b", "A: c"),  # differs from c: they fight
    })
    found = {(f.path, f.severity.value) for f in lint(root, "--select=flux-").findings
             if f.rule == "flux-duplicate-object"}
    assert found == {("apps/b/oci.yaml", "warning"), ("apps/d/cm.yaml", "error")}


SOPS_SECRET = ("apiVersion: v1\nkind: Secret\nmetadata: {name: sops-age}\n"
               "stringData: {age.agekey: 'ENC[AES256_GCM,data:eA==,type:str]'}\n"
               "sops: {mac: 'ENC[x]', version: 3.9.0}\n")


def test_sops_without_decryption_is_one_finding_per_file_and_kustomization(tree) -> None:
    component = "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nresources: [./secret.sops.yaml]\n"
    files = {
        "clusters/lab/flux-system/gotk-sync.yaml": GOTK,
        "clusters/lab/apps.yaml": ks("apps", "./apps"),
        "components/sops/kustomization.yaml": component,
        "components/sops/secret.sops.yaml": SOPS_SECRET,
    }
    for ns in ("one", "two", "three"):
        files[f"apps/{ns}/kustomization.yaml"] = KUSTOMIZATION + f"namespace: {ns}\ncomponents: [../../components/sops]\n"
    findings = [f for f in lint(tree(files), "--select=flux-").findings if f.rule == "flux-sops-no-decryption"]
    assert len(findings) == 1
    assert "in 3 namespaces" in findings[0].message


def test_fluxinstance_kustomize_patches_reach_the_sync_kustomization(tree) -> None:
    instance = """\
apiVersion: fluxcd.controlplane.io/v1
kind: FluxInstance
metadata: {name: flux, namespace: flux-system}
spec:
  distribution: {version: 2.x}
  sync: {kind: GitRepository, url: "https://github.com/example/home-ops", ref: refs/heads/main, path: kubernetes/flux}
  kustomize:
    patches:
      - patch: |
          - op: add
            path: /spec/decryption
            value: {provider: sops, secretRef: {name: sops-age}}
        target: {group: kustomize.toolkit.fluxcd.io, kind: Kustomization}
"""
    files = {"bootstrap/instance.yaml": instance, "kubernetes/flux/secret.sops.yaml": SOPS_SECRET}
    result = lint(tree(files), "--select=flux-")
    assert not [f for f in result.findings if f.rule == "flux-sops-no-decryption"]
    without = lint(tree({**files, "bootstrap/instance.yaml": instance.split("  kustomize:")[0]}), "--select=flux-")
    assert [f.rule for f in without.findings if f.rule == "flux-sops-no-decryption"] == ["flux-sops-no-decryption"]


def test_index_exposes_the_child_spec_after_the_parents_patches(tree) -> None:
    parent = ks("cluster-apps", "./apps", "  patches:\n    - patch: |\n        apiVersion: kustomize.toolkit.fluxcd.io/v1\n"
                "        kind: Kustomization\n        metadata: {name: _}\n"
                "        spec: {decryption: {provider: sops}, postBuild: {substitute: {DOMAIN: example.org}}}\n"
                "      target: {kind: Kustomization}\n")
    child = ("apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: echo, namespace: flux-system}\n"
             "spec: {interval: 10m, path: ./echo, sourceRef: {kind: GitRepository, name: flux-system}}\n")
    result = lint(tree({"clusters/lab/flux-system/gotk-sync.yaml": GOTK, "clusters/lab/apps.yaml": parent,
                        "apps/echo.yaml": child, "echo/cm.yaml": cm("x", "default")}), "--select=flux-")
    doc = next(d for d in result.index.all_of_kind("Kustomization") if d.name == "echo")
    spec = result.index.effective_spec(doc)
    assert spec["decryption"] == {"provider": "sops"}
    assert spec["postBuild"] == {"substitute": {"DOMAIN": "example.org"}}
    assert "decryption" not in doc.get("spec")


def test_source_defined_only_outside_the_flux_tree_is_a_warning(tree) -> None:
    helm_repo = ("apiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmRepository\n"
                 "metadata: {name: bjw-s, namespace: flux-system}\nspec: {interval: 1h, url: https://bjw-s.github.io/helm-charts}\n")
    release = ("apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata: {name: echo, namespace: flux-system}\n"
               "spec:\n  interval: 1h\n  chart: {spec: {chart: app-template, sourceRef: {kind: HelmRepository, name: bjw-s}}}\n")
    files = {"clusters/lab/flux-system/gotk-sync.yaml": GOTK, "clusters/lab/echo.yaml": release}
    alone = [f for f in lint(tree(files), "--select=flux-").findings if f.rule == "flux-source-missing"]
    assert [f.severity.value for f in alone] == ["error"]
    outside = lint(tree({**files, "bootstrap/repos/bjw-s.yaml": helm_repo}), "--select=flux-").findings
    found = [f for f in outside if f.rule == "flux-source-missing"]
    assert [f.severity.value for f in found] == ["warning"]
    assert "bootstrap/repos/bjw-s.yaml:3 defines it outside that tree" in found[0].message


@settings(max_examples=500 if os.environ.get("CI") else 100, deadline=None)
@given(st.text(alphabet="ab./-_ \n{}x1é", max_size=24),
       st.lists(st.sampled_from(["a", "b", "x.yaml", "kustomization.yaml", "a-b"]), min_size=1, max_size=4))
def test_mention_index_answers_like_the_scan(text: str, parts: list[str]) -> None:
    # The token index that replaced one scan of the whole tooling text per question (sulibot:
    # flux check 45 s -> 0.6 s of CPU) must name exactly the paths the scan names.
    from homeops_lint.flux import Mentions, mentions

    path = "/".join(parts)
    stem = "/".join(parts[:-1]) if parts[-1] == "kustomization.yaml" else path  # a folder is named
    pieces = stem.split("/")
    expected = any(mentions(text, "/".join(pieces[i:])) for i in range(0, max(1, len(pieces) - 1)))
    assert Mentions(text).path(path) == expected


@settings(max_examples=500 if os.environ.get("CI") else 100, deadline=None)
@given(st.text(alphabet="ab./-_ \n\r\t{}x1é\u2028", max_size=40))
def test_mention_tokens_are_the_slash_tokens_of_the_whole_text(text: str) -> None:
    # Only lines holding a '/' are tokenised: the same tokens as tokenising the whole text.
    from homeops_lint.flux import Mentions

    assert Mentions._slash_tokens(text) == [t for t in Mentions._TOKEN.findall(text) if "/" in t]


@settings(max_examples=500 if os.environ.get("CI") else 100, deadline=None)
@given(st.text(alphabet="ab/ -.\n\r", max_size=30), st.text(alphabet="ab/ -.\n", min_size=1, max_size=8))
def test_mention_of_any_word_answers_like_the_scan_of_the_whole_text(text: str, word: str) -> None:
    # A word with a '/' is looked up in the index or scanned in the lines holding a '/' only.
    from homeops_lint.flux import Mentions, mentions

    assert Mentions(text).word(word) == mentions(text, word)


_FRAGMENTS = st.lists(st.sampled_from(["a", "b", "a b", "b x", "x.yaml", "/", " ", "-", "\n"]), max_size=6).map("".join)


@settings(max_examples=500 if os.environ.get("CI") else 100, deadline=None)
@given(_FRAGMENTS, _FRAGMENTS, st.integers(0, 4),
       st.lists(st.sampled_from(["a", "b", "a b", "x.yaml", "b x", "kustomization.yaml"]), min_size=1, max_size=5))
def test_mention_of_a_path_with_spaces_answers_like_the_scan(before: str, after: str, start: int,
                                                              parts: list[str]) -> None:
    # A path holding a character outside the token class ("TV Shows - Overlays.yml") is answered
    # by a necessary-condition test on the index before the scan: never a different answer. The
    # text holds a tail of the path between random fragments, so that hits are common.
    from homeops_lint.flux import Mentions, mentions

    path = "/".join(parts)
    text = before + "/".join(parts[min(start, len(parts) - 1):]) + after
    stem = "/".join(parts[:-1]) if parts[-1] == "kustomization.yaml" else path
    pieces = stem.split("/")
    expected = any(mentions(text, "/".join(pieces[i:])) for i in range(0, max(1, len(pieces) - 1)))
    assert Mentions(text).path(path) == expected


@settings(max_examples=500 if os.environ.get("CI") else 100, deadline=None)
@given(st.sets(st.lists(st.sampled_from(["a", "b", "c.yaml"]), min_size=1, max_size=4).map("/".join), max_size=8))
def test_tree_folders_list_every_child_once(paths: set[str]) -> None:
    # Tree builds its folder map walking up from each file only to a known folder: the same map as
    # registering every prefix of every path.
    from homeops_lint.flux.tree import Tree
    from homeops_lint.model import SourceFile

    files = [SourceFile(path=p, abspath="/" + p, size=0) for p in sorted(paths)
             if not any(other.startswith(p + "/") for other in paths)]  # a path is a file or a folder
    expected: dict[str, set[str]] = {}
    for source in files:
        parts = source.path.split("/")
        for i in range(len(parts)):
            expected.setdefault("/".join(parts[:i]), set()).add("/".join(parts[: i + 1]))
    assert Tree(files).dirs == {folder: sorted(children) for folder, children in expected.items()}


def test_a_kustomization_tooling_applies_joins_the_single_cluster(tree) -> None:
    repos = ks("repositories", "./bootstrap/repositories")
    helm_repo = ("apiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmRepository\n"
                 "metadata: {name: bjw-s, namespace: flux-system}\nspec: {interval: 1h, url: https://bjw-s.github.io/helm-charts}\n")
    release = ("apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata: {name: echo, namespace: flux-system}\n"
               "spec:\n  interval: 1h\n  chart: {spec: {chart: app-template, sourceRef: {kind: HelmRepository, name: bjw-s}}}\n")
    files = {"clusters/lab/flux-system/gotk-sync.yaml": GOTK, "clusters/lab/echo.yaml": release,
             "bootstrap/flux/repositories-ks.yaml": repos, "bootstrap/repositories/bjw-s.yaml": helm_repo}
    unnamed = lint(tree(files), "--select=flux-")
    assert [f.severity.value for f in unnamed.findings if f.rule == "flux-source-missing"] == ["warning"]
    named = lint(tree({**files, "Taskfile.yaml": "version: '3'\ntasks:\n  bootstrap:\n    cmds:\n"
                       "      - kubectl apply -f bootstrap/flux/repositories-ks.yaml\n"}), "--select=flux-")
    assert not [f for f in named.findings if f.rule == "flux-source-missing"]
    roots = {a.root.name for a in named.index.applied if a.doc.kind == "HelmRepository"}
    assert roots == {"flux-system"}  # one cluster: the tooling root joined the gotk entrypoint


def oci_instance(path: str) -> str:
    return ("apiVersion: fluxcd.controlplane.io/v1\nkind: FluxInstance\nmetadata: {name: flux, namespace: flux-system}\n"
            "spec:\n  distribution: {version: 2.7.x}\n"
            f"  sync: {{kind: OCIRepository, url: oci://ghcr.io/example/manifests, ref: main, path: {path}}}\n")


def oci_ks(name: str, path: str) -> str:
    return ks(name, path).replace("kind: GitRepository", "kind: OCIRepository")


PUSH = ("jobs:\n  publish:\n    steps:\n      - run: |\n"
        "          flux push artifact oci://ghcr.io/example/manifests:$(git rev-parse --short HEAD) \\\n"
        "            --path={path} \\\n            --source=\"$(git config --get remote.origin.url)\"\n")


def path_findings(result) -> list[tuple[str, str, str]]:  # type: ignore[no-untyped-def]
    return [(f.path, f.severity.value, f.message) for f in result.all_findings if f.rule == "flux-path-missing"]


def test_pushed_artifact_paths_reads_every_spelling_of_the_path_flag() -> None:
    from homeops_lint.flux import pushed_artifact_paths

    text = ("flux push artifact oci://r/a:1 --path ./k8s --source=x\n"
            "flux build artifact --path=. --output=a.tgz\n"
            "  flux push artifact oci://r/b \\\n     --source s \\\n     --path=\"deploy/\"\n"
            "- >\n  flux push artifact oci://r/c\n  --path='./kubernetes'\n"
            "flux push artifact oci://r/d --path=\"{{.ROOT_DIR}}/x\"\n"  # a template: not guessed
            "flux push artifact oci://r/e --path=\"$DIR\"\n"
            "flux push artifact oci://r/f\n--path=./unrelated\n"  # a flag line after a finished command
            "echo --path=./not-flux\n")
    assert pushed_artifact_paths(text) == ["k8s", "", "deploy", "kubernetes", "unrelated"]
    assert pushed_artifact_paths("flux push artifact oci://r/a --path ../outside") == []


def test_oci_sync_paths_resolve_against_the_folder_ci_pushes(tmp_path: Path) -> None:
    from .conftest import write_tree

    files = {
        "kubernetes/flux/instance.yaml": oci_instance("./clusters/lab"),
        "kubernetes/clusters/lab/apps.yaml": oci_ks("apps", "./apps"),
        "kubernetes/apps/app.yaml": cm("app", "default"),
        # a second copy of clusters/lab: only the push says which one the artifact holds
        "archive/clusters/lab/old.yaml": cm("old", "default"),
        # another pushed folder, listed first, that does not hold the path
        ".github/workflows/docs.yaml": PUSH.format(path="./docs"),
        "docs/index.yaml": "title: docs\n",
        ".github/workflows/oci.yaml": PUSH.format(path='"./kubernetes"'),
    }
    result = lint(write_tree(tmp_path / "pushed", files))
    assert path_findings(result) == []
    node = next(n for n in result.index.graph.nodes if n.name == "apps")
    assert node.path == "kubernetes/apps"
    assert applied(result)["app"][0].kustomization.name == "apps"
    assert "old" not in applied(result)
    # Once the artifact root is known, a child path missing below it is the usual error.
    broken = {**files, "kubernetes/clusters/lab/apps.yaml": oci_ks("apps", "./apps/lab")}
    found = path_findings(lint(write_tree(tmp_path / "broken", broken)))
    assert [(p, s) for p, s, _m in found] == [("kubernetes/clusters/lab/apps.yaml", "error")]
    assert "pushes from kubernetes/" in found[0][2]
    # './' is the artifact root itself: the pushed folder, not the repository root
    whole = {**files, "kubernetes/flux/instance.yaml": oci_instance("./"),
             "kubernetes/kustomization.yaml": KUSTOMIZATION + "resources: [apps/app.yaml]\n"}
    root_node = lint(write_tree(tmp_path / "whole", whole)).index.graph.roots[0]
    assert root_node.synthetic and root_node.path == "kubernetes"


def test_oci_artifact_root_is_inferred_from_the_one_folder_holding_the_path(tmp_path: Path) -> None:
    from .conftest import write_tree

    files = {
        "kubernetes/flux/instance.yaml": oci_instance("./clusters/lab"),
        "kubernetes/clusters/lab/apps.yaml": oci_ks("apps", "./apps"),
        "kubernetes/apps/app.yaml": cm("app", "default"),
    }
    result = lint(write_tree(tmp_path / "inferred", files))
    assert path_findings(result) == []
    assert applied(result)["app"][0].kustomization.name == "apps"
    # A child path missing below an inferred root is only probably wrong: a warning.
    broken = {**files, "kubernetes/clusters/lab/apps.yaml": oci_ks("apps", "./apps/lab")}
    found = path_findings(lint(write_tree(tmp_path / "inferred-broken", broken)))
    assert [(p, s) for p, s, _m in found] == [("kubernetes/clusters/lab/apps.yaml", "warning")]
    assert "inferred to be kubernetes/" in found[0][2]


def test_unknown_oci_artifact_root_warns_and_a_git_source_keeps_the_error(tmp_path: Path) -> None:
    from .conftest import write_tree

    files = {
        "flux/instance.yaml": oci_instance("./clusters/lab"),
        "kubernetes/clusters/lab/a.yaml": cm("a", "default"),
        "staging/clusters/lab/b.yaml": cm("b", "default"),
    }
    result = lint(write_tree(tmp_path / "ambiguous", files))
    found = path_findings(result)
    assert [(p, s) for p, s, _m in found] == [("flux/instance.yaml", "warning")]
    assert "which is unknown" in found[0][2] and "./kubernetes/clusters/lab" in found[0][2]
    # either folder may be the one Flux builds: neither is reported as never applied
    assert not [f for f in result.all_findings if f.rule == "flux-unreachable"]
    nowhere = lint(write_tree(tmp_path / "nowhere", {"flux/instance.yaml": oci_instance("./clusters/gone")}))
    assert [(p, s) for p, s, _m in path_findings(nowhere)] == [("flux/instance.yaml", "warning")]
    git = lint(write_tree(tmp_path / "git", {
        **files, "flux/instance.yaml": oci_instance("./clusters/lab").replace("OCIRepository", "GitRepository")}))
    assert [(p, s) for p, s, _m in path_findings(git)] == [("flux/instance.yaml", "error")]


COMPONENT = "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n"
SUBSTITUTE_FROM_PATCH = (
    "  - target: {group: kustomize.toolkit.fluxcd.io, kind: Kustomization}\n"
    "    patch: |-\n      apiVersion: kustomize.toolkit.fluxcd.io/v1\n      kind: Kustomization\n"
    "      metadata: {name: not-used}\n"
    "      spec: {postBuild: {substituteFrom: [{kind: Secret, name: cluster-vars}]}}\n")


def _component_repo(tree, files: dict[str, str]):  # type: ignore[no-untyped-def]
    base = {"clusters/lab/flux-system/gotk-sync.yaml": GOTK, "clusters/lab/apps.yaml": ks("apps", "./apps"),
            "apps/echo/ks.yaml": ks("echo", "./apps/echo/app"), "apps/echo/app/cm.yaml": cm("echo", "default")}
    return lint(tree({**base, **files}), "--select=flux-")


def _spec_of(result, name: str):  # type: ignore[no-untyped-def]
    doc = next(d for d in result.index.all_of_kind("Kustomization") if d.name == name and "toolkit" in d.api_version)
    return result.index.effective_spec(doc)


def test_component_patches_reach_the_flux_kustomizations_of_the_including_build(tree) -> None:
    result = _component_repo(tree, {
        "apps/kustomization.yaml": KUSTOMIZATION + "components: [../components/envsubst]\nresources: [./echo/ks.yaml]\n",
        "components/envsubst/kustomization.yaml": COMPONENT + "components: [../sops]\npatches:\n" + SUBSTITUTE_FROM_PATCH,
        # a component listed by a component, with a JSON6902 patch read from a file
        "components/sops/kustomization.yaml": COMPONENT + "patches:\n  - path: decryption.yaml\n"
        "    target: {group: kustomize.toolkit.fluxcd.io, kind: Kustomization, name: ech.*}\n",
        "components/sops/decryption.yaml": "- op: add\n  path: /spec/decryption\n  value: {provider: sops}\n",
    })
    spec = _spec_of(result, "echo")
    assert spec["postBuild"] == {"substituteFrom": [{"kind": "Secret", "name": "cluster-vars"}]}
    assert spec["decryption"] == {"provider": "sops"}
    assert "postBuild" not in _spec_of(result, "apps")  # the component patches the build, not its Kustomization
    node = next(n for n in result.index.graph.nodes if n.name == "echo")
    assert node.substitutions.enabled and node.substitutions.defined("ANYTHING") is None


def test_component_patches_keep_kustomize_order_and_selectors(tree) -> None:
    result = _component_repo(tree, {
        "apps/kustomization.yaml": KUSTOMIZATION + "components: [../components/common]\n"
        "resources: [./echo/ks.yaml, ./whoami/ks.yaml]\npatches:\n"
        "  - target: {kind: Kustomization, name: echo}\n    patch: |\n      - op: replace\n"
        "        path: /spec/postBuild/substituteFrom/0/name\n        value: echo-vars\n",
        "apps/whoami/ks.yaml": ks("whoami", "./apps/whoami/app"),
        "apps/whoami/app/cm.yaml": cm("whoami", "default"),
        # a selector that matches no Kustomization leaves every spec alone
        "components/common/kustomization.yaml": COMPONENT + "patches:\n" + SUBSTITUTE_FROM_PATCH
        + "  - target: {kind: Kustomization, labelSelector: app=nothing}\n"
        "    patch: |\n      - op: add\n        path: /spec/suspend\n        value: true\n",
    })
    # the including file's own patches run after its components' patches
    assert _spec_of(result, "echo")["postBuild"]["substituteFrom"] == [{"kind": "Secret", "name": "echo-vars"}]
    assert _spec_of(result, "whoami")["postBuild"]["substituteFrom"] == [{"kind": "Secret", "name": "cluster-vars"}]
    assert "suspend" not in _spec_of(result, "echo")


def test_a_shared_json6902_patch_applies_afresh_to_each_kustomization(tree) -> None:
    patch = ("  - target: {kind: Kustomization}\n    patch: |\n      - op: add\n        path: /spec/postBuild\n"
             "        value: {substituteFrom: [{kind: ConfigMap, name: a}]}\n      - op: add\n"
             "        path: /spec/postBuild/substituteFrom/-\n        value: {kind: Secret, name: b}\n")
    result = _component_repo(tree, {
        "apps/kustomization.yaml": KUSTOMIZATION + "components: [../components/common]\n"
        "resources: [./echo/ks.yaml, ./whoami/ks.yaml]\n",
        "apps/whoami/ks.yaml": ks("whoami", "./apps/whoami/app"),
        "apps/whoami/app/cm.yaml": cm("whoami", "default"),
        "components/common/kustomization.yaml": COMPONENT + "patches:\n" + patch,
    })
    for name in ("echo", "whoami"):
        assert _spec_of(result, name)["postBuild"]["substituteFrom"] == [
            {"kind": "ConfigMap", "name": "a"}, {"kind": "Secret", "name": "b"}]


def test_components_listed_in_a_cycle_or_by_nothing_are_read_once(tree) -> None:
    result = _component_repo(tree, {
        "apps/kustomization.yaml": KUSTOMIZATION + "components: [../components/a]\nresources: [./echo/ks.yaml]\n",
        "components/a/kustomization.yaml": COMPONENT + "components: [../b]\n",
        "components/b/kustomization.yaml": COMPONENT + "components: [../a]\npatches:\n" + SUBSTITUTE_FROM_PATCH,
        # a component that nothing lists still patches the Kustomizations it lists itself
        "apps/lone/kustomization.yaml": COMPONENT + "resources: [ks.yaml]\npatches:\n" + SUBSTITUTE_FROM_PATCH,
        "apps/lone/ks.yaml": ks("lone", "./apps/echo/app"),
    })
    assert _spec_of(result, "echo")["postBuild"]["substituteFrom"] == [{"kind": "Secret", "name": "cluster-vars"}]
    from homeops_lint.flux.patches import kustomize_patches_by_doc
    from homeops_lint.flux.tree import Tree

    lone = next(d for d in result.index.all_of_kind("Kustomization") if d.name == "lone")
    patches = kustomize_patches_by_doc(Tree(result.index.files))
    assert len(patches[id(lone)]) == 1


def test_rules_judge_the_spec_a_component_gives_a_kustomization(tree) -> None:
    bare = ("apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\n"
            "metadata: {name: echo, namespace: flux-system}\nspec: {interval: 1h, path: ./apps/echo/app}\n")
    files = {"apps/kustomization.yaml": KUSTOMIZATION + "components: [../components/common]\nresources: [./echo/ks.yaml]\n",
             "apps/echo/ks.yaml": bare, "apps/echo/app/secret.sops.yaml": SOPS_SECRET,
             "components/common/kustomization.yaml": COMPONENT + "patches:\n  - target: {kind: Kustomization}\n"
             "    patch: |\n      - op: add\n        path: /spec/sourceRef\n"
             "        value: {kind: GitRepository, name: flux-system, namespace: flux-system}\n"
             "      - {op: add, path: /spec/prune, value: true}\n"
             "      - {op: add, path: /spec/decryption, value: {provider: sops}}\n"}
    rules = {"flux-prune-missing", "flux-sops-no-decryption"}
    assert not [f for f in _component_repo(tree, files).findings if f.rule in rules]
    unlisted = {**files, "apps/kustomization.yaml": KUSTOMIZATION + "resources: [./echo/ks.yaml]\n"}
    assert sorted(f.rule for f in _component_repo(tree, unlisted).findings if f.rule in rules) == sorted(rules)
