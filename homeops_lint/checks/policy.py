"""policy-: the declared architecture must itself be valid (see rules/catalog/policy.yaml)."""
from __future__ import annotations

from typing import Any, Optional

from ..context import Context
from ..ipmath import IPRange, RangeError, parse_cidr, parse_range
from ..model import Severity


def _report(ctx: Context, rule: str, path: tuple[Any, ...], message: str,
            severity: Optional[Severity] = None) -> None:
    where, pos, note = ctx.policy.locate(*path)
    if where is None:
        return  # an inferred policy, or a --config file outside the root: nothing to point at
    ctx.report(rule, where, message=message + note, pos=pos, severity=severity)


def check(ctx: Context) -> None:
    architecture = ctx.policy.architecture
    if ctx.policy.origin != "file":
        return
    declared: list[tuple[str, IPRange, tuple[Any, ...]]] = []
    pools = architecture.get("pools")
    if isinstance(pools, dict):
        for name, pool in pools.items():
            ranges = pool.get("ranges") if isinstance(pool, dict) else None
            for i, text in enumerate(ranges or []):
                path = ("architecture", "pools", name, "ranges", i)
                try:
                    address_range, cidr = parse_range(str(text))
                except RangeError as exc:
                    _report(ctx, "policy-invalid", path, f"pool {name}: {exc}")
                    continue
                if cidr is not None and cidr.host_bits:
                    _report(ctx, "policy-invalid", path,
                            f"pool {name}: {text} has host bits set; it means {cidr.network}")
                declared.append((str(name), address_range, path))
    for i, (name_a, range_a, _) in enumerate(declared):
        for name_b, range_b, path_b in declared[i + 1:]:
            if name_a != name_b and range_a.overlaps(range_b):
                _report(ctx, "policy-pool-overlap", path_b,
                        f"pool {name_b} ({range_b}) overlaps pool {name_a} ({range_a})")
    networks = architecture.get("networks")
    if isinstance(networks, dict):
        for key, values in networks.items():
            if key == "dhcp":
                continue
            for i, text in enumerate(values or []):
                path = ("architecture", "networks", key, i)
                try:
                    cidr = parse_cidr(str(text))
                except RangeError as exc:
                    _report(ctx, "policy-invalid", path, f"networks.{key}: {exc}")
                    continue
                if cidr.host_bits:
                    _report(ctx, "policy-invalid", path,
                            f"networks.{key}: {text} has host bits set; it means {cidr.network}")
    _check_rule_ids(ctx)
    _check_limits(ctx)


def _check_limits(ctx: Context) -> None:
    """A limit above its ceiling was clamped: the run used the ceiling, not the value written."""
    for name, value, ceiling in ctx.policy.raised_limits():
        _report(ctx, "policy-invalid", ("limits", name),
                f"limits.{name} is {_number(value)}, above its ceiling of {_number(ceiling)}, which no policy can "
                f"raise; the ceiling was used", severity=Severity.WARNING)


def _number(value: float) -> str:
    return f"{int(value):,}" if float(value).is_integer() else f"{value:,g}"


def _check_rule_ids(ctx: Context) -> None:
    catalog = ctx.catalog
    rules = ctx.policy.data.get("rules")
    if isinstance(rules, dict):
        for key in rules:
            if not catalog.matching([str(key)]):
                _report(ctx, "policy-unknown-rule", ("rules", key),
                        f"'{key}' is not a rule id or family prefix; 'homeops-lint rules' lists them")
    ignores = ctx.policy.data.get("ignore")
    if isinstance(ignores, list):
        for i, entry in enumerate(ignores):
            rule = entry.get("rule") if isinstance(entry, dict) else None
            if isinstance(rule, str) and not catalog.matching([rule]):
                _report(ctx, "policy-unknown-rule", ("ignore", i, "rule"),
                        f"ignore entry names '{rule}', which is not a rule id or family prefix")
