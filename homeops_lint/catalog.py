"""The rule catalog: every rule's id, family, default severity, summary and documentation, as data.

Built-in rules are described in ``rules/catalog/<family>.yaml``; their checks live in
``homeops_lint/checks/<family>.py`` (or a ``checks/<family>/`` package). Declarative rules
(``rules/builtin/*.yaml`` and the policy's ``custom_rules`` folders) carry the same documentation
fields plus ``match`` and ``assert``.

A rule file names its family once, beside two optional family fields: ``order`` (where the family
is listed by ``homeops-lint rules`` and in docs/rules.md; families without one come last) and
``weight`` (the relative CPU cost of the family's check module, which ``pool.py`` balances across
two processes). The family list is the catalog's: no registry elsewhere.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Iterable, Optional

from . import yamlload
from .errors import UsageError, UserError
from .model import Severity, to_plain
from .resources import data_dir

RULE_ID_RE = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)+$")


@dataclass(frozen=True)
class Rule:
    id: str
    family: str
    severity: Severity  # default; the policy can change it or turn the rule off
    summary: str
    what: str = ""
    why: str = ""
    severity_why: str = ""  # why the default severity is what it is (docs/severity.md)
    fail: str = ""  # an example that must produce this rule's finding (executed by the tests)
    passing: str = ""  # the same example fixed: must produce none
    enabled: bool = True  # off by default when False (e.g. schema-missing)
    options: dict[str, Any] = field(default_factory=dict)
    declarative: Optional[dict[str, Any]] = None  # match/assert/message for declarative rules
    source: str = ""  # the file the rule is described in
    # Family-level keys of the catalog file. ``domain: false``: the family judges the files' form
    # (parsing, the policy, schemas, suppressions), not the cluster's design. ``yields_to_domain:
    # true``: its finding is dropped where a domain rule reports the same line (one problem, one finding).
    domain: bool = True
    yields_to_domain: bool = False

    def doc_text(self) -> str:
        """The rule's documentation, in the ruff layout."""
        out = [f"# {self.id}", "", f"Family: {self.family}    Default severity: {self.severity.value}"
               + ("" if self.enabled else " (off by default)"), "", self.summary.strip(), ""]
        if self.what:
            out += ["## What it does", "", self.what.strip(), ""]
        if self.why:
            out += ["## Why is this bad?", "", self.why.strip(), ""]
        if self.severity_why:
            out += [f"## Why {self.severity.value}?", "", self.severity_why.strip(), ""]
        if self.fail:
            out += ["## Example", "", "```yaml", self.fail.rstrip(), "```", ""]
        if self.passing:
            out += ["## Use instead", "", "```yaml", self.passing.rstrip(), "```", ""]
        if self.options:
            out += ["## Options", ""]
            for key, value in self.options.items():
                out.append(f"- `{key}` (default: `{value}`)")
            out.append("")
        return "\n".join(out)


@dataclass(frozen=True)
class Family:
    name: str
    order: Optional[int] = None  # position in rule listings; None = after the ordered families
    weight: Optional[float] = None  # relative cost of its check module (pool.py); None = unknown
    source: str = ""


class CatalogError(UserError):
    """A rule file cannot be used: the CLI prints this one line and exits 2."""


def _rule_from(entry: Any, family: str, source: str) -> Rule:
    if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
        raise CatalogError(f"{source}: every rule needs an id")
    rule_id = entry["id"]
    if not RULE_ID_RE.match(rule_id):
        raise CatalogError(f"{source}: rule id '{rule_id}' is not kebab-case")
    severity = str(entry.get("severity", "error"))
    enabled = True
    if severity == "off":
        enabled, severity = False, str(entry.get("default_severity", "info"))
    declarative = None
    if "match" in entry or "assert" in entry:
        declarative = {k: entry.get(k) for k in ("match", "exclude", "assert", "message")}
    return Rule(
        id=rule_id,
        family=family,
        severity=Severity(severity),
        summary=str(entry.get("summary", "")),
        what=str(entry.get("what", "")),
        why=str(entry.get("why", "")),
        severity_why=str(entry.get("severity_why", "")),
        fail=str(entry.get("fail", "")),
        passing=str(entry.get("pass", "")),
        enabled=enabled and bool(entry.get("enabled", True)),
        options=dict(entry.get("options") or {}),
        declarative=declarative,
        source=source,
    )


def load_rules_file(path: Path, declarative: bool = False) -> list[Rule]:
    return read_rules_file(path, declarative)[0]


def read_rules_file(path: Path, declarative: bool = False) -> tuple[list[Rule], Optional[Family]]:
    """The rules of a file, and its family fields when the file names its family."""
    try:
        data = yamlload.load_one(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CatalogError(f"{path}: {exc}") from None
    if declarative:
        validate_rule_file(data, path)
    if not isinstance(data, dict):
        raise CatalogError(f"{path}: expected a mapping with 'rules'")
    entries = data.get("rules") if isinstance(data.get("rules"), list) else [data]
    traits = {"domain": data.get("domain") is not False, "yields_to_domain": data.get("yields_to_domain") is True}
    rules = []
    for entry in entries:
        family = str(data.get("family") or str(entry.get("id", "x-")).split("-", 1)[0])
        rules.append(replace(_rule_from(entry, family, str(path)), **traits))
    return rules, _family_from(data, path)


def _family_from(data: dict[str, Any], path: Path) -> Optional[Family]:
    if not isinstance(data.get("family"), str):
        return None
    order, weight = data.get("order"), data.get("weight")
    if order is not None and (isinstance(order, bool) or not isinstance(order, int)):
        raise CatalogError(f"{path}: 'order' must be an integer")
    if weight is not None and (isinstance(weight, bool) or not isinstance(weight, (int, float)) or weight < 0):
        raise CatalogError(f"{path}: 'weight' must be a number >= 0")
    return Family(data["family"], order, None if weight is None else float(weight), str(path))


@dataclass
class Catalog:
    rules: dict[str, Rule]
    family_info: dict[str, Family] = field(default_factory=dict)  # families whose file names them

    def get(self, rule_id: str) -> Optional[Rule]:
        """The rule with this id; ids are lower-case, so the lookup ignores case."""
        return self.rules.get(rule_id.strip().lower())

    def suggest(self, pattern: str) -> list[str]:
        """The rule ids and family prefixes closest to a pattern that matched nothing."""
        import difflib

        names = sorted({*self.rules, *(f"{family}-" for family in self.families())})
        return difflib.get_close_matches(pattern.strip().lower(), names, n=3, cutoff=0.6)

    def patterns(self, values: Iterable[str], option: str) -> list[str]:
        """``--select``/``--ignore`` values, lower-cased; one that selects no rule is a usage error,
        never a silent run of nothing."""
        out = []
        for value in values:
            pattern = value.strip().lower()
            if not pattern:
                continue
            if not self.matching([pattern]):
                close = self.suggest(pattern)
                hint = f" (did you mean {' or '.join(close)}?)" if close else ""
                raise UsageError(f"{option}: no rule or family prefix '{value.strip()}'{hint}; "
                                 "'homeops-lint rules' lists them")
            out.append(pattern)
        return out

    def __iter__(self) -> Any:
        return iter(sorted(self.rules.values(), key=lambda r: (self.order(r.family), r.id)))

    def order(self, family: str) -> int:
        info = self.family_info.get(family)
        return info.order if info is not None and info.order is not None else 99

    def weight(self, family: str) -> Optional[float]:
        info = self.family_info.get(family)
        return info.weight if info is not None else None

    def families(self) -> set[str]:
        return {r.family for r in self.rules.values()}

    def matching(self, patterns: Iterable[str]) -> set[str]:
        """Rule ids selected by exact ids, family prefixes (``lb-``, ``lb``) or ``all``."""
        selected: set[str] = set()
        for pattern in patterns:
            pattern = pattern.strip().lower()
            if not pattern:
                continue
            if pattern == "all":
                selected.update(self.rules)
                continue
            prefix = pattern if pattern.endswith("-") else pattern + "-"
            for rule_id, rule in self.rules.items():
                if rule_id == pattern or rule_id.startswith(prefix) or rule.family == pattern:
                    selected.add(rule_id)
        return selected


_CACHE: dict[tuple[Any, ...], Catalog] = {}


def _stamp(folders: list[Path]) -> tuple[Any, ...]:
    """What the catalog depends on: every rule file's path, size and mtime (cheap stat calls)."""
    stamp: list[Any] = []
    for folder in folders:
        try:
            paths = [folder] if folder.is_file() else sorted(folder.glob("*.y*ml")) if folder.is_dir() else []
            stamp.append((str(folder), tuple((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in paths)))
        except OSError:
            stamp.append((str(folder), None))
    return tuple(stamp)


def load_catalog(extra_dirs: Iterable[Path] = ()) -> Catalog:
    """The catalog, loaded once per process and reloaded only when a rule file changes (a hook
    process loads it once; the test suite and ``homeops-lint test`` load it thousands of times)."""
    folders = [data_dir("rules") / "catalog", data_dir("rules") / "builtin", *extra_dirs]
    key = _stamp(folders)
    cached = _CACHE.get(key)
    if cached is None:
        cached = _load_catalog(folders)
        if len(_CACHE) > 64:
            _CACHE.clear()
        _CACHE[key] = cached
    return cached


def _load_catalog(folders: list[Path]) -> Catalog:
    rules: dict[str, Rule] = {}
    families: dict[str, Family] = {}
    for number, folder in enumerate(folders):
        if folder.is_file():  # a single rule file (``homeops-lint test`` cases may name one)
            paths = [folder]
        elif folder.is_dir():
            paths = sorted(folder.glob("*.y*ml"))
        else:
            if number >= 2:
                raise CatalogError(f"{folder}: custom rules folder not found")
            continue
        for path in paths:
            # Rule folders other than our own Python-backed catalog hold declarative rules only.
            file_rules, family = read_rules_file(path, declarative=number > 0)
            for rule in file_rules:
                if rule.id in rules:
                    raise CatalogError(f"{path}: rule '{rule.id}' is already defined in {rules[rule.id].source}")
                rules[rule.id] = rule
            if family is not None and (family.order is not None or family.weight is not None):
                if family.name in families:
                    raise CatalogError(f"{path}: family '{family.name}' already has order/weight in "
                                       f"{families[family.name].source}")
                families[family.name] = family
    return Catalog(rules, families)


def substitute_options(node: Any, options: dict[str, Any]) -> Any:
    """``{"$option": NAME}`` anywhere in a rule's ``assert`` becomes the option's value."""
    if isinstance(node, dict):
        if set(node) == {"$option"} and isinstance(node["$option"], str):
            return options.get(node["$option"])
        return {k: substitute_options(v, options) for k, v in node.items()}
    if isinstance(node, list):
        return [substitute_options(v, options) for v in node]
    return node


def validate_rule_file(data: Any, path: Path) -> None:
    """Raise CatalogError naming the line of the first violation of schemas/rule.schema.json, or
    of a rule's ``assert`` that is not a valid JSON Schema.

    jsonschema-rs answers "valid?" in microseconds; python-jsonschema (slow to import) is only
    loaded to explain a broken file.
    """
    import json

    import jsonschema_rs

    schema = json.loads((data_dir("schemas") / "rule.schema.json").read_text())
    plain = to_plain(data)
    if not jsonschema_rs.validator_for(schema).is_valid(plain):
        _explain_rule_file(schema, plain, data, path)
    entries = plain.get("rules") if isinstance(plain.get("rules"), list) else [plain]
    for i, entry in enumerate(entries):
        assertion = substitute_options(entry["assert"], entry.get("options") or {})
        if not jsonschema_rs.meta.is_valid(assertion):
            _explain_assert(assertion, data, path, (("rules", i) if "rules" in plain else ()) + ("assert",), entry["id"])


def _explain_rule_file(schema: Any, plain: Any, data: Any, path: Path) -> None:
    import jsonschema

    from .model import format_path, pos_of

    errors = list(jsonschema.Draft202012Validator(schema).iter_errors(plain))
    if not errors:
        return
    # The deepest error explains a oneOf failure best ("rules[0].match: 'kind' is required").
    candidates = [e for err in errors for e in [err, *(err.context or ())]]
    error = max(candidates, key=lambda e: len(list(e.absolute_path)))
    where = tuple(error.absolute_path)
    pos = pos_of(data, where, value=error.validator not in ("required", "additionalProperties"))
    message = error.message.replace("Additional properties are not allowed", "unknown key")
    raise CatalogError(f"{path}:{pos.line}:{pos.column}: invalid rule file at "
                       f"{format_path(where) or '(top level)'}: {message}")


def _explain_assert(assertion: Any, data: Any, path: Path, where: tuple[Any, ...], rule_id: str) -> None:
    import jsonschema

    from .model import pos_of

    try:
        jsonschema.Draft202012Validator.check_schema(assertion)
        message = "not a valid JSON Schema"
        inner: tuple[Any, ...] = ()
    except jsonschema.SchemaError as exc:
        message, inner = exc.message, tuple(exc.absolute_path)
    pos = pos_of(data, where + inner)
    raise CatalogError(f"{path}:{pos.line}:{pos.column}: rule {rule_id}: 'assert' is not a valid JSON Schema: {message}")


def catalog_for(path: str = ".") -> Catalog:
    """The catalog as a lint of ``path`` sees it: built-in rules plus the policy's custom_rules,
    so that ``homeops-lint rule ID`` documents a user's declarative rule like a built-in one."""
    from .discover import find_root
    from .policy import PolicyError, load_policy

    try:
        root = find_root([path])
        policy = load_policy(root)
    except (PolicyError, OSError, ValueError):
        return load_catalog()
    except Exception:  # noqa: BLE001 - no root (UsageError): the built-in rules are still documented
        return load_catalog()
    dirs = [root / d for d in policy.data.get("custom_rules", []) if isinstance(d, str)]
    return load_catalog(dirs)
