"""Issue #18, the done-when property: credentials planted at random in a copy of the demo repo
never appear in any output format, snippet, message, ``--diff`` output or cache entry, whichever
rules ``--select``/``--ignore`` enable.

About 20 examples locally; 200 when ``CI`` is set (``HOMEOPS_LINT_TRUST_EXAMPLES`` overrides both).
Each example lints once in-process and renders every format from that result, then runs the CLI
twice with one cache folder (a miss that writes the entry, a hit that replays it).
"""
from __future__ import annotations

import base64
import contextlib
import hashlib
import io
import os
import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from homeops_lint.cli import main
from homeops_lint.engine import Options, run
from homeops_lint.fix import active_fixers, fix_repo
from homeops_lint.report import FORMATS, render
from homeops_lint.report.common import ReportOptions

from .conftest import FIXTURES
from .test_secret_masking import secret_values

DEMO = FIXTURES / "home-ops"
EXAMPLES = int(os.environ.get("HOMEOPS_LINT_TRUST_EXAMPLES", "200" if os.environ.get("CI") else "20"))
# Folders of the demo repo a planted file may land in (applied by Flux or not).
FOLDERS = ["apps/home-automation/home-assistant/app", "apps/home-automation/mosquitto/app",
           "apps/home-automation/postgres/app", "apps/home-automation/redis/app", "infrastructure", "talos",
           "docs", "bootstrap", "."]
CREDENTIAL_KEYS = ["password", "API_TOKEN", "adminPassword", "client_secret", "DB_PASS", "apiKey",
                   "REDIS_PASSWORD", "secretKey"]
RULE_SETS = [[], ["secret-"], ["lb-"], ["practice-"], ["parse-"], ["schema-"], ["flux-"], ["secret-inline"],
             ["lb-,practice-"]]


def _plain(value: str) -> str:
    """The value as a URL userinfo or shell word can hold it without escaping."""
    return "".join(c for c in value if c not in "@/%:") or "Zq7Lm2Vx9Rt4"


def _secret(key: str, value: str) -> str:
    return f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: planted\nstringData:\n  {key}: '{value}'\n"


def _helm(key: str, value: str) -> str:
    return ("apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: planted\n"
            f"spec:\n  values:\n    auth:\n      {key}: \"{value}\"\n")


def _flow_env(key: str, value: str) -> str:
    return ("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: planted\nspec:\n  template:\n"
            f"    spec:\n      containers: [{{name: app, image: nginx, env: [{{name: {key.upper()}, "
            f"value: '{value}'}}]}}]\n")


def _script(key: str, value: str) -> str:
    return ("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: planted\ndata:\n  run.sh: |\n    #!/bin/sh\n"
            f"    export {key.upper()}='{value}'\n    exec app\n")


def _jwt_signature(value: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(value.encode()).digest()).decode().rstrip("=")


def _bearer(key: str, value: str) -> str:
    # A JWT whose signature is derived from the value: the signature is what must not leak.
    jwt = f"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJwbGFudGVkIn0.{_jwt_signature(value)}"
    return ("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: planted\ndata:\n  call.sh: |\n"
            f"    curl -s https://ha.example.com/api -H \"Authorization: Bearer {jwt}\"\n")


def _url(key: str, value: str) -> str:
    return ("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: planted\ndata:\n"
            f"  DATABASE_URL: postgres://app:{_plain(value)}@db.default.svc:5432/app\n")


def _broken(key: str, value: str) -> str:
    return ("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: planted\nspec:\n  template:\n"
            "    spec:\n      containers:\n        - name: app\n          env:\n"
            f"            - name: {key.upper()}\n\t\t      value: '{value}'\n")


def _broken_mapping(key: str, value: str) -> str:
    return (f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: planted\ndata:\n  {key}: '{value}'\n"
            "  other: [unclosed\n")


def _duplicate(key: str, value: str) -> str:
    return (f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: planted\nstringData:\n  {key}: '{value}'\n"
            f"  {key}: '{value}'\n")


def _fixable(key: str, value: str) -> str:
    # An annotation --diff rewrites, with the credential in its context lines.
    return ("apiVersion: v1\nkind: Service\nmetadata:\n  name: planted\n  annotations:\n"
            "    io.cilium/lb-ipam-ips: 10.0.0.5\n"
            f"    example.com/{key.lower()}: '{value}'\nspec:\n  type: LoadBalancer\n  ports: [{{port: 80}}]\n")


PLACEMENTS = {"secret": _secret, "helm": _helm, "flow": _flow_env, "script": _script, "url": _url, "bearer": _bearer,
              "broken": _broken, "broken-mapping": _broken_mapping, "duplicate": _duplicate, "fixable": _fixable}
plants = st.lists(st.tuples(st.sampled_from(sorted(PLACEMENTS)), st.sampled_from(FOLDERS),
                            st.sampled_from(CREDENTIAL_KEYS), secret_values, st.booleans()),
                  min_size=1, max_size=4)


def _planted_value(kind: str, value: str) -> str:
    return {"url": _plain, "bearer": _jwt_signature}.get(kind, lambda v: v)(value)


def _plant(root: Path, index: int, kind: str, folder: str, key: str, value: str, append: bool) -> None:
    text = PLACEMENTS[kind](key, value)
    target_dir = root / folder
    existing = sorted(p for p in target_dir.glob("*.yaml") if p.name != "kustomization.yaml"
                      and not p.name.startswith("."))
    if append and existing and not kind.startswith("broken"):
        target = existing[index % len(existing)]  # a new document in an existing file
        target.write_text(target.read_text(encoding="utf-8").rstrip("\n") + "\n---\n" + text, encoding="utf-8")
    else:
        target_dir.mkdir(parents=True, exist_ok=True)
        (target_dir / f"planted-{index}-{kind}.yaml").write_text(text, encoding="utf-8")


def _cli(*args: str) -> str:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        main(list(args))
    return out.getvalue() + err.getvalue()


@settings(max_examples=EXAMPLES, deadline=None, database=None, print_blob=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(planted=plants, select=st.sampled_from(RULE_SETS), ignore=st.sampled_from(RULE_SETS))
def test_planted_credentials_never_leak(planted, select, ignore) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "repo"
        shutil.copytree(DEMO, root)
        (root / "homeops-lint-test.yaml").unlink()
        for index, (kind, folder, key, value, append) in enumerate(planted):
            _plant(root, index, kind, folder, key, value, append)
        values = {_planted_value(kind, value) for kind, _folder, _key, value, _append in planted}
        select = [s for part in select for s in part.split(",")]
        ignore = [s for part in ignore for s in part.split(",")]
        options = Options(paths=[str(root)], root=str(root), select=select, ignore=ignore)
        result = run(options)
        outputs = {fmt: render(fmt, result, ReportOptions(statistics=True)) for fmt in FORMATS}
        outputs["diff"] = "".join(fix_repo(result, active_fixers(result, options), None, True).diffs)
        cache = Path(tmp) / "cache"
        flags = [f"--select={','.join(select)}"] if select else []
        flags += [f"--ignore={','.join(ignore)}"] if ignore else []
        for attempt in ("miss", "replay"):
            outputs[f"cli-{attempt}"] = _cli("--cache-dir", str(cache), "--format", "sarif", "--root", str(root),
                                              str(root), *flags)
        outputs["cache"] = "".join(p.read_bytes().decode("utf-8", "replace") for p in cache.rglob("*")
                                   if p.is_file())
        assert outputs["cache"], "the cache was not written"
        for where, text in outputs.items():
            for value in values:
                assert value not in text, f"a planted value leaked into {where}"
