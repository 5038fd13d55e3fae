"""Schema resolution and fast validation for Kubernetes documents, with human messages.

Where a document's schema comes from, first match wins:

1. core Kubernetes kinds: kubernetes-validate's bundled strict JSON Schemas, read directly from
   the package folder (importing the package costs ~0.25 s; we only read the files we need);
2. ``CustomResourceDefinition`` documents in the repository (their ``openAPIV3Schema``);
3. the focused schemas shipped in ``schemas/crds/``;
4. the policy's ``schemas.folders`` (``{group}/{kind}_{version}.json``, kind lower-case or as is);
5. ``# yaml-language-server: $schema=URL`` modelines, mapped to local folders by URL prefix
   (``schemas.modelines``) or relative to the file. Nothing is ever downloaded.

Validation uses jsonschema-rs (a few µs per document); each schema is compiled once, lazily, on
the first document that needs it. Errors are turned into short messages at a key path, and errors
on values Flux substitutes (``${VAR}``) or SOPS encrypts (``ENC[...]``) are dropped.
"""
from __future__ import annotations

import difflib
import functools
import importlib.util
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Optional, Union

from .model import Document, KeyPath, format_path, get_path
from .model import to_plain as _plain
from .resources import data_dir

# --- what Kubernetes reads: YAML 1.1 booleans ------------------------------------------------
# sigs.k8s.io/yaml decodes with YAML 1.1 resolution: a plain yes/no/on/off/y/n is a boolean. The
# loader keeps YAML 1.2 semantics (a string), so the validated view converts them back.
_YAML11_TRUE = {"y", "Y", "yes", "Yes", "YES", "on", "On", "ON"}
_YAML11_FALSE = {"n", "N", "no", "No", "NO", "off", "Off", "OFF"}
# A plain YAML 1.1 boolean word as a value, item or flow entry. Over-matching only costs a copy.
_YAML11_BOOL_RE = re.compile(r"[:\-\[{,][ \t]*(?:[yYnN]|[yY]es|YES|[nN]o|NO|[oO]n|ON|[oO]ff|OFF)[ \t]*(?:$|[#,\]}])",
                             re.MULTILINE)


def needs_yaml11_view(text: str) -> bool:
    """Cheap test on a file's text: could a plain YAML 1.1 boolean hide in it?"""
    return _YAML11_BOOL_RE.search(text) is not None


def _plain_bool(value: Any, pos: Any) -> Any:
    if isinstance(value, str) and pos is not None and getattr(pos, "style", "x") == "":
        if value in _YAML11_TRUE:
            return True
        if value in _YAML11_FALSE:
            return False
    return value


def k8s_view(value: Any, yaml11: bool = True) -> Any:
    """A plain copy of ``value`` as the Kubernetes API would decode it: string keys, and plain
    YAML 1.1 booleans as booleans (``yaml11``)."""
    if isinstance(value, dict):
        vpos = getattr(value, "vpos", {})
        return {str(k): k8s_view(_plain_bool(v, vpos.get(k)) if yaml11 else v, yaml11) for k, v in value.items()}
    if isinstance(value, list):
        ipos = getattr(value, "ipos", [])
        return [k8s_view(_plain_bool(v, ipos[i] if i < len(ipos) else None) if yaml11 else v, yaml11)
                for i, v in enumerate(value)]
    return value



_KIND_RE = re.compile(r"^[A-Za-z][A-Za-z0-9]{0,62}$")
_VERSION_RE = re.compile(r"^v[0-9][a-z0-9]{0,30}$")
_GROUP_RE = re.compile(r"^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$")

class Views:
    """What to validate for each document, with the per-file text scan done once per file."""

    def __init__(self, file_text: Callable[[str], str]) -> None:
        self._text = file_text
        self._yaml11: dict[str, bool] = {}

    def __call__(self, doc: Document, keep_sops: bool = False) -> Any:
        flag = self._yaml11.get(doc.path)
        if flag is None:
            flag = self._yaml11[doc.path] = needs_yaml11_view(self._text(doc.path))
        return document_view(doc, flag, keep_sops)


def document_view(doc: Document, yaml11: bool, keep_sops: bool = False) -> Any:
    """What to validate for ``doc``: without the SOPS metadata block (unless the kind itself
    declares one, ``keep_sops``: an operator such as sops-operator decrypts in the cluster, so
    the API server receives the block), YAML 1.1 booleans resolved when its file may contain one
    (``yaml11``), otherwise the document itself (no copy)."""
    data = doc.data
    if not isinstance(data, dict):
        return data
    if yaml11:
        data = k8s_view(data)
    if not keep_sops and isinstance(data.get("sops"), dict):
        data = {k: v for k, v in data.items() if k != "sops"}
    return data


def declares_sops(resolved: "Resolved") -> bool:
    """The kind's schema has a root ``sops`` field: the SOPS block is part of the object."""
    props = resolved.schema.get("properties") if isinstance(resolved.schema, dict) else None
    return isinstance(props, dict) and "sops" in props


def is_deferred(value: Any) -> bool:
    """A value whose real content is only known at apply time: a Flux substitution or SOPS data."""
    return isinstance(value, str) and ("${" in value or value.startswith("ENC["))


# --- schema sources ---------------------------------------------------------------------------
@dataclass
class Resolved:
    """A compiled schema for one apiVersion/kind, and where it came from."""

    source: str  # "kubernetes 1.37", "CRD clusters/x.yaml:12", "schemas/crds/...", a folder or modeline
    validator: Any  # jsonschema_rs validator
    schema: dict[str, Any]  # the root schema, to find property names for hints


@dataclass
class Unusable:
    """A schema was found but cannot be compiled."""

    source: str
    reason: str


def _kv_schema_root() -> Optional[Path]:
    spec = importlib.util.find_spec("kubernetes_validate")
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(list(spec.submodule_search_locations)[0]) / "kubernetes-json-schema"
    return folder if folder.is_dir() else None


def _version_key(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in re.findall(r"\d+", text)[:3])


def kubernetes_versions() -> list[str]:
    """The Kubernetes versions whose schemas kubernetes-validate ships, oldest first ("1.37.0")."""
    root = _kv_schema_root()
    if root is None:
        return []
    names = [p.name[1:].split("-")[0] for p in root.iterdir() if p.name.endswith("-local-strict")]
    return sorted(set(names), key=_version_key)


def pick_kubernetes_version(wanted: Optional[str]) -> Optional[str]:
    """The newest shipped version not newer than ``wanted`` (major.minor), or the newest."""
    versions = kubernetes_versions()
    if not versions:
        return None
    if not wanted:
        return versions[-1]
    want = _version_key(str(wanted).lstrip("v"))[:2]
    fitting = [v for v in versions if _version_key(v)[:2] <= want]
    return fitting[-1] if fitting else versions[0]


_DEFS_PREFIXES = ("/api/_definitions.json#/$defs/", "#/$defs/")


def _localise(node: Any, refs: list[str]) -> Any:
    """A copy of ``node`` without descriptions, its ``$ref``s pointing into the bundle's own
    ``$defs``; the names it references are appended to ``refs``."""
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key in ("properties", "patternProperties"):  # keys here are field names, not keywords
                out[key] = {k: _localise(v, refs) for k, v in value.items()} if isinstance(value, dict) else value
                continue
            if key == "description" and isinstance(value, str):
                continue
            if key == "$ref" and isinstance(value, str):
                for prefix in _DEFS_PREFIXES:
                    if value.startswith(prefix):
                        refs.append(value[len(prefix):])
                        value = "#/$defs/" + value[len(prefix):]
                        break
                out[key] = value
            else:
                out[key] = _localise(value, refs)
        return out
    if isinstance(node, list):
        return [_localise(v, refs) for v in node]
    return node


@functools.lru_cache(maxsize=4)
def _core_definitions(folder: str) -> dict[str, Any]:
    """kubernetes-validate's shared definitions: static package data, read once per process."""
    return json.loads((Path(folder) / "_definitions.json").read_text())["$defs"]


class CoreSchemas:
    """kubernetes-validate's strict schemas for one Kubernetes version, loaded lazily."""

    def __init__(self, version: str) -> None:
        root = _kv_schema_root()
        self.version = version
        self.folder = root / f"v{version}-local-strict" if root else None
        self._definitions: Optional[dict[str, Any]] = None

    def _defs(self) -> dict[str, Any]:
        if self._definitions is None:
            assert self.folder is not None
            self._definitions = _core_definitions(str(self.folder))
        return self._definitions

    def schema_for(self, group: str, version: str, kind: str) -> Optional[dict[str, Any]]:
        if self.folder is None or not kind:
            return None
        prefix = f"{group.split('.')[0]}-" if group else ""
        path = self.folder / f"{kind.lower()}-{prefix}{version}.json"
        if not path.is_file():
            return None
        top = json.loads(path.read_text())
        gvks = top.get("x-kubernetes-group-version-kind") or []
        if not any(g.get("group", "") == group and g.get("kind") == kind and g.get("version") == version
                   for g in gvks if isinstance(g, dict)):
            return None  # e.g. a CRD group whose first label collides with a core group
        # Inline only the definitions this kind reaches, so compiling stays cheap.
        defs = self._defs()
        needed: dict[str, Any] = {}
        refs: list[str] = []
        body = _localise(top, refs)
        while refs:
            name = refs.pop()
            if name not in needed and name in defs:
                needed[name] = _localise(defs[name], refs)
        body.pop("$id", None)
        body["$defs"] = needed
        return body


def crd_to_json_schema(node: Any, root: bool = False) -> Any:
    """An openAPIV3Schema (structural schema) as JSON Schema 2020-12.

    Objects with declared properties reject unknown fields, as the API server does with strict
    field validation (kubectl and Flux server-side apply), unless they preserve unknown fields.
    """
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in ("properties", "patternProperties", "$defs", "definitions"):
            out[key] = {str(k): crd_to_json_schema(v) for k, v in value.items()} if isinstance(value, dict) else value
        elif key in ("items", "additionalProperties", "not") and isinstance(value, dict):
            out[key] = crd_to_json_schema(value)
        elif key in ("allOf", "anyOf", "oneOf") and isinstance(value, list):
            out[key] = [crd_to_json_schema(v) for v in value]
        elif key.startswith("x-kubernetes-") or key in ("nullable", "example", "externalDocs"):
            continue
        else:
            out[key] = value
    if node.get("x-kubernetes-int-or-string"):
        out.pop("type", None)
        out.setdefault("anyOf", [{"type": "integer"}, {"type": "string"}])
    if node.get("nullable"):
        if isinstance(out.get("type"), str):
            out["type"] = [out["type"], "null"]
        if isinstance(out.get("enum"), list) and None not in out["enum"]:
            out["enum"] = [*out["enum"], None]
    if (node.get("type") == "object" and isinstance(node.get("properties"), dict)
            and "additionalProperties" not in node and not node.get("x-kubernetes-preserve-unknown-fields")):
        out["additionalProperties"] = False
    if root:
        props = out.setdefault("properties", {})
        props["metadata"] = _CR_METADATA
        props.setdefault("apiVersion", {"type": "string"})
        props.setdefault("kind", {"type": "string"})
        out["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return out


_STRING_MAP = {"type": "object", "additionalProperties": {"type": "string"}}
_CR_METADATA = {"type": "object", "properties": {"name": {"type": "string"}, "namespace": {"type": "string"},
                                                 "labels": _STRING_MAP, "annotations": _STRING_MAP}}

_MODELINE_RE = re.compile(r"^[ \t]*#[ \t]*yaml-language-server:[ \t]*\$schema=(\S+)", re.MULTILINE)


def modelines(text: str) -> list[tuple[int, str]]:
    """``(line, url)`` of every schema modeline in a file."""
    if "yaml-language-server" not in text:
        return []
    return [(text.count("\n", 0, m.start()) + 1, m.group(1)) for m in _MODELINE_RE.finditer(text)]


@dataclass
class SchemaSettings:
    kubernetes_version: Optional[str] = None
    folders: list[Path] = field(default_factory=list)
    modelines: dict[str, Path] = field(default_factory=dict)  # URL prefix -> local folder


class SchemaStore:
    """Resolves and compiles schemas for one run. Nothing is read before it is needed."""

    def __init__(self, root: Path, settings: SchemaSettings, crds: Iterable[Document] = ()) -> None:
        self.root = root
        self.settings = settings
        version = pick_kubernetes_version(settings.kubernetes_version)
        self.core = CoreSchemas(version) if version else None
        self._crds: dict[tuple[str, str], dict[str, tuple[Document, Any]]] = {}
        for crd in crds:
            self._add_crd(crd)
        self._compiled: dict[Any, Union[Resolved, Unusable, None]] = {}
        self._modelines: dict[str, list[tuple[int, str]]] = {}  # per file, scanned once
        self._shipped = data_dir("schemas") / "crds"

    # -- CRDs in the repository ------------------------------------------------------------
    def _add_crd(self, crd: Document) -> None:
        group = crd.get("spec", "group")
        kind = crd.get("spec", "names", "kind")
        versions = crd.get("spec", "versions")
        if not isinstance(group, str) or not isinstance(kind, str) or not isinstance(versions, list):
            return
        entry = self._crds.setdefault((group, kind), {})
        for i, version in enumerate(versions):
            if not isinstance(version, dict) or not isinstance(version.get("name"), str):
                continue
            if version.get("served") is False:
                continue
            schema = version.get("schema", {}).get("openAPIV3Schema") if isinstance(version.get("schema"), dict) else None
            entry.setdefault(version["name"], (crd, schema))

    # -- resolution ------------------------------------------------------------------------
    def resolve(self, doc: Document, file_text: str = "") -> Union[Resolved, Unusable, None]:
        api = doc.api_version
        group, _, version = api.rpartition("/")
        kind = doc.kind
        # The names become file names below: anything that is not a valid Kubernetes group,
        # version and kind (hostile or garbled input) has no schema, and never reaches the disk.
        if not (_KIND_RE.match(kind) and _VERSION_RE.match(version) and (not group or _GROUP_RE.match(group))):
            return None
        if self.core is not None:
            hit = self._cached(("core", group, version, kind),
                               lambda: self._load_core(group, version, kind))
            if hit is not None:
                return hit
        crd = self._crds.get((group, kind), {}).get(version)
        if crd is not None:
            crd_doc, schema = crd
            if isinstance(schema, dict):
                return self._cached(("crd", group, version, kind), lambda: self._compile(
                    crd_to_json_schema(_plain(schema), root=True), f"CRD {crd_doc.path}:{crd_doc.line}"))
        if group:
            for key, path in self._file_candidates(group, version, kind):
                hit = self._cached(key, lambda path=path: self._load_file(path))
                if hit is not None:
                    return hit
        return self._from_modeline(doc, file_text, kind, version)

    def _file_candidates(self, group: str, version: str, kind: str) -> Iterable[tuple[Any, Path]]:
        names = [f"{kind.lower()}_{version}.json", f"{kind}_{version}.json"]
        yield ("file", str(self._shipped), group, names[0]), self._shipped / group / names[0]
        for folder in self.settings.folders:
            for name in names:
                yield ("file", str(folder), group, name), folder / group / name

    def _from_modeline(self, doc: Document, text: str, kind: str, version: str) -> Union[Resolved, Unusable, None]:
        if doc.path not in self._modelines:
            self._modelines[doc.path] = modelines(text)
        above = [(line, url) for line, url in self._modelines[doc.path] if line < doc.line + 1]
        if not above:
            return None
        url = above[-1][1]
        # A file-wide modeline names one kind; never apply it to a different kind in the file.
        stem = url.rsplit("/", 1)[-1].split("?")[0].lower()
        named = re.match(r"^([a-z0-9]+)[_-](v\d+\w*)\.json$", stem)
        if named and (named.group(1) != kind.lower() or named.group(2) != version):
            return None
        local = self._modeline_path(url, doc.path)
        if local is None:
            return None
        return self._cached(("file", str(local)), lambda: self._load_file(local))

    def _modeline_path(self, url: str, rel_path: str) -> Optional[Path]:
        try:
            return self._modeline_path_unchecked(url, rel_path)
        except (OSError, ValueError):  # a hostile modeline: too long, NUL bytes, loops
            return None

    def _modeline_path_unchecked(self, url: str, rel_path: str) -> Optional[Path]:
        if "://" not in url:
            base = (self.root / rel_path).parent
            path = (base / url).resolve()
        else:
            prefix = max((p for p in self.settings.modelines if url.startswith(p)), key=len, default=None)
            if prefix is None:
                return None
            path = (self.settings.modelines[prefix] / url[len(prefix):].lstrip("/")).resolve()
        try:
            path.relative_to(self.root.resolve())
        except ValueError:
            if not any(_inside(path, f) for f in self.settings.modelines.values()):
                return None
        return path if path.is_file() else None

    def _cached(self, key: Any, load: Callable[[], Union[Resolved, Unusable, None]]) -> Union[Resolved, Unusable, None]:
        if key not in self._compiled:
            self._compiled[key] = load()
        return self._compiled[key]

    def _load_core(self, group: str, version: str, kind: str) -> Union[Resolved, Unusable, None]:
        assert self.core is not None
        schema = self.core.schema_for(group, version, kind)
        if schema is None:
            return None
        return self._compile(schema, f"kubernetes {'.'.join(self.core.version.split('.')[:2])}")

    def _load_file(self, path: Path) -> Union[Resolved, Unusable, None]:
        try:
            if not path.is_file():
                return None
        except (OSError, ValueError):
            return None
        label = _label(path, self.root)
        try:
            schema = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            return Unusable(label, f"not valid JSON: {exc}")
        if not isinstance(schema, dict):
            return Unusable(label, "not a JSON Schema object")
        return self._compile(schema, label, base=path)

    def _compile(self, schema: dict[str, Any], label: str, base: Optional[Path] = None) -> Union[Resolved, Unusable]:
        import jsonschema_rs

        def retrieve(uri: str) -> Any:
            # Only local files: relative references next to the schema, or mapped URL prefixes.
            local: Optional[Path] = None
            if uri.startswith("file://"):
                local = Path(uri[7:])
            else:
                prefix = max((p for p in self.settings.modelines if uri.startswith(p)), key=len, default=None)
                if prefix is not None:
                    local = self.settings.modelines[prefix] / uri[len(prefix):].lstrip("/")
            if local is None or not local.is_file():
                raise ValueError(f"{uri} is not available offline")
            return json.loads(local.read_text(encoding="utf-8"))

        options: dict[str, Any] = {"retriever": retrieve}
        if base is not None and "$id" not in schema:
            options["base_uri"] = base.resolve().as_uri()
        try:
            validator = jsonschema_rs.validator_for(schema, **options)
        except Exception as exc:  # noqa: BLE001 - a broken schema is a finding, not a crash
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            return Unusable(label, first)
        return Resolved(label, validator, schema)


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.relative_to(folder.resolve())
        return True
    except ValueError:
        return False


def _label(path: Path, root: Path) -> str:
    shipped = data_dir("schemas")
    for base, prefix in ((shipped, "schemas/"), (root, "")):
        try:
            return prefix + path.resolve().relative_to(base.resolve()).as_posix()
        except ValueError:
            continue
    return str(path)


def settings_from_policy(root: Path, data: dict[str, Any]) -> SchemaSettings:
    conf = data.get("schemas") if isinstance(data.get("schemas"), dict) else {}
    version = conf.get("kubernetes_version")
    if not isinstance(version, str):
        arch = data.get("architecture") if isinstance(data.get("architecture"), dict) else {}
        versions = arch.get("versions") if isinstance(arch.get("versions"), dict) else {}
        version = versions.get("kubernetes") if isinstance(versions.get("kubernetes"), str) else None
    folders = [root / f for f in conf.get("folders") or [] if isinstance(f, str)]
    lines = conf.get("modelines") if isinstance(conf.get("modelines"), dict) else {}
    return SchemaSettings(version, folders, {str(k): root / str(v) for k, v in lines.items() if isinstance(v, str)})


# --- errors as short, human messages ---------------------------------------------------------
@dataclass(frozen=True)
class Issue:
    path: KeyPath  # where to report (a key path inside the document)
    message: str  # starts with the dotted key, e.g. "`spec.blocks[0].stop`: expected a string"
    unknown_field: bool = False
    value: Any = None  # the offending value (for message templates); never printed by us
    missing: bool = False  # a required field (or one of a required set) is absent


_TYPE_NAMES = {"string": "a string", "integer": "an integer", "number": "a number", "boolean": "a boolean",
               "object": "a mapping", "array": "a list", "null": "null"}


def type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return "null"


def _schema_at(schema: Any, path: Iterable[Any]) -> Any:
    node = schema
    for step in path:
        if isinstance(node, dict):
            node = node.get(str(step), node.get(step)) if not isinstance(step, int) else None
        elif isinstance(node, list) and isinstance(step, int) and 0 <= step < len(node):
            node = node[step]
        else:
            return None
    return node


def _quote(path: KeyPath) -> str:
    return f"`{format_path(path)}`" if path else "the document"


def _one_of_text(values: list[Any], limit: int = 6) -> str:
    shown = [json.dumps(v) for v in values[:limit]]
    more = f" (and {len(values) - limit} more)" if len(values) > limit else ""
    return ", ".join(shown) + more


def _yaml11_hint(value: Any) -> str:
    if isinstance(value, bool):
        return " (an unquoted yes/no/on/off/true/false is a boolean to Kubernetes; quote it)"
    return ""


def humanize(error: Any, schema: dict[str, Any], data: Any = None) -> list[Issue]:
    """One jsonschema-rs error as issues with short messages (empty when it must be ignored).

    ``data`` is the validated instance, needed to name the key of an ``additionalProperties:
    false`` error that jsonschema-rs reports as a false schema on the parent mapping.
    """
    kind = type(error.kind).__name__
    path: KeyPath = tuple(error.instance_path)
    value = error.instance
    where = _quote(path)
    schema_path = list(error.schema_path)
    subschema = _schema_at(schema, schema_path[:-1]) or {}
    unexpected: list[Any] = []
    if kind == "AdditionalProperties":
        unexpected = list(error.kind.unexpected)
    elif kind == "FalseSchema" and schema_path[-1:] == ["additionalProperties"] and isinstance(subschema, dict):
        parent = get_path(data, path)
        patterns = [re.compile(p) for p in (subschema.get("patternProperties") or {})]
        unexpected = [k for k in (parent if isinstance(parent, dict) else {})
                      if k not in (subschema.get("properties") or {}) and not any(p.search(str(k)) for p in patterns)]
        kind = "AdditionalProperties"
    if kind == "AdditionalProperties":
        known = sorted(subschema.get("properties", {}) if isinstance(subschema, dict) else {})
        out = []
        for key in unexpected:
            if is_deferred(key):
                continue
            close = difflib.get_close_matches(str(key), known, n=1, cutoff=0.6)
            hint = f" (did you mean `{close[0]}`?)" if close else ""
            out.append(Issue(path + (key,), f"{_quote(path + (key,))}: unknown field{hint}", True, key))
        return out
    if kind in ("UnevaluatedProperties",):
        return [Issue(path, f"{where}: unknown field(s) {error.kind.unexpected}", True, value)]
    if is_deferred(value):
        return []  # Flux substitutes it (or SOPS decrypts it) before the API server sees it
    if kind == "Required":
        return [Issue(path, f"{where}: missing required field `{error.kind.property}`", False, value, True)]
    if kind == "Type":
        types = [t for t in error.kind.types if t != "null"] or ["null"]  # "or null" is noise
        expected = " or ".join(_TYPE_NAMES.get(t, t) for t in types)
        return [Issue(path, f"{where}: expected {expected}, got {type_name(value)}{_yaml11_hint(value)}", False, value)]
    if kind == "Enum":
        options = error.kind.options if hasattr(error.kind, "options") else subschema.get("enum", [])
        options = options if isinstance(options, list) else subschema.get("enum", [])
        return [Issue(path, f"{where}: expected one of {_one_of_text(options)}{_yaml11_hint(value)}", False, value)]
    if kind == "Constant":
        expected = subschema.get("const") if isinstance(subschema, dict) else None
        return [Issue(path, f"{where}: must be {json.dumps(expected)}", False, value)]
    if kind == "Pattern":
        return [Issue(path, f"{where}: does not match the pattern `{subschema.get('pattern', '')}`", False, value)]
    if kind in ("Minimum", "ExclusiveMinimum", "Maximum", "ExclusiveMaximum", "MinLength", "MaxLength",
                "MinItems", "MaxItems", "MinProperties", "MaxProperties", "MultipleOf", "UniqueItems"):
        return [Issue(path, f"{where}: {_bound_text(kind, subschema)}", False, value)]
    if kind in ("Not", "FalseSchema"):
        target = _schema_at(schema, list(error.schema_path)[:-1]) if kind == "Not" else None
        note = target.get("description") if isinstance(target, dict) else None
        return [Issue(path, f"{where}: not allowed" + (f": {note}" if note else ""), False, value)]
    if kind in ("OneOfNotValid", "AnyOf", "OneOfMultipleValid"):
        return _alternatives(error, kind, path, value, subschema, schema, data)
    if kind == "Format":
        return []  # formats are annotations in Kubernetes schemas; the API server checks few of them
    return [Issue(path, f"{where}: {error.message}", False, value)]


def _bound_text(kind: str, sub: dict[str, Any]) -> str:
    key = {"Minimum": "minimum", "ExclusiveMinimum": "exclusiveMinimum", "Maximum": "maximum",
           "ExclusiveMaximum": "exclusiveMaximum", "MinLength": "minLength", "MaxLength": "maxLength",
           "MinItems": "minItems", "MaxItems": "maxItems", "MinProperties": "minProperties",
           "MaxProperties": "maxProperties", "MultipleOf": "multipleOf"}.get(kind)
    bound = sub.get(key) if key and isinstance(sub, dict) else None
    return {
        "Minimum": f"must be at least {bound}", "ExclusiveMinimum": f"must be more than {bound}",
        "Maximum": f"must be at most {bound}", "ExclusiveMaximum": f"must be less than {bound}",
        "MinLength": f"must be at least {bound} characters long", "MaxLength": f"must be at most {bound} characters long",
        "MinItems": f"needs at least {bound} item(s)", "MaxItems": f"allows at most {bound} item(s)",
        "MinProperties": f"needs at least {bound} key(s)", "MaxProperties": f"allows at most {bound} key(s)",
        "MultipleOf": f"must be a multiple of {bound}", "UniqueItems": "items must be unique",
    }.get(kind, "is out of range")


def _alternatives(error: Any, kind: str, path: KeyPath, value: Any, sub: dict[str, Any],
                  schema: dict[str, Any], data: Any) -> list[Issue]:
    where = _quote(path)
    branches = sub.get("oneOf" if kind.startswith("OneOf") else "anyOf") if isinstance(sub, dict) else None
    branches = branches if isinstance(branches, list) else []
    # "exactly one of these keys": every branch is a `required` (optionally with `not required`)
    required = [b.get("required") for b in branches if isinstance(b, dict)]
    if required and all(isinstance(r, list) and len(r) == 1 for r in required):
        keys = ", ".join(f"`{r[0]}`" for r in required)
        if kind == "OneOfMultipleValid" or (isinstance(value, dict) and sum(r[0] in value for r in required) > 1):
            return [Issue(path, f"{where}: set only one of {keys}", False, value)]
        return [Issue(path, f"{where}: set one of {keys}", False, value, True)]
    if kind == "OneOfMultipleValid":
        return [Issue(path, f"{where}: matches more than one allowed form", False, value)]
    context = getattr(error.kind, "context", None) or []
    # All alternatives are plain types: "expected a string or an integer"
    types = [b.get("type") for b in branches if isinstance(b, dict)]
    if types and all(isinstance(t, str) for t in types) and all(set(b) <= {"type", "description"} for b in branches):
        expected = " or ".join(_TYPE_NAMES.get(t, t) for t in types)
        return [Issue(path, f"{where}: expected {expected}, got {type_name(value)}", False, value)]
    # Otherwise: the alternative that came closest (fewest, deepest errors) explains the mistake.
    best: list[Issue] = []
    best_score: Optional[tuple[int, int]] = None
    for branch_errors in context:
        issues = [i for e in branch_errors for i in humanize(e, schema, data)]
        if not branch_errors:
            continue
        depth = max(len(list(e.instance_path)) for e in branch_errors)
        score = (len(branch_errors), -depth)
        if best_score is None or score < best_score:
            best, best_score = issues, score
    if best_score is not None:
        return best
    return [Issue(path, f"{where}: does not match any allowed form", False, value)]


def _errors(validator: Any, data: Any) -> tuple[Any, list[Any]]:
    """The instance that was validated (a plain view when the original has non-string keys) and
    its errors (fast path: one is_valid call)."""
    try:
        if validator.is_valid(data):
            return data, []
        return data, list(validator.iter_errors(data))
    except ValueError:
        # e.g. a non-string mapping key: validate the plain view instead
        data = k8s_view(data, yaml11=False)
        if validator.is_valid(data):
            return data, []
        return data, list(validator.iter_errors(data))


def _without(data: Any, paths: list[KeyPath]) -> Any:
    """A copy of ``data`` without the mapping keys at ``paths`` (the rest is shared, not copied)."""
    if not paths:
        return data
    if isinstance(data, dict):
        heads = {p[0] for p in paths}
        out = {}
        for key, value in data.items():
            if (key,) in paths:
                continue
            out[key] = _without(value, [p[1:] for p in paths if p[0] == key and len(p) > 1]) if key in heads else value
        return out
    if isinstance(data, list):
        return [_without(v, [p[1:] for p in paths if p[0] == i and len(p) > 1]) for i, v in enumerate(data)]
    return data


def _null_fields(errors: list[Any]) -> list[KeyPath]:
    """Mapping fields set to an explicit null that the schema does not allow to be null."""
    out = []
    for error in errors:
        path = tuple(error.instance_path)
        if error.instance is None and path and isinstance(path[-1], str) and type(error.kind).__name__ in (
                "Type", "Enum", "AnyOf", "OneOfNotValid"):
            out.append(path)
    return out


# Strategic merge patch directives: keys kustomize and the API server read, never fields.
_PATCH_DIRECTIVE = "$"


def validate(resolved: Resolved, data: Any, limit: int = 20, patch: bool = False) -> list[Issue]:
    """Issues of ``data`` against a resolved schema (fast path: one is_valid call).

    Validation is of what the API server receives: an explicit ``null`` for a field that is not
    nullable is pruned (custom resources with a structural schema) or decodes to the field's zero
    value (built-in kinds) before the object is validated, so such a field counts as absent.
    ``patch``: ``data`` is a patch (strategic merge or merge patch) that is merged into an object
    before anything validates it, so absent required fields and patch directives are not issues.
    """
    validator = resolved.validator
    data, errors = _errors(validator, data)
    if not errors:
        return []
    nulls = _null_fields(errors)
    if nulls:
        data, errors = _errors(validator, _without(data, nulls))
        if not errors:
            return []
    issues: list[Issue] = []
    seen: set[tuple[KeyPath, str]] = set()
    valued: set[KeyPath] = set()  # one message about a value is enough (type + enum say the same)
    for error in errors:
        for issue in humanize(error, resolved.schema, data):
            if patch and (issue.missing or (issue.unknown_field and str(issue.value).startswith(_PATCH_DIRECTIVE))):
                continue
            key = (issue.path, issue.message)
            is_value = not issue.unknown_field and not issue.missing
            if key in seen or (is_value and issue.path in valued):
                continue
            seen.add(key)
            if is_value:
                valued.add(issue.path)
            issues.append(issue)
    return issues[:limit]
