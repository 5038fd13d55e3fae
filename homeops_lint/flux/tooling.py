"""Files that tooling applies by hand (Taskfiles, scripts, helmfiles, CI workflows), and what
their text names: paths, and the folders ``flux push artifact`` packs."""
from __future__ import annotations

import re
from typing import Optional

from ..classify import KUSTOMIZATION_NAMES
from ..model import DocClass, FileKind, SourceFile
from ..secrets.paths import vendored
from .tree import normalize


# --- files that tooling applies by hand -----------------------------------------------------
_TOOLING_NAME = re.compile(
    r"^(?:taskfile.*|makefile|gnumakefile|justfile|\.justfile|helmfile.*|talconfig.*|talenv.*|"
    r"docker-compose.*|compose\.ya?ml)$|\.(?:sh|bash|zsh|fish|mk|just|ps1|py|nu)$", re.IGNORECASE)
_TOOLING_DIRS = (".taskfiles/", ".github/workflows/", ".gitea/workflows/", ".forgejo/workflows/", "scripts/",
                 "hack/", ".just/")


def tooling_text(files: list[SourceFile]) -> str:
    """Text of the files that apply things by hand: Taskfiles, scripts, helmfiles, CI workflows,
    Talos and talhelper configs (documentation is not tooling)."""
    parts = []
    for source in files:
        name = source.path.rsplit("/", 1)[-1]
        if not source.text or source.kind not in (FileKind.TEXT, FileKind.TEMPLATE, FileKind.YAML):
            continue
        if vendored(source.path):  # a vendor's scripts (an Ansible collection) apply nothing of this repo
            continue
        tooling = bool(_TOOLING_NAME.search(name)) or any(
            source.path.startswith(d) or f"/{d}" in source.path for d in _TOOLING_DIRS)
        if not tooling and source.kind == FileKind.YAML:
            tooling = any(d.doc_class in (DocClass.TALOS, DocClass.TALHELPER) for d in source.documents)
        if tooling:
            parts.append(source.text)
    return "\n".join(parts)


def mentioned(path: str, text: str) -> bool:
    parts = path.split("/")
    name = parts[-1]
    stem = path if name not in ("kustomization.yaml", "kustomization.yml", "Kustomization") \
        else "/".join(parts[:-1])
    pieces = stem.split("/")
    for start in range(0, max(1, len(pieces) - 1)):
        if mentions(text, "/".join(pieces[start:])):
            return True
    return False


def mentions(text: str, word: str) -> bool:
    """``word`` occurs in ``text`` not glued to a word character, '.' or '-' on either side.

    A substring scan (C speed) with a boundary check at each hit; the tooling text of a large repo
    is megabytes and this runs for every candidate file.
    """
    if not word:
        return False
    at = text.find(word)
    while at != -1:
        end = at + len(word)
        before = text[at - 1] if at > 0 else ""
        after = text[end] if end < len(text) else ""
        if not _glued(before) and not _glued(after):
            return True
        at = text.find(word, at + 1)
    return False


class Mentions:
    """Which paths the tooling text names, answered from an index of its path-like tokens.

    ``mentions`` scans the text for every question; a large repository asks hundreds of them of
    megabytes of Taskfiles and scripts. A word made of path characters occurs unglued exactly
    when it is a run of whole ``/``-separated parts of one token, so each token's runs of two
    or more parts are indexed once. Other words fall back to the scan.
    """

    _TOKEN = re.compile(r"[\w.\-/]+")
    _MAX_PARTS = 12

    def __init__(self, text: str) -> None:
        self.text = text
        # The lines holding a '/': a word with a '/' (and no line break) can only occur there.
        self.slash_text = "\n".join(self._slash_lines(text))
        self.runs: set[str] = set()
        for token in self._slash_tokens(self.slash_text):
            parts = token.split("/")
            for i in range(len(parts)):
                for j in range(i + 2, min(len(parts), i + self._MAX_PARTS) + 1):
                    self.runs.add("/".join(parts[i:j]))

    @staticmethod
    def _slash_lines(text: str) -> list[str]:
        """The ``\\n``-separated lines of ``text`` that hold a ``/``, in order, found at memchr
        speed: the tooling text of a large repository is megabytes, of which a few hundred lines
        name paths."""
        out: list[str] = []
        find = text.find
        at = find("/")
        while at >= 0:
            start = text.rfind("\n", 0, at) + 1
            end = find("\n", at)
            if end < 0:
                end = len(text)
            out.append(text[start:end])
            at = find("/", end)
        return out

    @classmethod
    def _slash_tokens(cls, text: str) -> list[str]:
        """The tokens of ``text`` that hold a ``/``, in order (a token never spans a line)."""
        return [token for line in cls._slash_lines(text) for token in cls._TOKEN.findall(line) if "/" in token]

    def __bool__(self) -> bool:
        return bool(self.text)

    def word(self, word: str) -> bool:
        if "/" in word and word.count("/") < self._MAX_PARTS and self._TOKEN.fullmatch(word) \
                and "" not in word.split("/"):
            return word in self.runs
        other = _NON_TOKEN.search(word)
        if other is not None and other.start() > 0:
            # A necessary condition before the scan: where the word occurs, its head (up to the
            # first other character) ends a token ``p0/p1/.../pn`` whose parts p1..pn are whole
            # parts of that token, so 'p1/.../pn' is an indexed run when it has 2-12 parts.
            parts = word[:other.start()].split("/")[1:]
            if 2 <= len(parts) <= self._MAX_PARTS and "" not in parts and "/".join(parts) not in self.runs:
                return False
        return mentions(self.slash_text if "/" in word and "\n" not in word else self.text, word)

    def path(self, path: str) -> bool:
        """A file (or, for a kustomization file, its folder) is named by a suffix of at least two
        parts of its path."""
        parts = path.split("/")
        stem = path if parts[-1] not in KUSTOMIZATION_NAMES else "/".join(parts[:-1])
        pieces = stem.split("/")
        return any(self.word("/".join(pieces[start:])) for start in range(0, max(1, len(pieces) - 1)))


_NON_TOKEN = re.compile(r"[^\w.\-/]")


def _glued(char: str) -> bool:
    return bool(char) and (char.isalnum() or char in "_.-")


_ARTIFACT_COMMAND = re.compile(r"\bflux\s+(?:push|build)\s+artifact\b")
_PATH_FLAG = re.compile(r"""(?<![\w-])--path(?:=|[ \t]+)(?:"([^"\n]*)"|'([^'\n]*)'|([^\s"'\\;|&)]+))""")


def pushed_artifact_paths(text: str) -> list[str]:
    """The folders (relative to the root, ``""`` for the root) that ``flux push artifact`` or
    ``flux build artifact`` commands in the tooling text package, in order of appearance.

    A command continues over lines ending in ``\\`` and over following lines that start with a
    flag (a YAML folded block). Values made of variables or templates are not guessed.
    """
    out: list[str] = []
    for match in _ARTIFACT_COMMAND.finditer(text):
        end = text.find("\n", match.end())
        end = len(text) if end == -1 else end
        command = text[match.end():end]
        for _ in range(32):
            if end >= len(text):
                break
            following = text.find("\n", end + 1)
            following = len(text) if following == -1 else following
            line = text[end + 1:following]
            if not (command.rstrip().endswith("\\") or line.lstrip().startswith("--")):
                break
            command += "\n" + line
            end = following
        flag = _PATH_FLAG.search(command)
        if flag is None:
            continue
        value = next(group for group in flag.groups() if group is not None).strip()
        if not value or value.startswith("/") or "$" in value or "{{" in value or "%" in value:
            continue
        folder = normalize("", value)
        if folder is not None and folder not in out:
            out.append(folder)
    return out



class LazyMentions:
    """The tooling mentions of a run, indexed on first use (most repositories never ask)."""

    def __init__(self, files: list[SourceFile]) -> None:
        self.files = files
        self._text: Optional[str] = None
        self._index: Optional[Mentions] = None
        self._pushed: Optional[list[str]] = None

    @property
    def text(self) -> str:
        if self._text is None:
            self._text = tooling_text(self.files)
        return self._text

    @property
    def index(self) -> Mentions:
        if self._index is None:
            self._index = Mentions(self.text)
        return self._index

    @property
    def pushed(self) -> list[str]:
        """The folders tooling builds OCI artifacts from (``flux push artifact --path``)."""
        if self._pushed is None:
            self._pushed = pushed_artifact_paths(self.text)
        return self._pushed

    def __bool__(self) -> bool:
        return bool(self.index)

    def path(self, path: str) -> bool:
        return self.index.path(path)


