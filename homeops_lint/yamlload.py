"""The one YAML loader: text -> positioned documents, with YAML 1.2 scalars and bounded expansion.

Fast path: libyaml's composer (PyYAML's C parser) with a YAML 1.2 core-schema resolver plugged in,
so ``on``, ``no``, ``=`` and ``012`` keep their YAML 1.2 meaning. Fallback: ruamel.yaml's composer
(pure Python, YAML 1.2 exact) for text the C parser rejects, so a file libyaml cannot read is
judged by the reference implementation before it is called broken. The fallback is skipped above
``RUAMEL_FALLBACK_MAX`` characters: it is ~8x slower, and a large broken file must not stall a hook.

Nothing here constructs a Python object from a tag: composed nodes become ``Map``/``Seq``/str/int/
float/bool/None only, so ``!!python/object`` and friends are plain text. Both composers share
alias targets as one node object. ``yamlbuild.Builder`` turns the nodes into the tree: an alias
costs nothing to build, but its *expanded* size is still counted and bounded, because every rule
that walks the tree would otherwise pay for a billion-laughs document. Every limit hit is a
``parse-limit`` problem that names the limit (``limits.<name>`` in the policy) and how to raise it.
"""
from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from typing import Any, Optional

import yaml

from .model import line_starts
from .yamlbuild import (
    FLOAT12_PATTERN,
    INT12_PATTERN,
    PLAIN,
    T_BOOL,
    T_FLOAT,
    T_INT,
    T_MAP,
    T_MERGE,
    T_NULL,
    T_SEQ,
    T_STR,
    Builder,
    LimitExceeded,
    Limits,
    Problem,
    RecursiveAlias,
    anchor_offsets,
)

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

_ScalarNode, _SequenceNode = yaml.nodes.ScalarNode, yaml.nodes.SequenceNode
LIBYAML_MAX_DEPTH = 1000  # libyaml's own nesting limit; it cannot be raised
RUAMEL_FALLBACK_MAX = 512 * 1024  # characters; larger files libyaml rejects get libyaml's verdict


class _Resolver12(yaml.resolver.BaseResolver):
    """YAML 1.2 core schema: only true/false, null/~, decimal/0o/0x ints and plain floats."""


_Resolver12.yaml_implicit_resolvers = {}
for _tag, _regexp, _first in (
    (T_BOOL, r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    (T_NULL, r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    (T_INT, INT12_PATTERN, "-+0123456789"),
    (T_FLOAT, FLOAT12_PATTERN, "-+0123456789."),
    (T_MERGE, r"^<<$", "<"),
):
    _Resolver12.add_implicit_resolver(_tag, re.compile(_regexp), list(_first))


class _FastComposer(_FastParser, _Resolver12):  # type: ignore[misc, valid-type]
    """libyaml's composer with resolution deferred to the builder.

    libyaml calls back into Python for every node to resolve its tag. PyYAML's generic resolver
    (path resolvers, first-character tables) costs more than parsing itself, so plain scalars are
    tagged ``PLAIN`` here and resolved once by ``yamlbuild.plain_scalar`` while the builder walks the tree.
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


class Allowance:
    """What alias expansion may still add in this run, shared by every file a run loads, and the
    run's time budget (checked once per document)."""

    def __init__(self, limits: Limits, budget: Any = None) -> None:
        self.nodes = limits.max_alias_nodes_per_run
        self.chars = limits.max_alias_bytes
        self.budget = budget


# Limits that stop the rest of the file, not just one document.
_FILE_WIDE = frozenset(("max_alias_nodes_per_file", "max_alias_nodes_per_run", "max_alias_bytes"))


def limit_message(what: str, limit: str, tail: str = "the file was not linted",
                  fixed: frozenset[str] = frozenset()) -> str:
    """Every limit finding says which limit was hit and how to raise it, or that it is at its
    ceiling (``fixed``) and cannot be raised."""
    if limit in fixed:
        return f"{what}; {tail} (limits.{limit} is at its ceiling, which no policy can raise)"
    return f"{what}; {tail} (raise limits.{limit} in .homeops-lint.yaml)"


@dataclass
class LoadResult:
    documents: list[tuple[Any, int]]  # (data, first line) per non-empty document
    problems: list[Problem]
    exact: bool = True  # False when the ruamel fallback was needed
    template_signs: int = 0  # structures only a template explains (see Builder.template_signs)


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
    # libyaml's nodes may take the builder's fast walk (told where anchors may be); ruamel's may not
    anchors = anchor_offsets(text) if exact else None
    return _construct(nodes, limits, exact, watch_templates, allowance or Allowance(limits), anchors)


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
               allowance: Allowance, anchors: Optional[frozenset[int]] = None) -> LoadResult:
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
        builder = Builder(limits, watch_templates, node_cap, allowance.chars)
        try:
            data = builder.build_document(node, anchors)
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
        except RecursiveAlias as exc:
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
