"""The secret scanner's fast paths give exactly what their plain definitions give.

The scanner reads every text file of a repository, so its hot loops take short cuts: ``str.split``
instead of the line-break regex where only LF occurs, and a prefilter search that starts near the
first secret word of a line instead of at its beginning. Each short cut is checked here against
the definition it replaces, on text built from the pieces that make the cases differ.
"""
from __future__ import annotations

import re

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
