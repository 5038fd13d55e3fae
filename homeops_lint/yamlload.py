"""The one YAML loader: text -> positioned documents, with YAML 1.2 scalars and bounded expansion.

Fast path: libyaml's composer (PyYAML's C parser) with a YAML 1.2 core-schema resolver plugged in,
so ``on``, ``no``, ``=`` and ``012`` keep their YAML 1.2 meaning. Fallback: ruamel.yaml's composer
(pure Python, YAML 1.2 exact) for text the C parser rejects, so a file libyaml cannot read is
judged by the reference implementation before it is called broken.

Both composers share alias targets as one node object. The constructor memoises per node, so an
alias costs nothing to build; the *expanded* size is still counted and bounded, because every rule
that walks the tree would otherwise pay for a billion-laughs document.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Optional

import yaml

from .model import Map, Pos, Seq

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
    def __init__(self, stream: str) -> None:
        _FastParser.__init__(self, stream)
        _Resolver12.__init__(self)


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


@dataclass(frozen=True)
class Limits:
    max_alias_nodes: int = 100_000  # nodes that aliases may add by expansion, per document
    max_documents: int = 10_000  # documents per file
    max_depth: int = 500  # nesting depth the constructor accepts


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


class _Builder:
    """Turns composed nodes (PyYAML's or ruamel's) into Map/Seq/scalars with positions."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.memo: dict[int, tuple[Any, int]] = {}  # id(node) -> (value, expanded node count)
        self.active: set[int] = set()
        self.duplicates: list[Problem] = []
        self.expanded = 0
        self.unique = 0

    @staticmethod
    def _pos(node: Any) -> Pos:
        mark = node.start_mark
        style = getattr(node, "style", None) or ""
        if style not in ("'", '"', "|", ">"):
            style = ""
        return Pos(mark.line + 1, mark.column + 1, style)

    def build(self, node: Any, depth: int = 0) -> tuple[Any, int]:
        key = id(node)
        hit = self.memo.get(key)
        if hit is not None:
            self.expanded += hit[1]
            if self.expanded - self.unique > self.limits.max_alias_nodes:
                mark = node.start_mark
                raise LimitExceeded(
                    "max_alias_nodes",
                    f"alias expansion exceeds {self.limits.max_alias_nodes} nodes (an alias bomb?)",
                    mark.line + 1,
                    mark.column + 1,
                )
            return hit
        if key in self.active:
            raise _Recursive(node.start_mark.line + 1, node.start_mark.column + 1)
        if depth > self.limits.max_depth:
            mark = node.start_mark
            raise LimitExceeded("max_depth", f"nesting deeper than {self.limits.max_depth} levels",
                                mark.line + 1, mark.column + 1)
        self.active.add(key)
        try:
            result = self._build_new(node, depth)
        finally:
            self.active.discard(key)
        self.memo[key] = result
        return result

    def _build_new(self, node: Any, depth: int) -> tuple[Any, int]:
        tag = node.tag if isinstance(node.tag, str) else str(getattr(node.tag, "value", node.tag))
        value = node.value
        if isinstance(value, str):  # scalar
            self.unique += 1
            self.expanded += 1
            return self._scalar(tag, value), 1
        if isinstance(value, list) and (not value or isinstance(value[0], tuple)) and _is_mapping(node):
            return self._mapping(node, depth)
        seq = Seq(self._pos(node))
        count = 1
        self.unique += 1
        self.expanded += 1
        for item in value:
            built, n = self.build(item, depth + 1)
            seq.append(built)
            seq.ipos.append(self._pos(item))
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
        except ValueError:
            return text
        return text  # custom tags (!reference, !env_var, ...) and YAML 1.1-only tags stay text

    def _mapping(self, node: Any, depth: int) -> tuple[Any, int]:
        mapping = Map(self._pos(node))
        count = 1
        self.unique += 1
        self.expanded += 1
        merged: dict[Any, tuple[Any, Pos, Pos]] = {}
        for key_node, value_node in node.value:
            key_tag = key_node.tag if isinstance(key_node.tag, str) else str(getattr(key_node.tag, "value", ""))
            if key_tag == T_MERGE or (key_node.value == "<<" and isinstance(key_node.value, str)
                                      and not getattr(key_node, "style", None)):
                count += self._merge(value_node, merged, depth)
                continue
            key, _ = self.build(key_node, depth + 1)
            if isinstance(key, (Map, Seq)):
                key = str(key)  # complex keys never matter to Kubernetes; keep them hashable
            if key in mapping:
                first = mapping.kpos[key]
                kp = self._pos(key_node)
                self.duplicates.append(Problem(
                    "parse-duplicate-key", kp.line, kp.column,
                    f"duplicate key '{key}' (first defined on line {first.line}); Flux and kubectl "
                    "reject duplicate keys, and YAML loaders silently keep only one value"))
            value, n = self.build(value_node, depth + 1)
            count += n
            mapping[key] = value
            mapping.kpos[key] = self._pos(key_node)
            mapping.vpos[key] = self._pos(value_node)
        if merged:
            inherited = []
            for key, (value, kpos, vpos) in merged.items():
                if key not in mapping:
                    mapping[key] = value
                    mapping.kpos[key] = kpos
                    mapping.vpos[key] = vpos
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


_DEPTH_MSG = "exceeded maximum nesting depth"


def load(text: str, limits: Limits = Limits()) -> LoadResult:
    """Parse every document of ``text``. Never raises for bad input: problems come back as data."""
    try:
        nodes = _compose_fast(text, limits)
        exact = True
    except LimitExceeded as exc:
        return LoadResult([], [Problem("parse-limit", exc.line, exc.column, str(exc))])
    except yaml.MarkedYAMLError as fast_error:
        if _DEPTH_MSG in str(fast_error):
            mark = fast_error.problem_mark
            return LoadResult([], [Problem(
                "parse-limit", mark.line + 1 if mark else 1, mark.column + 1 if mark else 1,
                "nesting deeper than 1000 levels; the file was not linted")])
        fallback = _compose_ruamel(text, limits)
        if isinstance(fallback, Problem):
            return LoadResult([], [fallback])
        nodes, exact = fallback, False
    except (yaml.YAMLError, ValueError, RecursionError, MemoryError) as exc:
        return LoadResult([], [Problem("parse-error", 1, 1, f"unreadable YAML: {type(exc).__name__}")])
    return _construct(nodes, limits, exact)


def _compose_fast(text: str, limits: Limits) -> list[Any]:
    composer = _FastComposer(text)
    nodes: list[Any] = []
    try:
        while composer.check_node():
            nodes.append(composer.get_node())
            if len(nodes) > limits.max_documents:
                raise LimitExceeded("max_documents", f"more than {limits.max_documents} documents in one file")
    finally:
        composer.dispose()
    return nodes


def _compose_ruamel(text: str, limits: Limits) -> "list[Any] | Problem":
    from ruamel.yaml import YAML  # imported only for the rare file libyaml rejects
    from ruamel.yaml.error import MarkedYAMLError

    reader = YAML(typ="rt", pure=True)
    reader.allow_duplicate_keys = True
    try:
        nodes = []
        for node in reader.compose_all(text):
            nodes.append(node)
            if len(nodes) > limits.max_documents:
                return Problem("parse-limit", 1, 1, f"more than {limits.max_documents} documents in one file")
        return nodes
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        column = mark.column + 1 if mark else 1
        problem = (exc.problem or exc.context or "invalid YAML").strip()
        context = (exc.context or "").strip()
        message = f"{context}: {problem}" if context and context != problem else problem
        return Problem("parse-error", line, column, f"invalid YAML: {message}")
    except RecursionError:
        return Problem("parse-limit", 1, 1, "nesting too deep to parse; the file was not linted")
    except Exception as exc:  # ruamel raises assorted errors on hostile input
        return Problem("parse-error", 1, 1, f"invalid YAML: {type(exc).__name__}")


def _construct(nodes: list[Any], limits: Limits, exact: bool) -> LoadResult:
    documents: list[tuple[Any, int]] = []
    problems: list[Problem] = []
    for node in nodes:
        builder = _Builder(limits)
        try:
            data, _ = builder.build(node)
        except LimitExceeded as exc:
            problems.append(Problem("parse-limit", exc.line, exc.column, f"{exc}; the document was not linted"))
            continue
        except _Recursive as exc:
            problems.append(Problem("parse-error", exc.line, exc.column,
                                    "recursive alias: an anchor refers to itself; the document was not linted"))
            continue
        except RecursionError:
            problems.append(Problem("parse-limit", node.start_mark.line + 1, 1,
                                    "nesting too deep; the document was not linted"))
            continue
        problems.extend(builder.duplicates)
        if data is None:
            continue
        documents.append((data, node.start_mark.line + 1))
    return LoadResult(documents, problems, exact)


def load_one(text: str) -> Optional[Any]:
    """Load a single trusted document (our own data files). Raises ValueError on failure."""
    result = load(text)
    errors = [p for p in result.problems if p.rule != "parse-duplicate-key"]
    if errors:
        p = errors[0]
        raise ValueError(f"line {p.line}, column {p.column}: {p.message}")
    return result.documents[0][0] if result.documents else None
