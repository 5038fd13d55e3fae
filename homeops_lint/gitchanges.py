"""Changed-files mode (``--staged``, ``--changed [REF]``) and the git hook entry (``homeops-lint hook``).

The whole repository is always evaluated: cross-resource rules need it. What changes is which
findings are *shown*. A finding is shown when

1. it is in a changed file, or
2. it is in an unchanged file but is **new** compared with the state before the change.

(2) is how a staged pool change that breaks a Service in an unstaged file gets reported. "The state
before the change" is the same work tree with every changed path put back to its content at the
base revision (HEAD for ``--staged`` and the hook; the merge base with REF for ``--changed REF``),
and removed again when it did not exist there. The engine runs a second time on that snapshot, but
only when there is something to attribute (a finding in an unchanged file), so a clean run costs
one evaluation. Findings are compared by their baseline key (rule, path, resource, key path, value
fingerprint; see ``baseline.py``), so a finding that only moved lines is not new.

During a pre-commit or lefthook run, both tools hide unstaged changes, so the work tree holds the
staged content; run by hand, ``--staged`` judges the work tree's version of the staged files.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Iterable, Optional, Sequence

from .discover import UsageError


@dataclass(frozen=True)
class Change:
    """A set of changed paths (relative to the linted root) and where their old content lives."""

    paths: frozenset[str]
    base: Optional[str]  # a git revision, or None when there is none (first commit, no git)
    description: str = ""
    git_prefix: str = ""  # the root's path inside the git work tree, "" or "sub/dir/"
    notes: tuple[str, ...] = field(default=())


def _git(root: Path, *args: str, input: Optional[bytes] = None) -> subprocess.CompletedProcess[bytes]:
    # The same hardened invocation as discovery (see discover._GIT): read-only plumbing only. No
    # ``git diff``/``git status`` on the work tree: they refresh the index and run clean filters.
    from .discover import _GIT, _GIT_ENV

    try:
        return subprocess.run([*_GIT, "-C", str(root), *args], capture_output=True, input=input,
                              stdin=None if input is not None else subprocess.DEVNULL,
                              timeout=60, check=False, env={**os.environ, **_GIT_ENV})
    except (OSError, subprocess.SubprocessError) as exc:
        raise UsageError(f"cannot run git: {exc}") from None


def _git_ok(root: Path, *args: str) -> bytes:
    proc = _git(root, *args)
    if proc.returncode != 0:
        message = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise UsageError(f"git {' '.join(args[:2])} failed: {message[-1] if message else proc.returncode}")
    return proc.stdout


def _names(raw: bytes) -> set[str]:
    return {os.fsdecode(part) for part in raw.split(b"\0") if part}


Entries = dict[str, tuple[str, Optional[str]]]  # root-relative path -> (mode, object id or None)
_GITLINK = "160000"  # a submodule: its content is not part of this repo's files


def _tree_entries(root: Path, rev: str) -> Entries:
    """The blobs of ``rev`` under the root (``ls-tree`` names them relative to it)."""
    out: Entries = {}
    for record in _git_ok(root, "ls-tree", "-r", "-z", rev, "--", ".").split(b"\0"):
        if record:
            meta, _, name = record.partition(b"\t")
            mode, _kind, oid = meta.decode().split(" ")
            out[os.fsdecode(name)] = (mode, oid)
    return out


def _index_entries(root: Path) -> Entries:
    return _index_listing(root)[0]


def _index_listing(root: Path) -> tuple[Entries, set[str]]:
    """The index under the root, read without refreshing it (a conflicted path has no object id),
    and the paths marked skip-worktree (sparse checkout: absent on disk, yet unchanged)."""
    out: Entries = {}
    sparse: set[str] = set()
    for record in _git_ok(root, "ls-files", "--stage", "-t", "-z", "--", ".").split(b"\0"):
        if record:
            meta, _, name = record.partition(b"\t")
            tag, mode, oid, stage = meta.decode().split(" ")
            rel = os.fsdecode(name)
            out[rel] = (mode, None) if stage != "0" or rel in out else (mode, oid)
            if tag == "S":
                sparse.add(rel)
    return out, sparse


def _worktree_oid(path: Path, algorithm: str) -> Optional[str]:
    """The blob id git would give the work-tree file *without* clean filters; None when absent.

    Hashing here instead of asking git is what keeps the repo's filters from running. A file
    under a clean filter (git-lfs, git-crypt) therefore counts as changed: shown, never hidden.
    """
    import hashlib

    try:
        data = os.fsencode(os.readlink(path)) if path.is_symlink() else path.read_bytes()
    except OSError:  # missing, a folder, unreadable
        return None
    digest = hashlib.new(algorithm)
    digest.update(b"blob %d\0" % len(data))
    digest.update(data)
    return digest.hexdigest()


def _differing(old: Entries, new: Entries) -> set[str]:
    return {rel for rel in old.keys() | new.keys()
            if old.get(rel) != new.get(rel) and _GITLINK not in (old.get(rel, ("",))[0], new.get(rel, ("",))[0])}


def _worktree_changes(root: Path, base: Entries) -> set[str]:
    """Tracked or base paths whose work-tree content differs from ``base``."""
    proc = _git(root, "rev-parse", "--show-object-format")
    algorithm = os.fsdecode(proc.stdout.strip()) if proc.returncode == 0 and proc.stdout.strip() else "sha1"
    index, sparse = _index_listing(root)
    out = set()
    for rel in base.keys() | index.keys():
        if _GITLINK in (base.get(rel, ("",))[0], index.get(rel, ("",))[0]):
            continue
        then = base[rel][1] if rel in base else None
        now = index[rel][1] if rel in sparse else _worktree_oid(root / rel, algorithm)
        if now != then:
            out.add(rel)
    return out


def _prefix(root: Path) -> str:
    proc = _git(root, "rev-parse", "--show-prefix")
    if proc.returncode != 0:
        raise UsageError(f"{root} is not inside a git work tree")
    return os.fsdecode(proc.stdout.strip())


def _has_head(root: Path) -> bool:
    return _git(root, "rev-parse", "--verify", "--quiet", "HEAD^{commit}").returncode == 0


def staged(root: Path) -> Change:
    """The paths staged for the next commit (added, modified, renamed, deleted), relative to root."""
    prefix = _prefix(root)
    base = "HEAD" if _has_head(root) else None
    if base is None:  # first commit: everything in the index is new
        names = set(_index_entries(root))
    else:
        names = _differing(_tree_entries(root, base), _index_entries(root))
    return Change(frozenset(names), base, "staged", prefix)


def changed(root: Path, ref: str) -> Change:
    """Paths that differ between ``ref`` (its merge base with HEAD) and the work tree, plus untracked ones."""
    prefix = _prefix(root)
    if ref.startswith("-") or _git(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}").returncode != 0:
        raise UsageError(f"--changed: '{ref}' is not a commit in this repository "
                         "(in CI, fetch it first, e.g. actions/checkout with fetch-depth: 0)")
    base = ref
    notes: list[str] = []
    if _has_head(root):
        proc = _git(root, "merge-base", ref, "HEAD")
        if proc.returncode == 0 and proc.stdout.strip():
            base = proc.stdout.decode().strip()
    names = _worktree_changes(root, _tree_entries(root, base))
    names |= _names(_git_ok(root, "ls-files", "-z", "--others", "--exclude-standard"))
    return Change(frozenset(names), base, f"changed against {ref}", prefix, tuple(notes))


def from_files(root: Path, files: Iterable[str], with_staged_removals: bool = True) -> Change:
    """The change a git hook describes by file names (pre-commit/lefthook pass the staged files).

    Hook runners leave removed files out of the list, yet removing a pool can break a Service
    elsewhere, so the staged removals are added from git when the root is inside a work tree.
    In pre-commit's pre-push stage (``PRE_COMMIT_FROM_REF``/``PRE_COMMIT_TO_REF`` set) the files
    are the ones pushed: the base is the remote's old commit and removals come from that range.
    """
    paths: set[str] = set()
    real_root = root.resolve()
    for name in files:
        full = Path(name).absolute()
        for base_dir, candidate in ((root.absolute(), full), (real_root, full.resolve())):
            try:
                paths.add(candidate.relative_to(base_dir).as_posix())
                break
            except ValueError:
                continue
    prefix, base = "", None
    if _git(root, "rev-parse", "--is-inside-work-tree").returncode == 0:
        prefix = _prefix(root)
        base = "HEAD" if _has_head(root) else None
        pushed = os.environ.get("PRE_COMMIT_FROM_REF"), os.environ.get("PRE_COMMIT_TO_REF")
        if all(pushed) and all(_git(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}").returncode == 0
                               for ref in pushed):
            base = pushed[0]
            if with_staged_removals:
                paths |= _tree_entries(root, str(pushed[0])).keys() - _tree_entries(root, str(pushed[1])).keys()
        elif with_staged_removals and base is not None:
            paths |= _tree_entries(root, base).keys() - _index_entries(root).keys()
    return Change(frozenset(paths), base, "hook", prefix)


def base_contents(root: Path, change: Change) -> dict[str, Optional[bytes]]:
    """Each changed path's content at the base revision; None when it did not exist there."""
    out: dict[str, Optional[bytes]] = {p: None for p in change.paths}
    if change.base is None or not change.paths:
        return out
    ordered = sorted(change.paths)
    request = "".join(f"{change.base}:{change.git_prefix}{p}\n" for p in ordered).encode()
    proc = _git(root, "cat-file", "--batch", input=request)
    if proc.returncode != 0:
        raise UsageError("git cat-file failed while reading the base revision")
    data = proc.stdout
    offset = 0
    for rel in ordered:
        end = data.index(b"\n", offset)
        header = data[offset:end].split()
        offset = end + 1
        if len(header) >= 2 and header[-1] == b"missing":
            continue
        size = int(header[2])
        if header[1] == b"blob":
            out[rel] = data[offset:offset + size]
        offset += size + 1  # the content is followed by a newline
    return out


def _git_dir(root: Path) -> Optional[Path]:
    proc = _git(root, "rev-parse", "--absolute-git-dir")
    return Path(os.fsdecode(proc.stdout.strip())) if proc.returncode == 0 else None


def _place(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, target)  # nothing ever writes through it: overlays unlink first
    except OSError:
        shutil.copyfile(source, target)


def build_snapshot(root: Path, present: Iterable[str], old: dict[str, Optional[bytes]], into: Path) -> None:
    """Recreate the repo as it was before the change in ``into``: present files, changed ones reverted."""
    for rel in sorted(set(present)):
        if rel in old:
            continue
        source = root / rel
        if source.is_file():
            _place(source, into / rel)
    for rel, content in old.items():
        target = into / rel
        if content is None:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists() or target.is_symlink():
            target.unlink()
        target.write_bytes(content)


def _config_in(snapshot: Path, root: Path, config: Optional[str]) -> Optional[str]:
    if not config:
        return None
    full = Path(config).absolute()
    try:
        return str(snapshot / full.relative_to(root.absolute()))
    except ValueError:
        return config  # outside the repo: the same file judges both states


def attribute(result: Any, options: Any, change: Change) -> Any:
    """A copy of ``result`` showing only the findings that concern ``change`` (see the module doc)."""
    from . import baseline
    from .engine import _shown

    root = Path(result.root)
    selected = options.show_only if options.show_only is not None else _path_selection(root, options.paths)
    candidates = [f for f in result.all_findings if _shown(f, selected)]
    in_changed = [f for f in candidates if f.path in change.paths]
    elsewhere = [f for f in candidates if f.path not in change.paths]
    shown = list(in_changed)
    notes = list(result.notes) + list(change.notes)
    if elsewhere:
        before = _run_before(result, options, change, {f.rule for f in elsewhere})
        counts: dict[tuple[str, ...], int] = {}
        for finding in before.all_findings:
            key = baseline.finding_key(finding, before)
            counts[key] = counts.get(key, 0) + 1
        for finding in elsewhere:
            key = baseline.finding_key(finding, result)
            if counts.get(key, 0) > 0:
                counts[key] -= 1
            else:
                shown.append(finding)
    shown.sort(key=lambda f: f.sort_key())
    return replace(result, findings=shown, notes=notes)


def _path_selection(root: Path, paths: Sequence[str]) -> Optional[set[str]]:
    from .engine import _selected_paths

    return _selected_paths(root, paths)


def _run_before(result: Any, options: Any, change: Change, rules: set[str]) -> Any:
    """Evaluate the before-state, running only ``rules`` (those with findings to attribute).

    Unused-suppression findings depend on every other rule's findings, so when one of them is to
    be attributed the before-state runs the same rules as the current run.
    """
    from .engine import Options, run

    select, ignore = sorted(rules), []
    if any(rule.startswith("suppression-") for rule in rules):
        select, ignore = list(options.select), list(options.ignore)

    root = Path(result.root)
    old = base_contents(root, change)
    present = [f.path for f in result.index.files]
    policy_names = [n for n in (".homeops-lint.yaml", ".homeops-lint.yml") if (root / n).is_file()]
    git_dir = _git_dir(root)
    parent = git_dir if git_dir is not None and os.access(git_dir, os.W_OK) else None
    with tempfile.TemporaryDirectory(prefix="homeops-lint-before-", dir=parent) as tmp:
        snapshot = Path(tmp)
        build_snapshot(root, [*present, *policy_names], old, snapshot)
        return run(Options(paths=[str(snapshot)], root=str(snapshot),
                           config=_config_in(snapshot, root, options.config),
                           select=select, ignore=ignore,
                           extra_exclude=list(options.extra_exclude)))


def cmd_hook(argv: Sequence[str]) -> int:
    """``homeops-lint hook [OPTIONS] [FILE ...]``: the git hook entry for pre-commit and lefthook.

    FILEs are the staged files the hook runner passes; without any, the staged set comes from git.
    Each FILE is grouped under its own root (nearest .homeops-lint.yaml or .git), so a monorepo
    with several clusters gets each judged by its own policy.
    """
    from . import cli

    parser = cli.lint_parser()
    parser.prog = "homeops-lint hook"
    parser.description = ("Git hook entry: judge the whole repo, show the findings that concern the "
                          "given (staged) files, including new findings they cause elsewhere.")
    args = parser.parse_args(list(argv))
    files = [p for p in args.paths if p != "."] if args.paths != ["."] else []
    groups: dict[Path, list[str]] = {}
    if files:
        from .discover import find_root

        for name in files:
            if not os.path.lexists(name):
                continue
            root = Path(args.root).absolute() if args.root else find_root([name])
            groups.setdefault(root, []).append(name)
        if not groups:
            return cli.EXIT_CLEAN
    else:
        from .discover import find_root

        root = Path(args.root).absolute() if args.root else find_root(["."])
        groups[root] = []
    worst = cli.EXIT_CLEAN
    for root, names in sorted(groups.items()):
        change = from_files(root, names) if names else staged(root)
        code = cli.lint_with(args, change=change, root=str(root), paths=[str(root)])
        worst = max(worst, code)
    return worst


# Public names for library modules that read other revisions (review/, ``homeops-lint diff``).
git = _git
tree_entries = _tree_entries
