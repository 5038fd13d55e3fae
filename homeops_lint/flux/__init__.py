"""Stage 4b: the Flux graph — what Flux actually applies, and how it gets there.

Semantics (domain.md §5.3): start at the entrypoints (the ``flux-system`` Kustomization of a
``flux bootstrap`` repo, a FluxInstance or flux-instance HelmRelease sync path, or the policy's
``flux.entrypoints``), plus Flux Kustomizations no entrypoint reaches that tooling applies by hand
(a Taskfile's ``kubectl apply -k kubernetes/flux/config``), which join the cluster they overlap. A
GitRepository whose URL is the synced repository is this repository, whatever its name; a
FluxInstance nothing installs is a stale copy when another one is installed. Build each Flux Kustomization's ``spec.path``: a folder with a kustomization
file yields exactly what that file lists (resources and components, files and folders, recursively);
a folder without one yields every ``*.yaml``/``*.yml`` file below it, stopping at sub-folders that
have their own kustomization file (which are built as folders). The path is relative to the source
artifact's root: the repository root for a GitRepository, the folder CI pushes (``flux push
artifact --path``) for an OCIRepository this repository produces. Files the source artifact excludes
(``.github/``, ``.sops.yaml``, ``.sourceignore`` patterns, ...) do not exist for Flux. Child Flux
Kustomizations found in a build are followed in turn, after the parent's substitutions and
``spec.patches`` are applied to them. Remote resources are recorded, never fetched. Nothing
outside the root is ever read.

Modules, one job each: ``kinds`` (Flux kinds, cluster-scoped kinds), ``model`` (``Applied``,
``KsNode``, ``FluxGraph``, chains), ``substitutions`` (postBuild variables and the one ``${VAR}``
resolver), ``tree`` (folders, kustomization files and their entries), ``sourceignore`` (the
source artifact), ``patches`` (patches that reach a Kustomization's spec), ``tooling`` (what
Taskfiles and scripts name), ``walker`` (the build of one Kustomization), ``graph`` (the
entrypoints and the whole graph), ``dead`` (files nothing applies).
"""
from __future__ import annotations

from .dead import DeadFile, dead_files
from .graph import build_graph, repo_key
from .kinds import (
    CLUSTER_SCOPED, HELM_GROUP, KUSTOMIZE_GROUP, SOURCE_GROUP, effective_namespace, is_flux_kustomization,
)
from .model import Applied, Build, FluxGraph, GraphEvent, KsNode, format_chain, ks_label
from .patches import Patch, PatchCache, patched_spec
from .sourceignore import DEFAULT_SOURCE_IGNORE, artifact_view
from .substitutions import (
    EMPTY_SUBST, SUBSTITUTE_OPT_OUT, VAR_RE, Substitutions, substitutions_for, variables_in,
)
from .tooling import Mentions, mentioned, mentions, pushed_artifact_paths, tooling_text
from .tree import is_remote, kustomization_entries, kustomization_files, normalize

__all__ = [
    "CLUSTER_SCOPED", "DEFAULT_SOURCE_IGNORE", "EMPTY_SUBST", "HELM_GROUP", "KUSTOMIZE_GROUP",
    "SOURCE_GROUP", "SUBSTITUTE_OPT_OUT", "VAR_RE", "Applied", "Build", "DeadFile", "FluxGraph",
    "GraphEvent", "KsNode", "Mentions", "Patch", "PatchCache", "Substitutions", "artifact_view",
    "build_graph", "dead_files", "effective_namespace", "format_chain", "is_flux_kustomization",
    "is_remote", "ks_label", "kustomization_entries", "kustomization_files", "mentioned", "mentions",
    "normalize", "patched_spec", "pushed_artifact_paths", "repo_key", "substitutions_for", "tooling_text",
    "variables_in",
]
