"""Shared machinery of the robustness tests and properties (no tests of its own).

- ``lint_repo``: the linter in-process, as a user runs it (every rule, the repo as its own root).
- ``check_outputs``: every format in ``homeops_lint.report.FORMATS`` renders, encodes as UTF-8 and
  is valid (JSON against schemas/report.schema.json, SARIF against the OASIS schema, JUnit as XML,
  GitHub workflow commands, GitLab code quality, JSON lines); a format added later is at least
  rendered and encoded, and text never holds a raw control character.
- ``Recorder``: an audit hook that records, while switched on, every file opened for writing, every
  file system change, process, socket and dynamic code execution the interpreter performs.
- ``snapshot``: the bytes, links and modes of a tree, to prove a run wrote nothing.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import sys
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterator, Optional
from xml.etree import ElementTree as ET

from .conftest import ROOT

DUPLICATE = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  name: b\n"
# The normal file every hostile repo carries: its finding must survive whatever sits beside it.
CONTROL_FINDING = ("parse-duplicate-key", "control/dup.yaml", 5)


def lint_repo(root: Path, select: tuple[str, ...] = ()):  # type: ignore[no-untyped-def]
    from homeops_lint.engine import Options, run

    return run(Options(paths=[str(root)], root=str(root), select=list(select)))


def write_files(root: Path, files: dict[str, Any]) -> Path:
    for rel, data in files.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return root


def hostile_repo(root: Path, files: dict[str, Any]) -> Path:
    """A repo with the hostile files plus a normal file that earns a known finding."""
    return write_files(root, {"control/dup.yaml": DUPLICATE, **files})


def found(result: Any) -> set[tuple[str, str, int]]:
    return {(f.rule, f.path, f.line) for f in result.findings}


def assert_continued(result: Any) -> None:
    """The run went on: the control file's finding is there, and every format is valid."""
    assert CONTROL_FINDING in found(result), sorted(found(result))
    check_outputs(result)


# --- output validity -----------------------------------------------------------------------------
_GITHUB_LINE = re.compile(r"^::(error|warning|notice) (?P<props>[^:]*)::(?P<message>.*)$")
_RAW_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


@lru_cache(maxsize=None)
def _validator(name: str):  # type: ignore[no-untyped-def]
    import jsonschema_rs

    path = ROOT / "schemas" / "report.schema.json" if name == "report" else ROOT / "tests" / "data" / "sarif-schema-2.1.0.json"
    return jsonschema_rs.validator_for(json.loads(path.read_text(encoding="utf-8")))


def _errors(name: str, data: Any) -> list[str]:
    return [e.message for e in _validator(name).iter_errors(data)][:3]


def check_outputs(result: Any, formats: Optional[tuple[str, ...]] = None) -> dict[str, str]:
    """Render every format; assert each is valid. Returns the outputs by format."""
    from homeops_lint import report
    from homeops_lint.report.common import ReportOptions

    embeds = getattr(report, "embeds_statistics", lambda fmt: True)
    outputs: dict[str, str] = {}
    for fmt in formats or report.FORMATS:
        # --statistics goes into the formats that embed it (a superset of the plain report); the
        # CLI prints it apart for the others
        text = report.render(fmt, result, ReportOptions(statistics=embeds(fmt)))
        assert isinstance(text, str), fmt
        text.encode("utf-8")  # strict: a lone surrogate would crash the write to stdout
        _check_format(fmt, text)
        outputs[fmt] = text
    return outputs


def render_all(result: Any) -> dict[str, str]:
    """Every format rendered (no validation): for comparing runs byte for byte."""
    from homeops_lint import report
    from homeops_lint.report.common import ReportOptions

    return {fmt: report.render(fmt, result, ReportOptions(statistics=True)) for fmt in report.FORMATS}


def _check_format(fmt: str, text: str) -> None:
    if fmt == "json":
        data = json.loads(text)
        assert not _errors("report", data), _errors("report", data)
    elif fmt == "sarif":
        data = json.loads(text)
        assert not _errors("sarif", data), _errors("sarif", data)
    elif fmt in ("json-lines", "jsonl"):
        for line in text.splitlines():
            assert isinstance(json.loads(line), dict)
    elif fmt == "gitlab":
        data = json.loads(text)
        assert isinstance(data, list)
        for issue in data:
            assert isinstance(issue["location"]["path"], str)
            assert isinstance(issue["location"]["lines"]["begin"], int)
    elif fmt == "junit":
        ET.fromstring(text.encode("utf-8"))
    elif fmt == "github":  # workflow commands; --statistics adds plain log lines after them
        for line in text.splitlines():
            assert _GITHUB_LINE.match(line) or not line.startswith("::"), line
    if fmt in ("text", "github") or fmt not in ("json", "sarif", "json-lines", "gitlab", "junit"):
        # Terminal-facing output: no raw control character from the repo (ESC, BEL, ...)
        assert not _RAW_CONTROL.search(text), repr(_RAW_CONTROL.search(text))


# --- the audit recorder --------------------------------------------------------------------------
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
_FS_CHANGES = ("os.remove", "os.rename", "os.mkdir", "os.rmdir", "os.chmod", "os.chown", "os.truncate",
               "os.symlink", "os.link", "os.utime", "os.chflags", "os.setxattr", "os.removexattr",
               "shutil.rmtree", "shutil.copyfile", "shutil.copymode", "shutil.copystat", "shutil.move",
               "shutil.make_archive", "shutil.unpack_archive", "os.truncate")
# os.fork is not here: the check pool forks this very process (pool.py); exec is what would run
# something else.
_PROCESSES = ("subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn", "pty.spawn",
              "os.startfile")
_NETWORK = ("socket.__new__", "socket.connect", "socket.getaddrinfo", "socket.gethostbyname",
            "socket.gethostbyaddr", "socket.bind", "socket.sendto", "urllib.Request", "http.client.connect",
            "ftplib.connect", "smtplib.connect", "webbrowser.open")
_CODE = ("exec", "compile", "marshal.loads", "pickle.find_class", "ctypes.dlopen", "import")


class Recorder:
    """Records interesting audit events while ``active``; one hook for the whole session."""

    def __init__(self) -> None:
        self.active = False
        self.events: list[tuple[str, tuple[Any, ...]]] = []

    def hook(self, event: str, args: tuple[Any, ...]) -> None:
        if not self.active:
            return
        if event == "open" or event in _FS_CHANGES or event in _PROCESSES or event in _NETWORK or event in _CODE:
            self.events.append((event, args))

    def writes(self) -> list[str]:
        out = []
        for event, args in self.events:
            if event == "open":
                path, mode, flags = (list(args) + [None, None, None])[:3]
                if (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
                        isinstance(flags, int) and flags & _WRITE_FLAGS):
                    out.append(f"open {path!r} {mode!r}")
            elif event in _FS_CHANGES:
                out.append(f"{event} {args!r}")
        return out

    def opened(self) -> list[str]:
        return [os.fsdecode(args[0]) for event, args in self.events
                if event == "open" and isinstance(args[0], (str, bytes, os.PathLike))]

    def processes(self) -> list[str]:
        return [f"{event} {args!r}"[:300] for event, args in self.events if event in _PROCESSES]

    def network(self) -> list[str]:
        return [f"{event} {args!r}"[:300] for event, args in self.events if event in _NETWORK]

    def code(self) -> list[str]:
        return [f"{event} {str(args)[:200]}" for event, args in self.events if event in _CODE]


RECORDER = Recorder()
sys.addaudithook(RECORDER.hook)


@contextmanager
def recording() -> Iterator[Recorder]:
    RECORDER.events = []
    RECORDER.active = True
    try:
        yield RECORDER
    finally:
        RECORDER.active = False


# --- tree snapshots ------------------------------------------------------------------------------
def snapshot(root: Path) -> dict[str, tuple[str, int]]:
    """rel path -> (content digest or link target, mode) for everything under ``root``."""
    out: dict[str, tuple[str, int]] = {}
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        for name in dirnames + filenames:
            full = os.path.join(dirpath, name)
            rel = os.path.relpath(full, root)
            st = os.lstat(full)
            if os.path.islink(full):
                out[rel] = ("link:" + os.readlink(full), st.st_mode)
            elif os.path.isfile(full):
                try:
                    with open(full, "rb") as handle:
                        out[rel] = (hashlib.sha256(handle.read()).hexdigest(), st.st_mode)
                except OSError:
                    out[rel] = ("unreadable", st.st_mode)
            else:
                out[rel] = ("dir" if os.path.isdir(full) else "special", st.st_mode)
    return out


class Clock:
    """time.monotonic() that jumps forward on demand: a slow run without waiting for one."""

    def __init__(self) -> None:
        import time

        self.real = time.monotonic
        self.offset = 0.0

    def monotonic(self) -> float:
        return self.real() + self.offset
