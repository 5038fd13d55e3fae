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
from .values import (KeyClass, classify_key, fingerprint, has_reference,
                     high_entropy, is_placeholder, is_reference, literal_credential)

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


def _describe(doc: Document) -> str:
    if doc.kind:
        return f"{doc.kind} {doc.name}".rstrip()
    return {DocClass.TALOS: "Talos config", DocClass.TALHELPER: "talhelper config"}.get(doc.doc_class, "")


class Scanner:
    """Scans files with the rules ``enabled`` says are on; ``run()`` returns candidates."""

    def __init__(self, files: list[SourceFile], enabled: Callable[[str], bool]) -> None:
        self.files = files
        self.enabled = enabled
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
             value: str, doc: Optional[Document] = None, key: KeyPath = (), last_line: Optional[int] = None) -> None:
        if not self.enabled(rule):
            return
        # ``value`` never reaches the candidate: not even a hash of it (a guessed weak password
        # could be confirmed offline, and reused secrets would be linked across files).
        self.candidates.append(Candidate(rule, source.path, pos, message, tuple(m for m in masks if m),
                                         fingerprint(rule, source.path, format_path(key)), doc, key))
        self._claim(source.path, pos.line, last_line)

    # --- the pass -------------------------------------------------------------------------
    def run(self) -> list[Candidate]:
        texts = [f for f in self.files if f.kind in (FileKind.YAML, FileKind.TEXT, FileKind.TEMPLATE) and f.text]
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
        return self.candidates

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
            name_says = sops.name_promises_encryption(source.path)
            rule = sops.rule_for(source.path, rules) if rules else None
            if rule is None and not name_says:
                continue
            if source.kind == FileKind.YAML and source.documents:
                self._sops_yaml(source, rule, name_says)
            elif source.kind != FileKind.YAML and name_says and not sops.text_is_encrypted(source.text):
                self._sops_text(source, rule)

    def _why(self, source: SourceFile, rule: Optional[sops.CreationRule], name_says: bool) -> str:
        if rule is not None:
            return f"{rule.describe()} covers {source.path}"
        return f"the name {source.path.rsplit('/', 1)[-1]} says it is SOPS-encrypted"

    def _sops_yaml(self, source: SourceFile, rule: Optional[sops.CreationRule], name_says: bool) -> None:
        encrypted = any(doc.sops for doc in source.documents)
        # A broad rule (``kubernetes/.*\.yaml``) is a recipe for ``sops -e``, not a mandate that every
        # ConfigMap be encrypted: without the name or metadata, only Secrets and Talos secrets count.
        mandated = name_says or encrypted or any(
            doc.kind == "Secret" or _talos_bundle(doc) or doc.doc_class == DocClass.TALOS
            and any(doc.get(*p) is not None for p in TALOS_MACHINE_SECRETS) for doc in source.documents)
        if rule is not None and not rule.path_regex and not (name_says or encrypted):
            mandated = False
        if not mandated:
            return
        why = self._why(source, rule, name_says)
        for doc in source.documents:
            selectors = sops.selectors_for(doc.data, rule)
            plain = [(path, value) for path, value in sops.leaves(doc.data)
                     if selectors.encrypts(path) and not sops.is_encrypted_value(value)
                     and not (isinstance(value, str) and not value.strip() and not doc.sops)]
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
                          str(value), doc, path)
            else:
                for path, value in plain:
                    vpos = doc.pos(*path, value=True)
                    self._add("secret-sops-unencrypted", source, doc.pos(*path),
                              f"{format_path(path)} is not encrypted although the file is SOPS-encrypted "
                              f"(partly encrypted); re-encrypt the file with "
                              f"'sops --encrypt --in-place {source.path}'",
                              self._scalar_masks(source, vpos, str(value)), str(value), doc, path)
            self.sops_files.add(source.path)

    def _sops_text(self, source: SourceFile, rule: Optional[sops.CreationRule]) -> None:
        first = source.line_text(1)
        self._add("secret-sops-unencrypted", source, Pos(1, 1),
                  f"{self._why(source, rule, True)}, but it holds no SOPS ciphertext: it is plaintext; "
                  f"encrypt it with 'sops --encrypt --in-place {source.path}' and rotate what was pushed",
                  [first, first.split("=", 1)[-1], first.split(":", 1)[-1]], source.text)
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
                  value, doc, path, last_line=vpos.line + value.count("\n"))

    # --- 3. PEM keys, base64 PEM, 1Password Connect credentials ---------------------------
    def _key_material(self, texts: list[SourceFile]) -> None:
        if not (self.enabled("secret-private-key") or self.enabled("secret-known-token")):
            return
        for source in texts:
            if not textscan.KEY_PREFILTER.search(source.text):
                continue
            lines = textscan.Lines(source.text)
            for hit in textscan.key_hits(source.text):
                self._text_hit(source, lines, hit)

    def _known_tokens(self, texts: list[SourceFile]) -> None:
        if not self.enabled("secret-known-token"):
            return
        for source in texts:
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
        self._add(hit.detector, source, Pos(line, lines.column_of(hit.start)),
                  f"{hit.kind}{where} in plaintext (detector: {detector}); "
                  "remove it from the repository, rotate it, and load it from a secret store",
                  [hit.secret, *hit.secret.split("\\n")], hit.secret, last_line=last)

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
                for section in ("data", "stringData"):
                    entries = doc.data.get(section)
                    if isinstance(entries, Map):
                        for key, value in entries.items():
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
            if "\n" in value or embedded.PREFILTER.search(value):
                self._embedded(source, doc, path, value, vpos, rule="secret-inline")
            return
        note = " although the file has sops metadata (partly encrypted)" if doc.sops else ""
        self._add("secret-inline", source, doc.pos(*path),
                  f"Secret {doc.name or '?'}: {format_path(path)} is plaintext{note}; "
                  "encrypt the file with SOPS, or keep the value in 1Password and use an ExternalSecret",
                  self._scalar_masks(source, vpos, value), value, doc, path, last_line=last)

    # --- 5. literal credentials and high-entropy values in YAML ---------------------------
    def _literal_yaml(self, texts: list[SourceFile]) -> None:
        if not (self.enabled("secret-literal-credential") or self.enabled("secret-high-entropy")):
            return
        for source in texts:
            if source.path in self.sops_files or is_doc_path(source.path):
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
            for key, value in node.items():
                if isinstance(value, (Map, Seq)):
                    pending.append((value, path + (key,)))
                elif isinstance(value, str):
                    label = str(key)
                    strength = classify_key(label) if isinstance(key, str) else KeyClass.NONE
                    if key == "value" and isinstance(env_name, str):
                        label = env_name
                        strength = classify_key(env_name)
                    pending.append((path + (key,), value, node.value_pos(key), strength, label))
        elif isinstance(node, Seq):
            for index, item in enumerate(node):
                if isinstance(item, (Map, Seq)):
                    pending.append((item, path + (index,)))
                elif isinstance(item, str) and ("=" in item or "://" in item or "\n" in item):
                    pending.append((path + (index,), item, node.item_pos(index), KeyClass.NONE, ""))
        for entry in reversed(pending):
            push(entry)

    def _text_value(self, source: SourceFile, doc: Document, path: KeyPath, value: str, vpos: Pos,
                    strength: KeyClass, label: str) -> None:
        multiline = "\n" in value.strip()
        if strength is not KeyClass.NONE and not multiline:
            if _TAG_RE.match(source.line_text(vpos.line)[vpos.column - 1:]):
                return  # !secret db_password, !env_var DB_PASSWORD: a reference by tag
            if strength is KeyClass.STRONG and literal_credential(value):
                self._literal(source, doc, path, value, vpos, label)
                return
            if strength is KeyClass.WEAK and high_entropy(value):
                self._entropy(source, doc, path, value, vpos, label)
                return
        if (multiline or "=" in value or "://" in value or '"' in value or "--" in value) and \
                embedded.PREFILTER.search(value):
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
                 label: str, pos: Optional[Pos] = None, masks: Optional[list[str]] = None) -> None:
        key_pos = pos or (doc.pos(*path) if doc is not None else vpos)
        if self._is_claimed(source.path, key_pos.line, vpos.line):
            return
        where = (self._context(doc, path, label) if doc is not None else "") or source.path
        placeholder = (" It looks like a placeholder, but it is used as a credential: it is deployed as is "
                       "and is easy to guess.") if is_placeholder(value) else ""
        self._add("secret-literal-credential", source, key_pos,
                  f"{where}: {format_path(path)} is a literal credential.{placeholder} "
                  "Reference a Secret instead (secretKeyRef, existingSecret, an ExternalSecret, ${VAR} from a "
                  "SOPS-encrypted Secret)", masks or self._scalar_masks(source, vpos, value), value, doc, path)

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
                  value, doc, path)

    def _embedded(self, source: SourceFile, doc: Document, path: KeyPath, value: str, vpos: Pos, rule: str) -> None:
        for pair in embedded.credential_pairs(value):
            pos = self._locate_in_value(source, vpos, value, pair.line, pair.value)
            key = path + (pair.key,)
            masks = [pair.value, *self._scalar_masks(source, pos, pair.value)[:2]]
            if pair.strength is KeyClass.STRONG and literal_credential(pair.value):
                if rule == "secret-inline":
                    if not self._is_claimed(source.path, pos.line):
                        self._add("secret-inline", source, pos,
                                  f"Secret {doc.name or '?'}: {format_path(key)} is a plaintext credential inside "
                                  f"{format_path(path)}; encrypt the file with "
                                  "SOPS or use an ExternalSecret", masks, pair.value, doc, key)
                else:
                    self._literal(source, doc, key, pair.value, pos, pair.key, pos=pos, masks=masks)
            elif pair.strength is KeyClass.WEAK and high_entropy(pair.value) and rule != "secret-inline":
                self._entropy(source, doc, key, pair.value, pos, pair.key, pos=pos, masks=masks)

    # --- 6. literal credentials in other text files ---------------------------------------
    def _literal_text(self, texts: list[SourceFile]) -> None:
        if not (self.enabled("secret-literal-credential") or self.enabled("secret-high-entropy")):
            return
        for source in texts:
            if source.path in self.sops_files or is_doc_path(source.path):
                continue
            if source.kind == FileKind.YAML and source.documents:
                continue  # judged structurally above
            for pair in embedded.credential_pairs(source.text):
                number = pair.line + 1
                pos = Pos(number, pair.column + 1)
                masks = [pair.value, source.line_text(number)[pair.column:].strip()]
                if pair.strength is KeyClass.STRONG and literal_credential(pair.value):
                    self._literal(source, None, (pair.key,), pair.value, pos, pair.key, pos=pos, masks=masks)
                elif pair.strength is KeyClass.WEAK and high_entropy(pair.value):
                    self._entropy(source, None, (pair.key,), pair.value, pos, pair.key, pos=pos, masks=masks)


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


def scan(files: list[SourceFile], enabled: Callable[[str], bool]) -> tuple[list[Candidate], ScanStats]:
    scanner = Scanner(files, enabled)
    candidates = scanner.run()
    return candidates, scanner.stats


__all__ = ["Candidate", "ScanStats", "Scanner", "scan", "is_doc_path", "Iterator"]
