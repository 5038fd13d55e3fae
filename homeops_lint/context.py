"""What a check sees: the repo index, the policy, the catalog, and one way to report a finding."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional, Sequence, Union

from .budget import UNLIMITED, Budget
from .catalog import Catalog
from .index import RepoIndex
from .model import Document, Finding, KeyPath, Pos, Severity, format_path, resource_id
from .policy import Policy


@dataclass
class Context:
    root: Path
    index: RepoIndex
    policy: Policy
    catalog: Catalog
    enabled_rules: frozenset[str]
    findings: list[Finding] = field(default_factory=list)
    # The run's time budget: long checks call ``ctx.budget.check()`` once per file or document.
    budget: Budget = field(default_factory=lambda: Budget(UNLIMITED))

    def enabled(self, rule_id: str) -> bool:
        return rule_id in self.enabled_rules

    def severity(self, rule_id: str) -> Severity:
        configured = self.policy.rule_config(rule_id).get("severity")
        if configured and configured != "off":
            return Severity(configured)
        rule = self.catalog.get(rule_id)
        return rule.severity if rule else Severity.ERROR

    def options(self, rule_id: str) -> dict[str, Any]:
        rule = self.catalog.get(rule_id)
        merged = dict(rule.options) if rule else {}
        merged.update(self.policy.rule_config(rule_id).get("options", {}))
        return merged

    def report(
        self,
        rule_id: str,
        where: Union[Document, str],
        key: KeyPath = (),
        message: str = "",
        *,
        value: bool = False,
        pos: Optional[Pos] = None,
        resource: Optional[str] = None,
        namespace: Optional[str] = None,
        mask: Sequence[str] = (),
        fingerprint: str = "",
        severity: Optional[Severity] = None,
    ) -> None:
        """Record a finding at ``key`` of a document (or at ``pos`` of a file path).

        ``namespace`` is the object's effective namespace (after Flux targetNamespace and the
        kustomize namespace transformer); it defaults to ``metadata.namespace``. ``severity``
        overrides the rule's default for this finding (e.g. an error where a warning is the norm);
        a severity the user configured in the policy always wins.
        """
        if rule_id not in self.enabled_rules:
            return
        if isinstance(where, Document):
            path = where.path
            where_pos = pos or where.pos(*key, value=value)
            if resource is None:
                ns = namespace if namespace is not None else where.namespace
                resource = resource_id(where.kind, ns, where.name) if where.kind else ""
        else:
            path = where
            where_pos = pos or Pos(1, 1)
        self.findings.append(Finding(
            rule=rule_id,
            severity=self.severity(rule_id) if severity is None or self.policy.rule_config(rule_id).get("severity")
            else severity,
            path=path,
            line=where_pos.line,
            column=where_pos.column,
            message=message,
            resource=resource or "",
            key=format_path(key),
            mask=tuple(m for m in mask if m),
            fingerprint=fingerprint,
        ))
