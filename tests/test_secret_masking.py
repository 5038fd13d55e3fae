"""Never leak: random secret values planted in random manifests and other files never appear in
any output format (stdout or stderr), while the secret rules still report them."""
from __future__ import annotations

import base64
import contextlib
import hashlib
import io
import json
import string
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from homeops_lint.cli import main
from homeops_lint.report import FORMATS

# Values quotable in YAML, JSON and shell without escaping, so the planted text is the value itself.
ALPHABET = string.ascii_letters + string.digits + "!%+/_-@^*~"
# A random-looking core (hashed, so shrinking cannot make it low-entropy) plus arbitrary characters.
secret_values = st.builds(
    lambda seed, tail: "Zq" + base64.b64encode(hashlib.sha256(seed).digest()).decode()[:16].replace("/", "_")
    + "7" + tail,
    st.binary(max_size=16),
    st.text(ALPHABET, max_size=24),
)
names = st.from_regex(r"[a-z][a-z0-9]{2,10}", fullmatch=True)


def _secret(name: str, value: str) -> dict[str, str]:
    return {f"apps/{name}/secret.yaml": f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: {name}\n"
                                        f"stringData:\n  API_TOKEN: {json.dumps(value)}\n"}


def _env(name: str, value: str) -> dict[str, str]:
    return {f"apps/{name}/deployment.yaml": (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: " + name + "\nspec:\n  template:\n"
        "    spec:\n      containers:\n        - name: app\n          image: ghcr.io/example/app:1.0.0\n"
        "          env:\n            - name: DB_PASSWORD\n              value: " + json.dumps(value) + "\n")}


def _helm(name: str, value: str) -> dict[str, str]:
    return {f"apps/{name}/helmrelease.yaml": (
        "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: " + name + "\n"
        "spec:\n  values:\n    auth:\n      adminPassword: '" + value + "'\n")}


def _configmap_json(name: str, value: str) -> dict[str, str]:
    return {f"apps/{name}/configmap.yaml": (
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: " + name + "\ndata:\n  config.json: |\n"
        "    {\n      \"user\": \"app\",\n      \"password\": \"" + value + "\"\n    }\n")}


def _job(name: str, value: str) -> dict[str, str]:
    return {f"apps/{name}/job.yaml": (
        "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: " + name + "\nspec:\n  template:\n    spec:\n"
        "      containers:\n        - name: seed\n          image: mariadb:11\n          args:\n            - |\n"
        "              mysql -u root --password='" + value + "' app\n")}


def _dotenv(name: str, value: str) -> dict[str, str]:
    return {f"{name}/.env": f"APP_URL=https://{name}.example.com\nAPI_KEY={value}\n"}


def _no_extension(name: str, value: str) -> dict[str, str]:
    return {f"scripts/{name}": f"#!/bin/sh\nexport RESTIC_PASSWORD='{value}'\n"}


def _talos(name: str, value: str) -> dict[str, str]:
    return {f"talos/{name}-secrets.yaml": f"cluster:\n  id: {name}\n  secret: {json.dumps(value)}\n"
                                          "secrets:\n  bootstraptoken: ${TOKEN}\n"}


def _sops_named(name: str, value: str) -> dict[str, str]:
    return {f"apps/{name}/secret.sops.yaml": f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: {name}\n"
                                             f"stringData:\n  password: {json.dumps(value)}\n"}


def _salt(name: str, value: str) -> dict[str, str]:
    return {f"apps/{name}/cm.yaml": f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n"
                                    f"data:\n  COOKIE_SALT: {json.dumps(value + 'a1B2c3D4')}\n"}


PLACEMENTS = [_secret, _env, _helm, _configmap_json, _job, _dotenv, _no_extension, _talos, _sops_named, _salt]


def _run(root: Path, *args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["--root", str(root), str(root), "--select", "secret-", *args])
    return code, out.getvalue(), err.getvalue()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plants=st.lists(st.tuples(st.sampled_from(PLACEMENTS), names, secret_values), min_size=1, max_size=4,
                       unique_by=lambda t: t[1]))
def test_planted_values_never_appear_in_any_format(plants) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / ".homeops-lint.yaml").write_text("version: 1\n", encoding="utf-8")
        for placement, name, value in plants:
            for rel, text in placement(name, value).items():
                target = root / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(text, encoding="utf-8")
        values = [value for _, _, value in plants]
        _, out, _ = _run(root, "--format", "json")
        reported = {f["path"] for f in json.loads(out)["findings"] if f["rule"].startswith("secret-")}
        assert len(reported) == len(plants), f"not every planted secret was reported: {sorted(reported)}"
        for fmt in FORMATS:
            for extra in ([], ["--statistics"], ["--color", "always"]) if fmt == "text" else ([],):
                _, out, err = _run(root, "--format", fmt, *extra)
                for value in values:
                    assert value not in out, f"{fmt} {extra}: a planted value leaked to stdout"
                    assert value not in err, f"{fmt} {extra}: a planted value leaked to stderr"


def test_every_planted_value_is_reported(tmp_path: Path) -> None:
    """Each placement above is a real finding, so the property test exercises the reporters."""
    for index, placement in enumerate(PLACEMENTS):
        root = tmp_path / f"case{index}"
        root.mkdir()
        (root / ".homeops-lint.yaml").write_text("version: 1\n", encoding="utf-8")
        for rel, text in placement("demo", "Zq7Lm2Vx9Rt4Kp8Wn3Hb").items():
            target = root / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        _, out, _ = _run(root, "--format", "json")
        findings = json.loads(out)["findings"]
        assert any(f["rule"].startswith("secret-") for f in findings), placement.__name__
