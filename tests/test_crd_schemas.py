"""Tests for the focused CRD-subset JSON Schemas under schemas/crds/.

Every schema must be a valid draft 2020-12 schema, accept a realistic correct
object of its kind, and reject the realistic mistakes listed in MISTAKES at the
expected JSON path.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft202012Validator

SCHEMA_DIR = Path(__file__).resolve().parent.parent / "schemas" / "crds"
SCHEMA_FILES = sorted(SCHEMA_DIR.rglob("*.json"))


def schema_path(api_version: str, kind: str) -> Path:
    group, version = api_version.split("/")
    return SCHEMA_DIR / group / f"{kind.lower()}_{version}.json"


def validator_for(obj: dict) -> Draft202012Validator:
    path = schema_path(obj["apiVersion"], obj["kind"])
    return Draft202012Validator(json.loads(path.read_text()))


def errors_of(obj: dict) -> list:
    return sorted(validator_for(obj).iter_errors(obj), key=lambda e: list(e.absolute_path))


def load(doc: str) -> dict:
    return yaml.safe_load(doc)


# --------------------------------------------------------------------------
# Correct examples, one per schema file (domain.md "Correct" examples where given)
# --------------------------------------------------------------------------

CORRECT = {
    "cilium.io/ciliumloadbalancerippool_v2": """
apiVersion: cilium.io/v2
kind: CiliumLoadBalancerIPPool
metadata:
  name: lan-vips
spec:
  allowFirstLastIPs: "No"
  blocks:
    - cidr: 10.20.30.0/26
    - start: 10.20.30.200
      stop: 10.20.30.210
    - start: 10.20.30.250
  serviceSelector:
    matchExpressions:
      - {key: io.kubernetes.service.namespace, operator: In, values: [network, kube-system]}
""",
    "cilium.io/ciliumloadbalancerippool_v2alpha1": """
apiVersion: cilium.io/v2alpha1
kind: CiliumLoadBalancerIPPool
metadata:
  name: legacy-pool
spec:
  cidrs:
    - cidr: 192.168.50.0/28
  blocks:
    - cidr: 192.168.51.0/28
  disabled: false
""",
    "cilium.io/ciliuml2announcementpolicy_v2alpha1": """
apiVersion: cilium.io/v2alpha1
kind: CiliumL2AnnouncementPolicy
metadata:
  name: l2-policy
spec:
  loadBalancerIPs: true
  interfaces: ["^eth[0-9]+"]
  nodeSelector:
    matchLabels:
      kubernetes.io/os: linux
""",
    "cilium.io/ciliumbgpclusterconfig_v2": """
apiVersion: cilium.io/v2
kind: CiliumBGPClusterConfig
metadata: {name: home}
spec:
  nodeSelector: {matchLabels: {kubernetes.io/os: linux}}
  bgpInstances:
    - name: cluster
      localASN: 65010
      peers:
        - name: router
          peerAddress: 10.20.0.1
          peerASN: 65000
          peerConfigRef: {name: router-peer}
""",
    "cilium.io/ciliumbgpclusterconfig_v2alpha1": """
apiVersion: cilium.io/v2alpha1
kind: CiliumBGPClusterConfig
metadata: {name: home}
spec:
  bgpInstances:
    - name: cluster
      localASN: 65010
      peers:
        - name: router
          peerAddress: 10.20.0.1
          peerASN: 65000
          peerConfigRef: {name: router-peer, group: cilium.io, kind: CiliumBGPPeerConfig}
""",
    "cilium.io/ciliumbgppeerconfig_v2": """
apiVersion: cilium.io/v2
kind: CiliumBGPPeerConfig
metadata: {name: router-peer}
spec:
  timers: {holdTimeSeconds: 9, keepAliveTimeSeconds: 3}
  gracefulRestart: {enabled: true, restartTimeSeconds: 15}
  families:
    - afi: ipv4
      safi: unicast
      advertisements: {matchLabels: {bgp: lb}}
""",
    "cilium.io/ciliumbgppeerconfig_v2alpha1": """
apiVersion: cilium.io/v2alpha1
kind: CiliumBGPPeerConfig
metadata: {name: router-peer}
spec:
  transport: {peerPort: 179}
  families:
    - afi: ipv4
      safi: unicast
      advertisements: {matchLabels: {bgp: lb}}
""",
    "cilium.io/ciliumbgpadvertisement_v2": """
apiVersion: cilium.io/v2
kind: CiliumBGPAdvertisement
metadata: {name: lb-ips, labels: {bgp: lb}}
spec:
  advertisements:
    - advertisementType: Service
      service: {addresses: [LoadBalancerIP]}
      selector:
        matchExpressions: [{key: bgp.example/skip, operator: NotIn, values: ["true"]}]
    - advertisementType: PodCIDR
      attributes:
        communities: {standard: ["65000:100"], wellKnown: [no-export]}
""",
    "cilium.io/ciliumbgpadvertisement_v2alpha1": """
apiVersion: cilium.io/v2alpha1
kind: CiliumBGPAdvertisement
metadata: {name: lb-ips, labels: {bgp: lb}}
spec:
  advertisements:
    - advertisementType: Service
      service: {addresses: [LoadBalancerIP, ExternalIP]}
      selector: {matchLabels: {announce: bgp}}
""",
    "cilium.io/ciliumbgpnodeconfigoverride_v2": """
apiVersion: cilium.io/v2
kind: CiliumBGPNodeConfigOverride
metadata: {name: node-01}
spec:
  bgpInstances:
    - name: cluster
      routerID: 10.20.0.11
      peers:
        - name: router
          localAddress: 10.20.0.11
""",
    "cilium.io/ciliumbgpnodeconfigoverride_v2alpha1": """
apiVersion: cilium.io/v2alpha1
kind: CiliumBGPNodeConfigOverride
metadata: {name: node-01}
spec:
  bgpInstances:
    - name: cluster
      localPort: 1790
      peers:
        - {name: router, localAddress: 10.20.0.11}
""",
    "cilium.io/ciliumbgppeeringpolicy_v2alpha1": """
apiVersion: cilium.io/v2alpha1
kind: CiliumBGPPeeringPolicy
metadata: {name: legacy}
spec:
  nodeSelector: {matchLabels: {kubernetes.io/os: linux}}
  virtualRouters:
    - localASN: 65010
      exportPodCIDR: false
      serviceSelector:
        matchExpressions: [{key: somekey, operator: NotIn, values: [never-used-value]}]
      neighbors:
        - peerAddress: 10.20.0.1/32
          peerASN: 65000
          holdTimeSeconds: 9
""",
    "postgresql.cnpg.io/cluster_v1": """
apiVersion: postgresql.cnpg.io/v1
kind: Cluster
metadata: {name: app-db, namespace: apps}
spec:
  instances: 2
  imageName: ghcr.io/cloudnative-pg/postgresql:17.5
  primaryUpdateStrategy: unsupervised
  storage: {size: 5Gi, storageClass: openebs-hostpath}
  postgresql:
    parameters: {max_connections: "200"}
  bootstrap:
    recovery: {source: old-db}
  enableSuperuserAccess: true
  monitoring: {enablePodMonitor: true}
  plugins:
    - name: barman-cloud.cloudnative-pg.io
      isWALArchiver: true
      parameters: {barmanObjectName: app-db-store}
  externalClusters:
    - name: old-db
      plugin:
        name: barman-cloud.cloudnative-pg.io
        parameters: {barmanObjectName: app-db-store, serverName: app-db-old}
""",
    "postgresql.cnpg.io/scheduledbackup_v1": """
apiVersion: postgresql.cnpg.io/v1
kind: ScheduledBackup
metadata: {name: app-db-nightly, namespace: apps}
spec:
  schedule: "0 15 2 * * *"
  cluster: {name: app-db}
  method: plugin
  pluginConfiguration: {name: barman-cloud.cloudnative-pg.io}
  backupOwnerReference: self
  immediate: true
""",
    "postgresql.cnpg.io/backup_v1": """
apiVersion: postgresql.cnpg.io/v1
kind: Backup
metadata: {name: app-db-manual, namespace: apps}
spec:
  cluster: {name: app-db}
  method: plugin
  pluginConfiguration: {name: barman-cloud.cloudnative-pg.io}
""",
    "barmancloud.cnpg.io/objectstore_v1": """
apiVersion: barmancloud.cnpg.io/v1
kind: ObjectStore
metadata: {name: app-db-store, namespace: apps}
spec:
  retentionPolicy: 14d
  configuration:
    destinationPath: s3://pg-backups/app-db/
    endpointURL: http://minio.storage.svc:9000
    s3Credentials:
      accessKeyId: {name: app-db-s3, key: ACCESS_KEY_ID}
      secretAccessKey: {name: app-db-s3, key: SECRET_ACCESS_KEY}
    wal: {compression: zstd, maxParallel: 4}
    data: {compression: gzip, jobs: 2}
  instanceSidecarConfiguration:
    retentionPolicyIntervalSeconds: 3600
    resources: {requests: {cpu: 10m, memory: 64Mi}}
""",
    "kustomize.toolkit.fluxcd.io/kustomization_v1": """
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: ingress-vips, namespace: network}
spec:
  interval: 30m
  prune: true
  path: ./kubernetes/apps/network/vips/app
  sourceRef: {kind: GitRepository, name: flux-system, namespace: flux-system}
  decryption: {provider: sops, secretRef: {name: sops-age}}
  dependsOn:
    - {name: cilium, namespace: kube-system}
  postBuild:
    substitute: {INGRESS_IP: "10.20.30.10"}
    substituteFrom:
      - {kind: Secret, name: cluster-secrets}
  patches:
    - patch: |-
        - op: add
          path: /spec/timeout
          value: 5m
      target: {group: helm.toolkit.fluxcd.io, kind: HelmRelease}
""",
    "helm.toolkit.fluxcd.io/helmrelease_v2": """
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: {name: cilium, namespace: kube-system}
spec:
  interval: 1h
  chartRef: {kind: OCIRepository, name: cilium}
  install: {remediation: {retries: -1}}
  upgrade: {cleanupOnFail: true, remediation: {retries: 3}}
  valuesFrom:
    - {kind: ConfigMap, name: cilium-values}
  values:
    bgpControlPlane: {enabled: true}
    k8sServiceHost: 127.0.0.1
    k8sServicePort: 7445
""",
    "source.toolkit.fluxcd.io/gitrepository_v1": """
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata: {name: flux-system, namespace: flux-system}
spec:
  interval: 1m0s
  url: ssh://git@github.com/example/home-ops
  ref: {branch: main}
  secretRef: {name: flux-system}
  ignore: |
    /*
    !/kubernetes
""",
    "source.toolkit.fluxcd.io/ocirepository_v1": """
apiVersion: source.toolkit.fluxcd.io/v1
kind: OCIRepository
metadata: {name: cilium, namespace: kube-system}
spec:
  interval: 15m
  layerSelector: {mediaType: application/vnd.cncf.helm.chart.content.v1.tar+gzip, operation: copy}
  ref: {tag: 1.18.1}
  url: oci://ghcr.io/home-operations/charts-mirror/cilium
""",
    "source.toolkit.fluxcd.io/helmrepository_v1": """
apiVersion: source.toolkit.fluxcd.io/v1
kind: HelmRepository
metadata: {name: bjw-s, namespace: flux-system}
spec:
  type: oci
  interval: 1h
  url: oci://ghcr.io/bjw-s/helm
""",
    "external-secrets.io/externalsecret_v1": """
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: app-db-s3, namespace: apps}
spec:
  refreshInterval: 1h
  secretStoreRef: {kind: ClusterSecretStore, name: onepassword}
  target:
    name: app-db-s3
    template:
      data:
        ACCESS_KEY_ID: "{{ .MINIO_ACCESS_KEY }}"
  data:
    - secretKey: SECRET_ACCESS_KEY
      remoteRef: {key: minio, property: secret_key}
  dataFrom:
    - extract: {key: minio}
""",
    "external-secrets.io/clustersecretstore_v1": """
apiVersion: external-secrets.io/v1
kind: ClusterSecretStore
metadata: {name: onepassword}
spec:
  provider:
    onepasswordSDK:
      vault: homelab
      auth:
        serviceAccountSecretRef: {name: onepassword-secret, key: token, namespace: external-secrets}
""",
    "external-secrets.io/secretstore_v1": """
apiVersion: external-secrets.io/v1
kind: SecretStore
metadata: {name: onepassword-connect, namespace: apps}
spec:
  refreshInterval: 60
  provider:
    onepassword:
      connectHost: http://onepassword-connect.external-secrets.svc:8080
      vaults: {homelab: 1}
      auth:
        secretRef:
          connectTokenSecretRef: {name: onepassword-connect, key: token}
""",
}


def test_every_schema_file_has_an_example():
    names = {str(p.relative_to(SCHEMA_DIR).with_suffix("")) for p in SCHEMA_FILES}
    assert names == set(CORRECT), names ^ set(CORRECT)


@pytest.mark.parametrize("path", SCHEMA_FILES, ids=lambda p: str(p.relative_to(SCHEMA_DIR)))
def test_schema_is_valid_draft_2020_12(path: Path):
    schema = json.loads(path.read_text())
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    rel = path.relative_to(SCHEMA_DIR).as_posix()
    assert schema["$id"] == f"https://homeops-lint.dev/schemas/crds/{rel}"
    assert schema["title"] and schema["description"]
    group = path.parent.name
    kind, version = path.stem.rsplit("_", 1)
    assert schema["properties"]["apiVersion"] == {"const": f"{group}/{version}"}
    assert schema["properties"]["kind"]["const"].lower() == kind
    assert schema["properties"]["spec"].get("additionalProperties") is False


@pytest.mark.parametrize("name", sorted(CORRECT))
def test_correct_example_validates(name: str):
    obj = load(CORRECT[name])
    assert schema_path(obj["apiVersion"], obj["kind"]) == SCHEMA_DIR / f"{name}.json"
    errs = errors_of(obj)
    assert errs == [], [f"{list(e.absolute_path)}: {e.message}" for e in errs]


def test_status_is_free_form():
    obj = load(CORRECT["cilium.io/ciliumloadbalancerippool_v2"])
    obj["status"] = {"conditions": [{"type": "cilium.io/PoolConflict", "status": "False"}], "anything": 1}
    assert errors_of(obj) == []


def test_wrong_api_version_or_kind_is_rejected():
    obj = load(CORRECT["cilium.io/ciliumloadbalancerippool_v2"])
    v = validator_for(obj)
    bad = dict(obj, kind="CiliumLoadBalancerIPPools")
    assert any(list(e.absolute_path) == ["kind"] for e in v.iter_errors(bad))


# --------------------------------------------------------------------------
# Realistic mistakes: (example key, mutation, expected error path, text expected in the message)
# --------------------------------------------------------------------------

def _set(path, value):
    def mutate(obj):
        cur = obj
        for key in path[:-1]:
            cur = cur[key]
        cur[path[-1]] = value
    return mutate


def _rename(path, old, new):
    def mutate(obj):
        cur = obj
        for key in path:
            cur = cur[key]
        cur[new] = cur.pop(old)
    return mutate


def _delete(path):
    def mutate(obj):
        cur = obj
        for key in path[:-1]:
            cur = cur[key]
        del cur[path[-1]]
    return mutate


MISTAKES = [
    # Cilium pool
    ("cilium.io/ciliumloadbalancerippool_v2", _rename(["spec"], "blocks", "blokcs"), ["spec"], "blokcs"),
    ("cilium.io/ciliumloadbalancerippool_v2", _set(["spec", "allowFirstLastIPs"], False),
     ["spec", "allowFirstLastIPs"], "False"),
    ("cilium.io/ciliumloadbalancerippool_v2", _set(["spec", "allowFirstLastIPs"], "no"),
     ["spec", "allowFirstLastIPs"], "'no'"),
    ("cilium.io/ciliumloadbalancerippool_v2", _set(["spec", "cidrs"], [{"cidr": "10.0.0.0/24"}]), ["spec"], "cidrs"),
    ("cilium.io/ciliumloadbalancerippool_v2", _set(["spec", "blocks"], [{"stop": "10.20.30.9"}]),
     ["spec", "blocks", 0], ""),
    ("cilium.io/ciliumloadbalancerippool_v2", _set(["spec", "blocks"], [{"cidr": "10.0.0.0/24", "start": "10.0.0.1"}]),
     ["spec", "blocks", 0], ""),
    ("cilium.io/ciliumloadbalancerippool_v2", _set(["spec", "blocks"], [{"range": "10.0.0.1-10.0.0.9"}]),
     ["spec", "blocks", 0], "range"),
    # Cilium BGP
    ("cilium.io/ciliumbgpclusterconfig_v2",
     _rename(["spec", "bgpInstances", 0, "peers", 0], "peerASN", "peerAsn"),
     ["spec", "bgpInstances", 0, "peers", 0], "peerAsn"),
    ("cilium.io/ciliumbgpclusterconfig_v2",
     _set(["spec", "bgpInstances", 0, "peers", 0, "peerConfigRef", "kind"], "CiliumBGPPeerConfig"),
     ["spec", "bgpInstances", 0, "peers", 0, "peerConfigRef"], "kind"),
    ("cilium.io/ciliumbgppeerconfig_v2", _set(["spec", "families", 0, "afi"], "IPv4"),
     ["spec", "families", 0, "afi"], "IPv4"),
    ("cilium.io/ciliumbgpadvertisement_v2",
     _set(["spec", "advertisements", 0, "service", "addresses"], ["LoadBalancerIPs"]),
     ["spec", "advertisements", 0, "service", "addresses", 0], "LoadBalancerIPs"),
    ("cilium.io/ciliumbgpadvertisement_v2", _delete(["spec", "advertisements", 0, "service"]),
     ["spec", "advertisements", 0], "service"),
    ("cilium.io/ciliumbgppeeringpolicy_v2alpha1",
     _set(["spec", "virtualRouters", 0, "neighbors", 0, "peerAddress"], "10.20.0.1"),
     ["spec", "virtualRouters", 0, "neighbors", 0, "peerAddress"], ""),
    ("cilium.io/ciliumbgpnodeconfigoverride_v2", _rename(["spec", "bgpInstances", 0], "routerID", "routerId"),
     ["spec", "bgpInstances", 0], "routerId"),
    ("cilium.io/ciliuml2announcementpolicy_v2alpha1", _set(["spec", "loadBalancerIPs"], "true"),
     ["spec", "loadBalancerIPs"], "'true'"),
    # CloudNativePG
    ("postgresql.cnpg.io/cluster_v1", _set(["spec", "plugins", 0, "isWalArchiver"], True),
     ["spec", "plugins", 0], "isWalArchiver"),
    ("postgresql.cnpg.io/cluster_v1", _set(["spec", "retentionPolicy"], "14d"), ["spec"], "retentionPolicy"),
    ("postgresql.cnpg.io/cluster_v1", _set(["spec", "instances"], 0), ["spec", "instances"], "0"),
    ("postgresql.cnpg.io/scheduledbackup_v1", _set(["spec", "method"], "plugins"), ["spec", "method"], "plugins"),
    ("postgresql.cnpg.io/scheduledbackup_v1", _set(["spec", "barmanObjectName"], "app-db-store"),
     ["spec"], "barmanObjectName"),
    ("postgresql.cnpg.io/backup_v1", _set(["spec", "target"], "standby"), ["spec", "target"], "standby"),
    ("barmancloud.cnpg.io/objectstore_v1", _set(["spec", "configuration", "data", "compression"], "zstd"),
     ["spec", "configuration", "data", "compression"], "zstd"),
    ("barmancloud.cnpg.io/objectstore_v1", _set(["spec", "configuration", "serverName"], "app-db"),
     ["spec", "configuration", "serverName"], ""),
    ("barmancloud.cnpg.io/objectstore_v1", _set(["spec", "configuration", "retentionPolicy"], "14d"),
     ["spec", "configuration"], "retentionPolicy"),
    ("barmancloud.cnpg.io/objectstore_v1", _set(["spec", "retentionPolicy"], "14 days"),
     ["spec", "retentionPolicy"], "14 days"),
    ("barmancloud.cnpg.io/objectstore_v1", _delete(["spec", "configuration", "destinationPath"]),
     ["spec", "configuration"], "destinationPath"),
    # Flux
    ("kustomize.toolkit.fluxcd.io/kustomization_v1", _delete(["spec", "prune"]), ["spec"], "prune"),
    ("kustomize.toolkit.fluxcd.io/kustomization_v1", _set(["spec", "postBuild", "substitute", "DNS_PORT"], 53),
     ["spec", "postBuild", "substitute", "DNS_PORT"], "53"),
    ("kustomize.toolkit.fluxcd.io/kustomization_v1", _set(["spec", "sourceRef", "kind"], "HelmRepository"),
     ["spec", "sourceRef", "kind"], "HelmRepository"),
    ("kustomize.toolkit.fluxcd.io/kustomization_v1", _set(["spec", "patchesStrategicMerge"], []),
     ["spec"], "patchesStrategicMerge"),
    ("kustomize.toolkit.fluxcd.io/kustomization_v1", _set(["spec", "interval"], "30 minutes"),
     ["spec", "interval"], "30 minutes"),
    ("helm.toolkit.fluxcd.io/helmrelease_v2",
     _set(["spec", "chart"], {"spec": {"chart": "cilium", "sourceRef": {"kind": "HelmRepository", "name": "cilium"}}}),
     ["spec"], ""),
    ("helm.toolkit.fluxcd.io/helmrelease_v2", _delete(["spec", "chartRef"]), ["spec"], ""),
    ("helm.toolkit.fluxcd.io/helmrelease_v2", _set(["spec", "chartRef", "kind"], "HelmRepository"),
     ["spec", "chartRef", "kind"], "HelmRepository"),
    ("source.toolkit.fluxcd.io/gitrepository_v1", _set(["spec", "ref", "branches"], "main"),
     ["spec", "ref"], "branches"),
    ("source.toolkit.fluxcd.io/ocirepository_v1", _set(["spec", "url"], "ghcr.io/example/chart"),
     ["spec", "url"], ""),
    # External Secrets
    ("external-secrets.io/externalsecret_v1", _set(["spec", "secretStoreRef", "kind"], "ClusterSecretStores"),
     ["spec", "secretStoreRef", "kind"], "ClusterSecretStores"),
    ("external-secrets.io/externalsecret_v1", _rename(["spec", "data", 0], "remoteRef", "remoteref"),
     ["spec", "data", 0], "remoteref"),
    ("external-secrets.io/clustersecretstore_v1", _rename(["spec"], "provider", "providers"), ["spec"], "provider"),
]


@pytest.mark.parametrize(
    "name,mutate,path,text", MISTAKES,
    ids=[f"{m[0].split('/')[1]}:{'.'.join(map(str, m[2]))}:{m[3] or 'constraint'}" for m in MISTAKES],
)
def test_mistake_is_reported_at_path(name, mutate, path, text):
    obj = load(CORRECT[name])
    mutate(obj)
    errs = errors_of(obj)
    at_path = [e for e in errs if list(e.absolute_path) == path]
    assert at_path, [f"{list(e.absolute_path)}: {e.message}" for e in errs]
    if text:
        assert any(text in e.message for e in at_path), [e.message for e in at_path]


def test_mistakes_cover_at_least_ten_kinds():
    kinds = {m[0].split("/")[1].rsplit("_", 1)[0] for m in MISTAKES}
    assert len(kinds) >= 10, kinds


def test_v2alpha1_pool_still_accepts_deprecated_cidrs_but_v2_does_not():
    old = load(CORRECT["cilium.io/ciliumloadbalancerippool_v2alpha1"])
    assert errors_of(old) == []
    new = dict(old, apiVersion="cilium.io/v2")
    assert any("cidrs" in e.message for e in errors_of(new))
