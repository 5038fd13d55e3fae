from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"

# No network, ever: the whole suite runs with socket creation and name resolution refused. An audit
# hook sees every socket the interpreter creates, however it is imported; it cannot be removed, so
# the autouse fixture below switches it on for each test. (Subprocesses are not covered: the tests
# that run the CLI rely on the in-process tests for this property.)
_NETWORK_EVENTS = frozenset({"socket.__new__", "socket.connect", "socket.getaddrinfo",
                             "socket.gethostbyname", "socket.gethostbyaddr", "urllib.Request"})
_network_blocked = [False]


def _refuse_network(event: str, args: tuple) -> None:
    if _network_blocked[0] and event in _NETWORK_EVENTS:
        raise PermissionError(f"homeops-lint tests never touch the network ({event})")


sys.addaudithook(_refuse_network)


@pytest.fixture(autouse=True)
def _no_network():
    _network_blocked[0] = True
    yield
    _network_blocked[0] = False


def write_tree(base: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        target = base / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return base


@pytest.fixture
def tree(tmp_path: Path):
    """Write a small repo: tree({"a.yaml": "..."}) -> its root."""

    def make(files: dict[str, str]) -> Path:
        return write_tree(tmp_path / "repo", files)

    return make


def lint(root: Path, *args: str):
    """Run the linter in-process on ``root`` (as its own root) and return the engine Result."""
    from homeops_lint.engine import Options, run

    select = [a.split("=", 1)[1] for a in args if a.startswith("--select=")]
    return run(Options(paths=[str(root)], root=str(root), select=select))


def cli(*args: str, cwd: Path | None = None, input: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "homeops_lint", *args], cwd=cwd, capture_output=True,
                          input=input, timeout=120)
