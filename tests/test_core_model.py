"""The loader keeps exact positions and YAML 1.2 meaning; classification names each document."""
from __future__ import annotations

from homeops_lint import yamlload
from homeops_lint.classify import classify_document, looks_templated
from homeops_lint.model import DocClass, format_path, pos_of

SERVICE = """\
apiVersion: v1
kind: Service
metadata:
  name: web
  annotations:
    lbipam.cilium.io/ips: "10.0.0.5"
spec:
  type: LoadBalancer
  ports:
    - port: 80
      name: http
"""


def test_key_and_value_positions() -> None:
    (data, line), = yamlload.load(SERVICE).documents
    assert line == 1
    assert pos_of(data, ("metadata", "annotations", "lbipam.cilium.io/ips")) == (6, 5, "")
    value = pos_of(data, ("metadata", "annotations", "lbipam.cilium.io/ips"), value=True)
    assert (value.line, value.column, value.style) == (6, 27, '"')
    assert pos_of(data, ("spec", "ports", 0, "name")) [:2] == (11, 7)
    # a missing key points at the deepest existing ancestor
    assert pos_of(data, ("spec", "loadBalancerIP"))[:2] == (7, 1)


def test_multi_document_lines() -> None:
    docs = yamlload.load("a: 1\n---\n# comment\nb: 2\n---\n").documents
    assert [line for _, line in docs] == [1, 4]


def test_yaml_12_scalars_and_source_style() -> None:
    (data, _), = yamlload.load("a: no\nb: 'no'\nc: on\nd: =\ne: 010\nf: 0o10\ng: 0x1F\nh: ~\ni: 1.5\nj: 2024-01-01\n").documents
    assert data == {"a": "no", "b": "no", "c": "on", "d": "=", "e": 10, "f": 8, "g": 31, "h": None,
                    "i": 1.5, "j": "2024-01-01"}
    assert data.vpos["a"].plain and not data.vpos["b"].plain


def test_merge_keys_and_aliases() -> None:
    text = "base: &b {x: 1, y: 2}\nitem:\n  <<: *b\n  y: 3\nref: *b\n"
    (data, _), = yamlload.load(text).documents
    assert data["item"] == {"x": 1, "y": 3}
    assert data["item"].anchor_keys == frozenset({"x"})
    assert data["ref"] == {"x": 1, "y": 2}


def test_duplicate_key_is_reported_not_fatal() -> None:
    result = yamlload.load("a: 1\nb: 2\na: 3\n")
    assert result.documents[0][0] == {"a": 3, "b": 2}
    assert [(p.rule, p.line, p.column) for p in result.problems] == [("parse-duplicate-key", 3, 1)]


def test_parse_error_has_a_line() -> None:
    result = yamlload.load("a: 1\nb: [1, 2\nc: 3\n")
    assert result.documents == []
    assert result.problems[0].rule == "parse-error" and result.problems[0].line >= 2


def test_format_path() -> None:
    assert format_path(("spec", "blocks", 0, "stop")) == "spec.blocks[0].stop"
    assert format_path(("metadata", "annotations", "lbipam.cilium.io/ips")) == 'metadata.annotations."lbipam.cilium.io/ips"'


def _cls(path: str, text: str) -> DocClass:
    (data, _), = yamlload.load(text).documents
    return classify_document(path, data)


def test_classification() -> None:
    assert _cls("a/svc.yaml", SERVICE) == DocClass.K8S
    assert _cls("a/kustomization.yaml", "resources: [a.yaml]\n") == DocClass.KUSTOMIZE
    assert _cls("talos/cp.yaml", "version: v1alpha1\nmachine: {type: controlplane}\ncluster: {}\n") == DocClass.TALOS
    assert _cls("talos/net.yaml", "apiVersion: v1alpha1\nkind: KubeNetworkConfig\npodSubnets: []\n") == DocClass.TALOS
    assert _cls("talos/patch.yaml", "cluster:\n  network:\n    podSubnets: [10.0.0.0/16]\n") == DocClass.TALOS
    assert _cls("talos/talconfig.yaml", "clusterName: x\nendpoint: https://1.2.3.4:6443\nnodes: []\n") == DocClass.TALHELPER
    assert _cls("x.sops.yaml", "data: ENC[AES256_GCM,data:x]\nsops: {mac: x, version: 3.8.1}\n") == DocClass.SOPS_OTHER
    assert _cls("values.yaml", "replicaCount: 2\n") == DocClass.OTHER


def test_template_detection() -> None:
    assert looks_templated("{{- if .Values.x }}\na: 1\n{{- end }}\n")
    assert looks_templated("a: #{ cluster.ip }#\n")
    assert not looks_templated('data:\n  password: "{{ .password }}"\n')
