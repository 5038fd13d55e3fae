"""The builder's fast walk (nodes that cannot carry an anchor, no memo) gives exactly what the general
walk gives: the same values and types, every position and style, the same alias sharing, duplicate
keys, template signs and limit problems. Compared on every fixture YAML file, on the generated
bench corpora (small and medium, with planted violations) and on hand-written edge cases.
"""
from __future__ import annotations

import importlib.util
import math
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from homeops_lint import yamlbuild, yamlload
from homeops_lint.model import Map, Seq

from .conftest import FIXTURES, ROOT

FIXTURE_FILES = sorted(p for p in FIXTURES.rglob("*") if p.is_file() and p.suffix in (".yaml", ".yml")
                       and ".git" not in p.parts)


def _canonical(value: Any, seen: dict[int, int]) -> Any:
    """Everything the tree says, alias sharing included (a Map/Seq met again is named by number)."""
    if isinstance(value, (Map, Seq)):
        if id(value) in seen:
            return ("shared", seen[id(value)])
        seen[id(value)] = len(seen)
    if isinstance(value, Map):
        items = [(type(k).__name__, k if k == k else "nan", _canonical(v, seen), tuple(value.kpos[k]),
                  tuple(value.vpos[k])) for k, v in value.items()]
        shadowed = getattr(value, "shadowed", None)
        shadow = sorted((str(k), _canonical(v, seen), tuple(kp), tuple(vp))
                        for k, (v, kp, vp) in (shadowed or {}).items())
        return ("map", tuple(value.pos), items, sorted(map(str, value.anchor_keys)), shadow,
                list(value.kpos) == list(value) and list(value.vpos) == list(value))
    if isinstance(value, Seq):
        return ("seq", tuple(value.pos), [_canonical(v, seen) for v in value], [tuple(p) for p in value.ipos])
    if isinstance(value, float) and math.isnan(value):
        return ("float", "nan")
    return (type(value).__name__, value)


def _loaded(text: str, general: bool, monkeypatch: pytest.MonkeyPatch, **options: Any) -> Any:
    with monkeypatch.context() as patch:
        if general:  # no anchor offsets: every node takes the general, memoising walk
            patch.setattr(yamlload, "anchor_offsets", lambda _text: None)
        result = yamlload.load(text, **options)
    seen: dict[int, int] = {}
    return ([(_canonical(data, seen), line) for data, line in result.documents], result.problems,
            result.exact, result.template_signs)


def _same_both_ways(text: str, monkeypatch: pytest.MonkeyPatch, **options: Any) -> None:
    fast = _loaded(text, False, monkeypatch, **options)
    general = _loaded(text, True, monkeypatch, **options)
    assert fast == general


@pytest.mark.parametrize("path", FIXTURE_FILES,
                         ids=[p.relative_to(FIXTURES).as_posix() for p in FIXTURE_FILES])
def test_fixture_files(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = path.read_bytes().decode("utf-8", "replace")
    _same_both_ways(text, monkeypatch)
    _same_both_ways(text, monkeypatch, watch_templates=True)


def _generator() -> Any:
    spec = importlib.util.spec_from_file_location("bench_generate_fast_build", ROOT / "bench" / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("size", ["small", "medium"])
def test_generated_corpora(size: str, monkeypatch: pytest.MonkeyPatch) -> None:
    corpus = _generator().generate(size, 1, violations=True)
    texts = [text for rel, text in sorted(corpus.files.items()) if rel.endswith((".yaml", ".yml"))]
    assert len(texts) > 400
    anchored = 0
    for text in texts:
        _same_both_ways(text, monkeypatch)
        anchored += "&" in text
    assert anchored > 50  # the corpus exercises the switch from the fast walk to the general one


EDGE_CASES = {
    "aliases everywhere": "base: &b {x: 1, y: [1, 2]}\nuse: *b\nlist: [*b, *b]\nkey: &k name\n*k : 2\n",
    "alias as a key and a value": "a: &k key\n? *k\n: *k\n",
    "merge keys": "base: &b {x: 1, y: 2}\nother: &o {z: 3}\nm:\n  <<: [*b, *o]\n  x: 9\n"
                  "n: {<<: {q: 1}, r: 2}\n",
    "merge of an inline map": "m:\n  <<: {a: 1, b: 2}\n  b: 3\n",
    "tag before anchor": "a: !!str &x 12\nb: *x\nc: &y !!int '7'\nd: *y\n",
    "anchored root": "--- &root\na: 1\nb: [x]\n--- &r2 [1, 2]\n",
    "recursive root": "&r\na: *r\n",
    "recursive sequence": "a: &s [1, *s]\n",
    "duplicates": "a: 1\nb: 2\na: 3\nc: {d: 1, d: 2}\n",
    "nan and complex keys": ".nan: 1\n? [a, b]\n: 2\n? {c: d}\n: 3\n1: one\ntrue: t\nnull: n\n",
    "styles": "a: 'q'\nb: \"d\"\nc: |\n  lit\nd: >\n  fold\n'e': plain\n- bad\n",
    "styles ok": "a: 'q'\nb: \"d\"\nc: |\n  lit\nd: >\n  fold\n'e': plain\nf: ['x', \"y\", z]\n",
    "tags": "a: !!int '12'\nb: !!float '1.5'\nc: !!bool 'true'\nd: !!null ''\ne: !reference [x]\n"
            "f: !custom v\n",
    "yaml 1.2 scalars": "a: on\nb: no\nc: 012\nd: 0o17\ne: 0x1F\nf: .inf\ng: -.Inf\nh: .NaN\ni: ~\n"
                        "j: 1e3\nk: =\n",
    "non-ascii and bang in text": "é: ü\nmsg: \"hi! & bye\"\nx: a&b\ny: '!x'\nz: \U0001F600\n",
    "crlf and unicode breaks": "a:\r\n  b: &x 1\r\n  c: *x\r\nd: \u2028e\n",
    "bom": "\ufeffa: &x 1\nb: *x\nc: [1, 2]\n",
    "templates": "name: {{ .Release.Name }}\nimage: \"{{ x }}\"\nv: {% raw %}\nlist: [{{ a }}]\n",
    "empty and null documents": "---\n---\na:\n---\n- \n- ~\n",
    "scalar and sequence roots": "--- plain\n--- [a, {b: c}]\n--- - x\n  - y\n",
}


@pytest.mark.parametrize("name", sorted(EDGE_CASES))
def test_edge_cases(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    _same_both_ways(EDGE_CASES[name], monkeypatch)
    _same_both_ways(EDGE_CASES[name], monkeypatch, watch_templates=True)


def test_limits_are_hit_the_same_way(monkeypatch: pytest.MonkeyPatch) -> None:
    """Depth, alias-node and alias-byte limits stop the same document at the same node."""
    deep = "a:\n" + "".join("  " * i + f"k{i}:\n" for i in range(1, 12)) + "  " * 12 + "leaf: 1\n"
    deep_flow = "a: " + "[" * 10 + "x" + "]" * 10 + "\nb: 1\n"
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n" \
           "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c]\n---\ne: 1\n"
    long_text = "t: &t " + "y" * 500 + "\nu: [*t, *t, *t, *t]\n"
    # a scalar alias as a mapping value and as a key, where the fast walk builds scalars inline
    long_values = "t: &t " + "y" * 500 + "\nu: {a: *t, b: *t, c: *t}\n"
    long_keys = "k: &k " + "z" * 500 + "\n*k : 1\nm: {*k : 2}\nn: [{*k : 3}]\n"
    tight = yamlbuild.Limits(max_depth=6, max_alias_nodes=300, max_alias_bytes=1200)
    for text in (deep, deep_flow, bomb, long_text, long_values, long_keys):
        fast = _loaded(text, False, monkeypatch, limits=tight)
        assert fast == _loaded(text, True, monkeypatch, limits=tight)
        assert any(p.rule == "parse-limit" for p in fast[1]), text
        _same_both_ways(text, monkeypatch)
    for depth in range(1, 14):  # every depth, so a scalar one level too deep is caught where it sits
        for text in (deep, deep_flow, EDGE_CASES["merge keys"], EDGE_CASES["aliases everywhere"]):
            _same_both_ways(text, monkeypatch, limits=yamlbuild.Limits(max_depth=depth))


def test_anchor_offsets_cover_every_anchored_node() -> None:
    """libyaml marks a node where its properties start; anchor_offsets must include that offset."""
    text = "a: &x 1\nb: !!str &y 2\nc:\n  - &z\n    d: 1\n  - *z\né: &w [1]\n"
    offsets = yamlbuild.anchor_offsets(text)
    assert offsets is not None
    root = yaml.compose(text, Loader=yaml.CSafeLoader)  # libyaml's marks, as the loader's composer sets them
    anchored = [root.value[0][1], root.value[1][1], root.value[2][1].value[0], root.value[3][1]]
    assert all(node.start_mark.index in offsets for node in anchored)
    assert yamlbuild.anchor_offsets("\ufeffa: &x 1\n") is None  # libyaml does not count a first BOM
    assert yamlbuild.anchor_offsets("a: 1\n") == frozenset()
