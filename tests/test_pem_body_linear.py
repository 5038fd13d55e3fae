"""A PEM body line that is not base64 (a stray character after a long run) is rejected at once.

The line check used to be ``(?:[A-Za-z0-9+/=]+\\s?)+``, which backtracks exponentially on such a
line: one mutated key in a repository stalled the secret scan (and the pre-commit hook) forever.
"""
from __future__ import annotations

import subprocess
import sys

KEY = ("-----BEGIN RSA PRIVATE KEY-----\n"
       + "MIIEpAIBAAKCAQEA3Tz2mr7SZiAMfQyuvBjM9Oi+Lz4bmLCQ3Dd5JpVcbXfk0Eq1\n" * 3
       + "MIIEpAIBAAKCAQEA3Tz2mr7SZiAMfQyuvBjM9Oi+Lz4bmLCQ3Dd5JpVcbXfk0Eq1-\n"
       + "-----END RSA PRIVATE KEY-----\n")


def test_a_stray_character_in_a_long_body_line_is_rejected_without_backtracking() -> None:
    code = ("import sys; from homeops_lint.secrets.textscan import key_hits; "
            "print(len(list(key_hits(sys.stdin.read()))))")
    # Exponential backtracking would take years on this 65-character line: the timeout fails it.
    done = subprocess.run([sys.executable, "-c", code], input=KEY.encode(), capture_output=True, timeout=60)
    assert done.returncode == 0, done.stderr.decode()
    assert done.stdout.strip() == b"0"  # not a real body: code between the markers, no key


def test_a_real_body_is_still_a_key() -> None:
    from homeops_lint.secrets.textscan import key_hits

    assert [hit.detector for hit in key_hits(KEY.replace("Eq1-\n", "Eq1\n"))] == ["secret-private-key"]
