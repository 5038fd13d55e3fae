"""The one YAML loader: text -> positioned documents, with YAML 1.2 scalars and bounded expansion.

Fast path: libyaml's composer (PyYAML's C parser) with a YAML 1.2 core-schema resolver plugged in,
so ``on``, ``no``, ``=`` and ``012`` keep their YAML 1.2 meaning. Fallback: ruamel.yaml's composer
(pure Python, YAML 1.2 exact) for text the C parser rejects, so a file libyaml cannot read is
judged by the reference implementation before it is called broken. The fallback is skipped above
``RUAMEL_FALLBACK_MAX`` characters: it is ~8x slower, and a large broken file must not stall a hook.

Nothing here constructs a Python object from a tag: composed nodes become ``Map``/``Seq``/str/int/
float/bool/None only, so ``!!python/object`` and friends are plain text. Both composers share
alias targets as one node object. The constructor memoises per node, so an alias costs nothing to
build; the *expanded* size is still counted and bounded, because every rule that walks the tree
would otherwise pay for a billion-laughs document. Every limit hit is a ``parse-limit`` problem that
names the limit (``limits.<name>`` in the policy) and how to raise it.
"""
from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from typing import Any, Optional

import yaml

from .model import Map, Pos, Seq, line_starts

try:  # libyaml is the fast path; without it the pure-Python PyYAML parser still works
    from yaml._yaml import CParser as _FastParser
except ImportError:  # pragma: no cover - depends on the PyYAML build
    from yaml.composer import Composer
    from yaml.parser import Parser
    from yaml.reader import Reader
    from yaml.scanner import Scanner

    class _FastParser(Reader, Scanner, Parser, Composer):  # type: ignore[no-redef]
        def __init__(self, stream: str) -> None:
            Reader.__init__(self, stream)
            Scanner.__init__(self)
            Parser.__init__(self)
            Composer.__init__(self)

TAG_PREFIX = "tag:yaml.org,2002:"
T_STR, T_INT, T_FLOAT, T_BOOL, T_NULL = (TAG_PREFIX + t for t in ("str", "int", "float", "bool", "null"))
T_MAP, T_SEQ, T_MERGE = TAG_PREFIX + "map", TAG_PREFIX + "seq", TAG_PREFIX + "merge"
PLAIN = "?"  # a plain scalar without an explicit tag, resolved by _plain() (YAML 1.2 core schema)
_ScalarNode, _SequenceNode = yaml.nodes.ScalarNode, yaml.nodes.SequenceNode
LIBYAML_MAX_DEPTH = 1000  # libyaml's own nesting limit; it cannot be raised
RUAMEL_FALLBACK_MAX = 512 * 1024  # characters; larger files libyaml rejects get libyaml's verdict


class _Resolver12(yaml.resolver.BaseResolver):
    """YAML 1.2 core schema: only true/false, null/~, decimal/0o/0x ints and plain floats."""


_Resolver12.yaml_implicit_resolvers = {}
for _tag, _regexp, _first in (
    (T_BOOL, r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    (T_NULL, r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    (T_INT, r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", "-+0123456789"),
    (
        T_FLOAT,
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
        "-+0123456789.",
    ),
    (T_MERGE, r"^<<$", "<"),
):
    _Resolver12.add_implicit_resolver(_tag, re.compile(_regexp), list(_first))


class _FastComposer(_FastParser, _Resolver12):  # type: ignore[misc, valid-type]
    """libyaml's composer with resolution deferred to the builder.

    libyaml calls back into Python for every node to resolve its tag. PyYAML's generic resolver
    (path resolvers, first-character tables) costs more than parsing itself, so plain scalars are
    tagged ``PLAIN`` here and resolved once by ``_plain`` while the builder walks the tree.
    """

    def __init__(self, stream: str) -> None:
        _FastParser.__init__(self, stream)
        _Resolver12.__init__(self)

    def descend_resolver(self, current_node: Any, current_index: Any) -> None:  # no path resolvers
        return None

    def ascend_resolver(self) -> None:
        return None

    def resolve(self, kind: Any, value: Any, implicit: Any) -> str:
        if kind is _ScalarNode:
            return PLAIN if implicit[0] else T_STR
        return T_SEQ if kind is _SequenceNode else T_MAP


class LimitExceeded(Exception):
    def __init__(self, limit: str, message: str, line: int = 1, column: int = 1) -> None:
        super().__init__(message)
        self.limit = limit
        self.line = line
        self.column = column


class _Recursive(Exception):
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


class Allowance:
    """What alias expansion may still add in this run, shared by every file a run loads, and the
    run's time budget (checked once per document)."""

    def __init__(self, limits: Limits, budget: Any = None) -> None:
        self.nodes = limits.max_alias_nodes_per_run
        self.chars = limits.max_alias_bytes
        self.budget = budget


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
# Limits that stop the rest of the file, not just one document.
_FILE_WIDE = frozenset(("max_alias_nodes_per_file", "max_alias_nodes_per_run", "max_alias_bytes"))


def limit_message(what: str, limit: str, tail: str = "the file was not linted",
                  fixed: frozenset[str] = frozenset()) -> str:
    """Every limit finding says which limit was hit and how to raise it, or that it is at its
    ceiling (``fixed``) and cannot be raised."""
    if limit in fixed:
        return f"{what}; {tail} (limits.{limit} is at its ceiling, which no policy can raise)"
    return f"{what}; {tail} (raise limits.{limit} in .homeops-lint.yaml)"


def _clean_text(text: str) -> str:
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
_INT12_RE = re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$")
_FLOAT12_RE = re.compile(
    r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$")
_NUMBER_START = frozenset("-+0123456789.")
_STYLES = frozenset(("'", '"', "|", ">"))
_new_pos = tuple.__new__


def _plain(text: str) -> Any:
    """A plain, untagged scalar read the YAML 1.2 core-schema way (same table as _Resolver12)."""
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


class _Builder:
    """Turns composed nodes (PyYAML's or ruamel's) into Map/Seq/scalars with positions.

    This is the hottest loop of a run (one call per YAML node), so it avoids per-node helper
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

    @staticmethod
    def _pos(node: Any) -> Pos:
        mark = node.start_mark
        style = getattr(node, "style", None) or ""
        if style not in _STYLES:
            style = ""
        return _new_pos(Pos, (mark.line + 1, mark.column + 1, style))

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
                value = _clean_text(value)
            tag = node.tag
            if self.watch_templates and ("{{" in value or "{%" in value) and not getattr(node, "style", None):
                self.template_signs += 1
            if tag == PLAIN:
                result = (_plain(value), 1)
            elif tag == T_STR:
                result = (value, 1)
            else:
                if tag.__class__ is not str:
                    tag = str(getattr(tag, "value", tag))
                result = (self._scalar(tag, value), 1)
            self.memo[key] = result
            return result
        if key in self.active:
            raise _Recursive(node.start_mark.line + 1, node.start_mark.column + 1)
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

    @staticmethod
    def _scalar(tag: str, text: str) -> Any:
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
                return _plain(text)
        except ValueError:
            return text
        return text  # custom tags (!reference, !env_var, ...) and YAML 1.1-only tags stay text

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
                key = _plain(key_text)
                self.unique += 1
                self.expanded += 1
                memo[id(key_node)] = (key, 1)
            else:
                key, _ = build(key_node, child)
            if isinstance(key, (Map, Seq)):
                # Complex keys never occur in Kubernetes YAML (they are how ``{{ x }}`` parses);
                # keep them hashable, and bounded: the key may be a large alias.
                self.template_signs += 1
                key = _clean_text(repr(key)[:200])
            elif key.__class__ is float and key != key:
                key = ".nan"  # NaN never equals itself: duplicates and lookups would misbehave
            mark = key_node.start_mark
            style = getattr(key_node, "style", None) or ""
            kp = _new_pos(Pos, (mark.line + 1, mark.column + 1, style if style in _STYLES else ""))
            if key in mapping:
                first = kpos[key]
                self.duplicates.append(Problem(
                    "parse-duplicate-key", kp.line, kp.column,
                    f"duplicate key '{str(key)[:80]}' (first defined on line {first.line}); Flux and "
                    "kubectl reject duplicate keys, and YAML loaders silently keep only one value"))
                shadowed = getattr(mapping, "shadowed", None)
                if shadowed is None:
                    shadowed = mapping.shadowed = {}
                shadowed.setdefault(key, (mapping[key], first, vpos[key]))
            value, n = build(value_node, child)
            count += n
            mapping[key] = value
            kpos[key] = kp
            mark = value_node.start_mark
            style = getattr(value_node, "style", None) or ""
            vpos[key] = _new_pos(Pos, (mark.line + 1, mark.column + 1, style if style in _STYLES else ""))
        if merged:
            inherited = []
            for key, (value, kp, vp) in merged.items():
                if key not in mapping:
                    mapping[key] = value
                    kpos[key] = kp
                    vpos[key] = vp
                    inherited.append(key)
            mapping.anchor_keys = frozenset(inherited)
        return mapping, count

    def _merge(self, value_node: Any, merged: dict[Any, tuple[Any, Pos, Pos]], depth: int) -> int:
        sources, n = self.build(value_node, depth + 1)
        items = sources if isinstance(sources, Seq) else [sources]
        for source in items:  # earlier sources win, as in YAML merge semantics
            if isinstance(source, Map):
                for k, v in source.items():
                    if k not in merged:
                        merged[k] = (v, source.key_pos(k), source.value_pos(k))
        return n


def _is_mapping(node: Any) -> bool:
    return type(node).__name__ == "MappingNode"


@dataclass
class LoadResult:
    documents: list[tuple[Any, int]]  # (data, first line) per non-empty document
    problems: list[Problem]
    exact: bool = True  # False when the ruamel fallback was needed
    template_signs: int = 0  # structures only a template explains (see _Builder.template_signs)


_DEPTH_MSG = "exceeded maximum nesting depth"


def _position(text: str, index: int) -> tuple[int, int]:
    """1-based line and column of character ``index`` in ``text``."""
    from bisect import bisect_right

    index = max(0, min(index, len(text)))
    starts = line_starts(text)  # the one line-break model (\r, \n, \r\n, NEL, LS, PS)
    line = bisect_right(starts, index)
    return line, index - starts[line - 1] + 1


def load(text: str, limits: Limits = Limits(), watch_templates: bool = False,
         allowance: Optional[Allowance] = None) -> LoadResult:
    """Parse every document of ``text``. Never raises for bad input: problems come back as data.

    ``watch_templates``: count the structures only a template explains (``LoadResult.template_signs``).
    ``allowance``: the run's remaining alias expansion and its time budget, shared by the files of
    a run (a fresh one per call without it). Raises ``budget.OutOfTime`` when that budget runs out.
    """
    try:
        nodes = _compose_fast(text, limits)
        exact = True
    except LimitExceeded as exc:
        return LoadResult([], [Problem("parse-limit", exc.line, exc.column,
                                       limit_message(str(exc), exc.limit, fixed=limits.fixed), exc.limit)])
    except (yaml.MarkedYAMLError, yaml.reader.ReaderError) as fast_error:
        if _DEPTH_MSG in str(fast_error):
            mark = getattr(fast_error, "problem_mark", None)
            return LoadResult([], [Problem(
                "parse-limit", mark.line + 1 if mark else 1, mark.column + 1 if mark else 1,
                f"nesting deeper than {LIBYAML_MAX_DEPTH} levels, the YAML parser's fixed limit; "
                "the file was not linted")])
        if len(text) > RUAMEL_FALLBACK_MAX:
            return LoadResult([], [_fast_problem(fast_error, text)])
        fallback = _compose_ruamel(text, limits)
        if fallback is None:  # ruamel's recursive parser gave up on deep nesting: libyaml's verdict
            return LoadResult([], [_fast_problem(fast_error, text)])
        if isinstance(fallback, Problem):
            return LoadResult([], [fallback])
        nodes, exact = fallback, False
    except (yaml.YAMLError, ValueError, RecursionError, MemoryError) as exc:
        return LoadResult([], [Problem("parse-error", 1, 1, f"unreadable YAML: {type(exc).__name__}")])
    return _construct(nodes, limits, exact, watch_templates, allowance or Allowance(limits))


def _control_char_message(character: Any) -> str:
    code = character if isinstance(character, int) else ord(str(character)[:1] or " ")
    return f"invalid YAML: control character U+{code:04X} is not allowed in YAML text"


def _fast_problem(error: Exception, text: str) -> Problem:
    """A parse-error from libyaml's own verdict (when the ruamel fallback is not attempted)."""
    if isinstance(error, yaml.reader.ReaderError):
        line, column = _position(text, error.position)
        return Problem("parse-error", line, column, _control_char_message(error.character))
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    problem = (getattr(error, "problem", None) or "invalid YAML").strip()
    return Problem("parse-error", mark.line + 1 if mark else 1, mark.column + 1 if mark else 1,
                   f"invalid YAML: {problem}")


def _compose_fast(text: str, limits: Limits) -> list[Any]:
    composer = _FastComposer(text)
    nodes: list[Any] = []
    try:
        while composer.check_node():
            nodes.append(composer.get_node())
            if len(nodes) > limits.max_documents:
                mark = nodes[-1].start_mark
                raise LimitExceeded("max_documents",
                                    f"more than {limits.max_documents:,} documents in one file (max_documents)",
                                    mark.line + 1, 1)
    finally:
        composer.dispose()
    return nodes


def _compose_ruamel(text: str, limits: Limits) -> "list[Any] | Problem | None":
    """ruamel's nodes, its parse-error, or None when it recursed too deep to judge."""
    from ruamel.yaml import YAML  # imported only for the rare file libyaml rejects
    from ruamel.yaml.error import MarkedYAMLError
    from ruamel.yaml.reader import ReaderError

    reader = YAML(typ="rt", pure=True)
    reader.allow_duplicate_keys = True
    try:
        nodes = []
        with warnings.catch_warnings():  # ruamel warns on stderr (reused anchors, ...): never print
            warnings.simplefilter("ignore")
            composed = list(_bounded(reader.compose_all(text), limits.max_documents + 1))
        for node in composed:
            nodes.append(node)
            if len(nodes) > limits.max_documents:
                return Problem("parse-limit", node.start_mark.line + 1, 1, limit_message(
                    f"more than {limits.max_documents:,} documents in one file (max_documents)", "max_documents",
                    fixed=limits.fixed), "max_documents")
        return nodes
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        column = mark.column + 1 if mark else 1
        problem = (exc.problem or exc.context or "invalid YAML").strip()
        context = (exc.context or "").strip()
        message = f"{context}: {problem}" if context and context != problem else problem
        opened = exc.context_mark
        if opened is not None and mark is not None and opened.line != mark.line:
            message += f" (the construct began on line {opened.line + 1})"
        return Problem("parse-error", line, column, f"invalid YAML: {message}")
    except ReaderError as exc:
        line, column = _position(text, exc.position)
        return Problem("parse-error", line, column, _control_char_message(exc.character))
    except RecursionError:
        return None
    except Exception as exc:  # ruamel raises assorted errors on hostile input
        return Problem("parse-error", 1, 1, f"invalid YAML: {type(exc).__name__}")


def _bounded(items: Any, limit: int) -> Any:
    for count, item in enumerate(items, 1):
        yield item
        if count >= limit:
            return


def _construct(nodes: list[Any], limits: Limits, exact: bool, watch_templates: bool,
               allowance: Allowance) -> LoadResult:
    documents: list[tuple[Any, int]] = []
    problems: list[Problem] = []
    signs = 0
    file_nodes = limits.max_alias_nodes_per_file
    for number, node in enumerate(nodes):
        if allowance.budget is not None:
            allowance.budget.check(node.start_mark.line + 1)
        # The tightest alias allowance names the limit (the document's own first on a tie).
        node_cap = min((limits.max_alias_nodes, "max_alias_nodes"), (file_nodes, "max_alias_nodes_per_file"),
                       (allowance.nodes, "max_alias_nodes_per_run"), key=lambda cap: cap[0])
        builder = _Builder(limits, watch_templates, node_cap, allowance.chars)
        try:
            data, _ = builder.build(node)
        except LimitExceeded as exc:
            rest = len(nodes) - number - 1
            if exc.limit in _FILE_WIDE and rest:
                # The file's or the run's allowance is spent: the rest of the file would only
                # hit it again, one finding per document.
                problems.append(Problem("parse-limit", exc.line, exc.column, limit_message(
                    str(exc), exc.limit, f"this document and the {rest:,} after it were not linted", limits.fixed),
                    exc.limit))
                break
            problems.append(Problem("parse-limit", exc.line, exc.column, limit_message(
                str(exc), exc.limit, "the document was not linted", limits.fixed), exc.limit))
            continue
        except _Recursive as exc:
            problems.append(Problem("parse-error", exc.line, exc.column,
                                    "recursive alias: an anchor refers to itself; the document was not linted"))
            continue
        except RecursionError:  # max_depth was raised beyond what Python's stack allows
            problems.append(Problem("parse-limit", node.start_mark.line + 1, 1, limit_message(
                "nesting too deep for the loader's stack (max_depth)", "max_depth",
                "the document was not linted; lower limits.max_depth or flatten the file"), "max_depth"))
            continue
        added = builder.expanded - builder.unique
        file_nodes -= added
        allowance.nodes -= added
        allowance.chars -= builder.alias_chars
        problems.extend(builder.duplicates)
        signs += builder.template_signs
        if data is None:
            continue
        documents.append((data, node.start_mark.line + 1))
    return LoadResult(documents, problems, exact, signs)


def load_one(text: str) -> Optional[Any]:
    """Load a single trusted document (our own data files). Raises ValueError on failure."""
    result = load(text)
    errors = [p for p in result.problems if p.rule != "parse-duplicate-key"]
    if errors:
        p = errors[0]
        raise ValueError(f"line {p.line}, column {p.column}: {p.message}")
    return result.documents[0][0] if result.documents else None
