"""Substitution sources an admission webhook adds to the Flux Kustomizations of a cluster.

The kustomize-mutating-webhook (chart ``kustomize-mutating-webhook``) extends postBuild
substitution beyond one namespace: it reads the ConfigMaps and Secrets named in its chart values
(``configMaps[].name``, ``secrets[].name``) from its own namespace and adds their variables to
the Kustomizations it admits. A variable that none of a Kustomization's own sources defines may
then still be defined, so it is not reported as undefined. The values are read inline
(``spec.values``), from a ConfigMap the cluster applies, or from the files a kustomization's
``configMapGenerator`` packs into the ``valuesFrom`` ConfigMap; when none can be read, the
webhook counts as one source that cannot be read (its variables are unknown).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Optional

from .. import yamlload
from ..model import Document, SourceFile
from .model import Applied
from .tree import kustomization_files, normalize

WEBHOOK_CHART = "kustomize-mutating-webhook"


@dataclass(frozen=True)
class InjectedSource:
    """A ConfigMap or Secret the webhook reads (``name`` None: values that could not be read)."""

    kind: str
    name: Optional[str]
    namespace: str

    @property
    def label(self) -> str:
        return f"{self.kind}/{self.name} ({WEBHOOK_CHART})" if self.name else f"{WEBHOOK_CHART} values"


def is_webhook_release(doc: Document) -> bool:
    if doc.kind != "HelmRelease":
        return False
    names = (doc.name, doc.get("spec", "chart", "spec", "chart"), doc.get("spec", "chartRef", "name"))
    return any(isinstance(n, str) and n.rsplit("/", 1)[-1] == WEBHOOK_CHART for n in names)


def injected_sources(applied: Iterable[Applied], files: list[SourceFile]) -> dict[int, list[InjectedSource]]:
    """Per cluster (``id`` of its root document): the sources the webhook adds, in its order."""
    everything = list(applied)
    out: dict[int, list[InjectedSource]] = {}
    for item in everything:
        if not is_webhook_release(item.doc):
            continue
        namespace = item.namespace or "flux-system"
        values = [_inline(item.doc)] + _values_from(item, everything, files)
        found = [InjectedSource(kind, name, namespace) for data in values for kind, name in _sources(data)]
        out.setdefault(id(item.root), []).extend(found or [InjectedSource("Webhook", None, namespace)])
    return out


def _inline(doc: Document) -> Any:
    return doc.get("spec", "values")


def _sources(values: Any) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    if not isinstance(values, dict):
        return out
    for key, kind in (("configMaps", "ConfigMap"), ("secrets", "Secret")):
        entries = values.get(key)
        for entry in entries if isinstance(entries, list) else []:
            name = entry.get("name") if isinstance(entry, dict) else None
            if isinstance(name, str) and name and "${" not in name:
                out.append((kind, name))
    return out


def _values_from(item: Applied, everything: list[Applied], files: list[SourceFile]) -> list[Any]:
    """The chart values of each ``valuesFrom`` ConfigMap: applied, or packed by a generator."""
    refs = item.doc.get("spec", "valuesFrom")
    out: list[Any] = []
    for ref in refs if isinstance(refs, list) else []:
        if not isinstance(ref, dict) or ref.get("kind") != "ConfigMap" or not isinstance(ref.get("name"), str):
            continue
        key = ref.get("valuesKey") if isinstance(ref.get("valuesKey"), str) else "values.yaml"
        text = _applied_config_map_value(everything, item, ref["name"], key)
        if text is not None:
            try:
                out.append(yamlload.load_one(text))
            except ValueError:
                pass  # values that do not parse name no source
            continue
        packed = _generated_file(files, ref["name"], key)
        if packed is not None and packed.documents:
            out.append(packed.documents[0].data)
    return out


def _applied_config_map_value(everything: list[Applied], item: Applied, name: str, key: str) -> Optional[str]:
    for other in everything:
        doc = other.doc
        if doc.kind == "ConfigMap" and doc.name == name and other.root is item.root \
                and (other.namespace or "") == (item.namespace or ""):
            value = doc.get("data", key)
            if isinstance(value, str):
                return value
    return None


def _generated_file(files: list[SourceFile], name: str, key: str) -> Optional[SourceFile]:
    """The file a kustomization's ``configMapGenerator`` named ``name`` packs under ``key``
    (``files: [values.yaml=./values.yaml]``, or ``files: [values.yaml]``)."""
    by_path = {source.path: source for source in files}
    for source, data in kustomization_files(files):
        folder = source.path.rsplit("/", 1)[0] if "/" in source.path else ""
        generators = data.get("configMapGenerator")
        for generator in generators if isinstance(generators, list) else []:
            if not isinstance(generator, dict) or generator.get("name") != name:
                continue
            entries = generator.get("files")
            for entry in entries if isinstance(entries, list) else []:
                if not isinstance(entry, str):
                    continue
                packed, _, path = entry.partition("=") if "=" in entry else (entry.rsplit("/", 1)[-1], "", entry)
                target = normalize(folder, path.strip())
                if packed.strip() == key and target in by_path:
                    return by_path[target]
    return None
