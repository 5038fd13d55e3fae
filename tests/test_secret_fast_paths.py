"""The secret scanner's fast paths give exactly what their plain definitions give.

The scanner reads every text file of a repository, so its hot loops take short cuts: ``str.split``
instead of the line-break regex where only LF occurs, and a prefilter search that starts near the
first secret word of a line instead of at its beginning. Each short cut is checked here against
the definition it replaces, on text built from the pieces that make the cases differ.
"""
from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from homeops_lint.model import LINE_BREAKS, line_starts, split_lines
from homeops_lint.secrets.embedded import PREFILTER, candidate_lines

from .test_properties import EXAMPLES

PIECES = ["a", "Z", " ", "=", ":", "_", "-", "/", "@", "\n", "\r\n", "\r", "\x85", "\u2028", "\u2029", "é", "ß",
          "İ", "pass", "PASS", "pwd", "secret", "Token", "key", "KEY", "Key", "keyboard", "monkey", "api-key",
          "private_key", "PRIVATE-KEY", "auth", "credential", "psk", "salt", "://", "://user:pw@host",
          "https://h/x", "x" * 40]
texts = st.lists(st.sampled_from(PIECES), max_size=60).map("".join)
PROPERTY = settings(max_examples=EXAMPLES, deadline=None, database=None)


@PROPERTY
@given(text=texts)
def test_split_lines_is_the_line_break_regex(text: str) -> None:
    assert split_lines(text) == LINE_BREAKS.split(text)
    assert len(line_starts(text)) == len(split_lines(text))


@PROPERTY
@given(text=texts)
def test_candidate_lines_are_the_lines_the_prefilter_matches(text: str) -> None:
    lone_break = re.search("\r(?!\n)|[\x85\u2028\u2029]", text) or len(text.lower()) != len(text)
    # Where only LF and CRLF break lines, a line keeps its CR (the scanner's historical cut).
    lines = LINE_BREAKS.split(text) if lone_break else text.split("\n")
    expected = [(number, line) for number, line in enumerate(lines) if PREFILTER.search(line)]
    assert list(candidate_lines(text)) == expected


def test_a_long_line_is_searched_from_its_first_secret_word() -> None:
    text = "x" * 5000 + " private_key=abc\nnothing here\n" + "y" * 300 + "://u:p@h\n"
    assert [number for number, _line in candidate_lines(text)] == [0, 2]


KEY_PIECES = ["db", "root", "admin", "api", "client", "private", "existing", "from", "by", "no", "access", "x",
              "password", "passwd", "pass", "pw", "pwd", "secret", "token", "key", "keys", "cred", "creds",
              "credentials", "psk", "auth", "salt", "seed", "hmac", "cookie", "bearer", "signature", "hash", "cipher",
              "dsn", "license", "value", "data", "b64", "name", "ref", "PASSWORD", "Secret", "KEY", "Token", "İ",
              "Σ", "_", "-", ".", "/", " ", "*", ".txt", ".pem", "0"]
keys = st.lists(st.sampled_from(KEY_PIECES), min_size=1, max_size=6).map("".join)


@PROPERTY
@given(key=keys)
def test_classify_key_shortcut_gives_the_full_judgement(key: str) -> None:
    from homeops_lint.secrets.values import _classify, classify_key

    assert classify_key(key) is _classify(key)


def test_every_credential_head_word_holds_a_needle() -> None:
    from homeops_lint.secrets import values

    words = {*values._STRONG, *values._STRONG_SUFFIXES, *values._WEAK, "key", "dbpass", "rootpw", "sapwd"}
    assert all(any(needle in word for needle in values._HEAD_NEEDLES) for word in words)


TOKEN_PIECES = ["AKIA", "A3TX", "ASIA", "AccountKey=", "AC", "SK", "SG.", "ghp_", "gho_", "glpat-", "glcbt-", "GR1348941",
                "eyJ", "-us1", "/:_authToken=", "T3BlbkFJ", "pypi-AgE", "xoxb-", "xoxz-", "hooks.slack.com/services/",
                "sq0csp-", "sk_live_", "rk_live_", "k_live_", "12345678:", "1234567:", "M", "N", "O", "AKC", "AP1",
                "APZ", ".", "-", ":", "=", '"', " ", "\n", "/", "_", "e", "3", "T3", "GR13",
                *("a" * n for n in (4, 6, 10, 16, 23, 27, 32)), *("Z9" * n for n in (3, 8, 11, 16, 18)),
                *("0" * n for n in (8, 16, 32)), "aB3_-" * 5, "f00d" * 8]
token_texts = st.lists(st.sampled_from(TOKEN_PIECES), max_size=40).map("".join)


@PROPERTY
@given(text=token_texts)
def test_grouped_token_prefilters_find_the_lines_of_every_format(text: str) -> None:
    from homeops_lint.secrets.textscan import TOKEN_FORMATS, TOKEN_PREFILTERS, token_candidates

    def lines(offsets: list[int]) -> set[int]:
        return {text.count("\n", 0, offset) for offset in offsets}

    expected = lines([m.start() for pattern in TOKEN_FORMATS for m in re.finditer(pattern, text)])
    assert lines(list(token_candidates(text))) == expected
    assert len(TOKEN_PREFILTERS) < len(TOKEN_FORMATS)


@pytest.mark.parametrize("token", [
    "AKIA" + "Z" * 16, "AccountKey=", "AC" + "a" * 32, "x AKC" + "a" * 10 + " ", "x AP1" + "a" * 8 + " ",
    "SG." + "a" * 22 + ".", "SK" + "a" * 32, "ghp_" + "a" * 36, "glpat-", "GR1348941", "eyJabcd.e",
    "a" * 32 + "-us1", "pypi-AgE", "xoxb-", "sq0csp-", "hooks.slack.com/services/",
    "M" + "a" * 23 + "." + "a" * 6 + "." + "a" * 27, "/:_authToken=", "12345678:" + "a" * 35, "T3BlbkFJ",
    "sk_live_", "rk_live_"])
def test_each_format_is_a_candidate(token: str) -> None:
    from homeops_lint.secrets.textscan import token_candidates

    text = f"first line\nkey: {token}\n"
    assert {text.count("\n", 0, offset) for offset in token_candidates(text)} == {1}


def test_grouped_needle_searches_cover_every_needle() -> None:
    from homeops_lint.secrets.embedded import _NEEDLE_SEARCHES, _NEEDLES

    for needle in _NEEDLES:
        assert [search(f"x {needle} y").start() for search in _NEEDLE_SEARCHES if search(f"x {needle} y")] == [2]


LINE_PIECES = ["Authorization", "authorization: ", "-H 'X-Auth: ", "Bearer ", "BEARER ", "token ", "Basic ", "basic ",
               "ſ", "K", "İ", "ı", "abc123def456ghi789jk", "0" * 20, '"', "'", "=", ":", " ", "-", "--", "://",
               "https://u:p@h", "password", "key", "x", "{", "}"]
lines_ = st.lists(st.sampled_from(LINE_PIECES), max_size=25).map("".join)


@PROPERTY
@given(line=lines_)
def test_pair_regex_gates_are_supersets(line: str) -> None:
    from homeops_lint.secrets import embedded as e

    if e._AUTH_HEADER_RE.search(line):
        assert e._may_hold_auth_header(line)
    if e._JSON_RE.search(line):
        assert '"' in line
    if e._URL_IN_LINE_RE.search(line):
        assert "://" in line
    if e._FLAG_RE.search(line):
        assert "-" in line
    if e._ASSIGN_RE.match(line):
        assert "=" in line or ":" in line
    if e._KV_RE.search(line):
        assert "=" in line


def test_auth_header_gate_keeps_case_folded_schemes() -> None:
    from homeops_lint.secrets import embedded as e

    for line in ("Authorization: Baſic Zm9vYmFyYmF6cXV4MTIzNDU2", "curl -H 'Authorization: BEARER abcdef0123456789xyz'"):
        assert bool(e._AUTH_HEADER_RE.search(line)) and e._may_hold_auth_header(line)


KEY_PIECES_TEXT = ["-----BEGIN", '"encCredentials"', "S0t", "ZW", "LS0t", "a", "Z", "=", "\n", " ",
                   "UFJJVkFURSBLRVktLS0t", "BSSVZBVEUgS0VZLS0t", "QUklWQVRFIEtFWS0t", "UFJJVkFURSBLRVkt",
                   "ImVuY0NyZWRlbnRpYWxz", "JlbmNDcmVkZW50aWFs", "iZW5jQ3JlZGVudGlh", "iZW5jQ3JlZGVudGl"]
key_texts = st.lists(st.sampled_from(KEY_PIECES_TEXT), max_size=12).map("".join)


@PROPERTY
@given(text=key_texts)
def test_key_material_gate_is_any_needle(text: str) -> None:
    from homeops_lint.secrets.detect import _KEY_NEEDLES, _may_hold_key_material

    assert _may_hold_key_material(text) == any(needle in text for needle in _KEY_NEEDLES)
