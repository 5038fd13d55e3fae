"""One pass over the repo index for every ``secret-`` rule; returns value-free candidates.

Order matters: the most specific detector claims a line first (SOPS mandate, then private keys and
Talos machine secrets, then PEM and known token formats in raw text, then plaintext Secrets, then
literal credentials, then entropy), and a weaker detector stays silent on a claimed line. Every
candidate carries the secret only in ``masks`` (for the reporters); its fingerprint names where it
is (rule, path, key path), never what it is.
"""
from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator, Optional

from ..model import DocClass, Document, FileKind, KeyPath, Map, Pos, Seq, SourceFile, format_path
from . import embedded, sops, textscan
from .values import (looks_like_identifier, KeyClass, classify_key, fingerprint, has_reference,
                     high_entropy, is_placeholder, is_reference, literal_credential)

ERROR, WARNING = "error", "warning"
# A secret scanner's own output lists findings by design: never read it as secrets.
SCANNER_FILES_RE = re.compile(r"(?:^|/)(?:\.secrets\.baseline|[^/]*\.secrets\.baseline|gitleaks[-_.]?report[^/]*|"
                              r"\.gitleaks[-_]?report[^/]*|trufflehog[-_.]?(?:report|results)[^/]*)$", re.IGNORECASE)
# The ecosystem's own inline suppressions (detect-secrets, gitleaks), in any comment syntax.
_ALLOW_LINE_RE = re.compile(r"pragma:\s*allowlist[ -]secret|gitleaks:allow")
_ALLOW_NEXT_RE = re.compile(r"pragma:\s*allowlist[ -]nextline[ -]secret")
# Folders whose files are not deployed: archives, vendored code, tests, examples, dev-only environments.
NOT_DEPLOYED_DIRS = {"archive", "archives", "_archive", ".archive", "archived", "attic", "deprecated", "graveyard",
                     "old", "legacy", "vendor", "vendored", "third_party", "node_modules", "site-packages",
                     "ansible_collections", "test", "tests", "testdata", "__tests__", "fixtures", "examples",
                     "example", "samples", "devenv", "coldstorage", "docs", "doc"}
VENDORED_DIRS = {"vendor", "vendored", "third_party", "third-party", "node_modules", "site-packages",
                 "ansible_collections", ".terraform"}
_AWS_KEY_ID_RE = re.compile(r"^(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}$")
EDITOR_DIRS = {".vscode", ".idea", ".devcontainer", ".zed", ".fleet", ".vim", ".nvim"}
# Of those, third-party code and test or example data: its keys and tokens are the vendor's fixtures
# and documentation examples, not this repository's credentials, whatever their format.
THIRD_PARTY_DIRS = {"vendor", "vendored", "third_party", "third-party", "node_modules", "site-packages",
                    "ansible_collections", ".terraform", "test", "tests", "testdata", "__tests__", "fixtures",
                    "examples", "example", "samples"}
_VALUES_FILE_RE = re.compile(r"(?:^|[-_.])values(?:[-_.][\w.-]*)?\.ya?ml$", re.IGNORECASE)
# Keys whose string is a script: judged as shell (``$(...)`` is a command, not a literal).
_SCRIPT_KEYS = {"run", "cmd", "cmds", "script", "shell", "command", "args", "entrypoint", "preconditions", "status"}
# GitHub workflow scopes (``id-token: write``) and reusable-workflow keywords (``secrets: inherit``).
_WORKFLOW_WORDS = {"read", "write", "none", "inherit", "read-all", "write-all"}

DOC_SUFFIXES = (".md", ".markdown", ".mdx", ".rst", ".adoc", ".asciidoc", ".txt", ".org", ".html", ".htm")
DOC_NAMES = {"readme", "license", "licence", "changelog", "notice", "authors", "contributing", "copying",
             "code_of_conduct", "security", "codeowners"}
# Kinds whose content is encrypted or names remote secrets: never judged by key names.
SKIP_KINDS = {"CustomResourceDefinition", "SealedSecret", "PushSecret", "SopsSecret", "ClusterPushSecret"}
EXTERNAL_SECRET_KINDS = {"ExternalSecret", "ClusterExternalSecret"}

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
_TAG_RE = re.compile(r"^!(?:secret|env_var|env|vault|include|ENV)\b")
_CERT_KEY_RE = re.compile(r"(?:^|[._-])(?:ca|crt|cert|certificate|chain|bundle|fullchain)(?:\.(?:crt|pem|cer))?$|\.(?:crt|cer)$",
                          re.IGNORECASE)


@dataclass
class Candidate:
    rule: str
    path: str
    pos: Pos
    message: str
    masks: tuple[str, ...]
    fingerprint: str
    doc: Optional[Document] = None
    key: KeyPath = ()
    severity: Optional[str] = None  # None: the rule's own severity


@dataclass
class ScanStats:
    seconds: dict[str, float] = field(default_factory=dict)
    files: int = 0
    bytes: int = 0
    token_lines: int = 0

    def add(self, name: str, started: float) -> None:
        self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - started


def is_doc_path(path: str) -> bool:
    name = path.rsplit("/", 1)[-1].lower()
    stem = name.split(".", 1)[0]
    return name.endswith(DOC_SUFFIXES) or stem in DOC_NAMES


# Generated files whose keys are not configuration: lock files (hashes by design), minified bundles,
# source maps and drawings. Key names are not judged there; key material and known tokens are.
_GENERATED_RE = re.compile(r"(?:^|/)(?:[^/]+\.lock|[^/]+-lock\.(?:json|yaml)|go\.sum|"
                           r"[^/]+\.min\.(?:js|css)|[^/]+\.(?:js|css)\.map|[^/]+\.svg)$", re.IGNORECASE)
# A log is not deployed: what it records under a credential name is reported as a warning.
_LOG_RE = re.compile(r"\.log(?:\.\d+)?$", re.IGNORECASE)


def generated(path: str) -> bool:
    """A lock file, a minified bundle, a source map or an SVG drawing (see ``_GENERATED_RE``)."""
    return _GENERATED_RE.search(path) is not None


def vendored(path: str) -> bool:
    """Third-party code copied into the repository (an Ansible collection, node_modules, a vendor
    folder): its keys and example values are the vendor's, so key names are not judged there; the
    key-material and known-token detectors still run."""
    return any(part in VENDORED_DIRS for part in path.lower().split("/")[:-1])


def editor_settings(path: str) -> bool:
    """An editor's or dev container's settings (``.vscode/settings.json``): a tool file, never deployed."""
    parts = path.lower().split("/")
    return any(part in EDITOR_DIRS for part in parts[:-1]) or parts[-1].endswith(".code-workspace")


def not_deployed(path: str) -> bool:
    """A file in an archive, vendored, test, example or dev-only folder, or set aside by its name."""
    parts = path.lower().split("/")
    return any(part in NOT_DEPLOYED_DIRS for part in parts[:-1]) or sops.is_inactive_path(path) \
        or _LOG_RE.search(path) is not None


def gitleaks_ignored(files: list[SourceFile]) -> set[tuple[str, int]]:
    """(path, line) pairs of the ``.gitleaksignore`` fingerprints (``[commit:]path:rule:line``).

    A fingerprint names gitleaks' rule id, not ours: it suppresses whatever we find on that line.
    """
    out: set[tuple[str, int]] = set()
    for source in files:
        if source.path.rsplit("/", 1)[-1] != ".gitleaksignore" or not source.text:
            continue
        folder = source.path.rsplit("/", 1)[0] + "/" if "/" in source.path else ""
        for raw in source.text.splitlines():
            entry = raw.strip()
            if not entry or entry.startswith("#"):
                continue
            head, _, number = entry.rpartition(":")
            path, _, _rule = head.rpartition(":")
            commit, sep, rest = path.partition(":")
            if sep and re.fullmatch(r"[0-9a-f]{7,40}", commit):
                path = rest
            if path.startswith("./"):
                path = path[2:]
            if number.isdigit() and path:
                # gitleaks reports paths from where it ran (the repository root, or this file's folder)
                out.add((path if not folder or path.startswith(folder) else folder + path, int(number)))
    return out


def _describe(doc: Document) -> str:
    if doc.kind:
        return f"{doc.kind} {doc.name}".rstrip()
    return {DocClass.TALOS: "Talos config", DocClass.TALHELPER: "talhelper config"}.get(doc.doc_class, "")


class Scanner:
    """Scans files with the rules ``enabled`` says are on; ``run()`` returns candidates."""

    def __init__(self, files: list[SourceFile], enabled: Callable[[str], bool],
                 options: Optional[Callable[[str], dict[str, Any]]] = None,
                 checkpoint: Callable[[], None] = lambda: None) -> None:
        self.files = files
        self.enabled = enabled
        self.checkpoint = checkpoint  # the run's time budget: raises when it has run out
        opts = options("secret-literal-credential") if options is not None else {}
        # A placeholder (change-me, <token>) that is deployed is guessable, but it is usually not a
        # working credential: a warning, unless the policy says placeholders are used as credentials.
        self.placeholder_severity = ERROR if str(opts.get("placeholder", WARNING)) == ERROR else WARNING
        self.candidates: list[Candidate] = []
        self.claimed: dict[str, set[int]] = {}
        self.sops_files: set[str] = set()
        self.stats = ScanStats()
        self._tokens = textscan.TokenScanner()

    # --- bookkeeping ----------------------------------------------------------------------
    def _claim(self, path: str, first: int, last: Optional[int] = None) -> None:
        self.claimed.setdefault(path, set()).update(range(first, (last or first) + 1))

    def _is_claimed(self, path: str, first: int, last: Optional[int] = None) -> bool:
        lines = self.claimed.get(path)
        return bool(lines) and any(n in lines for n in range(first, (last or first) + 1))  # type: ignore[operator]

    def _add(self, rule: str, source: SourceFile, pos: Pos, message: str, masks: Iterable[str],
             doc: Optional[Document] = None, key: KeyPath = (), last_line: Optional[int] = None,
             severity: Optional[str] = None) -> None:
        if not self.enabled(rule):
            return
        if severity != WARNING and any(part in THIRD_PARTY_DIRS for part in source.path.lower().split("/")[:-1]):
            severity = WARNING
            message += " (In vendored, test or example files: most likely a fixture, so a warning.)"
        # The secret reaches the candidate only as masks, never as a hash (a guessed weak password
        # could be confirmed offline, and reused secrets would be linked across files).
        self.candidates.append(Candidate(rule, source.path, pos, message, tuple(m for m in masks if m),
                                         fingerprint(rule, source.path, format_path(key)), doc, key, severity))
        self._claim(source.path, pos.line, last_line)

    # --- the pass -------------------------------------------------------------------------
    def run(self) -> list[Candidate]:
        texts = _Checked([f for f in self.files if f.kind in (FileKind.YAML, FileKind.TEXT, FileKind.TEMPLATE)
                          and f.text and not SCANNER_FILES_RE.search(f.path)], self.checkpoint)
        self.stats.files = len(texts)
        self.stats.bytes = sum(len(f.text) for f in texts)
        try:
            self._phase("sops", self._sops, texts)
            self._phase("talos+kubeconfig", self._structured_keys, texts)
            self._phase("pem+1password", self._key_material, texts)
            self._phase("known-tokens", self._known_tokens, texts)
            self._phase("secret-inline", self._inline, texts)
            self._phase("literal+entropy (yaml)", self._literal_yaml, texts)
            self._phase("literal+entropy (text)", self._literal_text, texts)
        finally:
            self._tokens.close()
        self.stats.token_lines = self._tokens.lines_scanned
        return self._unsuppressed(texts)

    def _unsuppressed(self, texts: list[SourceFile]) -> list[Candidate]:
        """Drop what ``# pragma: allowlist secret``, ``gitleaks:allow`` or ``.gitleaksignore`` allow."""
        ignored = gitleaks_ignored(self.files)
        by_path = {source.path: source for source in texts}
        kept = []
        for found in self.candidates:
            source = by_path.get(found.path)
            line = found.pos.line
            if (found.path, line) in ignored:
                continue
            if source is not None and (_ALLOW_LINE_RE.search(source.line_text(line))
                                       or line > 1 and _ALLOW_NEXT_RE.search(source.line_text(line - 1))):
                continue
            kept.append(found)
        return kept

    def _phase(self, name: str, func: Callable[[list[SourceFile]], None], texts: list[SourceFile]) -> None:
        started = time.perf_counter()
        func(texts)
        self.stats.add(name, started)

    # --- masks and positions --------------------------------------------------------------
    @staticmethod
    def _scalar_masks(source: SourceFile, pos: Pos, value: str) -> list[str]:
        """The value, and the source text it was written as (quoted, escaped, folded)."""
        masks = [value]
        first = source.line_text(pos.line)[pos.column - 1:].strip()
        masks.append(first)
        extra = value.count("\n") + (0 if pos.style in ("|", ">") else 1)
        if pos.style or "\n" in value:
            for number in range(pos.line + 1, pos.line + extra + 2):
                masks.append(source.line_text(number).strip())
        return masks

    @staticmethod
    def _locate_in_value(source: SourceFile, vpos: Pos, value: str, line_offset: int, needle: str) -> Pos:
        """The source position of ``needle`` on line ``line_offset`` of a scalar at ``vpos``."""
        guesses = []
        if vpos.style in ("|", ">"):
            guesses.append(vpos.line + 1 + line_offset)
        elif line_offset == 0:
            guesses.append(vpos.line)
        span = value.count("\n") + 2
        guesses.extend(range(vpos.line, vpos.line + span + 40))
        for number in guesses:
            text = source.line_text(number)
            column = text.find(needle) if needle else -1
            if column >= 0 and (number != vpos.line or column >= vpos.column - 1 or vpos.style in ("|", ">")):
                return Pos(number, column + 1)
        return vpos

    # --- 1. SOPS creation rules -----------------------------------------------------------
    def _sops(self, texts: list[SourceFile]) -> None:
        if not self.enabled("secret-sops-unencrypted"):
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
                self._sops_yaml(source, rule, name_says)
            elif not sops.text_is_encrypted(source.text):
                self._sops_text(source, rule)

    def _why(self, source: SourceFile, rule: Optional[sops.CreationRule], name_says: bool) -> str:
        if rule is not None:
            return f"{rule.describe()} covers {source.path}"
        return f"the name {source.path.rsplit('/', 1)[-1]} says it is SOPS-encrypted"

    def _sops_yaml(self, source: SourceFile, rule: Optional[sops.CreationRule], name_says: bool) -> None:
        encrypted = any(doc.sops for doc in source.documents)
        mandated = name_says or _sops_candidate(source)
        if rule is not None and not rule.path_regex and not (name_says or encrypted):
            mandated = False
        if not mandated:
            return
        why = self._why(source, rule, name_says)
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
                self._add("secret-sops-unencrypted", source, pos,
                          f"{why}, but this document has no sops metadata: it is plaintext "
                          f"({len(plain)} value(s) that SOPS would encrypt, first at {format_path(path)}); "
                          f"encrypt it with 'sops --encrypt --in-place {source.path}' and rotate the values "
                          "already pushed", self._scalar_masks(source, doc.pos(*path, value=True), str(value)),
                          doc, path)
            else:
                for path, value in plain:
                    vpos = doc.pos(*path, value=True)
                    self._add("secret-sops-unencrypted", source, doc.pos(*path),
                              f"{format_path(path)} is not encrypted although the file is SOPS-encrypted "
                              f"(partly encrypted); re-encrypt the file with "
                              f"'sops --encrypt --in-place {source.path}'",
                              self._scalar_masks(source, vpos, str(value)), doc, path)
            self.sops_files.add(source.path)

    def _sops_text(self, source: SourceFile, rule: Optional[sops.CreationRule]) -> None:
        first = source.line_text(1)
        self._add("secret-sops-unencrypted", source, Pos(1, 1),
                  f"{self._why(source, rule, True)}, but it holds no SOPS ciphertext: it is plaintext; "
                  f"encrypt it with 'sops --encrypt --in-place {source.path}' and rotate what was pushed",
                  [first, first.split("=", 1)[-1], first.split(":", 1)[-1]])
        self.sops_files.add(source.path)

    # --- 2. Talos machine secrets, kubeconfig and talosconfig keys ------------------------
    def _structured_keys(self, texts: list[SourceFile]) -> None:
        if not self.enabled("secret-private-key"):
            return
        for source in texts:
            if source.path in self.sops_files:
                continue
            for doc in source.documents:
                data = doc.data
                if not isinstance(data, Map):
                    continue
                if doc.doc_class == DocClass.TALOS:
                    self._talos(source, doc, TALOS_MACHINE_SECRETS, "Talos machine secret")
                elif _talos_bundle(doc):
                    self._talos(source, doc, TALOS_BUNDLE_SECRETS + _bundle_cert_keys(doc), "Talos secrets bundle")
                if doc.kind == "Config" and isinstance(data.get("users"), list):
                    for i, user in enumerate(data["users"]):
                        for field_name in ("client-key-data",):
                            path = ("users", i, "user", field_name)
                            self._key_value(source, doc, path, "kubeconfig client key")
                if isinstance(data.get("contexts"), Map) and "context" in data:
                    for name, context in data["contexts"].items():
                        if isinstance(context, Map) and "key" in context:
                            self._key_value(source, doc, ("contexts", name, "key"), "talosconfig client key")

    def _talos(self, source: SourceFile, doc: Document, paths: Iterable[KeyPath], what: str) -> None:
        for path in paths:
            self._key_value(source, doc, path, what)

    def _key_value(self, source: SourceFile, doc: Document, path: KeyPath, what: str) -> None:
        value = doc.get(*path)
        if not isinstance(value, str) or not value.strip() or is_reference(value) or value.startswith("ENC["):
            return
        vpos = doc.pos(*path, value=True)
        self._add("secret-private-key", source, doc.pos(*path),
                  f"{what} {format_path(path)} is in plaintext; encrypt the file "
                  "with SOPS or keep it out of Git, and rotate it", self._scalar_masks(source, vpos, value),
                  doc, path, last_line=vpos.line + value.count("\n"))

    # --- 3. PEM keys, base64 PEM, 1Password Connect credentials ---------------------------
    def _key_material(self, texts: list[SourceFile]) -> None:
        if not (self.enabled("secret-private-key") or self.enabled("secret-known-token")):
            return
        for source in texts:
            text = source.text
            if not any(needle in text for needle in _KEY_NEEDLES):
                continue  # str.find per literal beats the regex alternation of the same literals
            lines = textscan.Lines(text)
            for hit in textscan.key_hits(text):
                self._text_hit(source, lines, hit)

    def _known_tokens(self, texts: list[SourceFile]) -> None:
        if not self.enabled("secret-known-token"):
            return
        for source in texts:
            if vendored(source.path) or generated(source.path):
                continue  # third-party code's tokens are the vendor's test fixtures; lock files hold hashes
            lines = textscan.Lines(source.text)
            for hit in self._tokens.hits(source.text, lines):
                self._text_hit(source, lines, hit)

    def _text_hit(self, source: SourceFile, lines: textscan.Lines, hit: textscan.Hit) -> None:
        line = lines.line_of(hit.start)
        last = lines.line_of(max(hit.end - 1, hit.start))
        if self._is_claimed(source.path, line, last):
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
        self._add(hit.detector, source, Pos(line, lines.column_of(hit.start)),
                  f"{hit.kind}{where} in plaintext (detector: {detector}); "
                  f"remove it from the repository, rotate it, and load it from a secret store.{note}",
                  [hit.secret, *hit.secret.split("\\n")], last_line=last, severity=severity)

    # --- 4. plaintext Kubernetes Secrets --------------------------------------------------
    def _inline(self, texts: list[SourceFile]) -> None:
        if not self.enabled("secret-inline"):
            return
        for source in texts:
            if source.path in self.sops_files:
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
                                self._embedded(source, doc, (section, key), value, doc.pos(section, key, value=True),
                                               rule="secret-inline")
                                continue
                            self._inline_value(source, doc, section, key, value)

    def _inline_value(self, source: SourceFile, doc: Document, section: str, key: Any, value: Any) -> None:
        if not isinstance(value, str) or not value.strip() or sops.is_encrypted_value(value):
            return
        path = (section, key)
        vpos = doc.pos(*path, value=True)
        last = vpos.line + value.count("\n") + (1 if vpos.style in ("|", ">") else 0)
        if self._is_claimed(source.path, doc.pos(*path).line, last):
            return
        if section == "data" and _is_certificate(key, _b64(value)) or section == "stringData" and _is_certificate(key, value):
            return  # a CA bundle or certificate is public; its key would be reported on its own
        if has_reference(value) or is_reference(value):
            # ${VAR}, op://, {{ }}: resolved elsewhere. A blob that mixes references and literals is
            # judged line by line like a config file.
            if "\n" in value or embedded.worth_reading(value):
                self._embedded(source, doc, path, value, vpos, rule="secret-inline")
            return
        note = " although the file has sops metadata (partly encrypted)" if doc.sops else ""
        plain = _b64(value) if section == "data" else value
        severity, why = None, ""
        if not_deployed(source.path):
            severity, why = WARNING, " It is in a folder that is not deployed (archive, test, example, dev-only)."
        elif classify_key(str(key)) is KeyClass.NONE and "\n" not in plain.strip() and not high_entropy(plain):
            # userID, volumeHandle, clusterID, a database name: Secret data, but not a credential.
            severity, why = WARNING, " Its key and value do not look like a credential."
        self._add("secret-inline", source, doc.pos(*path),
                  f"Secret {doc.name or '?'}: {format_path(path)} is plaintext{note}.{why} "
                  "Encrypt the file with SOPS, or keep the value in 1Password and use an ExternalSecret",
                  self._scalar_masks(source, vpos, value), doc, path, last_line=last, severity=severity)

    # --- 5. literal credentials and high-entropy values in YAML ---------------------------
    def _literal_yaml(self, texts: list[SourceFile]) -> None:
        if not (self.enabled("secret-literal-credential") or self.enabled("secret-high-entropy")):
            return
        for source in texts:
            if source.path in self.sops_files or is_doc_path(source.path) or vendored(source.path) \
                    or generated(source.path):
                continue
            for doc in source.documents:
                kind = doc.kind
                if kind in SKIP_KINDS or (kind == "Secret" and doc.doc_class == DocClass.K8S):
                    continue
                if kind in EXTERNAL_SECRET_KINDS:
                    for path in (("spec", "target", "template"), ("spec", "externalSecretSpec", "target", "template")):
                        node = doc.get(*path)
                        if node is not None:
                            self._walk(source, doc, node, path, None)
                    continue
                self._walk(source, doc, doc.data, (), None)

    def _walk(self, source: SourceFile, doc: Document, node: Any, path: KeyPath, parent: Optional[Map]) -> None:
        """Every string value under ``node``, in document order (depth first), without recursion.

        The stack holds pending work in reverse order: a container to expand, or a string with the
        key class and label that judge it, so findings and line claims keep the recursive order.
        """
        stack: list[tuple[Any, ...]] = [(node, path)]
        pop, push = stack.pop, stack.append
        while stack:
            item = pop()
            if len(item) == 2:
                self._expand(source, doc, item[0], item[1], push)
            else:
                self._text_value(source, doc, *item)

    def _expand(self, source: SourceFile, doc: Document, node: Any, path: KeyPath,
                push: Callable[[tuple[Any, ...]], None]) -> None:
        pending: list[tuple[Any, ...]] = []
        if isinstance(node, Map):
            if path == ("metadata",):
                for key in ("annotations",):
                    sub = node.get(key)
                    if isinstance(sub, Map):  # annotation values: only credentials inside text
                        for name, value in sub.items():
                            if isinstance(value, str):
                                self._text_value(source, doc, path + (key, name), value, sub.value_pos(name),
                                                 KeyClass.NONE, str(name))
                return
            env_name = node.get("name") if "value" in node else None
            if not isinstance(env_name, str):
                env_name = None
            shadowed = getattr(node, "shadowed", None)
            if shadowed:  # a duplicate key: the loader kept the last value; judge the dropped one too
                self._shadowed(source, doc, path, shadowed)
            append = pending.append
            vpos, kpos = node.vpos, node.kpos
            for key, value in node.items():
                if isinstance(value, str):
                    if env_name is not None and key == "value":
                        label, strength = env_name, classify_key(env_name)
                    elif isinstance(key, str):
                        label, strength = key, classify_key(key)
                    else:
                        label, strength = str(key), _NO_KEY
                    if strength is _NO_KEY and "\n" not in value and "=" not in value \
                            and "://" not in value and '"' not in value and "--" not in value:
                        continue  # no credential key and nothing embedded: what _text_value would skip
                    where = vpos.get(key)
                    append((path + (key,), value, kpos.get(key, node.pos) if where is None else where,
                            strength, label))
                elif isinstance(value, (Map, Seq)):
                    append((value, path + (key,)))
        elif isinstance(node, Seq):
            for index, item in enumerate(node):
                if isinstance(item, (Map, Seq)):
                    pending.append((item, path + (index,)))
                elif isinstance(item, str) and ("=" in item or "://" in item or "\n" in item):
                    pending.append((path + (index,), item, node.item_pos(index), KeyClass.NONE, ""))
        for entry in reversed(pending):
            push(entry)

    def _shadowed(self, source: SourceFile, doc: Document, path: KeyPath,
                  shadowed: dict[Any, tuple[Any, Pos, Pos]]) -> None:
        for key, (value, kpos, vpos) in shadowed.items():
            if isinstance(key, str) and isinstance(value, str) and "\n" not in value.strip() \
                    and classify_key(key) is KeyClass.STRONG and literal_credential(value, key):
                self._literal(source, doc, path + (key,), value, vpos, key, pos=kpos,
                              masks=self._scalar_masks(source, vpos, value))

    def _text_value(self, source: SourceFile, doc: Document, path: KeyPath, value: str, vpos: Pos,
                    strength: KeyClass, label: str) -> None:
        multiline = "\n" in value.strip()
        if strength is not KeyClass.NONE and not multiline:
            if _TAG_RE.match(source.line_text(vpos.line)[vpos.column - 1:]):
                return  # !secret db_password, !env_var DB_PASSWORD: a reference by tag
            if strength is KeyClass.STRONG and literal_credential(value, label):
                self._literal(source, doc, path, value, vpos, label)
                return
            if strength is KeyClass.WEAK and high_entropy(value):
                self._entropy(source, doc, path, value, vpos, label)
                return
        if (multiline or "=" in value or "://" in value or '"' in value or "--" in value) and \
                embedded.worth_reading(value):
            self._embedded(source, doc, path, value, vpos, rule="secret-literal-credential")

    def _context(self, doc: Document, path: KeyPath, label: str) -> str:
        where = _describe(doc)
        if doc.kind == "HelmRelease" and path[:2] == ("spec", "values"):
            where += " values"
        elif doc.kind == "Kustomization" and "postBuild" in path:
            where = f"Flux Kustomization {doc.name} postBuild variable"
        elif path and path[-1] == "value" and label:
            where += f" env {label}"
        return where.strip()

    def _literal(self, source: SourceFile, doc: Optional[Document], path: KeyPath, value: str, vpos: Pos,
                 label: str, pos: Optional[Pos] = None, masks: Optional[list[str]] = None, code: bool = False) -> None:
        key_pos = pos or (doc.pos(*path) if doc is not None else vpos)
        if self._is_claimed(source.path, key_pos.line, vpos.line):
            return
        where = (self._context(doc, path, label) if doc is not None else "") or source.path
        severity, note = self._literal_severity(source, doc, value, code)
        self._add("secret-literal-credential", source, key_pos,
                  f"{where}: {format_path(path)} is a literal credential.{note} "
                  "Reference a Secret instead (secretKeyRef, existingSecret, an ExternalSecret, ${VAR} from a "
                  "SOPS-encrypted Secret)", masks or self._scalar_masks(source, vpos, value), doc, path,
                  severity=severity)

    def _literal_severity(self, source: SourceFile, doc: Optional[Document], value: str,
                          code: bool) -> tuple[Optional[str], str]:
        """Error where the value is surely a working credential; a warning where the rule guesses.

        A placeholder is a warning unless the policy says placeholders are deployed as credentials.
        A key-name guess (a literal that is no known format and has low entropy) is an error only in
        what is deployed as configuration: Kubernetes manifests, Talos config, Helm values files and
        env/INI/conf files. In code and scripts, tool files (workflows, Taskfiles, Ansible), templates
        and folders that are not deployed it is a warning.
        """
        if is_placeholder(value):
            return self.placeholder_severity, (" It looks like a placeholder, but it is used as a credential: it is "
                                               "deployed as is and is easy to guess.")
        if high_entropy(value):
            return None, ""
        if looks_like_identifier(value):
            return WARNING, (" The value reads like a name or a number (lower-case words, no randomness), not "
                             "like a generated credential: review it.")
        manifest = (doc.doc_class in _MANIFEST_CLASSES or bool(_VALUES_FILE_RE.search(source.path))) \
            if doc is not None else not code
        if not manifest or not_deployed(source.path) or source.kind == FileKind.TEMPLATE \
                or sops.is_template_path(source.path):
            return WARNING, (" The key says credential but the value is no known format and has low entropy, "
                             "outside deployed configuration: review it.")
        return None, ""

    def _entropy(self, source: SourceFile, doc: Optional[Document], path: KeyPath, value: str, vpos: Pos,
                 label: str, pos: Optional[Pos] = None, masks: Optional[list[str]] = None) -> None:
        key_pos = pos or (doc.pos(*path) if doc is not None else vpos)
        if self._is_claimed(source.path, key_pos.line, vpos.line):
            return
        where = (self._context(doc, path, label) if doc is not None else "") or source.path
        self._add("secret-high-entropy", source, key_pos,
                  f"{where}: {format_path(path)} holds a high-entropy value under a secret-like key; "
                  "if it is a credential, move it to a Secret store; if it is "
                  "not, suppress this line with a reason", masks or self._scalar_masks(source, vpos, value),
                  doc, path)

    def _embedded(self, source: SourceFile, doc: Document, path: KeyPath, value: str, vpos: Pos, rule: str) -> None:
        owner = next((str(step) for step in reversed(path) if isinstance(step, str)), "")
        if owner.lower() in _PROSE_KEYS:
            return  # a description or a message: prose (known token formats are found on their own)
        language = _embedded_language(owner, value)
        lines = value.split("\n") if language != embedded.CONFIG else []
        for pair in embedded.credential_pairs(value):
            if lines and not embedded.literal_in(lines[pair.line], pair, language):
                continue
            pos = self._locate_in_value(source, vpos, value, pair.line, pair.value)
            key = path + (pair.key,)
            masks = [pair.value, *self._scalar_masks(source, pos, pair.value)[:2]]
            if pair.strength is KeyClass.STRONG and literal_credential(pair.value, pair.key):
                if rule == "secret-inline":
                    if not self._is_claimed(source.path, pos.line):
                        self._add("secret-inline", source, pos,
                                  f"Secret {doc.name or '?'}: {format_path(key)} is a plaintext credential inside "
                                  f"{format_path(path)}; encrypt the file with "
                                  "SOPS or use an ExternalSecret", masks, doc, key)
                else:
                    self._literal(source, doc, key, pair.value, pos, pair.key, pos=pos, masks=masks)
            elif pair.strength is KeyClass.WEAK and high_entropy(pair.value) and rule != "secret-inline":
                self._entropy(source, doc, key, pair.value, pos, pair.key, pos=pos, masks=masks)

    # --- 6. literal credentials in other text files ---------------------------------------
    def _literal_text(self, texts: list[SourceFile]) -> None:
        if not (self.enabled("secret-literal-credential") or self.enabled("secret-high-entropy")):
            return
        for source in texts:
            if source.path in self.sops_files or is_doc_path(source.path) or vendored(source.path) \
                    or generated(source.path):
                continue
            if source.kind == FileKind.YAML and source.documents:
                continue  # judged structurally above
            language = embedded.language_of(source.path, source.text)
            code = language != embedded.CONFIG
            tool = code or editor_settings(source.path)
            for pair in embedded.credential_pairs(source.text):
                number = pair.line + 1
                line = source.line_text(number)
                if code and not embedded.literal_in(line, pair, language):
                    continue  # a variable, a call, an expansion: not a literal in this language
                pos = Pos(number, pair.column + 1)
                masks = [pair.value, line[pair.column:].strip()]
                if pair.strength is KeyClass.STRONG and literal_credential(pair.value, pair.key):
                    self._literal(source, None, (pair.key,), pair.value, pos, pair.key, pos=pos, masks=masks,
                                  code=tool)
                elif pair.strength is KeyClass.WEAK and high_entropy(pair.value):
                    self._entropy(source, None, (pair.key,), pair.value, pos, pair.key, pos=pos, masks=masks)


_NO_KEY = KeyClass.NONE
_PROSE_KEYS = {"description", "summary", "message", "help", "comment", "comments", "notes", "title", "text",
               "body", "usage", "desc"}
_PY_RE = re.compile(r"^\s*(?:import [\w.]+|from [\w.]+ import |def \w+\(|class \w+[(:])", re.MULTILINE)


def _embedded_language(owner: str, value: str) -> str:
    """How to read a script or file embedded in YAML: by its key's file name, shebang or content."""
    name = owner.lower()
    if "." in name:
        language = embedded.language_of(name, value.lstrip())
        if language != embedded.CONFIG:
            return language
    if value.lstrip().startswith("#!"):
        return embedded.language_of("", value.lstrip())
    if _PY_RE.search(value):
        return embedded.CODE
    return embedded.SHELL if name in _SCRIPT_KEYS else embedded.CONFIG


# The literals every textscan.KEY_PREFILTER alternative starts with: PEM headers, the 1Password
# Connect marker, and their base64 at the three byte alignments.
_KEY_NEEDLES = ("-----BEGIN", '"encCredentials"', *(variant for needle in (b"PRIVATE KEY-----", b'"encCredentials"')
                                                    for variant in textscan._b64_variants(needle)))
_MANIFEST_CLASSES = (DocClass.K8S, DocClass.KUSTOMIZE, DocClass.TALOS, DocClass.TALHELPER)
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
    return textscan._decode_b64("".join(value.split())).decode("utf-8", "replace")


def _is_certificate(key: Any, text: str) -> bool:
    """A certificate (public) rather than a key: ``ca.crt``, ``tls.crt`` holding only CERTIFICATE blocks."""
    return (isinstance(key, str) and bool(_CERT_KEY_RE.search(key)) and "BEGIN CERTIFICATE" in text
            and "PRIVATE KEY" not in text)


class _Checked(list):  # type: ignore[type-arg]
    """The files a phase scans: each phase's loop over them checks the time budget once per file."""

    def __init__(self, files: list[SourceFile], checkpoint: Callable[[], None]) -> None:
        super().__init__(files)
        self.checkpoint = checkpoint

    def __iter__(self) -> Iterator[SourceFile]:
        for source in super().__iter__():
            self.checkpoint()
            yield source


def scan(files: list[SourceFile], enabled: Callable[[str], bool],
         options: Optional[Callable[[str], dict[str, Any]]] = None,
         checkpoint: Callable[[], None] = lambda: None) -> tuple[list[Candidate], ScanStats]:
    scanner = Scanner(files, enabled, options, checkpoint)
    candidates = scanner.run()
    return candidates, scanner.stats


__all__ = ["Candidate", "ScanStats", "Scanner", "scan", "is_doc_path", "Iterator"]
