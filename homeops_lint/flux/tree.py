"""The repository as kustomize sees it: folders and files (only what discovery saw, never the
disk), kustomization files and their entries, paths joined inside the root."""
from __future__ import annotations

import posixpath
import re
from typing import Any, Iterable, Iterator, Optional

from ..classify import KUSTOMIZATION_NAMES
from ..model import Document, Pos, SourceFile

REMOTE_RE = re.compile(r"^(?:[a-z][a-z0-9+.-]*://|git@|github\.com/|gitlab\.com/|bitbucket\.org/)", re.I)


def kustomization_files(files: Iterable[SourceFile]) -> Iterator[tuple[SourceFile, dict[str, Any]]]:
    """Each kustomization file (``kustomization.yaml`` and its other names) whose first document
    is a mapping, with that mapping."""
    for source in files:
        if source.path.rsplit("/", 1)[-1] in KUSTOMIZATION_NAMES and source.documents \
                and isinstance(source.documents[0].data, dict):
            yield source, source.documents[0].data


def kustomization_entries(kdoc: Document) -> Iterator[tuple[str, int, str, Pos]]:
    """(section, index, entry, position) of each ``resources``/``components``/``bases`` entry of a
    kustomization file, stripped, in file order; entries that are not strings are left out."""
    data = kdoc.data
    for section in ("resources", "components", "bases"):
        entries = data.get(section) if isinstance(data, dict) else None
        if not isinstance(entries, list):
            continue
        for index, entry in enumerate(entries):
            if isinstance(entry, str) and entry.strip():
                pos = entries.item_pos(index) if hasattr(entries, "item_pos") else kdoc.pos(section)
                yield section, index, entry.strip(), pos


def is_remote(entry: str) -> bool:
    return bool(REMOTE_RE.match(entry)) or entry.startswith("//")


def normalize(base: str, entry: str) -> Optional[str]:
    """Join ``entry`` to folder ``base`` (both relative to the root); None when it leaves the root."""
    if entry.startswith("/"):
        return None
    joined = posixpath.normpath(posixpath.join(base, entry)) if base else posixpath.normpath(entry)
    if joined == ".":
        return ""
    if joined == ".." or joined.startswith("../"):
        return None
    return joined


class Tree:
    """Folder/file lookup over the discovered files (never the disk: only what discovery saw)."""

    def __init__(self, files: Iterable[SourceFile]) -> None:
        self.files: dict[str, SourceFile] = {f.path: f for f in files}
        # Each folder ("" for the root) -> its children, sorted. From each file, walk up only until
        # a folder already known: that folder's own ancestors were registered when it was.
        children: dict[str, set[str]] = {}
        for child in self.files:
            while True:
                parent = child.rsplit("/", 1)[0] if "/" in child else ""
                known = parent in children
                children.setdefault(parent, set()).add(child)
                if known or not parent:
                    break
                child = parent
        self.dirs: dict[str, list[str]] = {folder: sorted(names) for folder, names in children.items()}

    def is_dir(self, path: str) -> bool:
        return path in self.dirs and path not in self.files

    def kustomization_file(self, folder: str) -> Optional[SourceFile]:
        for name in KUSTOMIZATION_NAMES:
            candidate = f"{folder}/{name}" if folder else name
            if candidate in self.files:
                return self.files[candidate]
        return None


def file_refs(section: Any) -> list[str]:
    refs: list[str] = []
    if isinstance(section, list):
        for item in section:
            if isinstance(item, str):
                refs.append(item)
            elif isinstance(item, dict):
                if isinstance(item.get("path"), str):
                    refs.append(item["path"])
                for key in ("files", "envs"):
                    values = item.get(key)
                    for f in values if isinstance(values, list) else []:
                        if isinstance(f, str):
                            refs.append(f.split("=", 1)[-1])
                if isinstance(item.get("env"), str):
                    refs.append(item["env"])
    return refs


