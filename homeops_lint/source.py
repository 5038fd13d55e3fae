"""Stage 2: read each discovered file once, decode it, and parse YAML into positioned documents.

Bad input never raises: a file that is too large, binary, undecodable, unreadable or broken YAML
becomes a ``parse-`` problem with a line, and the run goes on.
"""
from __future__ import annotations

import codecs
import os
from dataclasses import dataclass, field
from pathlib import Path

from . import classify, yamlload
from .model import Document, FileKind, SourceFile


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


def _decode(raw: bytes) -> tuple[str, str]:
    """(text, note). ``note`` is empty for clean UTF-8, else says how the bytes were read."""
    if raw.startswith(codecs.BOM_UTF8):
        return raw[3:].decode("utf-8", errors="replace"), ""
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return raw.decode("utf-16", errors="replace"), "utf-16"
    try:
        return raw.decode("utf-8"), ""
    except UnicodeDecodeError as exc:
        return raw.decode("latin-1"), f"latin-1@{exc.start}"


def _is_binary(raw: bytes) -> bool:
    head = raw[:8192]
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return False
    return b"\0" in head


def _line_of_offset(raw: bytes, offset: int) -> int:
    return raw.count(b"\n", 0, offset) + 1


def read_file(root: Path, rel: str, limits: ReadLimits) -> tuple[SourceFile, list[FileProblem]]:
    full = root / rel
    problems: list[FileProblem] = []
    try:
        size = full.stat().st_size
    except OSError as exc:
        return SourceFile(rel, str(full), 0, FileKind.SKIPPED), [
            FileProblem("parse-unreadable", rel, 1, 1, f"cannot read the file: {exc.strerror or exc}")]
    source = SourceFile(rel, str(full), size)
    yaml_file = classify.is_yaml_path(rel)
    if size > limits.max_file_size:
        source.kind = FileKind.SKIPPED
        return source, [FileProblem(
            "parse-limit", rel, 1, 1,
            f"file is {size:,} bytes, over the max_file_size limit of {limits.max_file_size:,}; it was "
            "not linted (raise limits.max_file_size in the policy to lint it)")]
    try:
        with open(full, "rb") as handle:
            raw = handle.read(limits.max_file_size + 1)
    except OSError as exc:
        source.kind = FileKind.SKIPPED
        return source, [FileProblem("parse-unreadable", rel, 1, 1,
                                    f"cannot read the file: {exc.strerror or exc}")]
    if _is_binary(raw):
        source.kind = FileKind.BINARY
        if yaml_file:
            offset = raw.find(b"\0")
            problems.append(FileProblem("parse-encoding", rel, _line_of_offset(raw, offset), 1,
                                        "binary content (NUL bytes) in a YAML file; it was not linted"))
        return source, problems
    text, note = _decode(raw)
    if note.startswith("latin-1") and yaml_file:
        offset = int(note.split("@")[1])
        problems.append(FileProblem(
            "parse-encoding", rel, _line_of_offset(raw, offset), 1,
            "not valid UTF-8 (read as Latin-1); Kubernetes and Flux require UTF-8 YAML"))
    elif note == "utf-16" and yaml_file:
        problems.append(FileProblem("parse-encoding", rel, 1, 1,
                                    "UTF-16 encoded; Kubernetes and Flux require UTF-8 YAML"))
    longest = max((len(line) for line in text.split("\n")), default=0) if len(text) > limits.max_line_length else 0
    if longest > limits.max_line_length:
        lines = text.split("\n")
        number = next(i for i, line in enumerate(lines, 1) if len(line) > limits.max_line_length)
        source.kind = FileKind.SKIPPED
        return source, problems + [FileProblem(
            "parse-limit", rel, number, 1,
            f"line {number} is {longest:,} characters, over the max_line_length limit of "
            f"{limits.max_line_length:,}; the file was not linted (raise limits.max_line_length)")]
    source.text = text
    if classify.is_template_path(rel):
        source.kind = FileKind.TEMPLATE
        return source, problems
    if not yaml_file:
        source.kind = FileKind.TEXT
        return source, problems
    return source, problems + parse_yaml_source(source, limits)


def parse_yaml_source(source: SourceFile, limits: ReadLimits) -> list[FileProblem]:
    """Parse ``source.text`` into ``source.documents``; templates are recognised, not linted."""
    text = source.text
    rel = source.path
    if classify.looks_templated(text) and ("#{" in text or "#%" in text):
        source.kind = FileKind.TEMPLATE  # makejinja: valid YAML whose values are template comments
        return []
    result = yamlload.load(text, limits.yaml)
    errors = [p for p in result.problems if p.rule == "parse-error"]
    if errors and not result.documents and classify.looks_templated(text):
        source.kind = FileKind.TEMPLATE
        return []
    source.kind = FileKind.YAML
    docs = []
    for index, (data, line) in enumerate(result.documents):
        doc_class = classify.classify_document(rel, data)
        docs.append(Document(rel, index, data, line, doc_class, classify.has_sops_block(data)))
    source.documents = docs
    return [FileProblem(p.rule, rel, p.line, p.column, p.message) for p in result.problems]


def read_all(root: Path, paths: list[str], limits: ReadLimits) -> tuple[list[SourceFile], list[FileProblem]]:
    files: list[SourceFile] = []
    problems: list[FileProblem] = []
    for rel in paths:
        try:
            source, file_problems = read_file(root, rel, limits)
        except (RecursionError, MemoryError) as exc:  # last line of defence: never lose the run
            source = SourceFile(rel, os.fspath(root / rel), 0, FileKind.SKIPPED)
            file_problems = [FileProblem("parse-limit", rel, 1, 1,
                                         f"the file could not be processed ({type(exc).__name__})")]
        files.append(source)
        problems.extend(file_problems)
    return files, problems
