"""Credentials inside text: config files in ConfigMaps, scripts in Jobs, ``.env``/``.ini`` files.

One prefilter regex decides whether a text is worth reading line by line; then each line is read
as JSON pairs, a command-line flag, an assignment (``KEY=v``, ``key = v``, ``key: v``), a
space-separated directive (``requirepass v``) or a URL with a password. The key decides whether a
value is used as a credential (``values.classify_key``), the value whether it is a literal.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterator

from ..model import LINE_BREAKS
from .values import KeyClass, classify_key, is_reference, url_password

# Cheap gate over a whole text: a secret word or a URL with user info somewhere.
PREFILTER = re.compile(
    r"pass|pwd|secret|token|api[-_]?key|auth|credential|private[-_]?key|psk|salt|_key|key\b|Key\b|KEY|"
    r"://[^\s/:@]+:[^\s/@]+@",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Pair:
    """A key/value found in a line: ``column`` is the 0-based index of the value in that line."""

    line: int  # 0-based line number inside the text
    column: int
    key: str
    value: str
    how: str  # json | flag | assignment | directive | url
    strength: KeyClass


_JSON_RE = re.compile(r'"(?P<k>[^"\\\n]{1,80})"\s*:\s*"(?P<v>(?:[^"\\\n]|\\.)*)"')
_FLAG_RE = re.compile(r"(?<![\w-])--?(?P<k>[A-Za-z][\w-]{1,60})(?:=|[ \t]+)(?P<v>\"[^\"\n]*\"|'[^'\n]*'|[^\s\"';|&)]+)")
_ASSIGN_RE = re.compile(
    r"^\s*(?:export\s+|set\s+|readonly\s+|local\s+|declare\s+(?:-\w+\s+)?|ENV\s+|ARG\s+|-\s+)?"
    r"(?P<k>[A-Za-z_][\w.\-]{0,80})\s*(?P<op>=|:(?=\s)|:$)\s*(?P<v>.*?)\s*$"
)
_KV_RE = re.compile(r"(?:(?<=[\s;,?&])|^)(?P<k>[A-Za-z_][\w.-]{0,60})=(?P<v>\"[^\"\n]*\"|'[^'\n]*'|[^\s;,&\"']+)")
_DIRECTIVE_RE = re.compile(r"^\s*(?P<k>[A-Za-z_][\w-]{1,60})[ \t]+(?P<v>[^\s=:#;]\S*)\s*;?\s*$")
_URL_IN_LINE_RE = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]*://[^\s\"'<>]+")
_COMMENT_LINE_RE = re.compile(r"^\s*(?:#|//|;|--|\*|/\*|<!--|REM\b)")
_TRAILING_COMMENT_RE = re.compile(r"\s+(?:#|;|//).*$")


def _unquote(raw: str) -> tuple[str, int]:
    """(value, offset of the value inside ``raw``) without surrounding quotes, ``;`` or ``,``."""
    text = raw.rstrip().rstrip(",;")
    offset = 0
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'`":
        return text[1:-1], 1
    if text[:1] in "\"'":  # an unterminated quote: keep what follows it
        return text[1:], 1
    stripped = _TRAILING_COMMENT_RE.sub("", text)
    return stripped, offset


def pairs_in_line(line: str, number: int) -> Iterator[Pair]:
    """Every credential-shaped key/value in one line (the caller judges the values)."""
    if _COMMENT_LINE_RE.match(line):
        return
    seen: set[int] = set()
    for match in _JSON_RE.finditer(line):
        strength = classify_key(match.group("k"))
        seen.add(match.start("v"))
        if strength is not KeyClass.NONE:
            yield Pair(number, match.start("v"), match.group("k"), match.group("v"), "json", strength)
    for match in _URL_IN_LINE_RE.finditer(line):
        password = url_password(match.group(0))
        if password:
            start = match.start() + match.group(0).index(":" + password + "@", match.group(0).index("://") + 3) + 1
            seen.add(start)
            yield Pair(number, start, "URL password", password, "url", KeyClass.STRONG)
    if seen and _JSON_RE.search(line):
        return
    for match in _FLAG_RE.finditer(line):
        strength = classify_key(match.group("k"))
        if strength is KeyClass.NONE:
            continue
        value, offset = _unquote(match.group("v"))
        seen.add(match.start("v") + offset)
        yield Pair(number, match.start("v") + offset, match.group("k"), value, "flag", strength)
    match = _ASSIGN_RE.match(line)
    if match:
        strength = classify_key(match.group("k"))
        if strength is not KeyClass.NONE and match.start("v") not in seen:
            value, offset = _unquote(match.group("v"))
            if value.startswith(("{", "[", "|", ">")) and len(value) <= 2:
                return  # a nested block follows; its own lines are read one by one
            yield Pair(number, match.start("v") + offset, match.group("k"), value, "assignment", strength)
        return
    for match in _KV_RE.finditer(line):  # key=value tokens: inventories, query strings, ADO strings
        strength = classify_key(match.group("k"))
        if strength is KeyClass.NONE or match.start("v") in seen:
            continue
        value, offset = _unquote(match.group("v"))
        seen.add(match.start("v") + offset)
        yield Pair(number, match.start("v") + offset, match.group("k"), value, "assignment", strength)
    match = _DIRECTIVE_RE.match(line)
    if match and not seen:
        strength = classify_key(match.group("k"))
        if strength is KeyClass.STRONG:
            yield Pair(number, match.start("v"), match.group("k"), match.group("v"), "directive", strength)


def pairs(text: str) -> Iterator[Pair]:
    """Key/value pairs of every line of ``text`` that passes the prefilter."""
    if not PREFILTER.search(text):
        return
    for number, line in enumerate(LINE_BREAKS.split(text)):  # the loader's line model
        if len(line) > 4000 or not PREFILTER.search(line):
            continue
        yield from pairs_in_line(line, number)


def credential_pairs(text: str) -> Iterator[Pair]:
    """Pairs whose value is a reference are dropped here; the caller judges the rest."""
    for pair in pairs(text):
        if pair.value and not is_reference(pair.value):
            yield pair
