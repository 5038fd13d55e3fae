"""A source line is never the way a secret leaks, whichever rule it is shown for."""
from __future__ import annotations

import json

import pytest

from homeops_lint.report import FORMATS
from homeops_lint.report.common import mask_line

from .conftest import cli, cli_batch

SECRET = "hunter2-Zq8vT41"
URL_SECRET = "pa55-Wq9x"


@pytest.mark.parametrize("line, hidden", [
    (f"  password: {SECRET}", True),
    (f"API_KEY={SECRET}", True),
    (f'  "client-secret": "{SECRET}"', True),
    (f"  DATABASE_URL: postgres://app:{URL_SECRET}@db:5432/app", True),
    ("  password: ${DB_PASSWORD}", False),
    ("  existingSecret: app-secret", False),
    ("  secretName: app-tls", False),
    ('  token: "{{ .token }}"', False),
    ("  password: ENC[AES256_GCM,data:abc,iv:x,tag:y,type:str]", False),
    ("  url: https://grafana.example.com/login", False),
])
def test_mask_line(line: str, hidden: bool) -> None:
    masked = mask_line(line, ())
    assert (SECRET not in masked and URL_SECRET not in masked) if hidden else masked == line


def test_snippets_of_other_rules_are_masked_in_every_format(tree) -> None:
    # parse-duplicate-key is shown on lines that hold secrets: with the secret rules on (their
    # masks cover the whole file) and off (--select parse-: the line masking still applies).
    root = tree({
        "secret.yaml": f"apiVersion: v1\nkind: Secret\nmetadata: {{name: s}}\nstringData:\n"
                       f"  password: {SECRET}\n  password: {SECRET}\n",
        "cm.yaml": f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: c}}\ndata:\n"
                   f"  DATABASE_URL: postgres://app:{URL_SECRET}@db/app\n  DATABASE_URL: x\n",
    })
    invocations = [["--format", fmt, "--root", str(root), str(root), *extra]
                   for fmt in FORMATS for extra in ([], ["--select", "parse-"])]
    for argv, proc in zip(invocations, cli_batch(invocations)):
        fmt, extra = argv[1], argv[5:]
        assert proc.returncode == 1, (fmt, extra, proc.stderr)
        out = proc.stdout.decode() + proc.stderr.decode()
        assert "parse-duplicate-key" in out, (fmt, extra)
        assert SECRET not in out and URL_SECRET not in out, (fmt, extra)
    report = json.loads(cli("--format", "json", "--root", str(root), str(root)).stdout)
    assert {f["rule"] for f in report["findings"]} >= {"parse-duplicate-key", "secret-inline"}


@pytest.mark.parametrize("line, hidden", [
    (f"    example.com/secretkey: '{SECRET}'", True),  # a credential key the regex alone misses
    (f"  signingKey: {SECRET}", True),
    (f"  DBPASS={SECRET}", True),
    ("  secretName: app-tls", False),
    ("  key: value", False),
])
def test_mask_line_judges_keys_like_the_secret_rules(line: str, hidden: bool) -> None:
    masked = mask_line(line, ())
    assert (SECRET not in masked) if hidden else masked == line
