"""The state one secret scan shares between its phases: the candidates found so far, the lines
they claim (a weaker detector stays silent on a claimed line), the files SOPS covers, and how a
value's masks and positions are taken from the source text.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Optional

from ..model import DocClass, Document, KeyPath, Pos, SourceFile, format_path
from . import textscan
from .paths import third_party_or_test
from .values import fingerprint

ERROR, WARNING = "error", "warning"


@dataclass
class Candidate:
    rule: str
    path: str
    pos: Pos
    message: str
    masks: tuple[str, ...]
    fingerprint: str
    doc: Optional[Document] = None
    key: KeyPath = ()
    severity: Optional[str] = None  # None: the rule's own severity


@dataclass
class ScanStats:
    seconds: dict[str, float] = field(default_factory=dict)
    files: int = 0
    bytes: int = 0
    token_lines: int = 0

    def add(self, name: str, started: float) -> None:
        self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - started


def describe(doc: Document) -> str:
    if doc.kind:
        return f"{doc.kind} {doc.name}".rstrip()
    return {DocClass.TALOS: "Talos config", DocClass.TALHELPER: "talhelper config"}.get(doc.doc_class, "")


class ScanState:
    """What the phases of one scan share; ``add`` turns a detection into a candidate."""

    def __init__(self, enabled: Callable[[str], bool],
                 options: Optional[Callable[[str], dict[str, Any]]] = None,
                 checkpoint: Callable[[], None] = lambda: None) -> None:
        self.enabled = enabled
        self.checkpoint = checkpoint  # the run's time budget: raises when it has run out
        opts = options("secret-literal-credential") if options is not None else {}
        # A placeholder (change-me, <token>) that is deployed is guessable, but it is usually not a
        # working credential: a warning, unless the policy says placeholders are used as credentials.
        self.placeholder_severity = ERROR if str(opts.get("placeholder", WARNING)) == ERROR else WARNING
        self.candidates: list[Candidate] = []
        self.claimed: dict[str, set[int]] = {}
        self.sops_files: set[str] = set()
        self.stats = ScanStats()
        self.tokens = textscan.TokenScanner()

    def claim(self, path: str, first: int, last: Optional[int] = None) -> None:
        self.claimed.setdefault(path, set()).update(range(first, (last or first) + 1))

    def is_claimed(self, path: str, first: int, last: Optional[int] = None) -> bool:
        lines = self.claimed.get(path)
        return bool(lines) and any(n in lines for n in range(first, (last or first) + 1))  # type: ignore[operator]

    def add(self, rule: str, source: SourceFile, pos: Pos, message: str, masks: Iterable[str],
            doc: Optional[Document] = None, key: KeyPath = (), last_line: Optional[int] = None,
            severity: Optional[str] = None) -> None:
        if not self.enabled(rule):
            return
        if severity != WARNING and third_party_or_test(source.path):
            severity = WARNING
            message += " (In vendored, test or example files: most likely a fixture, so a warning.)"
        # The secret reaches the candidate only as masks, never as a hash (a guessed weak password
        # could be confirmed offline, and reused secrets would be linked across files).
        self.candidates.append(Candidate(rule, source.path, pos, message, tuple(m for m in masks if m),
                                         fingerprint(rule, source.path, format_path(key)), doc, key, severity))
        self.claim(source.path, pos.line, last_line)


# --- masks and positions --------------------------------------------------------------
def scalar_masks(source: SourceFile, pos: Pos, value: str) -> list[str]:
    """The value, and the source text it was written as (quoted, escaped, folded)."""
    masks = [value]
    first = source.line_text(pos.line)[pos.column - 1:].strip()
    masks.append(first)
    extra = value.count("\n") + (0 if pos.style in ("|", ">") else 1)
    if pos.style or "\n" in value:
        for number in range(pos.line + 1, pos.line + extra + 2):
            masks.append(source.line_text(number).strip())
    return masks


def locate_in_value(source: SourceFile, vpos: Pos, value: str, line_offset: int, needle: str) -> Pos:
    """The source position of ``needle`` on line ``line_offset`` of a scalar at ``vpos``."""
    guesses = []
    if vpos.style in ("|", ">"):
        guesses.append(vpos.line + 1 + line_offset)
    elif line_offset == 0:
        guesses.append(vpos.line)
    span = value.count("\n") + 2
    guesses.extend(range(vpos.line, vpos.line + span + 40))
    for number in guesses:
        text = source.line_text(number)
        column = text.find(needle) if needle else -1
        if column >= 0 and (number != vpos.line or column >= vpos.column - 1 or vpos.style in ("|", ">")):
            return Pos(number, column + 1)
    return vpos
