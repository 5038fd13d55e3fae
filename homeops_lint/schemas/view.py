"""The Kubernetes view of a document: what the API server decodes and validates (YAML 1.1
booleans, no SOPS metadata block), and which values are only known at apply time."""
from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Callable

from ..model import Document

if TYPE_CHECKING:
    from .store import Resolved


# --- what Kubernetes reads: YAML 1.1 booleans ------------------------------------------------
# sigs.k8s.io/yaml decodes with YAML 1.1 resolution: a plain yes/no/on/off/y/n is a boolean. The
# loader keeps YAML 1.2 semantics (a string), so the validated view converts them back.
_YAML11_TRUE = {"y", "Y", "yes", "Yes", "YES", "on", "On", "ON"}
_YAML11_FALSE = {"n", "N", "no", "No", "NO", "off", "Off", "OFF"}
# A plain YAML 1.1 boolean word as a value, item or flow entry. Over-matching only costs a copy.
_YAML11_BOOL_RE = re.compile(r"[:\-\[{,][ \t]*(?:[yYnN]|[yY]es|YES|[nN]o|NO|[oO]n|ON|[oO]ff|OFF)[ \t]*(?:$|[#,\]}])",
                             re.MULTILINE)


def needs_yaml11_view(text: str) -> bool:
    """Cheap test on a file's text: could a plain YAML 1.1 boolean hide in it?"""
    return _YAML11_BOOL_RE.search(text) is not None


def _plain_bool(value: Any, pos: Any) -> Any:
    if isinstance(value, str) and pos is not None and getattr(pos, "style", "x") == "":
        if value in _YAML11_TRUE:
            return True
        if value in _YAML11_FALSE:
            return False
    return value


def k8s_view(value: Any, yaml11: bool = True) -> Any:
    """A plain copy of ``value`` as the Kubernetes API would decode it: string keys, and plain
    YAML 1.1 booleans as booleans (``yaml11``)."""
    if isinstance(value, dict):
        vpos = getattr(value, "vpos", {})
        return {str(k): k8s_view(_plain_bool(v, vpos.get(k)) if yaml11 else v, yaml11) for k, v in value.items()}
    if isinstance(value, list):
        ipos = getattr(value, "ipos", [])
        return [k8s_view(_plain_bool(v, ipos[i] if i < len(ipos) else None) if yaml11 else v, yaml11)
                for i, v in enumerate(value)]
    return value



class Views:
    """What to validate for each document, with the per-file text scan done once per file."""

    def __init__(self, file_text: Callable[[str], str]) -> None:
        self._text = file_text
        self._yaml11: dict[str, bool] = {}

    def __call__(self, doc: Document, keep_sops: bool = False) -> Any:
        flag = self._yaml11.get(doc.path)
        if flag is None:
            flag = self._yaml11[doc.path] = needs_yaml11_view(self._text(doc.path))
        return document_view(doc, flag, keep_sops)


def document_view(doc: Document, yaml11: bool, keep_sops: bool = False) -> Any:
    """What to validate for ``doc``: without the SOPS metadata block (unless the kind itself
    declares one, ``keep_sops``: an operator such as sops-operator decrypts in the cluster, so
    the API server receives the block), YAML 1.1 booleans resolved when its file may contain one
    (``yaml11``), otherwise the document itself (no copy)."""
    data = doc.data
    if not isinstance(data, dict):
        return data
    if yaml11:
        data = k8s_view(data)
    if not keep_sops and isinstance(data.get("sops"), dict):
        data = {k: v for k, v in data.items() if k != "sops"}
    return data


def declares_sops(resolved: "Resolved") -> bool:
    """The kind's schema has a root ``sops`` field: the SOPS block is part of the object."""
    props = resolved.schema.get("properties") if isinstance(resolved.schema, dict) else None
    return isinstance(props, dict) and "sops" in props


def is_deferred(value: Any) -> bool:
    """A value whose real content is only known at apply time: a Flux substitution or SOPS data."""
    return isinstance(value, str) and ("${" in value or value.startswith("ENC["))
