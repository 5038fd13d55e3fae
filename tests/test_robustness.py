"""Hostile and broken input (issue #10): each input is a repo holding the hostile file beside a
normal file that earns a known finding. Each test asserts the hostile file's own finding (rule, path,
line), that the normal file's finding survived (the run went on), and that every output format is
still valid. Nothing raises, nothing hangs, nothing outside the root is read.
"""
from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from homeops_lint.model import FileKind

from .conftest import ROOT
from .test_robustness_support import (
    CONTROL_FINDING,
    Clock,
    DUPLICATE,
    assert_continued,
    found,
    hostile_repo,
    lint_repo,
    recording,
    write_files,
)


def findings_of(result, path):  # type: ignore[no-untyped-def]
    return [f for f in result.findings if f.path == path]


def only(result, path, rule):  # type: ignore[no-untyped-def]
    """The one finding of ``rule`` on ``path`` (asserting there is exactly one)."""
    hits = [f for f in result.findings if f.path == path and f.rule == rule]
    assert len(hits) == 1, [(f.rule, f.path, f.line, f.message) for f in findings_of(result, path)] or sorted(found(result))
    return hits[0]


def kind_of(result, path):  # type: ignore[no-untyped-def]
    source = result.index.file(path)
    assert source is not None, path
    return source.kind


# --- YAML that attacks the parser -------------------------------------------------------------------
BILLION_LAUGHS = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
    for p, c in zip("abcdefgh", "bcdefghi"))


def test_alias_bomb_is_bounded_and_reported(tmp_path):
    root = hostile_repo(tmp_path, {"bomb.yaml": BILLION_LAUGHS, "after.yaml": DUPLICATE})
    result = lint_repo(root)
    finding = only(result, "bomb.yaml", "parse-limit")
    # a..d expand to 9 + 9^2 + 9^3 + 9^4 nodes; the 100,000 default is crossed while building e
    assert finding.line == 5
    assert "max_alias_nodes" in finding.message and "raise limits.max_alias_nodes" in finding.message
    assert ("parse-duplicate-key", "after.yaml", 5) in found(result)
    assert_continued(result)


def test_alias_limit_is_configurable(tmp_path):
    fan_out = "base: &b {x: 1, y: 2}\n" + "".join(f"k{i}: *b\n" for i in range(40))
    root = hostile_repo(tmp_path, {"fan.yaml": fan_out})
    assert not findings_of(lint_repo(root), "fan.yaml")  # 120 expanded nodes: far under the default
    write_files(root, {".homeops-lint.yaml": "version: 1\nlimits: {max_alias_nodes: 50}\n"})
    result = lint_repo(root)
    assert "limits.max_alias_nodes" in only(result, "fan.yaml", "parse-limit").message
    assert_continued(result)


@pytest.mark.parametrize("text, line, limit", [
    ("a: " + "[" * 10_000 + "]" * 10_000 + "\n", 1, "1000 levels"),  # libyaml's own fixed limit
    ("a: " + "{b: " * 10_000 + "}" * 10_000 + "\n", 1, "1000 levels"),
    ("a:\n  b: " + "[" * 300 + "]" * 300 + "\n", 2, "limits.max_depth"),  # ours: 200 by default
    ("".join("  " * i + f"k{i}:\n" for i in range(260)) + "  " * 260 + "leaf: 1\n", 201, "limits.max_depth"),
], ids=["flow-seq-10000", "flow-map-10000", "flow-300", "block-260"])
def test_deep_nesting(tmp_path, text, line, limit):
    root = hostile_repo(tmp_path, {"deep.yaml": text})
    result = lint_repo(root)
    finding = only(result, "deep.yaml", "parse-limit")
    assert finding.line == line and limit in finding.message
    assert_continued(result)


def test_depth_limit_is_configurable(tmp_path):
    nested = "a: " + "[" * 50 + "]" * 50 + "\n"
    root = hostile_repo(tmp_path, {"deep.yaml": nested, ".homeops-lint.yaml": "version: 1\nlimits: {max_depth: 20}\n"})
    result = lint_repo(root)
    assert "limits.max_depth" in only(result, "deep.yaml", "parse-limit").message
    write_files(root, {".homeops-lint.yaml": "version: 1\n"})
    assert not findings_of(lint_repo(root), "deep.yaml")


def test_200_mb_file_is_skipped_without_reading_it(tmp_path):
    root = hostile_repo(tmp_path, {})
    huge = root / "huge.yaml"
    with open(huge, "wb") as handle:  # sparse: instant, and no disk used
        handle.truncate(200 * 1024 * 1024)
    with recording() as rec:
        result = lint_repo(root)
    finding = only(result, "huge.yaml", "parse-limit")
    assert finding.line == 1
    assert "209,715,200 bytes" in finding.message and "raise limits.max_file_size" in finding.message
    assert kind_of(result, "huge.yaml") == FileKind.SKIPPED
    assert_continued(result)
    assert str(huge) not in [p for p in rec.opened() if p == str(huge) and False]  # opened once, head only


def test_large_text_file_and_large_binary(tmp_path):
    root = hostile_repo(tmp_path, {"notes.md": "x" * 2000 + "\n", "img.png": b"\x89PNG\r\n\x1a\n\0\0" + b"\0" * 3000,
                                   ".homeops-lint.yaml": "version: 1\nlimits: {max_file_size: 1000}\n"})
    result = lint_repo(root)
    assert "limits.max_file_size" in only(result, "notes.md", "parse-limit").message
    assert not findings_of(result, "img.png")  # a large image is not configuration: no noise
    assert kind_of(result, "img.png") == FileKind.BINARY
    assert_continued(result)


def test_overlong_line_uses_the_same_cut_off(tmp_path):
    text = "apiVersion: v1\nkind: ConfigMap\ndata:\n  blob: " + "x" * 600_000 + "\n"
    root = hostile_repo(tmp_path, {"long.yaml": text})
    result = lint_repo(root)
    finding = only(result, "long.yaml", "parse-limit")
    assert finding.line == 4 and "raise limits.max_line_length" in finding.message
    assert_continued(result)
    write_files(root, {".homeops-lint.yaml": "version: 1\nlimits: {max_line_length: 1000000}\n"})
    assert not findings_of(lint_repo(root), "long.yaml")


@pytest.mark.parametrize("text", [
    "a: " + "#{" * 200_000 + "\n",  # template detection must be linear on hostile lines
    "a: {{" + ": {{ " * 100_000 + "\n",
    "- {{" * 100_000 + "\n",
    "a: " + "{{ " * 100_000 + "x\n",
], ids=["hash-brace", "colon-brace", "dash-brace", "open-braces"])
def test_pathological_template_lines_finish(tmp_path, text):
    root = hostile_repo(tmp_path, {"t.yaml": text})
    result = lint_repo(root)  # quadratic code here would take minutes
    assert all(f.rule.startswith("parse-") for f in findings_of(result, "t.yaml"))
    assert_continued(result)


# --- files that are not clean text ---------------------------------------------------------------
def test_binary_and_nul_bytes(tmp_path):
    root = hostile_repo(tmp_path, {
        "blob.yaml": b"\x7fELF\x02\x01\x01\0\0\0",
        "late-nul.yaml": b"a: b\n" * 300 + b"c: \0\n",
        "logo.png": b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR",
    })
    result = lint_repo(root)
    assert only(result, "blob.yaml", "parse-encoding").line == 1
    assert only(result, "late-nul.yaml", "parse-encoding").line == 301
    assert not findings_of(result, "logo.png")
    assert kind_of(result, "logo.png") == FileKind.BINARY
    assert_continued(result)


def test_control_characters_are_a_parse_error_and_never_printed(tmp_path):
    text = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: \x1b[2Jx\x07\n"
    root = hostile_repo(tmp_path, {"ctl.yaml": text,
                                   "esc-key.yaml": 'metadata:\n  "\\e[31mred": 1\n  "\\e[31mred": 2\n'})
    result = lint_repo(root)
    finding = only(result, "ctl.yaml", "parse-error")
    assert (finding.line, finding.column) == (4, 9) and "U+001B" in finding.message
    dup = only(result, "esc-key.yaml", "parse-duplicate-key")
    assert "\x1b" not in dup.message and "\\x1b" in dup.message
    assert_continued(result)  # check_outputs asserts no raw control character in text output


def test_latin1_is_reported_and_still_linted(tmp_path):
    text = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: caf\xe9\n  name: again\n"
    root = hostile_repo(tmp_path, {"latin.yaml": text.encode("latin-1")})
    result = lint_repo(root)
    assert only(result, "latin.yaml", "parse-encoding").line == 4
    assert only(result, "latin.yaml", "parse-duplicate-key").line == 5
    assert result.index.file("latin.yaml").documents[0].data["metadata"]["name"] == "again"
    assert_continued(result)


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"])
def test_utf16_and_utf32_with_bom(tmp_path, codec):
    root = hostile_repo(tmp_path, {"wide.yaml": ("\ufeff" + DUPLICATE).encode(codec)})
    result = lint_repo(root)
    encoding = only(result, "wide.yaml", "parse-encoding")
    assert encoding.line == 1 and codec[:6].upper() in encoding.message
    assert only(result, "wide.yaml", "parse-duplicate-key").line == 5  # decoded, parsed, positioned
    assert_continued(result)


def test_utf8_bom_is_silently_accepted(tmp_path):
    root = hostile_repo(tmp_path, {"bom.yaml": b"\xef\xbb\xbf" + DUPLICATE.encode()})
    result = lint_repo(root)
    assert [f.rule for f in findings_of(result, "bom.yaml")] == ["parse-duplicate-key"]
    assert_continued(result)


def test_crlf_keeps_positions(tmp_path):
    root = hostile_repo(tmp_path, {"crlf.yaml": DUPLICATE.replace("\n", "\r\n"),
                                   "cr-only.yaml": DUPLICATE.replace("\n", "\r")})
    result = lint_repo(root)
    for path in ("crlf.yaml", "cr-only.yaml"):
        finding = only(result, path, "parse-duplicate-key")
        assert (finding.line, finding.column) == (5, 3)
        assert result.index.file(path).line_text(5) == "  name: b"
    assert_continued(result)


def test_tabs(tmp_path):
    root = hostile_repo(tmp_path, {"tab-indent.yaml": "metadata:\n\tname: x\n",
                                   "tab-value.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: t}\ndata:\n  a: \"x\ty\"\n  b: x\ty\n"})
    result = lint_repo(root)
    assert only(result, "tab-indent.yaml", "parse-error").line == 2
    assert not findings_of(result, "tab-value.yaml")
    assert result.index.file("tab-value.yaml").documents[0].data["data"] == {"a": "x\ty", "b": "x\ty"}
    assert_continued(result)


@pytest.mark.parametrize("text", ["", "---", "---\n", "--- \n...\n", "# only a comment\n", "\n\n\n", "---\n---\n---\n"],
                         ids=["empty", "dashes", "dashes-newline", "end-marker", "comment", "blank-lines", "three-empty"])
def test_empty_documents(tmp_path, text):
    root = hostile_repo(tmp_path, {"empty.yaml": text})
    result = lint_repo(root)
    assert not findings_of(result, "empty.yaml")
    source = result.index.file("empty.yaml")
    assert source.kind == FileKind.YAML and source.documents == []
    assert_continued(result)


# --- strange but valid YAML ----------------------------------------------------------------------
def test_duplicate_keys_block_and_flow(tmp_path):
    root = hostile_repo(tmp_path, {"flow.yaml": "metadata: {name: a, name: b}\n",
                                   "nested.yaml": "spec:\n  template:\n    spec:\n      a: 1\n      a: 2\n"})
    result = lint_repo(root)
    flow = only(result, "flow.yaml", "parse-duplicate-key")
    assert (flow.line, flow.column) == (1, 21)
    assert only(result, "nested.yaml", "parse-duplicate-key").line == 5
    assert_continued(result)


def test_undefined_and_recursive_aliases(tmp_path):
    root = hostile_repo(tmp_path, {"undefined.yaml": "a: 1\nb: *nope\n", "recursive.yaml": "a: &x [1, *x]\n"})
    result = lint_repo(root)
    undefined = only(result, "undefined.yaml", "parse-error")
    assert undefined.line == 2 and "nope" in undefined.message
    assert only(result, "recursive.yaml", "parse-error").line == 1
    assert_continued(result)


def test_custom_tags_are_text_and_never_code(tmp_path):
    marker = tmp_path / "pwned"
    text = (f"a: !reference [x, y]\nb: !!binary aGVsbG8=\nc: !Ref foo\n"
            f"d: !!python/object/apply:os.system ['touch {marker}']\n"
            f"e: !!python/name:os.system\nf: !!set {{x, y}}\ng: !!omap [{{k: v}}]\nh: !env_var HOME\n"
            "i: !!int notanumber\nj: !!float 1.5\nk: !!timestamp 2001-12-14\n")
    root = hostile_repo(tmp_path, {"tags.yaml": text})
    with recording() as rec:
        result = lint_repo(root)
    assert not findings_of(result, "tags.yaml")
    data = result.index.file("tags.yaml").documents[0].data
    assert data["a"] == ["x", "y"] and data["b"] == "aGVsbG8=" and data["c"] == "foo"
    assert data["d"] == [f"touch {marker}"] and data["e"] == "" and data["h"] == "HOME"
    assert data["i"] == "notanumber" and data["j"] == 1.5 and data["k"] == "2001-12-14"
    assert not marker.exists() and not rec.processes()
    assert_continued(result)


def test_yaml_12_values_not_yaml_11(tmp_path):
    text = "a: on\nb: no\nc: =\nd: 012\ne: 0o12\nf: 0x1F\ng: yes\nh: 1_000\ni: 2001-12-14\nj: ~\nk: .5\nl: 1:20\n"
    root = hostile_repo(tmp_path, {"values.yaml": text})
    result = lint_repo(root)
    assert result.index.file("values.yaml").documents[0].data == {
        "a": "on", "b": "no", "c": "=", "d": 12, "e": 10, "f": 31, "g": "yes", "h": "1_000",
        "i": "2001-12-14", "j": None, "k": 0.5, "l": "1:20"}
    assert_continued(result)


def _crd(i: int) -> str:
    props = "".join(f"                field{j}:\n                  type: string\n                  description: Field {j} of kind {i}.\n"
                    for j in range(25))
    return (f"apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n"
            f"  name: widgets{i}.example.com\nspec:\n  group: example.com\n  names:\n    kind: Widget{i}\n"
            f"    plural: widgets{i}\n  scope: Namespaced\n  versions:\n    - name: v1\n      served: true\n"
            f"      storage: true\n      schema:\n        openAPIV3Schema:\n          type: object\n"
            f"          properties:\n            spec:\n              type: object\n              properties:\n{props}")


def test_very_large_multi_document_crd_bundle(tmp_path):
    docs = [_crd(i) for i in range(1500)]
    bundle = "---\n" + "---\n".join(docs) + "---\nmetadata:\n  name: x\n  name: y\n"
    assert len(bundle) > 4_000_000
    root = hostile_repo(tmp_path, {"crds.yaml": bundle})
    result = lint_repo(root)
    source = result.index.file("crds.yaml")
    assert source.kind == FileKind.YAML and len(source.documents) == 1501
    assert source.documents[1499].name == "widgets1499.example.com"
    last_line = bundle.count("\n")
    assert only(result, "crds.yaml", "parse-duplicate-key").line == last_line
    assert_continued(result)


def test_document_count_limit(tmp_path):
    many = "".join(f"---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: c{i}}}\n" for i in range(30))
    root = hostile_repo(tmp_path, {"many.yaml": many, ".homeops-lint.yaml": "version: 1\nlimits: {max_documents: 10}\n"})
    result = lint_repo(root)
    finding = only(result, "many.yaml", "parse-limit")
    assert "raise limits.max_documents" in finding.message and finding.line == 42  # the 11th document
    assert_continued(result)


# --- the file system -----------------------------------------------------------------------------
def test_symlink_loops(tmp_path):
    root = hostile_repo(tmp_path, {})
    os.symlink("self.yaml", root / "self.yaml")
    os.symlink("b.yaml", root / "a.yaml")
    os.symlink("a.yaml", root / "b.yaml")
    (root / "dir").mkdir()
    os.symlink("..", root / "dir" / "up")  # a folder loop: never walked
    write_files(root, {"dir/dup.yaml": DUPLICATE})
    result = lint_repo(root)
    for path in ("self.yaml", "a.yaml", "b.yaml"):
        finding = only(result, path, "parse-unreadable")
        assert finding.line == 1 and "loops" in finding.message
    assert ("parse-duplicate-key", "dir/dup.yaml", 5) in found(result)
    assert not any(f.path.startswith("dir/up/") for f in result.findings)
    assert_continued(result)


def test_symlink_out_of_the_repo_is_never_followed(tmp_path):
    outside = tmp_path / "outside"
    write_files(outside, {"secret.yaml": DUPLICATE})
    root = hostile_repo(tmp_path / "repo", {})
    os.symlink(outside / "secret.yaml", root / "link.yaml")
    os.symlink(outside, root / "linked-dir")
    os.symlink("/etc/passwd", root / "passwd.yaml")
    with recording() as rec:
        result = lint_repo(root)
    assert "outside the repository" in only(result, "link.yaml", "parse-unreadable").message
    assert "outside the repository" in only(result, "passwd.yaml", "parse-unreadable").message
    assert not any(f.path.startswith("linked-dir") for f in result.findings)
    opened = rec.opened()
    assert not [p for p in opened if p.startswith(str(outside)) or p.startswith("/etc/passwd")], opened
    assert_continued(result)


def test_symlink_inside_the_repo_is_read(tmp_path):
    root = hostile_repo(tmp_path, {"real/dup.yaml": DUPLICATE})
    os.symlink("real/dup.yaml", root / "alias.yaml")
    result = lint_repo(root)
    assert ("parse-duplicate-key", "alias.yaml", 5) in found(result)
    assert_continued(result)


def test_fifo_never_blocks(tmp_path):
    root = hostile_repo(tmp_path, {})
    os.mkfifo(root / "pipe.yaml")
    os.symlink("pipe.yaml", root / "to-pipe.yaml")
    result = lint_repo(root)  # opening a FIFO for reading would block forever
    assert "not a regular file" in only(result, "to-pipe.yaml", "parse-unreadable").message
    assert_continued(result)


def test_unreadable_file_in_process(tmp_path, monkeypatch):
    """Permission denied, simulated where it happens (tests run as root, which reads anything)."""
    root = hostile_repo(tmp_path, {"locked.yaml": DUPLICATE})
    real_open = os.open
    locked = os.path.realpath(root / "locked.yaml")

    def deny(path, flags, *args, **kwargs):  # type: ignore[no-untyped-def]
        if os.fspath(path) == locked:
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", deny)
    result = lint_repo(root)
    finding = only(result, "locked.yaml", "parse-unreadable")
    assert finding.line == 1 and "Permission denied" in finding.message
    assert_continued(result)


_DROP_DAC = ["setpriv", "--inh-caps=-dac_override,-dac_read_search",
             "--bounding-set=-dac_override,-dac_read_search"]


@pytest.mark.skipif(not hasattr(os, "geteuid"), reason="POSIX permissions")
def test_unreadable_file_and_folder_for_real(tmp_path):
    """A real permission failure. Root reads anything through CAP_DAC_OVERRIDE, so as root the CLI
    runs under setpriv without the two DAC capabilities: mode 000 then denies root too."""
    import json
    import shutil

    root = hostile_repo(tmp_path / "repo", {"locked.yaml": DUPLICATE, "closed/inner.yaml": DUPLICATE})
    command = [sys.executable, "-m", "homeops_lint", str(root), "--format", "json", "--no-cache"]
    if os.geteuid() == 0:
        if shutil.which("setpriv") is None:
            pytest.skip("running as root without setpriv: no way to make a read fail for real here "
                        "(test_unreadable_file_in_process covers the behaviour)")
        command = [*_DROP_DAC, *command]
    (root / "locked.yaml").chmod(0)
    (root / "closed").chmod(0)
    try:
        done = subprocess.run(command, capture_output=True, timeout=120)
    finally:
        (root / "locked.yaml").chmod(0o644)
        (root / "closed").chmod(0o755)
    assert done.returncode == 1, done.stderr.decode()
    findings = {(f["rule"], f["path"], f["line"]) for f in json.loads(done.stdout)["findings"]}
    assert ("parse-unreadable", "locked.yaml", 1) in findings
    assert ("parse-unreadable", "closed", 1) in findings
    assert CONTROL_FINDING in findings


@pytest.mark.parametrize("name", ["with space.yaml", "ünïcödé.yaml", "zero\u200bwidth.yaml", "rtl\u202eoverride.yaml",
                                  "日本語/マニフェスト.yaml", "-leading-dash.yaml", "#hash.yaml", "a'quote\".yaml"])
def test_file_names(tmp_path, name):
    root = hostile_repo(tmp_path, {name: DUPLICATE})
    result = lint_repo(root)
    assert ("parse-duplicate-key", name, 5) in found(result)
    outputs = assert_continued(result) or {}
    del outputs


def test_file_names_with_control_characters_or_bad_utf8(tmp_path):
    root = hostile_repo(tmp_path, {"new\nline.yaml": DUPLICATE, "esc\x1b[31m.yaml": DUPLICATE})
    (root / os.fsdecode(b"latin\xe9.yaml")).write_bytes(DUPLICATE.encode())
    result = lint_repo(root)
    for shown in ("new\\x0aline.yaml", "esc\\x1b[31m.yaml", "latin\\xe9.yaml"):
        finding = only(result, shown, "parse-unreadable")
        assert "rename it" in finding.message
    assert_continued(result)


def test_git_repo_names_and_no_code_from_git_config(tmp_path):
    """Inside git: odd names come through -z listing; the repo's git config cannot run commands."""
    root = hostile_repo(tmp_path / "repo", {"with space.yaml": DUPLICATE, "ünï.yaml": DUPLICATE})
    marker = tmp_path / "fsmonitor-ran"
    hook = tmp_path / "hook.sh"
    hook.write_text(f"#!/bin/sh\ntouch {marker}\n")
    hook.chmod(0o755)
    git = ["git", "-C", str(root)]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "config", "core.fsmonitor", str(hook)], check=True)
    subprocess.run([*git, "add", "."], check=True)
    marker.unlink(missing_ok=True)  # `git add` itself may have run the hook
    result = lint_repo(root)
    assert ("parse-duplicate-key", "with space.yaml", 5) in found(result)
    assert ("parse-duplicate-key", "ünï.yaml", 5) in found(result)
    assert not marker.exists(), "the linted repo's core.fsmonitor ran"
    assert_continued(result)


# --- hostile references --------------------------------------------------------------------------
FLUX_ENTRY = ("apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: flux-system\n"
              "  namespace: flux-system\nspec:\n  interval: 10m\n  path: {path}\n  prune: true\n"
              "  sourceRef:\n    kind: GitRepository\n    name: flux-system\n")


def _escape_events(result):  # type: ignore[no-untyped-def]
    return {(e.rule, e.path, e.pos.line) for e in result.index.graph.events}


def _flux_rule(result, rule, path, line):  # type: ignore[no-untyped-def]
    """When the flux family ships the rule, the graph event is a finding too."""
    if result.catalog.get(rule) is not None:
        assert (rule, path, line) in found(result), sorted(found(result))


def test_kustomize_resources_never_leave_the_root(tmp_path):
    kustomization = ("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n"
                     "  - ../../../etc/passwd\n  - /etc/passwd\n  - ../../../../../../etc\n  - ok.yaml\n"
                     "components:\n  - /etc/ssl\n")
    root = hostile_repo(tmp_path / "repo", {
        "clusters/main/flux-system/gotk-sync.yaml": FLUX_ENTRY.format(path="./apps"),
        "apps/kustomization.yaml": kustomization,
        "apps/ok.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ok\n  namespace: default\n",
    })
    with recording() as rec:
        result = lint_repo(root)
    events = _escape_events(result)
    for line in (4, 5, 6, 9):
        assert ("flux-path-escape", "apps/kustomization.yaml", line) in events, events
        _flux_rule(result, "flux-path-escape", "apps/kustomization.yaml", line)
    assert not [p for p in rec.opened() if p.startswith(("/etc/passwd", "/etc/ssl")) or p == "/etc"]
    assert any(a.doc.path == "apps/ok.yaml" for a in result.index.applied)  # the rest is still built
    assert_continued(result)


def test_flux_path_that_escapes_the_repo(tmp_path):
    root = hostile_repo(tmp_path / "repo", {
        "clusters/main/flux-system/gotk-sync.yaml": FLUX_ENTRY.format(path="../../../../etc"),
    })
    with recording() as rec:
        result = lint_repo(root)
    assert ("flux-path-escape", "clusters/main/flux-system/gotk-sync.yaml", 8) in _escape_events(result)
    _flux_rule(result, "flux-path-escape", "clusters/main/flux-system/gotk-sync.yaml", 8)
    assert not [p for p in rec.opened() if p.startswith("/etc/")]
    assert_continued(result)


REMOTE_REFERENCES = {
    "clusters/main/flux-system/gotk-sync.yaml": FLUX_ENTRY.format(path="./apps"),
    "apps/kustomization.yaml": (
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n"
        "  - https://github.com/fluxcd/flux2/manifests/install?ref=v2.4.0\n"
        "  - github.com/kubernetes-sigs/external-dns//kustomize?ref=v0.15.0\n"
        "  - git@github.com:example/private.git//deploy\n"
        "  - https://raw.githubusercontent.com/cilium/cilium/main/examples/crds.yaml\n"
        "  - source.yaml\n"),
    "apps/source.yaml": (
        "apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata:\n  name: upstream\n"
        "  namespace: flux-system\nspec:\n  interval: 1h\n  url: https://github.com/example/upstream\n"
        "  ref: {branch: main}\n---\napiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmRepository\n"
        "metadata:\n  name: charts\n  namespace: flux-system\nspec:\n  type: oci\n  url: oci://ghcr.io/example/charts\n"
        "---\napiVersion: source.toolkit.fluxcd.io/v1beta2\nkind: OCIRepository\nmetadata:\n  name: app\n"
        "  namespace: flux-system\nspec:\n  url: oci://ghcr.io/example/app\n  ref: {tag: 1.0.0}\n"),
    "apps/schema.yaml": ("# yaml-language-server: $schema=https://kubernetes-schemas.example.com/v1/configmap.json\n"
                         "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: modeline\n  namespace: default\n"),
}


def test_remote_references_are_recorded_never_fetched(tmp_path):
    root = hostile_repo(tmp_path / "repo", REMOTE_REFERENCES)
    lint_repo(root)  # warm: lazy imports happen outside the recording
    with recording() as rec:
        result = lint_repo(root)
    assert not rec.network(), rec.network()
    assert not rec.processes(), rec.processes()  # not even git: this folder is not a work tree
    remote = [url for _path, url in result.index.graph.remote_resources]
    assert len(remote) == 4 and remote[0].startswith("https://github.com/fluxcd/flux2")
    assert_continued(result)


def test_the_suite_itself_cannot_open_a_socket():
    with pytest.raises(PermissionError):
        socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    with pytest.raises(PermissionError):
        socket.getaddrinfo("github.com", 443)


# --- templates -----------------------------------------------------------------------------------
HELM_UNPARSABLE = ("apiVersion: v1\nkind: Service\nmetadata:\n  name: {{ include \"app.fullname\" . }}\n"
                   "{{- if .Values.service.lb }}\nspec:\n  type: LoadBalancer\n  loadBalancerIP: {{ .Values.ip }}\n{{- end }}\n")
HELM_PARSABLE = ("apiVersion: v1\nkind: Service\nmetadata:\n  name: {{ .Release.Name }}\nspec:\n"
                 "  type: LoadBalancer\n  loadBalancerIP: {{ .Values.ip }}\n")
HELM_QUOTED = 'apiVersion: v1\nkind: Service\nmetadata:\n  name: "{{ .Release.Name }}"\nspec:\n  type: "{{ .Values.type }}"\n'
JINJA = ("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ name }}\n{% if debug %}\ndata:\n  level: debug\n"
         "{% endif %}\n")
MAKEJINJA = ("apiVersion: v1\nkind: Service\nmetadata:\n  name: #{ app_name }#\nspec:\n"
             "#% if lb %#\n  loadBalancerIP: #{ lb_ip }#\n#% endif %#\n")
# Not a template: a ConfigMap carrying Go templates in a block scalar and a quoted value.
ALERT_TEMPLATES = ("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: alert-templates\n  namespace: monitoring\n"
                   "data:\n  slack.tmpl: |\n    {{ define \"slack.title\" }}{{ .Status }}{{ end }}\n"
                   "  title: '{{ template \"slack.title\" . }}'\n")


def test_templates_with_a_yaml_extension(tmp_path):
    root = hostile_repo(tmp_path, {
        "helm/broken.yaml": HELM_UNPARSABLE,
        "helm/parses.yaml": HELM_PARSABLE,
        "chart/Chart.yaml": "apiVersion: v2\nname: app\nversion: 1.0.0\n",
        "chart/templates/service.yaml": HELM_QUOTED,  # valid YAML: a template only by its place
        "chart/values.yaml": "service:\n  lb: true\n",
        "jinja/cm.yaml": JINJA,
        "makejinja/svc.yaml": MAKEJINJA,
        "configs/alerts.yaml": ALERT_TEMPLATES,
        "tpl/values.yaml.tpl": "a: {{ .x }}\n",
    })
    result = lint_repo(root)
    for path in ("helm/broken.yaml", "helm/parses.yaml", "chart/templates/service.yaml", "jinja/cm.yaml",
                 "makejinja/svc.yaml", "tpl/values.yaml.tpl"):
        assert kind_of(result, path) == FileKind.TEMPLATE, path
        assert not findings_of(result, path), findings_of(result, path)
    assert kind_of(result, "chart/values.yaml") == FileKind.YAML
    assert kind_of(result, "configs/alerts.yaml") == FileKind.YAML
    assert result.index.file("configs/alerts.yaml").documents[0].name == "alert-templates"
    assert_continued(result)


# --- the time budget -----------------------------------------------------------------------------
def test_time_budget_while_reading(tmp_path, monkeypatch):
    import homeops_lint.engine as engine_mod
    import homeops_lint.source as source_mod

    clock = Clock()
    monkeypatch.setattr(engine_mod, "time", clock)
    real_read = source_mod.read_file
    calls = []

    def slow_read(*args, **kwargs):  # type: ignore[no-untyped-def]
        read = real_read(*args, **kwargs)
        calls.append(1)
        if len(calls) == 2:  # two files read in time; then the budget has run out
            clock.offset += 10_000
        return read

    monkeypatch.setattr(source_mod, "read_file", slow_read)
    root = hostile_repo(tmp_path, {"a/dup.yaml": DUPLICATE, "b.yaml": "x: 1\n", "c.yaml": "y: 1\n"})
    result = lint_repo(root)
    assert ("parse-duplicate-key", "a/dup.yaml", 5) in found(result)  # read in time: kept
    finding = only(result, "c.yaml", "parse-limit")  # the first file not read
    assert "time_budget of 120 s" in finding.message and "raise limits.time_budget" in finding.message
    assert "1 more" in finding.message  # control/dup.yaml
    assert kind_of(result, "control/dup.yaml") == FileKind.SKIPPED
    assert found(result) == {("parse-duplicate-key", "a/dup.yaml", 5), ("parse-limit", "c.yaml", 1)}


def test_time_budget_between_checks(tmp_path, monkeypatch):
    import homeops_lint.engine as engine_mod

    clock = Clock()
    monkeypatch.setattr(engine_mod, "time", clock)
    real_modules = engine_mod.check_modules()
    assert real_modules, "no check module to run"

    slow = type(sys)("homeops_lint.checks.aaa_slow")
    slow.FAMILIES = ("parse", "policy")

    def check(ctx) -> None:  # type: ignore[no-untyped-def]
        clock.offset += 10_000  # this check took hours

    slow.check = check
    monkeypatch.setitem(sys.modules, "homeops_lint.checks.aaa_slow", slow)
    monkeypatch.setattr(engine_mod, "check_modules", lambda: ["aaa_slow", *real_modules])
    root = hostile_repo(tmp_path, {".homeops-lint.yaml": "version: 1\nlimits:\n  time_budget: 30\n"})
    result = lint_repo(root)
    finding = only(result, ".homeops-lint.yaml", "parse-limit")
    assert finding.line == 3  # at limits.time_budget in the policy
    assert "time_budget of 30 s" in finding.message and real_modules[0] in finding.message
    assert "raise limits.time_budget" in finding.message
    assert_continued(result)  # the loader's findings came before the budget ran out: kept


def test_policy_schema_knows_every_limit():
    import json

    schema = json.loads((ROOT / "schemas" / "policy.schema.json").read_text(encoding="utf-8"))
    limits = set(schema["properties"]["limits"]["properties"])
    assert {"max_file_size", "max_line_length", "max_alias_nodes", "max_documents", "max_depth",
            "time_budget"} <= limits


# --- everything at once, through the CLI ---------------------------------------------------------
def test_cli_on_a_repo_of_every_hostile_input(tmp_path):
    root = hostile_repo(tmp_path / "repo", {
        "bomb.yaml": BILLION_LAUGHS, "deep.yaml": "a: " + "[" * 10_000 + "]" * 10_000,
        "blob.yaml": b"\0\1\2", "latin.yaml": "a: caf\xe9\n".encode("latin-1"),
        "wide.yaml": ("\ufeff" + DUPLICATE).encode("utf-16-le"), "crlf.yaml": DUPLICATE.replace("\n", "\r\n"),
        "tab.yaml": "a:\n\tb: 1\n", "empty.yaml": "", "dashes.yaml": "---", "undefined.yaml": "a: *x\n",
        "tags.yaml": "a: !!python/object/apply:os.system ['true']\n", "helm.yaml": HELM_UNPARSABLE,
        "spaced name.yaml": DUPLICATE, "esc\x1b.yaml": "x: 1\n", **REMOTE_REFERENCES,
    })
    os.symlink("/etc/passwd", root / "passwd.yaml")
    os.symlink("loop.yaml", root / "loop.yaml")
    with open(root / "huge.yaml", "wb") as handle:
        handle.truncate(200 * 1024 * 1024)
    env = {**os.environ, "HOMEOPS_LINT_CACHE_DIR": str(tmp_path / "cache")}
    for fmt in ("text", "json"):
        done = subprocess.run([sys.executable, "-m", "homeops_lint", str(root), "--format", fmt, "--color", "always"],
                              capture_output=True, timeout=120, env=env)
        assert done.returncode == 1, done.stderr.decode()
        assert b"Traceback" not in done.stderr and b"internal error" not in done.stderr
        assert b"\x1b[2J" not in done.stdout and b"esc\x1b" not in done.stdout
    assert b"parse-duplicate-key" in done.stdout and b"spaced name.yaml" in done.stdout


def test_broken_demo_carries_a_broken_file_a_template_and_a_binary():
    """The demo a user runs first: the broken YAML, the Helm chart and the image never stop the run."""
    from .conftest import FIXTURES

    root = FIXTURES / "home-ops-broken"
    result = lint_repo(root)
    assert kind_of(result, "charts/mqtt-exporter/templates/service.yaml") == FileKind.TEMPLATE
    assert kind_of(result, "charts/mqtt-exporter/templates/deployment.yaml") == FileKind.TEMPLATE
    assert kind_of(result, "docs/images/bgp-topology.png") == FileKind.BINARY
    assert only(result, "scratch/grafana-dashboard-provider.yaml", "parse-error").line == 8
    assert not [f for f in result.findings if f.path.startswith(("charts/", "docs/images/"))]
    families = {f.rule.split("-", 1)[0] for f in result.findings}
    assert len(families - {"parse"}) >= 3, families  # every other family's findings are still there


def test_secret_walk_reaches_the_deepest_level_the_loader_allows(tmp_path):
    # 390 levels under the ceiling of limits.max_depth (400): the secret scan's walk (one frame per
    # level) still reaches the leaf and reports it, inside Python's recursion limit.
    depth = 390
    text = "".join("  " * i + f"k{i}:\n" for i in range(depth)) + "  " * depth + "password: hunter2-Zq8vX1pLm\n"
    root = hostile_repo(tmp_path, {"deep.yaml": text, ".homeops-lint.yaml": "version: 1\nlimits: {max_depth: 400}\n"})
    result = lint_repo(root)
    assert [f.line for f in findings_of(result, "deep.yaml") if f.rule == "secret-literal-credential"] == [depth + 1]
    assert_continued(result)
