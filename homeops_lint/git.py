"""Running git on the linted repository, hardened: the one place the package runs a program.

Never let the linted repo's own git config run code or write. Only read-only plumbing is run
(ls-files, ls-tree, cat-file, rev-parse, merge-base), never ``diff``/``status`` on the work tree,
which refresh the index through the repo's clean filters; and on top of that: no optional locks
(no index refresh or rewrite), no hooks (post-index-change), no fsmonitor command, no pager, no
untracked cache writes and no transport (a partial clone would fetch through helpers).
"""
from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Mapping, Optional

GIT = ("git", "--no-optional-locks", "--no-pager", "-c", "core.hooksPath=/dev/null", "-c", "core.fsmonitor=false",
       "-c", "core.untrackedCache=false", "-c", "core.splitIndex=false", "-c", "protocol.allow=never")
GIT_ENV = {"GIT_OPTIONAL_LOCKS": "0", "GIT_TERMINAL_PROMPT": "0", "GIT_PAGER": "cat", "LC_ALL": "C",
           "GIT_NO_LAZY_FETCH": "1"}


def run(root: Path, *args: str, input: Optional[bytes] = None, timeout: float = 60,
        env: Optional[Mapping[str, str]] = None) -> subprocess.CompletedProcess[bytes]:
    """``git -C root ARGS`` with the hardening above; raises ``OSError``/``subprocess.SubprocessError``
    when git cannot be run. ``env`` adds variables (e.g. ``GIT_INDEX_FILE``)."""
    return subprocess.run([*GIT, "-C", str(root), *args], capture_output=True, input=input,
                          stdin=None if input is not None else subprocess.DEVNULL,
                          timeout=timeout, check=False, env={**os.environ, **GIT_ENV, **(env or {})})
