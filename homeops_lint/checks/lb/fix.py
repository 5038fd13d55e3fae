"""Fixers of the lb- rules (framework: ``homeops_lint/fix.py``).

| fix | safe when | unsafe when |
|---|---|---|
| rename `io.cilium/lb-ipam-ips` to `lbipam.cilium.io/ips` | the new key is absent (Cilium >= 1.15 reads both, new first) | no pool uses `spec.blocks` but one uses `spec.cidrs` (maybe Cilium < 1.15, which reads only the old key) |
| drop `io.cilium/lb-ipam-ips` beside `lbipam.cilium.io/ips` | both hold the same value | the values differ (Cilium ignores the old one, but the author meant something) |
| quote `allowFirstLastIPs` | the plain token is already `Yes` or `No` | it is another boolean spelling (`yes`, `off`, `true`, ...) that must become `"Yes"`/`"No"` |
"""
from __future__ import annotations

from typing import Any, Iterable

from ...fix import DeleteLine, Fix, Replace, token_at, unquote
from ...model import Document, KeyPath, Map, Seq, iter_nodes

OLD_IPS = "io.cilium/lb-ipam-ips"
NEW_IPS = "lbipam.cilium.io/ips"
YES_NO = {"yes": "Yes", "y": "Yes", "true": "Yes", "on": "Yes",
          "no": "No", "n": "No", "false": "No", "off": "No"}


def _annotation_maps(doc: Document) -> Iterable[tuple[KeyPath, Map]]:
    """Every mapping held under a key named like ``annotations`` (metadata, Helm values, ...)."""
    for path, node, _parent in iter_nodes(doc.data):
        if isinstance(node, Map) and path and isinstance(path[-1], str) and path[-1].lower().endswith("annotations"):
            yield path, node


def _old_cilium(index: Any) -> bool:
    """True when the repo's pools look like Cilium < 1.15 (``cidrs`` only, no ``blocks``)."""
    pools = index.all_of_kind("CiliumLoadBalancerIPPool")
    has_blocks = any(isinstance(p.get("spec", "blocks"), list) for p in pools)
    has_cidrs = any(isinstance(p.get("spec", "cidrs"), list) for p in pools)
    return has_cidrs and not has_blocks


def fix_lb_annotation(doc: Document, source: Any, index: Any) -> list[Fix]:
    out: list[Fix] = []
    old_cilium = None
    for path, node in _annotation_maps(doc):
        if OLD_IPS not in node:
            continue
        kpos, vpos = node.key_pos(OLD_IPS), node.value_pos(OLD_IPS)
        line = source.line_text(kpos.line)
        token = token_at(line, kpos.column)
        if unquote(token) != OLD_IPS:
            continue
        if NEW_IPS not in node:
            if old_cilium is None:
                old_cilium = _old_cilium(index)
            new_token = token.replace(OLD_IPS, NEW_IPS)
            out.append(Fix(doc.path, kpos.line, "lb-annotation-rename",
                           f"rename the deprecated {OLD_IPS} annotation to {NEW_IPS}", not old_cilium,
                           (Replace(kpos.line, kpos.column, token, new_token),),
                           ((doc.index, path, "rename", (OLD_IPS, NEW_IPS)),)))
            continue
        # Both spellings: Cilium reads the new key first, so the old one is dead weight.
        old_value, new_value = node.get(OLD_IPS), node.get(NEW_IPS)
        if isinstance(old_value, (Map, Seq)) or vpos.line != kpos.line or not _single_line_entry(source, kpos):
            continue
        same = _ips(old_value) == _ips(new_value)
        description = (f"drop {OLD_IPS}: {NEW_IPS} is set to the same addresses" if same else
                       f"drop {OLD_IPS}: Cilium reads {NEW_IPS} first, so its different value is ignored")
        out.append(Fix(doc.path, kpos.line, "lb-annotation-rename", description, same,
                       (DeleteLine(kpos.line),), ((doc.index, path, "delete", OLD_IPS),)))
    return out


def _ips(value: Any) -> frozenset[str]:
    return frozenset(part.strip() for part in str(value).split(",") if part.strip())


def _single_line_entry(source: Any, kpos: Any) -> bool:
    """The key's line holds the whole entry: the next line is not indented deeper (no continuation)."""
    line = source.line_text(kpos.line)
    if line[: kpos.column - 1].strip():  # a flow mapping or a '- key:' item: not a line of its own
        return False
    following = source.line_text(kpos.line + 1)
    if not following.strip():
        return True
    return len(following) - len(following.lstrip(" ")) <= kpos.column - 1


def fix_allow_first_last(doc: Document, source: Any, index: Any) -> list[Fix]:
    if doc.kind != "CiliumLoadBalancerIPPool":
        return []
    spec = doc.get("spec")
    if not isinstance(spec, Map) or "allowFirstLastIPs" not in spec:
        return []
    vpos = spec.value_pos("allowFirstLastIPs")
    token = token_at(source.line_text(vpos.line), vpos.column)
    if not token:
        return []
    quoted = token[0] in "'\""
    text = unquote(token)
    if text in ("Yes", "No"):
        if quoted:
            return []
        return [Fix(doc.path, vpos.line, "lb-pool-allow-first-last-quote",
                    f'quote allowFirstLastIPs: {text} -> "{text}" (Kubernetes reads a plain {text} as a boolean)',
                    True, (Replace(vpos.line, vpos.column, token, f'"{text}"'),),
                    ((doc.index, ("spec",), "set", ("allowFirstLastIPs", text)),))]
    wanted = YES_NO.get(text.lower())
    if wanted is None:
        return []
    return [Fix(doc.path, vpos.line, "lb-pool-allow-first-last-quote",
                f'allowFirstLastIPs: {token} -> "{wanted}" (the field is the string enum "Yes"/"No")',
                False, (Replace(vpos.line, vpos.column, token, f'"{wanted}"'),),
                ((doc.index, ("spec",), "set", ("allowFirstLastIPs", wanted)),))]
