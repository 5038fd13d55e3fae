"""Unit tests of the secret detectors: keys, values, embedded config, SOPS selectors, text scans."""
from __future__ import annotations

import base64
import re

import pytest

from homeops_lint.report.common import MASK, mask_text
from homeops_lint.secrets import embedded, sops, textscan
from homeops_lint.secrets.values import KeyClass, classify_key, fingerprint, high_entropy, literal_credential

from .conftest import lint


@pytest.mark.parametrize("key", ["password", "adminPassword", "DB_PASSWORD", "client_secret", "apiKey",
                                 "API_KEY", "secretKey", "requirepass", "token", "GITHUB_TOKEN", "privateKey",
                                 "admin_password", "passwordValue", "1password-credentials.json", "authKey",
                                 "PAPERLESS_DBPASS"])
def test_strong_keys(key: str) -> None:
    assert classify_key(key) is KeyClass.STRONG


@pytest.mark.parametrize("key", ["existingSecret", "secretName", "passwordFile", "POSTGRES_PASSWORD_FILE",
                                 "secretKeyRef", "tokenSecretRef", "checksum/secret", "passwordPolicy",
                                 "tokenUrl", "existingSecretPasswordKey", "bypass", "clientId", "name",
                                 "tokenTTL", "PASSWORD_ENV"])
def test_reference_and_metadata_keys(key: str) -> None:
    assert classify_key(key) is KeyClass.NONE


@pytest.mark.parametrize("key", ["key", "COOKIE_SALT", "JWT_PUBLIC_KEY", "passwordHash"])
def test_weak_keys(key: str) -> None:
    assert classify_key(key) is KeyClass.WEAK


@pytest.mark.parametrize("value", ["a-very-long-jwt-secret-that-i-will-rotate-later", "hunter2", "change-me", "S3cr3t!", "postgres://app:pw123@db/app", "admin"])
def test_literal_credentials(value: str) -> None:
    assert literal_credential(value)


@pytest.mark.parametrize("value", ["", "${DB_PASSWORD}", "{{ .password }}", "op://vault/item/field",
                                   "$(RAILS_SECRET)", "ENC[AES256_GCM,data:x,iv:y,tag:z,type:str]",
                                   "/run/secrets/db", "https://auth.example.com/token", "db.example.com",
                                   "admin-password", "app-db-credentials", "DB_PASSWORD", "default/app-auth",
                                   "$__file{/etc/secrets/x}", "%(SESSION_SECRET)s", "true", "postgres://db/app",
                                   "postgres://app:${PASS}@db/app", 42, None])
def test_not_literal_credentials(value: object) -> None:
    assert not literal_credential(value)


def test_high_entropy() -> None:
    assert high_entropy("9fQ2xLr7Vb3Nm8Kp1Zt6Wc4Hy0Ja5Ds")
    assert high_entropy("4f1c9a0e8b7d6c5f4e3d2c1b0a9f")
    for value in ("6ff42ae2-765d-4adf-8112-31c55c1551ef", "aaaaaaaaaaaaaaaaaaaa", "short1A", "${X}",
                  "https://example.com/a1b2c3d4e5f6g7h8", "app.example.com"):
        assert not high_entropy(value), value


def test_fingerprint_names_the_place_not_the_value() -> None:
    import hashlib

    handle = fingerprint("secret-inline", "apps/a/secret.yaml", "stringData.token")
    assert handle == fingerprint("secret-inline", "apps/a/secret.yaml", "stringData.token")  # stable
    assert handle != fingerprint("secret-inline", "apps/b/secret.yaml", "stringData.token")
    assert handle.startswith("s:") and hashlib.sha256(b"hunter2").hexdigest()[:8] not in handle


@pytest.mark.parametrize("line,key,value", [
    ('  "password": "s3cretValue1"', "password", "s3cretValue1"),
    ("admin_password = s3cretValue2", "admin_password", "s3cretValue2"),
    ("export API_TOKEN='s3cretValue3'", "API_TOKEN", "s3cretValue3"),
    ("mysql -u root --password=s3cretValue4 db", "password", "s3cretValue4"),
    ("requirepass s3cretValue5", "requirepass", "s3cretValue5"),
    ("DATABASE_URL=postgres://app:s3cretValue6@db:5432/app", "URL password", "s3cretValue6"),
    ("nas01 ansible_host=10.0.0.2 ansible_password=s3cretValue7", "ansible_password", "s3cretValue7"),
    ("https://api.example.com/v1?apikey=s3cretValue8&x=1", "apikey", "s3cretValue8"),
])
def test_embedded_pairs(line: str, key: str, value: str) -> None:
    found = [(p.key, p.value) for p in embedded.credential_pairs(line)]
    assert (key, value) in found
    pair = next(p for p in embedded.credential_pairs(line) if p.value == value)
    assert line[pair.column:pair.column + len(value)] == value


@pytest.mark.parametrize("line", ["password: !secret smtp_password", "password_file /mosquitto/secrets/passwd", "# password = in a comment",
                                  'export PGPASSWORD="${POSTGRES_PASSWORD}"', "password = {{ .password }}"])
def test_embedded_non_credentials(line: str) -> None:
    assert not [p for p in embedded.credential_pairs(line) if literal_credential(p.value)]


def test_sops_selectors_follow_sops_semantics() -> None:
    regex = sops.Selectors(encrypted_regex=re.compile("^(data|stringData)$"))
    assert regex.encrypts(("stringData", "password"))
    assert not regex.encrypts(("metadata", "name"))
    everything = sops.Selectors()
    assert everything.encrypts(("cluster", "secret"))
    assert not everything.encrypts(("comment_unencrypted",))


def test_sops_rule_for_uses_first_match_relative_to_config(tree) -> None:
    root = tree({".sops.yaml": "creation_rules:\n  - path_regex: talos/.*\\.sops\\.ya?ml\n"
                               "  - path_regex: kubernetes/.*\n    encrypted_regex: ^(data|stringData)$\n"})
    result = lint(root)
    rules = sops.creation_rules(result.files)
    assert sops.rule_for("talos/talsecret.sops.yaml", rules).index == 0
    assert sops.rule_for("kubernetes/apps/a.yaml", rules).index == 1
    assert sops.rule_for("docs/readme.md", rules) is None


def test_base64_pem_at_every_alignment() -> None:
    pem = "-----BEGIN EC PRIVATE KEY-----\n" + base64.b64encode(bytes(range(120))).decode() + "\n-----END EC PRIVATE KEY-----\n"
    for prefix in ("", "x", "xy"):
        token = base64.b64encode((prefix + pem).encode()).decode()
        hits = list(textscan.key_hits(f"key: {token}\n"))
        assert [h.detector for h in hits] == ["secret-private-key"], prefix


def test_pem_placeholder_is_not_a_key() -> None:
    text = "-----BEGIN RSA PRIVATE KEY-----\n...\n-----END RSA PRIVATE KEY-----\n"
    assert not list(textscan.key_hits(text))


def test_detect_secrets_settings_are_restored() -> None:
    from detect_secrets.settings import get_settings

    before = dict(get_settings().plugins)
    scanner = textscan.TokenScanner()
    text = "token: ghp_4Jk9sQ2vLm7Xp1Zr8Tb3Nw6Yc5Hd0Fe2Ga7K\n"
    hits = list(scanner.hits(text, textscan.Lines(text)))
    scanner.close()
    assert [h.kind for h in hits] == ["GitHub Token"] and hits[0].secret.startswith("ghp_")
    assert get_settings().plugins == before


def test_mask_text_hides_values_and_keeps_names_readable() -> None:
    assert mask_text("Secret app-env: USERNAME: app", ("app",)) == f"Secret app-env: USERNAME: {MASK}"
    assert mask_text("a:\tlong-secret-value", ("long-secret-value",)) == f"a:\t{MASK}"
    assert mask_text("x y", ("line one\nline two",)) == "x y"
    assert mask_text("ConfigMap authelia-config: password: authelia", ("authelia",)) == \
        f"ConfigMap authelia-config: password: {MASK}"


def test_findings_carry_fingerprint_and_mask(tree) -> None:
    root = tree({".homeops-lint.yaml": "version: 1\n",
                 "secret.yaml": "apiVersion: v1\nkind: Secret\nmetadata:\n  name: a\nstringData:\n  token: hunter2-value\n"})
    findings = [f for f in lint(root).findings if f.rule == "secret-inline"]
    assert len(findings) == 1
    finding = findings[0]
    assert finding.fingerprint == fingerprint("secret-inline", "secret.yaml", "stringData.token")
    assert "hunter2-value" in finding.mask
    assert "hunter2-value" not in finding.message and "fingerprint" not in finding.message
    assert (finding.line, finding.column, finding.key) == (6, 3, "stringData.token")


def test_markdown_gets_only_high_confidence_detectors(tree) -> None:
    root = tree({".homeops-lint.yaml": "version: 1\n",
                 "README.md": "Set `password = hunter2-docs` and API_KEY=Zq7Lm2Vx9Rt4Kp8Wn3Hb\n"
                              "token ghp_4Jk9sQ2vLm7Xp1Zr8Tb3Nw6Yc5Hd0Fe2Ga7K\n"})
    rules = sorted(f.rule for f in lint(root).findings if f.rule.startswith("secret-"))
    assert rules == ["secret-known-token"]


def test_first_of_duplicate_keys_is_judged(tmp_path) -> None:
    """The loader keeps the last of two duplicate keys; the first value was pushed to Git all the same."""
    (tmp_path / "helmrelease.yaml").write_text(
        "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: app\nspec:\n"
        "  values:\n    auth:\n      password: Tr7xQ2mL9vZp4KcW\n      password: ${APP_PASSWORD}\n"
        "      token: ${APP_TOKEN}\n      token: ${APP_TOKEN_2}\n", encoding="utf-8")
    found = [f for f in lint(tmp_path).findings if f.rule.startswith("secret-")]
    assert [(f.rule, f.line, f.column, f.severity.value) for f in found] == [
        ("secret-literal-credential", 8, 7, "error")]
    data = __import__("homeops_lint.yamlload", fromlist=["load"]).load(
        (tmp_path / "helmrelease.yaml").read_text()).documents[0][0]
    assert data["spec"]["values"]["auth"]["password"] == "${APP_PASSWORD}"  # the loader's choice is unchanged


@pytest.mark.parametrize("path,first,language", [
    ("scripts/sync.py", "", "code"), ("infra/main.tf", "", "code"), ("live/terragrunt.hcl.cold", "", "code"),
    ("hosts/vm.nix", "", "code"), ("mise.toml", "", "code"), ("talos/mod.just", "", "shell"),
    ("Justfile", "", "shell"), ("scripts/deploy", "#!/bin/bash\n", "shell"), ("bin/tool", "#!/usr/bin/env python3\n", "code"),
    (".env", "", "config"), ("upsd.users", "", "config"), ("app.conf", "", "config")])
def test_language_of(path: str, first: str, language: str) -> None:
    assert embedded.language_of(path, first) == language


@pytest.mark.parametrize("language,line,literal", [
    ("code", 'GITHUB_TOKEN = os.getenv("GITHUB_PAT")', False),
    ("code", "api_token = data.bitwarden-secrets_secret.cloudflare_token.value", False),
    ("code", "    password: str,", False),
    ("code", 'url = f"https://u:{TOKEN}@host"', False),
    ("code", 'api_key = "Zk3pQ9vXr2LmT8sW"', True),
    ("code", 'creds = {"password": "Zk3pQ9vXr2LmT8sW"}', True),
    ("shell", 'LAST_TOKEN=$(cat "$TOKEN_FILE")', False),
    ("shell", "machine_token=\"$(extract '.trustdinfo.token')\" || exit 1", False),
    ("shell", "ADMIN_PASSWORD=Zk3pQ9vXr2LmT8sW", True),
    ("shell", 'ADMIN_PASSWORD="Zk3pQ9vXr2LmT8sW"', True),
])
def test_literal_in_language(language: str, line: str, literal: bool) -> None:
    found = [p for p in embedded.pairs_in_line(line, 0) if p.strength is KeyClass.STRONG]
    assert found, line
    assert any(embedded.literal_in(line, p, language) for p in found) is literal


@pytest.mark.parametrize("value", ["os.environ/QWEN_KEY", "vault://infra/talos/MACHINE_TOKEN", "env:KOMF_API_KEY",
                                   "<secret:token|base64>", "<path:kv/data/app#password>", "<<PLEXTOKEN>>",
                                   "__LITELLM_API_KEY__", "{FRIGATE_MQTT_PASSWORD}", "$argocd-secret:dex.clientSecret",
                                   ".Credentials.SecretAccessKey", "%s", ".+", "***********", "#{ app_token }#",
                                   "$6$rounds=4096$saltsalt$N8YMmLxkpW7oSbZ3Q4Kh6p5FqJpPH7mD7cPnTk8n",
                                   "Secret to sync (default: unset/all secrets)", ".taskfiles/externalsecrets",
                                   'x="$(cat /run/secrets/x)"'])
def test_lookups_and_expressions_are_not_literals(value: str) -> None:
    assert not literal_credential(value)


@pytest.mark.parametrize("key,value,literal", [
    ("TS_KUBE_SECRET", "tailscale-router-state", False), ("githubConfigSecret", "arc-github-app", False),
    ("CNPG_SECRET_KEY", "ai-litellm", False), ("secretKey", "REPOSITORY_TEMPLATE", False),
    ("client_secret", "Zk3pQ9vXr2LmT8sW", True), ("DB_PASSWORD", "tailscale-router-state", True)])
def test_object_names_under_secret_keys(key: str, value: str, literal: bool) -> None:
    assert literal_credential(value, key) is literal


def test_sops_go_inline_flags_and_names() -> None:
    selectors = sops.selectors_from({"encrypted_regex": "((?i)(pass|secret($|[^N])|key|token|^data$|^stringData))"})
    assert selectors is not None
    assert selectors.encrypts(("stringData", "api-token")) and selectors.encrypts(("BAZARR__API_KEY",))
    assert not selectors.encrypts(("apiVersion",)) and not selectors.encrypts(("metadata", "name"))
    assert sops.selectors_from({"encrypted_regex": "(unclosed"}) is None  # unknown: the file is not judged
    assert sops.name_promises_encryption("k/secret.sops.yaml") and sops.name_promises_encryption(".env.sops")
    for name in ("t/secret.sops.yaml.j2", "k/.sops.yaml.disabled", "k/x.sops.yaml.disabled", "old.disabled/x.sops.yaml"):
        assert not sops.name_promises_encryption(name), name


def test_pem_markers_around_code_are_not_a_key() -> None:
    text = ('echo "-----BEGIN OPENSSH PRIVATE KEY-----"\n'
            "cat /ssh/id | sed 's/-----BEGIN OPENSSH PRIVATE KEY-----//;s/-----END OPENSSH PRIVATE KEY-----//'\n"
            'echo "-----END OPENSSH PRIVATE KEY-----"\n')
    assert not list(textscan.key_hits(text))


def test_gitleaksignore_fingerprints() -> None:
    from homeops_lint.model import SourceFile
    from homeops_lint.secrets.paths import gitleaks_ignored

    ignore = SourceFile(".gitleaksignore", "", 0, text=(
        "# comment\napps/a.yaml:generic-api-key:12\n"
        "0123456789abcdef0123456789abcdef01234567:scripts/x.sh:aws-access-token:3\nnot-a-fingerprint\n"
        "./.github/workflows/ci.yaml:github-pat:7\n"))
    assert gitleaks_ignored([ignore]) == {("apps/a.yaml", 12), ("scripts/x.sh", 3), (".github/workflows/ci.yaml", 7)}


def test_candidate_lines_match_the_per_line_prefilter() -> None:
    text = "a: 1\nPASSWORD=x\nmonkey: 2\nurl: https://u:p@h\nİstanbul token: y\n\nplain"
    expected = [(n, line) for n, line in enumerate(text.split("\n")) if embedded.PREFILTER.search(line)]
    assert list(embedded.candidate_lines(text)) == expected
    assert list(embedded.candidate_lines(text.replace("İ", "I"))) == [
        (n, line) for n, line in enumerate(text.replace("İ", "I").split("\n")) if embedded.PREFILTER.search(line)]


def _blob(size: int) -> str:
    """Lines of base85 like get-pip.py's embedded pip: no spaces, quotes or colons."""
    raw = base64.b85encode(bytes(range(256)) * (size // 300 + 1)).decode()
    return "\n".join(raw[i:i + 79] for i in range(0, len(raw), 79))[:size]


def test_stylesheets_and_encoded_blobs_are_not_judged_by_key_names(tree) -> None:
    # A CSS custom property named like a credential, and a credential-like assignment inside 300 KiB
    # of encoded data, are words of the format, not keys. The same assignment in a script is judged.
    assignment = "api_key = 'Zt9vQ2mK7xW4pL8r'\n"
    root = tree({"theme/site.css": ":root {\n  --api-key: 'Zt9vQ2mK7xW4pL8r';\n}\n",
                 "tools/get-pip.py": "DATA = b'''\n" + _blob(300 * 1024) + "\n" + assignment + "'''\n",
                 "tools/small.py": "DATA = b'''\n" + _blob(1024) + "\n" + assignment + "'''\n"})
    found = [(f.rule, f.path) for f in lint(root, "--select=secret-").findings]
    assert ("secret-literal-credential", "tools/small.py") in found
    assert not [path for _rule, path in found if path != "tools/small.py"]


def test_a_token_format_is_still_found_in_an_encoded_blob(tree) -> None:
    token = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"
    root = tree({"tools/get-pip.py": "DATA = b'''\n" + _blob(300 * 1024) + "\n" + token + "\n'''\n"})
    assert [f.rule for f in lint(root, "--select=secret-").findings] == ["secret-known-token"]


@pytest.mark.parametrize("text, blob", [
    ("A" * 300 * 1024, True),
    ("a: b\n" * 70000, False),  # YAML: colons and spaces
    ('{"k":"v"}' * 40000, False),  # minified JSON: quotes and colons
    ("x" * 1000, False),  # small: never a blob
])
def test_encoded_blob(text: str, blob: bool) -> None:
    from homeops_lint.secrets.paths import encoded_blob

    assert encoded_blob(text) is blob
