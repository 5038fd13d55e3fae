"""Issue #18: no secret value is ever printed, in any output format, --diff or the cache.

Each test plants a value and runs the CLI once per output format (and, where it matters, twice
with one cache folder, so the second run replays the cached entry).
"""
from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from homeops_lint.report import FORMATS

from .conftest import cli, cli_batch, write_tree

# A JWT with three real parts (header {"alg":"HS256","typ":"JWT"}, a payload, a signature).
JWT_HEAD = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"
JWT_BODY = "eyJzdWIiOiJob21lLWFzc2lzdGFudCIsImlhdCI6MTcwMDAwMDAwMH0"
JWT_SIG = "Qm9rZW5TaWduYXR1cmVfZG9udFByaW50TWUxMjM0NTY3"
JWT = f"{JWT_HEAD}.{JWT_BODY}.{JWT_SIG}"
PASSWORD = "Vx7-kq2Lm9pZr4Tw"


def _run_all(root: Path, *extra: str, cache: Path | None = None) -> dict[str, str]:
    """Every format's stdout + stderr; with ``cache`` each format runs twice (miss, then replay)."""
    runs = 2 if cache is not None else 1
    args = ["--cache-dir", str(cache)] if cache is not None else ["--no-cache"]
    invocations = [["--format", fmt, *args, "--root", str(root), str(root), *extra] for fmt in FORMATS for _ in range(runs)]
    outputs = {fmt: "" for fmt in FORMATS}
    for argv, proc in zip(invocations, cli_batch(invocations)):
        fmt = argv[1]
        assert proc.returncode in (0, 1), (fmt, proc.stderr.decode())
        outputs[fmt] += proc.stdout.decode() + proc.stderr.decode()
    return outputs


def _cache_text(cache: Path) -> str:
    return "".join(p.read_bytes().decode("utf-8", "replace") for p in cache.rglob("*") if p.is_file())


def _assert_hidden(outputs: dict[str, str], *secrets: str) -> None:
    for fmt, out in outputs.items():
        for secret in secrets:
            assert secret not in out, (fmt, secret)


# --- 1. a JWT is masked whole (all three parts) -----------------------------------------------
JWT_FILES = {
    "secret.yaml": f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\nstringData:\n  jwt: {JWT}\n",
    "scripts/call.sh": f'#!/bin/sh\ncurl -s https://ha.example.com/api -H "Authorization: Bearer {JWT}"\n',
    "cm.yaml": ("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n"
                f'  headers.yaml: |\n    authorization: "Bearer {JWT}"\n'),
}


def test_a_jwt_is_masked_whole_in_every_format_and_the_cache(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "repo", JWT_FILES)
    cache = tmp_path / "cache"
    outputs = _run_all(root, cache=cache)
    assert "secret-known-token" in outputs["text"]
    _assert_hidden(outputs, JWT_SIG, JWT_BODY)
    assert JWT_SIG not in _cache_text(cache) and JWT_BODY not in _cache_text(cache)


def test_the_token_span_covers_the_signature() -> None:
    from homeops_lint.secrets.textscan import Lines, TokenScanner

    text = f'curl -H "Authorization: Bearer {JWT}" x\n'
    scanner = TokenScanner()
    try:
        hits = list(scanner.hits(text, Lines(text)))
    finally:
        scanner.close()
    assert [h.secret for h in hits] == [JWT]


# --- 2. --diff context lines --------------------------------------------------------------------
DIFF_FILES = {
    "svc.yaml": ("apiVersion: v1\nkind: Service\nmetadata:\n  name: s\n  annotations:\n"
                 "    io.cilium/lb-ipam-ips: 10.0.0.5\n  labels:\n"
                 f"    adminPassword: {PASSWORD}\nspec:\n  type: LoadBalancer\n  ports: [{{port: 80}}]\n"),
}


@pytest.mark.parametrize("extra", [[], ["--select", "lb-"]])
def test_diff_context_lines_are_masked(tmp_path: Path, extra: list[str]) -> None:
    root = write_tree(tmp_path / "repo", DIFF_FILES)
    proc = cli("--diff", "--no-cache", "--root", str(root), str(root), *extra)
    out = proc.stdout.decode() + proc.stderr.decode()
    assert "lbipam.cilium.io/ips" in out, out  # the fix is offered
    assert "adminPassword" in out and PASSWORD not in out, out


# --- 3. a file that fails to parse --------------------------------------------------------------
BROKEN_FILES = {
    "deploy.yaml": ("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\nspec:\n  template:\n"
                    "    spec:\n      containers:\n        - name: app\n          env:\n"
                    f"            - name: DB_PASSWORD\n\t\t      value: {PASSWORD}\n"),
    "other.yaml": ("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n"
                   f"  API_TOKEN: {PASSWORD}x\n  key: [unclosed\n"),
}


def test_snippets_of_a_file_that_fails_to_parse_are_masked(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "repo", BROKEN_FILES)
    outputs = _run_all(root, cache=tmp_path / "cache")
    assert "parse-error" in outputs["text"]
    _assert_hidden(outputs, PASSWORD)


# --- 4. declarative messages using {value} ----------------------------------------------------
RULE = """id: home-no-plain-env
severity: warning
summary: Env values come from Secrets.
match: {kind: Deployment, applied: false}
assert:
  properties:
    spec:
      properties:
        template:
          properties:
            spec:
              properties:
                containers:
                  items:
                    properties:
                      env:
                        items:
                          properties:
                            value: {not: {type: string}}
message: "{kind} {name}: `{path}` is {value}; use valueFrom"
"""
DEPLOYMENT = ("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\nspec:\n  template:\n"
              "    spec:\n      containers:\n        - name: app\n          env:\n"
              f"            - name: DB_PASSWORD\n              value: {PASSWORD}\n")


@pytest.mark.parametrize("extra", [[], ["--select", "home-"]])
def test_declarative_messages_are_masked(tmp_path: Path, extra: list[str]) -> None:
    root = write_tree(tmp_path / "repo", {".homeops-lint.yaml": "version: 1\ncustom_rules: [rules]\n",
                                          "rules/env.yaml": RULE, "deploy.yaml": DEPLOYMENT})
    outputs = _run_all(root, *extra)
    assert "home-no-plain-env" in outputs["text"]
    _assert_hidden(outputs, PASSWORD)


# --- 5. masking does not depend on --select / --ignore -----------------------------------------
FLOW_FILES = {
    "deploy.yaml": ("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\nspec:\n  template:\n"
                    "    spec:\n"
                    f"      containers: [{{name: app, image: nginx, env: [{{name: API_TOKEN, value: {PASSWORD}}}]}}]\n"),
}


@pytest.mark.parametrize("extra", [["--ignore", "secret-"], ["--select", "practice-,parse-"], []])
def test_masks_do_not_depend_on_the_enabled_rules(tmp_path: Path, extra: list[str]) -> None:
    root = write_tree(tmp_path / "repo", FLOW_FILES)
    outputs = _run_all(root, *extra)
    assert "deploy.yaml:" in outputs["text"]
    _assert_hidden(outputs, PASSWORD)


# --- 6. a lone \r moves no finding --------------------------------------------------------------
def test_a_lone_carriage_return_keeps_text_findings_on_their_line(tmp_path: Path) -> None:
    text = (f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c # note\rmore\ndata:\n"
            f"  a: b\n  header: 'Bearer {JWT}'\n")
    root = tmp_path / "repo"
    root.mkdir()
    (root / "cm.yaml").write_bytes(text.encode())
    proc = cli("--format", "json", "--no-cache", "--select", "secret-known-token", "--root", str(root), str(root))
    found = [f for f in json.loads(proc.stdout)["findings"] if f["rule"] == "secret-known-token"]
    assert [f["line"] for f in found] == [8]  # YAML counts the lone \r as a line break


def test_one_line_model() -> None:
    from homeops_lint.model import SourceFile
    from homeops_lint.secrets.textscan import Lines

    text = "a\rb\r\nc\nd\x85e\u2028f"
    lines = Lines(text)
    source = SourceFile("x", "x", len(text), text=text)
    for offset, char in enumerate(text):
        if char.isalpha():
            line = lines.line_of(offset)
            assert char in lines.line_text(line) and source.line_text(line) == lines.line_text(line)


# --- 7. a corrupted PEM key is masked from BEGIN to END ----------------------------------------
def _pem_lines() -> list[str]:
    body = base64.b64encode(bytes(range(256)) * 2).decode()
    return [body[i:i + 64] for i in range(0, len(body), 64)]


def test_every_line_of_a_corrupted_pem_block_is_masked(tmp_path: Path) -> None:
    lines = _pem_lines()
    corrupted = list(lines)
    corrupted[3] = corrupted[3][:20] + "\udce9" + corrupted[3][21:]  # a byte that is not UTF-8
    block = "\n".join(["-----BEGIN RSA PRIVATE KEY-----", *corrupted, "-----END RSA PRIVATE K\udce9Y-----"])
    yaml_block = "\n".join("    " + ln for ln in block.splitlines())
    root = tmp_path / "repo"
    root.mkdir()
    for name, text in {
        "key.pem": block + "\nnext: line\n",
        "cm.yaml": f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  tls.key: |\n{yaml_block}\n",
        "secret.yaml": f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\nstringData:\n  tls.key: |\n{yaml_block}\n"
                       "  tls.key: again\n",
    }.items():
        (root / name).write_bytes(text.encode("utf-8", "surrogateescape"))
    outputs = _run_all(root)
    assert "parse-encoding" in outputs["text"] and "parse-duplicate-key" in outputs["text"]
    _assert_hidden(outputs, *(ln[:40] for ln in lines[1:-1]), *(ln[-40:] for ln in lines[1:-1]))


# --- 8. fingerprints do not derive from the value ---------------------------------------------
def test_messages_and_fingerprints_carry_no_value_hash(tmp_path: Path) -> None:
    import hashlib

    root = write_tree(tmp_path / "repo", {
        "secret.yaml": f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\nstringData:\n  password: {PASSWORD}\n"})
    weak = hashlib.sha256(PASSWORD.encode()).hexdigest()
    outputs = _run_all(root)
    assert "secret-inline" in outputs["text"]
    _assert_hidden(outputs, weak[:8], weak[:16])
    from .conftest import lint

    result = lint(root)
    found = [f for f in result.findings if f.rule == "secret-inline"]
    assert found and all(weak[:8] not in f.fingerprint for f in found)
    # reused secrets are not linked: the same value in two places gives two fingerprints
    root2 = write_tree(tmp_path / "repo2", {
        "a.yaml": f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: a\nstringData:\n  password: {PASSWORD}\n",
        "b.yaml": f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: b\nstringData:\n  password: {PASSWORD}\n"})
    prints = [f.fingerprint for f in lint(root2).findings if f.rule == "secret-inline"]
    assert len(prints) == 2 and prints[0] != prints[1]


def test_baselines_keep_working_with_the_new_fingerprints(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "repo", {
        "secret.yaml": f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\nstringData:\n  password: {PASSWORD}\n"})
    baseline = tmp_path / "baseline.json"
    assert cli("baseline", "write", str(baseline), str(root)).returncode == 0
    assert PASSWORD not in baseline.read_text()
    # the same secret moved down a line is still the baselined finding
    (root / "secret.yaml").write_text(f"# moved\napiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n"
                                      f"stringData:\n  password: {PASSWORD}\n")
    proc = cli("--baseline", str(baseline), "--no-cache", "--root", str(root), str(root))
    assert proc.returncode == 0, proc.stdout.decode()


# --- key names stay readable ---------------------------------------------------------------------
def test_a_value_equal_to_a_key_name_does_not_mask_the_key(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "repo", {
        "secret.yaml": "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\nstringData:\n  token: token\n",
        "app.env": "password=password\n"})
    proc = cli("--format", "json", "--no-cache", "--root", str(root), str(root))
    messages = [f["message"] for f in json.loads(proc.stdout)["findings"] if f["rule"].startswith("secret-")]
    assert len(messages) == 2 and all("********" not in m for m in messages), messages
    text = cli("--no-cache", "--root", str(root), str(root)).stdout.decode()
    assert "  token: ********" in text and "password=********" in text, text


def test_the_rule_test_runner_masks_unexpected_findings(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "case", {
        ".homeops-lint.yaml": "version: 1\ncustom_rules: [rules]\n", "rules/env.yaml": RULE,
        "deploy.yaml": DEPLOYMENT, "homeops-lint-test.yaml": "select: [home-]\nexpect: []\n"})
    proc = cli("test", str(root))
    out = proc.stdout.decode() + proc.stderr.decode()
    assert "unexpected" in out and "home-no-plain-env" in out, out
    assert PASSWORD not in out, out


@pytest.mark.parametrize("raw, rule", [
    (b"a: 1 # note\rb: 2\nc: \x07\n", "parse-error"),  # a control character (the reader's offset)
    (b"a: 1 # note\rb: 2\nc: \xff\n", "parse-encoding"),  # bytes that are not UTF-8
])
def test_offset_positions_count_a_lone_carriage_return(tmp_path: Path, raw: bytes, rule: str) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    (root / "x.yaml").write_bytes(raw)
    proc = cli("--format", "json", "--no-cache", "--select", "parse-", "--root", str(root), str(root))
    found = [f for f in json.loads(proc.stdout)["findings"] if f["rule"] == rule]
    assert [f["line"] for f in found] == [3], found


def test_a_value_equal_to_a_folder_name_does_not_mask_the_path_in_messages(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "repo", {
        "apps/unpoller/app.env": "PASSWORD=unpoller\n"})
    proc = cli("--format", "json", "--no-cache", "--root", str(root), str(root))
    found = [f for f in json.loads(proc.stdout)["findings"] if f["rule"] == "secret-literal-credential"]
    assert found and all(f["message"].startswith("apps/unpoller/app.env: ") for f in found), found
