"""Patches that reach a Flux Kustomization's spec: its parent's ``spec.patches``, the patches of
the kustomization file (and Components) that lists it, and a FluxInstance's kustomize patches."""
from __future__ import annotations

import re
from typing import Any, Optional

from ..model import Document, SourceFile
from .kinds import is_flux_kustomization
from .tree import Tree, is_remote, kustomization_files, normalize


# --- patches a parent Kustomization applies to its children ----------------------------------
def _merge(base: Any, patch: Any) -> Any:
    """JSON merge patch (RFC 7386), which is what a strategic merge does for custom resources."""
    if isinstance(base, dict) and isinstance(patch, dict):
        out = dict(base)
        for key, value in patch.items():
            if value is None:
                out.pop(key, None)
            else:
                out[key] = _merge(base.get(key), value)
        return out
    return patch


def _target_matches(target: Any, doc: Document, namespace: Optional[str]) -> bool:
    if not isinstance(target, dict):
        return False
    checks = {"group": doc.group, "kind": doc.kind, "name": doc.name, "namespace": namespace or ""}
    for key, actual in checks.items():
        wanted = target.get(key)
        if isinstance(wanted, str) and wanted:
            try:
                if not re.fullmatch(wanted, actual):
                    return False
            except re.error:
                if wanted != actual:
                    return False
    version = target.get("version")
    if isinstance(version, str) and version and not doc.api_version.endswith("/" + version):
        return False
    selector = target.get("labelSelector")
    if isinstance(selector, str) and selector:
        labels = doc.labels()
        for term in selector.split(","):
            term = term.strip()
            if "!=" in term or " in " in term or " notin " in term:
                continue  # set-based selectors: assume they match (never drop a patch wrongly)
            key, _, value = term.partition("=")
            key, value = key.strip(), value.lstrip("=").strip()
            if key.startswith("!"):
                if key[1:] in labels:
                    return False
            elif key not in labels or (value and labels[key] != value):
                return False
    return True


def _json6902(spec: dict[str, Any], ops: list[Any]) -> dict[str, Any]:
    """Apply the add/replace/remove operations of a JSON6902 patch that touch ``/spec``."""
    data: dict[str, Any] = {"spec": spec}
    for op in ops:
        if not isinstance(op, dict) or not isinstance(op.get("path"), str):
            continue
        steps = [s.replace("~1", "/").replace("~0", "~") for s in op["path"].strip("/").split("/")]
        if not steps or steps[0] != "spec":
            continue
        node: Any = data
        for step in steps[:-1]:
            if isinstance(node, dict):
                node = node.setdefault(step, {}) if op.get("op") == "add" else node.get(step)
            elif isinstance(node, list) and step.isdigit() and int(step) < len(node):
                node = node[int(step)]
            else:
                node = None
            if node is None:
                break
        last = steps[-1]
        if isinstance(node, dict):
            if op.get("op") in ("add", "replace"):
                node[last] = op.get("value")
            elif op.get("op") == "remove":
                node.pop(last, None)
        elif isinstance(node, list) and op.get("op") == "add":
            if last == "-":
                node.append(op.get("value"))
            elif last.isdigit():
                node.insert(int(last), op.get("value"))
    spec_out = data.get("spec")
    return spec_out if isinstance(spec_out, dict) else spec


Patch = tuple[Any, Any]  # (parsed patch body: a mapping or a JSON6902 list, its target or None)


class PatchCache:
    """Inline patch texts parsed once for one index: one parent's ``spec.patches`` apply to each of
    its children, and the checks read the same patches again."""

    def __init__(self) -> None:
        self.parsed: dict[str, Any] = {}  # patch text -> its parsed (read-only) body

    def inline(self, patches: Any) -> list[Patch]:
        """The ``spec.patches`` of a Flux Kustomization (inline strings), parsed."""
        out: list[Patch] = []
        if not isinstance(patches, list):
            return out
        from .. import yamlload

        for item in patches:
            if isinstance(item, dict) and isinstance(item.get("patch"), str):
                text = item["patch"]
                cached = self.parsed.get(text, _MISSING)
                if cached is _MISSING:
                    try:
                        cached = yamlload.load_one(text)
                    except ValueError:
                        cached = _INVALID
                    # A mapping body is only read (``_merge`` copies what it changes), so every child
                    # can share one parse; a JSON6902 list can have its inserted values mutated by a
                    # later operation of the same patch, so it is parsed afresh for each child.
                    if not isinstance(cached, list):
                        self.parsed[text] = cached
                if cached is _INVALID:
                    continue
                out.append((cached, item.get("target")))
        return out


_MISSING = object()
_INVALID = object()


def patched_spec(doc: Document, namespace: Optional[str], patches: list[Patch]) -> dict[str, Any]:
    """``doc``'s spec after the patches (parent ``spec.patches``, kustomize ``patches``) that target it."""
    spec = doc.get("spec")
    out: dict[str, Any] = dict(spec) if isinstance(spec, dict) else {}
    for body, target in patches:
        if isinstance(body, list):
            if _target_matches(target, doc, namespace):
                # the operations are copied too: one parsed patch serves every Kustomization it
                # targets, and a later operation must not edit a value an earlier one inserted there
                out = _json6902(_deep_copy(out), _deep_copy(body))
            continue
        if not isinstance(body, dict):
            continue
        if target is None:  # a strategic merge patch without target selects by its own kind/name
            meta = body.get("metadata") if isinstance(body.get("metadata"), dict) else {}
            target = {"kind": body.get("kind"), "name": meta.get("name")}
        if _target_matches(target, doc, namespace) and isinstance(body.get("spec"), dict):
            out = _merge(out, body["spec"])
    return out


def _deep_copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _deep_copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_deep_copy(v) for v in value]
    return value


def kustomize_patches_by_doc(tree: Tree) -> dict[int, list[Patch]]:
    """Patches that kustomization files apply to the Flux Kustomizations they list directly (how
    ``flux-system/kustomization.yaml`` adds ``decryption`` to the flux-system Kustomization),
    including the patches of the kustomize Components they list (a ``components/envsubst`` that
    gives every app's Kustomization ``postBuild.substituteFrom``)."""
    own: dict[str, list[Patch]] = {}  # kustomization file -> its own patches, parsed once
    out: dict[int, list[Patch]] = {}
    components: list[SourceFile] = []
    for source, data in kustomization_files(tree.files.values()):
        if data.get("kind") == "Component":
            components.append(source)
            continue
        _accumulate(tree, source, [], out, own, {source.path})
    # A Component is built as part of the kustomization that lists it; one that nothing lists
    # is judged on its own, like any kustomization file (never twice: its patches would repeat).
    for source in components:
        if source.path not in own:
            _accumulate(tree, source, [], out, own, {source.path})
    return out


def _accumulate(tree: Tree, source: SourceFile, accumulated: list[Document],
                out: dict[int, list[Patch]], own: dict[str, list[Patch]], stack: set[str]) -> None:
    """Follow kustomize's order for one kustomization file: its resources join the build, each
    listed Component adds its resources and patches everything built so far (the including
    file's resources too), then the file's own patches apply to all of it."""
    data = source.documents[0].data
    folder = source.path.rsplit("/", 1)[0] if "/" in source.path else ""
    for entry in data.get("resources") or [] if isinstance(data.get("resources"), list) else []:
        target = normalize(folder, entry) if isinstance(entry, str) else None
        listed = tree.files.get(target) if target is not None else None
        accumulated.extend(doc for doc in (listed.documents if listed is not None else [])
                           if is_flux_kustomization(doc))
    for entry in data.get("components") or [] if isinstance(data.get("components"), list) else []:
        target = normalize(folder, entry) if isinstance(entry, str) and not is_remote(entry) else None
        component = tree.kustomization_file(target) if target is not None and tree.is_dir(target) else None
        if component is None or component.path in stack or len(stack) > 64 or not component.documents \
                or not isinstance(component.documents[0].data, dict):
            continue
        _accumulate(tree, component, accumulated, out, own, stack | {component.path})
    if source.path not in own:
        own[source.path] = _own_patches(tree, data, folder)
    if own[source.path]:
        for doc in accumulated:
            out.setdefault(id(doc), []).extend(own[source.path])


def _own_patches(tree: Tree, data: dict[str, Any], folder: str) -> list[Patch]:
    """The ``patches``, ``patchesJson6902`` and ``patchesStrategicMerge`` of one kustomization
    file (inline or ``path:`` files) that can touch a Flux Kustomization."""
    from .. import yamlload

    patches: list[Patch] = []

    def body_of(item: Any) -> Any:
        if isinstance(item, str) and ("\n" in item or ":" in item):
            try:
                return yamlload.load_one(item)
            except ValueError:
                return None
        if isinstance(item, str):
            target = normalize(folder, item)
            ref = tree.files.get(target) if target is not None else None
            return ref.documents[0].data if ref is not None and ref.documents else None
        return None

    for section in ("patches", "patchesJson6902"):
        for item in data.get(section) or [] if isinstance(data.get(section), list) else []:
            if isinstance(item, dict):
                body = body_of(item.get("patch")) if isinstance(item.get("patch"), str) else body_of(item.get("path"))
                if body is not None:
                    patches.append((body, item.get("target")))
    for item in data.get("patchesStrategicMerge") or [] if isinstance(data.get("patchesStrategicMerge"), list) else []:
        body = body_of(item)
        if body is not None:
            patches.append((body, None))
    return [p for p in patches if isinstance(p[0], list) or (
        isinstance(p[0], dict) and p[0].get("kind") in (None, "Kustomization"))]


