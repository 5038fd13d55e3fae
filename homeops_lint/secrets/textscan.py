"""High-confidence detectors over raw text: they run on every text file, docs included.

- PEM private keys (``-----BEGIN ... PRIVATE KEY-----`` with a real body) and base64-encoded PEM
  (``LS0tLS1CRUdJTi...``, as in kubeconfig ``client-key-data`` and talosconfig ``key``).
- 1Password Connect credentials files (``1password-credentials.json``, plain or base64).
- Known token formats, through detect-secrets' own detectors. detect-secrets costs about 0.25 s to
  import and far more to run on every line, so one compiled prefilter regex (a superset of the
  formats) runs over the whole text first; detect-secrets sees only the lines it matched, with its
  process-global settings configured explicitly for exactly these plugins.
"""
from __future__ import annotations

import base64
import binascii
import re
from bisect import bisect_right
from dataclasses import dataclass
from typing import Iterator, Optional

from ..model import LINE_BREAKS, line_starts
from .values import shannon_entropy

# detect-secrets plugins for formats with a fixed shape. Keyword, entropy, basic-auth, IP and the
# keyword-driven vendor plugins (Cloudant, IBM, SoftLayer) are left out: the Kubernetes-aware rules
# judge keys and values with their context instead.
TOKEN_PLUGINS = (
    "ArtifactoryDetector", "AWSKeyDetector", "AzureStorageKeyDetector", "DiscordBotTokenDetector",
    "GitHubTokenDetector", "GitLabTokenDetector", "JwtTokenDetector", "MailchimpDetector", "NpmDetector",
    "OpenAIDetector", "PypiTokenDetector", "SendGridDetector", "SlackDetector", "SquareOAuthDetector",
    "StripeDetector", "TelegramBotTokenDetector", "TwilioKeyDetector",
)
# detect-secrets filters that apply to fixed-format tokens (placeholders, sequences, templates).
TOKEN_FILTERS = (
    "detect_secrets.filters.heuristic.is_sequential_string",
    "detect_secrets.filters.heuristic.is_potential_uuid",
    "detect_secrets.filters.heuristic.is_templated_secret",
    "detect_secrets.filters.heuristic.is_prefixed_with_dollar_sign",
)

# A superset of every TOKEN_PLUGINS pattern, one literal-anchored regex per format (the reference;
# the tests compare the grouped prefilters below against it). No match of any of them spans a line
# break, so a candidate line is found whichever of them matches first on it.
TOKEN_FORMATS = (
    r"(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}",  # AWS
    r"AccountKey=",  # Azure storage
    r"gh[pousr]_[A-Za-z0-9_]{36}",  # GitHub
    r"gl(?:pat|dt|ft|soat|rt|cbt|imt)-", r"GR1348941",  # GitLab
    r"eyJ[A-Za-z0-9_=-]{4,}\.[A-Za-z0-9_=-]",  # JWT
    r"-us[0-9](?<=[0-9a-z]{32}-us[0-9])",  # Mailchimp
    r"/:_authToken=",  # npm
    r"T3BlbkFJ",  # OpenAI
    r"pypi-AgE",  # PyPI
    r"SG\.[A-Za-z0-9_-]{22}\.",  # SendGrid
    r"xox[abposr]-", r"hooks\.slack\.com/services/",  # Slack
    r"sq0csp-",  # Square
    r"k_live_(?<=[rs]k_live_)",  # Stripe
    r"AC[a-z0-9]{32}", r"SK[a-z0-9]{32}",  # Twilio
    r":(?<=[0-9]{8}:)[0-9A-Za-z_-]{35}",  # Telegram
    r"\.[A-Za-z0-9_-]{6}\.[A-Za-z0-9_-]{27}(?<=[MNO][A-Za-z0-9_-]{23}\.[A-Za-z0-9_-]{6}\.[A-Za-z0-9_-]{27})",  # Discord
    # Artifactory, with detect-secrets' own boundaries (not inside base64 ciphertext)
    r"A(?<![^\s=:\"]A)(?:KC[a-zA-Z0-9]{10,}|P[0-9A-F][a-zA-Z0-9]{8,})(?=[\s\"]|$)",
)
# The same formats, grouped by the literal character each match starts with (rewritten to start
# at a shared character where needed, the rest checked by a lookbehind): Python's re has no
# multi-literal search, and an alternation whose branches start with different characters tries
# nearly every position (2.5 to 6 times slower than one pass per format), but one whose branches
# share their first character runs a single literal scan. Nine passes instead of twenty: about
# 45 % less time on the real corpus.
TOKEN_PREFILTERS = tuple(re.compile("|".join(f"(?:{branch})" for branch in group)) for group in (
    # A: AWS, Azure storage, Twilio account SID, Artifactory
    (r"(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}", r"AccountKey=", r"AC[a-z0-9]{32}",
     r"A(?<![^\s=:\"]A)(?:KC[a-zA-Z0-9]{10,}|P[0-9A-F][a-zA-Z0-9]{8,})(?=[\s\"]|$)"),
    (r"SG\.[A-Za-z0-9_-]{22}\.", r"SK[a-z0-9]{32}"),  # S: SendGrid, Twilio key
    (r"gh[pousr]_[A-Za-z0-9_]{36}", r"gl(?:pat|dt|ft|soat|rt|cbt|imt)-"),  # g: GitHub, GitLab
    # -: Mailchimp, PyPI, Slack token, Square
    (r"-us[0-9](?<=[0-9a-z]{32}-us[0-9])", r"-(?<=pypi-)AgE", r"-(?<=xox[abposr]-)", r"-(?<=sq0csp-)"),
    # .: Slack webhook, Discord
    (r"\.(?<=hooks\.)slack\.com/services/",
     r"\.[A-Za-z0-9_-]{6}\.[A-Za-z0-9_-]{27}(?<=[MNO][A-Za-z0-9_-]{23}\.[A-Za-z0-9_-]{6}\.[A-Za-z0-9_-]{27})"),
    (r":(?<=/:)_authToken=", r":(?<=[0-9]{8}:)[0-9A-Za-z_-]{35}"),  # :: npm, Telegram
    (r"J(?<=eyJ)[A-Za-z0-9_=-]{4,}\.[A-Za-z0-9_=-]",),  # J: JWT (a rarer character than its "e")
    (r"3(?<=T3)BlbkFJ", r"3(?<=GR13)48941"),  # 3: OpenAI, GitLab runner
    (r"k_live_(?<=[rs]k_live_)",),  # k: Stripe
))


def token_candidates(text: str) -> Iterator[int]:
    """Offsets where a known token format could start (the lines worth a detect-secrets scan)."""
    for pattern in TOKEN_PREFILTERS:
        for match in pattern.finditer(text):
            yield match.start()


def b64_variants(needle: bytes) -> list[str]:
    """The base64 text that ``needle`` becomes at each of the three byte alignments."""
    out = []
    for pad in range(3):
        encoded = base64.b64encode(b"\0" * pad + needle).decode()
        start = (0, 2, 3)[pad]  # characters that also encode the padding bytes
        end = len(encoded) - 4
        out.append(encoded[start:end])
    return out


_B64_MARKERS = [re.escape(v) for needle in (b"PRIVATE KEY-----", b'"encCredentials"') for v in b64_variants(needle)]
# PEM headers, base64 of them, and the 1Password Connect credentials marker: one regex.
KEY_PREFILTER = re.compile(r"-----BEGIN[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|\"encCredentials\"|"
                           + "|".join(_B64_MARKERS))
_PEM_RE = re.compile(
    r"-----BEGIN (?P<kind>[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?)-----(?P<body>(?:.|\n){0,20000}?)"
    r"-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----"
)
_PEM_BODY_CHARS = re.compile(r"[A-Za-z0-9+/=]")
# One unambiguous split of the line (base64 runs, one whitespace between): linear time on a
# long line that does not match, where "(?:[...]+\s?)+" backtracks exponentially.
_PEM_BODY_LINE = re.compile(r"^[A-Za-z0-9+/=]+(?:\s[A-Za-z0-9+/=]+)*\s?$")
_B64_TOKEN_RE = re.compile(r"[A-Za-z0-9+/=_-]{40,}")
_LINE_KEY_RE = re.compile(r"^\s*(?:-\s+|export\s+)?[\"']?(?P<key>[A-Za-z0-9_.\-/]{1,80})[\"']?\s*(?::(?!//)|=)")


@dataclass(frozen=True)
class Hit:
    """A detector match: ``start``/``end`` are offsets of the secret in the text."""

    detector: str  # rule id
    kind: str  # what was found, for the message (e.g. "RSA PRIVATE KEY", "GitHub Token")
    start: int
    end: int
    secret: str  # the secret as it appears in the text (for masking and the fingerprint)


class Lines:
    """Offsets <-> 1-based lines of one text, built on first use; lines are broken as the YAML
    loader and ``SourceFile.line_text`` break them (``\\r``, ``\\n``, ``\\r\\n``, NEL, LS, PS)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._starts: Optional[list[int]] = None

    @property
    def starts(self) -> list[int]:
        if self._starts is None:
            self._starts = line_starts(self.text)
        return self._starts

    def line_of(self, offset: int) -> int:
        return bisect_right(self.starts, offset)

    def column_of(self, offset: int) -> int:
        return offset - self.starts[self.line_of(offset) - 1] + 1

    def line_text(self, line: int) -> str:
        starts = self.starts
        begin = starts[line - 1]
        if line < len(starts):
            match = LINE_BREAKS.match(self.text, starts[line] - 2 if starts[line] - 2 >= begin else starts[line] - 1)
            end = match.start() if match and match.end() == starts[line] else starts[line] - 1
        else:
            end = len(self.text)
        return self.text[begin:end]

    def key_on_line(self, line: int) -> str:
        match = _LINE_KEY_RE.match(self.line_text(line))
        return match.group("key") if match else ""


def _real_body(body: str) -> bool:
    """A PEM body with real key material, not ``...`` or ``<your key here>``."""
    lines = [ln.strip().strip("\\n\"',") for ln in re.split(r"\\n|\n", body)]
    lines = [ln for ln in lines if ln and ":" not in ln]
    if any(not _PEM_BODY_LINE.match(ln) for ln in lines):
        return False  # code between the markers (``echo "-----BEGIN..."; cat key | sed ...``), not a body
    material = "".join(lines)
    chars = len(_PEM_BODY_CHARS.findall(material))
    return chars >= 40 and shannon_entropy(material) > 4.0


def decode_b64(token: str) -> bytes:
    cleaned = token.replace("-", "+").replace("_", "/")
    cleaned = cleaned[: len(cleaned) - len(cleaned) % 4] if "=" not in cleaned else cleaned
    try:
        return base64.b64decode(cleaned + "=" * (-len(cleaned) % 4), validate=False)
    except (binascii.Error, ValueError):
        return b""


def key_hits(text: str) -> Iterator[Hit]:
    """PEM private keys (plain or base64) and 1Password Connect credentials in ``text``."""
    if not KEY_PREFILTER.search(text):
        return
    for match in _PEM_RE.finditer(text):
        if _real_body(match.group("body")):
            yield Hit("secret-private-key", match.group("kind"), match.start(), match.end(), match.group(0))
    for match in _B64_TOKEN_RE.finditer(text):
        token = match.group(0)
        if not KEY_PREFILTER.search(token):
            continue
        decoded = decode_b64(token).decode("utf-8", "replace")
        pem = _PEM_RE.search(decoded)
        if pem and _real_body(pem.group("body")):
            yield Hit("secret-private-key", f"base64-encoded {pem.group('kind')}", match.start(),
                      match.end(), token)
        elif '"encCredentials"' in decoded:
            yield Hit("secret-known-token", "base64-encoded 1Password Connect credentials file",
                      match.start(), match.end(), token)
    start = text.find('"encCredentials"')
    if start >= 0 and ("deviceUuid" in text or "uniqueKey" in text or "verifier" in text):
        # The whole JSON object is the secret; mask every line of it.
        begin = text.rfind("{", 0, start)
        end = text.find("}\n", start)
        span = text[max(begin, 0): end + 1 if end > 0 else len(text)]
        yield Hit("secret-known-token", "1Password Connect credentials file", start, start + 16, span)


@dataclass
class TokenScanner:
    """Runs detect-secrets on candidate lines only; import and settings are paid once, lazily."""

    lines_scanned: int = 0
    _settings: object = None
    _scan_line: object = None
    _patterns: Optional[dict[str, list["re.Pattern[str]"]]] = None

    def _ensure(self) -> None:
        if self._scan_line is not None:
            return
        import logging

        from detect_secrets.core.scan import scan_line
        from detect_secrets.settings import transient_settings

        # detect-secrets logs skipped secrets at INFO level; keep its loggers quiet whatever the
        # host application configured, so nothing it says can reach stderr with a value in it.
        for name in list(logging.root.manager.loggerDict):
            if name.startswith("detect_secrets"):
                logging.getLogger(name).setLevel(logging.CRITICAL)
        # Its settings are process-global and have no plugins by default: set exactly ours.
        manager = transient_settings({
            "plugins_used": [{"name": name} for name in TOKEN_PLUGINS],
            "filters_used": [{"path": path} for path in TOKEN_FILTERS],
        })
        manager.__enter__()
        self._settings = manager
        self._scan_line = scan_line

    def close(self) -> None:
        if self._settings is not None:
            self._settings.__exit__(None, None, None)  # type: ignore[attr-defined]
            self._settings = None
            self._scan_line = None

    def hits(self, text: str, lines: Lines) -> Iterator[Hit]:
        candidate_lines = sorted({lines.line_of(offset) for offset in token_candidates(text)})
        for number in candidate_lines:
            line = lines.line_text(number)
            if len(line) > 20000:
                continue
            self._ensure()
            self.lines_scanned += 1
            for potential in self._scan_line(line):  # type: ignore[operator]
                for column, secret in self._spans(line, str(potential.type), str(potential.secret_value or "")):
                    if _placeholder_token(secret):
                        continue
                    start = lines.starts[number - 1] + column
                    yield Hit("secret-known-token", str(potential.type), start, start + len(secret), secret)

    def _spans(self, line: str, secret_type: str, value: str) -> Iterator[tuple[int, str]]:
        """The whole token: detect-secrets reports a pattern's first group (``ghp`` for GitHub)."""
        if self._patterns is None:
            from detect_secrets.settings import get_plugins

            self._patterns = {p.secret_type: list(getattr(p, "denylist", ())) for p in get_plugins()}
        seen = False
        for pattern in self._patterns.get(secret_type, ()):
            for match in pattern.finditer(line):
                end = match.end()
                if secret_type == "JSON Web Token":
                    # detect-secrets' JWT pattern ends lazily after the second dot: the token runs on
                    # through its signature, and all three parts are the secret.
                    end = _JWT_TAIL.match(line, end).end()  # type: ignore[union-attr]
                token = line[match.start():end].strip(" \t\"'").lstrip("=:").strip(" \t\"'")
                if value and value in token and token:
                    seen = True
                    yield line.find(token, match.start()), token
        if not seen and value and len(value) >= 8 and value in line:
            yield line.find(value), value


_JWT_TAIL = re.compile(r"[A-Za-z0-9_.+/=-]*")


def _placeholder_token(secret: str) -> bool:
    """Documentation examples: AWS's ...EXAMPLE keys, xxxx-filled or low-diversity tokens."""
    if "EXAMPLE" in secret or "example" in secret:
        return True
    body = re.sub(r"^[A-Za-z]{2,8}[_-]", "", secret)
    return len(set(body)) < 8 or shannon_entropy(body) < 3.0
