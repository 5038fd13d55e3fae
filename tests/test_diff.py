"""``homeops-lint diff``: a change reviewed end to end on real git repositories."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest

from .conftest import cli, write_tree

ROOT = Path(__file__).resolve().parent.parent
ENV = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@e", "GIT_COMMITTER_NAME": "t",
       "GIT_COMMITTER_EMAIL": "t@e"}
KS = "kustomize.toolkit.fluxcd.io/v1"

REPO = {
    ".homeops-lint.yaml": """version: 1
architecture:
  networks: {loadbalancer: [10.0.50.0/24]}
  pools:
    lan: {role: default, ranges: ["10.0.50.100-10.0.50.199"]}
    ingress: {role: ingress, ranges: ["10.0.50.200-10.0.50.220"]}
""",
    "clusters/main/flux-system/gotk-sync.yaml": f"""apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata: {{name: flux-system, namespace: flux-system}}
spec: {{interval: 10m, url: https://github.com/example/home-ops, ref: {{branch: main}}}}
---
apiVersion: {KS}
kind: Kustomization
metadata: {{name: flux-system, namespace: flux-system}}
spec: {{interval: 10m, path: ./clusters/main, prune: true, sourceRef: {{kind: GitRepository, name: flux-system}}}}
""",
    # Old debt: no `wait` (practice-ks-prune-wait, a warning) stays in every version.
    "clusters/main/apps.yaml": f"""apiVersion: {KS}
kind: Kustomization
metadata: {{name: apps, namespace: flux-system}}
spec: {{interval: 10m, path: ./apps, prune: true, sourceRef: {{kind: GitRepository, name: flux-system}}}}
""",
    "apps/kustomization.yaml": """apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - pools.yaml
  - web/ks.yaml
  - mqtt/ks.yaml
""",
    "apps/pools.yaml": """apiVersion: cilium.io/v2
kind: CiliumLoadBalancerIPPool
metadata: {name: lan}
spec:
  blocks: [{start: 10.0.50.100, stop: 10.0.50.199}]
---
apiVersion: cilium.io/v2
kind: CiliumLoadBalancerIPPool
metadata: {name: ingress}
spec:
  blocks: [{start: 10.0.50.200, stop: 10.0.50.220}]
  serviceSelector:
    matchLabels: {io.kubernetes.service.namespace: ingress}
""",
    "apps/web/ks.yaml": f"""apiVersion: {KS}
kind: Kustomization
metadata: {{name: web, namespace: flux-system}}
spec:
  interval: 10m
  path: ./apps/web/app
  prune: true
  wait: true
  targetNamespace: default
  sourceRef: {{kind: GitRepository, name: flux-system}}
  postBuild:
    substitute:
      WEB_HOST: web-a.internal.example
""",
    "apps/web/app/kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
                                       "resources: [service.yaml]\n",
    "apps/web/app/service.yaml": """apiVersion: v1
kind: Service
metadata:
  name: web
  annotations:
    lbipam.cilium.io/ips: "10.0.50.110"
spec:
  type: LoadBalancer
  selector: {app: web}
  ports: [{name: http, port: 80}]
""",
    "apps/mqtt/ks.yaml": f"""apiVersion: {KS}
kind: Kustomization
metadata: {{name: mqtt, namespace: flux-system}}
spec:
  interval: 10m
  path: ./apps/mqtt/app
  prune: true
  wait: true
  targetNamespace: home
  sourceRef: {{kind: GitRepository, name: flux-system}}
""",
    "apps/mqtt/app/kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
                                        "resources: [service.yaml, config.yaml]\n",
    "apps/mqtt/app/service.yaml": "apiVersion: v1\nkind: Service\nmetadata:\n  name: mqtt\nspec:\n  type: ClusterIP\n"
                                  "  selector: {app: mqtt}\n  ports: [{name: mqtt, port: 1883}]\n",
    "apps/mqtt/app/config.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: mqtt-config\n"
                                 "data:\n  listener: \"1883\"\n",
}
# A plain reformatting of the moved Service: comments, blank lines, indentation, block style.
REFORMATTED = """---
# The web front end.
apiVersion: v1
kind: Service
metadata:
  name: web

  annotations:
      lbipam.cilium.io/ips: "10.0.50.205"
spec:
  type: LoadBalancer
  selector:
    app: web
  ports:
    - name: http
      port: 80
"""


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(root), *args], check=True, env=ENV, capture_output=True,
                          text=True).stdout.strip()


def commit(root: Path, message: str) -> str:
    git(root, "add", "-A")
    git(root, "commit", "-qm", message)
    return git(root, "rev-parse", "HEAD")


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """The demo history: base, a Service moved into the wrong pool, a Kustomization dropped from its
    parent, and a plain reformatting."""
    root = write_tree(tmp_path_factory.mktemp("diff") / "home-ops", REPO)
    git(root, "init", "-q")
    revs = [commit(root, "base")]
    service = root / "apps/web/app/service.yaml"
    service.write_text(service.read_text().replace("10.0.50.110", "10.0.50.205"))
    revs.append(commit(root, "web: a new address"))
    parent = root / "apps/kustomization.yaml"
    parent.write_text(parent.read_text().replace("  - mqtt/ks.yaml\n", ""))
    revs.append(commit(root, "mqtt: drop it from the apps"))
    service.write_text(REFORMATTED)
    revs.append(commit(root, "web: reformat"))
    return root, revs


def diff(root: Path, *args: str) -> tuple[int, str, str]:
    proc = cli("diff", "--root", str(root), *args, cwd=root)
    return proc.returncode, proc.stdout.decode(), proc.stderr.decode()


def validate(report: dict) -> None:
    import jsonschema

    schema = json.loads((ROOT / "schemas" / "diff.schema.json").read_text())
    jsonschema.validate(report, schema)


def test_a_service_moved_into_the_wrong_pool(history: tuple[Path, list[str]]) -> None:
    root, revs = history
    code, out, err = diff(root, revs[0], revs[1], "--format", "json")
    assert code == 1, err  # the change introduces an error
    report = json.loads(out)
    validate(report)
    introduced = report["findings"]["introduced"]
    assert [f["rule"] for f in introduced].count("lb-ip-wrong-pool") == 1
    wrong = next(f for f in introduced if f["rule"] == "lb-ip-wrong-pool")
    assert (wrong["path"], wrong["line"], wrong["clusters"]) == ("apps/web/app/service.yaml", 6, ["main"])
    assert {f["path"] for f in introduced} == {"apps/web/app/service.yaml"}
    assert report["findings"]["fixed"] == []
    assert [f["rule"] for f in report["findings"]["present"]] == ["practice-ks-prune-wait"]
    assert report["verdict"] == "fail"
    (cluster,) = report["clusters"]
    assert cluster["name"] == "main"
    assert [(a["change"], a["owner"], a["address"], a["pool"]) for a in cluster["addresses"]] == [
        ("lost", "Service/default/web", "10.0.50.110", "lan"),
        ("gained", "Service/default/web", "10.0.50.205", "ingress")]
    assert cluster["objects"] == [] and cluster["kustomizations"] == []

    code, md, _ = diff(root, revs[0], revs[1], "--format", "markdown")
    assert code == 1
    lines = md.splitlines()
    assert lines[0] == "<!-- homeops-lint diff -->"
    assert lines[1].startswith("**homeops-lint diff**: ❌ 2 new errors · 2 introduced, 0 fixed, 1 still present")
    assert "2 address changes" in lines[1]
    assert "<details open><summary><b>Introduced findings</b> (2)</summary>" in md
    assert "| error | `lb-ip-wrong-pool` | `apps/web/app/service.yaml:6:5` |" in md
    assert "| `Service/default/web` | gained | `10.0.50.205` | ingress |" in md
    assert "Fixed findings" not in md and "Objects Flux applies" not in md


def test_a_kustomization_dropped_from_its_parent(history: tuple[Path, list[str]]) -> None:
    root, revs = history
    code, out, err = diff(root, revs[1], revs[2], "--format", "json")
    assert code == 0, err  # a new warning and the old errors never fail the review
    report = json.loads(out)
    validate(report)
    assert [(f["rule"], f["path"]) for f in report["findings"]["introduced"]] == [
        ("flux-unreachable", "apps/mqtt/ks.yaml")]
    assert report["findings"]["fixed"] == []
    assert report["summary"]["present"]["error"] == 2  # the wrong pool, still there
    (cluster,) = report["clusters"]
    assert [(k["change"], k["name"]) for k in cluster["kustomizations"]] == [("removed", "flux-system/mqtt")]
    assert [(o["change"], o["resource"], o["kustomization"]) for o in cluster["objects"]] == [
        ("unapplied", "ConfigMap/home/mqtt-config", "flux-system/mqtt"),
        ("unapplied", "Kustomization/flux-system/mqtt", "flux-system/apps"),
        ("unapplied", "Service/home/mqtt", "flux-system/mqtt")]
    assert cluster["addresses"] == []

    code, md, _ = diff(root, revs[1], revs[2], "--format", "markdown")
    assert code == 0
    assert md.splitlines()[1].startswith("**homeops-lint diff**: ⚠️ no new error (1 new warning) · 1 introduced, "
                                         "0 fixed, 3 still present · 1 Kustomization removed · "
                                         "3 objects no longer applied")
    assert "| no longer applied | `Service/home/mqtt` | `apps/mqtt/app/service.yaml` | flux-system/mqtt |  |" in md
    assert "| warning | `flux-unreachable` | `apps/mqtt/ks.yaml:2:1` |" in md


def test_a_plain_reformatting_reports_nothing(history: tuple[Path, list[str]]) -> None:
    root, revs = history
    code, out, err = diff(root, revs[2], revs[3], "--format", "json")
    assert code == 0, err
    report = json.loads(out)
    validate(report)
    assert report["findings"]["introduced"] == [] and report["findings"]["fixed"] == []
    assert report["clusters"] == []
    # the wrong-pool finding moved from line 6 to line 9: still present, not new
    assert ("lb-ip-wrong-pool", 9) in {(f["rule"], f["line"]) for f in report["findings"]["present"]}
    code, md, _ = diff(root, revs[2], revs[3], "--format", "markdown")
    assert code == 0
    assert md.splitlines()[1] == ("**homeops-lint diff**: ✅ no new finding · 0 introduced, 0 fixed, "
                                  "4 still present · no change to what Flux applies")
    assert "<details" not in md


def test_the_text_format_and_exit_zero(history: tuple[Path, list[str]]) -> None:
    root, revs = history
    code, out, _ = diff(root, revs[0], revs[1], "--exit-zero")
    assert code == 0
    assert out.splitlines()[1].startswith("2 new errors · 2 introduced, 0 fixed, 1 still present")
    assert "  Service/default/web gained 10.0.50.205 (pool ingress)" in out


def test_a_substitution_change_names_the_variable_never_its_value(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "repo", REPO)
    git(root, "init", "-q")
    commit(root, "base")
    ks = root / "apps/web/ks.yaml"
    ks.write_text(ks.read_text().replace("web-a.internal.example", "web-b.internal.example")
                  .replace("targetNamespace: default", "targetNamespace: web"))
    for fmt in ("json", "markdown", "text"):
        code, out, err = diff(root, "HEAD", "--format", fmt)  # HEAD against the work tree
        assert code == 0, err
        assert "WEB_HOST" in out
        assert "web-a.internal" not in out and "web-b.internal" not in out
    report = json.loads(diff(root, "HEAD", "--format", "json")[1])
    (cluster,) = report["clusters"]
    assert cluster["kustomizations"] == [{"change": "changed", "name": "flux-system/web", "where": "apps/web/ks.yaml:1",
                                          "details": ["targetNamespace: default -> web", "substitutions: ~WEB_HOST"]}]
    assert [(o["change"], o["resource"], o["detail"]) for o in cluster["objects"]] == [
        ("moved", "Service/web/web", "namespace default -> web")]


def test_bootstrap_components_entering_flux(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    shutil.copytree(ROOT / "fixtures/bootstrap/in-flux-pass", root)
    git(root, "init", "-q")
    commit(root, "pass")
    for child in root.iterdir():
        if child.name != ".git":
            shutil.rmtree(child) if child.is_dir() else child.unlink()
    shutil.copytree(ROOT / "fixtures/bootstrap/in-flux-fail", root, dirs_exist_ok=True)
    commit(root, "fail")
    code, out, err = diff(root, "HEAD~1", "HEAD", "--format", "json")
    assert code == 1, err
    report = json.loads(out)
    validate(report)
    (cluster,) = report["clusters"]
    entered = {(b["change"], b["component"]) for b in cluster["bootstrap"]}
    assert {("entered", "cilium"), ("entered", "external-secrets")} <= entered
    assert "bootstrap-in-flux" in {f["rule"] for f in report["findings"]["introduced"]}


def test_the_diff_runs_the_same_engine_as_a_lint(history: tuple[Path, list[str]], tmp_path: Path) -> None:
    """Both sides of a review are exactly what a lint of that version finds: the base read from git
    objects with shared parses equals a lint of the same commit exported to a folder."""
    from homeops_lint.engine import Options, run
    from homeops_lint.review.trees import Runner, versions

    root, revs = history
    base, head = versions(root, revs[1], revs[2])
    with Runner(root) as runner:
        new = runner.prepare(head)
        runner.parse(new)
        old = runner.prepare(base)
        after, before = runner.run(new), runner.run(old)
    for rev, result in ((revs[2], after), (revs[1], before)):
        folder = tmp_path / rev / "home-ops"
        folder.mkdir(parents=True)
        archive = tmp_path / f"{rev}.tar"
        subprocess.run(["git", "-C", str(root), "archive", "-o", str(archive), rev], check=True, env=ENV)
        with tarfile.open(archive) as tar:
            tar.extractall(folder)
        alone = run(Options(paths=[str(folder)], root=str(folder)))

        def shown(findings: list) -> list[tuple]:
            return [(f.rule, f.path, f.line, f.column, f.message) for f in findings]

        assert shown(result.all_findings) == shown(alone.all_findings)


def test_unchanged_files_are_parsed_once(history: tuple[Path, list[str]], monkeypatch: pytest.MonkeyPatch) -> None:
    from homeops_lint import source
    from homeops_lint.review.trees import Runner, versions

    parsed: list[str] = []
    real = source.parse_yaml_source

    def counting(src, *args, **kwargs):  # type: ignore[no-untyped-def]
        parsed.append(src.path)
        return real(src, *args, **kwargs)

    monkeypatch.setattr(source, "parse_yaml_source", counting)
    root, revs = history
    # a commit, and the work tree (which holds the reformatting)
    for base_rev, head_rev, changed in ((revs[1], revs[2], "apps/kustomization.yaml"),
                                        (revs[2], None, "apps/web/app/service.yaml")):
        parsed.clear()
        base, head = versions(root, base_rev, head_rev)
        with Runner(root) as runner:
            new = runner.prepare(head)
            runner.parse(new)
            yaml_files = len(parsed)
            assert yaml_files == len([p for p in REPO if p.endswith(".yaml")])
            runner.run(new)
            runner.run(runner.prepare(base))
        assert parsed[yaml_files:] == [changed]  # the one file the change touched


def test_the_base_run_in_a_child_process_gives_the_same_review(history: tuple[Path, list[str]]) -> None:
    from homeops_lint.review.render import as_json
    from homeops_lint.review.run import review

    root, revs = history
    for base, head in ((revs[0], revs[1]), (revs[1], revs[2]), (revs[2], None)):
        alone, forked = review(root, base, head, parallel=False), review(root, base, head, parallel=True)
        assert as_json(forked) == as_json(alone)


def test_default_base_is_the_merge_base_with_the_default_branch(history: tuple[Path, list[str]],
                                                                  tmp_path: Path) -> None:
    from homeops_lint.review.trees import default_base

    root, revs = history
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(root), str(clone)], check=True, env=ENV)
    git(clone, "switch", "-q", "-c", "feature", revs[1])
    (clone / "apps/extra.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\n")
    commit(clone, "feature work")
    git(clone, "commit", "-q", "--allow-empty", "-m", "more feature work")
    base = default_base(clone)
    assert base.rev == revs[1] and base.label.startswith("merge base with origin/")
    git(clone, "switch", "-q", git(clone, "rev-parse", "--abbrev-ref", "origin/HEAD").split("/", 1)[1])
    assert default_base(clone).rev == revs[2]  # on the default branch itself: HEAD~1


def test_work_tree_index_and_hooks_are_left_alone(history: tuple[Path, list[str]], tmp_path: Path) -> None:
    root, revs = history
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(root), str(clone)], check=True, env=ENV)
    markers = tmp_path / "markers"
    markers.mkdir()
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    for name in ("post-checkout", "post-index-change", "reference-transaction", "pre-commit", "post-merge"):
        (hooks / name).write_text(f"#!/bin/sh\ntouch {markers / name}\n")
        (hooks / name).chmod(0o755)
    filter_cmd = tmp_path / "filter.sh"
    filter_cmd.write_text(f"#!/bin/sh\ntouch {markers / 'filter'}\ncat\n")
    filter_cmd.chmod(0o755)
    for key, value in (("core.hooksPath", str(hooks)), ("core.fsmonitor", str(filter_cmd)),
                       ("filter.mark.clean", str(filter_cmd)), ("filter.mark.smudge", str(filter_cmd))):
        git(clone, "config", key, value)
    (clone / ".git" / "info" / "attributes").write_text("* filter=mark\n")
    # A dirty work tree: a staged change, an unstaged one and an untracked file.
    (clone / "apps/web/app/service.yaml").write_text(REFORMATTED.replace("205", "120"))
    subprocess.run(["git", "-C", str(clone), "-c", "core.hooksPath=/dev/null", "-c", "core.fsmonitor=false",
                    "-c", "filter.mark.clean=cat", "add", "apps/web/app/service.yaml"], check=True, env=ENV)
    (clone / "apps/pools.yaml").write_text(REPO["apps/pools.yaml"] + "# edited\n")
    (clone / "apps/new.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: new\n")
    for path in markers.iterdir():
        path.unlink()

    def snapshot() -> dict[str, bytes]:
        return {str(p.relative_to(clone)): p.read_bytes() for p in sorted(clone.rglob("*"))
                if p.is_file() and (".git" not in p.parts or p.name in ("index", "HEAD", "config"))}

    before = snapshot()
    for args in (["HEAD~1"], [revs[0], revs[2]], []):
        code, out, err = diff(clone, *args, "--format", "json")
        assert code in (0, 1), err
        validate(json.loads(out))
        assert snapshot() == before, f"diff {args} changed the work tree, the index or .git"
        assert sorted(p.name for p in markers.iterdir()) == [], f"diff {args} ran a hook or filter"


def test_usage_errors_exit_2(history: tuple[Path, list[str]], tmp_path: Path) -> None:
    root, _ = history
    assert diff(root, "no-such-ref")[0] == 2
    assert diff(root, "--output=x", "--max-items", "0")[0] == 2
    outside = tmp_path / "plain"
    outside.mkdir()
    proc = cli("diff", cwd=outside)
    assert proc.returncode == 2 and b"not inside a git work tree" in proc.stderr


def test_markdown_caps_each_section(history: tuple[Path, list[str]]) -> None:
    from homeops_lint.review.changes import ObjectChange, Review
    from homeops_lint.review.render import COMMENT_LIMIT, render
    from homeops_lint.review.trees import Version

    review = Review(Version("a" * 40, "base"), Version(None, "work tree"))
    review.objects = [ObjectChange("main", "applied", f"ConfigMap/ns/cm-{i:05d}", f"apps/cm-{i:05d}.yaml",
                                   "flux-system/apps") for i in range(5000)]
    text = render("markdown", review, 50)
    assert "… and 4950 more" in text
    assert text.count("| newly applied |") == 50
    assert text.index("cm-00000") < text.index("cm-00049")  # stable order
    long = [ObjectChange("main", "applied", "ConfigMap/ns/" + "x" * 2000 + str(i), "a.yaml", "ks")
            for i in range(200)]
    review.objects = long
    assert len(render("markdown", review, 200)) <= COMMENT_LIMIT


def test_a_root_in_a_subfolder_of_the_repository(tmp_path: Path) -> None:
    """The policy lives in cluster/: both versions are read under it, paths relative to it."""
    repo = tmp_path / "monorepo"
    write_tree(repo / "cluster", REPO)
    write_tree(repo, {"other/notes.yaml": "a: 1\n"})
    git(repo, "init", "-q")
    commit(repo, "base")
    service = repo / "cluster/apps/web/app/service.yaml"
    service.write_text(service.read_text().replace("10.0.50.110", "10.0.50.205"))
    code, out, err = diff(repo / "cluster", "HEAD", "--format", "json")
    assert code == 1, err
    report = json.loads(out)
    assert {f["path"] for f in report["findings"]["introduced"]} == {"apps/web/app/service.yaml"}
    assert [f["rule"] for f in report["findings"]["present"]] == ["practice-ks-prune-wait"]


def test_a_commit_lists_its_files_as_discovery_lists_a_work_tree(tmp_path: Path) -> None:
    """Symlinks in a commit: followed inside the tree, named and skipped when they leave it or
    point nowhere, and a linked folder's files are listed under their real path only."""
    from homeops_lint.review.trees import commit_files

    root = write_tree(tmp_path / "repo", {"apps/x.yaml": "a: 1\n"})
    for name, target in (("link.yaml", "apps/x.yaml"), ("out.yaml", "../outside.yaml"),
                         ("dir-link", "apps"), ("dangling.yaml", "nope.yaml")):
        os.symlink(target, root / name)
    git(root, "init", "-q")
    commit(root, "links")
    files, skipped = commit_files(root, "HEAD")
    assert sorted(files) == ["apps/x.yaml", "link.yaml"] and files["link.yaml"] == files["apps/x.yaml"]
    assert sorted(skipped) == sorted([("out.yaml", "symlink that points outside the repository; not followed"),
                                   ("dangling.yaml", "symlink that loops or points nowhere; not followed")])
