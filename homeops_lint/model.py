"""The data model shared by every stage: positions, documents, resources and findings.

Everything here is immutable or treated as such once the loader has built it. Positions are
1-based lines and columns, as editors and SARIF count them.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Iterator, NamedTuple, Optional, Union


class Pos(NamedTuple):
    """Where a YAML node starts: 1-based line and column, and its scalar style.

    ``style`` is "" for plain scalars, one of ``'"|>`` for quoted and block scalars, and "" for
    collections. Rules that must know how Kubernetes (a YAML 1.1 decoder) reads a value look at it.
    """

    line: int
    column: int
    style: str = ""

    @property
    def plain(self) -> bool:
        return self.style == ""


NOWHERE = Pos(1, 1)


class Map(dict):  # type: ignore[type-arg]
    """A mapping that remembers where it, each key and each value start."""

    # ``shadowed`` (set only when the loader met a duplicate key): key -> (first value, key pos, value pos).
    # YAML loaders keep the last value; the secret scan still judges the first one.
    __slots__ = ("pos", "kpos", "vpos", "anchor_keys", "shadowed")

    def __init__(self, pos: Pos = NOWHERE) -> None:
        super().__init__()
        self.pos = pos
        self.kpos: dict[Any, Pos] = {}
        self.vpos: dict[Any, Pos] = {}
        # Keys whose value came from a merge key (``<<``); rules that report "set here" use it.
        self.anchor_keys: frozenset[Any] = frozenset()
        # Set, not left empty: reading an unset slot raises inside getattr (5x slower per Map).
        self.shadowed: Optional[dict[Any, tuple[Any, Pos, Pos]]] = None

    def key_pos(self, key: Any) -> Pos:
        return self.kpos.get(key, self.pos)

    def value_pos(self, key: Any) -> Pos:
        return self.vpos.get(key, self.key_pos(key))


class Seq(list):  # type: ignore[type-arg]
    """A sequence that remembers where it and each item start."""

    __slots__ = ("pos", "ipos")

    def __init__(self, pos: Pos = NOWHERE) -> None:
        super().__init__()
        self.pos = pos
        self.ipos: list[Pos] = []

    def item_pos(self, index: int) -> Pos:
        if 0 <= index < len(self.ipos):
            return self.ipos[index]
        return self.pos


YamlValue = Union[Map, Seq, str, int, float, bool, None]
KeyPath = tuple[Union[str, int], ...]


def get_path(root: Any, path: KeyPath) -> Any:
    """Follow ``path`` through maps and sequences; None when any step is missing."""
    node = root
    for step in path:
        if isinstance(step, int):
            if not isinstance(node, list) or not -len(node) <= step < len(node):
                return None
            node = node[step]
        else:
            if not isinstance(node, dict):
                return None
            node = node.get(step)
            if node is None:
                return None
    return node


def pos_of(root: Any, path: KeyPath, *, value: bool = False) -> Pos:
    """The position of the key (or with ``value=True`` the value) at ``path``.

    Falls back to the nearest existing ancestor, so a finding about a missing field points at
    the mapping that should hold it.
    """
    node = root
    best = getattr(root, "pos", NOWHERE)
    for i, step in enumerate(path):
        last = i == len(path) - 1
        if isinstance(step, int) and isinstance(node, Seq):
            if not -len(node) <= step < len(node):
                return best
            best = node.item_pos(step % len(node))
            node = node[step]
        elif isinstance(node, Map) and step in node:
            best = node.value_pos(step) if (value and last) else node.key_pos(step)
            node = node[step]
        else:
            return best
    return best


def to_plain(value: Any) -> Any:
    """Map/Seq (and any dict/list) -> plain dicts with string keys and lists, for JSON Schema."""
    if isinstance(value, dict):
        return {str(k): to_plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_plain(v) for v in value]
    return value


def format_path(path: KeyPath) -> str:
    """``("spec", "blocks", 0, "stop")`` -> ``spec.blocks[0].stop``."""
    out = ""
    for step in path:
        if isinstance(step, int):
            out += f"[{step}]"
        else:
            text = str(step)
            if not text or any(c in text for c in ". []"):
                text = f'"{text}"'
            out += ("." if out else "") + text
    return out


class DocClass(str, Enum):
    K8S = "kubernetes"
    KUSTOMIZE = "kustomization"
    TALOS = "talos"
    TALHELPER = "talhelper"
    SOPS_OTHER = "sops"
    OTHER = "other-yaml"


@dataclass(frozen=True, eq=False)
class Document:
    """One YAML document of one file, with positions."""

    path: str  # relative to the linted root, POSIX separators
    index: int  # 0-based position in its file
    data: Any  # Map, Seq or scalar
    line: int  # first line of the document's content
    doc_class: DocClass = DocClass.OTHER
    sops: bool = False  # the document carries a SOPS metadata block

    @property
    def api_version(self) -> str:
        value = self.data.get("apiVersion") if isinstance(self.data, dict) else None
        return value if isinstance(value, str) else ""

    @property
    def kind(self) -> str:
        value = self.data.get("kind") if isinstance(self.data, dict) else None
        return value if isinstance(value, str) else ""

    @property
    def group(self) -> str:
        api = self.api_version
        return api.rsplit("/", 1)[0] if "/" in api else ""

    @property
    def name(self) -> str:
        meta = self.data.get("metadata") if isinstance(self.data, dict) else None
        value = meta.get("name") if isinstance(meta, dict) else None
        return value if isinstance(value, str) else ""

    @property
    def namespace(self) -> Optional[str]:
        meta = self.data.get("metadata") if isinstance(self.data, dict) else None
        value = meta.get("namespace") if isinstance(meta, dict) else None
        return value if isinstance(value, str) else None

    def get(self, *path: Union[str, int]) -> Any:
        return get_path(self.data, path)

    def pos(self, *path: Union[str, int], value: bool = False) -> Pos:
        return pos_of(self.data, path, value=value)

    def labels(self) -> dict[str, str]:
        meta = self.data.get("metadata") if isinstance(self.data, dict) else None
        labels = meta.get("labels") if isinstance(meta, dict) else None
        if not isinstance(labels, dict):
            return {}
        return {str(k): "" if v is None else str(v) for k, v in labels.items()}

    def annotations(self) -> dict[str, Any]:
        meta = self.data.get("metadata") if isinstance(self.data, dict) else None
        ann = meta.get("annotations") if isinstance(meta, dict) else None
        return dict(ann) if isinstance(ann, dict) else {}

    def __repr__(self) -> str:
        return f"<Document {self.path}#{self.index} {self.kind or self.doc_class.value} {self.name}>"


class FileKind(str, Enum):
    YAML = "yaml"
    TEMPLATE = "template"
    TEXT = "text"
    BINARY = "binary"
    SKIPPED = "skipped"  # too large, unreadable, not decodable: a finding says why


@dataclass(eq=False)
class SourceFile:
    """A discovered file: its text (when it is text) and the documents parsed from it."""

    path: str  # relative, POSIX
    abspath: str
    size: int
    kind: FileKind = FileKind.TEXT
    text: str = ""
    documents: list[Document] = field(default_factory=list)
    # The YAML parser gave up on the file (parse-error): its values were never judged by the
    # structured secret rules, so reporters treat its text as text when they mask it.
    parse_failed: bool = False
    # 1-based line -> the line's text, built lazily by snippet()
    _lines: Optional[list[str]] = field(default=None, repr=False)

    def line_text(self, line: int) -> str:
        """Line ``line`` as the YAML parser counts lines, with control characters made harmless
        (a hostile file must not drive the terminal that shows a snippet of it)."""
        if self._lines is None:
            self._lines = split_lines(self.text)
        if 1 <= line <= len(self._lines):
            return _SNIPPET_CONTROL.sub("\ufffd", self._lines[line - 1])
        return ""


# The line breaks YAML parsers count (str.splitlines() also splits on \v, \f and \x1c-\x1e), and
# the characters a snippet must never print raw (tab is kept: reporters expand it). Every line
# number, the loader's and the text scanners', follows this one model.
_LINE_BREAKS = re.compile("\r\n|[\r\n\x85\u2028\u2029]")
LINE_BREAKS = _LINE_BREAKS


def _only_newlines(text: str) -> bool:
    """No line break but LF in ``text`` (``isascii`` is a flag lookup: an ASCII text can only
    hold a CR besides, which a search at memchr speed rules out)."""
    return "\r" not in text and (text.isascii() or "\x85" not in text and "\u2028" not in text
                                  and "\u2029" not in text)


def split_lines(text: str) -> list[str]:
    """``text`` cut into lines as YAML breaks them (``str.split`` where only LF occurs)."""
    return text.split("\n") if _only_newlines(text) else _LINE_BREAKS.split(text)


def line_starts(text: str) -> list[int]:
    """Offsets where each line of ``text`` starts, lines broken as YAML breaks them."""
    if _only_newlines(text):
        starts = [0]
        find = text.find
        pos = find("\n")
        while pos >= 0:  # the common case, at memchr speed
            starts.append(pos + 1)
            pos = find("\n", pos + 1)
        return starts
    return [0, *(match.end() for match in _LINE_BREAKS.finditer(text))]
_SNIPPET_CONTROL = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f]")


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True)
class Finding:
    """One diagnostic. ``path`` is relative to the linted root; line/column are 1-based."""

    rule: str
    severity: Severity
    path: str
    line: int
    column: int
    message: str
    resource: str = ""  # kind/namespace/name, or kind/name for cluster-scoped objects
    key: str = ""  # dotted key path inside the document, e.g. spec.blocks[0].stop
    # A value that must never be printed (secrets): reporters mask it on the snippet line.
    mask: tuple[str, ...] = ()
    # A stable handle for baselines that never derives from a secret value (secret rules hash
    # their rule, path and key path).
    fingerprint: str = ""

    def sort_key(self) -> tuple[Any, ...]:
        return (self.path, self.line, self.column, self.rule, self.message)


def resource_id(kind: str, namespace: Optional[str], name: str) -> str:
    if not kind:
        return ""
    if not name:
        return kind
    if namespace:
        return f"{kind}/{namespace}/{name}"
    return f"{kind}/{name}"


def iter_nodes(value: Any, path: KeyPath = ()) -> Iterator[tuple[KeyPath, Any, Any]]:
    """Yield ``(path, value, parent)`` for every node below ``value`` (depth-first, iterative)."""
    stack: list[tuple[KeyPath, Any, Any]] = [(path, value, None)]
    while stack:
        node_path, node, parent = stack.pop()
        yield node_path, node, parent
        if isinstance(node, dict):
            for k in reversed(list(node.keys())):
                stack.append((node_path + (k,), node[k], node))
        elif isinstance(node, list):
            for i in range(len(node) - 1, -1, -1):
                stack.append((node_path + (i,), node[i], node))
