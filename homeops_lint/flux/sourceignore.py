"""The source artifact: which files exist for Flux. source-controller's default exclusions,
``.sourceignore`` files and ``GitRepository.spec.ignore`` (gitignore syntax, domain.md §5.3 rule 5)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

from ..model import SourceFile

# source-controller's default artifact exclusions (domain.md §5.3 rule 5), in gitignore syntax.
DEFAULT_SOURCE_IGNORE = (
    ".git/", ".gitignore", ".gitmodules", ".gitattributes",
    "*.jpg", "*.jpeg", "*.gif", "*.png", "*.wmv", "*.flv", "*.tar.gz", "*.zip",
    ".github/", ".circleci/", ".travis.yml", ".gitlab-ci.yml", "appveyor.yml", ".drone.yml",
    "cloudbuild.yaml", "codeship-services.yml", "codeship-steps.yml",
    "**/.goreleaser.yml", "**/.sops.yaml", "**/.flux.yaml",
)


# --- the source artifact: which files exist for Flux ----------------------------------------
def _glob_regex(pattern: str) -> str:
    out = ""
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out += "(?:.*/)?"
            i += 3
        elif pattern.startswith("**", i):
            out += ".*"
            i += 2
        elif pattern[i] == "*":
            out += "[^/]*"
            i += 1
        elif pattern[i] == "?":
            out += "[^/]"
            i += 1
        else:
            out += re.escape(pattern[i])
            i += 1
    return out


@dataclass(frozen=True)
class _IgnoreRule:
    regex: "re.Pattern[str]"
    negate: bool
    dir_only: bool


def _ignore_rules(text: str, base: str) -> list[_IgnoreRule]:
    """gitignore-syntax lines (``.sourceignore``, ``GitRepository.spec.ignore``) relative to ``base``."""
    rules = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        negate = line.startswith("!")
        line = line[1:] if negate else line
        dir_only = line.endswith("/")
        line = line.rstrip("/")
        if not line:
            continue
        anchored = "/" in line
        line = line.lstrip("/")
        prefix = re.escape(base + "/") if base else ""
        body = _glob_regex(line)
        regex = prefix + body if anchored else prefix + "(?:.*/)?" + body
        rules.append(_IgnoreRule(re.compile(regex + "$"), negate, dir_only))
    return rules


class _IgnoreMatcher:
    """Ordered ignore rules, with one combined regex per candidate type (folder, file) that
    rejects the common case (no rule matches) in a single match, and a memo of folder verdicts
    (every file below a folder asks the same question)."""

    def __init__(self, rules: list[_IgnoreRule]) -> None:
        self.rules = rules
        self.file_rules = [rule for rule in rules if not rule.dir_only]
        self.any_dir = self._combined(rules)
        self.any_file = self._combined(self.file_rules)
        self.dir_memo: dict[str, bool] = {}

    @staticmethod
    def _combined(rules: list[_IgnoreRule]) -> "Optional[re.Pattern[str]]":
        if not rules:
            return None
        return re.compile("|".join(f"(?:{rule.regex.pattern})" for rule in rules))

    def _state(self, candidate: str, is_dir: bool) -> bool:
        """The verdict of the last rule that matches ``candidate`` (False when none does)."""
        combined = self.any_dir if is_dir else self.any_file
        if combined is None or not combined.match(candidate):
            return False
        state = False
        for rule in self.rules if is_dir else self.file_rules:
            if rule.regex.match(candidate):
                state = not rule.negate
        return state

    def dir_state(self, candidate: str) -> bool:
        state = self.dir_memo.get(candidate)
        if state is None:
            state = self.dir_memo[candidate] = self._state(candidate, True)
        return state


def _excluded(path: str, rules: "list[_IgnoreRule] | _IgnoreMatcher") -> bool:
    matcher = rules if isinstance(rules, _IgnoreMatcher) else _IgnoreMatcher(rules)
    parts = path.split("/")
    # a folder that is ignored hides everything below it; a later rule cannot re-include it
    for depth in range(1, len(parts)):
        if matcher.dir_state("/".join(parts[:depth])):
            return True
    return matcher._state(path, False)


def artifact_view(files: list[SourceFile], spec_ignore: Optional[str]) -> tuple[list[SourceFile], set[str]]:
    """The files of the Flux source artifact, and those it excludes.

    ``GitRepository.spec.ignore`` replaces the default exclusions; ``.sourceignore`` files add
    patterns relative to their folder (domain.md §5.3 rule 5).
    """
    rules = _ignore_rules(spec_ignore if spec_ignore is not None else "\n".join(DEFAULT_SOURCE_IGNORE), "")
    for source in files:
        name = source.path.rsplit("/", 1)[-1]
        if name == ".sourceignore" and source.text:
            base = source.path.rsplit("/", 1)[0] if "/" in source.path else ""
            rules.extend(_ignore_rules(source.text, base))
    kept, dropped = [], set()
    matcher = _IgnoreMatcher(rules)
    for source in files:
        if _excluded(source.path, matcher):
            dropped.add(source.path)
        else:
            kept.append(source)
    return kept, dropped


