"""``classify.looks_templated`` visits only the lines that hold a template marker; it must answer
exactly as judging every line of ``str.splitlines()`` does, on every fixture, on the generated
bench corpus and on generated text full of markers and line breaks of every kind."""
from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from homeops_lint import classify

from .conftest import FIXTURES, ROOT


def _every_line(text: str) -> bool:
    """The reference: each line of splitlines() judged by the documented tests."""
    for line in text.splitlines():
        if line.lstrip().startswith(("{{", "{%", "#%", "- {{", "- {%")):
            return True
        if "{{" in line and line.rstrip().endswith("}}") and re.search(r":[ \t]+\{\{", line):
            return True
        opening = line.find("#{")
        if opening >= 0 and line.find("}#", opening + 2) >= 0:
            return True
    return False


FILES = sorted(p for p in FIXTURES.rglob("*") if p.is_file() and ".git" not in p.parts)


def test_fixture_files() -> None:
    texts = [p.read_bytes().decode("utf-8", "replace") for p in FILES]
    assert sum(classify.looks_templated(t) for t in texts) >= 3  # the fixtures hold templates
    for path, text in zip(FILES, texts):
        assert classify.looks_templated(text) == _every_line(text), path


def test_generated_corpus() -> None:
    spec = importlib.util.spec_from_file_location("bench_generate_templated", ROOT / "bench" / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    for rel, text in sorted(module.generate("small", 1).files.items()):
        assert classify.looks_templated(text) == _every_line(text), rel


_PIECES = ["{{", "}}", "{%", "%}", "#{", "}#", "#%", "- ", ": ", ":\t", " ", "\t", "a", "x: ", "\n", "\r\n",
           "\r", "\x85", "\u2028", "\x0b", "\x1c", "\x1f", "\u3000", "{", "}", "#", "-"]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=40))
def test_generated_text(pieces: list[str]) -> None:
    text = "".join(pieces)
    assert classify.looks_templated(text) == _every_line(text)


@pytest.mark.parametrize("text, expected", [
    ("a: 1\nb: {{ x }}\n", True),
    ("a: 1\nb: x {{ y }}\n", False),
    ("a: 1\r\n  {{- if x }}\r\n", True),
    ("a: 1\u2028{{ x }}\n", True),
    ("v: '{{ x }}'\n", False),
    ("#{ x }#", True),
    ("a: {{ x }} # y", False),
])
def test_examples(text: str, expected: bool) -> None:
    assert classify.looks_templated(text) is expected
