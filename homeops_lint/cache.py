"""The content-hash cache: a run on an unchanged tree replays the previous run's output.

What a run's result depends on, and therefore what the key holds:
- the bytes of every discovered file (and the discovered list itself, skipped paths included);
- the tool: its version and a stamp of its own code and data files (rules, packs, schemas), so an
  edited checkout never reuses results of the code it replaced;
- the merged policy, the rule catalog folders (built-in and custom) and the run's options;
- for the replayed output, everything the report depends on (format, colour, paths shown, ...).

Where: ``--cache-dir DIR``, else ``$HOMEOPS_LINT_CACHE_DIR``, else
``$XDG_CACHE_HOME/homeops-lint/<hash of the root path>`` (``~/.cache`` without XDG). The default
is never inside the linted tree; a cache folder the user puts inside it is left out of discovery.

Trust: entries are JSON (never pickle: loading a cache must not be able to run code), wrapped in a
stamp line with the format version and an HMAC-SHA256 made with a per-user key kept in the user's
cache home. A corrupt, truncated, foreign (another version, another user, copied in from a
repository) or unreadable entry fails verification and is ignored and rebuilt; every cache
failure falls back silently to an uncached run. Writes go to a temporary file and are renamed into
place, so a reader never sees half an entry.

What is *not* cached, on measurement (bench/RESULTS.md): parsed documents. The loader runs close to
libyaml's own compose speed, and restoring a document tree from any serialised form (pickle,
marshal plus rebuild) costs as much as parsing it again, so a per-file document cache would make a
one-file-changed run slower, not faster. File digests are cached per path with their stat
signature, so an unchanged tree is recognised without reading every file.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import os
import sys
import time
from pathlib import Path
from typing import Any, Iterable, Optional

from . import __version__

FORMAT = 1
MAGIC = b"homeops-lint-cache"
_PACKAGE = Path(__file__).resolve().parent
_KEEP = 8  # replayed outputs kept per cache folder (one per format/path combination in use)
_RACY_SECONDS = 2.0  # a file modified this close to the previous run is re-hashed, not trusted by stat


def default_dir(root: Path) -> Path:
    """The cache folder for ``root`` when the user named none: outside the tree, per root."""
    env = os.environ.get("HOMEOPS_LINT_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    return cache_home() / _digest(os.fsencode(str(root.resolve())))[:16]


def cache_home() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "homeops-lint"


def _digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=20).hexdigest()


def code_stamp() -> str:
    """The tool's identity: version, Python, and (path, size, mtime) of its code and data files."""
    parts = [__version__, sys.version, str(FORMAT)]
    folders = [_PACKAGE]
    for name in ("rules", "schemas"):
        for candidate in (_PACKAGE / "_data" / name, _PACKAGE.parent / name):
            if candidate.is_dir():
                folders.append(candidate)
                break
    for folder in folders:
        for dirpath, dirnames, filenames in os.walk(folder):
            dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
            for name in sorted(filenames):
                if name.endswith((".pyc", ".pyo")):
                    continue
                full = os.path.join(dirpath, name)
                try:
                    st = os.stat(full)
                except OSError:
                    continue
                parts.append(f"{full}\0{st.st_size}\0{st.st_mtime_ns}")
    return _digest("\n".join(parts).encode("utf-8", "surrogateescape"))


def folder_stamp(paths: Iterable[Path]) -> str:
    """Content digest of rule folders/files outside the tool (custom rules)."""
    parts = []
    for path in paths:
        files = sorted(path.rglob("*")) if path.is_dir() else [path]
        for file in files:
            try:
                if file.is_file():
                    parts.append(f"{file}\0{_digest(file.read_bytes())}")
            except OSError:
                parts.append(f"{file}\0unreadable")
    return _digest("\n".join(parts).encode("utf-8", "surrogateescape"))


def stable_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=repr, ensure_ascii=False, separators=(",", ":"))


def key_of(*parts: Any) -> str:
    return _digest(stable_json(list(parts)).encode("utf-8", "surrogateescape"))


class Cache:
    """One cache folder. ``get``/``put`` never raise: a cache problem only costs speed."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self._secret: Optional[bytes] = None
        self.replayed_code = 0  # set by the CLI when it replays an entry

    # --- integrity ----------------------------------------------------------------------
    def secret(self) -> bytes:
        """The per-user HMAC key (created on first use, readable only by the user)."""
        if self._secret is None:
            path = cache_home() / "key"
            try:
                self._secret = path.read_bytes()
            except OSError:
                self._secret = b""
            if len(self._secret) != 32:
                self._secret = os.urandom(32)
                try:
                    path.parent.mkdir(parents=True, exist_ok=True)
                    _atomic_bytes(path, self._secret, mode=0o600)
                except OSError:
                    pass  # unwritable home: entries of this run verify only within this run
        return self._secret

    def _seal(self, name: str, payload: bytes) -> bytes:
        mac = hmac.new(self.secret(), name.encode() + b"\0" + payload, hashlib.sha256).hexdigest()
        return MAGIC + b" " + str(FORMAT).encode() + b" " + mac.encode() + b"\n" + payload

    def _open(self, name: str, blob: bytes) -> Optional[bytes]:
        head, sep, payload = blob.partition(b"\n")
        fields = head.split(b" ")
        if not sep or len(fields) != 3 or fields[0] != MAGIC or fields[1] != str(FORMAT).encode():
            return None
        mac = hmac.new(self.secret(), name.encode() + b"\0" + payload, hashlib.sha256).hexdigest()
        return payload if hmac.compare_digest(mac.encode(), fields[2]) else None

    # --- entries ------------------------------------------------------------------------
    def _path(self, kind: str, key: str) -> Path:
        return self.folder / f"{kind}-{key}.json"

    def get(self, kind: str, key: str) -> Any:
        path = self._path(kind, key)
        try:
            blob = path.read_bytes()
        except OSError:
            return None
        payload = self._open(path.name, blob)
        if payload is None:
            self._discard(path)
            return None
        try:
            return json.loads(payload.decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            self._discard(path)
            return None

    def put(self, kind: str, key: str, value: Any) -> bool:
        path = self._path(kind, key)
        try:
            payload = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8", "surrogatepass")
            self.folder.mkdir(parents=True, exist_ok=True)
            _atomic_bytes(path, self._seal(path.name, payload), mode=0o600)  # private, like the key
            self._prune(kind, keep=path)
            return True
        except (OSError, ValueError, TypeError, UnicodeError):
            return False

    def _prune(self, kind: str, keep: Path) -> None:
        try:
            entries = sorted((p for p in self.folder.glob(f"{kind}-*.json") if p != keep),
                             key=lambda p: p.stat().st_mtime, reverse=True)
        except OSError:
            return
        for stale in entries[_KEEP - 1:]:
            self._discard(stale)

    @staticmethod
    def _discard(path: Path) -> None:
        try:
            path.unlink()
        except OSError:
            pass

    # --- file digests -------------------------------------------------------------------
    def digests(self, root: Path, rels: list[str]) -> dict[str, str]:
        """Content digest per file. A file whose stat signature matches the previous run's (and
        that was not modified within ``_RACY_SECONDS`` of it) keeps its recorded digest; every
        other file is read and hashed. Unreadable files get a digest of their error."""
        previous = self.get("stat", "index") or {}
        known = previous.get("files", {}) if isinstance(previous, dict) else {}
        written = previous.get("written", 0) if isinstance(previous, dict) else 0
        racy_from = int((written - _RACY_SECONDS) * 1e9) if isinstance(written, (int, float)) else 0
        out: dict[str, str] = {}
        fresh: dict[str, list[Any]] = {}
        for rel in rels:
            full = os.path.join(root, rel)
            try:
                st = os.stat(full)
                sig = [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]
            except OSError as exc:
                out[rel] = "error:" + type(exc).__name__
                continue
            entry = known.get(rel)
            if (isinstance(entry, list) and len(entry) == 5 and entry[:4] == sig
                    and sig[1] < racy_from and sig[2] < racy_from and isinstance(entry[4], str)):
                digest = entry[4]
            else:
                try:
                    with open(full, "rb") as handle:
                        digest = _digest(handle.read())
                except OSError as exc:
                    out[rel] = "error:" + type(exc).__name__
                    continue
            out[rel] = digest
            fresh[rel] = sig + [digest]
        if fresh != known:
            self.put("stat", "index", {"written": time.time(), "files": fresh})
        return out


def _atomic_bytes(path: Path, data: bytes, mode: Optional[int] = None) -> None:
    from .fsutil import atomic_write_bytes

    atomic_write_bytes(path, data, mode)


def tree_key(options: Any, cache: Cache) -> str:
    """The key of everything an engine run over ``options`` depends on (see the module doc).

    Does what the engine does before parsing (root, policy, discovery) and hashes the files; it
    raises what the engine would raise (a broken policy), so the caller reports it the same way.
    """
    from .discover import discover, lint_root
    from .policy import load_policy

    root = lint_root(options.root, options.paths)
    policy = load_policy(root, options.config)
    extra_dirs = [root / d for d in policy.data.get("custom_rules", []) if isinstance(d, str)]
    extra_dirs += [Path(d) for d in options.rule_dirs]
    found = discover(root, [*policy.exclude, *options.extra_exclude])
    options.prelude = (root, policy, found)  # a cache miss runs the engine on exactly these
    digests = cache.digests(root, found.files)
    policy_part = [policy.origin, policy.path, policy.data, [(layer.label, str(layer.file)) for layer in policy.layers]]
    return key_of(code_stamp(), str(root), policy_part, folder_stamp(extra_dirs), sorted(options.select),
                  sorted(options.ignore), options.extra_exclude, options.rule_dirs, found.skipped, found.in_git,
                  [[rel, digests.get(rel, "")] for rel in found.files])


def file_digest(path: Optional[str]) -> str:
    if not path:
        return ""
    try:
        return _digest(Path(path).read_bytes())
    except OSError as exc:
        return "error:" + type(exc).__name__


def content_digest(data: bytes) -> str:
    """The digest ``Cache.digests`` records for a file holding ``data``."""
    return _digest(data)
