"""The network facts the lb-, bgp- and cidr- rules judge, read from the shared index.

* LoadBalancer pools (Cilium ``CiliumLoadBalancerIPPool``, MetalLB ``IPAddressPool``) with their
  blocks, selector, state and the role the policy gives them;
* every LoadBalancer IP the applied set asks for (domain.md §3), with the exact key that asks,
  the workload behind it and that workload's role;
* label selectors evaluated with three outcomes (match, no match, cannot tell), because the
  labels of a Service a Helm chart or a Gateway generates are only partly known;
* the Cilium version the repository deploys, when it says so.

Nothing here reports: the check modules decide what is wrong.

Modules: ``selectors`` (label selectors), ``pools`` (pools and the Cilium version), ``requests``
(LoadBalancer requests and the workloads behind them), ``values`` (scalars as text, ``${VAR}``
through the applying Kustomization).
"""
from __future__ import annotations

from .pools import (
    POOL_KINDS, Block, Pool, chart_name, cilium_version, first_last_reserved, manifest_pools, parse_version,
    policy_pools, pool_blocks, role_from_name,
)
from .requests import (
    CILIUM_LB_CLASSES, DEPRECATED_ANNOTATIONS, DNS_TARGET, LBIPAM_IPS, LBIPAM_IPS_LEGACY, METALLB_IPS,
    METALLB_IPS_LEGACY, METALLB_POOL, METALLB_POOL_LEGACY, METALLB_SHARED, METALLB_SHARED_LEGACY,
    REQUEST_ANNOTATIONS, SERVICE_NAME_LABEL, SERVICE_NAMESPACE_LABEL, SHARING_CROSS_NS, SHARING_CROSS_NS_LEGACY,
    SHARING_KEY, SHARING_KEY_LEGACY, BadEntry, Request, Requests, Workload, chain_labels, collect_requests,
    helm_role, ignored_reason, service_workload, sharing_conflict,
)
from .selectors import LabelView, selector_keys, selector_matches
from .values import resolve, scalar_text

__all__ = [
    "CILIUM_LB_CLASSES", "DEPRECATED_ANNOTATIONS", "DNS_TARGET", "LBIPAM_IPS", "LBIPAM_IPS_LEGACY", "METALLB_IPS",
    "METALLB_IPS_LEGACY", "METALLB_POOL", "METALLB_POOL_LEGACY", "METALLB_SHARED", "METALLB_SHARED_LEGACY",
    "POOL_KINDS", "REQUEST_ANNOTATIONS", "SERVICE_NAME_LABEL", "SERVICE_NAMESPACE_LABEL", "SHARING_CROSS_NS",
    "SHARING_CROSS_NS_LEGACY", "SHARING_KEY", "SHARING_KEY_LEGACY", "BadEntry", "Block", "LabelView", "Pool",
    "Request", "Requests", "Workload", "chain_labels", "chart_name", "cilium_version", "collect_requests",
    "first_last_reserved", "helm_role", "ignored_reason", "manifest_pools", "parse_version", "policy_pools",
    "pool_blocks", "resolve", "role_from_name", "scalar_text", "selector_keys", "selector_matches",
    "service_workload", "sharing_conflict",
]
