"""Properties of a run, over generated repositories (issue #10), 1,000 examples each.

For arbitrary bytes, arbitrary YAML (Kubernetes-shaped and grammar soup) and arbitrary mutations of
the fixture repos, a run in-process:
- never raises (the CLI would exit 2) and its verdict is exit 0 or 1;
- keeps the normal file's finding beside the hostile one (the run went on);
- renders every format in ``homeops_lint.report.FORMATS`` validly (JSON against the report schema,
  SARIF against the OASIS schema, ...);
- writes nothing, anywhere; opens no socket; starts no process; runs no code from the repository.
Deterministic: the same repo gives byte-identical output whatever order the file system lists it in
(and, in a subprocess pair, whatever ``PYTHONHASHSEED``).

Each example is one small repo and one in-process run, so 1,000 examples stay within seconds. Two
per-run fixed costs that do not depend on the repo (the rule catalog and the Kubernetes schema
definitions, both read from our own data files) are memoised for this module only.
"""
from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .conftest import FIXTURES, ROOT
from .test_robustness_support import (
    CONTROL_FINDING,
    DUPLICATE,
    check_outputs,
    found,
    lint_repo,
    recording,
    render_all,
    write_files,
)

# About 100 examples per property on a local run, 1,000 in CI (where CI is set); the variable overrides both.
EXAMPLES = int(os.environ.get("HOMEOPS_LINT_PROPERTY_EXAMPLES", "1000" if os.environ.get("CI") else "100"))
PROPERTY = settings(max_examples=EXAMPLES, deadline=None, database=None, print_blob=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.function_scoped_fixture, HealthCheck.filter_too_much])


@pytest.fixture(scope="module", autouse=True)
def _fixed_costs_memoised():
    """The catalog and the schema definitions are pure functions of our own files: read them once."""
    from homeops_lint import catalog, engine

    patch = pytest.MonkeyPatch()
    cached_catalog = lru_cache(maxsize=8)(lambda dirs: catalog.load_catalog(list(dirs)))
    patch.setattr(engine, "load_catalog", lambda dirs=(): cached_catalog(tuple(dirs)))
    try:
        from homeops_lint import schemas

        original = schemas.CoreSchemas._defs
        shared: dict[Any, Any] = {}

        def defs(self):  # type: ignore[no-untyped-def]
            if self.folder not in shared:
                shared[self.folder] = original(self)
            return shared[self.folder]

        patch.setattr(schemas.CoreSchemas, "_defs", defs)
    except (ImportError, AttributeError):  # pragma: no cover - the schema family changed shape
        pass
    yield
    patch.undo()


class Workspace:
    """A fresh folder per example under one temporary folder this module owns."""

    def __init__(self) -> None:
        self.base = Path(tempfile.mkdtemp(prefix="homeops-lint-props-"))
        self.count = 0

    def fresh(self) -> Path:
        """An empty folder; the previous example's folder is removed (disk use stays flat)."""
        if self.count:
            shutil.rmtree(self.base / f"r{self.count}", ignore_errors=True)
        self.count += 1
        path = self.base / f"r{self.count}"
        path.mkdir()
        return path

    def close(self) -> None:
        shutil.rmtree(self.base, ignore_errors=True)


@pytest.fixture(scope="module")
def workspace():
    space = Workspace()
    yield space
    space.close()


def run_and_check(root: Path, expect_control: bool = True):  # type: ignore[no-untyped-def]
    """One run with every property that holds for any input. Returns the engine result."""
    with recording() as rec:
        result = lint_repo(root)  # raising here is the CLI's exit 2
    assert result.failed in (True, False)
    assert not rec.writes(), rec.writes()
    assert not rec.network(), rec.network()
    assert not rec.processes(), rec.processes()  # not in git: not even git may run
    root_text = str(root)
    ran = [name for event, args in rec.events if event in ("exec", "import")
           for name in [_code_origin(event, args)] if name.startswith(root_text)]
    assert not ran, ran  # no code from the repository was imported or executed
    if expect_control:
        assert CONTROL_FINDING in found(result), sorted(found(result))
    check_outputs(result)
    return result


def _code_origin(event: str, args: tuple[Any, ...]) -> str:
    if event == "exec" and args and hasattr(args[0], "co_filename"):
        return str(args[0].co_filename)
    if event == "import" and len(args) > 1 and args[1]:
        return os.fsdecode(args[1])
    return ""


# --- arbitrary bytes ---------------------------------------------------------------------------
NAMES = ["x.yaml", "kustomization.yaml", "apps/app.yml", "notes.txt", "chart/templates/svc.yaml",
         "talos/talconfig.yaml", "clusters/main/flux-system/gotk-sync.yaml", "Kustomization", "values.yaml.j2"]
ENCODINGS = ["utf-8", "utf-16", "utf-32", "latin-1", "utf-8-sig"]


@st.composite
def byte_files(draw: Any) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    for _ in range(draw(st.integers(1, 3))):
        name = draw(st.sampled_from(NAMES))
        raw = draw(st.one_of(
            st.binary(max_size=600),
            st.text(max_size=300).map(lambda t: t.encode("utf-8", "surrogatepass")),
            st.tuples(st.text(max_size=200), st.sampled_from(ENCODINGS)).map(
                lambda pair: pair[0].encode(pair[1], "replace")),
        ))
        files[name] = raw
    return files


@PROPERTY
@given(files=byte_files())
def test_arbitrary_bytes(workspace, files):
    root = write_files(workspace.fresh(), {"control/dup.yaml": DUPLICATE, **files})
    run_and_check(root)


# --- arbitrary YAML ----------------------------------------------------------------------------
KINDS = [
    ("v1", "Service"), ("v1", "ConfigMap"), ("v1", "Secret"), ("v1", "Namespace"),
    ("cilium.io/v2alpha1", "CiliumLoadBalancerIPPool"), ("cilium.io/v2", "CiliumLoadBalancerIPPool"),
    ("cilium.io/v2", "CiliumBGPClusterConfig"), ("cilium.io/v2", "CiliumBGPPeerConfig"),
    ("cilium.io/v2", "CiliumBGPAdvertisement"), ("cilium.io/v2alpha1", "CiliumBGPPeeringPolicy"),
    ("kustomize.toolkit.fluxcd.io/v1", "Kustomization"), ("kustomize.config.k8s.io/v1beta1", "Kustomization"),
    ("helm.toolkit.fluxcd.io/v2", "HelmRelease"), ("source.toolkit.fluxcd.io/v1", "GitRepository"),
    ("source.toolkit.fluxcd.io/v1", "HelmRepository"), ("fluxcd.controlplane.io/v1", "FluxInstance"),
    ("postgresql.cnpg.io/v1", "Cluster"), ("postgresql.cnpg.io/v1", "ScheduledBackup"),
    ("postgresql.cnpg.io/v1", "Backup"), ("barmancloud.cnpg.io/v1", "ObjectStore"),
    ("external-secrets.io/v1", "ExternalSecret"), ("external-secrets.io/v1beta1", "ClusterSecretStore"),
    ("metallb.io/v1beta1", "IPAddressPool"), ("networking.k8s.io/v1", "Ingress"),
    ("gateway.networking.k8s.io/v1", "Gateway"), ("apps/v1", "Deployment"),
    ("apiextensions.k8s.io/v1", "CustomResourceDefinition"), ("v1alpha1", "HostnameConfig"),
]
KEYS = [
    "apiVersion", "kind", "metadata", "name", "namespace", "annotations", "labels", "spec", "type",
    "loadBalancerIP", "loadBalancerClass", "loadBalancerSourceRanges", "blocks", "cidrs", "start", "stop",
    "cidr", "serviceSelector", "matchLabels", "matchExpressions", "path", "sourceRef", "postBuild",
    "substitute", "substituteFrom", "resources", "components", "targetNamespace", "values", "data",
    "stringData", "plugins", "barmanObjectName", "isWALArchiver", "cluster", "backup", "method",
    "pluginConfiguration", "schedule", "ports", "port", "selector", "externalTrafficPolicy",
    "lbipam.cilium.io/ips", "lbipam.cilium.io/sharing-key", "io.cilium/lb-ipam-ips", "allowFirstLastIPs",
    "disabled", "bgpInstances", "localASN", "peers", "peerASN", "peerAddress", "secretStoreRef",
    "target", "template", "configuration", "destinationPath", "s3Credentials", "interval", "prune",
    "dependsOn", "chart", "sops", "mac", "version", "machine", "network", "podSubnets",
    "serviceSubnets", "nodes", "clusterName", "endpoint", "instance", "sync", "url", "ref",
    "namespaceSelector", "addresses", "ipAddressPools", "externalIPs", "password", "token",
    "valuesFrom", "dataFrom", "remoteRef", "key", "property", "patches", "images", "namePrefix",
]
INTERESTING = [
    "10.0.0.1", "172.29.52.200", "172.29.52.200-172.29.52.220", "172.29.52.0/24", "10.0.0.0/8",
    "fd47:25e1:2f96:51::/64", "::1", "0.0.0.0/0", "300.1.1.1", "${LB_IP}", "${VAR:=1.2.3.4}", "$${ESCAPED}",
    "flux-system", "LoadBalancer", "ClusterIP", "ingress", "default", "on", "no", "yes", "0", "", "*",
    "../..", "../../../etc/passwd", "/etc/passwd", "./", "https://github.com/x/y//k?ref=v1", "oci://ghcr.io/x",
    "v1", "64512", "barman-cloud.cloudnative-pg.io", "ENC[AES256_GCM,data:abc,iv:def,tag:ghi,type:str]",
    "{{ .Values.x }}", "-----BEGIN OPENSSH PRIVATE KEY-----", "true", "null", "x" * 300, "home-automation",
    "cilium", "external-secrets", "onepassword-connect", "talos", "plugin", "barmanObjectStore",
    "\u202e", "\x85", "key: value", "- item", "# comment", "&anchor", "*alias", "!!binary", "%YAML 1.2",
]
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(), st.text(max_size=12),
    st.sampled_from(INTERESTING), st.sampled_from(INTERESTING), st.sampled_from(INTERESTING),
)
KEY = st.one_of(st.sampled_from(KEYS), st.sampled_from(KEYS), st.text(max_size=8), st.integers(-3, 3))
VALUES = st.recursive(SCALARS, lambda children: st.one_of(
    st.lists(children, max_size=3), st.dictionaries(KEY, children, max_size=4)), max_leaves=12)


@st.composite
def manifests(draw: Any) -> Any:
    if draw(st.integers(0, 9)) == 0:
        return draw(VALUES)  # any YAML value at all, not even a mapping
    api, kind = draw(st.sampled_from(KINDS))
    if draw(st.integers(0, 5)) == 0:
        api = draw(st.sampled_from([k[0] for k in KINDS] + [""]))
    doc: dict[Any, Any] = {"apiVersion": api, "kind": kind}
    metadata: dict[Any, Any] = {"name": draw(st.sampled_from(["web", "flux-system", "pool", "db", "x"]))}
    if draw(st.booleans()):
        metadata["namespace"] = draw(st.sampled_from(["default", "flux-system", "apps", "home-automation"]))
    if draw(st.booleans()):
        metadata["annotations"] = draw(st.dictionaries(KEY, SCALARS, max_size=3))
    doc["metadata"] = metadata if draw(st.integers(0, 7)) else draw(VALUES)
    for key in draw(st.lists(st.sampled_from(["spec", "data", "stringData", "resources", "status", "sops"]),
                             max_size=3, unique=True)):
        doc[key] = draw(VALUES)
    return doc


def _dump(docs: list[Any], flow: Any, width: int) -> str:
    return yaml.safe_dump_all(docs, default_flow_style=flow, allow_unicode=True, width=width, sort_keys=False)


GRAMMAR = ["key: value\n", "  nested: 1\n", "- item\n", "  - {a: 1, b: [x, y]}\n", "---\n", "...\n",
           "anchor: &a {x: 1}\n", "alias: *a\n", "merge:\n  <<: *a\n", "bad: *undefined\n", "tag: !custom x\n",
           "bin: !!binary aGk=\n", "obj: !!python/object/apply:os.system ['true']\n", "str: \"esc \\u0041 \\x41\"\n",
           "block: |\n  line\n", "fold: >-\n  a\n  b\n", "\ttab: 1\n", "k: v\r\n", "on: off\n", "octal: 0o17\n",
           "{{ .Values.x }}\n", "{% if x %}\n", "name: {{ .Release.Name }}\n", "#{ var }#\n", "%YAML 1.2\n",
           "? complex\n: key\n", "[unclosed\n", "'quote\n", "dup: 1\ndup: 2\n", "apiVersion: v1\n", "kind: Service\n",
           "kind: Kustomization\n", "resources: [../../etc, https://x.y/z]\n", "spec:\n  path: ../../..\n",
           "  loadBalancerIP: 10.0.0.1\n", "  type: LoadBalancer\n", "# homeops-lint: disable=lb-ip-outside-pool\n",
           "# homeops-lint: disable-file=parse-error -- reason\n", "metadata: {name: x, namespace: y}\n", "\ufeff", "\x85"]
DOC_PATHS = ["clusters/main/flux-system/gotk-sync.yaml", "clusters/main/apps.yaml", "apps/kustomization.yaml",
             "apps/web/app.yaml", "infra/pools.yaml", "infra/bgp.yaml", "talos/talconfig.yaml",
             "talos/controlplane.yaml", "db/cluster.yaml", "x.yaml"]
POLICIES = [None, "version: 1\nextends: home-ops\n",
            "version: 1\narchitecture:\n  pools:\n    lan: {role: default, ranges: ['10.0.0.10-10.0.0.99']}\n"]


@st.composite
def yaml_repos(draw: Any) -> dict[str, str]:
    files: dict[str, str] = {}
    for _ in range(draw(st.integers(1, 4))):
        path = draw(st.sampled_from(DOC_PATHS))
        if draw(st.integers(0, 3)) == 0:
            text = "".join(draw(st.lists(st.sampled_from(GRAMMAR), min_size=1, max_size=12)))
        else:
            docs = draw(st.lists(manifests(), min_size=1, max_size=3))
            text = _dump(docs, draw(st.sampled_from([False, True, None])), draw(st.sampled_from([40, 80, 10_000])))
        files[path] = files.get(path, "") + ("---\n" if path in files else "") + text
    policy = draw(st.sampled_from(POLICIES))
    if policy:
        files[".homeops-lint.yaml"] = policy
    return files


@PROPERTY
@given(files=yaml_repos())
def test_arbitrary_yaml(workspace, files):
    root = write_files(workspace.fresh(), {"control/dup.yaml": DUPLICATE, **files})
    run_and_check(root)


# --- arbitrary mutations of the fixture repos ------------------------------------------------------
CASES = sorted(p.parent for p in FIXTURES.rglob("homeops-lint-test.yaml"))
PROTECTED = {"homeops-lint-test.yaml", ".homeops-lint.yaml", ".homeops-lint.yml"}  # a broken policy is exit 2 by contract


def _case_files(case: Path) -> list[str]:
    return sorted(p.relative_to(case).as_posix() for p in case.rglob("*")
                  if p.is_file() and p.name not in PROTECTED and ".git" not in p.parts)


MUTATIONS = ["delete-file", "truncate", "insert-bytes", "delete-line", "duplicate-line", "swap-lines",
             "replace-token", "indent", "dedent", "insert-separator", "flip-byte", "empty-file"]


def _mutate(raw: bytes, op: str, rnd: random.Random, token: bytes) -> bytes:
    lines = raw.split(b"\n")
    at = rnd.randrange(len(lines))
    if op == "truncate":
        return raw[: rnd.randrange(len(raw) + 1)]
    if op == "insert-bytes":
        pos = rnd.randrange(len(raw) + 1)
        return raw[:pos] + token + raw[pos:]
    if op == "delete-line":
        del lines[at]
    elif op == "duplicate-line":
        lines.insert(at, lines[at])
    elif op == "swap-lines":
        other = rnd.randrange(len(lines))
        lines[at], lines[other] = lines[other], lines[at]
    elif op == "replace-token":
        words = lines[at].split(b" ")
        words[rnd.randrange(len(words))] = token
        lines[at] = b" ".join(words)
    elif op == "indent":
        lines[at] = b"  " + lines[at]
    elif op == "dedent":
        lines[at] = lines[at].lstrip()
    elif op == "insert-separator":
        lines.insert(at, b"---")
    elif op == "flip-byte" and raw:
        pos = rnd.randrange(len(raw))
        return raw[:pos] + bytes([raw[pos] ^ (1 << rnd.randrange(8))]) + raw[pos + 1:]
    elif op == "empty-file":
        return b""
    return b"\n".join(lines)


TOKENS = st.one_of(st.sampled_from([t.encode("utf-8") for t in INTERESTING + GRAMMAR]), st.binary(max_size=8))


@PROPERTY
@given(case=st.sampled_from(CASES), seed=st.integers(0, 2**32 - 1),
       ops=st.lists(st.tuples(st.sampled_from(MUTATIONS), TOKENS), min_size=1, max_size=4))
def test_arbitrary_mutations_of_fixture_repos(workspace, case, seed, ops):
    rnd = random.Random(seed)
    root = workspace.fresh() / "repo"
    shutil.copytree(case, root, symlinks=True)
    (root / "homeops-lint-test.yaml").unlink(missing_ok=True)
    write_files(root, {"control/dup.yaml": DUPLICATE})
    candidates = _case_files(root)
    for op, token in ops:
        rel = rnd.choice([c for c in candidates if (root / c).exists()] or ["control/dup.yaml"])
        if rel == "control/dup.yaml":
            continue
        target = root / rel
        if op == "delete-file":
            target.unlink()
            continue
        target.write_bytes(_mutate(target.read_bytes(), op, rnd, token))
    before = _digest_tree(root)
    run_and_check(root)
    assert _digest_tree(root) == before  # the tree is byte-identical after the run


def _digest_tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


# --- determinism -------------------------------------------------------------------------------
@PROPERTY
@given(files=yaml_repos(), seed=st.integers(0, 2**32 - 1))
def test_output_does_not_depend_on_file_order(workspace, files, seed, monkeypatch):
    from homeops_lint import discover

    root = write_files(workspace.fresh(), {"control/dup.yaml": DUPLICATE, **files})
    first = render_all(lint_repo(root))
    real_walk = discover._walk_files

    def shuffled(*args: Any, **kwargs: Any) -> list[str]:
        listing = list(real_walk(*args, **kwargs))
        random.Random(seed).shuffle(listing)
        return listing

    with monkeypatch.context() as patch:
        patch.setattr(discover, "_walk_files", shuffled)
        second = render_all(lint_repo(root))
    assert first == second


def test_output_does_not_depend_on_pythonhashseed(tmp_path):
    """Two processes with different hash seeds print the same bytes, on both demo repos."""
    from .conftest import cli_batch

    invocations = [[str(repo), "--format", fmt, "--no-cache"] for repo in (FIXTURES / "home-ops-broken", FIXTURES / "home-ops")
                   for fmt in ("json", "text", "sarif")]
    outputs = []
    for seed in ("0", "4242"):  # one process per seed, running every invocation
        env = {**os.environ, "PYTHONHASHSEED": seed, "HOMEOPS_LINT_CACHE_DIR": str(tmp_path / f"cache-{seed}")}
        done = cli_batch(invocations, cwd=ROOT, env=env)
        assert all(d.returncode in (0, 1) for d in done), [d.stderr.decode() for d in done]
        outputs.append([d.stdout for d in done])
    for argv, first, second in zip(invocations, *outputs):
        assert first == second, f"{Path(argv[0]).name} --format {argv[2]} differs between hash seeds"


# --- no writes, through the CLI ------------------------------------------------------------------
def test_cli_writes_nothing_but_its_own_cache(tmp_path):
    """Every format, on the broken demo copied out: the tree is byte-identical afterwards, and the
    only new files are in the cache folder we point it at (no stray file in HOME or the cwd)."""
    from homeops_lint.report import FORMATS

    from .conftest import cli_batch
    from .test_robustness_support import snapshot

    repo = tmp_path / "repo"
    shutil.copytree(FIXTURES / "home-ops-broken", repo, symlinks=True)
    home, cwd, cache = tmp_path / "home", tmp_path / "cwd", tmp_path / "cache"
    for folder in (home, cwd):
        folder.mkdir()
    before = snapshot(tmp_path)
    env = {**os.environ, "HOME": str(home), "XDG_CACHE_HOME": str(home / ".cache"),
           "HOMEOPS_LINT_CACHE_DIR": str(cache), "PYTHONDONTWRITEBYTECODE": "1"}
    runs = [("--format", fmt) for fmt in FORMATS] + [("--statistics",), ("--no-cache", "--format", "json")]
    entry = subprocess.run([sys.executable, "-m", "homeops_lint", str(repo)], capture_output=True, timeout=120,
                           env=env, cwd=cwd)  # the real entry point once (text, cache miss) ...
    assert entry.returncode in (0, 1), entry.stderr.decode()
    for done in cli_batch([[str(repo), *extra] for extra in runs], cwd=cwd, env=env):  # ... the rest in one process
        assert done.returncode in (0, 1), done.stderr.decode()
    after = snapshot(tmp_path)
    changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
    assert changed, "the cache folder was expected to be written"
    own = ("cache", os.path.join("home", ".cache"), os.path.join("home", ".cache", "homeops-lint"))
    # The cache (and its HMAC key, kept in the user's cache home) is the tool's own state; nothing else.
    assert not [k for k in changed if not (k in own or k.startswith(tuple(o + os.sep for o in own[::2])))], changed


# --- no code runs from the repository --------------------------------------------------------------
VETTED = {
    # (file, needle): why it is safe
    ("git.py", "subprocess"): "the one place git runs: fixed argv, hooks/fsmonitor/filters off, no shell",
    ("discover.py", "subprocess"): "catches git.run's errors (git ls-files / rev-parse)",
    ("gitchanges.py", "subprocess"): "catches git.run's errors (ls-tree, cat-file for --staged/--changed)",
    ("pool.py", "pickle.load"): "findings from our own forked child over a private pipe, never repo data",
    ("run.py", "pickle.load"): "diff: the BASE summary from our own forked child over a private pipe",
}
NEEDLES = ["yaml.load(", "yaml.unsafe_load", "yaml.full_load", "Loader=yaml.Loader", "UnsafeLoader", "FullLoader",
           "eval(", "exec(", "shell=True", "os.system", "os.popen", "pickle.load", "marshal.load", "subprocess",
           "__import__(", "runpy", "importlib.util.spec_from_file_location", "compile(", "ctypes"]


def test_package_source_has_no_unsafe_calls():
    """A grep over the package: no unsafe YAML loading, no eval/exec, no shell; every use of a
    subprocess is on the vetted list (and runs git, never a tool or script found in the repo)."""
    import re

    hits = []
    for path in sorted((ROOT / "homeops_lint").rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        for needle in NEEDLES:
            pattern = re.escape(needle)
            if needle.endswith("("):
                pattern = r"(?<![\w.])" + pattern if needle[0].isalpha() else pattern
            for match in re.finditer(pattern, text):
                line = text[: match.start()].count("\n") + 1
                source_line = text.splitlines()[line - 1].strip()
                if re.search(r"re\.compile\(|\.compile\(", source_line) and needle == "compile(":
                    continue  # re.compile / a regex object's compile, not the builtin
                if (path.name, needle) in VETTED:
                    continue
                hits.append(f"{path.relative_to(ROOT)}:{line}: {source_line}")
    assert not hits, "unvetted dangerous call(s):\n" + "\n".join(hits)
    for (name, needle) in VETTED:
        text = next((ROOT / "homeops_lint").rglob(name)).read_text(encoding="utf-8")
        assert "shell=True" not in text and needle in text


def test_hostile_values_are_never_evaluated(tmp_path):
    marker = tmp_path / "ran"
    payloads = [f"__import__('os').system('touch {marker}')", f"$(touch {marker})", f"`touch {marker}`",
                f"{{{{ system 'touch {marker}' }}}}", f"!!python/object/apply:os.system ['touch {marker}']"]
    docs = "".join(f"---\napiVersion: v1\nkind: Service\nmetadata:\n  name: s{i}\n  annotations:\n"
                   f"    lbipam.cilium.io/ips: \"{p}\"\nspec:\n  type: LoadBalancer\n  loadBalancerIP: \"{p}\"\n"
                   for i, p in enumerate(payloads))
    kustomization = "resources:\n" + "".join(f"  - \"{p}\"\n" for p in payloads)
    root = write_files(tmp_path / "repo", {"control/dup.yaml": DUPLICATE, "apps/svc.yaml": docs,
                                           "apps/kustomization.yaml": kustomization,
                                           "scripts/hook.sh": f"#!/bin/sh\ntouch {marker}\n",
                                           "tool.py": f"open({str(marker)!r}, 'w')\n",
                                           "conftest.py": f"open({str(marker)!r}, 'w')\n"})
    os.chmod(root / "scripts/hook.sh", 0o755)
    lint_repo(root)
    run_and_check(root)
    assert not marker.exists()
