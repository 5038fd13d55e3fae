"""The loader's second half: composed YAML nodes -> ``Map``/``Seq``/scalars with positions.

``yamlload`` composes (libyaml, or ruamel.yaml for text libyaml rejects) and calls ``Builder`` once
per document. Scalars are read the YAML 1.2 core-schema way; aliases are shared, counted and
bounded (``Limits``); duplicate keys become problems.

Two walks build the same tree. ``Builder.build`` is the general one: it memoises every node, so an
alias (the same node object met again) costs nothing to build while its expanded size is still
counted. ``Builder.build_document`` takes a faster walk when it is told where the text's anchors
may be: a node that starts at neither ``&`` nor ``!`` carries no anchor, so no alias can point at
it and it needs no memo entry, no alias bookkeeping and no call per scalar. Nodes that may carry an
anchor take the general walk, so alias accounting is unchanged. ``tests/test_yaml_fast_build.py``
checks that both walks give the same trees, positions and problems.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Optional

from yaml.nodes import MappingNode

from .model import Map, Pos, Seq

TAG_PREFIX = "tag:yaml.org,2002:"
T_STR, T_INT, T_FLOAT, T_BOOL, T_NULL = (TAG_PREFIX + t for t in ("str", "int", "float", "bool", "null"))
T_MAP, T_SEQ, T_MERGE = TAG_PREFIX + "map", TAG_PREFIX + "seq", TAG_PREFIX + "merge"
PLAIN = "?"  # a plain scalar without an explicit tag, resolved by plain_scalar() (YAML 1.2 core schema)


class LimitExceeded(Exception):
    def __init__(self, limit: str, message: str, line: int = 1, column: int = 1) -> None:
        super().__init__(message)
        self.limit = limit
        self.line = line
        self.column = column


class RecursiveAlias(Exception):
    def __init__(self, line: int, column: int) -> None:
        super().__init__("recursive alias")
        self.line = line
        self.column = column


@dataclass(frozen=True)
class Problem:
    """Something the loader could not read exactly. ``rule`` is a ``parse-`` rule id."""

    rule: str
    line: int
    column: int
    message: str
    limit: str = ""  # the limit a parse-limit problem names


@dataclass(frozen=True)
class Limits:
    """Safety limits, each settable under ``limits:`` in the policy (same names), up to the
    ceilings in ``policy.LIMIT_CEILINGS`` that no policy can raise."""

    max_alias_nodes: int = 100_000  # nodes that aliases may add by expansion, per document
    max_alias_nodes_per_file: int = 1_000_000  # the same, summed over the documents of a file
    max_alias_nodes_per_run: int = 2_000_000  # the same, summed over every file of a run
    # Characters of scalar text that aliases may add by expansion, summed over a run: a long
    # string aliased many times costs no memory in the tree (one shared object), but every rule
    # that reads text (secret scanning) pays for each copy.
    max_alias_bytes: int = 16 * 1024 * 1024
    max_documents: int = 10_000  # documents per file
    # Nesting depth. Real manifests, CRD schemas included, stay far below; the builder recurses
    # two Python frames per level, so this also keeps clear of Python's recursion limit.
    max_depth: int = 200
    # Limits already at their ceiling (policy.LIMIT_CEILINGS): their findings do not suggest
    # raising them.
    fixed: frozenset[str] = frozenset()


# What each alias limit says when it is hit ({} is the limit's value).
ALIAS_LIMITS = {
    "max_alias_nodes": "aliases expand this document beyond {:,} nodes (max_alias_nodes; an alias bomb?)",
    "max_alias_nodes_per_file": "aliases expand the documents of this file beyond {:,} nodes in all "
                                "(max_alias_nodes_per_file; an alias bomb?)",
    "max_alias_nodes_per_run": "aliases expand the files of this run beyond {:,} nodes in all "
                               "(max_alias_nodes_per_run; an alias bomb?)",
    "max_alias_bytes": "aliases add more than {:,} characters of text in this run (max_alias_bytes; "
                       "long text aliased many times?)",
}


def clean_text(text: str) -> str:
    """Lone surrogates (ruamel reads ``"\\ud800"`` escapes into them) cannot be written as UTF-8."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "replace").decode("utf-8")
    return text


def _int12(text: str) -> int:
    if text.startswith(("0o", "0O")):
        return int(text[2:], 8)
    if text.startswith(("0x", "0X")):
        return int(text[2:], 16)
    return int(text, 10)


def _float12(text: str) -> float:
    lowered = text.lower()
    if lowered.endswith(".inf"):
        return float("-inf") if text.startswith("-") else float("inf")
    if lowered == ".nan":
        return float("nan")
    return float(text)


_BOOL12 = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_NULL12 = frozenset(("~", "null", "Null", "NULL"))
INT12_PATTERN = r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$"
FLOAT12_PATTERN = (r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
                   r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$")
_INT12_RE = re.compile(INT12_PATTERN)
_FLOAT12_RE = re.compile(FLOAT12_PATTERN)
_NUMBER_START = frozenset("-+0123456789.")
_STYLES = frozenset(("'", '"', "|", ">"))
# A node's ``style`` as a Pos keeps it: "" for plain scalars and collections.
_STYLE_OF = {"'": "'", '"': '"', "|": "|", ">": ">"}
_new_pos = tuple.__new__


def plain_scalar(text: str) -> Any:
    """A plain, untagged scalar read the YAML 1.2 core-schema way (the table of yamlload's resolver)."""
    if not text:
        return None
    first = text[0]
    if first in _NUMBER_START:
        try:
            if _INT12_RE.match(text):
                return _int12(text)
            if _FLOAT12_RE.match(text):
                return _float12(text)
        except ValueError:
            return text
        return text
    if first in "tTfF":
        return _BOOL12.get(text, text)
    if first in "~nN" and text in _NULL12:
        return None
    return text


def _tagged_scalar(tag: str, text: str) -> Any:
    try:
        if tag == T_STR:
            return text
        if tag == T_INT:
            return _int12(text)
        if tag == T_FLOAT:
            return _float12(text)
        if tag == T_BOOL:
            return text.lower() == "true"
        if tag == T_NULL:
            return None
        if tag == PLAIN:
            return plain_scalar(text)
    except ValueError:
        return text
    return text  # custom tags (!reference, !env_var, ...) and YAML 1.1-only tags stay text


def _is_mapping(node: Any) -> bool:
    return type(node).__name__ == "MappingNode"


def anchor_offsets(text: str) -> Optional[frozenset[int]]:
    """Where a node of ``text`` may carry an anchor, as libyaml counts offsets: every ``&`` and
    ``!`` (a node's properties, anchor and tag in either order, come first, and libyaml marks the
    node where they start). None when libyaml's offsets may not be Python's: its first BOM is not
    counted."""
    if "\ufeff" in text:
        return None
    if "&" not in text and "!" not in text:
        return frozenset()
    return frozenset(match.start() for match in re.finditer("[&!]", text))


class Builder:
    """Turns composed nodes (PyYAML's or ruamel's) into Map/Seq/scalars with positions.

    This is the hottest loop of a run (one step per YAML node), so it avoids per-node helper
    calls: scalars are resolved inline and positions are built as raw tuples.
    """

    def __init__(self, limits: Limits, watch_templates: bool = False,
                 node_cap: tuple[int, str] = (0, ""), char_cap: int = -1) -> None:
        self.limits = limits
        self.max_depth = limits.max_depth
        # Alias expansion may add ``node_cap[0]`` nodes (the tightest of the document's, the
        # file's and the run's allowance, named by ``node_cap[1]``) and ``char_cap`` characters.
        self.node_cap, self.node_limit = node_cap if node_cap[1] else (limits.max_alias_nodes, "max_alias_nodes")
        self.char_cap = limits.max_alias_bytes if char_cap < 0 else char_cap
        self.alias_chars = 0
        self.sizes: dict[int, int] = {}  # id(Map/Seq) -> characters of text it holds
        # Signs that a text which looks templated is a template that happened to parse: a
        # collection used as a key (``name: {{ .Release.Name }}`` is a flow mapping in a flow
        # mapping) or a plain, unquoted scalar holding ``{{``/``{%``. Counted only when asked.
        self.watch_templates = watch_templates
        self.template_signs = 0
        self.memo: dict[int, tuple[Any, int]] = {}  # id(node) -> (value, expanded node count)
        self.active: set[int] = set()
        self.duplicates: list[Problem] = []
        self.expanded = 0
        self.unique = 0
        self.anchors: frozenset[int] = frozenset()

    def build_document(self, node: Any, anchors: Optional[frozenset[int]] = None) -> Any:
        """The document rooted at ``node``. ``anchors``: ``anchor_offsets`` of a libyaml-composed
        text (the fast walk), or None (every node memoised: ruamel's nodes, a BOM). An anchored
        root may take the fast walk: its aliases can only be inside it, and the general walk they
        take reports them as recursive."""
        if anchors is None or node.value.__class__ is str:
            return self.build(node)[0]
        self.anchors = anchors
        if node.__class__ is MappingNode:
            return self._fast_mapping(node, 0)
        return self._fast_sequence(node, 0)

    # --- the general walk ---------------------------------------------------------------------
    def build(self, node: Any, depth: int = 0) -> tuple[Any, int]:
        key = id(node)
        hit = self.memo.get(key)
        if hit is not None:
            self.expanded += hit[1]
            if self.expanded - self.unique > self.node_cap:
                self._alias_limit(node, self.node_limit)
            self.alias_chars += self._chars(hit[0])
            if self.alias_chars > self.char_cap:
                self._alias_limit(node, "max_alias_bytes")
            return hit
        value = node.value
        if value.__class__ is str:  # a scalar: never recursive, built without the bookkeeping below
            if depth > self.max_depth:
                self._too_deep(node)
            self.unique += 1
            self.expanded += 1
            if not value.isascii():
                value = clean_text(value)
            tag = node.tag
            if self.watch_templates and ("{{" in value or "{%" in value) and not getattr(node, "style", None):
                self.template_signs += 1
            if tag == PLAIN:
                result = (plain_scalar(value), 1)
            elif tag == T_STR:
                result = (value, 1)
            else:
                if tag.__class__ is not str:
                    tag = str(getattr(tag, "value", tag))
                result = (_tagged_scalar(tag, value), 1)
            self.memo[key] = result
            return result
        if key in self.active:
            raise RecursiveAlias(node.start_mark.line + 1, node.start_mark.column + 1)
        if depth > self.max_depth:
            self._too_deep(node)
        self.active.add(key)
        try:
            if isinstance(value, list) and (not value or isinstance(value[0], tuple)) and _is_mapping(node):
                result = self._mapping(node, depth)
            else:
                result = self._sequence(node, depth)
        finally:
            self.active.discard(key)
        self.memo[key] = result
        return result

    def _alias_limit(self, node: Any, limit: str) -> None:
        mark = node.start_mark
        raise LimitExceeded(limit, ALIAS_LIMITS[limit].format(getattr(self.limits, limit)),
                            mark.line + 1, mark.column + 1)

    def _chars(self, value: Any) -> int:
        """Characters of text in ``value`` (keys included), each Map/Seq measured once."""
        if value.__class__ is str:
            return len(value)
        if not isinstance(value, (Map, Seq)):
            return 0
        size = self.sizes.get(id(value))
        if size is None:
            size = 0
            measure = self._chars
            if isinstance(value, Map):
                for key, item in value.items():  # a loop, not sum(): one stack frame per level
                    size += measure(key) + measure(item)
            else:
                for item in value:
                    size += measure(item)
            self.sizes[id(value)] = size
        return size

    def _too_deep(self, node: Any) -> None:
        mark = node.start_mark
        raise LimitExceeded("max_depth", f"nesting deeper than {self.limits.max_depth} levels (max_depth)",
                            mark.line + 1, mark.column + 1)

    def _sequence(self, node: Any, depth: int) -> tuple[Any, int]:
        mark = node.start_mark
        seq = Seq(_new_pos(Pos, (mark.line + 1, mark.column + 1, "")))
        count = 1
        self.unique += 1
        self.expanded += 1
        build, append, ipos = self.build, seq.append, seq.ipos.append
        child = depth + 1
        for item in node.value:
            built, n = build(item, child)
            append(built)
            mark = item.start_mark
            style = getattr(item, "style", None) or ""
            ipos(_new_pos(Pos, (mark.line + 1, mark.column + 1, style if style in _STYLES else "")))
            count += n
        return seq, count

    def _mapping(self, node: Any, depth: int) -> tuple[Any, int]:
        mark = node.start_mark
        mapping = Map(_new_pos(Pos, (mark.line + 1, mark.column + 1, "")))
        count = 1
        self.unique += 1
        self.expanded += 1
        merged: dict[Any, tuple[Any, Pos, Pos]] = {}
        build, kpos, vpos, memo = self.build, mapping.kpos, mapping.vpos, self.memo
        child = depth + 1
        # A plain ASCII key is what ``build`` would make of it, done inline (keys are half of all
        # nodes): same memo entry and node counts, so alias accounting is unchanged.
        inline_keys = child <= self.max_depth and not self.watch_templates
        for key_node, value_node in node.value:
            key_tag = key_node.tag
            if key_tag.__class__ is not str:  # ruamel's Tag object
                key_tag = str(getattr(key_tag, "value", ""))
            key_text = key_node.value
            if key_tag == T_MERGE or (key_text == "<<" and key_text.__class__ is str
                                      and not getattr(key_node, "style", None)):
                count += self._merge(value_node, merged, depth)
                continue
            if inline_keys and key_tag == PLAIN and key_node.tag.__class__ is str \
                    and key_text.__class__ is str and key_text.isascii() \
                    and id(key_node) not in memo:
                key = plain_scalar(key_text)
                self.unique += 1
                self.expanded += 1
                memo[id(key_node)] = (key, 1)
            else:
                key, _ = build(key_node, child)
            key = self._key(key)
            mark = key_node.start_mark
            style = getattr(key_node, "style", None) or ""
            kp = _new_pos(Pos, (mark.line + 1, mark.column + 1, style if style in _STYLES else ""))
            if key in mapping:
                self._duplicate(mapping, key, kp)
            value, n = build(value_node, child)
            count += n
            mapping[key] = value
            kpos[key] = kp
            mark = value_node.start_mark
            style = getattr(value_node, "style", None) or ""
            vpos[key] = _new_pos(Pos, (mark.line + 1, mark.column + 1, style if style in _STYLES else ""))
        if merged:
            self._inherit(mapping, merged)
        return mapping, count

    def _key(self, key: Any) -> Any:
        if isinstance(key, (Map, Seq)):
            # Complex keys never occur in Kubernetes YAML (they are how ``{{ x }}`` parses);
            # keep them hashable, and bounded: the key may be a large alias.
            self.template_signs += 1
            return clean_text(repr(key)[:200])
        if key.__class__ is float and key != key:
            return ".nan"  # NaN never equals itself: duplicates and lookups would misbehave
        return key

    def _duplicate(self, mapping: Map, key: Any, kp: Pos) -> None:
        first = mapping.kpos[key]
        self.duplicates.append(Problem(
            "parse-duplicate-key", kp.line, kp.column,
            f"duplicate key '{str(key)[:80]}' (first defined on line {first.line}); Flux and "
            "kubectl reject duplicate keys, and YAML loaders silently keep only one value"))
        shadowed = getattr(mapping, "shadowed", None)
        if shadowed is None:
            shadowed = mapping.shadowed = {}
        shadowed.setdefault(key, (mapping[key], first, mapping.vpos[key]))

    @staticmethod
    def _inherit(mapping: Map, merged: dict[Any, tuple[Any, Pos, Pos]]) -> None:
        inherited = []
        for key, (value, kp, vp) in merged.items():
            if key not in mapping:
                mapping[key] = value
                mapping.kpos[key] = kp
                mapping.vpos[key] = vp
                inherited.append(key)
        mapping.anchor_keys = frozenset(inherited)

    def _merge(self, value_node: Any, merged: dict[Any, tuple[Any, Pos, Pos]], depth: int) -> int:
        sources, n = self.build(value_node, depth + 1)
        self._collect_merge(sources, merged)
        return n

    @staticmethod
    def _collect_merge(sources: Any, merged: dict[Any, tuple[Any, Pos, Pos]]) -> None:
        items = sources if isinstance(sources, Seq) else [sources]
        for source in items:  # earlier sources win, as in YAML merge semantics
            if isinstance(source, Map):
                for k, v in source.items():
                    if k not in merged:
                        merged[k] = (v, source.key_pos(k), source.value_pos(k))

    # --- the fast walk (libyaml's nodes, where no anchor can be) ------------------------------
    # Same visiting order, same depth checks and same results as ``build``; node counts are not
    # kept, because alias accounting needs only their difference, which only memo hits change.
    def _fast(self, node: Any, depth: int) -> Any:
        """A node met where a scalar was not expected inline: a collection, or an anchored node."""
        if node.start_mark.index in self.anchors:
            return self.build(node, depth)[0]
        if depth > self.max_depth:
            self._too_deep(node)
        value = node.value
        if value.__class__ is str:
            return self._fast_scalar(node, value)
        if node.__class__ is MappingNode:
            return self._fast_mapping(node, depth)
        return self._fast_sequence(node, depth)

    def _fast_scalar(self, node: Any, value: str) -> Any:
        if not value.isascii():
            value = clean_text(value)
        if self.watch_templates and ("{{" in value or "{%" in value) and not node.style:
            self.template_signs += 1
        tag = node.tag
        if tag == PLAIN:
            return plain_scalar(value)
        return value if tag == T_STR else _tagged_scalar(tag, value)

    def _fast_sequence(self, node: Any, depth: int) -> Seq:
        mark = node.start_mark
        seq = Seq(_new_pos(Pos, (mark.line + 1, mark.column + 1, "")))
        append, ipos, anchors, fast = seq.append, seq.ipos.append, self.anchors, self._fast
        child = depth + 1
        deep = child > self.max_depth
        watch = self.watch_templates
        for item in node.value:
            mark = item.start_mark
            text = item.value
            if text.__class__ is str and not deep and not watch and mark.index not in anchors:
                tag = item.tag
                if not text.isascii():
                    text = clean_text(text)
                append(plain_scalar(text) if tag == PLAIN else text if tag == T_STR
                       else _tagged_scalar(tag, text))
                ipos(_new_pos(Pos, (mark.line + 1, mark.column + 1, _STYLE_OF.get(item.style, ""))))
                continue
            append(fast(item, child))
            style = _STYLE_OF.get(getattr(item, "style", None), "")
            ipos(_new_pos(Pos, (mark.line + 1, mark.column + 1, style)))
        return seq

    def _fast_mapping(self, node: Any, depth: int) -> Map:
        mark = node.start_mark
        mapping = Map(_new_pos(Pos, (mark.line + 1, mark.column + 1, "")))
        merged: dict[Any, tuple[Any, Pos, Pos]] = {}
        kpos, vpos, anchors, fast = mapping.kpos, mapping.vpos, self.anchors, self._fast
        child = depth + 1
        # Scalars inline: not too deep, not watched for template signs, not where an anchor may be.
        inline = child <= self.max_depth and not self.watch_templates
        for key_node, value_node in node.value:
            key_text = key_node.value
            key_tag = key_node.tag
            if key_tag == T_MERGE or (key_text == "<<" and key_text.__class__ is str and not key_node.style):
                sources = fast(value_node, child)
                self._collect_merge(sources, merged)
                continue
            mark = key_node.start_mark
            if inline and key_text.__class__ is str and mark.index not in anchors:
                if not key_text.isascii():
                    key_text = clean_text(key_text)
                key = plain_scalar(key_text) if key_tag == PLAIN else key_text if key_tag == T_STR \
                    else _tagged_scalar(key_tag, key_text)
                kp = _new_pos(Pos, (mark.line + 1, mark.column + 1, _STYLE_OF.get(key_node.style, "")))
            else:
                key = fast(key_node, child)
                kp = _new_pos(Pos, (mark.line + 1, mark.column + 1,
                                    _STYLE_OF.get(getattr(key_node, "style", None), "")))
            if key.__class__ is not str:
                key = self._key(key)
            if key in mapping:
                self._duplicate(mapping, key, kp)
            mark = value_node.start_mark
            text = value_node.value
            if inline and text.__class__ is str and mark.index not in anchors:
                tag = value_node.tag
                if not text.isascii():
                    text = clean_text(text)
                mapping[key] = plain_scalar(text) if tag == PLAIN else text if tag == T_STR \
                    else _tagged_scalar(tag, text)
                style = _STYLE_OF.get(value_node.style, "")
                vpos[key] = _new_pos(Pos, (mark.line + 1, mark.column + 1, style))
            else:
                mapping[key] = fast(value_node, child)
                vpos[key] = _new_pos(Pos, (mark.line + 1, mark.column + 1,
                                           _STYLE_OF.get(getattr(value_node, "style", None), "")))
            kpos[key] = kp
        if merged:
            self._inherit(mapping, merged)
        return mapping
