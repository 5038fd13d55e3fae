"""The specific secret detectors, in the order they claim lines: SOPS mandates, Talos machine
secrets and kubeconfig/talosconfig keys, PEM and base64 key material, known token formats, and
plaintext Kubernetes Secrets. Each phase is one function over the scan's text files.
"""
from __future__ import annotations

import re
from typing import Any, Iterable, Optional

from ..model import DocClass, Document, FileKind, KeyPath, Map, Pos, SourceFile, format_path
from . import sops, textscan
from .literal import embedded_credentials
from .paths import generated, not_deployed, vendored
from .state import WARNING, ScanState, scalar_masks
from .values import KeyClass, classify_key, has_reference, high_entropy, is_reference
from . import embedded

_AWS_KEY_ID_RE = re.compile(r"^(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}$")
TALOS_MACHINE_SECRETS: tuple[KeyPath, ...] = (
    ("machine", "token"), ("machine", "ca", "key"), ("cluster", "secret"), ("cluster", "token"),
    ("cluster", "ca", "key"), ("cluster", "aggregatorCA", "key"), ("cluster", "serviceAccount", "key"),
    ("cluster", "etcd", "ca", "key"), ("cluster", "secretboxEncryptionSecret"),
    ("cluster", "aescbcEncryptionSecret"),
)
TALOS_BUNDLE_SECRETS: tuple[KeyPath, ...] = (
    ("cluster", "secret"), ("secrets", "bootstraptoken"), ("secrets", "secretboxencryptionsecret"),
    ("secrets", "aescbcencryptionsecret"), ("trustdinfo", "token"),
)
_CERT_KEY_RE = re.compile(r"(?:^|[._-])(?:ca|crt|cert|certificate|chain|bundle|fullchain)(?:\.(?:crt|pem|cer))?$"
                          r"|\.(?:crt|cer)$", re.IGNORECASE)


# --- 1. SOPS creation rules -----------------------------------------------------------
def sops_mandates(state: ScanState, texts: list[SourceFile]) -> None:
    if not state.enabled("secret-sops-unencrypted"):
        return
    rules = sops.creation_rules(texts)
    for source in texts:
        structured = source.kind == FileKind.YAML and bool(source.documents)
        if not structured and source.kind == FileKind.YAML:
            continue
        name_says = sops.name_promises_encryption(source.path)
        # Only a name, sops metadata or a Secret-like document makes SOPS mandatory (see
        # _sops_yaml): the creation rules are looked up for those files alone.
        if not (name_says or structured and _sops_candidate(source)):
            continue
        if sops.is_template_path(source.path) or sops.is_inactive_path(source.path):
            continue  # rendered, then encrypted, by a tool; or set aside: not what SOPS reads
        rule = sops.rule_for(source.path, rules) if rules else None
        if rule is None and not name_says:
            continue
        if structured:
            _sops_yaml(state, source, rule, name_says)
        elif not sops.text_is_encrypted(source.text):
            _sops_text(state, source, rule)


def _why(source: SourceFile, rule: Optional[sops.CreationRule], name_says: bool) -> str:
    if rule is not None:
        return f"{rule.describe()} covers {source.path}"
    return f"the name {source.path.rsplit('/', 1)[-1]} says it is SOPS-encrypted"


def _sops_yaml(state: ScanState, source: SourceFile, rule: Optional[sops.CreationRule],
               name_says: bool) -> None:
    encrypted = any(doc.sops for doc in source.documents)
    mandated = name_says or _sops_candidate(source)
    if rule is not None and not rule.path_regex and not (name_says or encrypted):
        mandated = False
    if not mandated:
        return
    why = _why(source, rule, name_says)
    for doc in source.documents:
        selectors = sops.selectors_for(doc.data, rule)
        if selectors is None:
            continue  # a selector regex we cannot read: which values SOPS encrypts is unknown
        plain = [(path, value) for path, value in sops.leaves(doc.data)
                 if selectors.encrypts(path) and not sops.is_encrypted_value(value)
                 and not (isinstance(value, str) and not value.strip())]
        if not plain:
            continue
        if not doc.sops:
            path, value = plain[0]
            pos = doc.pos(*path)
            state.add("secret-sops-unencrypted", source, pos,
                      f"{why}, but this document has no sops metadata: it is plaintext "
                      f"({len(plain)} value(s) that SOPS would encrypt, first at {format_path(path)}); "
                      f"encrypt it with 'sops --encrypt --in-place {source.path}' and rotate the values "
                      "already pushed", scalar_masks(source, doc.pos(*path, value=True), str(value)),
                      doc, path)
        else:
            for path, value in plain:
                vpos = doc.pos(*path, value=True)
                state.add("secret-sops-unencrypted", source, doc.pos(*path),
                          f"{format_path(path)} is not encrypted although the file is SOPS-encrypted "
                          f"(partly encrypted); re-encrypt the file with "
                          f"'sops --encrypt --in-place {source.path}'",
                          scalar_masks(source, vpos, str(value)), doc, path)
        state.sops_files.add(source.path)


def _sops_text(state: ScanState, source: SourceFile, rule: Optional[sops.CreationRule]) -> None:
    first = source.line_text(1)
    state.add("secret-sops-unencrypted", source, Pos(1, 1),
              f"{_why(source, rule, True)}, but it holds no SOPS ciphertext: it is plaintext; "
              f"encrypt it with 'sops --encrypt --in-place {source.path}' and rotate what was pushed",
              [first, first.split("=", 1)[-1], first.split(":", 1)[-1]])
    state.sops_files.add(source.path)


# --- 2. Talos machine secrets, kubeconfig and talosconfig keys ------------------------
def structured_keys(state: ScanState, texts: list[SourceFile]) -> None:
    if not state.enabled("secret-private-key"):
        return
    for source in texts:
        if source.path in state.sops_files:
            continue
        for doc in source.documents:
            data = doc.data
            if not isinstance(data, Map):
                continue
            if doc.doc_class == DocClass.TALOS:
                _talos(state, source, doc, TALOS_MACHINE_SECRETS, "Talos machine secret")
            elif _talos_bundle(doc):
                _talos(state, source, doc, TALOS_BUNDLE_SECRETS + _bundle_cert_keys(doc),
                       "Talos secrets bundle")
            if doc.kind == "Config" and isinstance(data.get("users"), list):
                for i, user in enumerate(data["users"]):
                    for field_name in ("client-key-data",):
                        path = ("users", i, "user", field_name)
                        _key_value(state, source, doc, path, "kubeconfig client key")
            if isinstance(data.get("contexts"), Map) and "context" in data:
                for name, context in data["contexts"].items():
                    if isinstance(context, Map) and "key" in context:
                        _key_value(state, source, doc, ("contexts", name, "key"), "talosconfig client key")


def _talos(state: ScanState, source: SourceFile, doc: Document, paths: Iterable[KeyPath], what: str) -> None:
    for path in paths:
        _key_value(state, source, doc, path, what)


def _key_value(state: ScanState, source: SourceFile, doc: Document, path: KeyPath, what: str) -> None:
    value = doc.get(*path)
    if not isinstance(value, str) or not value.strip() or is_reference(value) or value.startswith("ENC["):
        return
    vpos = doc.pos(*path, value=True)
    state.add("secret-private-key", source, doc.pos(*path),
              f"{what} {format_path(path)} is in plaintext; encrypt the file "
              "with SOPS or keep it out of Git, and rotate it", scalar_masks(source, vpos, value),
              doc, path, last_line=vpos.line + value.count("\n"))


# --- 3. PEM keys, base64 PEM, 1Password Connect credentials ---------------------------
def key_material(state: ScanState, texts: list[SourceFile]) -> None:
    if not (state.enabled("secret-private-key") or state.enabled("secret-known-token")):
        return
    for source in texts:
        text = source.text
        if not _may_hold_key_material(text):
            continue
        lines = textscan.Lines(text)
        for hit in textscan.key_hits(text):
            _text_hit(state, source, lines, hit)


def known_tokens(state: ScanState, texts: list[SourceFile]) -> None:
    if not state.enabled("secret-known-token"):
        return
    for source in texts:
        if vendored(source.path) or generated(source.path):
            continue  # third-party code's tokens are the vendor's test fixtures; lock files hold hashes
        lines = textscan.Lines(source.text)
        for hit in state.tokens.hits(source.text, lines):
            _text_hit(state, source, lines, hit)


def _text_hit(state: ScanState, source: SourceFile, lines: textscan.Lines, hit: textscan.Hit) -> None:
    line = lines.line_of(hit.start)
    last = lines.line_of(max(hit.end - 1, hit.start))
    if state.is_claimed(source.path, line, last):
        return
    key = lines.key_on_line(line)
    where = f" under '{key}'" if key else ""
    detector = "PEM detector" if hit.detector == "secret-private-key" else (
        "detect-secrets" if "1Password" not in hit.kind else "1Password Connect detector")
    severity, note = None, ""
    if _AWS_KEY_ID_RE.match(hit.secret):
        # An access key ID names the key; without its secret access key it signs nothing.
        severity, note = WARNING, (" An AWS access key ID alone cannot sign requests, but it names an "
                                   "account's key: check that its secret access key is not committed too.")
    state.add(hit.detector, source, Pos(line, lines.column_of(hit.start)),
              f"{hit.kind}{where} in plaintext (detector: {detector}); "
              f"remove it from the repository, rotate it, and load it from a secret store.{note}",
              [hit.secret, *hit.secret.split("\\n")], last_line=last, severity=severity)


# --- 4. plaintext Kubernetes Secrets --------------------------------------------------
def inline_secrets(state: ScanState, texts: list[SourceFile]) -> None:
    if not state.enabled("secret-inline"):
        return
    for source in texts:
        if source.path in state.sops_files:
            continue
        for doc in source.documents:
            if doc.kind != "Secret" or doc.doc_class != DocClass.K8S or not isinstance(doc.data, Map):
                continue
            argocd = doc.labels().get("argocd.argoproj.io/secret-type")
            for section in ("data", "stringData"):
                entries = doc.data.get(section)
                if isinstance(entries, Map):
                    for key, value in entries.items():
                        if argocd and key in _ARGOCD_METADATA:
                            continue  # Argo CD cluster/repository Secret: name, server, url are metadata
                        if argocd and key == "config" and isinstance(value, str) and section == "stringData":
                            # JSON of the cluster connection: only its credentials (bearerToken, keys)
                            embedded_credentials(state, source, doc, (section, key), value,
                                                 doc.pos(section, key, value=True), rule="secret-inline")
                            continue
                        _inline_value(state, source, doc, section, key, value)


def _inline_value(state: ScanState, source: SourceFile, doc: Document, section: str, key: Any,
                  value: Any) -> None:
    if not isinstance(value, str) or not value.strip() or sops.is_encrypted_value(value):
        return
    path = (section, key)
    vpos = doc.pos(*path, value=True)
    last = vpos.line + value.count("\n") + (1 if vpos.style in ("|", ">") else 0)
    if state.is_claimed(source.path, doc.pos(*path).line, last):
        return
    if section == "data" and _is_certificate(key, _b64(value)) \
            or section == "stringData" and _is_certificate(key, value):
        return  # a CA bundle or certificate is public; its key would be reported on its own
    if has_reference(value) or is_reference(value):
        # ${VAR}, op://, {{ }}: resolved elsewhere. A blob that mixes references and literals is
        # judged line by line like a config file.
        if "\n" in value or embedded.worth_reading(value):
            embedded_credentials(state, source, doc, path, value, vpos, rule="secret-inline")
        return
    note = " although the file has sops metadata (partly encrypted)" if doc.sops else ""
    plain = _b64(value) if section == "data" else value
    severity, why = None, ""
    if not_deployed(source.path):
        severity, why = WARNING, " It is in a folder that is not deployed (archive, test, example, dev-only)."
    elif classify_key(str(key)) is KeyClass.NONE and "\n" not in plain.strip() and not high_entropy(plain):
        # userID, volumeHandle, clusterID, a database name: Secret data, but not a credential.
        severity, why = WARNING, " Its key and value do not look like a credential."
    state.add("secret-inline", source, doc.pos(*path),
              f"Secret {doc.name or '?'}: {format_path(path)} is plaintext{note}.{why} "
              "Encrypt the file with SOPS, or keep the value in 1Password and use an ExternalSecret",
              scalar_masks(source, vpos, value), doc, path, last_line=last, severity=severity)


# The literals every textscan.KEY_PREFILTER alternative starts with: PEM headers, the 1Password
# Connect marker, and their base64 at the three byte alignments.
_KEY_NEEDLES = ("-----BEGIN", '"encCredentials"', *(variant for needle in (b"PRIVATE KEY-----", b'"encCredentials"')
                                                    for variant in textscan.b64_variants(needle)))


def _anchored(variants: list[str], anchor: str) -> "re.Pattern[str]":
    """One search for several literals that all hold ``anchor``: the regex scans for the anchor (a
    literal prefix) and a lookbehind checks what precedes it, instead of one pass per literal."""
    branches = []
    for variant in variants:
        at = variant.index(anchor) + len(anchor)
        branches.append(f"{re.escape(anchor)}(?<={re.escape(variant[:at])}){re.escape(variant[at:])}")
    return re.compile("|".join(branches))


# The base64 variants of each marker share a few characters: "S0t" (the "-----" of "KEY-----") and
# "ZW" (in "encCredentials"). Two anchored searches find them in about 70 % of the time of six finds.
_PEM_B64 = _anchored(textscan.b64_variants(b"PRIVATE KEY-----"), "S0t")
_ONEPASSWORD_B64 = _anchored(textscan.b64_variants(b'"encCredentials"'), "ZW")


def _may_hold_key_material(text: str) -> bool:
    """Whether ``text`` holds one of _KEY_NEEDLES (the tests compare the two)."""
    return "-----BEGIN" in text or '"encCredentials"' in text or _PEM_B64.search(text) is not None \
        or _ONEPASSWORD_B64.search(text) is not None
_ARGOCD_METADATA = {"name", "server", "url", "project", "type", "namespaces", "clusterResources", "enableOCI",
                    "insecure", "proxy", "noProxy", "forceHttpBasicAuth", "enableLfs", "githubAppID",
                    "githubAppInstallationID", "username"}


def _sops_candidate(source: SourceFile) -> bool:
    """A file whose content makes SOPS encryption mandatory where a creation rule covers it: sops
    metadata, a Secret, a Talos secrets bundle or a Talos config holding machine secrets. A broad
    rule (``kubernetes/.*\\.yaml``) is a recipe for ``sops -e``, not a mandate that every ConfigMap
    be encrypted."""
    return any(doc.sops or doc.kind == "Secret" or _talos_bundle(doc) or doc.doc_class == DocClass.TALOS
               and any(doc.get(*p) is not None for p in TALOS_MACHINE_SECRETS) for doc in source.documents)


def _talos_bundle(doc: Document) -> bool:
    """A talhelper/talosctl secrets bundle (talsecret.yaml, secrets.yaml)."""
    data = doc.data
    return isinstance(data, Map) and isinstance(data.get("secrets"), Map) and (
        "certs" in data or "trustdinfo" in data or "bootstraptoken" in data["secrets"])


def _bundle_cert_keys(doc: Document) -> tuple[KeyPath, ...]:
    certs = doc.get("certs")
    if not isinstance(certs, Map):
        return ()
    return tuple(("certs", name, "key") for name, value in certs.items() if isinstance(value, Map))


def _b64(value: str) -> str:
    return textscan.decode_b64("".join(value.split())).decode("utf-8", "replace")


def _is_certificate(key: Any, text: str) -> bool:
    """A certificate (public) rather than a key: ``ca.crt``, ``tls.crt`` holding only CERTIFICATE blocks."""
    return (isinstance(key, str) and bool(_CERT_KEY_RE.search(key)) and "BEGIN CERTIFICATE" in text
            and "PRIVATE KEY" not in text)
