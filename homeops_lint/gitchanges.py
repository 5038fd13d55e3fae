"""Changed-files mode (``--staged``, ``--changed [REF]``) and the git hook entry (``homeops-lint hook``).

The whole repository is always evaluated: cross-resource rules need it. What changes is which
findings are *shown*. A finding is shown when

1. it is in a changed file, or
2. it is in an unchanged file but is **new** compared with the state before the change.

(2) is how a staged pool change that breaks a Service in an unstaged file gets reported. "The state
before the change" is the same work tree with every changed path put back to its content at the
base revision (HEAD for ``--staged`` and the hook; the merge base with REF for ``--changed REF``),
and removed again when it did not exist there. Its findings are needed only when there is something
to attribute (a finding in an unchanged file). They come from the cache when an earlier run judged
that very state (``record_state``: usually the previous commit's hook), else the engine runs a
second time on a snapshot of it. Findings are compared by their baseline key (rule, path, resource,
key path, value fingerprint; see ``baseline.py``), so a finding that only moved lines is not new.

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
from typing import TYPE_CHECKING, Iterable, Optional

from . import git
from .baseline import FIELDS, Key
from .discover import POLICY_NAMES
from .errors import UsageError
from .options import Options
from .timing import or_off

if TYPE_CHECKING:
    from .cache import Cache
    from .engine import Result


@dataclass(frozen=True)
class Change:
    """A set of changed paths (relative to the linted root) and where their old content lives."""

    paths: frozenset[str]
    base: Optional[str]  # a git revision, or None when there is none (first commit, no git)
    description: str = ""
    git_prefix: str = ""  # the root's path inside the git work tree, "" or "sub/dir/"
    notes: tuple[str, ...] = field(default=())


def run_git(root: Path, *args: str, input: Optional[bytes] = None) -> subprocess.CompletedProcess[bytes]:
    # The hardened invocation of git.py: read-only plumbing only. No ``git diff``/``git status``
    # on the work tree: they refresh the index and run clean filters.
    try:
        return git.run(root, *args, input=input)
    except (OSError, subprocess.SubprocessError) as exc:
        raise UsageError(f"cannot run git: {exc}") from None


def _git_ok(root: Path, *args: str) -> bytes:
    proc = run_git(root, *args)
    if proc.returncode != 0:
        message = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise UsageError(f"git {' '.join(args[:2])} failed: {message[-1] if message else proc.returncode}")
    return proc.stdout


def _names(raw: bytes) -> set[str]:
    return {os.fsdecode(part) for part in raw.split(b"\0") if part}


Entries = dict[str, tuple[str, Optional[str]]]  # root-relative path -> (mode, object id or None)
_GITLINK = "160000"  # a submodule: its content is not part of this repo's files


def tree_entries(root: Path, rev: str) -> Entries:
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
    proc = run_git(root, "rev-parse", "--show-object-format")
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
    proc = run_git(root, "rev-parse", "--show-prefix")
    if proc.returncode != 0:
        raise UsageError(f"{root} is not inside a git work tree")
    return os.fsdecode(proc.stdout.strip())


def _has_head(root: Path) -> bool:
    return run_git(root, "rev-parse", "--verify", "--quiet", "HEAD^{commit}").returncode == 0


def staged(root: Path) -> Change:
    """The paths staged for the next commit (added, modified, renamed, deleted), relative to root."""
    prefix = _prefix(root)
    base = "HEAD" if _has_head(root) else None
    if base is None:  # first commit: everything in the index is new
        names = set(_index_entries(root))
    else:
        names = _differing(tree_entries(root, base), _index_entries(root))
    return Change(frozenset(names), base, "staged", prefix)


def changed(root: Path, ref: str) -> Change:
    """Paths that differ between ``ref`` (its merge base with HEAD) and the work tree, plus untracked ones."""
    prefix = _prefix(root)
    if ref.startswith("-") or run_git(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}").returncode != 0:
        raise UsageError(f"--changed: '{ref}' is not a commit in this repository "
                         "(in CI, fetch it first, e.g. actions/checkout with fetch-depth: 0)")
    base = ref
    notes: list[str] = []
    if _has_head(root):
        proc = run_git(root, "merge-base", ref, "HEAD")
        if proc.returncode == 0 and proc.stdout.strip():
            base = proc.stdout.decode().strip()
    names = _worktree_changes(root, tree_entries(root, base))
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
    if run_git(root, "rev-parse", "--is-inside-work-tree").returncode == 0:
        prefix = _prefix(root)
        base = "HEAD" if _has_head(root) else None
        pushed = os.environ.get("PRE_COMMIT_FROM_REF"), os.environ.get("PRE_COMMIT_TO_REF")
        if all(pushed) and all(run_git(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}").returncode == 0
                               for ref in pushed):
            base = pushed[0]
            if with_staged_removals:
                paths |= tree_entries(root, str(pushed[0])).keys() - tree_entries(root, str(pushed[1])).keys()
        elif with_staged_removals and base is not None:
            paths |= tree_entries(root, base).keys() - _index_entries(root).keys()
    return Change(frozenset(paths), base, "hook", prefix)


def cat_file_batch(root: Path, names: Iterable[str], what: str) -> dict[str, bytes]:
    """The content of each blob that ``git cat-file --batch`` finds for a name (``REV:path`` or a
    blob id), read in one call (no filters run); a missing name or a non-blob is left out."""
    wanted = sorted(set(names))
    if not wanted:
        return {}
    proc = run_git(root, "cat-file", "--batch", input="".join(f"{name}\n" for name in wanted).encode())
    if proc.returncode != 0:
        raise UsageError(f"git cat-file failed while reading {what}")
    data, offset, out = proc.stdout, 0, {}
    for name in wanted:
        end = data.index(b"\n", offset)
        header = data[offset:end].split()
        offset = end + 1
        if len(header) < 3 or header[-1] == b"missing":
            continue
        size = int(header[2])
        if header[1] == b"blob":
            out[name] = data[offset:offset + size]
        offset += size + 1  # the content is followed by a newline
    return out


def base_contents(root: Path, change: Change) -> dict[str, Optional[bytes]]:
    """Each changed path's content at the base revision; None when it did not exist there."""
    if change.base is None or not change.paths:
        return {p: None for p in change.paths}
    names = {f"{change.base}:{change.git_prefix}{p}": p for p in change.paths}
    found = cat_file_batch(root, names, "the base revision")
    return {p: found.get(name) for name, p in names.items()}


def _git_dir(root: Path) -> Optional[Path]:
    proc = run_git(root, "rev-parse", "--absolute-git-dir")
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


def attribute(result: Result, options: Options, change: Change, cache: Optional[Cache] = None) -> Result:
    """A copy of ``result`` showing only the findings that concern ``change`` (see the module doc).

    With a ``cache``, the before-state's findings are read from it when an earlier run judged
    exactly that state (see ``record_state``), and recorded there when they had to be computed.
    """
    from .engine import is_shown, selected_paths

    root = Path(result.root)
    selected = options.show_only if options.show_only is not None else selected_paths(root, options.paths)
    candidates = [f for f in result.all_findings if is_shown(f, selected)]
    in_changed = [f for f in candidates if f.path in change.paths]
    elsewhere = [f for f in candidates if f.path not in change.paths]
    shown = list(in_changed)
    notes = list(result.notes) + list(change.notes)
    if elsewhere:
        from .baseline import finding_key

        counts = _before_counts(result, options, change, cache)
        for finding in elsewhere:
            key = finding_key(finding, result)
            if counts.get(key, 0) > 0:
                counts[key] -= 1
            else:
                shown.append(finding)
    shown.sort(key=lambda f: f.sort_key())
    return replace(result, findings=shown, notes=notes)


def _before_counts(result: Result, options: Options, change: Change, cache: Optional[Cache]) -> Counts:
    """The findings of the before-state, counted by baseline key: from the cache when an earlier
    run judged that very state, else by linting a snapshot of it (and recording the answer)."""
    root = Path(result.root)
    old = base_contents(root, change)
    key = None
    if cache is not None:
        from .cache import content_digest

        try:
            digests = cache.digests(root, [rel for rel in judged_files(result, options) if rel not in old])
            digests.update((rel, content_digest(content)) for rel, content in old.items() if content is not None)
            key = state_key(result, options, digests)
        except OSError:  # the cache only ever saves time: an unreadable rule folder means a miss
            key = None
        counts = recorded_state(cache, key) if key is not None else None
        if counts is not None:
            or_off(options.timings).note("cache: the before-state's findings were recorded by an earlier run")
            return counts
    with or_off(options.timings).stage("before-state"):
        before = _run_before(result, options, change, old)
    counts = finding_counts(before)
    if cache is not None and key is not None and before.complete:
        _store_state(cache, key, counts)
    return counts


def _run_before(result: Result, options: Options, change: Change, old: dict[str, Optional[bytes]]) -> Result:
    """Evaluate the before-state: a snapshot of the work tree with the changed paths put back to
    ``old``, linted with the same rules as the current run. (All of them, not only those with
    findings to attribute: a rule's findings depend on which other rules ran -- unused
    suppressions, and schema- findings yield to a domain rule on the same line -- and the answer
    is recorded for reuse.)"""
    from .engine import run

    root = Path(result.root)
    git_dir = _git_dir(root)
    parent = git_dir if git_dir is not None and os.access(git_dir, os.W_OK) else None
    with tempfile.TemporaryDirectory(prefix="homeops-lint-before-", dir=parent) as tmp:
        snapshot = Path(tmp)
        build_snapshot(root, judged_files(result, options), old, snapshot)
        return run(Options(paths=[str(snapshot)], root=str(snapshot),
                           config=_config_in(snapshot, root, options.config),
                           select=list(options.select), ignore=list(options.ignore),
                           extra_exclude=list(options.extra_exclude), rule_dirs=list(options.rule_dirs)))


def _policy_names(root: Path) -> list[str]:
    return [name for name in POLICY_NAMES if (root / name).is_file()]


# --- judged states, recorded --------------------------------------------------------------------
# A run records the findings of the tree state it judged, as baseline keys (never a value), under
# a key made of that state's file contents, the rules asked for and the tool itself. The
# before-state of a later run is such a state too, so when an earlier run judged exactly it (the
# usual case: the previous commit's hook, or a lint, judged what is now HEAD plus the unchanged
# work tree) its findings are read back instead of linting a snapshot again.
Counts = dict[Key, int]


def judged_files(result: Result, options: Options) -> list[str]:
    """The files inside the root that make up the state ``result`` judged: every file it read, the
    policy, and the rule files it loaded (custom rule folders, ``--config``), read or not."""
    root = Path(result.root)
    names = {f.path for f in result.index.files} | set(_policy_names(root))
    inside, _outside = _rule_inputs(root, result, options)
    return sorted(names | inside)


def _rule_inputs(root: Path, result: Result, options: Options) -> tuple[set[str], list[Path]]:
    """The inputs besides the linted files: the files of the custom rule folders and of
    ``--config`` inside the root (relative paths), and those outside it."""
    inside: set[str] = set()
    outside: list[Path] = []
    named = [root / d for d in result.policy.data.get("custom_rules", []) if isinstance(d, str)]
    named += [Path(d) for d in options.rule_dirs] + ([Path(options.config)] if options.config else [])
    for folder in (Path(os.path.normpath(path.absolute())) for path in named):  # "../rules" is outside
        try:
            base = folder.relative_to(root.absolute())
        except ValueError:
            outside.append(folder)
            continue
        if folder.is_file():
            inside.add(base.as_posix())
        elif folder.is_dir():  # the rule files the catalog reads from it
            inside.update((base / path.name).as_posix() for path in folder.glob("*.y*ml") if path.is_file())
    return inside, outside


def state_key(result: Result, options: Options, digests: dict[str, str]) -> str:
    """The key of a judged state: its files' contents (``digests``, inside the root), the rule
    files outside the root, the rules asked for and the tool."""
    from .cache import code_stamp, folder_stamp, key_of

    _inside, outside = _rule_inputs(Path(result.root), result, options)
    return key_of("state", code_stamp(), sorted(options.select), sorted(options.ignore),
                  [str(path) for path in outside], folder_stamp(outside), sorted(digests.items()))


def finding_counts(result: Result) -> Counts:
    """Every finding of ``result`` (after suppression, whatever the shown paths), by baseline key."""
    from .baseline import finding_key

    counts: Counts = {}
    for finding in result.all_findings:
        key = finding_key(finding, result)
        counts[key] = counts.get(key, 0) + 1
    return counts


def record_state(cache: Cache, result: Result, options: Options) -> None:
    """Record the findings of the state ``result`` judged (a complete run with ``options``)."""
    if not result.complete:
        return
    try:
        digests = cache.digests(Path(result.root), judged_files(result, options))
        key = state_key(result, options, digests)
    except OSError:  # the cache only ever saves time
        return
    _store_state(cache, key, finding_counts(result))


def recorded_state(cache: Cache, key: str) -> Optional[Counts]:
    """The findings recorded under ``key``, or None when there are none (or the entry is damaged)."""
    entry = cache.get("state", key)
    records = entry.get("findings") if isinstance(entry, dict) else None
    if not isinstance(records, list):
        return None
    counts: Counts = {}
    for record in records:
        if not (isinstance(record, list) and len(record) == len(FIELDS) + 1
                and all(isinstance(part, str) for part in record[:-1]) and isinstance(record[-1], int)):
            return None
        counts[tuple(record[:-1])] = record[-1]
    return counts


def _store_state(cache: Cache, key: str, counts: Counts) -> None:
    cache.put("state", key, {"findings": [[*k, n] for k, n in sorted(counts.items())]})
