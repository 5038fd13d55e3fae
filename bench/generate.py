#!/usr/bin/env python3
"""Deterministic generator of synthetic GitOps "home-ops" repositories.

The layout follows onedr0p/cluster-template:

    .homeops-lint.yaml               architecture block (networks, pools, BGP)
    .sops.yaml                       SOPS creation rules
    clusters/main/flux-system/       gotk-sync.yaml (GitRepository + root Kustomization)
    clusters/main/cluster.yaml       Kustomization -> ./kubernetes/flux/cluster
    kubernetes/flux/cluster/ks.yaml  cluster-apps Kustomization (patches every child)
    kubernetes/components/sops/      Component with the SOPS-encrypted cluster-secrets
    kubernetes/apps/<ns>/kustomization.yaml + namespace.yaml
    kubernetes/apps/<ns>/<app>/ks.yaml       Flux Kustomization(s), postBuild.substitute {APP: <app>}
    kubernetes/apps/<ns>/<app>/app/...       kustomization.yaml, helmrelease.yaml, ocirepository.yaml,
                                             externalsecret.yaml, service.yaml (LoadBalancer),
                                             db.yaml (CNPG Cluster+ObjectStore+ScheduledBackup),
                                             secret.sops.yaml, ...
    kubernetes/apps/kube-system/cilium/app/networking.yaml   LB-IPAM pools + BGPv2 objects
    kubernetes/apps/kube-system/crds/app/crds.yaml           large CRD bundle
    talos/talconfig.yaml, docs/*.md, scripts/*.sh, .github/workflows/*.yaml

Everything is derived from ``random.Random(seed)``: the same (size, seed, violations) always yields a
byte-identical tree.  ``--violations`` plants a known set of rule violations and writes
``homeops-lint-test.yaml`` (``expect: [{rule, path, line}]``) at the corpus root.

Usage: python bench/generate.py --size small|medium|large --out DIR [--seed N] [--violations]
"""
from __future__ import annotations

import argparse
import base64
import ipaddress
import os
import random
import shutil
import string
import sys
from dataclasses import dataclass, field

SIZES = {
    # apps, apps per namespace
    "small": (50, 8),
    "medium": (500, 10),
    "large": (3000, 12),
}

POOL_DEFAULT = ("10.10.1.10", "10.10.1.199")
POOL_INGRESS = ("10.10.1.200", "10.10.1.250")
OUTSIDE_IP = "10.10.2.77"  # in no pool (and outside the loadbalancer network)
CLUSTER_ASN = 64512
ROUTER_ASN = 64513
ROUTER_IP = "10.10.0.1"
PLUGIN = "barman-cloud.cloudnative-pg.io"

BASE_NAMESPACES = [
    "media", "home-automation", "observability", "network", "database", "downloads",
    "security", "storage", "default", "tools", "ai", "games", "actions-runner-system",
    "cert-manager", "external-secrets", "system-upgrade",
]

APP_NAMES = [
    "radarr", "sonarr", "lidarr", "prowlarr", "bazarr", "readarr", "jellyfin", "plex", "tautulli",
    "overseerr", "jellyseerr", "qbittorrent", "sabnzbd", "autobrr", "recyclarr", "unpackerr",
    "home-assistant", "zigbee2mqtt", "mosquitto", "esphome", "node-red", "frigate", "go2rtc",
    "grafana", "loki", "vector", "gatus", "kromgo", "unpoller", "smartctl-exporter", "blackbox-exporter",
    "echo-server", "k8s-gateway", "cloudflared", "external-dns", "unifi-dns", "envoy-gateway",
    "paperless", "immich", "mealie", "miniflux", "atuin", "linkding", "wallabag", "vaultwarden",
    "authelia", "lldap", "pocket-id", "tandoor", "actual", "firefly-iii", "n8n", "open-webui",
    "ollama", "searxng", "it-tools", "homepage", "glance", "syncthing", "filebrowser",
    "minio", "volsync", "snapshot-controller", "openebs", "rook-ceph", "smb-csi", "nfs-subdir",
    "redis", "dragonfly", "emqx", "thelounge", "kavita", "komga", "audiobookshelf", "navidrome",
    "calibre-web", "stirling-pdf", "changedetection", "uptime-kuma", "ntfy", "gotify", "apprise",
    "forgejo", "gitea", "woodpecker", "renovate", "coder", "code-server", "jupyter", "rss-bridge",
    "freshrss", "shlink", "privatebin", "excalidraw", "drawio", "memos", "outline", "bookstack",
]

CHARTS = {
    # upstream charts used by a few well-known apps (the rest use bjw-s app-template)
    "grafana": ("oci://ghcr.io/grafana/helm-charts/grafana", "10.1.4"),
    "loki": ("oci://ghcr.io/grafana/helm-charts/loki", "6.46.0"),
    "external-dns": ("oci://ghcr.io/home-operations/charts-mirror/external-dns", "1.19.0"),
    "k8s-gateway": ("oci://ghcr.io/k8s-gateway/charts/k8s-gateway", "3.2.8"),
    "cloudflared": ("oci://ghcr.io/bjw-s-labs/helm/app-template", "4.4.0"),
    "envoy-gateway": ("oci://mirror.gcr.io/envoyproxy/gateway-helm", "1.6.0"),
    "minio": ("oci://ghcr.io/bjw-s-labs/helm/app-template", "4.4.0"),
}
PLATFORM = [("kube-system", "cilium"), ("kube-system", "crds"), ("kube-system", "coredns"),
            ("database", "cloudnative-pg"), ("database", "barman-cloud"),
            ("external-secrets", "onepassword"), ("network", "gateways")]
APP_TEMPLATE = ("oci://ghcr.io/bjw-s-labs/helm/app-template", "4.4.0")

CRD_KINDS = [
    ("snapshot.storage.k8s.io", "VolumeSnapshotClass"), ("snapshot.storage.k8s.io", "VolumeSnapshotContent"),
    ("volsync.backube", "ReplicationSource"), ("volsync.backube", "ReplicationDestination"),
    ("keda.sh", "ScaledObject"), ("keda.sh", "ScaledJob"), ("keda.sh", "TriggerAuthentication"),
    ("upgrade.cattle.io", "Plan"), ("k8s.mariadb.com", "MariaDB"), ("k8s.mariadb.com", "Grant"),
    ("dragonflydb.io", "Dragonfly"), ("emqx.io", "EMQX"), ("postgresql.cnpg.io", "Pooler"),
    ("postgresql.cnpg.io", "Database"), ("postgresql.cnpg.io", "Publication"),
    ("postgresql.cnpg.io", "Subscription"), ("postgresql.cnpg.io", "ImageCatalog"),
    ("gateway.envoyproxy.io", "BackendTrafficPolicy"), ("gateway.envoyproxy.io", "ClientTrafficPolicy"),
    ("gateway.envoyproxy.io", "SecurityPolicy"), ("gateway.envoyproxy.io", "EnvoyPatchPolicy"),
    ("gateway.envoyproxy.io", "EnvoyExtensionPolicy"), ("cert-manager.io", "Issuer"),
    ("acme.cert-manager.io", "Order"), ("acme.cert-manager.io", "Challenge"),
    ("monitoring.coreos.com", "Alertmanager"), ("monitoring.coreos.com", "AlertmanagerConfig"),
    ("monitoring.coreos.com", "Probe"), ("monitoring.coreos.com", "ScrapeConfig"),
    ("monitoring.coreos.com", "ThanosRuler"), ("objectbucket.io", "ObjectBucketClaim"),
    ("ceph.rook.io", "CephBlockPool"), ("ceph.rook.io", "CephFilesystem"),
]

WORDS = (
    "the of and to in is for that with as by this be are from it at or an which can if not "
    "when each value field set specifies defines default reference object name namespace spec status "
    "list map string integer boolean selector label annotation resource container pod service secret "
    "config policy backup schedule interval timeout retry replica volume storage class mode port"
).split()


# ----------------------------------------------------------------------------------------------
@dataclass
class Violation:
    rule: str
    path: str
    needle: str  # unique text on the offending line (the key, plus enough context to be unique)
    key: str  # the offending key, as documentation
    line: int = 0  # explicit line when the needle is not unique

    def to_expect(self, files: dict[str, str]) -> dict:
        line = self.line or find_line(files[self.path], self.needle)
        return {"rule": self.rule, "path": self.path, "line": line}


def find_line(text: str, needle: str) -> int:
    hits = [i for i, ln in enumerate(text.splitlines(), 1) if needle in ln]
    if len(hits) != 1:
        raise RuntimeError(f"needle {needle!r} found {len(hits)} times")
    return hits[0]


@dataclass
class Corpus:
    files: dict[str, str] = field(default_factory=dict)  # relpath -> text
    docs: int = 0
    violations: list[Violation] = field(default_factory=list)

    def add(self, path: str, docs: list[str] | str, ndocs: int | None = None) -> None:
        if path in self.files:
            raise RuntimeError(f"duplicate path {path}")
        if isinstance(docs, str):
            self.files[path] = docs
            if ndocs:
                self.docs += ndocs
            return
        self.files[path] = "---\n" + "---\n".join(d if d.endswith("\n") else d + "\n" for d in docs)
        self.docs += len(docs)


# ----------------------------------------------------------------------------------------------
class Gen:
    def __init__(self, size: str, seed: int, violations: bool) -> None:
        self.size = size
        self.seed = seed
        self.rng = random.Random(f"homeops-bench:{size}:{seed}")
        self.with_violations = violations
        self.c = Corpus()
        self.ns_apps: dict[str, list[str]] = {}
        self.default_ips = self._ip_iter(*POOL_DEFAULT)
        self.ingress_ips = self._ip_iter(*POOL_INGRESS)

    # --- small helpers -------------------------------------------------------------------------
    @staticmethod
    def _ip_iter(start: str, stop: str):
        a, b = int(ipaddress.ip_address(start)), int(ipaddress.ip_address(stop))
        return iter([str(ipaddress.ip_address(i)) for i in range(a, b + 1)])

    def b64(self, n: int) -> str:
        return base64.b64encode(self.rng.randbytes(n)).decode()

    def hexs(self, n: int) -> str:
        return self.rng.randbytes(n).hex()

    def sentence(self, lo: int = 6, hi: int = 18) -> str:
        w = [self.rng.choice(WORDS) for _ in range(self.rng.randint(lo, hi))]
        return (" ".join(w)).capitalize() + "."

    def enc(self, plaintext_len: int, typ: str = "str") -> str:
        return (f"ENC[AES256_GCM,data:{self.b64(plaintext_len)},iv:{self.b64(32)},"
                f"tag:{self.b64(16)},type:{typ}]")

    def sops_block(self) -> str:
        age = "age1" + "".join(self.rng.choice(string.ascii_lowercase + "0123456789") for _ in range(58))
        return (
            "sops:\n"
            "  age:\n"
            f"    - recipient: {age}\n"
            "      enc: |\n"
            "        -----BEGIN AGE ENCRYPTED FILE-----\n"
            + "".join(f"        {self.b64(48)}\n" for _ in range(4))
            + "        -----END AGE ENCRYPTED FILE-----\n"
            f"  lastmodified: \"2025-0{self.rng.randint(1, 9)}-1{self.rng.randint(0, 9)}T12:00:00Z\"\n"
            f"  mac: {self.enc(32)}\n"
            "  encrypted_regex: ^(data|stringData)$\n"
            "  mac_only_encrypted: true\n"
            "  version: 3.10.2\n"
        )

    def image(self, app: str) -> tuple[str, str]:
        repo = self.rng.choice(["ghcr.io/home-operations", "ghcr.io/onedr0p", "docker.io/library",
                                "ghcr.io/linuxserver", "quay.io/prometheus"])
        tag = f"{self.rng.randint(0, 9)}.{self.rng.randint(0, 30)}.{self.rng.randint(0, 12)}"
        if self.rng.random() < 0.7:
            tag += "@sha256:" + self.hexs(32)
        return f"{repo}/{app.rsplit('-', 1)[0] if app[-1].isdigit() else app}", tag

    # --- top level -----------------------------------------------------------------------------
    def build(self) -> Corpus:
        napps, per_ns = SIZES[self.size]
        apps = self.plan_apps(napps, per_ns)
        self.root_files()
        self.flux_entrypoint()
        self.sops_component()
        apps = self.platform_apps() + apps
        violating = self.pick_violation_apps(apps) if self.with_violations else {}
        for ns in sorted(self.ns_apps):
            self.namespace(ns)
        for i, (ns, app) in enumerate(apps):
            self.app(i, ns, app, violating.get((ns, app)))
        self.docs_and_scripts()
        if self.with_violations:
            expect = [v.to_expect(self.c.files) for v in self.c.violations]
            lines = ["# Expected findings planted by bench/generate.py --violations.",
                     "# 'line' is the 1-based line of the offending key (see 'key' comment).",
                     "expect:"]
            for v, e in zip(self.c.violations, expect):
                lines.append(f"  # key: {v.key}")
                lines.append(f"  - rule: {e['rule']}")
                lines.append(f"    path: {e['path']}")
                lines.append(f"    line: {e['line']}")
            self.c.add("homeops-lint-test.yaml", "\n".join(lines) + "\n", 1)
        return self.c

    def plan_apps(self, napps: int, per_ns: int) -> list[tuple[str, str]]:
        nns = max(len(BASE_NAMESPACES) // 2, (napps + per_ns - 1) // per_ns)
        namespaces = []
        for i in range(nns):
            base = BASE_NAMESPACES[i % len(BASE_NAMESPACES)]
            namespaces.append(base if i < len(BASE_NAMESPACES) else f"{base}-{i // len(BASE_NAMESPACES)}")
        used: set[str] = set()
        apps: list[tuple[str, str]] = []
        for i in range(napps):
            ns = namespaces[i % nns]
            base = APP_NAMES[i % len(APP_NAMES)]
            name = base if base not in used else f"{base}-{i // len(APP_NAMES)}"
            used.add(name)
            apps.append((ns, name))
            self.ns_apps.setdefault(ns, []).append(name)
        # the network namespace always hosts the ingress-facing apps
        self.ns_apps.setdefault("network", [])
        return apps

    def pick_violation_apps(self, apps: list[tuple[str, str]]) -> dict:
        kinds = ["lb-ip-outside-pool", "secret-inline", "cnpg-backup-missing", "cnpg-schedule-invalid",
                 "flux-path-missing"]
        apps = [a for a in apps if a not in PLATFORM]
        step = max(1, len(apps) // (len(kinds) + 1))
        return {apps[step * (k + 1) - 1 + k]: kind for k, kind in enumerate(kinds)}

    # --- root files --------------------------------------------------------------------------
    def root_files(self) -> None:
        self.c.add(".homeops-lint.yaml", (
            "# homeops-lint configuration (generated by bench/generate.py)\n"
            "version: 1\n"
            "architecture:\n"
            "  networks:\n"
            "    nodes: [10.10.0.0/24]\n"
            "    loadbalancer: [10.10.1.0/24]\n"
            "    pods: [10.42.0.0/16]\n"
            "    services: [10.43.0.0/16]\n"
            "  pools:\n"
            "    lb-default:\n"
            "      role: default\n"
            f"      ranges: [{POOL_DEFAULT[0]}-{POOL_DEFAULT[1]}]\n"
            "    lb-ingress:\n"
            "      role: ingress\n"
            f"      ranges: [{POOL_INGRESS[0]}-{POOL_INGRESS[1]}]\n"
            "  bgp:\n"
            f"    cluster_asn: {CLUSTER_ASN}\n"
            f"    router_asn: {ROUTER_ASN}\n"
        ), 1)
        self.c.add(".sops.yaml", (
            "---\n"
            "creation_rules:\n"
            "  - path_regex: talos/.*\\.sops\\.ya?ml\n"
            "    mac_only_encrypted: true\n"
            "    age: age1qyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqs3290gq\n"
            "  - path_regex: (bootstrap|kubernetes)/.*\\.sops\\.ya?ml\n"
            "    encrypted_regex: ^(data|stringData)$\n"
            "    mac_only_encrypted: true\n"
            "    age: age1qyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqs3290gq\n"
            "stores:\n"
            "  yaml:\n"
            "    indent: 2\n"
        ), 1)
        self.c.add(".gitignore", ".private/\n.task/\n*.agekey\ntalos/clusterconfig/\nkubeconfig\n")
        self.c.add(".sourceignore", "docs/\nscripts/\ntalos/\n")
        self.c.add(".github/workflows/flux-local.yaml", (
            "---\n"
            "name: Flux Local\n"
            "on:\n"
            "  pull_request:\n"
            "    branches: [\"main\"]\n"
            "concurrency:\n"
            "  group: ${{ github.workflow }}-${{ github.event.number || github.ref }}\n"
            "  cancel-in-progress: true\n"
            "jobs:\n"
            "  test:\n"
            "    name: Flux Local Test\n"
            "    runs-on: ubuntu-latest\n"
            "    steps:\n"
            "      - name: Checkout\n"
            "        uses: actions/checkout@v4\n"
            "      - name: Run flux-local test\n"
            "        uses: docker://ghcr.io/allenporter/flux-local:v7.5.0\n"
            "        with:\n"
            "          args: test --enable-helm --all-namespaces --path /github/workspace/kubernetes/flux/cluster -v\n"
        ), 1)
        self.c.add(".github/workflows/homeops-lint.yaml", (
            "---\n"
            "name: homeops-lint\n"
            "on: [push, pull_request]\n"
            "jobs:\n"
            "  lint:\n"
            "    runs-on: ubuntu-latest\n"
            "    steps:\n"
            "      - uses: actions/checkout@v4\n"
            "      - uses: actions/setup-python@v5\n"
            "        with:\n"
            "          python-version: \"3.12\"\n"
            "      - run: pip install homeops-lint && homeops-lint --format json\n"
        ), 1)
        self.c.add(".pre-commit-config.yaml", (
            "---\n"
            "repos:\n"
            "  - repo: https://github.com/pre-commit/pre-commit-hooks\n"
            "    rev: v5.0.0\n"
            "    hooks:\n"
            "      - id: check-merge-conflict\n"
            "      - id: end-of-file-fixer\n"
            "  - repo: local\n"
            "    hooks:\n"
            "      - id: homeops-lint\n"
            "        name: homeops-lint\n"
            "        entry: homeops-lint\n"
            "        language: system\n"
            "        files: \\.ya?ml$\n"
        ), 1)
        # talhelper
        nodes = []
        for i in range(3):
            nodes.append(
                f"  - hostname: k8s-{i}\n"
                f"    ipAddress: 10.10.0.{10 + i}\n"
                "    controlPlane: true\n"
                f"    installDiskSelector:\n      serial: \"S{self.hexs(6).upper()}\"\n"
                "    networkInterfaces:\n"
                f"      - deviceSelector:\n          hardwareAddr: \"{':'.join(self.hexs(1) for _ in range(6))}\"\n"
                "        dhcp: false\n"
                f"        addresses: [\"10.10.0.{10 + i}/24\"]\n"
                "        routes:\n          - network: 0.0.0.0/0\n            gateway: 10.10.0.1\n"
                "        mtu: 1500\n"
                "        vip:\n          ip: 10.10.0.5\n"
            )
        self.c.add("talos/talconfig.yaml", (
            "# yaml-language-server: $schema=https://raw.githubusercontent.com/budimanjojo/talhelper/master/pkg/config/schemas/talconfig.json\n"
            "---\n"
            "clusterName: kubernetes\n"
            "talosVersion: \"v1.11.5\"\n"
            "kubernetesVersion: \"v1.34.2\"\n"
            "endpoint: https://10.10.0.5:6443\n"
            "additionalApiServerCertSans: &sans [\"127.0.0.1\", \"10.10.0.5\"]\n"
            "additionalMachineCertSans: *sans\n"
            "clusterPodNets: [\"10.42.0.0/16\"]\n"
            "clusterSvcNets: [\"10.43.0.0/16\"]\n"
            "cniConfig:\n  name: none\n"
            "nodes:\n" + "".join(nodes) +
            "patches:\n  - \"@./patches/global/machine-files.yaml\"\n  - \"@./patches/global/machine-kubelet.yaml\"\n"
            "controlPlane:\n  patches:\n    - \"@./patches/controller/cluster.yaml\"\n"
        ), 1)
        self.c.add("talos/patches/global/machine-kubelet.yaml", (
            "machine:\n  kubelet:\n    extraConfig:\n      serializeImagePulls: false\n"
            "    nodeIP:\n      validSubnets: [\"10.10.0.0/24\"]\n"
        ), 1)
        self.c.add("talos/patches/global/machine-files.yaml", (
            "machine:\n  files:\n    - op: create\n      path: /etc/cri/conf.d/20-customization.part\n"
            "      content: |\n        [plugins.\"io.containerd.cri.v1.images\"]\n"
            "          discard_unpacked_layers = false\n"
        ), 1)
        self.c.add("talos/patches/controller/cluster.yaml", (
            "cluster:\n  allowSchedulingOnControlPlanes: true\n  coreDNS:\n    disabled: true\n"
            "  proxy:\n    disabled: true\n  scheduler:\n    config:\n      apiVersion: kubescheduler.config.k8s.io/v1\n"
            "      kind: KubeSchedulerConfiguration\n"
        ), 1)
        sec = ["cluster:\n", f"    id: {self.enc(44)}\n", f"    secret: {self.enc(44)}\n",
               "secrets:\n", f"    bootstraptoken: {self.enc(23)}\n",
               f"    secretboxencryptionsecret: {self.enc(44)}\n", "trustdinfo:\n",
               f"    token: {self.enc(23)}\n", "certs:\n"]
        for c in ("etcd", "k8s", "k8saggregator", "os"):
            sec.append(f"    {c}:\n        crt: {self.enc(600)}\n        key: {self.enc(220)}\n")
        self.c.add("talos/talsecret.sops.yaml", "".join(sec) + self.sops_block(), 1)

    def flux_entrypoint(self) -> None:
        self.c.add("clusters/main/flux-system/gotk-sync.yaml", [
            "# This manifest was generated by flux. DO NOT EDIT.\n"
            "apiVersion: source.toolkit.fluxcd.io/v1\n"
            "kind: GitRepository\n"
            "metadata:\n  name: flux-system\n  namespace: flux-system\n"
            "spec:\n  interval: 1m0s\n  ref:\n    branch: main\n"
            "  secretRef:\n    name: flux-system\n"
            "  url: ssh://git@github.com/example/home-ops\n",
            "apiVersion: kustomize.toolkit.fluxcd.io/v1\n"
            "kind: Kustomization\n"
            "metadata:\n  name: flux-system\n  namespace: flux-system\n"
            "spec:\n  interval: 10m0s\n  path: ./clusters/main\n  prune: true\n"
            "  sourceRef:\n    kind: GitRepository\n    name: flux-system\n",
        ])
        self.c.add("clusters/main/flux-system/kustomization.yaml", (
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
            "resources:\n  - gotk-sync.yaml\n"
        ), 1)
        self.c.add("clusters/main/cluster.yaml", [
            "apiVersion: kustomize.toolkit.fluxcd.io/v1\n"
            "kind: Kustomization\n"
            "metadata:\n  name: cluster\n  namespace: flux-system\n"
            "spec:\n  interval: 1h\n  path: ./kubernetes/flux/cluster\n  prune: true\n  wait: false\n"
            "  sourceRef:\n    kind: GitRepository\n    name: flux-system\n"
            "  decryption:\n    provider: sops\n    secretRef:\n      name: sops-age\n",
        ])
        self.c.add("kubernetes/flux/cluster/ks.yaml", [
            "apiVersion: kustomize.toolkit.fluxcd.io/v1\n"
            "kind: Kustomization\n"
            "metadata:\n  name: cluster-apps\n  namespace: flux-system\n"
            "spec:\n"
            "  interval: 1h\n"
            "  path: ./kubernetes/apps\n"
            "  prune: true\n"
            "  sourceRef:\n    kind: GitRepository\n    name: flux-system\n"
            "  decryption:\n    provider: sops\n    secretRef:\n      name: sops-age\n"
            "  postBuild:\n    substituteFrom:\n      - name: cluster-secrets\n        kind: Secret\n"
            "  patches:\n"
            "    - # Add Sops decryption to child Kustomizations\n"
            "      patch: |-\n"
            "        apiVersion: kustomize.toolkit.fluxcd.io/v1\n"
            "        kind: Kustomization\n"
            "        metadata:\n          name: _\n"
            "        spec:\n"
            "          decryption:\n            provider: sops\n            secretRef:\n              name: sops-age\n"
            "          postBuild:\n            substituteFrom:\n              - name: cluster-secrets\n"
            "                kind: Secret\n"
            "      target:\n        group: kustomize.toolkit.fluxcd.io\n        kind: Kustomization\n"
            "    - # Set default HelmRelease install/upgrade options\n"
            "      patch: |-\n"
            "        apiVersion: helm.toolkit.fluxcd.io/v2\n"
            "        kind: HelmRelease\n"
            "        metadata:\n          name: _\n"
            "        spec:\n"
            "          install:\n            crds: CreateReplace\n            strategy:\n              name: RetryOnFailure\n"
            "          rollback:\n            cleanupOnFail: true\n            recreate: true\n"
            "          upgrade:\n            cleanupOnFail: true\n            crds: CreateReplace\n"
            "            remediation:\n              remediateLastFailure: true\n              retries: 2\n"
            "      target:\n        group: helm.toolkit.fluxcd.io\n        kind: HelmRelease\n",
        ])

    def sops_component(self) -> None:
        self.c.add("kubernetes/components/sops/kustomization.yaml", (
            "---\napiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n"
            "resources:\n  - ./cluster-secrets.sops.yaml\n"
        ), 1)
        self.c.add("kubernetes/components/sops/cluster-secrets.sops.yaml", (
            "apiVersion: v1\nkind: Secret\nmetadata:\n    name: cluster-secrets\n"
            "stringData:\n"
            f"    SECRET_DOMAIN: {self.enc(11)}\n"
            f"    SECRET_ACME_EMAIL: {self.enc(18)}\n"
            f"    SECRET_CLOUDFLARE_TUNNEL_ID: {self.enc(36)}\n"
            + self.sops_block()
        ), 1)

    # --- platform: cilium pools/BGP, CRD bundle, cluster secret store -------------------------
    def platform_apps(self) -> list[tuple[str, str]]:
        plat = [(ns, a) for ns, a in PLATFORM]
        for ns, a in reversed(plat):
            self.ns_apps.setdefault(ns, []).insert(0, a)
        return plat

    def cilium(self, base: str) -> list[str]:
        self.c.add(f"{base}/app/networking.yaml", [
            "apiVersion: cilium.io/v2\nkind: CiliumLoadBalancerIPPool\nmetadata:\n  name: lb-default\n"
            "spec:\n  allowFirstLastIPs: \"No\"\n  blocks:\n"
            f"    - start: {POOL_DEFAULT[0]}\n      stop: {POOL_DEFAULT[1]}\n",
            "apiVersion: cilium.io/v2\nkind: CiliumLoadBalancerIPPool\nmetadata:\n  name: lb-ingress\n"
            "spec:\n  allowFirstLastIPs: \"No\"\n  blocks:\n"
            f"    - start: {POOL_INGRESS[0]}\n      stop: {POOL_INGRESS[1]}\n"
            "  serviceSelector:\n    matchExpressions:\n"
            "      - {key: io.kubernetes.service.namespace, operator: In, values: [\"network\"]}\n",
            "apiVersion: cilium.io/v2\nkind: CiliumBGPAdvertisement\nmetadata:\n  name: bgp-advertisement\n"
            "  labels:\n    advertise: bgp\n"
            "spec:\n  advertisements:\n    - advertisementType: Service\n      service:\n"
            "        addresses: [\"LoadBalancerIP\"]\n      selector:\n        matchExpressions:\n"
            "          - {key: somekey, operator: NotIn, values: [\"never-used-value\"]}\n",
            "apiVersion: cilium.io/v2\nkind: CiliumBGPPeerConfig\nmetadata:\n  name: bgp-peer-config-v4\n"
            "spec:\n  families:\n    - afi: ipv4\n      safi: unicast\n      advertisements:\n"
            "        matchLabels:\n          advertise: bgp\n",
            "apiVersion: cilium.io/v2\nkind: CiliumBGPClusterConfig\nmetadata:\n  name: bgp-cluster-config\n"
            "spec:\n  nodeSelector:\n    matchLabels:\n      kubernetes.io/os: linux\n  bgpInstances:\n"
            f"    - name: instance-{CLUSTER_ASN}\n      localASN: {CLUSTER_ASN}\n      peers:\n"
            f"        - name: peer-{ROUTER_ASN}-v4\n          peerASN: {ROUTER_ASN}\n"
            f"          peerAddress: {ROUTER_IP}\n          peerConfigRef:\n            name: bgp-peer-config-v4\n",
        ])
        return ["./helmrelease.yaml", "./ocirepository.yaml", "./networking.yaml"]

    def cilium_values(self) -> str:
        return (
            "    autoDirectNodeRoutes: true\n"
            "    bgpControlPlane:\n      enabled: true\n"
            "    bpf:\n      masquerade: true\n      datapathMode: netkit\n"
            "    cni:\n      exclusive: false\n"
            "    dashboards:\n      enabled: true\n"
            "    defaultLBServiceIPAM: lbipam\n"
            "    enableIPv4BIGTCP: true\n"
            "    endpointRoutes:\n      enabled: true\n"
            "    envoy:\n      enabled: false\n"
            "    gatewayAPI:\n      enabled: false\n"
            "    hubble:\n      enabled: false\n"
            "    ipam:\n      mode: kubernetes\n"
            "    ipv4NativeRoutingCIDR: 10.42.0.0/16\n"
            "    k8sServiceHost: 127.0.0.1\n"
            "    k8sServicePort: 7445\n"
            "    kubeProxyReplacement: true\n"
            "    kubeProxyReplacementHealthzBindAddr: 0.0.0.0:10256\n"
            "    l2announcements:\n      enabled: false\n"
            "    loadBalancer:\n      algorithm: maglev\n      mode: dsr\n"
            "    localRedirectPolicy: true\n"
            "    operator:\n      dashboards:\n        enabled: true\n      prometheus:\n        enabled: true\n"
            "        serviceMonitor:\n          enabled: true\n      replicas: 2\n      rollOutPods: true\n"
            "    prometheus:\n      enabled: true\n      serviceMonitor:\n        enabled: true\n"
            "        trustCRDsExist: true\n"
            "    rollOutCiliumPods: true\n"
            "    routingMode: native\n"
            "    securityContext:\n      capabilities:\n"
            "        ciliumAgent: [CHOWN, KILL, NET_ADMIN, NET_RAW, IPC_LOCK, SYS_ADMIN, SYS_RESOURCE, PERFMON, BPF,"
            " DAC_OVERRIDE, FOWNER, SETGID, SETUID]\n"
            "        cleanCiliumState: [NET_ADMIN, SYS_ADMIN, SYS_RESOURCE]\n"
        )

    def crd_bundle(self, base: str) -> list[str]:
        docs = []
        for group, kind in CRD_KINDS:
            plural = kind.lower() + ("es" if kind.endswith("s") else "s")
            lines = [
                "apiVersion: apiextensions.k8s.io/v1",
                "kind: CustomResourceDefinition",
                "metadata:",
                "  annotations:",
                "    controller-gen.kubebuilder.io/version: v0.17.2",
                f"  name: {plural}.{group}",
                "spec:",
                f"  group: {group}",
                "  names:",
                f"    kind: {kind}",
                f"    listKind: {kind}List",
                f"    plural: {plural}",
                f"    singular: {kind.lower()}",
                "  scope: Namespaced",
                "  versions:",
                "    - additionalPrinterColumns:",
                "        - jsonPath: .metadata.creationTimestamp",
                "          name: Age",
                "          type: date",
                "        - jsonPath: .status.phase",
                "          name: Phase",
                "          type: string",
                "      name: v1",
                "      schema:",
                "        openAPIV3Schema:",
                f"          description: {kind} is the Schema for the {plural} API.",
                "          properties:",
                "            apiVersion:",
                "              description: APIVersion defines the versioned schema of this representation of an object.",
                "              type: string",
                "            kind:",
                "              description: Kind is a string value representing the REST resource this object represents.",
                "              type: string",
                "            metadata:",
                "              type: object",
                "            spec:",
                f"              description: {self.sentence()}",
                "              properties:",
            ]
            self._schema_props(lines, 16, depth=0, budget=[self.rng.randint(25, 50)])
            lines += [
                "              type: object",
                "            status:",
                "              properties:",
                "                conditions:",
                "                  items:",
                "                    properties:",
                "                      lastTransitionTime:",
                "                        format: date-time",
                "                        type: string",
                "                      message:",
                "                        maxLength: 32768",
                "                        type: string",
                "                      reason:",
                "                        pattern: ^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$",
                "                        type: string",
                "                      status:",
                "                        enum:",
                "                          - \"True\"",
                "                          - \"False\"",
                "                          - Unknown",
                "                        type: string",
                "                      type:",
                "                        type: string",
                "                    required: [lastTransitionTime, message, reason, status, type]",
                "                    type: object",
                "                  type: array",
                "                  x-kubernetes-list-map-keys: [type]",
                "                  x-kubernetes-list-type: map",
                "                phase:",
                "                  type: string",
                "              type: object",
                "          type: object",
                "      served: true",
                "      storage: true",
                "      subresources:",
                "        status: {}",
            ]
            docs.append("\n".join(lines) + "\n")
        self.c.add(f"{base}/app/crds.yaml", docs)
        return ["./crds.yaml"]

    def _schema_props(self, out: list[str], indent: int, depth: int, budget: list[int]) -> None:
        pad = " " * indent
        n = self.rng.randint(3, 8)
        names = sorted({self.rng.choice(WORDS) + self.rng.choice(["", "Name", "Ref", "Spec", "Config", "Seconds",
                                                                    "Policy", "Selector", "Enabled"])
                        for _ in range(n)})
        for name in names:
            if budget[0] <= 0:
                break
            budget[0] -= 1
            out.append(f"{pad}{name}:")
            out.append(f"{pad}  description: |-")
            for _ in range(self.rng.randint(1, 3)):
                out.append(f"{pad}    {self.sentence()}")
            r = self.rng.random()
            if depth < 4 and r < 0.25:
                out.append(f"{pad}  properties:")
                self._schema_props(out, indent + 4, depth + 1, budget)
                out.append(f"{pad}  type: object")
            elif depth < 4 and r < 0.35:
                out.append(f"{pad}  items:")
                out.append(f"{pad}    properties:")
                self._schema_props(out, indent + 6, depth + 1, budget)
                out.append(f"{pad}    type: object")
                out.append(f"{pad}  type: array")
            elif r < 0.55:
                out.append(f"{pad}  format: int32")
                out.append(f"{pad}  minimum: 0")
                out.append(f"{pad}  type: integer")
            elif r < 0.65:
                out.append(f"{pad}  enum:")
                for e in sorted({self.rng.choice(WORDS).capitalize() for _ in range(3)}):
                    out.append(f"{pad}    - {e}")
                out.append(f"{pad}  type: string")
            elif r < 0.75:
                out.append(f"{pad}  type: boolean")
            elif r < 0.8:
                out.append(f"{pad}  x-kubernetes-preserve-unknown-fields: true")
            else:
                out.append(f"{pad}  pattern: ^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
                out.append(f"{pad}  type: string")

    # --- namespaces ---------------------------------------------------------------------------
    def namespace(self, ns: str) -> None:
        base = f"kubernetes/apps/{ns}"
        self.c.add(f"{base}/namespace.yaml", [
            f"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: _ # Replaced by kustomization\n"
            "  annotations:\n    kustomize.toolkit.fluxcd.io/prune: disabled\n",
        ])
        res = "".join(f"  - ./{a}/ks.yaml\n" for a in self.ns_apps[ns])
        self.c.add(f"{base}/kustomization.yaml", (
            "---\n# yaml-language-server: $schema=https://json.schemastore.org/kustomization\n"
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
            f"namespace: {ns}\n"
            "components:\n  - ../../components/sops\n"
            "resources:\n  - ./namespace.yaml\n" + res
        ), 1)

    # --- apps ---------------------------------------------------------------------------------
    def app(self, i: int, ns: str, app: str, violation: str | None) -> None:
        rng = self.rng
        base = f"kubernetes/apps/{ns}/{app}"
        plat = (ns, app) in PLATFORM
        has_db = violation in ("cnpg-backup-missing", "cnpg-schedule-invalid") or rng.random() < 0.10
        has_lb = violation == "lb-ip-outside-pool" or app in ("envoy-gateway", "mosquitto") \
            or rng.random() < 0.10
        has_es = rng.random() < 0.6
        has_extras = rng.random() < 0.2
        has_sops = rng.random() < 0.22
        has_pvc = rng.random() < 0.45
        has_cm = rng.random() < 0.3
        has_route = rng.random() < 0.55
        has_netpol = rng.random() < 0.3
        has_monitor = rng.random() < 0.3
        big = rng.random() < 0.12
        if plat:
            has_db = has_lb = has_es = has_extras = has_sops = has_pvc = has_cm = has_route = False
            has_netpol = has_monitor = big = False

        # ks.yaml -----------------------------------------------------------------------------
        path = f"./{base}/app"
        if violation == "flux-path-missing":
            path = f"./{base}/application"
        deps = []
        if has_db:
            deps.append(("barman-cloud", "database"))
        if has_es or has_db:
            deps.append(("onepassword", "external-secrets"))
        ks_docs = [self.flux_ks(app, ns, path, deps, "app")]
        if has_extras:
            ks_docs.append(self.flux_ks(f"{app}-extras", ns, f"./{base}/extras", [(app, ns)], "extras"))
            self.c.add(f"{base}/extras/gatus.yaml", [
                f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {app}-gatus-ep\n"
                "  labels:\n    gatus.io/enabled: \"true\"\ndata:\n  config.yaml: |\n    endpoints:\n"
                f"      - name: {app}\n        group: guarded\n        url: https://{app}.${{SECRET_DOMAIN}}\n"
                "        interval: 1m\n        conditions: [\"[STATUS] == 200\"]\n",
            ])
            self.c.add(f"{base}/extras/kustomization.yaml", self.kust(["./gatus.yaml"]), 1)
        self.c.add(f"{base}/ks.yaml", ks_docs)
        if violation == "flux-path-missing":
            self.c.violations.append(Violation("flux-path-missing", f"{base}/ks.yaml",
                                               f"path: {path}", "spec.path"))

        # app/ --------------------------------------------------------------------------------
        if app == "cilium":
            resources = self.cilium(base)
        elif app == "crds":
            resources = self.crd_bundle(base)
            self.c.add(f"{base}/app/kustomization.yaml", self.kust(resources), 1)
            return
        elif app == "gateways":
            resources = self.gateways(base)
            self.c.add(f"{base}/app/kustomization.yaml", self.kust(resources), 1)
            return
        else:
            resources = ["./helmrelease.yaml", "./ocirepository.yaml"]
        chart_url, chart_ver = CHARTS.get(app, APP_TEMPLATE)
        self.c.add(f"{base}/app/ocirepository.yaml", [
            "apiVersion: source.toolkit.fluxcd.io/v1\nkind: OCIRepository\n"
            f"metadata:\n  name: {app}\nspec:\n  interval: 15m\n"
            "  layerSelector:\n    mediaType: application/vnd.cncf.helm.chart.content.v1.tar+gzip\n"
            "    operation: copy\n"
            f"  ref:\n    tag: {chart_ver}\n  url: {chart_url}\n",
        ])
        self.c.add(f"{base}/app/helmrelease.yaml", [self.helmrelease(app, ns, big, has_db, has_es, has_pvc)])
        if app == "onepassword":
            self.c.add(f"{base}/app/clustersecretstore.yaml", [
                "apiVersion: external-secrets.io/v1\nkind: ClusterSecretStore\nmetadata:\n  name: onepassword\n"
                "spec:\n  provider:\n    onepassword:\n      connectHost: http://onepassword.external-secrets.svc.cluster.local\n"
                "      vaults:\n        Kubernetes: 1\n      auth:\n        secretRef:\n          connectTokenSecretRef:\n"
                "            name: onepassword-secret\n            key: token\n            namespace: external-secrets\n",
            ])
            resources.append("./clustersecretstore.yaml")
        if has_es:
            keys = [rng.choice(["API_KEY", "DB_PASSWORD", "SMTP_PASSWORD", "OIDC_CLIENT_SECRET", "TOKEN",
                                "ADMIN_PASSWORD", "ENCRYPTION_KEY"]) for _ in range(rng.randint(1, 5))]
            keys = sorted(set(keys))
            tmpl = "".join(f"        {k}: \"{{{{ .{app.upper().replace('-', '_')}_{k} }}}}\"\n" for k in keys)
            self.c.add(f"{base}/app/externalsecret.yaml", [
                "apiVersion: external-secrets.io/v1\nkind: ExternalSecret\n"
                f"metadata:\n  name: {app}\nspec:\n  secretStoreRef:\n    kind: ClusterSecretStore\n"
                "    name: onepassword\n"
                f"  target:\n    name: {app}-secret\n    template:\n      data:\n" + tmpl +
                f"  dataFrom:\n    - extract:\n        key: {app}\n",
            ])
            resources.append("./externalsecret.yaml")
        if has_sops:
            self.c.add(f"{base}/app/secret.sops.yaml", (
                "apiVersion: v1\nkind: Secret\nmetadata:\n"
                f"    name: {app}-sops-secret\ntype: Opaque\nstringData:\n"
                + "".join(f"    {k}: {self.enc(rng.randint(8, 48))}\n"
                          for k in sorted({rng.choice(["password", "token", "api-key", "config.yaml", "username"])
                                           for _ in range(3)}))
                + self.sops_block()
            ), 1)
            resources.append("./secret.sops.yaml")
        if violation == "secret-inline":
            pw = "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(20))
            self.c.add(f"{base}/app/secret.yaml", [
                "apiVersion: v1\nkind: Secret\nmetadata:\n"
                f"  name: {app}-credentials\ntype: Opaque\nstringData:\n"
                f"  username: {app}\n  password: \"{pw}\"\n",
            ])
            resources.append("./secret.yaml")
            self.c.violations.append(Violation("secret-inline", f"{base}/app/secret.yaml",
                                               "password:", "stringData.password"))
        if has_lb:
            resources.append("./service.yaml")
            self.lb_service(base, app, ns, violation == "lb-ip-outside-pool")
        if has_db:
            resources.append("./db.yaml")
            self.cnpg(base, app, ns, violation)
        if has_pvc:
            self.c.add(f"{base}/app/pvc.yaml", [
                "apiVersion: v1\nkind: PersistentVolumeClaim\n"
                f"metadata:\n  name: {app}\nspec:\n  accessModes: [\"ReadWriteOnce\"]\n"
                f"  resources:\n    requests:\n      storage: {rng.choice([1, 2, 5, 10, 20, 50])}Gi\n"
                f"  storageClassName: {rng.choice(['ceph-block', 'openebs-hostpath'])}\n",
            ])
            resources.append("./pvc.yaml")
        if has_cm:
            self.c.add(f"{base}/app/configmap.yaml", [
                f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {app}-config\ndata:\n"
                "  config.yaml: |\n"
                + "".join(f"    {rng.choice(WORDS)}_{j}: {rng.randint(0, 1000)}\n" for j in range(rng.randint(4, 30)))
                + f"  LOG_LEVEL: {rng.choice(['info', 'debug', 'warn'])}\n  TZ: Europe/Berlin\n",
            ])
            resources.append("./configmap.yaml")
        if has_route:
            self.c.add(f"{base}/app/httproute.yaml", [
                "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\n"
                f"metadata:\n  name: {app}\n  annotations:\n    gatus.home-operations.com/endpoint: |-\n"
                "      conditions: [\"[STATUS] == 200\"]\n"
                f"spec:\n  hostnames: [\"{app}.${{SECRET_DOMAIN}}\"]\n  parentRefs:\n"
                f"    - name: {rng.choice(['envoy-internal', 'envoy-external'])}\n      namespace: network\n"
                "      sectionName: https\n  rules:\n    - backendRefs:\n"
                f"        - name: {app}\n          port: {rng.choice([80, 3000, 8080, 8096, 9000])}\n",
            ])
            resources.append("./httproute.yaml")
        if has_netpol:
            self.c.add(f"{base}/app/networkpolicy.yaml", [
                "apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\n"
                f"metadata:\n  name: {app}\nspec:\n  endpointSelector:\n    matchLabels:\n"
                f"      app.kubernetes.io/name: {app}\n  ingress:\n    - fromEndpoints:\n"
                "        - matchLabels:\n            io.kubernetes.pod.namespace: network\n"
                "      toPorts:\n        - ports:\n            - port: \"8080\"\n              protocol: TCP\n"
                "  egress:\n    - toEntities: [\"world\"]\n",
            ])
            resources.append("./networkpolicy.yaml")
        if has_monitor:
            self.c.add(f"{base}/app/prometheusrule.yaml", [
                "apiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\n"
                f"metadata:\n  name: {app}-rules\nspec:\n  groups:\n    - name: {app}.rules\n      rules:\n"
                f"        - alert: {app.title().replace('-', '')}Down\n"
                f"          expr: up{{job=\"{app}\"}} == 0\n          for: 5m\n"
                "          labels:\n            severity: critical\n"
                f"          annotations:\n            summary: \"{app} is down\"\n",
            ])
            resources.append("./prometheusrule.yaml")
        self.c.add(f"{base}/app/kustomization.yaml", self.kust(resources), 1)
        if big and rng.random() < 0.5:
            self.c.add(f"{base}/README.md", f"# {app}\n\n{self.sentence(20, 60)}\n\n## Notes\n\n- {self.sentence()}\n")

    @staticmethod
    def kust(resources: list[str]) -> str:
        return ("---\n# yaml-language-server: $schema=https://json.schemastore.org/kustomization\n"
                "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n"
                + "".join(f"  - {r}\n" for r in resources))

    def flux_ks(self, name: str, ns: str, path: str, deps: list[tuple[str, str]], kind: str) -> str:
        dep = ""
        if deps:
            dep = "  dependsOn:\n" + "".join(f"    - name: {d}\n      namespace: {dns}\n" for d, dns in deps)
        app = name if kind == "app" else name[: -len("-extras")]
        hc = ""
        if self.rng.random() < 0.3:
            hc = ("  healthChecks:\n    - apiVersion: helm.toolkit.fluxcd.io/v2\n      kind: HelmRelease\n"
                  f"      name: {app}\n      namespace: {ns}\n")
        return (
            "# yaml-language-server: $schema=https://kubernetes-schemas.pages.dev/kustomize.toolkit.fluxcd.io/kustomization_v1.json\n"
            "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\n"
            f"metadata:\n  name: {name}\nspec:\n"
            "  commonMetadata:\n    labels:\n"
            f"      app.kubernetes.io/name: &app {app}\n"
            + dep + hc +
            "  interval: 1h\n"
            f"  path: {path}\n"
            "  postBuild:\n    substitute:\n      APP: *app\n"
            "  prune: true\n  retryInterval: 2m\n"
            "  sourceRef:\n    kind: GitRepository\n    name: flux-system\n    namespace: flux-system\n"
            f"  targetNamespace: {ns}\n  timeout: 5m\n  wait: false\n"
        )

    def gateways(self, base: str) -> list[str]:
        docs = []
        for name in ("envoy-external", "envoy-internal"):
            ip = next(self.ingress_ips)
            docs.append(
                "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\n"
                f"metadata:\n  name: {name}\n  annotations:\n"
                f"    external-dns.alpha.kubernetes.io/target: &hostname {name.split('-')[1]}.${{SECRET_DOMAIN}}\n"
                "spec:\n  gatewayClassName: envoy\n  infrastructure:\n    annotations:\n"
                f"      external-dns.alpha.kubernetes.io/hostname: *hostname\n"
                f"      lbipam.cilium.io/ips: \"{ip}\"\n"
                "  listeners:\n    - name: http\n      protocol: HTTP\n      port: 80\n"
                "      allowedRoutes:\n        namespaces:\n          from: Same\n"
                "    - name: https\n      protocol: HTTPS\n      port: 443\n"
                "      allowedRoutes:\n        namespaces:\n          from: All\n"
                "      tls:\n        certificateRefs:\n          - kind: Secret\n"
                "            name: ${SECRET_DOMAIN/./-}-production-tls\n"
            )
        self.c.add(f"{base}/app/gateways.yaml", docs)
        return ["./gateways.yaml"]

    def lb_service(self, base: str, app: str, ns: str, outside: bool) -> None:
        if outside:
            ip = OUTSIDE_IP
        elif self.rng.random() < 0.6:
            ip = next(self.ingress_ips if ns == "network" else self.default_ips, None)
        else:
            ip = None
        ann = ""
        if ip:
            ann = f"  annotations:\n    lbipam.cilium.io/ips: \"{ip}\"\n"
        port = self.rng.choice([53, 1883, 8080, 443, 32400, 8123, 25565])
        self.c.add(f"{base}/app/service.yaml", [
            f"apiVersion: v1\nkind: Service\nmetadata:\n  name: {app}-lb\n" + ann +
            "spec:\n  type: LoadBalancer\n  externalTrafficPolicy: Cluster\n"
            f"  selector:\n    app.kubernetes.io/name: {app}\n"
            f"  ports:\n    - name: main\n      port: {port}\n      targetPort: {port}\n      protocol: TCP\n",
        ])
        if outside:
            self.c.violations.append(Violation("lb-ip-outside-pool", f"{base}/app/service.yaml",
                                               "lbipam.cilium.io/ips:", "metadata.annotations.lbipam.cilium.io/ips"))

    def cnpg(self, base: str, app: str, ns: str, violation: str | None) -> None:
        rng = self.rng
        name = f"{app}-db"
        docs = [
            "apiVersion: barmancloud.cnpg.io/v1\nkind: ObjectStore\n"
            f"metadata:\n  name: {name}-store\nspec:\n  retentionPolicy: {rng.choice(['7d', '14d', '30d'])}\n"
            "  configuration:\n"
            f"    destinationPath: s3://postgresql/{app}/\n"
            "    endpointURL: http://minio.storage.svc.cluster.local:9000\n"
            "    s3Credentials:\n"
            f"      accessKeyId:\n        name: {name}-s3\n        key: ACCESS_KEY_ID\n"
            f"      secretAccessKey:\n        name: {name}-s3\n        key: SECRET_ACCESS_KEY\n"
            "    wal:\n      compression: zstd\n      maxParallel: 8\n"
            "    data:\n      compression: gzip\n",
            "apiVersion: external-secrets.io/v1\nkind: ExternalSecret\n"
            f"metadata:\n  name: {name}-s3\nspec:\n  secretStoreRef:\n    kind: ClusterSecretStore\n"
            "    name: onepassword\n"
            f"  target:\n    name: {name}-s3\n    template:\n      data:\n"
            "        ACCESS_KEY_ID: \"{{ .MINIO_ACCESS_KEY }}\"\n"
            "        SECRET_ACCESS_KEY: \"{{ .MINIO_SECRET_KEY }}\"\n"
            "  dataFrom:\n    - extract:\n        key: minio\n",
        ]
        plugins = ("  plugins:\n"
                   f"    - name: {PLUGIN}\n      enabled: true\n      isWALArchiver: true\n"
                   f"      parameters:\n        barmanObjectName: {name}-store\n        serverName: {name}-v1\n")
        if violation == "cnpg-backup-missing":
            plugins = ""
        docs.append(
            "apiVersion: postgresql.cnpg.io/v1\nkind: Cluster\n"
            f"metadata:\n  name: {name}\n"
            "spec:\n"
            f"  instances: {rng.choice([1, 2, 3])}\n"
            "  imageName: ghcr.io/cloudnative-pg/postgresql:17.6-standard-bookworm\n"
            "  primaryUpdateStrategy: unsupervised\n"
            f"  storage:\n    size: {rng.choice([5, 10, 20])}Gi\n    storageClass: openebs-hostpath\n"
            "  postgresql:\n    parameters:\n      max_connections: \"200\"\n      shared_buffers: 256MB\n"
            "  resources:\n    requests:\n      cpu: 100m\n    limits:\n      memory: 2Gi\n"
            "  monitoring:\n    enablePodMonitor: true\n"
            + plugins
        )
        if violation == "cnpg-backup-missing":
            self.c.add(f"{base}/app/db.yaml", docs)
            text = self.c.files[f"{base}/app/db.yaml"]
            # the Cluster document's `spec:` line (the key under which `plugins` is missing)
            lines = text.splitlines()
            kind_at = next(i for i, ln in enumerate(lines) if ln == "kind: Cluster")
            spec_line = next(i for i in range(kind_at, len(lines)) if lines[i] == "spec:") + 1
            self.c.violations.append(Violation("cnpg-backup-missing", f"{base}/app/db.yaml", "",
                                               "spec (of the kind: Cluster document)", spec_line))
            return
        sched = f"\"0 {rng.randint(0, 59)} {rng.randint(0, 5)} * * *\""
        if violation == "cnpg-schedule-invalid":
            sched = "\"0 3 * * *\""
        docs.append(
            "apiVersion: postgresql.cnpg.io/v1\nkind: ScheduledBackup\n"
            f"metadata:\n  name: {name}-daily\nspec:\n  schedule: {sched}\n  immediate: true\n"
            f"  backupOwnerReference: self\n  cluster:\n    name: {name}\n  method: plugin\n"
            f"  pluginConfiguration:\n    name: {PLUGIN}\n"
        )
        self.c.add(f"{base}/app/db.yaml", docs)
        if violation == "cnpg-schedule-invalid":
            self.c.violations.append(Violation("cnpg-schedule-invalid", f"{base}/app/db.yaml",
                                               "schedule:", "spec.schedule"))

    def helmrelease(self, app: str, ns: str, big: bool, has_db: bool, has_es: bool, has_pvc: bool) -> str:
        rng = self.rng
        head = (
            "# yaml-language-server: $schema=https://kubernetes-schemas.pages.dev/helm.toolkit.fluxcd.io/helmrelease_v2.json\n"
            "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\n"
            f"metadata:\n  name: {app}\nspec:\n"
            f"  chartRef:\n    kind: OCIRepository\n    name: {app}\n"
            "  interval: 1h\n  install:\n    remediation:\n      retries: -1\n"
            "  upgrade:\n    cleanupOnFail: true\n    remediation:\n      retries: 3\n"
            "  values:\n"
        )
        if app == "cilium":
            return head + self.cilium_values()
        if app == "k8s-gateway":
            ip = next(self.ingress_ips, None)
            ann = f"      annotations:\n        lbipam.cilium.io/ips: \"{ip}\"\n" if ip else ""
            return head + (
                "    fullnameOverride: k8s-gateway\n    domain: \"${SECRET_DOMAIN}\"\n    ttl: 1\n"
                "    service:\n      type: LoadBalancer\n      port: 53\n" + ann +
                "      externalTrafficPolicy: Cluster\n    watchedResources: [\"HTTPRoute\", \"Service\"]\n"
            )
        repo, tag = self.image(app)
        port = rng.choice([80, 3000, 8080, 8096, 9000, 5000])
        envs = [("TZ", "Europe/Berlin"), (f"{app.upper().replace('-', '_')}__PORT", f"\"{port}\""),
                ("LOG_LEVEL", rng.choice(["info", "debug"]))]
        for _ in range(rng.randint(30, 90) if big else rng.randint(0, 8)):
            envs.append((f"{app.upper().replace('-', '_')}__{rng.choice(WORDS).upper()}_{rng.randint(0, 999)}",
                         rng.choice(["\"true\"", "\"false\"", f"\"{rng.randint(0, 65535)}\"",
                                     f"{rng.choice(WORDS)}-{rng.choice(WORDS)}"])))
        env = "".join(f"              {k}: {v}\n" for k, v in envs)
        env_from = (f"            envFrom:\n              - secretRef:\n                  name: {app}-secret\n"
                    if has_es else "")
        if has_db:
            env += ("              DB_HOST:\n                valueFrom:\n                  secretKeyRef:\n"
                    f"                    name: {app}-db-app\n                    key: host\n")
        sidecars = ""
        for s in range(rng.randint(2, 6) if big else 0):
            srepo, stag = self.image(rng.choice(APP_NAMES))
            sidecars += (
                f"          sidecar-{s}:\n            image:\n              repository: {srepo}\n"
                f"              tag: {stag}\n            args: [\"--port\", \"{9000 + s}\"]\n"
                "            resources:\n              requests:\n                cpu: 10m\n"
                "              limits:\n                memory: 128Mi\n"
                "            securityContext:\n              allowPrivilegeEscalation: false\n"
                "              readOnlyRootFilesystem: true\n              capabilities: {drop: [\"ALL\"]}\n"
            )
        persistence = ""
        for p in range(rng.randint(4, 12) if big else rng.randint(0, 3)):
            persistence += (
                f"      data-{p}:\n        existingClaim: {app}\n" if p == 0 and has_pvc else
                f"      data-{p}:\n        type: {rng.choice(['emptyDir', 'nfs'])}\n"
                + ("        server: nas.internal\n        path: /mnt/tank/media\n" if rng.random() < 0.5 else "")
                + f"        globalMounts:\n          - path: /data/{p}\n"
            )
        body = (
            "    controllers:\n"
            f"      {app}:\n"
            "        annotations:\n          reloader.stakater.com/auto: \"true\"\n"
            "        containers:\n          app:\n"
            f"            image:\n              repository: {repo}\n              tag: {tag}\n"
            "            env:\n" + env + env_from +
            "            probes:\n"
            "              liveness: &probes\n                enabled: true\n                custom: true\n"
            "                spec:\n                  httpGet:\n                    path: /healthz\n"
            f"                    port: &port {port}\n"
            "                  initialDelaySeconds: 0\n                  periodSeconds: 10\n"
            "                  timeoutSeconds: 1\n                  failureThreshold: 3\n"
            "              readiness: *probes\n"
            "            securityContext:\n              allowPrivilegeEscalation: false\n"
            "              readOnlyRootFilesystem: true\n              capabilities: {drop: [\"ALL\"]}\n"
            f"            resources:\n              requests:\n                cpu: {rng.choice([10, 50, 100, 500])}m\n"
            f"              limits:\n                memory: {rng.choice([128, 256, 512, 1024, 4096])}Mi\n"
            + sidecars +
            "    defaultPodOptions:\n      securityContext:\n        runAsNonRoot: true\n"
            "        runAsUser: 1000\n        runAsGroup: 1000\n        fsGroup: 1000\n"
            "        fsGroupChangePolicy: OnRootMismatch\n"
            f"    service:\n      app:\n        ports:\n          http:\n            port: *port\n"
            + ("    persistence:\n" + persistence if persistence else "")
        )
        return head + body

    # --- docs, scripts ------------------------------------------------------------------------
    def docs_and_scripts(self) -> None:
        readme = ["# home-ops\n", "\nGitOps repository for my home Kubernetes cluster (Talos + Flux).\n",
                  "\n## Apps\n\n| namespace | apps |\n|---|---|\n"]
        for ns in sorted(self.ns_apps):
            readme.append(f"| {ns} | {', '.join(self.ns_apps[ns][:12])} |\n")
        self.c.add("README.md", "".join(readme))
        for d in ("networking", "storage", "backups", "bootstrap"):
            self.c.add(f"docs/{d}.md", f"# {d.title()}\n\n" + "\n\n".join(self.sentence(20, 80) for _ in range(8))
                       + "\n\n```yaml\napiVersion: v1\nkind: Service\nmetadata:\n  name: example\n```\n")
        self.c.add("scripts/bootstrap-apps.sh", (
            "#!/usr/bin/env bash\nset -Eeuo pipefail\n\n"
            "source \"$(dirname \"${0}\")/lib/common.sh\"\n\n"
            "function apply_namespaces() {\n    for app in kubernetes/apps/*/; do\n"
            "        namespace=$(basename \"${app}\")\n"
            "        kubectl create namespace \"${namespace}\" --dry-run=client -o yaml | kubectl apply -f -\n"
            "    done\n}\n\n"
            "function apply_sops_secrets() {\n"
            "    sops exec-file kubernetes/components/sops/cluster-secrets.sops.yaml 'kubectl apply -f {}'\n}\n\n"
            "apply_namespaces\napply_sops_secrets\n"
        ))
        self.c.add("scripts/lib/common.sh", (
            "#!/usr/bin/env bash\nset -Eeuo pipefail\n\n"
            "function log() {\n    local level=\"${1:-info}\"\n    shift\n"
            "    printf '%s [%s] %s\\n' \"$(date -u +%FT%TZ)\" \"${level}\" \"$*\" >&2\n}\n"
        ))


# ----------------------------------------------------------------------------------------------
def generate(size: str, seed: int = 1, violations: bool = False) -> Corpus:
    if size not in SIZES:
        raise ValueError(f"unknown size {size!r}; choose from {', '.join(SIZES)}")
    return Gen(size, seed, violations).build()


def write(corpus: Corpus, out: str) -> dict:
    if os.path.exists(out):
        shutil.rmtree(out)
    os.makedirs(out)
    nbytes = 0
    yaml_files = 0
    for rel in sorted(corpus.files):
        p = os.path.join(out, rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        data = corpus.files[rel].encode()
        with open(p, "wb") as fh:
            fh.write(data)
        if rel.endswith((".sh",)):
            os.chmod(p, 0o755)
        nbytes += len(data)
        if rel.endswith((".yaml", ".yml")):
            yaml_files += 1
    return {"files": len(corpus.files), "yaml_files": yaml_files, "documents": corpus.docs, "bytes": nbytes,
            "violations": len(corpus.violations)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size", choices=sorted(SIZES), required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--violations", action="store_true", help="plant known violations + homeops-lint-test.yaml")
    a = ap.parse_args(argv)
    stats = write(generate(a.size, a.seed, a.violations), a.out)
    print(f"{a.out}: {stats['files']} files ({stats['yaml_files']} YAML), {stats['documents']} documents, "
          f"{stats['bytes']} bytes, {stats['violations']} planted violations")
    return 0


if __name__ == "__main__":
    sys.exit(main())
