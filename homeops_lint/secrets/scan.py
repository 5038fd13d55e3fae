"""One pass over the repo index for every ``secret-`` rule; returns value-free candidates.

Order matters: the most specific detector claims a line first (SOPS mandate, then private keys and
Talos machine secrets, then PEM and known token formats in raw text, then plaintext Secrets, then
literal credentials, then entropy), and a weaker detector stays silent on a claimed line. Every
candidate carries the secret only in ``masks`` (for the reporters); its fingerprint names where it
is (rule, path, key path), never what it is. The phases live in ``detect`` (the specific detectors)
and ``literal`` (key-judged literals and entropy); ``state`` holds what they share.
"""
from __future__ import annotations

import re
import time
from typing import Any, Callable, Iterator, Optional

from ..model import FileKind, SourceFile
from . import detect, literal
from .paths import SCANNER_FILES_RE, gitleaks_ignored, is_doc_path
from .state import Candidate, ScanState, ScanStats

# The ecosystem's own inline suppressions (detect-secrets, gitleaks), in any comment syntax.
_ALLOW_LINE_RE = re.compile(r"pragma:\s*allowlist[ -]secret|gitleaks:allow")
_ALLOW_NEXT_RE = re.compile(r"pragma:\s*allowlist[ -]nextline[ -]secret")

Phase = Callable[[ScanState, list[SourceFile]], None]
# (name for --timings, detector), in the order they claim lines.
PHASES: tuple[tuple[str, Phase], ...] = (
    ("sops", detect.sops_mandates),
    ("talos+kubeconfig", detect.structured_keys),
    ("pem+1password", detect.key_material),
    ("known-tokens", detect.known_tokens),
    ("secret-inline", detect.inline_secrets),
    ("literal+entropy (yaml)", literal.literal_yaml),
    ("literal+entropy (text)", literal.literal_text),
)


def scan(files: list[SourceFile], enabled: Callable[[str], bool],
         options: Optional[Callable[[str], dict[str, Any]]] = None,
         checkpoint: Callable[[], None] = lambda: None) -> tuple[list[Candidate], ScanStats]:
    """Every candidate of the rules ``enabled`` says are on, and where the time went."""
    state = ScanState(enabled, options, checkpoint)
    texts = _Checked([f for f in files if f.kind in (FileKind.YAML, FileKind.TEXT, FileKind.TEMPLATE)
                      and f.text and not SCANNER_FILES_RE.search(f.path)], checkpoint)
    state.stats.files = len(texts)
    state.stats.bytes = sum(len(f.text) for f in texts)
    try:
        for name, phase in PHASES:
            started = time.perf_counter()
            phase(state, texts)
            state.stats.add(name, started)
    finally:
        state.tokens.close()
    state.stats.token_lines = state.tokens.lines_scanned
    return _unsuppressed(state.candidates, files, texts), state.stats


def _unsuppressed(candidates: list[Candidate], files: list[SourceFile],
                  texts: list[SourceFile]) -> list[Candidate]:
    """Drop what ``# pragma: allowlist secret``, ``gitleaks:allow`` or ``.gitleaksignore`` allow."""
    ignored = gitleaks_ignored(files)
    by_path = {source.path: source for source in texts}
    kept = []
    for found in candidates:
        source = by_path.get(found.path)
        line = found.pos.line
        if (found.path, line) in ignored:
            continue
        if source is not None and (_ALLOW_LINE_RE.search(source.line_text(line))
                                   or line > 1 and _ALLOW_NEXT_RE.search(source.line_text(line - 1))):
            continue
        kept.append(found)
    return kept


class _Checked(list):  # type: ignore[type-arg]
    """The files a phase scans: each phase's loop over them checks the time budget at its first file
    and then every 8th (a clock read per file costs more than the scan of most files)."""

    def __init__(self, files: list[SourceFile], checkpoint: Callable[[], None]) -> None:
        super().__init__(files)
        self.checkpoint = checkpoint

    def __iter__(self) -> Iterator[SourceFile]:
        checkpoint = self.checkpoint
        for position, source in enumerate(super().__iter__()):
            if not position & 7:
                checkpoint()
            yield source


__all__ = ["Candidate", "ScanStats", "PHASES", "scan", "is_doc_path"]
