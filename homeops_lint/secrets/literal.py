"""Literal credentials and high-entropy values judged by their key: in YAML (every string under a
document, with the key, the env var name or the embedded file that says what it is) and in other
text files (scripts, code, env and config files, read line by line in their own language).
"""
from __future__ import annotations

import re
from typing import Any, Iterator, Optional

from ..model import DocClass, Document, FileKind, KeyPath, Map, Pos, Seq, SourceFile, format_path
from . import embedded, sops
from .paths import editor_settings, encoded_blob, generated, is_doc_path, not_deployed, stylesheet, vendored
from .state import WARNING, ScanState, describe, locate_in_value, scalar_masks
from .values import (KeyClass, classify_key, high_entropy, is_placeholder, literal_credential,
                     looks_like_identifier, names_key_of_secret, plain_word_for_generated_key)

_VALUES_FILE_RE = re.compile(r"(?:^|[-_.])values(?:[-_.][\w.-]*)?\.ya?ml$", re.IGNORECASE)
# Keys whose string is a script: judged as shell (``$(...)`` is a command, not a literal).
_SCRIPT_KEYS = {"run", "cmd", "cmds", "script", "shell", "command", "args", "entrypoint", "preconditions",
                "status"}
# Kinds whose content is encrypted or names remote secrets: never judged by key names.
SKIP_KINDS = {"CustomResourceDefinition", "SealedSecret", "PushSecret", "SopsSecret", "ClusterPushSecret"}
EXTERNAL_SECRET_KINDS = {"ExternalSecret", "ClusterExternalSecret"}
# Where an ExternalSecret holds text of its own (the rest names remote secrets).
_EXTERNAL_SECRET_TEMPLATES = (("spec", "target", "template"), ("spec", "externalSecretSpec", "target", "template"))
_MANIFEST_CLASSES = (DocClass.K8S, DocClass.KUSTOMIZE, DocClass.TALOS, DocClass.TALHELPER)
_TAG_RE = re.compile(r"^!(?:secret|env_var|env|vault|include|ENV)\b")


# --- 5. literal credentials and high-entropy values in YAML ---------------------------
def _judged(state: ScanState, texts: list[SourceFile]) -> Iterator[SourceFile]:
    """The files whose literals are judged: none unless a literal rule is on; never SOPS files,
    docs, vendored or generated files, stylesheets or encoded blobs (their words are not keys)."""
    if not (state.enabled("secret-literal-credential") or state.enabled("secret-high-entropy")):
        return
    for source in texts:
        if not (source.path in state.sops_files or is_doc_path(source.path) or vendored(source.path)
                or generated(source.path) or stylesheet(source.path) or encoded_blob(source.text)):
            yield source


def literal_yaml(state: ScanState, texts: list[SourceFile]) -> None:
    for source in _judged(state, texts):
        for doc in source.documents:
            kind = doc.kind
            if kind in SKIP_KINDS or (kind == "Secret" and doc.doc_class == DocClass.K8S):
                continue
            if kind in EXTERNAL_SECRET_KINDS:
                for path in _EXTERNAL_SECRET_TEMPLATES:
                    node = doc.get(*path)
                    if node is not None:
                        _walk(state, source, doc, node, path)
                continue
            _walk(state, source, doc, doc.data, ())


def _walk(state: ScanState, source: SourceFile, doc: Document, node: Any, path: KeyPath) -> None:
    """Every string value under ``node``, in document order (depth first).

    One frame per nesting level: the loader caps the depth (``limits.max_depth``, at most 400),
    which keeps the recursion well inside Python's limit.
    """
    if isinstance(node, Map):
        if path == ("metadata",):
            for key in ("annotations",):
                sub = node.get(key)
                if isinstance(sub, Map):  # annotation values: only credentials inside text
                    for name, value in sub.items():
                        if isinstance(value, str):
                            _text_value(state, source, doc, path + (key, name), value, sub.value_pos(name),
                                        KeyClass.NONE, str(name))
            return
        env_name = node.get("name") if "value" in node else None
        if not isinstance(env_name, str):
            env_name = None
        shadowed = getattr(node, "shadowed", None)
        if shadowed:  # a duplicate key: the loader kept the last value; judge the dropped one too
            _shadowed(state, source, doc, path, shadowed)
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
                if strength is KeyClass.STRONG and names_key_of_secret(label, node.keys()):
                    continue  # databaseUrlSecretKey: uri beside databaseUrlSecretName: which entry to read
                where = vpos.get(key)
                _text_value(state, source, doc, path + (key,), value,
                            kpos.get(key, node.pos) if where is None else where, strength, label)
            elif isinstance(value, (Map, Seq)):
                _walk(state, source, doc, value, path + (key,))
    elif isinstance(node, Seq):
        for index, item in enumerate(node):
            if isinstance(item, (Map, Seq)):
                _walk(state, source, doc, item, path + (index,))
            elif isinstance(item, str) and ("=" in item or "://" in item or "\n" in item):
                _text_value(state, source, doc, path + (index,), item, node.item_pos(index), KeyClass.NONE, "")


def _shadowed(state: ScanState, source: SourceFile, doc: Document, path: KeyPath,
              shadowed: dict[Any, tuple[Any, Pos, Pos]]) -> None:
    for key, (value, kpos, vpos) in shadowed.items():
        if isinstance(key, str) and isinstance(value, str) and "\n" not in value.strip() \
                and classify_key(key) is KeyClass.STRONG and literal_credential(value, key):
            _literal(state, source, doc, path + (key,), value, vpos, key, pos=kpos,
                     masks=scalar_masks(source, vpos, value))


def _text_value(state: ScanState, source: SourceFile, doc: Document, path: KeyPath, value: str, vpos: Pos,
                strength: KeyClass, label: str) -> None:
    multiline = "\n" in value.strip()
    if strength is not KeyClass.NONE and not multiline:
        if _TAG_RE.match(source.line_text(vpos.line)[vpos.column - 1:]):
            return  # !secret db_password, !env_var DB_PASSWORD: a reference by tag
        if strength is KeyClass.STRONG and literal_credential(value, label):
            _literal(state, source, doc, path, value, vpos, label)
            return
        if strength is KeyClass.WEAK and high_entropy(value):
            _entropy(state, source, doc, path, value, vpos, label)
            return
    if (multiline or "=" in value or "://" in value or '"' in value or "--" in value) and \
            embedded.worth_reading(value):
        embedded_credentials(state, source, doc, path, value, vpos, rule="secret-literal-credential")


def _context(state: ScanState, doc: Document, path: KeyPath, label: str) -> str:
    where = describe(doc)
    if doc.kind == "HelmRelease" and path[:2] == ("spec", "values"):
        where += " values"
    elif doc.kind == "Kustomization" and "postBuild" in path:
        where = f"Flux Kustomization {doc.name} postBuild variable"
    elif path and path[-1] == "value" and label:
        where += f" env {label}"
    return where.strip()


def _literal(state: ScanState, source: SourceFile, doc: Optional[Document], path: KeyPath, value: str,
             vpos: Pos, label: str, pos: Optional[Pos] = None, masks: Optional[list[str]] = None,
             code: bool = False) -> None:
    key_pos = pos or (doc.pos(*path) if doc is not None else vpos)
    if state.is_claimed(source.path, key_pos.line, vpos.line):
        return
    where = (_context(state, doc, path, label) if doc is not None else "") or source.path
    severity, note = _literal_severity(state, source, doc, value, code, label)
    state.add("secret-literal-credential", source, key_pos,
              f"{where}: {format_path(path)} is a literal credential.{note} "
              "Reference a Secret instead (secretKeyRef, existingSecret, an ExternalSecret, ${VAR} from a "
              "SOPS-encrypted Secret)", masks or scalar_masks(source, vpos, value), doc, path,
              severity=severity)


def _literal_severity(state: ScanState, source: SourceFile, doc: Optional[Document], value: str,
                      code: bool, label: str) -> tuple[Optional[str], str]:
    """Error where the value is surely a working credential; a warning where the rule guesses.

    A placeholder is a warning unless the policy says placeholders are deployed as credentials.
    A key-name guess (a literal that is no known format and has low entropy) is an error only in
    what is deployed as configuration: Kubernetes manifests, Talos config, Helm values files and
    env/INI/conf files. In code and scripts, tool files (workflows, Taskfiles, Ansible), templates
    and folders that are not deployed it is a warning.
    """
    if is_placeholder(value):
        return state.placeholder_severity, (" It looks like a placeholder, but it is used as a credential: it is "
                                            "deployed as is and is easy to guess.")
    if high_entropy(value):
        return None, ""
    if plain_word_for_generated_key(label, value):
        return WARNING, (" An API key or token that is one plain word is usually the dummy a client sends to a "
                         "service that checks no key: review it.")
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


def _entropy(state: ScanState, source: SourceFile, doc: Optional[Document], path: KeyPath, value: str,
             vpos: Pos, label: str, pos: Optional[Pos] = None, masks: Optional[list[str]] = None) -> None:
    key_pos = pos or (doc.pos(*path) if doc is not None else vpos)
    if state.is_claimed(source.path, key_pos.line, vpos.line):
        return
    where = (_context(state, doc, path, label) if doc is not None else "") or source.path
    state.add("secret-high-entropy", source, key_pos,
              f"{where}: {format_path(path)} holds a high-entropy value under a secret-like key; "
              "if it is a credential, move it to a Secret store; if it is "
              "not, suppress this line with a reason", masks or scalar_masks(source, vpos, value),
              doc, path)


def embedded_credentials(state: ScanState, source: SourceFile, doc: Document, path: KeyPath, value: str,
                         vpos: Pos, rule: str) -> None:
    owner = next((str(step) for step in reversed(path) if isinstance(step, str)), "")
    if owner.lower() in _PROSE_KEYS:
        return  # a description or a message: prose (known token formats are found on their own)
    language = _embedded_language(owner, value)
    lines = value.split("\n") if language != embedded.CONFIG else []
    for pair in embedded.credential_pairs(value):
        if lines and not embedded.literal_in(lines[pair.line], pair, language):
            continue
        pos = locate_in_value(source, vpos, value, pair.line, pair.value)
        key = path + (pair.key,)
        masks = [pair.value, *scalar_masks(source, pos, pair.value)[:2]]
        if pair.strength is KeyClass.STRONG and literal_credential(pair.value, pair.key):
            if rule == "secret-inline":
                if not state.is_claimed(source.path, pos.line):
                    state.add("secret-inline", source, pos,
                              f"Secret {doc.name or '?'}: {format_path(key)} is a plaintext credential inside "
                              f"{format_path(path)}; encrypt the file with "
                              "SOPS or use an ExternalSecret", masks, doc, key)
            else:
                _literal(state, source, doc, key, pair.value, pos, pair.key, pos=pos, masks=masks)
        elif pair.strength is KeyClass.WEAK and high_entropy(pair.value) and rule != "secret-inline":
            _entropy(state, source, doc, key, pair.value, pos, pair.key, pos=pos, masks=masks)


# --- 6. literal credentials in other text files ---------------------------------------
def literal_text(state: ScanState, texts: list[SourceFile]) -> None:
    for source in _judged(state, texts):
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
                _literal(state, source, None, (pair.key,), pair.value, pos, pair.key, pos=pos, masks=masks,
                         code=tool)
            elif pair.strength is KeyClass.WEAK and high_entropy(pair.value):
                _entropy(state, source, None, (pair.key,), pair.value, pos, pair.key, pos=pos, masks=masks)


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
