"""Stage 1: find the root and the files to lint.

Inside a git work tree: the tracked files plus the untracked ones git does not ignore. Outside
git: a walk that skips VCS folders. Symlinks are never followed out of the root, and a symlinked
folder is never walked (no loops). Exclude globs come from the policy.
"""
from __future__ import annotations

import fnmatch
import os
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Optional

from . import git
from .errors import UsageError

POLICY_NAMES = (".homeops-lint.yaml", ".homeops-lint.yml")
VCS_DIRS = {".git", ".hg", ".svn", ".jj"}
# Folders that are never part of a repo's configuration and are expensive to walk.
SKIP_DIRS = VCS_DIRS | {"node_modules", ".venv", "venv", "__pycache__", ".homeops-lint-cache", ".task"}


@dataclass(frozen=True)
class Discovery:
    root: Path
    files: list[str]  # relative POSIX paths, sorted
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)
    in_git: bool = False


def find_root(paths: Iterable[str]) -> Path:
    """The linted root for the given paths: the nearest folder with a policy file or a .git."""
    first = Path(next(iter(paths), ".")).absolute()
    if not first.exists() and not first.is_symlink():
        raise UsageError(f"{first}: no such file or directory")
    start = first if first.is_dir() else first.parent
    for folder in (start, *start.parents):
        if any((folder / name).is_file() for name in POLICY_NAMES) or (folder / ".git").exists():
            return folder
    return start


def lint_root(root: Optional[str], paths: Iterable[str]) -> Path:
    """The root of a run: ``--root`` when given, else found from the paths. A missing root or
    path is a usage error: linting nothing must never look like a clean repo."""
    paths = list(paths)
    for path in paths:
        if not os.path.lexists(path):
            raise UsageError(f"{path}: no such file or directory")
    if not root:
        return find_root(paths)
    folder = Path(root).absolute()
    if not folder.is_dir():
        raise UsageError(f"--root {root}: {'not a folder' if folder.exists() else 'no such folder'}")
    return folder


def _inside_git(root: Path) -> bool:
    """Only ask git about a folder that a git work tree can contain (spawning git costs ~5 ms)."""
    if os.environ.get("GIT_DIR") or os.environ.get("GIT_WORK_TREE"):
        return True
    return any((folder / ".git").exists() for folder in (root, *root.parents))


def _git_files(root: Path) -> Optional[list[str]]:
    if not _inside_git(root):
        return None
    try:  # the hardened invocation: read-only plumbing, no hooks, filters or fsmonitor (git.py)
        proc = git.run(root, "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--full-name", "--", ".")
        top = git.run(root, "rev-parse", "--show-toplevel", timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    if proc.returncode != 0 or top.returncode != 0:
        return None
    toplevel = Path(os.fsdecode(top.stdout.strip()))
    try:
        prefix = root.resolve().relative_to(toplevel.resolve()).as_posix()
    except ValueError:
        return None
    prefix = "" if prefix == "." else prefix + "/"
    out = []
    seen = set()
    for raw in proc.stdout.split(b"\0"):
        if not raw:
            continue
        name = os.fsdecode(raw)
        if prefix and not name.startswith(prefix):
            continue
        rel = name[len(prefix):]
        if rel not in seen:  # ls-files repeats paths with merge conflicts
            seen.add(rel)
            out.append(rel)
    return out


def _walk_files(root: Path, unreadable: list[tuple[str, str]]) -> list[str]:
    out: list[str] = []

    def failed(error: OSError) -> None:  # os.walk skips unreadable folders silently otherwise
        where = Path(error.filename or root)
        try:
            rel = where.relative_to(root).as_posix()
        except ValueError:
            rel = "."
        unreadable.append((rel, f"cannot read the folder: {error.strerror or error}; its files were not linted"))

    for dirpath, dirnames, filenames in os.walk(root, followlinks=False, onerror=failed):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
        rel_dir = Path(dirpath).relative_to(root)
        for name in filenames:
            out.append((rel_dir / name).as_posix())
    return out


_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def printable_path(rel: str) -> str:
    """``rel`` with control characters and undecodable bytes escaped, for messages and reports."""
    return _UNSAFE_NAME.sub(lambda m: f"\\x{ord(m.group()) & 0xFF:02x}" if 0xDC80 <= ord(m.group()) <= 0xDCFF
                            else f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100
                            else f"\\u{ord(m.group()):04x}", rel)


def matches_any(path: str, globs: Iterable[str]) -> bool:
    """gitignore-flavoured matching: a glob without '/' matches any path segment."""
    for pattern in globs:
        pattern = pattern.strip()
        if not pattern:
            continue
        anchored = pattern.lstrip("/")
        if fnmatch.fnmatchcase(path, anchored) or fnmatch.fnmatchcase(path, anchored.rstrip("/") + "/*"):
            return True
        if "/" not in pattern.strip("/") and any(fnmatch.fnmatchcase(part, pattern.strip("/"))
                                                 for part in path.split("/")):
            return True
        if anchored.startswith("**/") and fnmatch.fnmatchcase(path, anchored[3:]):
            return True
    return False


def discover(root: Path, exclude: Iterable[str] = ()) -> Discovery:
    root = root.absolute()
    git_listing = _git_files(root)
    in_git = git_listing is not None
    skipped: list[tuple[str, str]] = []
    candidates = git_listing if git_listing is not None else _walk_files(root, skipped)
    exclude = list(exclude)
    files: list[str] = []
    real_root = root.resolve()
    for rel in sorted(set(candidates)):
        if exclude and matches_any(rel, exclude):
            continue
        if _UNSAFE_NAME.search(rel):
            # A name that is not UTF-8 or holds control characters cannot be shown or reported
            # faithfully (and could drive a terminal); it is named, escaped, and not read.
            skipped.append((printable_path(rel), "file name is not valid UTF-8 or holds control characters; "
                                                 "it was not linted (rename it)"))
            continue
        full = root / rel
        if full.is_symlink():
            try:
                target = full.resolve(strict=True)
            except (OSError, RuntimeError):
                skipped.append((rel, "symlink that loops or points nowhere; not followed"))
                continue
            if real_root != target and real_root not in target.parents:
                skipped.append((rel, "symlink that points outside the repository; not followed"))
                continue
            if target.is_dir():
                continue  # its contents are listed under their real path
        elif not full.is_file():
            continue  # deleted in the work tree, a submodule folder, a FIFO or a device
        files.append(rel)
    return Discovery(root=root, files=files, skipped=sorted(skipped), in_git=in_git)
