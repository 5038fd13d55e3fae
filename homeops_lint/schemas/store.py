"""The schema store: where a document's schema comes from (see ``homeops_lint/schemas``), each
compiled once, lazily, with jsonschema-rs. Nothing is ever downloaded."""
from __future__ import annotations

import functools
import importlib.util
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Optional, Union

from ..model import Document
from ..model import to_plain as _plain
from ..resources import data_dir


_KIND_RE = re.compile(r"^[A-Za-z][A-Za-z0-9]{0,62}$")
_VERSION_RE = re.compile(r"^v[0-9][a-z0-9]{0,30}$")
_GROUP_RE = re.compile(r"^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$")


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
        # name -> (the localised definition, the names it references): shared by every kind that
        # reaches it (PodSpec, ObjectMeta, ...), so it is copied once per process, not per kind.
        self._localised: dict[str, tuple[Any, tuple[str, ...]]] = {}

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
                needed[name], reached = self._localised_definition(name, defs)
                refs.extend(reached)
        body.pop("$id", None)
        body["$defs"] = needed
        return body

    def _localised_definition(self, name: str, defs: dict[str, Any]) -> tuple[Any, tuple[str, ...]]:
        hit = self._localised.get(name)
        if hit is None:
            refs: list[str] = []
            hit = self._localised[name] = (_localise(defs[name], refs), tuple(refs))
        return hit


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
