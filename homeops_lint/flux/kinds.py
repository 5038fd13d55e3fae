"""Which documents are Flux objects, and which kinds a namespace never applies to."""
from __future__ import annotations

from typing import Optional

from ..model import Document

KUSTOMIZE_GROUP = "kustomize.toolkit.fluxcd.io"
HELM_GROUP = "helm.toolkit.fluxcd.io"
SOURCE_GROUP = "source.toolkit.fluxcd.io"
# Kinds that are cluster-scoped: a namespace transformer never touches them.
CLUSTER_SCOPED = frozenset({
    "Namespace", "CustomResourceDefinition", "ClusterRole", "ClusterRoleBinding", "StorageClass",
    "PriorityClass", "PersistentVolume", "Node", "ValidatingWebhookConfiguration",
    "MutatingWebhookConfiguration", "APIService", "IngressClass", "RuntimeClass", "CSIDriver", "CSINode",
    "VolumeAttachment", "VolumeSnapshotClass", "ClusterIssuer", "ClusterSecretStore", "ClusterExternalSecret",
    "CiliumLoadBalancerIPPool", "CiliumBGPPeeringPolicy", "CiliumBGPClusterConfig", "CiliumBGPPeerConfig",
    "CiliumBGPAdvertisement", "CiliumBGPNodeConfigOverride", "CiliumL2AnnouncementPolicy",
    "CiliumClusterwideNetworkPolicy", "CiliumPodIPPool", "CiliumNode", "CiliumCIDRGroup",
    "GatewayClass", "ClusterPolicy", "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding",
    "ClusterImagePolicy", "FlowSchema", "PriorityLevelConfiguration", "ClusterGenerator",
    "ClusterPushSecret", "ImageContentSourcePolicy", "NodeFeatureRule", "ClusterTriggerAuthentication",
    "MutatingAdmissionPolicy", "MutatingAdmissionPolicyBinding", "ClusterCleanupPolicy",
})


def is_flux_kustomization(doc: Document) -> bool:
    return doc.kind == "Kustomization" and doc.group == KUSTOMIZE_GROUP


def effective_namespace(doc: Document, override: Optional[str]) -> Optional[str]:
    if doc.kind in CLUSTER_SCOPED:
        return None
    return override or doc.namespace


