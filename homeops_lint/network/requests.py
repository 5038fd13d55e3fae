"""Every LoadBalancer IP the applied set asks for (domain.md §3), with the exact key that asks, the
workload behind it and that workload's role."""
from __future__ import annotations

import fnmatch
import posixpath
from dataclasses import dataclass, field
from typing import Any, Iterable, Optional

from ..flux import Applied
from ..ipmath import IPAddress, parse_address, split_addresses
from ..model import Document, KeyPath, resource_id
from .pools import INGRESS_WORDS, NOT_INGRESS, chart_name
from .selectors import LabelView
from .values import resolve, scalar_text


# --- annotation keys (domain.md §1.3, §1.7, §3.7) ---------------------------------------------
LBIPAM_IPS = "lbipam.cilium.io/ips"
LBIPAM_IPS_LEGACY = "io.cilium/lb-ipam-ips"
SHARING_KEY = "lbipam.cilium.io/sharing-key"
SHARING_KEY_LEGACY = "io.cilium/lb-ipam-sharing-key"
SHARING_CROSS_NS = "lbipam.cilium.io/sharing-cross-namespace"
SHARING_CROSS_NS_LEGACY = "io.cilium/lb-ipam-sharing-cross-namespace"
METALLB_IPS = "metallb.io/loadBalancerIPs"
METALLB_IPS_LEGACY = "metallb.universe.tf/loadBalancerIPs"
METALLB_POOL = "metallb.io/address-pool"
METALLB_POOL_LEGACY = "metallb.universe.tf/address-pool"
METALLB_SHARED = "metallb.io/allow-shared-ip"
METALLB_SHARED_LEGACY = "metallb.universe.tf/allow-shared-ip"
DNS_TARGET = "external-dns.alpha.kubernetes.io/target"
# The request annotations, the keys that replace deprecated ones, and which IPAM reads them.
REQUEST_ANNOTATIONS = {
    LBIPAM_IPS: "cilium", LBIPAM_IPS_LEGACY: "cilium", METALLB_IPS: "metallb", METALLB_IPS_LEGACY: "metallb",
}
DEPRECATED_ANNOTATIONS = {
    LBIPAM_IPS_LEGACY: LBIPAM_IPS, SHARING_KEY_LEGACY: SHARING_KEY, SHARING_CROSS_NS_LEGACY: SHARING_CROSS_NS,
    METALLB_IPS_LEGACY: METALLB_IPS, METALLB_POOL_LEGACY: METALLB_POOL, METALLB_SHARED_LEGACY: METALLB_SHARED,
}
SERVICE_NAMESPACE_LABEL = "io.kubernetes.service.namespace"
SERVICE_NAME_LABEL = "io.kubernetes.service.name"
CILIUM_LB_CLASSES = ("io.cilium/bgp-control-plane", "io.cilium/l2-announcer")


# --- LoadBalancer requests ----------------------------------------------------------------------
@dataclass
class Workload:
    """The object behind a request: a Service, or what a HelmRelease / Gateway / EnvoyProxy generates."""

    applied: Applied
    service_key: KeyPath  # where the service is described inside the document (() for a Service)
    kind: str  # Service | HelmRelease | Gateway | EnvoyProxy
    namespace: Optional[str]  # of the generated Service; None when unknown
    name: Optional[str]  # of the Service; None when unknown
    labels: LabelView
    role: str
    annotations: dict[str, Any]
    ports: Optional[set[int]]  # None: unknown
    traffic_policy: Optional[str]  # externalTrafficPolicy; None: unknown
    pod_selector: Optional[dict[str, str]]
    lb_class: Optional[str]
    service_type: Optional[str]

    @property
    def doc(self) -> Document:
        return self.applied.doc

    @property
    def identity(self) -> tuple[int, Optional[str], KeyPath]:
        return (id(self.applied.doc), self.applied.namespace, self.service_key)

    @property
    def resource(self) -> str:
        return resource_id(self.doc.kind, self.applied.namespace, self.doc.name)

    def describe(self) -> str:
        if self.kind == "Service":
            return f"Service {self.applied.namespace or 'default'}/{self.doc.name}"
        where = ".".join(str(p) for p in self.service_key)
        return f"{self.kind} {self.applied.namespace + '/' if self.applied.namespace else ''}{self.doc.name}" + \
            (f" ({where})" if where else "")

    def sharing_key(self) -> Optional[str]:
        for key in (SHARING_KEY, SHARING_KEY_LEGACY, METALLB_SHARED, METALLB_SHARED_LEGACY):
            if self.annotations.get(key) is not None:
                return scalar_text(self.annotations[key])
        return None

    def cross_namespace(self) -> set[str]:
        for key in (SHARING_CROSS_NS, SHARING_CROSS_NS_LEGACY):
            if self.annotations.get(key) is not None:
                return set(split_addresses(scalar_text(self.annotations[key])))
        return set()


def sharing_conflict(a: Workload, b: Workload) -> str:
    """Why two Services cannot share an address under Cilium's rules (domain.md §1.3), or ""."""
    key_a, key_b = a.sharing_key(), b.sharing_key()
    if key_a is None or key_b is None:
        return "neither sets a sharing key" if key_a is None and key_b is None else "only one sets a sharing key"
    if key_a != key_b:
        return f"their sharing keys differ ({key_a} / {key_b})"
    if a.namespace is not None and b.namespace is not None and a.namespace != b.namespace:
        allow_a, allow_b = a.cross_namespace(), b.cross_namespace()
        if not ((b.namespace in allow_a or "*" in allow_a) and (a.namespace in allow_b or "*" in allow_b)):
            return ("they are in different namespaces and lbipam.cilium.io/sharing-cross-namespace does not "
                    "allow it on both")
    if a.ports is not None and b.ports is not None and a.ports & b.ports:
        return f"both use port {min(a.ports & b.ports)} (the protocol does not matter)"
    if a.traffic_policy and b.traffic_policy and a.traffic_policy != b.traffic_policy:
        return f"their externalTrafficPolicy differs ({a.traffic_policy} / {b.traffic_policy})"
    if a.traffic_policy == "Local" and b.traffic_policy == "Local" and a.kind == b.kind == "Service":
        if not a.pod_selector or a.pod_selector != b.pod_selector:
            return "with externalTrafficPolicy: Local both need the same, non-empty pod selector"
    return ""


@dataclass(frozen=True)
class Request:
    """One LoadBalancer IP asked for (``kind`` request) or pointed at (``kind`` target)."""

    address: IPAddress
    text: str  # the entry as written (after substitution)
    workload: Workload
    key: KeyPath  # the key in the document that holds it
    source: str  # how it is asked for, e.g. "annotation lbipam.cilium.io/ips"
    ipam: str  # cilium | metallb | any | none (externalIPs, DNS target)
    kind: str = "request"  # request | target | address (Gateway spec.addresses)
    via: str = ""  # " (${VAR} from postBuild.substitute[From] at file:line)" when substituted

    @property
    def doc(self) -> Document:
        return self.workload.doc


def ignored_reason(request: Request, implementations: set[str]) -> str:
    """Why no IPAM will ever read ``request`` (with the fix), or "" when one does. ``implementations``:
    the IPAMs whose pools the cluster has (cilium, metallb)."""
    workload = request.workload
    if workload.kind == "Service" and workload.service_type != "LoadBalancer":
        return (f"the Service is type {workload.service_type}; LoadBalancer IPAM only serves type LoadBalancer. "
                "Set spec.type: LoadBalancer or remove the request")
    if request.ipam == "cilium" and workload.lb_class and workload.lb_class not in CILIUM_LB_CLASSES:
        return (f"spec.loadBalancerClass is {workload.lb_class}, so Cilium LB-IPAM ignores the Service. "
                "Remove the class or use io.cilium/bgp-control-plane")
    if request.kind == "address" and request.ipam == "none":
        return ("Envoy Gateway copies Gateway spec.addresses into the Service's externalIPs; LB-IPAM never "
                f"allocates them. Ask for the address with spec.infrastructure.annotations "
                f"lbipam.cilium.io/ips: \"{request.text}\" instead")
    if implementations and request.ipam in ("cilium", "metallb") and request.ipam not in implementations:
        other = "MetalLB" if request.ipam == "cilium" else "Cilium"
        mine = "Cilium" if request.ipam == "cilium" else "MetalLB"
        return (f"{request.source} is read by {mine}, but the pools are {other} pools; {other} ignores it. "
                f"Use the {other} annotation or spec.loadBalancerIP")
    return ""


@dataclass(frozen=True)
class BadEntry:
    """A request entry that is not an IP address (Cilium logs and drops it)."""

    workload: Workload
    key: KeyPath
    text: str
    source: str
    via: str = ""


def _role_for(policy: Any, kind: str, namespace: Optional[str], name: str, guessed: str) -> str:
    """The policy's ``workload_roles`` override the guess; the last matching entry wins."""
    entries = policy.architecture.get("workload_roles")
    role = guessed
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict) or not isinstance(entry.get("role"), str):
            continue
        if isinstance(entry.get("kind"), str) and entry["kind"] != kind:
            continue
        if isinstance(entry.get("namespace"), str) and not fnmatch.fnmatchcase(namespace or "", entry["namespace"]):
            continue
        if isinstance(entry.get("name"), str) and not fnmatch.fnmatchcase(name, entry["name"]):
            continue
        role = entry["role"]
    return role


def _looks_ingress(*names: str) -> bool:
    for name in names:
        lowered = name.lower()
        if any(w in lowered for w in NOT_INGRESS):
            continue
        if any(w in lowered for w in INGRESS_WORDS):
            return True
    return False


def _service_role(doc: Document, labels: dict[str, str]) -> str:
    gateway_labels = ("gateway.networking.k8s.io/gateway-name", "gateway.envoyproxy.io/owning-gateway-name",
                      "io.cilium.gateway/owning-gateway")
    if any(k in labels for k in gateway_labels):
        return "ingress"
    names = [labels.get("app.kubernetes.io/name", ""), labels.get("app.kubernetes.io/instance", ""),
             labels.get("app", ""), doc.name]
    return "ingress" if _looks_ingress(*names) else "default"


def _str_map(value: Any) -> dict[str, Any]:
    return {str(k): v for k, v in value.items()} if isinstance(value, dict) else {}


def _ports(spec: Any) -> Optional[set[int]]:
    if not isinstance(spec, dict) or not isinstance(spec.get("ports"), list):
        return None
    ports = {p.get("port") for p in spec["ports"] if isinstance(p, dict)}
    return {p for p in ports if isinstance(p, int)}


def chain_labels(index: Any, applied: Applied) -> dict[str, str]:
    """Labels kustomize adds on the way (``commonLabels``, ``labels[].pairs``, Flux ``commonMetadata``)."""
    out: dict[str, str] = {}
    ks = applied.kustomization
    if ks is not None:
        out.update({str(k): scalar_text(v) for k, v in _str_map(ks.get("spec", "commonMetadata", "labels")).items()})
    # Only the kustomizations of the last Flux Kustomization's build touch the object.
    steps: list[str] = []
    for step in applied.chain:
        if isinstance(step, str) and " Kustomization " in step:
            steps = []
        elif isinstance(step, str) and (step.endswith("/") or step.startswith("./")):
            steps.append(step)
    for step in steps:
        folder = posixpath.normpath(step).rstrip("/")
        folder = "" if folder == "." else folder
        for name in ("kustomization.yaml", "kustomization.yml", "Kustomization"):
            source = index.file(posixpath.join(folder, name) if folder else name)
            if source is None or not source.documents or not isinstance(source.documents[0].data, dict):
                continue
            data = source.documents[0].data
            out.update({str(k): scalar_text(v) for k, v in _str_map(data.get("commonLabels")).items()})
            for entry in data.get("labels") or [] if isinstance(data.get("labels"), list) else []:
                if isinstance(entry, dict):
                    out.update({str(k): scalar_text(v) for k, v in _str_map(entry.get("pairs")).items()})
            break
    return out


def _service_workload(index: Any, policy: Any, applied: Applied) -> Workload:
    doc = applied.doc
    labels = {**chain_labels(index, applied), **doc.labels()}
    namespace = applied.namespace or "default"
    annotations = doc.annotations()
    spec = doc.get("spec") if isinstance(doc.get("spec"), dict) else {}
    selector = spec.get("selector")
    view = LabelView({**labels, SERVICE_NAMESPACE_LABEL: namespace, SERVICE_NAME_LABEL: doc.name}, True,
                     {k: scalar_text(v) for k, v in annotations.items()})
    guessed = _service_role(doc, labels)
    return Workload(
        applied, (), "Service", namespace, doc.name, view,
        _role_for(policy, "Service", namespace, doc.name, guessed), annotations, _ports(spec),
        scalar_text(spec.get("externalTrafficPolicy") or "Cluster"),
        {str(k): scalar_text(v) for k, v in selector.items()} if isinstance(selector, dict) else None,
        spec.get("loadBalancerClass") if isinstance(spec.get("loadBalancerClass"), str) else None,
        scalar_text(spec.get("type") or "ClusterIP"),
    )


def service_workload(index: Any, policy: Any, applied: Applied) -> Workload:
    """The workload view of an applied core Service (labels, role, type), requested address or not."""
    return _service_workload(index, policy, applied)


def _generated_workload(policy: Any, applied: Applied, service_key: KeyPath, service: dict[str, Any],
                        kind: str, namespace: Optional[str], guessed_role: str) -> Workload:
    """A Service described by Helm values or a Gateway: only some of its labels are known."""
    doc = applied.doc
    annotations = _str_map(service.get("annotations"))
    labels = {str(k): scalar_text(v) for k, v in _str_map(service.get("labels")).items()}
    if namespace:
        labels[SERVICE_NAMESPACE_LABEL] = namespace
    spec = service.get("spec") if isinstance(service.get("spec"), dict) else service
    etp = spec.get("externalTrafficPolicy")
    lb_class = spec.get("loadBalancerClass")
    service_type = spec.get("type")
    return Workload(
        applied, service_key, kind, namespace, None,
        LabelView(labels, False, {k: scalar_text(v) for k, v in annotations.items()}),
        _role_for(policy, kind, applied.namespace, doc.name, guessed_role), annotations, None,
        scalar_text(etp) if isinstance(etp, str) else None, None,
        lb_class if isinstance(lb_class, str) else None,
        service_type if isinstance(service_type, str) else None,
    )


@dataclass
class Requests:
    requests: list[Request] = field(default_factory=list)
    bad: list[BadEntry] = field(default_factory=list)
    workloads: list[Workload] = field(default_factory=list)
    deprecated: list[tuple[Workload, KeyPath, str, str]] = field(default_factory=list)  # (w, key, old, new)


def _collect(out: Requests, workload: Workload, base: KeyPath, values: dict[str, Any],
             annotations_key: KeyPath, lb_ip_key: Optional[KeyPath]) -> None:
    """Requests from one service description: its loadBalancerIP and its annotations."""
    applied = workload.applied
    added = False
    if lb_ip_key is not None:
        raw = _get(values, lb_ip_key)
        if raw is not None and scalar_text(raw).strip():
            added |= _add_entries(out, workload, base + lb_ip_key, raw, "spec.loadBalancerIP"
                                  if workload.kind == "Service" else "loadBalancerIP", "any", single=True)
    annotations = _get(values, annotations_key)
    if isinstance(annotations, dict):
        for key, raw in annotations.items():
            key = str(key)
            path = base + annotations_key + (key,)
            if key in DEPRECATED_ANNOTATIONS:
                out.deprecated.append((workload, path, key, DEPRECATED_ANNOTATIONS[key]))
            if key in REQUEST_ANNOTATIONS:
                added |= _add_entries(out, workload, path, raw, f"annotation {key}", REQUEST_ANNOTATIONS[key])
            elif key == DNS_TARGET:
                text, via = resolve(applied, raw)
                for entry in split_addresses(text or ""):
                    address = parse_address(entry)
                    if address is not None:
                        out.requests.append(Request(address, entry, workload, path, f"annotation {key}",
                                                    "none", "target", via))
    if added and workload not in out.workloads:
        out.workloads.append(workload)


def _add_entries(out: Requests, workload: Workload, path: KeyPath, raw: Any, source: str, ipam: str,
                 single: bool = False) -> bool:
    text, via = resolve(workload.applied, raw)
    if text is None:
        return False  # unknown substitution: never an error
    entries = [text.strip()] if single else split_addresses(text)
    added = False
    for entry in entries:
        address = parse_address(entry)
        if address is None:
            out.bad.append(BadEntry(workload, path, entry, source, via))
            continue
        out.requests.append(Request(address, entry, workload, path, source, ipam, "request", via))
        added = True
    return added


def _get(values: Any, path: KeyPath) -> Any:
    node = values
    for step in path:
        if not isinstance(node, dict):
            return None
        node = node.get(step)
    return node


def helm_role(doc: Document) -> str:
    release = doc.get("spec", "releaseName")
    names = [chart_name(doc), doc.name, release if isinstance(release, str) else ""]
    return "ingress" if _looks_ingress(*names) else "default"


def _helm_services(values: Any) -> Iterable[tuple[KeyPath, dict[str, Any]]]:
    """Every mapping in Helm values that describes a Service with an address or LB annotations.

    Covers ingress-nginx ``controller.service`` (+ ``.internal``), Traefik ``service`` (+ ``.spec``
    and ``additionalServices.*``), k8s-gateway and the generic ``*.service`` shapes, and app-template
    style ``service.<name>`` maps, by looking for a ``loadBalancerIP`` or an ``annotations`` map that
    holds a request or DNS-target key.
    """
    stack: list[tuple[KeyPath, Any]] = [((), values)]
    while stack:
        path, node = stack.pop()
        if not isinstance(node, dict):
            continue
        annotations = node.get("annotations")
        has_ann = isinstance(annotations, dict) and any(
            str(k) in REQUEST_ANNOTATIONS or str(k) == DNS_TARGET or str(k) in DEPRECATED_ANNOTATIONS
            for k in annotations)
        spec = node.get("spec")
        has_ip = "loadBalancerIP" in node or (isinstance(spec, dict) and "loadBalancerIP" in spec)
        described = bool((has_ann or has_ip) and path)
        if described:
            yield path, node
        for key in reversed(list(node.keys())):
            if key in ("annotations", "podAnnotations", "labels", "podLabels") or (described and key == "spec"):
                continue  # a described Service's ``spec`` is part of it, not another Service
            stack.append((path + (key,), node[key]))


_LB_WORDS = ("loadBalancerIP", "lbipam.cilium.io", "io.cilium/lb-ipam", "metallb", DNS_TARGET)


def _mentions_lb(index: Any, doc: Document) -> bool:
    """A cheap pre-filter on the file text: most HelmReleases never mention a LoadBalancer address, and
    walking every values tree of a large repository costs more than the rest of these checks."""
    source = index.file(doc.path)
    text = source.text if source is not None else ""
    return not text or any(word in text for word in _LB_WORDS)


def collect_requests(index: Any, policy: Any) -> Requests:
    """Every LoadBalancer IP request of the applied set (lb and bgp both judge them): built once."""
    return index.derived(("lb-requests", id(policy)), lambda: _collect_requests(index, policy))


def _collect_requests(index: Any, policy: Any) -> Requests:
    out = Requests()
    for applied in index.applied_of_kind("Service"):
        if applied.doc.group:
            continue  # e.g. serving.knative.dev Service
        workload = _service_workload(index, policy, applied)
        _collect(out, workload, (), applied.doc.data, ("metadata", "annotations"), ("spec", "loadBalancerIP"))
    for applied in index.applied_of_kind("HelmRelease"):
        doc = applied.doc
        values = doc.get("spec", "values")
        if not isinstance(values, dict) or not _mentions_lb(index, doc) or chart_name(doc) == "cilium":
            continue  # cilium's k8sServiceHost is an API endpoint, not a LoadBalancer IP (§3.9)
        target_ns = doc.get("spec", "targetNamespace")
        namespace = target_ns if isinstance(target_ns, str) else (applied.namespace or "default")
        guessed = helm_role(doc)
        for path, service in _helm_services(values):
            base = ("spec", "values") + path
            workload = _generated_workload(policy, applied, base, service, "HelmRelease", namespace, guessed)
            if workload.service_type not in (None, "LoadBalancer"):
                continue  # the chart renders a ClusterIP/NodePort Service: no LoadBalancer IP
            lb_key: KeyPath = ("spec", "loadBalancerIP") if isinstance(service.get("spec"), dict) and \
                "loadBalancerIP" in service["spec"] else ("loadBalancerIP",)
            _collect(out, workload, base, service, ("annotations",), lb_key)
    for applied in index.applied_of_kind("Gateway"):
        doc = applied.doc
        if not doc.group.startswith("gateway.networking.k8s.io"):
            continue
        infra = doc.get("spec", "infrastructure")
        gateway_class = doc.get("spec", "gatewayClassName")
        cilium = isinstance(gateway_class, str) and gateway_class == "cilium"
        namespace = (applied.namespace or "default") if cilium else None
        service = dict(infra) if isinstance(infra, dict) else {}
        workload = _generated_workload(policy, applied, ("spec", "infrastructure"), service, "Gateway", namespace,
                                       "ingress")
        _collect(out, workload, ("spec", "infrastructure"), service, ("annotations",), None)
        addresses = doc.get("spec", "addresses")
        for i, entry in enumerate(addresses if isinstance(addresses, list) else []):
            if not isinstance(entry, dict) or entry.get("type", "IPAddress") != "IPAddress":
                continue
            text, via = resolve(applied, entry.get("value"))
            address = parse_address(text) if text else None
            if address is not None:
                out.requests.append(Request(address, text or "", workload, ("spec", "addresses", i, "value"),
                                            "Gateway spec.addresses", "cilium" if cilium else "none", "address",
                                            via))
                if workload not in out.workloads:
                    out.workloads.append(workload)
    for applied in index.applied_of_kind("EnvoyProxy"):
        service = applied.doc.get("spec", "provider", "kubernetes", "envoyService")
        if isinstance(service, dict):
            base: KeyPath = ("spec", "provider", "kubernetes", "envoyService")
            workload = _generated_workload(policy, applied, base, service, "EnvoyProxy", None, "ingress")
            _collect(out, workload, base, service, ("annotations",), ("loadBalancerIP",))
    return out


