"""The two versions ``homeops-lint diff`` compares, and the engine run on each.

A version is a commit or the work tree. A commit is read from git objects: its tree is listed
(``ls-tree``) and its blobs are read (``cat-file --batch``) through the same hardened git runner
as ``--staged`` (``gitchanges``), so nothing is checked out, the work tree and the index are never
touched, and no hook, filter or fsmonitor command runs. Only the policy file and the policy's
``custom_rules`` folders are written, to a private temporary folder, because the policy loader
reads them from disk; every other file goes from git to the parser in memory.

Both runs share one ``source.ParseMemo``: a file whose blob is the same in both versions is
parsed once (the documents are never changed after parsing, so two indexes can share them), and
a commit's file that the other run already parsed is not even read from git.
"""
from __future__ import annotations

import os
import posixpath
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Optional

from ..discover import POLICY_NAMES, Discovery, UsageError, matches_any, printable_path
from ..gitchanges import cat_file_batch, run_git, tree_entries
from ..source import ParseMemo

_REGULAR = ("100644", "100755")
_SYMLINK = "120000"
_MAX_LINKS = 40  # symlink hops before a chain counts as a loop (as the kernel's ELOOP)


@dataclass(frozen=True)
class Version:
    """A commit (``rev`` is its id) or the work tree (``rev`` is None)."""

    rev: Optional[str]
    label: str  # how reports name it: "HEAD~1 (1a2b3c4)", "work tree"


def _commit(root: Path, ref: str) -> Optional[str]:
    if ref.startswith("-"):  # never an option to git
        return None
    proc = run_git(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    return proc.stdout.decode().strip() if proc.returncode == 0 and proc.stdout.strip() else None


def _version(root: Path, ref: str, what: str) -> Version:
    rev = _commit(root, ref)
    if rev is None:
        raise UsageError(f"{what} '{ref}' is not a commit in this repository "
                         "(in CI, fetch it first, e.g. actions/checkout with fetch-depth: 0)")
    return Version(rev, ref if ref == rev else f"{ref} ({rev[:7]})")


def default_base(root: Path) -> Version:
    """The merge base of HEAD with the default branch, or HEAD~1 when HEAD is on it (or none is known)."""
    head = _commit(root, "HEAD")
    if head is None:
        raise UsageError("the repository has no commit yet: there is nothing to compare with")
    branches: list[str] = []
    proc = run_git(root, "symbolic-ref", "--quiet", "refs/remotes/origin/HEAD")
    if proc.returncode == 0 and proc.stdout.strip():
        branches.append(proc.stdout.decode().strip())
    branches += ["refs/remotes/origin/main", "refs/remotes/origin/master", "refs/heads/main", "refs/heads/master"]
    for branch in branches:
        if _commit(root, branch) is None:
            continue
        proc = run_git(root, "merge-base", branch, "HEAD")
        base = proc.stdout.decode().strip() if proc.returncode == 0 else ""
        if base and base != head:
            name = branch.rsplit("/", 1)[-1] if branch.startswith("refs/heads/") else branch[len("refs/remotes/"):]
            return Version(base, f"merge base with {name} ({base[:7]})")
    parent = _commit(root, "HEAD~1")
    if parent is None:
        raise UsageError("HEAD has no parent and no default branch to compare with; name a BASE commit")
    return Version(parent, f"HEAD~1 ({parent[:7]})")


def versions(root: Path, base: Optional[str], head: Optional[str]) -> tuple[Version, Version]:
    """(base, head) for the command's arguments; HEAD None is the work tree."""
    if run_git(root, "rev-parse", "--is-inside-work-tree").returncode != 0:
        raise UsageError(f"{root} is not inside a git work tree")
    old = _version(root, base, "BASE") if base else default_base(root)
    new = _version(root, head, "HEAD") if head else Version(None, "work tree")
    return old, new


def object_format(root: Path) -> str:
    proc = run_git(root, "rev-parse", "--show-object-format")
    name = proc.stdout.decode().strip() if proc.returncode == 0 else ""
    return name or "sha1"


def read_blobs(root: Path, oids: Iterable[str]) -> dict[str, bytes]:
    """The content of each blob id, read in one ``cat-file --batch`` (no filters run)."""
    return cat_file_batch(root, oids, "a revision")


def _follow(rel: str, entries: dict[str, tuple[str, Optional[str]]], targets: dict[str, bytes],
            folders: set[str]) -> tuple[Optional[str], str]:
    """A symlink's final regular file inside the tree: (path, "") or (None, why it is skipped)."""
    seen = 0
    current = rel
    while True:
        mode, oid = entries[current]
        if mode != _SYMLINK:
            return current, ""
        seen += 1
        target = os.fsdecode(targets.get(oid or "", b""))
        if seen > _MAX_LINKS or not target:
            return None, "symlink that loops or points nowhere; not followed"
        joined = posixpath.normpath(posixpath.join(posixpath.dirname(current), target))
        if target.startswith("/") or joined == ".." or joined.startswith("../"):
            return None, "symlink that points outside the repository; not followed"
        if joined in folders:
            return None, ""  # a linked folder: its files are listed under their real path
        if joined not in entries:
            return None, "symlink that loops or points nowhere; not followed"
        current = joined


def commit_files(root: Path, rev: str) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """(path -> blob id, skipped (path, reason)) of a commit under the root, as discovery lists a
    work tree: regular files, symlinks followed inside the tree, submodules left out."""
    entries = tree_entries(root, rev)
    links = {oid for mode, oid in entries.values() if mode == _SYMLINK and oid}
    targets = read_blobs(root, links) if links else {}
    folders: set[str] = set()
    for rel in entries if links else ():  # only a symlink's target can be a folder
        folder = posixpath.dirname(rel)
        while folder and folder not in folders:
            folders.add(folder)
            folder = posixpath.dirname(folder)
    files: dict[str, str] = {}
    skipped: list[tuple[str, str]] = []
    for rel, (mode, oid) in entries.items():
        if mode in _REGULAR and oid:
            files[rel] = oid
        elif mode == _SYMLINK:
            real, why = _follow(rel, entries, targets, folders)
            if real is not None and entries[real][1]:
                files[rel] = entries[real][1]  # type: ignore[assignment]
            elif why:
                skipped.append((rel, why))
    return files, skipped


@dataclass
class Prepared:
    """A version ready for an engine run: its options (root, policy and file list already known)
    and what the parse memo needs to serve it (blob ids, and how to read a blob it lacks)."""

    version: Version
    options: Any  # engine.Options
    known: dict[str, str]
    load: Optional[Callable[[str], bytes]]


class Runner:
    """Runs the engine on versions of one repository with shared parses. A context manager: the
    temporary folder that holds commits' policy files lives until it exits."""

    def __init__(self, root: Path, config: Optional[str] = None, select: Iterable[str] = (),
                 ignore: Iterable[str] = (), timings: Any = None) -> None:
        self.root, self.config, self.timings = root, config, timings
        self.select, self.ignore = list(select), list(ignore)
        self.memo = ParseMemo(algorithm=object_format(root))
        self._tmp: Optional[tempfile.TemporaryDirectory[str]] = None

    def __enter__(self) -> "Runner":
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def prepare(self, version: Version) -> Prepared:
        from ..discover import discover
        from ..engine import Options
        from ..policy import load_policy

        options = Options(paths=[str(self.root)], root=str(self.root), config=self.config,
                          select=list(self.select), ignore=list(self.ignore), timings=self.timings,
                          parses=self.memo)
        if version.rev is None:
            policy = load_policy(self.root, self.config)
            options.prelude = (self.root, policy, discover(self.root, policy.exclude))
            return Prepared(version, options, {}, None)
        if self._tmp is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="homeops-lint-diff-")
        # Named like the root: a repository without clusters/<name>/ names its cluster after it.
        snapshot = Path(self._tmp.name) / version.rev / (self.root.name or "repo")
        snapshot.mkdir(parents=True)
        options.paths, options.root = [str(snapshot)], str(snapshot)
        options.config = self._config_in(snapshot)
        options.prelude, known, load = self._prelude(version, snapshot)
        return Prepared(version, options, known, load)

    def parse(self, prepared: Prepared) -> int:
        """Parse a prepared version's files into the memo ahead of its run (so that another process
        forked now shares them); the number of YAML documents."""
        from ..engine import read_limits
        from ..source import read_all

        root, policy, found = prepared.options.prelude
        self._serve(prepared)
        files, _ = read_all(root, found.files, read_limits(policy), None, self.memo)
        prepared.known = dict(self.memo.known)  # a work tree's files now have blob ids: not read again
        return sum(len(f.documents) for f in files)

    def run(self, prepared: Prepared) -> Any:
        from ..engine import run

        self._serve(prepared)
        return run(prepared.options)

    def _serve(self, prepared: Prepared) -> None:
        self.memo.known, self.memo.load = prepared.known, prepared.load

    def _config_in(self, snapshot: Path) -> Optional[str]:
        if not self.config:
            return None
        full = Path(self.config).absolute()
        try:
            return str(snapshot / full.relative_to(self.root.absolute()))
        except ValueError:
            return self.config  # outside the repository: the same file judges both versions

    def _prelude(self, version: Version, snapshot: Path) -> tuple[tuple[Path, Any, Discovery], dict[str, str],
                                                                  Callable[[str], bytes]]:
        from ..policy import load_policy

        assert version.rev is not None
        files, skipped = commit_files(self.root, version.rev)
        policy_files = [rel for rel in files if rel in POLICY_NAMES]
        if self.config:
            try:
                policy_files.append(Path(self.config).absolute().relative_to(self.root.absolute()).as_posix())
            except ValueError:
                pass
        self._write(snapshot, files, policy_files)
        policy = load_policy(snapshot, self._config_in(snapshot))
        rule_dirs = [d.strip("/") for d in policy.data.get("custom_rules", []) if isinstance(d, str)]
        if rule_dirs:
            self._write(snapshot, files, [rel for rel in files
                                          if any(rel == d or rel.startswith(d + "/") for d in rule_dirs)])
        exclude = list(policy.exclude)
        chosen = sorted(rel for rel in files if not (exclude and matches_any(rel, exclude)))
        unsafe = {rel for rel in chosen if printable_path(rel) != rel}
        for rel in sorted(unsafe):  # as discovery does: a name that cannot be shown faithfully is not read
            skipped.append((printable_path(rel), "file name is not valid UTF-8 or holds control characters; "
                                                 "it was not linted (rename it)"))
        chosen = [rel for rel in chosen if rel not in unsafe]
        known = {rel: files[rel] for rel in chosen}
        fetched: dict[str, bytes] = {}

        def load(oid: str) -> bytes:
            if oid not in fetched:  # the first miss reads every blob the memo lacks, in one batch
                parsed = {(key[0], key[1]) for key in self.memo.entries}
                fetched.update(read_blobs(self.root, {oid, *(o for rel, o in known.items() if (rel, o) not in parsed)}))
            return fetched.get(oid, b"")

        discovery = Discovery(root=snapshot, files=chosen, skipped=sorted(skipped), in_git=True)
        return (snapshot, policy, discovery), known, load

    def _write(self, snapshot: Path, files: dict[str, str], rels: Iterable[str]) -> None:
        wanted = {rel: files[rel] for rel in rels if rel in files}
        blobs = read_blobs(self.root, wanted.values())
        for rel, oid in wanted.items():
            target = snapshot / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(blobs.get(oid, b""))
