"""What reporters must hide: every secret value of a file, whichever rules the run enabled.

A run with ``--select lb-`` or ``--ignore secret-`` still prints snippets and messages of files
that hold secrets, so the values to hide cannot come from the findings alone. A ``Masker`` builds a
file's masks on first use, from:

- the masks of every finding of the file (shown, filtered out or suppressed);
- the secret scan with **every** secret rule on (its candidates are never reported, only their
  masks kept), run once over the files the reporters ask about;
- a file the YAML parser gave up on is scanned as text (its values never reached the structured
  rules), and its ``name: SOME_TOKEN`` / ``value: ...`` env pairs are hidden line by line;
- every line of a private-key block, from ``BEGIN`` to ``END`` (or to the end of the block when a
  corrupted key has no intact ``END`` line).

The masks then hide values on printed source lines, in messages (key names stay readable) and in
``--diff`` output. Nothing here reads the disk or parses YAML: it works on the run's index.
"""
from __future__ import annotations

import re
from typing import Iterable, Optional

from .model import Finding, FileKind, SourceFile, line_starts

_PEM_BEGIN = re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----")
_PEM_END = re.compile(r"-----END ")
_PEM_MAX_LINES = 200
# ``name: DB_PASSWORD`` (block or flow style) and the ``value:`` that follows it.
_ENV_NAME = re.compile(r"""(?:^|[{,\s])["']?name["']?\s*:\s*["']?(?P<key>[A-Za-z_][\w.-]*)["']?""")
_ENV_VALUE = re.compile(r"""(?:^|[{,\s])["']?value["']?\s*:\s*(?P<value>[^,}\n]*)""")
_KEY_SEPARATORS = re.compile(r"""[.\[\]"'\s]+""")


class Masker:
    """Per-file secret masks for one run (see the module doc); built lazily, then cached."""

    def __init__(self, files: Iterable[SourceFile], findings: Iterable[Finding]) -> None:
        self._files = {f.path: f for f in files}
        self._from_findings: dict[str, set[str]] = {}
        for finding in findings:
            if finding.mask:
                self._from_findings.setdefault(finding.path, set()).update(finding.mask)
        self._wanted = {f.path for f in findings}
        self._masks: dict[str, tuple[str, ...]] = {}

    def masks_for(self, path: str) -> tuple[str, ...]:
        if path not in self._masks:
            self._build({path, *(p for p in self._wanted if p not in self._masks)})
        return self._masks.get(path, ())

    def line(self, path: str, text: str) -> str:
        """A source line of ``path`` as reporters may print it."""
        from .report.common import mask_line

        return mask_line(text, self.masks_for(path))

    def message(self, finding: Finding) -> str:
        """The finding's message with every secret of its file hidden; key names and the file's
        path stay readable (a value equal to its key's name, ``token: token``, or to a folder the
        path names says nothing the finding's key and path fields do not print anyway)."""
        from .report.common import mask_text

        keys = {part for part in _KEY_SEPARATORS.split(finding.key) if part}
        keys.update(part for part in finding.path.split("/") if part)
        masks = [m for m in (*finding.mask, *self.masks_for(finding.path)) if m.strip() not in keys]
        return mask_text(finding.message, tuple(masks))

    # --- building ---------------------------------------------------------------------------
    def _build(self, paths: set[str]) -> None:
        sources = [self._files[p] for p in sorted(paths) if p in self._files]
        scanned = _scan_masks(sources, [f for f in self._files.values() if _sops_config(f.path)])
        for path in paths:
            masks = set(self._from_findings.get(path, ()))
            masks.update(scanned.get(path, ()))
            source = self._files.get(path)
            if source is not None and source.text:
                masks.update(_pem_block_lines(source.text))
                if source.parse_failed:
                    masks.update(_env_pair_values(source.text))
            self._masks[path] = tuple(sorted(m for m in masks if m))


def _sops_config(path: str) -> bool:
    return path.rsplit("/", 1)[-1] in (".sops.yaml", ".sops.yml")


def _scan_masks(sources: list[SourceFile], sops_configs: list[SourceFile]) -> dict[str, set[str]]:
    """Masks of the secret scan with every secret rule on, over ``sources``."""
    texts: list[SourceFile] = []
    for source in sources:
        if not source.text or source.kind not in (FileKind.YAML, FileKind.TEXT, FileKind.TEMPLATE):
            continue
        if source.parse_failed:  # what the parser could not read is judged as text
            source = SourceFile(source.path, source.abspath, source.size, FileKind.TEXT, source.text)
        texts.append(source)
    if not texts:
        return {}
    from .secrets.scan import scan

    names = {s.path for s in texts}
    candidates, _stats = scan([*texts, *(c for c in sops_configs if c.path not in names)], lambda _rule: True)
    out: dict[str, set[str]] = {}
    for candidate in candidates:
        out.setdefault(candidate.path, set()).update(candidate.masks)
    return out


def _lines(text: str) -> list[str]:
    starts = line_starts(text)
    ends = [*(s for s in starts[1:]), len(text)]
    return [text[b:e].rstrip("\r\n\x85\u2028\u2029") for b, e in zip(starts, ends)]


def _pem_block_lines(text: str) -> set[str]:
    """Every line of each private-key block: from its BEGIN line to its END line, or, when the
    END line is missing or corrupted, to the first blank or less indented line."""
    if "PRIVATE KEY" not in text:
        return set()
    out: set[str] = set()
    lines = _lines(text)
    for number, line in enumerate(lines):
        match = _PEM_BEGIN.search(line)
        if not match:
            continue
        indent = len(line) - len(line.lstrip())
        for body in lines[number + 1: number + 1 + _PEM_MAX_LINES]:
            stripped = body.strip()
            if _PEM_END.search(body) or not stripped or len(body) - len(body.lstrip()) < indent:
                break
            # the line, and its pieces between YAML/JSON quoting and escaped newlines
            out.add(stripped)
            out.update(p for p in re.split(r"\\n|[\"',]", stripped) if len(p.strip()) >= 3)
    return out


def _env_pair_values(text: str) -> set[str]:
    """``value:`` of an env entry whose ``name:`` names a credential, in text that did not parse."""
    from .secrets.values import KeyClass, classify_key, is_reference

    out: set[str] = set()
    lines = _lines(text)
    pending: Optional[int] = None  # the line of the last credential-like name
    for number, line in enumerate(lines):
        name = _ENV_NAME.search(line)
        if name and classify_key(name.group("key")) is not KeyClass.NONE:
            pending = number
        value = _ENV_VALUE.search(line)
        if value and pending is not None and number - pending <= 3:
            raw = value.group("value").strip().strip("\"'").strip()
            if raw and not is_reference(raw):
                out.add(raw)
            pending = None
    return out
