"""Where a file sits says what it is: documentation, vendored code, a lock file, editor settings,
a folder that is not deployed, or a secret scanner's own report. The secret detectors use these to
decide how much a file's key names say (see ``rules/catalog/secret.yaml``).
"""
from __future__ import annotations

import re
from functools import lru_cache

from ..model import SourceFile
from . import sops

# A secret scanner's own output lists findings by design: never read it as secrets.
SCANNER_FILES_RE = re.compile(r"(?:^|/)(?:\.secrets\.baseline|[^/]*\.secrets\.baseline|gitleaks[-_.]?report[^/]*|"
                              r"\.gitleaks[-_]?report[^/]*|trufflehog[-_.]?(?:report|results)[^/]*)$", re.IGNORECASE)
# The ecosystem's own inline suppressions (detect-secrets, gitleaks), in any comment syntax.
# Folders whose files are not deployed: archives, vendored code, tests, examples, dev-only environments.
NOT_DEPLOYED_DIRS = {"archive", "archives", "_archive", ".archive", "archived", "attic", "deprecated", "graveyard",
                     "old", "legacy", "vendor", "vendored", "third_party", "node_modules", "site-packages",
                     "ansible_collections", "test", "tests", "testdata", "__tests__", "fixtures", "examples",
                     "example", "samples", "devenv", "coldstorage", "docs", "doc"}
VENDORED_DIRS = {"vendor", "vendored", "third_party", "third-party", "node_modules", "site-packages",
                 "ansible_collections", ".terraform"}
EDITOR_DIRS = {".vscode", ".idea", ".devcontainer", ".zed", ".fleet", ".vim", ".nvim"}
# Of those, third-party code and test or example data: its keys and tokens are the vendor's fixtures
# and documentation examples, not this repository's credentials, whatever their format.
THIRD_PARTY_DIRS = {"vendor", "vendored", "third_party", "third-party", "node_modules", "site-packages",
                    "ansible_collections", ".terraform", "test", "tests", "testdata", "__tests__", "fixtures",
                    "examples", "example", "samples"}

DOC_SUFFIXES = (".md", ".markdown", ".mdx", ".rst", ".adoc", ".asciidoc", ".txt", ".org", ".html", ".htm")
DOC_NAMES = {"readme", "license", "licence", "changelog", "notice", "authors", "contributing", "copying",
             "code_of_conduct", "security", "codeowners"}


@lru_cache(maxsize=1 << 14)  # asked by several phases for every file
def is_doc_path(path: str) -> bool:
    name = path.rsplit("/", 1)[-1].lower()
    stem = name.split(".", 1)[0]
    return name.endswith(DOC_SUFFIXES) or stem in DOC_NAMES


# Generated files whose keys are not configuration: lock files (hashes by design), minified bundles,
# source maps and drawings. Key names are not judged there; key material and known tokens are.
_GENERATED_RE = re.compile(r"(?:^|/)(?:[^/]+\.lock|[^/]+-lock\.(?:json|yaml)|go\.sum|"
                           r"[^/]+\.min\.(?:js|css)|[^/]+\.(?:js|css)\.map|[^/]+\.svg)$", re.IGNORECASE)
# Test files by their name (``bootstrap_test.go``, ``test_api.py``, ``app.spec.ts``): their values
# are fixtures, like those in a ``tests/`` folder.
_TEST_FILE_RE = re.compile(r"(?:^|/)(?:[^/]+_test\.(?:go|py|rb|exs?)|test_[^/]+\.py|conftest\.py|"
                           r"[^/]+\.(?:test|spec)\.[cm]?[jt]sx?|[^/]+_spec\.rb)$")


def is_test_file(path: str) -> bool:
    """A test source file, by the naming convention of its language's test runner."""
    return _TEST_FILE_RE.search(path) is not None


def third_party_or_test(path: str) -> bool:
    """In vendored code, a test or example folder, or a test file: what it holds is a fixture."""
    return any(part in THIRD_PARTY_DIRS for part in path.lower().split("/")[:-1]) or is_test_file(path)


# Stylesheets: their words (``@keyframes``, ``--token-color``) are selectors and properties.
_STYLESHEET_RE = re.compile(r"\.(?:css|scss|sass|less|styl)$", re.IGNORECASE)
_BLOB_MIN_SIZE = 256 * 1024


def stylesheet(path: str) -> bool:
    """A CSS, Sass, Less or Stylus file: no key in it names a credential."""
    return _STYLESHEET_RE.search(path) is not None


def encoded_blob(text: str) -> bool:
    """A large text (256 KiB or more) that is almost all encoded data: fewer than 1 % of its
    characters are spaces, quotes or colons, which every language and config format uses and
    base64 or base85 never does (get-pip.py carries pip as 2 MB of base85). A credential-like
    word in it is a coincidence of the encoding. Three counts at C speed, only for large texts."""
    if len(text) < _BLOB_MIN_SIZE:
        return False
    budget = len(text) // 100
    used = 0
    for char in (" ", '"', ":"):
        used += text.count(char)
        if used >= budget:
            return False
    return True


# A log is not deployed: what it records under a credential name is reported as a warning.
_LOG_RE = re.compile(r"\.log(?:\.\d+)?$", re.IGNORECASE)


def generated(path: str) -> bool:
    """A lock file, a minified bundle, a source map or an SVG drawing (see ``_GENERATED_RE``)."""
    return _GENERATED_RE.search(path) is not None


@lru_cache(maxsize=1 << 14)
def vendored(path: str) -> bool:
    """Third-party code copied into the repository (an Ansible collection, node_modules, a vendor
    folder): its keys and example values are the vendor's, so key names are not judged there; the
    key-material and known-token detectors still run."""
    return any(part in VENDORED_DIRS for part in path.lower().split("/")[:-1])


def editor_settings(path: str) -> bool:
    """An editor's or dev container's settings (``.vscode/settings.json``): a tool file, never deployed."""
    parts = path.lower().split("/")
    return any(part in EDITOR_DIRS for part in parts[:-1]) or parts[-1].endswith(".code-workspace")


def not_deployed(path: str) -> bool:
    """A file in an archive, vendored, test, example or dev-only folder, or set aside by its name."""
    parts = path.lower().split("/")
    return any(part in NOT_DEPLOYED_DIRS for part in parts[:-1]) or sops.is_inactive_path(path) \
        or _LOG_RE.search(path) is not None or is_test_file(path)


def gitleaks_ignored(files: list[SourceFile]) -> set[tuple[str, int]]:
    """(path, line) pairs of the ``.gitleaksignore`` fingerprints (``[commit:]path:rule:line``).

    A fingerprint names gitleaks' rule id, not ours: it suppresses whatever we find on that line.
    """
    out: set[tuple[str, int]] = set()
    for source in files:
        if source.path.rsplit("/", 1)[-1] != ".gitleaksignore" or not source.text:
            continue
        folder = source.path.rsplit("/", 1)[0] + "/" if "/" in source.path else ""
        for raw in source.text.splitlines():
            entry = raw.strip()
            if not entry or entry.startswith("#"):
                continue
            head, _, number = entry.rpartition(":")
            path, _, _rule = head.rpartition(":")
            commit, sep, rest = path.partition(":")
            if sep and re.fullmatch(r"[0-9a-f]{7,40}", commit):
                path = rest
            if path.startswith("./"):
                path = path[2:]
            if number.isdigit() and path:
                # gitleaks reports paths from where it ran (the repository root, or this file's folder)
                out.add((path if not folder or path.startswith(folder) else folder + path, int(number)))
    return out
