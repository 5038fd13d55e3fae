"""Stage 2: read each discovered file once, decode it, and parse YAML into positioned documents.

Bad input never raises: a file that is too large, binary, undecodable, unreadable or broken YAML
becomes a ``parse-`` problem with a line, and the run goes on. Reading is defensive: the resolved
path must stay inside the root, only regular files are opened (a FIFO or device would block or
never end), and never more than ``max_file_size + 1`` bytes are read, whatever ``stat`` said.
"""
from __future__ import annotations

import codecs
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Optional

from . import classify, yamlload
from .budget import Budget, OutOfTime
from .model import Document, FileKind, SourceFile

_O_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)


@dataclass(frozen=True)
class ReadLimits:
    max_file_size: int = 10 * 1024 * 1024  # bytes; larger files are skipped with a finding
    max_line_length: int = 512 * 1024  # characters; a longer line skips the file the same way
    yaml: yamlload.Limits = field(default_factory=yamlload.Limits)


@dataclass(frozen=True)
class FileProblem:
    rule: str
    path: str
    line: int
    column: int
    message: str
    limit: str = ""  # the limit a parse-limit problem names (the engine stops on "time_budget")


def _decode(raw: bytes) -> tuple[str, str]:
    """(text, note). ``note`` is empty for clean UTF-8, else says how the bytes were read."""
    if raw.startswith(codecs.BOM_UTF8):
        try:
            return raw[3:].decode("utf-8"), ""
        except UnicodeDecodeError as exc:
            return raw[3:].decode("latin-1"), f"latin-1@{exc.start + 3}"
    # UTF-32 first: its little-endian BOM starts with the UTF-16 one
    if raw.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return raw.decode("utf-32", errors="replace"), "utf-32"
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return raw.decode("utf-16", errors="replace"), "utf-16"
    try:
        return raw.decode("utf-8"), ""
    except UnicodeDecodeError as exc:
        return raw.decode("latin-1"), f"latin-1@{exc.start}"


def _has_bom16_or_32(raw: bytes) -> bool:
    return raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF32_BE))


def _nul_offset(raw: bytes, yaml_file: bool) -> int:
    """Offset of the first NUL byte that makes the file binary, or -1.

    A YAML file is searched whole (a NUL anywhere breaks it); other files by their first 8 KiB,
    as git does. UTF-16/32 text with a BOM holds NULs by design.
    """
    if _has_bom16_or_32(raw):
        return -1
    return raw.find(b"\0") if yaml_file else raw.find(b"\0", 0, 8192)


def _line_of_offset(raw: bytes, offset: int) -> int:
    """1-based line of byte ``offset``, counting ``\\r\\n``, ``\\r`` and ``\\n`` as YAML does."""
    return len(_BYTE_BREAKS.findall(raw, 0, offset)) + 1


_BYTE_BREAKS = re.compile(rb"\r\n|[\r\n]")


def _long_line(text: str, limit: int) -> Optional[tuple[int, int]]:
    """(line number, length) of the first line longer than ``limit`` characters, else None."""
    if len(text) <= limit:
        return None
    start = 0
    number = 1
    while True:
        end = text.find("\n", start)
        stop = len(text) if end < 0 else end
        if stop - start > limit:
            return number, stop - start
        if end < 0:
            return None
        start = end + 1
        number += 1


def _real_path(full: Path, dir_cache: Optional[dict[str, str]]) -> str:
    """``os.path.realpath(full)``, resolving each folder once per run.

    When the last component is not a symlink, the real path is the folder's real path plus the
    name, so only a folder's chain needs resolving (one lstat per folder, cached); a symlinked
    file, or one that cannot be lstat'ed, takes the full call.
    """
    if dir_cache is None or full.name in ("", ".", ".."):
        return os.path.realpath(full)
    try:
        if stat.S_ISLNK(os.lstat(full).st_mode):
            return os.path.realpath(full)
    except OSError:
        return os.path.realpath(full)
    return os.path.join(_real_folder(os.fspath(full.parent), dir_cache), full.name)


def _real_folder(folder: str, dir_cache: dict[str, str]) -> str:
    """``os.path.realpath(folder)`` from its parent's real path and one lstat of its own, when it
    is not a symlink; a symlinked folder (or one that cannot be lstat'ed) takes the full call."""
    real = dir_cache.get(folder)
    if real is not None:
        return real
    parent, name = os.path.split(folder)
    if not name or name in (".", "..") or parent == folder:
        real = os.path.realpath(folder)
    else:
        try:
            linked = stat.S_ISLNK(os.lstat(folder).st_mode)
        except OSError:
            linked = True
        real = os.path.realpath(folder) if linked else os.path.join(_real_folder(parent, dir_cache), name)
    dir_cache[folder] = real
    return real


def _open_regular(full: Path, real_root: str,
                  dir_cache: Optional[dict[str, str]] = None) -> tuple[Optional[int], str]:
    """An fd for a regular file inside the root, or (None, reason) when it must not be read."""
    real = _real_path(full, dir_cache)
    if real != real_root and not real.startswith(real_root.rstrip(os.sep) + os.sep):
        return None, "the path resolves outside the repository (a symlinked folder?); it was not read"
    try:
        fd = os.open(real, _O_FLAGS)
    except OSError as exc:
        return None, f"cannot read the file: {exc.strerror or exc}"
    try:
        mode = os.fstat(fd).st_mode
    except OSError as exc:
        os.close(fd)
        return None, f"cannot read the file: {exc.strerror or exc}"
    if not stat.S_ISREG(mode):
        os.close(fd)
        return None, "not a regular file (a FIFO, socket or device); it was not read"
    return fd, ""


@dataclass
class ParseMemo:
    """Parses shared by engine runs over two versions of one tree (``homeops-lint diff``), keyed
    by path and git blob id, so a file the versions share is parsed once. ``known`` maps a path of
    the next run to its blob id when git says what it holds (or a file was read once already): on
    a hit that file is not even read.
    Documents are never changed after parsing, so two runs can share them."""

    algorithm: str = "sha1"  # the repository's object format
    known: dict[str, str] = field(default_factory=dict)
    load: Optional[Callable[[str], bytes]] = None  # a known file's bytes by blob id, on a miss
    entries: dict[tuple[str, str, bool, str], tuple[SourceFile, list[FileProblem]]] = field(default_factory=dict)
    _limits: Optional[tuple[ReadLimits, str]] = field(default=None, repr=False)

    def blob_id(self, raw: bytes) -> str:
        import hashlib

        digest = hashlib.new(self.algorithm)
        digest.update(b"blob %d\0" % len(raw))
        digest.update(raw)
        return digest.hexdigest()

    def limits_key(self, limits: ReadLimits) -> str:
        """``limits`` as part of a key (a run's limits are one object: its repr is made once)."""
        if self._limits is None or self._limits[0] is not limits:
            self._limits = (limits, repr(limits))
        return self._limits[1]

    def reuse(self, key: tuple[str, str, bool, str], abspath: str) -> Optional[tuple[SourceFile, list[FileProblem]]]:
        hit = self.entries.get(key)
        if hit is None:
            return None
        done, problems = hit
        return SourceFile(done.path, abspath, done.size, done.kind, done.text, done.documents,
                          done.parse_failed), problems


def read_file(root: Path, rel: str, limits: ReadLimits,
              real_root: Optional[str] = None, chart_dirs: Iterable[str] = (),
              dir_cache: Optional[dict[str, str]] = None,
              allowance: Optional[yamlload.Allowance] = None,
              parses: Optional[ParseMemo] = None) -> tuple[SourceFile, list[FileProblem]]:
    full = root / rel
    memo_key = None
    if parses is not None:
        memo_key = (rel, parses.known.get(rel, ""), classify.in_chart_templates(rel, chart_dirs),
                    parses.limits_key(limits))
        hit = parses.reuse(memo_key, str(full)) if memo_key[1] else None
        if hit is not None:
            return hit
    source = SourceFile(rel, str(full), 0, FileKind.SKIPPED)
    if memo_key is not None and memo_key[1] and parses.load is not None:  # type: ignore[union-attr]
        raw = parses.load(memo_key[1])  # type: ignore[union-attr]
        size = len(raw)
    else:
        read = _read_raw(full, real_root or os.path.realpath(root), limits, dir_cache)
        if isinstance(read, str):
            return source, [FileProblem("parse-unreadable", rel, 1, 1, read)]
        size, raw = read
    source.size = size = max(size, len(raw))
    if size > limits.max_file_size:  # also a file that grew past the limit while being read
        yaml_file = classify.is_yaml_path(rel)
        if not yaml_file and _nul_offset(raw[:8192], False) >= 0:
            source.kind = FileKind.BINARY  # a large image or archive is not configuration
            return source, []
        return source, [FileProblem("parse-limit", rel, 1, 1, yamlload.limit_message(
            f"file is {size:,} bytes, over the max_file_size limit of {limits.max_file_size:,} bytes",
            "max_file_size", fixed=limits.yaml.fixed), "max_file_size")]
    if memo_key is None:
        return source, _read_text(source, raw, limits, chart_dirs, allowance)
    memo_key = (rel, parses.blob_id(raw), *memo_key[2:])  # type: ignore[union-attr]
    parses.known.setdefault(rel, memo_key[1])  # type: ignore[union-attr]
    hit = parses.reuse(memo_key, str(full))  # type: ignore[union-attr]
    if hit is not None:
        return hit
    problems = _read_text(source, raw, limits, chart_dirs, allowance)
    parses.entries[memo_key] = (source, problems)  # type: ignore[union-attr]
    return source, problems


def _read_raw(full: Path, real_root: str, limits: ReadLimits,
              dir_cache: Optional[dict[str, str]]) -> "tuple[int, bytes] | str":
    """(size on disk, bytes read) of a regular file inside the root, or why it was not read."""
    fd, reason = _open_regular(full, real_root, dir_cache)
    if fd is None:
        return reason
    try:
        with os.fdopen(fd, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            # Over the limit only the head is read: enough to tell an image from text.
            return size, handle.read(8192 if size > limits.max_file_size else limits.max_file_size + 1)
    except OSError as exc:
        return f"cannot read the file: {exc.strerror or exc}"


def _read_text(source: SourceFile, raw: bytes, limits: ReadLimits, chart_dirs: Iterable[str],
               allowance: Optional[yamlload.Allowance] = None) -> list[FileProblem]:
    rel = source.path
    problems: list[FileProblem] = []
    yaml_file = classify.is_yaml_path(rel)
    nul = _nul_offset(raw, yaml_file)
    if nul >= 0:
        source.kind = FileKind.BINARY
        if yaml_file:
            problems.append(FileProblem("parse-encoding", rel, _line_of_offset(raw, nul), 1,
                                        "binary content (a NUL byte) in a YAML file; it was not linted"))
        return problems
    text, note = _decode(raw)
    if yaml_file:
        problems.extend(_encoding_problems(rel, raw, note))
    long_line = _long_line(text, limits.max_line_length)
    if long_line is not None:
        number, length = long_line
        return problems + [FileProblem("parse-limit", rel, number, 1, yamlload.limit_message(
            f"line {number} is {length:,} characters, over the max_line_length limit of "
            f"{limits.max_line_length:,}", "max_line_length", fixed=limits.yaml.fixed), "max_line_length")]
    source.text = text
    if classify.is_template_path(rel) or classify.in_chart_templates(rel, chart_dirs):
        source.kind = FileKind.TEMPLATE
        return problems
    if not yaml_file:
        source.kind = FileKind.TEXT
        return problems
    return problems + parse_yaml_source(source, limits, allowance)


def _encoding_problems(rel: str, raw: bytes, note: str) -> list[FileProblem]:
    if note.startswith("latin-1"):
        offset = int(note.split("@")[1])
        return [FileProblem("parse-encoding", rel, _line_of_offset(raw, offset), 1,
                            "not valid UTF-8 (read as Latin-1); Kubernetes and Flux require UTF-8 YAML")]
    if note in ("utf-16", "utf-32"):
        return [FileProblem("parse-encoding", rel, 1, 1,
                            f"{note.upper()} encoded; Kubernetes and Flux require UTF-8 YAML (re-save it as UTF-8)")]
    return []


def parse_yaml_source(source: SourceFile, limits: ReadLimits,
                      allowance: Optional[yamlload.Allowance] = None) -> list[FileProblem]:
    """Parse ``source.text`` into ``source.documents``; templates are recognised, not linted.
    ``allowance`` is the run's (alias expansion left, time budget); raises ``OutOfTime``."""
    text = source.text
    rel = source.path
    templated = classify.looks_templated(text)
    if templated and classify.has_makejinja_markers(text):
        source.kind = FileKind.TEMPLATE  # makejinja: valid YAML whose values are template comments
        return []
    result = yamlload.load(text, limits.yaml, watch_templates=templated, allowance=allowance)
    if templated and (result.template_signs or (not result.documents and any(
            p.rule == "parse-error" for p in result.problems))):
        # Helm/Jinja text: either it does not parse, or it parses only as nonsense structures
        source.kind = FileKind.TEMPLATE
        return []
    source.kind = FileKind.YAML
    source.parse_failed = any(p.rule == "parse-error" for p in result.problems)
    docs = []
    for index, (data, line) in enumerate(result.documents):
        doc_class = classify.classify_document(rel, data)
        docs.append(Document(rel, index, data, line, doc_class, classify.has_sops_block(data)))
    source.documents = docs
    return [FileProblem(p.rule, rel, p.line, p.column, p.message, p.limit) for p in result.problems]


def read_all(root: Path, paths: list[str], limits: ReadLimits, budget: Optional[Budget] = None,
             parses: Optional[ParseMemo] = None) -> tuple[list[SourceFile], list[FileProblem]]:
    """Read every file. Once ``budget`` runs out (checked per file and per YAML document) the rest
    are listed, not read, and one ``parse-limit`` problem on the first file not (fully) read names
    the ``time_budget`` limit. Alias expansion is bounded across the files (``Allowance``)."""
    files: list[SourceFile] = []
    problems: list[FileProblem] = []
    real_root = os.path.realpath(root)
    chart_dirs = classify.chart_dirs(paths)
    dir_cache: dict[str, str] = {}  # folder -> its real path, resolved once for all its files
    allowance = yamlload.Allowance(limits.yaml, budget)
    for position, rel in enumerate(paths):
        try:
            if budget is not None:
                budget.check()
            source, file_problems = read_file(root, rel, limits, real_root, chart_dirs, dir_cache, allowance, parses)
        except OutOfTime as exc:
            assert budget is not None
            files.extend(SourceFile(p, os.fspath(root / p), 0, FileKind.SKIPPED) for p in paths[position:])
            problems.append(FileProblem("parse-limit", rel, exc.line, 1, yamlload.limit_message(
                f"the time_budget of {budget.seconds:g} s ran out while reading; this file and "
                f"{len(paths) - position - 1} more were not read, and no checks ran", "time_budget",
                "findings so far are kept", limits.yaml.fixed), "time_budget"))
            break
        except (RecursionError, MemoryError) as exc:  # last line of defence: never lose the run
            source = SourceFile(rel, os.fspath(root / rel), 0, FileKind.SKIPPED)
            file_problems = [FileProblem("parse-limit", rel, 1, 1,
                                         f"the file could not be processed ({type(exc).__name__})")]
        files.append(source)
        problems.extend(file_problems)
    return files, problems
