"""Judging keys and values: is this key about a credential, and is this value a literal one?

Key names alone mislead both ways (``existingSecret`` is a reference, ``requirepass`` is a
password), so a key is split into words and the *head* word decides: a secret word must be the
last word, or be followed only by words that keep its meaning (``passwordValue``). Values are
judged separately: references, names, paths, hostnames and URLs without credentials are not
credentials; everything else used as a credential is one, placeholders included.
"""
from __future__ import annotations

import hashlib
import math
import re
from enum import Enum
from functools import lru_cache
from typing import Any, Iterable, Optional


class KeyClass(Enum):
    NONE = 0
    WEAK = 1  # key-ish or auth-ish: only a high-entropy value is worth a warning
    STRONG = 2  # the value is used as a password, token or secret


_WORD_RE = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")
# Head words that make a key a credential.
_STRONG = {
    "password", "passwd", "pwd", "pass", "pw", "passphrase", "secret", "token",
    "apikey", "apitoken", "credential", "credentials", "creds", "psk", "requirepass", "masterauth",
    "htpasswd", "privatekey", "clientsecret", "secretkey", "authkey",
}
# Head words a long compound can end with (``adminpassword``, ``clientsecret``).
_STRONG_SUFFIXES = ("password", "passwd", "passphrase", "secret", "token", "apikey")
# ``DBPASS``, ``ROOTPASS``, ``SMTPPASS``: a short qualifier glued to "pass".
_PASS_COMPOUND_RE = re.compile(r"^(?:db|root|admin|user|master|smtp|mail|ldap|redis|mysql|pg|ftp|vnc|rpc|web|api|"
                               r"app|auth|bind|sql|ssh|wifi|wpa|sa|su|rcon|server)(?:pass|pw|pwd)$")
# ``<qualifier> key``: these qualifiers make ``key`` a credential.
# ("access" is not one: an S3/AWS ``access_key`` is the key *id*, the public half of the pair.)
_STRONG_KEY_QUALIFIERS = {"api", "auth", "private", "secret", "encryption", "client", "pre", "shared",
                          "signing", "master", "app", "service", "account", "license", "session",
                          "bootstrap", "join", "cluster", "hmac", "jwt", "webhook", "admin"}
_WEAK = {"key", "keys", "auth", "salt", "seed", "hmac", "cookie", "bearer", "signature", "hash", "cipher",
         "dsn", "license"}
# Words allowed after the head word without changing what the value is.
_KEEP_SUFFIX = {"value", "data", "b64", "base64", "plain", "plaintext", "raw", "string", "str", "literal"}
# Words anywhere before the head word that make the key a reference or metadata.
_NEGATIVE_PREFIX = {"existing", "checksum", "hash", "digest", "sha", "sha256", "md5", "from", "ref",
                    "use", "generate", "random", "rotate", "show", "hide", "mask", "reset", "require",
                    "min", "max", "allow", "enable", "disable", "no", "skip", "insecure", "forgot", "lost",
                    "expire", "expired", "validate", "verify", "check",
                    "per"}  # a rate or price (``input_cost_per_token``, ``requests_per_token``)


def key_words(key: str) -> list[str]:
    """``POSTGRES_PASSWORD`` -> [postgres, password]; ``apiKey`` -> [api, key]."""
    return [w.lower() for w in _WORD_RE.findall(key)]


# Every head word that makes a key a credential (_STRONG, _STRONG_SUFFIXES, _PASS_COMPOUND_RE, "key",
# _WEAK) holds one of these; a key holding none is judged at once (most keys of a manifest).
_HEAD_NEEDLES = ("pass", "pw", "secret", "token", "key", "cred", "psk", "auth", "salt", "seed", "hmac", "cookie",
                 "bearer", "signature", "hash", "cipher", "dsn", "license")


@lru_cache(maxsize=4096)
def classify_key(key: str) -> KeyClass:
    """How much a key says about its value being a credential."""
    if not isinstance(key, str) or not key or len(key) > 120:
        return KeyClass.NONE
    lower = key.lower()
    if not any(needle in lower for needle in _HEAD_NEEDLES):
        return KeyClass.NONE
    return _classify(key)


def _classify(key: str) -> KeyClass:
    """``classify_key`` without its shortcut (the tests compare the two)."""
    if not isinstance(key, str) or not key or len(key) > 120:
        return KeyClass.NONE
    if len(key.split()) >= 3 or "*" in key:
        return KeyClass.NONE  # a phrase or a pattern (``just infisical add-secret*``), not a field name
    stem = key.rsplit("/", 1)[-1]  # annotation-style keys: judge the name part
    if "." in stem and re.search(r"\.(txt|key|pem|conf|cfg|env|ini|json|yaml|yml|toml)$", stem, re.I):
        stem = stem.rsplit(".", 1)[0]  # a file named password.txt holds a password
    words = key_words(stem)
    if not words:
        return KeyClass.NONE
    if any(w in _NEGATIVE_PREFIX for w in key_words(key)[:-1]):
        return KeyClass.NONE
    head = len(words) - 1
    while head > 0 and words[head] in _KEEP_SUFFIX:
        head -= 1
    word = words[head]
    before = words[head - 1] if head > 0 else ""
    if word == "key" and before in _STRONG_KEY_QUALIFIERS:
        return KeyClass.STRONG
    if word in _STRONG or (len(word) > 8 and word.endswith(_STRONG_SUFFIXES)) or _PASS_COMPOUND_RE.match(word):
        if word == "pass" and before in ("by", "no"):
            return KeyClass.NONE
        return KeyClass.STRONG
    if word in _WEAK:
        return KeyClass.WEAK
    return KeyClass.NONE


# --- values -----------------------------------------------------------------------------------
_REFERENCE_RE = re.compile(
    r"\$\{[^}]*\}|\{\{.*?\}\}|\$\([A-Za-z_][A-Za-z0-9_]*\)|op://|ENC\[AES256_GCM|ref\+[a-z]+://|"
    r"\$__(?:file|env|vault)\{|%\{[^}]+\}|%\([A-Za-z_]\w*\)s|<%=|\bvault:[\w/]+#|secretref\+|\{\{|\$\{|"
    # secret-store and environment lookups: vault://, secret://, LiteLLM os.environ/X, komf env:X,
    # argocd-vault-plugin <path:...>, <secret:...> (sops-replacer), <<NAME>> (rendered before use)
    r"^(?:vault|secret|secrets|env|awssm|gcpsm|azkv|bw|bws|infisical)://|^os\.environ/|^env:[A-Za-z_]\w*$|"
    # opencode/crush-style {env:NAME} and {file:path} lookups
    r"^\{(?:env|file):[^}\s]+\}$|"
    r"^<(?:path|secret|vault):[^>]+>$|^<<[A-Za-z_][\w.-]*>>$|"
    r"#\{.*?\}#|\{%.*?%\}|"  # makejinja's #{ var }# and Jinja blocks
    # Caddyfile environment placeholders {$VAR} and {$VAR:default}, and its runtime {env.VAR}
    r"\{\$[A-Za-z_]\w*(?::[^}]*)?\}|\{env\.[A-Za-z_]\w*\}|"
    # a call that reads the value (Alloy's sys.env("X"), env("X"), os.getenv('X'), file("path"))
    r"^(?:[A-Za-z_]\w*\.)*[A-Za-z_]\w*\(\s*(?:\"[^\"]*\"|'[^']*')\s*\)$|"
    # a whole-value URI of a secret store or injector (azure://vault/item/field, as op:// is for
    # 1Password): any scheme but the web ones, whose paths can carry a token (webhook URLs)
    r"^(?!(?:https?|wss?)://)[a-z][a-z0-9+.-]*://[^\s@]+$"
)
# A whole value that some tool substitutes before use: ``__LITELLM_API_KEY__`` (sed), ``{MQTT_PASSWORD}``
# (Frigate), Argo CD ``$secret-name:key`` and ``$oidc.x.clientSecret``, a jq/Go path ``.Credentials.Token``.
_SUBSTITUTED_RE = re.compile(
    r"^__[A-Z][A-Z0-9_]*__$|^\{[A-Z][A-Z0-9_]*\}$|^\$[a-z][a-z0-9-]*:[\w.-]+$|^\$[a-z][\w-]*(?:\.[\w-]+)+$|"
    r"^\.[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*(?:\s*\|.*)?,?$|"
    r"^%[-+ #0-9.]*[sdvqrxif]$|^\{\d*\}$"  # printf/format placeholders: a template, filled at run time
)
# A password *hash* (crypt(3), bcrypt, argon2, htpasswd apr1): stored on purpose, not the credential.
_HASH_RE = re.compile(r"^\$(?:1|2[abxy]?|5|6|7|y|gy|apr1|argon2(?:id|i|d)|scrypt|pbkdf2[-\w]*|sha512|md5)\$\S{8,}$")
# Bitnami sealed-secrets ciphertext: "Ag" + base64 of the RSA-OAEP session key and payload.
_SEALED_RE = re.compile(r"^Ag[A-Za-z0-9+/]{300,}={0,2}$")
# Kubernetes object or Secret key names: ``tailscale-router-state``, ``app_id``, ``tls.crt``.
# Upper-case names may nest sections with a double underscore (``QUI__OIDC_CLIENT_SECRET``, the
# ASP.NET and *arr convention for environment variables).
_OBJECT_NAME_RE = re.compile(r"^(?:[a-z][a-z0-9]*(?:[-_.][a-z0-9]+)*|[A-Z][A-Z0-9]*(?:_{1,2}[A-Z0-9]+)*)$")
_WHOLE_VAR_RE = re.compile(r"^(?:![A-Za-z_]+\s+\S+|\$[A-Za-z_][A-Za-z0-9_]*|%[A-Za-z_][A-Za-z0-9_]*%|\$\{?[0-9]\}?)$")
_URL_RE = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://(?P<rest>\S*)$")
_USERINFO_RE = re.compile(r"^[^/?#@\s]*:(?P<pw>[^/?#@\s]*)@")
_HOSTNAME_RE = re.compile(r"^(?=[^A-Z]*$)(?=.*[a-z])[a-z0-9*_](?:[a-z0-9-]*[a-z0-9])?"
                          r"(?:\.[a-z0-9_](?:[a-z0-9-]*[a-z0-9])?)*\.[a-z]{2,24}\.?(?::\d{1,5})?$")
_IP_RE = re.compile(r"^(?:\d{1,3}\.){3}\d{1,3}(?::\d+)?(?:/\d+)?$|^[0-9a-fA-F:]+:[0-9a-fA-F:]*(?:/\d+)?$")
_PATH_RE = re.compile(r"^(?:/|\./|\.\./|~/|file:|[A-Za-z]:\\)|^\.?[a-z0-9_-]+(?:/[a-z0-9_.-]+)+/?$")
_NAME_SEGMENT_WORDS = {
    "password", "passwd", "pass", "pwd", "token", "secret", "secrets", "key", "keys", "username", "user",
    "credential", "credentials", "creds", "cert", "certs", "tls", "auth", "apikey", "api", "hash", "login",
    "admin", "env", "config", "db", "database", "connection", "oauth", "client", "smtp", "ssh", "jwt",
}
_KEBAB_NAME_RE = re.compile(r"^[a-z][a-z0-9]*(?:[-_.][a-z0-9]+)+$")
_K8S_REF_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?/[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?$")
_ENV_NAME_RE = re.compile(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$")
_NOT_A_VALUE = {
    "true", "false", "yes", "no", "on", "off", "none", "null", "nil", "~", "-", "disabled", "enabled",
    "auto", "generate", "generated", "random", "required", "optional", "prompt", "empty", "unset",
    "default", "ignore", "n/a", "na", "redacted", "hidden", "masked",
    "read", "write", "inherit", "read-all", "write-all",  # GitHub workflow permissions and secrets: inherit
}
_PLACEHOLDER_RE = re.compile(
    r"^(?:change[-_ .]?me\w*|changeit|replace[-_ ]?me\w*|todo|fixme|xx+|\*+|\.+|<[^>]*>|\[[^\]]*\]|"
    # a run of x with a character or two more (XXXXXXS, xxxx-1): a masked or elided value
    r"[a-z0-9]{0,2}[-_]?x{4,}[-_]?[a-z0-9]{0,2}|"
    r"your[-_ ]?\w*|example\w*|dummy\w*|test\w*|secret\w*|password\d*|passw0rd|p@ssw0rd|admin\d*|root|"
    r"placeholder\w*|pass\d*|1234\d*|123\d*|abc\d*|qwerty\w*|letmein|foo\w*|bar\w*|insecure\w*|"
    r"default\w*|sample\w*|demo\w*|guest|user|supersecret\w*|mysecret\w*|mypassword\w*|s3cr3t|"
    # a value that names what it stands for: another_pw, my-pass, some_passwd
    r"[a-z]+[-_](?:pw|pwd|pass|passwd)\d*)$",
    re.IGNORECASE,
)
# Lower-case words joined by - or _ (``llama-strix-muse``): an identifier more often than a password.
_IDENTIFIER_RE = re.compile(r"^[a-z][a-z0-9]*(?:[-_][a-z0-9]+)+$")


def fingerprint(rule: str, path: str, key_path: str) -> str:
    """A finding's stable handle for baselines, made from where it is (rule, file, key path) and
    never from the value: a hash of a value lets a guessed weak password be confirmed offline and
    links a secret reused in two places. Moving lines keeps it; rotating the value keeps it too."""
    where = "\0".join((rule, path, key_path))
    return "s:" + hashlib.sha256(where.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def has_reference(value: str) -> bool:
    return _REFERENCE_RE.search(value) is not None


def is_reference(value: str) -> bool:
    """The whole value is a reference resolved elsewhere (``${VAR}``, ``{{ .x }}``, ``op://``...)."""
    text = value.strip()
    return bool(_WHOLE_VAR_RE.match(text)) or has_reference(text)


def url_password(value: str) -> Optional[str]:
    """The password of ``scheme://user:password@host``, or None (no URL, no password)."""
    match = _URL_RE.match(value.strip())
    if not match:
        return None
    info = _USERINFO_RE.match(match.group("rest"))
    return info.group("pw") if info and info.group("pw") else None


def is_url(value: str) -> bool:
    return _URL_RE.match(value.strip()) is not None


def is_hostname(value: str) -> bool:
    text = value.strip()
    return bool(_HOSTNAME_RE.match(text) or _IP_RE.match(text))


def names_something(value: str) -> bool:
    """The value names a field, a Secret, a file or a variable rather than holding a credential."""
    text = value.strip()
    if _K8S_REF_RE.match(text):  # namespace/name of a Secret (ingress-nginx auth-secret and friends)
        return True
    if _KEBAB_NAME_RE.match(text) and text.count("-") + text.count("_") + text.count(".") <= 4:
        return any(seg in _NAME_SEGMENT_WORDS for seg in re.split(r"[-_.]", text))
    if _ENV_NAME_RE.match(text):
        return any(seg.lower() in _NAME_SEGMENT_WORDS for seg in text.split("_"))
    return False


def is_placeholder(value: str) -> bool:
    return bool(_PLACEHOLDER_RE.match(value.strip()))


def is_substituted(value: str) -> bool:
    """The whole value is a marker another tool replaces (``__X__``, ``{X}``, ``$secret:key``, ``.a.b``)."""
    return bool(_SUBSTITUTED_RE.match(value.strip()))


def is_sealed(value: str) -> bool:
    """Sealed-secrets ciphertext: only the cluster's controller can decrypt it."""
    return bool(_SEALED_RE.match("".join(value.split())))


def is_prose(value: str) -> bool:
    """A sentence (a description or usage text), not a credential: words with punctuation."""
    words = value.split()
    if len(words) < 3 or sum(1 for w in words if w.strip("(),.:;'\"").isalpha()) < 3:
        return False
    return len(words) >= 5 or any(c in value for c in "()") or ": " in value or value.rstrip().endswith(".")


def names_secret_object(key: str, value: str) -> bool:
    """Under a key that names a Secret (``githubConfigSecret``, ``CNPG_SECRET_KEY``, ``secretKey``), a
    Kubernetes object or key name (``arc-github-app``, ``REPOSITORY_TEMPLATE``) says which Secret to read."""
    words = key_words(key)
    if not any(w in ("secret", "secrets", "credential", "credentials") for w in words):
        return False
    if any(w in ("password", "passwd", "pass", "token", "passphrase", "apikey") for w in words):
        return False
    text = value.strip()
    return (bool(_OBJECT_NAME_RE.match(text)) and any(sep in text for sep in "-_.")
            and not high_entropy(text) and len(text) <= 253)


def names_key_of_secret(key: str, siblings: Iterable[Any]) -> bool:
    """``databaseUrlSecretKey`` beside ``databaseUrlSecretName``: the key names which entry of that
    Secret to read (``uri``), not a secret key."""
    if not key.lower().replace("_", "").replace("-", "").endswith("secretkey"):
        return False  # most keys: no word split needed
    words = key_words(key)
    if len(words) < 2 or words[-2:] != ["secret", "key"]:
        return False
    prefix = words[:-2]
    for other in siblings:
        if isinstance(other, str) and other != key:
            rest = key_words(other)
            if rest[:len(prefix)] == prefix and rest[len(prefix):] in (["secret", "name"], ["secret"], ["secret", "ref"]):
                return True
    return False


_DECIMAL_RE = re.compile(r"^[-+]?(?:\d*\.\d+|\d+\.\d*)(?:[eE][-+]?\d+)?$|^[-+]?\d+[eE][-+]?\d+$")
_DURATION_RE = re.compile(r"^(?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h|d|w|y))+$")
_PLAIN_WORD_RE = re.compile(r"^[a-z][a-z0-9]{0,15}$")
# Head words of keys that hold a generated key or token (never a word a person chose).
_GENERATED_HEADS = ("key", "apikey", "token", "apitoken")


def plain_word_for_generated_key(key: str, value: str) -> bool:
    """An API key or token that is one short lower-case word (``apiKey: ollama``, ``API_KEY: local``):
    the dummy a client needs for a service that checks no key. A generated key or token is never
    a plain word; a password can be (that stays an error)."""
    words = key_words(key)
    return bool(words) and words[-1].endswith(_GENERATED_HEADS) and bool(_PLAIN_WORD_RE.match(value.strip()))


def looks_like_identifier(value: str) -> bool:
    """Lower-case words joined by ``-``/``_``, or a bare number: a name, a model alias or a count
    more often than a credential. Under a credential key it is still reported, as a warning."""
    text = value.strip()
    return bool(_IDENTIFIER_RE.match(text)) and not high_entropy(text) or text.isdigit()


def literal_credential(value: object, key: str = "") -> bool:
    """True when ``value``, used where a credential goes (under ``key``), is a literal credential."""
    if not isinstance(value, str):
        return False
    if key and names_secret_object(key, value):
        return False
    text = value.strip()
    if not text or "\n" in text or len(text) > 4096:
        return False
    if text.lower() in _NOT_A_VALUE or is_reference(text) or is_substituted(text) or is_sealed(text):
        return False
    if _DURATION_RE.match(text):
        return False  # a lifetime (``access_token: 7d``, ``token_ttl: 1h30m``), not the token
    if _DECIMAL_RE.match(text):
        return False  # a fraction or an exponent (``0.0000002``, ``1e-6``): a measure, never a secret
    if not any(c.isalnum() for c in text) or is_prose(text):
        return False  # ``.+`` (a regex), ``*****`` (masked), a sentence
    if _DOTTED_PATH_RE.match(text) and not high_entropy(text.replace(".", "")):
        return False  # an attribute access or expression (Object.spec.volumes.secret{)
    if "$(" in text or _HASH_RE.match(text):
        return False  # a command substitution, or a password hash
    if text.startswith("ENC[") or _PATH_RE.match(text):
        return False
    if is_url(text):
        pw = url_password(text)
        return pw is not None and not is_reference(pw) and not is_substituted(pw)
    if is_hostname(text) or names_something(text):
        return False
    return True


# --- entropy ----------------------------------------------------------------------------------
_HEX_RE = re.compile(r"^[0-9a-fA-F]+$")
_TOKENISH_RE = re.compile(r"^[A-Za-z0-9+/=_\-.~:!@#$%^&*]+$")
_UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def shannon_entropy(text: str) -> float:
    if not text:
        return 0.0
    counts: dict[str, int] = {}
    for char in text:
        counts[char] = counts.get(char, 0) + 1
    size = len(text)
    return -sum(n / size * math.log2(n / size) for n in counts.values())


# ``Object.spec.volumes.secret{``, ``data.vault_generic_secret.x.data``: an attribute access or a CEL /
# HCL expression, never a credential.
_IDENT = r"[A-Za-z_][a-z0-9_-]*(?:[A-Z][a-z][a-z0-9_-]*)*"  # snake_case, camelCase, PascalCase words
_DOTTED_PATH_RE = re.compile(rf"^{_IDENT}(?:\.{_IDENT}){{2,}}(?:\[[^\]]*\])*[{{(\[]?$")


def high_entropy(value: object) -> bool:
    """A random-looking token: long enough, mixed, and close to its alphabet's entropy."""
    if not isinstance(value, str):
        return False
    text = value.strip()
    if len(text) < 16 or len(text) > 1024 or not _TOKENISH_RE.match(text):
        return False
    if _UUID_RE.match(text) or is_reference(text) or is_url(text) or is_hostname(text) or _PATH_RE.match(text):
        return False
    if "://" in text or _DOTTED_PATH_RE.match(text):
        return False  # a URL behind a prefix (restic's s3:http://...), an attribute path (a.b.c): no token
    if not (re.search(r"[0-9]", text) and re.search(r"[A-Za-z]", text)):
        return False
    entropy = shannon_entropy(text)
    if _HEX_RE.match(text):
        return len(text) >= 20 and entropy >= 3.0
    return entropy >= 3.7
