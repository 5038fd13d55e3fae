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
from .values import KeyClass, classify_key, is_reference, is_substituted, url_password

# Cheap gate over a whole text: a secret word or a URL with user info somewhere.
PREFILTER = re.compile(
    r"pass|pwd|secret|token|api[-_]?key|auth|credential|private[-_]?key|psk|salt|_key|key\b|Key\b|KEY|"
    r"://[^\s/:@]*:[^\s/@]+@",  # user info, the user may be empty (redis://:password@host)
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
_FLAG_RE = re.compile(r"(?<![\w-])--?(?P<k>[A-Za-z][\w-]{1,60})(?:=|[ \t]+)(?P<v>\"[^\"\n]*\"|'[^'\n]*'|\$\([^)\s]*\)|(?!-)[^\s\"';|&)]+)")
_ASSIGN_RE = re.compile(
    r"^\s*(?:export\s+|set\s+|readonly\s+|local\s+|declare\s+(?:-\w+\s+)?|ENV\s+|ARG\s+|-\s+)?"
    r"(?P<k>[A-Za-z_][\w.\-]{0,80})\s*(?P<op>=|:(?=\s)|:$)\s*(?P<v>.*?)\s*$"
)
_KV_RE = re.compile(r"(?:(?<=[\s;,?&])|^)(?P<k>[A-Za-z_][\w.-]{0,60})=(?P<v>\"[^\"\n]*\"|'[^'\n]*'|[^\s;,&\"']+)")
_DIRECTIVE_RE = re.compile(r"^\s*(?P<k>[A-Za-z_][\w-]{1,60})[ \t]+(?P<v>[^\s=:#;]\S*)\s*;?\s*$")
_AUTH_HEADER_RE = re.compile(
    r"(?i)(?:(?:authorization[\"']?\s*[:=]\s*[\"']?|-H\s*[\"'][\w-]*:\s*)(?P<scheme>bearer|token|basic)|"
    r"(?<![\w-])(?P<bare>bearer))\s+(?P<v>(?=[\w.~+/-]*\d)[A-Za-z0-9._~+/-]{16,}=*)(?![\w$])")
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
    # Each regex runs only where the character it needs is in the line (a JSON pair needs a quote,
    # a URL "://", a flag "-", an assignment "=" or ":"): the same pairs, without most regex calls.
    quoted, has_url, has_eq = '"' in line, "://" in line, "=" in line
    seen: set[int] = set()
    for match in _JSON_RE.finditer(line) if quoted else ():
        strength = classify_key(match.group("k"))
        seen.add(match.start("v"))
        if strength is not KeyClass.NONE:
            yield Pair(number, match.start("v"), match.group("k"), match.group("v"), "json", strength)
    for match in _URL_IN_LINE_RE.finditer(line) if has_url else ():
        password = url_password(match.group(0))
        if password:
            start = match.start() + match.group(0).index(":" + password + "@", match.group(0).index("://") + 3) + 1
            seen.add(start)
            yield Pair(number, start, "URL password", password, "url", KeyClass.STRONG)
    if seen and _JSON_RE.search(line):
        return
    for match in _FLAG_RE.finditer(line) if "-" in line else ():
        strength = classify_key(match.group("k"))
        if strength is KeyClass.NONE:
            continue
        value, offset = _unquote(match.group("v"))
        seen.add(match.start("v") + offset)
        yield Pair(number, match.start("v") + offset, match.group("k"), value, "flag", strength)
    # Authorization: Bearer <token>, curl -H "...: token <t>"
    for match in _AUTH_HEADER_RE.finditer(line) if _may_hold_auth_header(line) else ():
        seen.add(match.start("v"))
        yield Pair(number, match.start("v"), f"Authorization {match.group('scheme') or match.group('bare')}",
                   match.group("v"), "header", KeyClass.STRONG)
    match = _ASSIGN_RE.match(line) if has_eq or ":" in line else None
    if match:
        strength = classify_key(match.group("k"))
        if strength is not KeyClass.NONE and match.start("v") not in seen:
            value, offset = _unquote(match.group("v"))
            if value.startswith(("{", "[", "|", ">")) and len(value) <= 2:
                return  # a nested block follows; its own lines are read one by one
            yield Pair(number, match.start("v") + offset, match.group("k"), value, "assignment", strength)
        if strength is not KeyClass.NONE or "=" not in match.group("v"):
            return
        # ``conn = Server=db;Password=x``: the value is a connection string; read its own pairs below
    # key=value tokens: inventories, query strings, ADO strings
    for match in _KV_RE.finditer(line) if has_eq else ():
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


def _may_hold_auth_header(line: str) -> bool:
    """A superset of the lines _AUTH_HEADER_RE matches: it needs a scheme word. Outside ASCII the
    regex's case folding (``ſ``, ``K``, ``İ``) is not ``str.lower``'s, so such lines always run it."""
    if not line.isascii():
        return True
    lower = line.lower()
    return "bearer" in lower or "token" in lower or "basic" in lower


# Every PREFILTER alternative contains one of these (lower-cased): str.find runs them at memchr speed,
# where the case-insensitive alternation costs about as much per character as reading the file.
_NEEDLES = ("pass", "pwd", "secret", "token", "key", "auth", "credential", "psk", "salt", "://")
# The same needles, those that share a first letter in one search each (a literal-prefix search
# of the alternation: about 30 % less time than a str.find loop per needle on the real corpus).
_NEEDLE_SEARCHES = tuple(re.compile(p).search for p in ("p(?:ass|wd|sk)", "s(?:ecret|alt)", "token", "key", "auth",
                                                          "credential", "://"))


_LONE_CR = re.compile("\r(?!\n)|[\x85\u2028\u2029]")  # breaks other than LF and CRLF


def _odd_breaks(text: str) -> bool:
    """A line break other than LF and CRLF in ``text``. An ASCII text (``isascii`` is a flag
    lookup) can only hold a lone CR, which a CR search at memchr speed rules out first."""
    if text.isascii() and "\r" not in text:
        return False
    return _LONE_CR.search(text) is not None


def worth_reading(text: str) -> bool:
    """A cheap superset of ``PREFILTER.search(text)``: some line of ``text`` may hold a credential."""
    lower = text.lower()
    return any(needle in lower for needle in _NEEDLES)


def candidate_lines(text: str) -> Iterator[tuple[int, str]]:
    """(0-based number, text) of each line that passes the prefilter, in order, each once."""
    lower = text.lower()
    if len(lower) != len(text) or _odd_breaks(text):
        # a character whose lower case is longer (offsets would not match), or a lone carriage
        # return (a line break to the loader): read line by line with the loader's line model
        for number, line in enumerate(LINE_BREAKS.split(text)):
            if PREFILTER.search(line):
                yield number, line
        return
    # line start -> the earliest needle in that line. Each needle but "://" is a PREFILTER match by
    # itself, and the URL alternative begins with "://", so the regex (slow: a case-insensitive
    # alternation) starts there instead of at the beginning of a long line.
    starts: dict[int, int] = {}
    find = lower.find
    for needles in _NEEDLE_SEARCHES:
        match = needles(lower)
        while match is not None:
            offset = match.start()
            start = lower.rfind("\n", 0, offset) + 1
            if offset < starts.get(start, offset + 1):
                starts[start] = offset
            end = find("\n", offset)
            if end < 0:
                break
            match = needles(lower, end + 1)
    number, previous = 0, 0
    for start in sorted(starts):
        number += text.count("\n", previous, start)
        previous = start
        end = text.find("\n", start)
        line = text[start:] if end < 0 else text[start:end]
        if PREFILTER.search(line, starts[start] - start):
            yield number, line


def pairs(text: str) -> Iterator[Pair]:
    """Key/value pairs of every line of ``text`` that passes the prefilter."""
    for number, line in candidate_lines(text):
        if len(line) <= 4000:
            yield from pairs_in_line(line, number)


def credential_pairs(text: str) -> Iterator[Pair]:
    """Pairs whose value is a reference are dropped here; the caller judges the rest."""
    for pair in pairs(text):
        if pair.value and not is_reference(pair.value) and not is_substituted(pair.value):
            yield pair


# --- languages: what "a literal assigned to a credential name" means in each kind of text file ----
CONFIG, SHELL, CODE = "config", "shell", "code"
_SHELL_SUFFIXES = (".sh", ".bash", ".zsh", ".ksh", ".bats", ".envrc", ".just", ".fish")
_SHELL_NAMES = {"justfile", ".justfile", "makefile", "gnumakefile", "dockerfile", "containerfile", ".envrc"}
_CODE_SUFFIXES = (".py", ".go", ".tf", ".tofu", ".tfvars", ".hcl", ".nix", ".rb", ".js", ".mjs", ".cjs", ".ts", ".tsx",
                  ".jsx", ".lua", ".rs", ".java", ".kt", ".cs", ".php", ".pl", ".ps1", ".psm1", ".toml", ".cue",
                  ".jsonnet", ".libsonnet", ".star", ".bzl", ".groovy", ".swift", ".c", ".h", ".cpp", ".scala",
                  ".sql", ".el", ".vim", ".jq", ".rego", ".kcl", ".dhall", ".mk")
_SHEBANG_RE = re.compile(r"^#!\s*\S*?(?:/env\s+(?:-\S+\s+)*)?(?:\S*/)?(?P<prog>[\w.+-]+)")
# Suffixes a copy or a set-aside file adds to the real name (``terragrunt.hcl.cold``, ``x.sh.bak``).
_SET_ASIDE = (".cold", ".bak", ".backup", ".old", ".orig", ".disabled", ".off", ".example", ".sample", ".dist",
              ".tmpl", ".tpl", ".j2", ".jinja", ".gotmpl")


def language_of(path: str, text: str) -> str:
    """``shell``, ``code`` or ``config`` (env, INI, JSON, conf files: a key names its value)."""
    name = path.rsplit("/", 1)[-1].lower()
    while name.endswith(_SET_ASIDE) and name.count(".") > 1:
        name = name.rsplit(".", 1)[0]
    if name.endswith(_SHELL_SUFFIXES) or name in _SHELL_NAMES or name.endswith((".mk", "makefile")):
        return SHELL
    if name.endswith(_CODE_SUFFIXES):
        return CODE
    if text.startswith("#!"):
        match = _SHEBANG_RE.match(text)
        prog = match.group("prog") if match else ""
        if prog in ("sh", "bash", "zsh", "ksh", "dash", "ash", "fish", "just", "make"):
            return SHELL
        return CODE if prog else CONFIG
    return CONFIG


_EXPANDS_RE = re.compile(r"\$[{(A-Za-z_0-9@*#?!-]|`")
_CODE_TAIL_RE = re.compile(r"^\s*[,;)\]}]*\s*(?:(?:#|//|--).*)?$")
_CODE_TEMPLATE_RE = re.compile(r"\{[\w.]*\}|%[sdr]|%\(\w+\)|\$\{|\{\{")


def literal_in(line: str, pair: Pair, language: str) -> bool:
    """Whether ``pair`` is a literal string in ``language``, not a variable, a call or an expression.

    In shell a value is literal when nothing in it expands (no ``$``, backtick, ``$(``); in code only a
    quoted string literal that ends the right-hand side is (never a name, a call, an attribute access,
    a type annotation, an f-string or a format template).
    """
    value = pair.value
    if language == CONFIG:
        return True
    if _EXPANDS_RE.search(value) or value.startswith("("):
        return False
    if language == SHELL:
        return True
    if pair.how == "url":
        return not _CODE_TEMPLATE_RE.search(value)
    quote = line[pair.column - 1:pair.column] if pair.column > 0 else ""
    if quote not in ("'", '"', "`"):
        return False
    end = pair.column + len(value)
    if line[end:end + 1] != quote or not _CODE_TAIL_RE.match(line[end + 1:]):
        return False
    before = line[:pair.column - 1].rstrip()
    if before and before[-1].isalnum():  # f"...", r"...", b"...": a prefixed string
        return False
    return not _CODE_TEMPLATE_RE.search(value)
