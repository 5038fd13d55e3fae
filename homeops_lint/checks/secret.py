"""secret-: inline secrets, literal credentials, private keys, known tokens, SOPS mandates and
high-entropy values, judged with Kubernetes context (see rules/catalog/secret.yaml).

Every text file is scanned whatever its extension and whether or not Flux applies it; Markdown and
other documentation only get the high-confidence detectors. The detection lives in
``homeops_lint.secrets``; this module only turns its candidates into findings. No message contains
a value or a hash of one: the value travels in ``mask=`` (reporters hide it wherever they print).
"""
from __future__ import annotations

from ..context import Context
from ..model import Severity


def check(ctx: Context) -> None:
    from ..secrets.paths import is_doc_path
    from ..secrets.scan import scan

    def enabled(rule_id: str) -> bool:
        return ctx.enabled(rule_id)

    candidates, _stats = scan(ctx.index.files, enabled, ctx.options, ctx.budget.check)
    for found in candidates:
        if is_doc_path(found.path) and found.rule not in ("secret-private-key", "secret-known-token",
                                                          "secret-sops-unencrypted"):
            continue
        # A kubeconfig (kind: Config) has no metadata.name: name no resource rather than "Config/".
        resource = "" if found.doc is not None and not found.doc.name else None
        ctx.report(found.rule, found.doc if found.doc is not None else found.path, found.key, found.message,
                   pos=found.pos, resource=resource, mask=found.masks, fingerprint=found.fingerprint,
                   severity=Severity(found.severity) if found.severity else None)
