"""``.sops.yaml`` creation rules, and which leaves of a document SOPS encrypts.

SOPS picks the first creation rule whose ``path_regex`` matches the file path relative to the
folder of the ``.sops.yaml`` (a rule without ``path_regex`` matches everything). Which keys it
encrypts follows the selectors of that rule (or, once encrypted, of the file's own ``sops:``
block): ``encrypted_regex``, ``unencrypted_regex``, ``encrypted_suffix`` and ``unencrypted_suffix``
(default ``_unencrypted``) apply to every key on the path to a leaf.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Iterator, Optional

from ..model import KeyPath, SourceFile

CONFIG_NAMES = (".sops.yaml", ".sops.yml")
_SELECTOR_KEYS = ("encrypted_regex", "unencrypted_regex", "encrypted_suffix", "unencrypted_suffix")


@dataclass(frozen=True)
class Selectors:
    encrypted_regex: Optional["re.Pattern[str]"] = None
    unencrypted_regex: Optional["re.Pattern[str]"] = None
    encrypted_suffix: str = ""
    unencrypted_suffix: str = "_unencrypted"

    def encrypts(self, path: KeyPath) -> bool:
        """Whether SOPS encrypts the leaf at ``path`` (sequence indexes never match a selector)."""
        keys = [str(step) for step in path if not isinstance(step, int)]
        if self.unencrypted_suffix and any(k.endswith(self.unencrypted_suffix) for k in keys):
            return False
        if self.encrypted_regex is not None:
            return any(self.encrypted_regex.search(k) for k in keys)
        if self.unencrypted_regex is not None:
            return not any(self.unencrypted_regex.search(k) for k in keys)
        if self.encrypted_suffix:
            return any(k.endswith(self.encrypted_suffix) for k in keys)
        return True


@dataclass(frozen=True)
class CreationRule:
    config: str  # path of the .sops.yaml
    index: int
    path_regex: str
    selectors: Optional[Selectors]  # None: a selector regex we cannot read

    def describe(self) -> str:
        where = f"path_regex {self.path_regex}" if self.path_regex else "no path_regex"
        return f"{self.config} creation rule {self.index + 1} ({where})"


_GO_FLAGS_RE = re.compile(r"\(\?([imsU]+)\)")
_FLAG_BITS = {"i": re.IGNORECASE, "m": re.MULTILINE, "s": re.DOTALL}


class _Unknown(Exception):
    """A selector regex this Python cannot read: which keys SOPS encrypts is then unknown."""


def _compile(value: Any) -> Optional["re.Pattern[str]"]:
    if not isinstance(value, str) or not value:
        return None
    try:
        return re.compile(value)
    except re.error:
        pass
    # SOPS uses Go RE2, where a flag group may stand anywhere (``((?i)(pass|key))``); Python only
    # accepts it at the start. Hoisting it is exact for the usual single group that spans the rest.
    flags = 0
    for match in _GO_FLAGS_RE.finditer(value):
        for char in match.group(1):
            flags |= _FLAG_BITS.get(char, 0)
    try:
        return re.compile(_GO_FLAGS_RE.sub("", value), flags)
    except re.error:
        raise _Unknown(value) from None


def selectors_from(mapping: Any) -> Optional[Selectors]:
    """The selectors of a creation rule or sops block; None when a regex cannot be read."""
    if not isinstance(mapping, dict):
        return Selectors()
    suffix = mapping.get("unencrypted_suffix")
    try:
        return _selectors(mapping, suffix)
    except _Unknown:
        return None


def _selectors(mapping: dict[str, Any], suffix: Any) -> Selectors:
    return Selectors(
        encrypted_regex=_compile(mapping.get("encrypted_regex")),
        unencrypted_regex=_compile(mapping.get("unencrypted_regex")),
        encrypted_suffix=mapping.get("encrypted_suffix") if isinstance(mapping.get("encrypted_suffix"), str) else "",
        unencrypted_suffix=suffix if isinstance(suffix, str) else "_unencrypted",
    )


def creation_rules(files: list[SourceFile]) -> dict[str, list[CreationRule]]:
    """Folder ('' for the root) -> the creation rules of the .sops.yaml in it."""
    out: dict[str, list[CreationRule]] = {}
    for source in files:
        name = source.path.rsplit("/", 1)[-1]
        if name not in CONFIG_NAMES or not source.documents:
            continue
        data = source.documents[0].data
        rules = data.get("creation_rules") if isinstance(data, dict) else None
        if not isinstance(rules, list):
            continue
        folder = source.path.rsplit("/", 1)[0] if "/" in source.path else ""
        parsed = []
        for index, rule in enumerate(rules):
            if not isinstance(rule, dict):
                continue
            regex = rule.get("path_regex")
            parsed.append(CreationRule(source.path, index, regex if isinstance(regex, str) else "",
                                       selectors_from(rule)))
        out[folder] = parsed
    return out


@lru_cache(maxsize=256)
def _path_pattern(regex: str) -> Optional["re.Pattern[str]"]:
    try:
        return _compile(regex)
    except _Unknown:
        return None


def rule_for(path: str, rules: dict[str, list[CreationRule]]) -> Optional[CreationRule]:
    """The creation rule SOPS would use for ``path`` (nearest .sops.yaml, first match)."""
    folder = path
    while True:
        folder = folder.rsplit("/", 1)[0] if "/" in folder else ""
        if folder in rules:
            rel = path[len(folder) + 1:] if folder else path
            for rule in rules[folder]:
                if not rule.path_regex:
                    return rule
                pattern = _path_pattern(rule.path_regex)
                if pattern is not None and (pattern.search(rel) or pattern.search(path)):
                    return rule
            return None
        if not folder:
            return None


# Names that say "not this file as is": a template rendered (then encrypted) by a tool, or a file set
# aside. ``secret.sops.yaml.j2`` is encrypted after makejinja renders it; ``x.sops.yaml.disabled`` is off.
TEMPLATE_SUFFIXES = (".j2", ".jinja", ".jinja2", ".tmpl", ".tpl", ".gotmpl", ".tftpl")
INACTIVE_SUFFIXES = (".disabled", ".bak", ".backup", ".old", ".orig", ".cold", ".off", ".archive", ".example",
                     ".sample", ".dist")
_SOPS_NAME_RE = re.compile(r"\.sops(?:\.(?:ya?ml|json|env|ini|txt|conf|toml|key|pem|age|asc|bin|dec))?$|"
                           r"^\.(?:env\.)?sops$")


def is_template_path(path: str) -> bool:
    name = path.rsplit("/", 1)[-1].lower()
    return name.endswith(TEMPLATE_SUFFIXES) or ".tmpl." in name or ".tpl." in name


_INACTIVE_RE = re.compile("(?:" + "|".join(re.escape(s) for s in INACTIVE_SUFFIXES) + ")(?:/|$)")


def is_inactive_path(path: str) -> bool:
    """A file (or a folder) set aside: ``*.disabled``, ``*.bak``, ``*.cold`` and friends."""
    return _INACTIVE_RE.search(path.lower()) is not None


def name_promises_encryption(path: str) -> bool:
    """``secret.sops.yaml``, ``talsecret.sops.yml``, ``.env.sops``: the name says SOPS.

    Only when the SOPS marker ends the name (up to the format extension): a template
    (``secret.sops.yaml.j2``) or a file set aside (``secret.sops.yaml.disabled``) promises nothing.
    """
    name = path.rsplit("/", 1)[-1]
    if name in CONFIG_NAMES or is_inactive_path(path):
        return False
    return bool(_SOPS_NAME_RE.search(name))


def leaves(data: Any, path: KeyPath = ()) -> Iterator[tuple[KeyPath, Any]]:
    """Scalar leaves (nulls excluded) below ``data``, skipping the top-level ``sops`` block."""
    if isinstance(data, dict):
        for key, value in data.items():
            if not path and key == "sops":
                continue
            yield from leaves(value, path + (key,))
    elif isinstance(data, list):
        for index, item in enumerate(data):
            yield from leaves(item, path + (index,))
    elif data is not None:
        yield path, data


def is_encrypted_value(value: Any) -> bool:
    return isinstance(value, str) and value.startswith("ENC[") and value.endswith("]")


def text_is_encrypted(text: str) -> bool:
    """Non-YAML SOPS files (dotenv, JSON, INI, binary): ciphertext and metadata are present."""
    return "ENC[AES256_GCM," in text and ("sops" in text)


def selectors_for(doc_data: Any, rule: Optional[CreationRule]) -> Optional[Selectors]:
    """The file's own sops metadata wins (it is what SOPS used); else the creation rule's.

    None when the selectors cannot be read: which values SOPS encrypts is then unknown."""
    block = doc_data.get("sops") if isinstance(doc_data, dict) else None
    if isinstance(block, dict) and any(k in block for k in _SELECTOR_KEYS):
        return selectors_from(block)
    return rule.selectors if rule is not None else Selectors()
