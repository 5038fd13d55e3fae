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


def pytest_configure(config: pytest.Config) -> None:
    """Byte-compile the package once, in the controlling process. Many tests run the CLI in a
    subprocess; where PYTHONDONTWRITEBYTECODE is set, each of them would otherwise compile the whole
    package again (about 0.17 s a start, a fifth of the suite), which a pip install spares a user.
    Up-to-date files are skipped, so a second run costs nothing."""
    if hasattr(config, "workerinput"):  # an xdist worker: the controller did it
        return
    import compileall

    compileall.compile_dir(str(ROOT / "homeops_lint"), quiet=1)


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


# Runs several CLI invocations one after the other in ONE fresh process (each with its own
# stdout/stderr, as a process of its own would print them): a loop over the report formats then
# pays for the interpreter and the imports once instead of once per format.
_BATCH_DRIVER = """
import base64, io, json, sys
from homeops_lint.cli import main
real = sys.stdout
results = []
for argv in json.loads(sys.stdin.read()):
    out, err = io.BytesIO(), io.BytesIO()
    sys.stdout = io.TextIOWrapper(out, encoding="utf-8", write_through=True)
    sys.stderr = io.TextIOWrapper(err, encoding="utf-8", write_through=True)
    try:
        code = main(argv)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 2
    sys.stdout.flush(); sys.stderr.flush()
    results.append([code, base64.b64encode(out.getvalue()).decode(), base64.b64encode(err.getvalue()).decode()])
real.write(json.dumps(results))
"""


def cli_batch(invocations: list[list[str]], cwd: Path | None = None,
              env: dict[str, str] | None = None) -> list[subprocess.CompletedProcess]:
    """``cli(*argv)`` for each argv, run in one process; one CompletedProcess per invocation."""
    import base64
    import json

    done = subprocess.run([sys.executable, "-c", _BATCH_DRIVER], cwd=cwd, capture_output=True, env=env,
                          input=json.dumps(invocations).encode(), timeout=300)
    assert done.returncode == 0, done.stderr.decode()
    return [subprocess.CompletedProcess(["homeops-lint", *argv], code, base64.b64decode(out), base64.b64decode(err))
            for argv, (code, out, err) in zip(invocations, json.loads(done.stdout))]
