"""The fast path (libyaml + our YAML 1.2 resolver) reads every fixture YAML file exactly as ruamel.yaml
reads it in YAML 1.2 mode, modulo timestamps: YAML 1.2's core schema has none, so we keep them as the
strings they are, while ruamel still constructs them.
"""
from __future__ import annotations

import datetime
import math
from pathlib import Path
from typing import Any

import pytest

from homeops_lint import classify, yamlload

from .conftest import FIXTURES

FILES = sorted(p for p in FIXTURES.rglob("*") if p.is_file() and p.suffix in (".yaml", ".yml")
               and ".git" not in p.parts)


def _ruamel_plain(value: Any) -> Any:
    """ruamel's round-trip objects as plain Python values."""
    from ruamel.yaml.comments import TaggedScalar

    if isinstance(value, TaggedScalar):
        return str(value.value)
    if isinstance(value, dict):
        return {_ruamel_plain(k): _ruamel_plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_ruamel_plain(v) for v in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value
    return str(value)


def _same(ours: Any, theirs: Any, where: str = "") -> None:
    if isinstance(theirs, (datetime.date, datetime.datetime)):
        assert isinstance(ours, str), where  # a timestamp stays the text it was written as
        return
    if isinstance(theirs, dict):
        assert isinstance(ours, dict) and set(ours) == set(theirs), (where, sorted(map(str, ours)), sorted(map(str, theirs)))
        for key in theirs:
            _same(ours[key], theirs[key], f"{where}.{key}")
        return
    if isinstance(theirs, list):
        assert isinstance(ours, list) and len(ours) == len(theirs), where
        for i, (a, b) in enumerate(zip(ours, theirs)):
            _same(a, b, f"{where}[{i}]")
        return
    if isinstance(theirs, float) and math.isnan(theirs):
        assert isinstance(ours, float) and math.isnan(ours), where
        return
    assert type(ours) is type(theirs) and ours == theirs, (where, ours, theirs)


@pytest.mark.parametrize("path", FILES, ids=[p.relative_to(FIXTURES).as_posix() for p in FILES])
def test_fast_path_matches_ruamel_yaml_12(path: Path) -> None:
    from ruamel.yaml import YAML

    from homeops_lint.source import _decode

    text, _note = _decode(path.read_bytes())  # the demo's UTF-16 file is read as the linter reads it
    if classify.looks_templated(text):
        pytest.skip("a template, recognised and never parsed as a manifest")
    ours = yamlload.load(text)
    reader = YAML(typ="rt", pure=True)
    reader.allow_duplicate_keys = True
    try:
        theirs = [d for d in reader.load_all(text) if d is not None]
    except Exception:  # noqa: BLE001 - ruamel rejects it: so must we
        assert any(p.rule == "parse-error" for p in ours.problems), ours.problems
        return
    assert ours.exact, "libyaml rejected a file ruamel accepts: the slow fallback was used"
    assert not [p for p in ours.problems if p.rule != "parse-duplicate-key"], ours.problems
    docs = [data for data, _line in ours.documents]
    assert len(docs) == len(theirs)
    for data, reference in zip(docs, theirs):
        _same(data, _ruamel_plain(reference))


def test_parity_covers_the_demo_repos() -> None:
    assert len(FILES) > 150
    assert any("home-ops-broken" in p.parts for p in FILES)


SAMPLES = [
    "a: on\nb: off\nc: yes\nd: no\ne: y\nf: n\ng: =\nh: ~\ni: null\nj: true\nk: False\n",
    "a: 012\nb: 0o12\nc: 0x1F\nd: -7\ne: +3\nf: 1.5e3\ng: .inf\nh: -.Inf\ni: .nan\nj: 1e3\nk: 0.\n",
    "a: &x {p: 1, q: [1, 2]}\nb: *x\nc:\n  <<: *x\n  p: 2\n",
    "- 'single'\n- \"double\\tescape\"\n- |\n  block\n- >-\n  folded\n  text\n- !custom tagged\n",
    "a: 2001-12-14\nb: 2001-12-14t21:59:43.10-05:00\nc: 12:30:45\nd: 1:20\n",
]


@pytest.mark.parametrize("text", SAMPLES, ids=["yaml11-words", "numbers", "anchors-merge", "styles-tags", "timestamps"])
def test_fast_path_matches_ruamel_on_tricky_scalars(text: str) -> None:
    from ruamel.yaml import YAML

    ours = yamlload.load(text)
    assert ours.exact and not ours.problems
    theirs = [d for d in YAML(typ="rt", pure=True).load_all(text) if d is not None]
    assert len(ours.documents) == len(theirs) == 1
    _same(ours.documents[0][0], _ruamel_plain(theirs[0]))
