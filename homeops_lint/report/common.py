"""What every reporter shares: the finding dictionary, masking and the summary counts."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Optional

from ..model import Finding, Severity

if TYPE_CHECKING:
    from ..engine import Result

MASK = "********"


@dataclass(frozen=True)
class ReportOptions:
    color: bool = False
    quiet: bool = False
    statistics: bool = False
    show_source: bool = True


def mask_text(text: str, masks: tuple[str, ...]) -> str:
    """Hide every secret fragment in ``text``; multi-line secrets are hidden line by line.

    Reporters show source lines with tabs expanded, so tab variants are hidden too. A fragment is
    hidden where it stands alone (not inside a longer word, name or hostname): a password
    ``authelia`` is hidden on its source line, while a message naming ``authelia-config`` is left
    intact, which would otherwise hint at the value.
    """
    fragments: set[str] = set()
    for secret in masks:
        for part in str(secret).splitlines():
            part = part.strip()
            if len(part) >= 3:
                fragments.update((part, part.replace("\t", " ")))
    for fragment in sorted(fragments, key=len, reverse=True):
        if fragment in text:
            text = re.sub(r"(?<![\w.-])" + re.escape(fragment) + r"(?![\w.-])", MASK, text)
    return text


# A value under a key that names a credential (password, token, client secret, API key...; also an
# annotation-style ``example.com/password``) is hidden on printed source lines even when no secret
# rule ran (e.g. --select lb-): a snippet shown for another rule must never be the way a secret leaks.
_SECRET_ASSIGNMENT = re.compile(
    r"""^(?P<lead>\s*(?:-\s+)?["']?[\w./-]*?(?:pass(?:word|wd|phrase)?|secret|token|api[_-]?key|private[_-]?key|"""
    r"""access[_-]?key|auth[_-]?key|client[_-]?key|credentials?)["']?\s*[:=]\s*)(?P<value>\S.*?)\s*$""",
    re.IGNORECASE,
)
_REFERENCE = re.compile(r"^(?:[\"']?(?:\$\{|\{\{|ENC\[|op://|!|\||>|&|\*|\[\]|\{\}|\"\"|''|~|null\b|true\b|false\b))")


# user:password@ in a URL (a connection string under any key).
_URL_CREDENTIALS = re.compile(r"(\b[a-z][a-z0-9+.-]*://[^\s:/@]*:)(?!\$\{|\{\{)[^\s@/]+@", re.IGNORECASE)
# Keys whose value names a secret rather than holding one (existingSecret, secretName, *SecretRef,
# passwordFile, tokenPath, ...): their values stay visible.
_REFERENCE_KEY = re.compile(r"(?i)^(?:[\w./-]*/)?(?:existing[\w.-]*|[\w.-]*(?:name|ref|file|path|env|key(?:ref|name)|selector)s?)$")


# A line's leading key (``key:`` or ``KEY=``): masking hides values, never the key naming them.
_LEAD_KEY = re.compile(r"""^\s*(?:-\s+)?["']?[A-Za-z_][\w.-]{0,63}["']?(?:\s*:(?=\s|$)|=(?!=))\s*""")


def mask_line(text: str, masks: tuple[str, ...]) -> str:
    """A source line as reporters may print it: known secret values and credential-looking
    assignments hidden, key names left readable."""
    lead = _LEAD_KEY.match(text)
    if lead and lead.end() < len(text):
        text = text[:lead.end()] + mask_text(text[lead.end():], masks)
    else:
        text = mask_text(text, masks)
    text = _URL_CREDENTIALS.sub(lambda m: m.group(1) + MASK + "@", text)
    match = _SECRET_ASSIGNMENT.match(text) or _credential_assignment(text)
    if match and not _REFERENCE.match(match.group("value")) and match.group("value") != MASK:
        key = re.sub(r"^[\s\"'-]+|[\"'\s:=]+$", "", match.group("lead"))
        if not _REFERENCE_KEY.match(key) and not match.group("value").startswith("#"):
            text = match.group("lead") + MASK
    return text


_ANY_ASSIGNMENT = re.compile(r"""^(?P<lead>\s*(?:-\s+)?["']?(?P<key>[\w./-]{1,120})["']?\s*(?::(?=\s)|=)\s*)"""
                             r"""(?P<value>\S.*?)\s*$""")


def _credential_assignment(text: str) -> Optional["re.Match[str]"]:
    """A ``key: value`` line whose key the secret rules' key classifier calls a credential
    (``secretKey``, ``example.com/secretkey``, ``DBPASS``), or key-ish with a random-looking value."""
    match = _ANY_ASSIGNMENT.match(text)
    if not match:
        return None
    from ..secrets.values import KeyClass, classify_key, high_entropy

    strength = classify_key(match.group("key"))
    value = match.group("value").strip("\"'")
    if strength is KeyClass.STRONG or (strength is KeyClass.WEAK and high_entropy(value)):
        return match
    return None


def source_line(result: Result, finding: Finding) -> str:
    """The finding's source line, tabs expanded and every secret of its file masked."""
    source = result.index.file(finding.path) if hasattr(result.index, "file") else None
    if source is None:
        return ""
    text = source.line_text(finding.line)
    if not text:
        return ""
    return mask_line(text.replace("\t", " "), tuple(finding.mask) + result.masks_for(finding.path))


def mask_message(result: Optional[Result], finding: Finding) -> str:
    """The finding's message with every secret of its file hidden (a declarative rule's
    ``{value}``, another rule's wording), key names left readable."""
    masker = getattr(result, "masker", None)
    return masker.message(finding) if masker is not None else mask_text(finding.message, finding.mask)


def finding_dict(finding: Finding, result: Optional[Result] = None) -> dict[str, Any]:
    return {
        "rule": finding.rule,
        "severity": finding.severity.value,
        "path": finding.path,
        "line": finding.line,
        "column": finding.column,
        "message": mask_message(result, finding),
        "resource": finding.resource or None,
        "key": finding.key or None,
    }


def summary(result: Result) -> dict[str, Any]:
    findings = result.findings
    return {
        "errors": sum(1 for f in findings if f.severity == Severity.ERROR),
        "warnings": sum(1 for f in findings if f.severity == Severity.WARNING),
        "info": sum(1 for f in findings if f.severity == Severity.INFO),
        "suppressed": len(result.suppressed),
        "files": len(result.index.files),
        "documents": sum(len(f.documents) for f in result.index.files),
    }


def statistics(findings: list[Finding]) -> list[tuple[str, str, int]]:
    counts: dict[tuple[str, str], int] = {}
    for finding in findings:
        key = (finding.rule, finding.severity.value)
        counts[key] = counts.get(key, 0) + 1
    return sorted(((r, s, n) for (r, s), n in counts.items()), key=lambda t: (-t[2], t[0]))


def repo_prefix(result: Result) -> str:
    """The linted root's folder inside its git work tree ("" at the top, else "sub/dir/").

    CI annotations (SARIF, GitHub, GitLab) resolve paths against the repository checkout, which is
    not the linted root when the policy lives in a subfolder.
    """
    from pathlib import Path

    root = Path(result.root).absolute()
    for folder in (root, *root.parents):
        if (folder / ".git").exists():
            rel = root.relative_to(folder).as_posix()
            return "" if rel == "." else rel + "/"
    return ""
