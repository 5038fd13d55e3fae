"""Schema resolution and fast validation for Kubernetes documents, with human messages.

Where a document's schema comes from, first match wins:

1. core Kubernetes kinds: kubernetes-validate's bundled strict JSON Schemas, read directly from
   the package folder (importing the package costs ~0.25 s; we only read the files we need);
2. ``CustomResourceDefinition`` documents in the repository (their ``openAPIV3Schema``);
3. the focused schemas shipped in ``schemas/crds/``;
4. the policy's ``schemas.folders`` (``{group}/{kind}_{version}.json``, kind lower-case or as is);
5. ``# yaml-language-server: $schema=URL`` modelines, mapped to local folders by URL prefix
   (``schemas.modelines``) or relative to the file. Nothing is ever downloaded.

Validation uses jsonschema-rs (a few µs per document); each schema is compiled once, lazily, on
the first document that needs it. Errors are turned into short messages at a key path, and errors
on values Flux substitutes (``${VAR}``) or SOPS encrypts (``ENC[...]``) are dropped.

The package has three parts: ``view`` (the Kubernetes view of a document), ``store`` (the schema
sources and the compiled-schema cache) and ``messages`` (validation and its human messages).
"""
from __future__ import annotations

from .messages import Issue, humanize, type_name, validate
from .store import (CoreSchemas, Resolved, SchemaSettings, SchemaStore, Unusable, crd_to_json_schema,
                    kubernetes_versions, modelines, pick_kubernetes_version, settings_from_policy)
from .view import Views, declares_sops, document_view, is_deferred, k8s_view, needs_yaml11_view

__all__ = ["CoreSchemas", "Issue", "Resolved", "SchemaSettings", "SchemaStore", "Unusable", "Views",
           "crd_to_json_schema", "declares_sops", "document_view", "humanize", "is_deferred", "k8s_view",
           "kubernetes_versions", "modelines", "needs_yaml11_view", "pick_kubernetes_version",
           "settings_from_policy", "type_name", "validate"]
