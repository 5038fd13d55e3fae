"""The policy file: the declared architecture, as code.

``.homeops-lint.yaml`` at the root (or ``--config``), validated against
``schemas/policy.schema.json``. ``extends:`` layers a pack from ``rules/`` underneath. Without a
policy file the architecture is inferred from the applied set (``inference.py``).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from . import yamlload
from .discover import POLICY_NAMES
from .errors import UserError
from .model import Map, Pos, pos_of
from .model import to_plain as _plain
from .resources import data_dir


# The most each ``limits.*`` value may be, whatever the policy says: a repository's own policy must
# not be able to switch the safety limits off (a raised alias limit plus an alias bomb once took
# 24 GB). A higher value is clamped, and ``policy-invalid`` warns naming the ceiling. Each ceiling
# keeps one run of the linter under 1 GB and within minutes (tests/test_trust_limits.py).
LIMIT_CEILINGS: dict[str, float] = {
    "max_file_size": 32 * 1024 * 1024,  # bytes (default 10 MiB)
    "max_line_length": 4 * 1024 * 1024,  # characters (default 512 KiB)
    "max_alias_nodes": 1_000_000,  # per document (default 100,000)
    "max_alias_nodes_per_file": 2_000_000,  # default 1,000,000
    "max_alias_nodes_per_run": 5_000_000,  # default 2,000,000
    "max_alias_bytes": 64 * 1024 * 1024,  # characters per run (default 16 MiB)
    "max_documents": 50_000,  # per file (default 10,000)
    "max_depth": 400,  # the builder's two stack frames per level stay under Python's 1,000
    "time_budget": 600.0,  # seconds (default 120)
    "pool_headroom": 10_000,  # free addresses lb-pool-exhausted wants per pool (default 2)
}


class PolicyError(UserError):
    """The policy cannot be used: the CLI prints this one line and exits 2."""


@dataclass
class Layer:
    """One file of the policy: the user's file or a pack it extends."""

    label: str  # path relative to the root for the user's file, "pack:NAME" for packs
    data: Map
    file: Optional[Path] = None


@dataclass
class Policy:
    layers: list[Layer] = field(default_factory=list)  # base pack first, user's file last
    data: dict[str, Any] = field(default_factory=dict)  # merged view
    origin: str = "file"  # file | inferred | none
    path: Optional[str] = None  # the user's policy file, relative to the root, when inside it

    # --- accessors ----------------------------------------------------------------------
    @property
    def architecture(self) -> dict[str, Any]:
        value = self.data.get("architecture")
        return value if isinstance(value, dict) else {}

    @property
    def exclude(self) -> list[str]:
        value = self.data.get("exclude")
        return [str(v) for v in value] if isinstance(value, list) else []

    @property
    def entrypoints(self) -> list[str]:
        flux = self.data.get("flux")
        value = flux.get("entrypoints") if isinstance(flux, dict) else None
        return [str(v) for v in value] if isinstance(value, list) else []

    def limits(self) -> dict[str, Any]:
        """The ``limits:`` block as written (``limit()`` gives the value to use)."""
        value = self.data.get("limits")
        return dict(value) if isinstance(value, dict) else {}

    def limit(self, name: str, default: float) -> float:
        """``limits.<name>``, or ``default`` when unset or unusable, never above its ceiling."""
        value = self.limits().get(name, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value or value < 0:
            value = default
        return min(value, LIMIT_CEILINGS.get(name, value))

    def raised_limits(self) -> list[tuple[str, Any, float]]:
        """(name, value, ceiling) of every limit the policy sets above its ceiling."""
        return [(name, value, LIMIT_CEILINGS[name]) for name, value in self.limits().items()
                if name in LIMIT_CEILINGS and isinstance(value, (int, float)) and not isinstance(value, bool)
                and value > LIMIT_CEILINGS[name]]

    def rule_config(self, rule_id: str) -> dict[str, Any]:
        """{"severity": ..., "options": {...}} for a rule; family prefixes (``lb-``) apply too."""
        rules = self.data.get("rules")
        if not isinstance(rules, dict):
            return {}
        merged: dict[str, Any] = {}
        for key in sorted((k for k in rules if isinstance(k, str) and rule_id.startswith(k)), key=len):
            value = rules[key]
            if isinstance(value, str):
                merged["severity"] = value
            elif isinstance(value, dict):
                if "severity" in value:
                    merged["severity"] = value["severity"]
                if isinstance(value.get("options"), dict):
                    merged.setdefault("options", {}).update(value["options"])
        return merged

    def locate(self, *path: Any) -> tuple[Optional[str], Pos, str]:
        """Where ``path`` is declared: (user policy path or None, position, note).

        Values inherited from a pack are reported at the user's ``extends:`` line, with a note
        naming the pack, because the pack is not a file of the linted repository.
        """
        for layer in reversed(self.layers):
            if _has_path(layer.data, path):
                if layer.label.startswith("pack:"):
                    user = self.layers[-1] if self.layers and not self.layers[-1].label.startswith("pack:") else None
                    where = pos_of(user.data, ("extends",)) if user else Pos(1, 1)
                    line = pos_of(layer.data, path).line
                    return (self.path, where, f" (declared in {layer.label[5:]} pack, rules/{layer.label[5:]}.yaml:{line})")
                return self.path, pos_of(layer.data, path), ""
        return self.path, Pos(1, 1), ""


def _has_path(data: Any, path: tuple[Any, ...]) -> bool:
    node = data
    for step in path:
        if isinstance(step, int):
            if not isinstance(node, list) or step >= len(node):
                return False
            node = node[step]
        else:
            if not isinstance(node, dict) or step not in node:
                return False
            node = node[step]
    return True


def deep_merge(base: Any, top: Any) -> Any:
    """Maps merge key by key; everything else (lists included) is replaced by the top layer."""
    if isinstance(base, dict) and isinstance(top, dict):
        merged = dict(base)
        for key, value in top.items():
            merged[key] = deep_merge(base[key], value) if key in base else value
        return merged
    return top


_FAST: Any = None


def _schema() -> Any:
    return json.loads((data_dir("schemas") / "policy.schema.json").read_text())


def validate(data: Any, label: str) -> None:
    """Raise PolicyError naming the line of the first schema violation.

    jsonschema-rs answers "valid?" cheaply on every run; python-jsonschema is imported only to
    explain an invalid policy, where its error paths and messages are worth the start-up cost.
    """
    global _FAST  # cached per process: the schema is static package data
    plain = _plain(data)
    if _FAST is None:
        import jsonschema_rs

        _FAST = jsonschema_rs.validator_for(_schema())
    if _FAST.is_valid(plain):
        return
    import jsonschema

    errors = sorted(jsonschema.Draft202012Validator(_schema()).iter_errors(plain),
                    key=lambda e: list(e.absolute_path))
    if not errors:
        return
    error = errors[0]
    path = tuple(error.absolute_path)
    pos = pos_of(data, path)
    where = ".".join(str(p) for p in path) or "(top level)"
    message = error.message
    if error.validator == "additionalProperties":
        message = message.replace("Additional properties are not allowed", "unknown key")
    raise PolicyError(f"{label}:{pos.line}:{pos.column}: invalid policy at {where}: {message}")



def _read_layer(path: Path, label: str) -> Layer:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyError(f"{label}: cannot read the policy file: {exc}") from None
    result = yamlload.load(text)
    errors = [p for p in result.problems]
    if errors:
        p = errors[0]
        raise PolicyError(f"{label}:{p.line}:{p.column}: {p.message}")
    data = result.documents[0][0] if result.documents else Map()
    if not isinstance(data, Map):
        raise PolicyError(f"{label}:1:1: the policy must be a mapping")
    validate(data, label)
    return Layer(label, data, path)


def pack_path(name: str) -> Path:
    return data_dir("rules") / f"{name}.yaml"


def available_packs() -> list[str]:
    return sorted(p.stem for p in data_dir("rules").glob("*.yaml"))


def load_policy(root: Path, config: Optional[str] = None) -> Policy:
    if config:
        path = Path(config)
        if not path.is_file():
            raise PolicyError(f"{config}: no such policy file")
    else:
        path = next((root / n for n in POLICY_NAMES if (root / n).is_file()), None)  # type: ignore[assignment]
        if path is None:
            return Policy(origin="none")
    try:
        rel = path.absolute().relative_to(root.absolute()).as_posix()
    except ValueError:
        rel = None
    label = rel or str(path)
    user = _read_layer(path, label)
    layers = [user]
    seen = {label}
    current = user
    while isinstance(current.data.get("extends"), str):
        name = current.data["extends"]
        pack = pack_path(name)
        if not pack.is_file():
            pos = pos_of(current.data, ("extends",), value=True)
            raise PolicyError(f"{current.label}:{pos.line}:{pos.column}: unknown policy pack '{name}' "
                              f"(available: {', '.join(available_packs())})")
        pack_label = f"pack:{name}"
        if pack_label in seen:
            raise PolicyError(f"{current.label}: policy packs extend each other in a loop ('{name}')")
        seen.add(pack_label)
        current = _read_layer(pack, pack_label)
        layers.insert(0, current)
    merged: Any = {}
    for layer in layers:
        merged = deep_merge(merged, dict(layer.data))
    merged.pop("extends", None)
    return Policy(layers=layers, data=merged, origin="file", path=rel)


def with_architecture(policy: Policy, architecture: dict[str, Any]) -> Policy:
    data = dict(policy.data)
    data["architecture"] = architecture
    return Policy(layers=policy.layers, data=data, origin="inferred", path=policy.path)


__all__ = ["Policy", "PolicyError", "load_policy"]
