"""schema-: resolution order, Kubernetes' reading of YAML, deferred values, messages, no network."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from homeops_lint import schemas
from homeops_lint.model import Document
from homeops_lint.yamlload import load

from .conftest import FIXTURES, lint, write_tree

ROOT_FIXTURE = FIXTURES / "schema" / "repo-crd"

POOL = """apiVersion: cilium.io/v2
kind: CiliumLoadBalancerIPPool
metadata: {name: lan}
spec:
  allowFirstLastIPs: {value}
  blocks: [{cidr: 10.0.0.0/24}]
"""


def schema_findings(root: Path) -> list[tuple[str, int, int, str, str]]:
    # schema rules alone: with every rule on, a domain rule that explains the same line (e.g.
    # lb-pool-invalid for an unquoted allowFirstLastIPs) is preferred over the schema finding
    return [(f.path, f.line, f.column, f.rule, f.message) for f in lint(root, "--select=schema-").all_findings
            if f.rule.startswith("schema-")]


def test_unquoted_no_is_a_boolean_to_kubernetes(tmp_path: Path) -> None:
    root = write_tree(tmp_path, {"pool.yaml": POOL.replace("{value}", "No")})
    found = schema_findings(root)
    assert [(f[1], f[2], f[3]) for f in found] == [(5, 3, "schema-invalid")]
    assert "quote it" in found[0][4]


def test_quoted_no_is_fine(tmp_path: Path) -> None:
    root = write_tree(tmp_path, {"pool.yaml": POOL.replace("{value}", '"No"')})
    assert schema_findings(root) == []


def test_typo_suggests_the_field(tmp_path: Path) -> None:
    root = write_tree(tmp_path, {"pool.yaml": POOL.replace("{value}", '"No"').replace("blocks", "blokcs")})
    assert schema_findings(root) == [("pool.yaml", 6, 3, "schema-unknown-field",
                                      "`spec.blokcs`: unknown field (did you mean `blocks`?)")]


def test_substitutions_and_sops_values_are_never_errors(tmp_path: Path) -> None:
    root = write_tree(tmp_path, {"svc.yaml": """apiVersion: v1
kind: Service
metadata: {name: s, namespace: "${NS}"}
spec:
  ports: [{port: "${PORT}", nodePort: ENC[AES256_GCM,data:MzA=,type:int]}]
sops: {mac: x, version: 3.9.0}
"""})
    assert schema_findings(root) == []


def test_kubernetes_version_comes_from_the_policy(tmp_path: Path) -> None:
    # ValidatingAdmissionPolicy is v1 since 1.30; with 1.29 schemas only v1beta1/v1alpha1 exist.
    doc = """apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: p}
spec: {failurePolicy: Fail}
"""
    policy = "version: 1\nrules: {schema-missing: info}\nschemas: {kubernetes_version: '%s'}\n"
    old = write_tree(tmp_path / "old", {"p.yaml": doc, ".homeops-lint.yaml": policy % "1.29"})
    new = write_tree(tmp_path / "new", {"p.yaml": doc, ".homeops-lint.yaml": policy % "1.35"})
    assert [f[3] for f in schema_findings(old)] == ["schema-missing"]
    assert schema_findings(new) == []


def test_version_picking() -> None:
    versions = schemas.kubernetes_versions()
    assert versions and schemas.pick_kubernetes_version(None) == versions[-1]
    assert schemas.pick_kubernetes_version("v1.30.4").startswith("1.30")
    assert schemas.pick_kubernetes_version("99.0") == versions[-1]


def test_remote_references_are_never_fetched(tmp_path: Path) -> None:
    root = write_tree(tmp_path, {
        ".homeops-lint.yaml": "version: 1\nrules: {schema-missing: info}\nschemas: {folders: [s]}\n",
        "s/example.com/thing_v1.json": '{"$ref": "https://example.com/remote.json"}',
        "t.yaml": "apiVersion: example.com/v1\nkind: Thing\nmetadata: {name: t}\n",
    })
    found = schema_findings(root)
    assert [f[3] for f in found] == ["schema-missing"]
    assert "cannot be used" in found[0][4] and "offline" in found[0][4]


def test_a_modeline_for_another_kind_is_not_applied(tmp_path: Path) -> None:
    root = write_tree(tmp_path, {
        ".homeops-lint.yaml": "version: 1\nschemas: {modelines: {'https://s.example/': local}}\n",
        "local/a.example/widget_v1.json": '{"properties": {"spec": {"additionalProperties": false}}}',
        "x.yaml": ("# yaml-language-server: $schema=https://s.example/a.example/widget_v1.json\n"
                   "apiVersion: a.example/v1\nkind: Gadget\nmetadata: {name: g}\nspec: {any: 1}\n"
                   "---\napiVersion: a.example/v1\nkind: Widget\nmetadata: {name: w}\nspec: {any: 1}\n"),
    })
    assert [(f[1], f[3]) for f in schema_findings(root)] == [(10, "schema-unknown-field")]


def test_odd_documents_do_not_crash(tmp_path: Path) -> None:
    root = write_tree(tmp_path, {"odd.yaml": """apiVersion: v1
kind: ConfigMap
metadata: {name: c, labels: {1: 2}}
data: {1: x, key: [1]}
---
apiVersion: 5
kind: [x]
"""})
    rules = [f[3] for f in schema_findings(root)]
    assert "schema-invalid" in rules  # int label value and list data value are real errors


def test_humanized_messages() -> None:
    schema = {"type": "object", "properties": {"spec": {"type": "object", "additionalProperties": False,
              "required": ["size"], "properties": {"size": {"type": "integer", "minimum": 1},
                                                  "mode": {"enum": ["a", "b"]}}}}}
    resolved = schemas.SchemaStore(Path("."), schemas.SchemaSettings())._compile(schema, "t")
    assert isinstance(resolved, schemas.Resolved)
    issues = schemas.validate(resolved, {"spec": {"size": 0, "mode": "c", "sise": 1}})
    assert sorted(i.message for i in issues) == [
        "`spec.mode`: expected one of \"a\", \"b\"",
        "`spec.sise`: unknown field (did you mean `size`?)",
        "`spec.size`: must be at least 1",
    ]


def test_yaml11_view_only_where_needed() -> None:
    data = load("a: on\nb: 'on'\nc: [no, 'no']\n").documents[0][0]
    assert schemas.k8s_view(data) == {"a": True, "b": "on", "c": [False, "no"]}
    assert schemas.needs_yaml11_view("a: on\n") and not schemas.needs_yaml11_view("a: 'on'\nb: nope\n")
    doc = Document("x.yaml", 0, data, 1)
    assert schemas.document_view(doc, False) is data  # no copy when the text cannot hold one


def test_kubernetes_validate_is_not_imported() -> None:
    code = ("import sys; from homeops_lint.engine import Options, run; "
            "run(Options(paths=['fixtures/home-ops'], root='fixtures/home-ops', select=['schema-'])); "
            "print('kubernetes_validate' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=Path(__file__).resolve().parent.parent, timeout=120)
    assert out.stdout.strip() == "False", out.stderr


def test_a_crd_is_validated_as_a_crd(tmp_path: Path) -> None:
    # A field named like a JSON Schema keyword ("description") must stay a field.
    crd = (ROOT_FIXTURE / "crd.yaml").read_text()
    root = write_tree(tmp_path, {"crd.yaml": crd.replace("size: {type: integer, minimum: 1}",
                                                         "size: {type: integer, minimum: 1, description: Size.}")})
    assert schema_findings(root) == []


def test_hostile_kind_names_never_reach_the_disk(tmp_path: Path) -> None:
    # Found by the fixture-mutation property: a kind thousands of characters long used to become a
    # schema file name (OSError: File name too long) and end the run with exit 2.
    long_kind = "ExternalSecret" + "x" * 3000
    root = write_tree(tmp_path, {
        "a.yaml": f"apiVersion: external-secrets.io/v1\nkind: {long_kind}\nmetadata: {{name: a}}\n",
        "b.yaml": "apiVersion: v1\nkind: Service/../../etc\nmetadata: {name: b}\n",
        "c.yaml": "apiVersion: ../../v1\nkind: Service\nmetadata: {name: c}\n",
    })
    assert schema_findings(root) == []


# --- what the API server receives (issue #13) ---------------------------------------------------
def _severities(root: Path) -> dict[tuple[str, int], tuple[str, str]]:
    return {(f.path, f.line): (f.rule, f.severity.value) for f in lint(root, "--select=schema-").all_findings
            if f.rule.startswith("schema-")}


def test_api_server_view_fixture_severities() -> None:
    found = _severities(FIXTURES / "schema" / "api-server-view")
    # a type error inside a patch is still an error; a sketch in docs/ that nothing applies warns
    assert found == {("patches/replicas.yaml", 6): ("schema-invalid", "error"),
                     ("docs/tuning.yaml", 6): ("schema-invalid", "warning")}


def test_explicit_null_counts_as_absent(tmp_path: Path) -> None:
    pool = POOL.replace("{value}", '"No"') + "  serviceSelector: null\n"
    assert schema_findings(write_tree(tmp_path / "a", {"pool.yaml": pool})) == []
    # a required field set to null is still missing: the API server rejects that object
    nulled = POOL.replace("{value}", '"No"').replace("blocks: [{cidr: 10.0.0.0/24}]", "blocks: null")
    kustomization = ("apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: a}\n"
                     "spec: {interval: 1h, prune: null, sourceRef: {kind: GitRepository, name: x}}\n")
    found = schema_findings(write_tree(tmp_path / "b", {"pool.yaml": nulled, "ks.yaml": kustomization}))
    assert [(f[0], f[3]) for f in found] == [("ks.yaml", "schema-invalid")]
    assert "missing required field `prune`" in found[0][4]


def test_a_patch_listed_as_a_resource_is_an_object(tmp_path: Path) -> None:
    partial = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a}\nspec: {replicas: 2}\n"
    files = {"kustomization.yaml": "resources: [patch.yaml]\npatches: [{path: patch.yaml}]\n", "patch.yaml": partial}
    found = schema_findings(write_tree(tmp_path, files))
    assert {f[4].split(": ", 1)[1] for f in found} == {"missing required field `selector`",
                                                      "missing required field `template`"}


def test_unreached_flux_child_without_source_warns_when_a_parent_patches_children(tmp_path: Path) -> None:
    parent = (FIXTURES / "schema" / "flux-parent-patches" / "kubernetes" / "flux" / "cluster" / "ks.yaml").read_text()
    orphan = ("apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: orphan, "
              "namespace: flux-system}\nspec: {interval: 1h, path: ./nowhere}\n")
    root = write_tree(tmp_path, {"flux/ks.yaml": parent, "elsewhere/ks.yaml": orphan})
    found = {k: v for k, v in _severities(root).items() if k[0] == "elsewhere/ks.yaml"}
    assert set(found.values()) == {("schema-invalid", "warning")}
    without_patches = parent.split("  patches:")[0]
    root = write_tree(tmp_path / "plain", {"flux/ks.yaml": without_patches, "elsewhere/ks.yaml": orphan})
    found = {k: v for k, v in _severities(root).items() if k[0] == "elsewhere/ks.yaml"}
    assert set(found.values()) == {("schema-invalid", "error")}
