"""The IP plan (issue #14): ``homeops-lint ip``, pinned addresses, pool headroom and README tables.

The demo-repo counts below were worked out by hand from fixtures/home-ops (pools in
infrastructure/networking/loadbalancer-ip-pools.yaml, requests in the Services and HelmReleases).
"""
from __future__ import annotations

import csv
import io
import ipaddress
import json
import os
import shutil
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from .conftest import FIXTURES, cli, write_tree

EXAMPLES = int(os.environ.get("HOMEOPS_LINT_PROPERTY_EXAMPLES", "1000" if os.environ.get("CI") else "100"))


def plan_of(root: Path):
    from homeops_lint.engine import Options, run
    from homeops_lint.ipplan import build_plan

    result = run(Options(paths=[str(root)], root=str(root), select=["lb-ip-pin-mismatch"]))
    return build_plan(result.index, result.policy)


def ip_json(*args: str) -> dict:
    done = cli("ip", *args, "--format", "json", "--no-cache")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


# --- the demo cluster ---------------------------------------------------------------------------
def test_demo_table_lists_every_loadbalancer_address() -> None:
    data = ip_json(str(FIXTURES / "home-ops"))
    [cluster] = data["clusters"]
    assert cluster["name"] == "home-ops"
    rows = {r["address"]: r for r in cluster["rows"]}
    assert sorted(rows, key=ipaddress.ip_address) == [
        "172.29.52.101", "172.29.52.103", "172.29.52.110", "172.29.52.111", "172.29.52.200", "172.29.52.201"]
    assert rows["172.29.52.101"]["pool"] == "bgp-default"
    assert rows["172.29.52.101"]["owners"][0]["workload"] == "monitoring/kube-prometheus-stack:grafana"
    assert rows["172.29.52.103"]["pool"] == "bgp-default"
    assert rows["172.29.52.103"]["owners"][0]["workload"] == "monitoring/kube-prometheus-stack:alertmanager"
    assert all(r["status"] == "ok" for r in rows.values())
    ingress = rows["172.29.52.200"]["owners"][0]
    assert ingress["via"] == "${INGRESS_IP} from postBuild.substitute at clusters/home-ops/infrastructure.yaml:96"
    assert (ingress["path"], ingress["line"]) == ("infrastructure/ingress-nginx/helmrelease-external.yaml", 42)


def test_demo_pool_summary_matches_hand_counts() -> None:
    pools = {p["name"]: p for p in ip_json(str(FIXTURES / "home-ops"))["clusters"][0]["pools"]}
    # bgp-default 172.29.52.100-199: .101 .103 .110 .111 requested; start/stop blocks reserve nothing.
    assert (pools["bgp-default"]["size"], pools["bgp-default"]["used"], pools["bgp-default"]["free"]) == (100, 4, 96)
    assert pools["bgp-default"]["first_free"][:3] == ["172.29.52.100", "172.29.52.102", "172.29.52.104"]
    # bgp-ingress 172.29.52.200-220: the two ingress-nginx controllers.
    assert (pools["bgp-ingress"]["size"], pools["bgp-ingress"]["used"], pools["bgp-ingress"]["free"]) == (21, 2, 19)
    # bgp-reserved 172.29.52.50-99: disabled, hands nothing out.
    assert (pools["bgp-reserved"]["size"], pools["bgp-reserved"]["used"]) == (50, 0)
    assert pools["bgp-reserved"]["disabled"] and pools["bgp-reserved"]["first_free"] == []


def test_broken_table_marks_unpooled_duplicate_reserved_and_not_lb() -> None:
    rows = {r["address"]: r for r in ip_json(str(FIXTURES / "home-ops-broken"))["clusters"][0]["rows"]}
    assert rows["172.29.51.200"]["status"] == "unpooled" and rows["172.29.51.200"]["pool"] is None
    assert rows["172.29.52.101"]["status"] == "duplicate"
    assert {o["workload"] for o in rows["172.29.52.101"]["owners"]} == {
        "monitoring/kube-prometheus-stack:grafana", "monitoring/grafana-lan"}
    assert rows["172.29.52.201"]["status"] == "duplicate"
    assert rows["172.29.52.60"]["status"] == "reserved"
    assert rows["172.29.52.130"]["status"] == "not-lb"
    assert rows["172.29.52.224"]["status"] == "first-last"  # bgp-lab 172.29.52.224/28, allowFirstLastIPs "No"
    # The planted wrong AlertManager address: the home-ops pack pins it to .103.
    assert rows["172.29.52.105"]["pin_note"] == "PINNED TO 172.29.52.103"
    text = cli("ip", str(FIXTURES / "home-ops-broken"), "--no-cache", "--color", "never").stdout.decode()
    assert "NO POOL" in text and "DUPLICATE" in text and "PRE-ALLOCATED" in text and "7 marked" in text


def test_free_returns_unused_addresses_of_the_pool() -> None:
    done = cli("ip", "--free", "bgp-default", "-n", "3", str(FIXTURES / "home-ops"), "--no-cache")
    assert done.returncode == 0, done.stderr
    free = done.stdout.decode().split()
    assert free == ["172.29.52.100", "172.29.52.102", "172.29.52.104"]
    used = {r["address"] for r in ip_json(str(FIXTURES / "home-ops"))["clusters"][0]["rows"]}
    assert not set(free) & used


def test_queries_address_cidr_range_and_path() -> None:
    root = str(FIXTURES / "home-ops")
    held = ip_json("172.29.52.101", root)
    assert [r["owners"][0]["workload"] for r in held["rows"]] == ["monitoring/kube-prometheus-stack:grafana"]
    assert held["pinned"] == [{"address": "172.29.52.101", "pins": ["monitoring/kube-prometheus-stack:grafana"]}]
    cidr = ip_json("172.29.52.96/28", root)
    assert [r["address"] for r in cidr["rows"]] == ["172.29.52.101", "172.29.52.103", "172.29.52.110",
                                                    "172.29.52.111"]
    assert {p["name"] for p in cidr["pools"]} == {"bgp-default", "bgp-reserved"}
    ranged = ip_json("172.29.52.200-172.29.52.205", root)
    assert [r["address"] for r in ranged["rows"]] == ["172.29.52.200", "172.29.52.201"]
    free = cli("ip", "172.29.52.102", root, "--no-cache").stdout.decode()
    assert "free in pool bgp-default" in free
    outside = cli("ip", "10.9.9.9", root, "--no-cache").stdout.decode()
    assert "in no pool" in outside


def test_unknown_pool_and_extra_arguments_are_usage_errors() -> None:
    root = str(FIXTURES / "home-ops")
    done = cli("ip", "--free", "nope", root, "--no-cache")
    assert done.returncode == 2 and b"no pool named nope" in done.stderr
    assert cli("ip", "172.29.52.1", root, root, "--no-cache").returncode == 2
    assert cli("ip", str(FIXTURES / "does-not-exist"), "--no-cache").returncode == 2


def test_csv_and_markdown_formats() -> None:
    root = str(FIXTURES / "home-ops")
    rows = list(csv.DictReader(io.StringIO(cli("ip", root, "--format", "csv", "--no-cache").stdout.decode())))
    assert len(rows) == 6 and rows[0]["address"] == "172.29.52.101" and rows[0]["pool"] == "bgp-default"
    markdown = cli("ip", root, "--format", "markdown", "--no-cache").stdout.decode()
    assert "| 172.29.52.103 | bgp-default | HelmRelease/monitoring/kube-prometheus-stack:alertmanager |" in markdown
    assert "| bgp-ingress | ingress | 172.29.52.200-172.29.52.220 | 21 | 2 | 19 |" in markdown


def test_cache_replays_an_unchanged_tree(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(FIXTURES / "home-ops", repo)
    cache = tmp_path / "cache"
    first = cli("ip", str(repo), "--cache-dir", str(cache))
    again = cli("ip", str(repo), "--cache-dir", str(cache))
    assert first.returncode == again.returncode == 0 and first.stdout == again.stdout
    assert list(cache.glob("ip-*.json"))
    service = repo / "apps/home-automation/mosquitto/service.yaml"
    service.write_text(service.read_text().replace("172.29.52.111", "172.29.52.112"))
    changed = cli("ip", str(repo), "--cache-dir", str(cache)).stdout.decode()
    assert "172.29.52.112" in changed and "172.29.52.111" not in changed


# --- pins and headroom --------------------------------------------------------------------------
POOL = """\
apiVersion: cilium.io/v2
kind: CiliumLoadBalancerIPPool
metadata: {name: lan}
spec:
  blocks: [{start: 10.0.50.100, stop: 10.0.50.199}]
"""


def service(name: str, namespace: str, address: str | None, kind: str = "LoadBalancer") -> str:
    annotations = f"  annotations: {{lbipam.cilium.io/ips: \"{address}\"}}\n" if address else ""
    return (f"apiVersion: v1\nkind: Service\nmetadata:\n  name: {name}\n  namespace: {namespace}\n{annotations}"
            f"spec:\n  type: {kind}\n  ports: [{{port: 80}}]\n")


def findings(root: Path, *rules: str) -> list[tuple[str, int, str]]:
    from homeops_lint.engine import Options, run

    result = run(Options(paths=[str(root)], root=str(root), select=list(rules)))
    return [(f.path, f.line, f.message) for f in result.findings if f.rule in rules]


def test_pin_mismatch_cases(tree) -> None:
    helm = """\
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: {name: kps, namespace: monitoring}
spec:
  chart: {spec: {chart: kube-prometheus-stack, sourceRef: {kind: HelmRepository, name: x}}}
  values:
    grafana:
      service:
        type: LoadBalancer
        port: 80
"""
    policy = """\
version: 1
architecture:
  pools:
    lan: {role: default, ranges: ["10.0.50.100-10.0.50.199"]}
  addresses:
    apps/web: 10.0.50.110
    apps/api: [10.0.50.120, 10.0.50.121]
    "apps/worker-*": 10.0.50.130
    "monitoring/kps:grafana": 10.0.50.140
    apps/dyn: 10.0.50.150
    apps/typo: not-an-ip
"""
    root = tree({".homeops-lint.yaml": policy, "pools.yaml": POOL,
                 "web.yaml": service("web", "apps", "10.0.50.111"),  # another address than its pin
                 "api.yaml": service("api", "apps", "10.0.50.120"),  # only one of its two pins
                 "worker.yaml": service("worker-1", "apps", "10.0.50.130"),  # glob: fine
                 "thief.yaml": service("thief", "apps", "10.0.50.110"),  # takes web's pinned address
                 "dyn.yaml": service("dyn", "apps", None),  # pinned, asks for nothing
                 "kps.yaml": helm})  # chart Service pinned, asks for nothing
    found = sorted(findings(root, "lb-ip-pin-mismatch"))
    by_file = {path: message for path, _line, message in found}
    assert set(by_file) == {".homeops-lint.yaml", "web.yaml", "api.yaml", "thief.yaml", "dyn.yaml", "kps.yaml"}
    assert "asks for 10.0.50.111" in by_file["web.yaml"]
    assert "does not ask for 10.0.50.121" in by_file["api.yaml"]
    assert "pinned to apps/web" in by_file["thief.yaml"]
    assert "asks for no address" in by_file["dyn.yaml"]
    assert "values grafana.service" in by_file["kps.yaml"]
    assert "'not-an-ip' is not an IP address" in by_file[".homeops-lint.yaml"]


def test_free_skips_pinned_addresses(tree) -> None:
    from homeops_lint.ipplan import free_in

    policy = ("version: 1\narchitecture:\n  pools:\n    lan: {role: default, ranges: [\"10.0.50.100-10.0.50.199\"]}\n"
              "  addresses: {apps/later: 10.0.50.101}\n")
    root = tree({".homeops-lint.yaml": policy, "pools.yaml": POOL, "web.yaml": service("web", "apps", "10.0.50.100")})
    assert [str(a) for a in free_in(plan_of(root), "lan", 2)] == ["10.0.50.102", "10.0.50.103"]


def test_pool_exhausted_warns_then_errors(tree) -> None:
    small = POOL.replace("10.0.50.199", "10.0.50.104")
    policy = "version: 1\narchitecture:\n  pools:\n    lan: {role: default, ranges: [\"10.0.50.100-10.0.50.104\"]}\n"
    files = {".homeops-lint.yaml": policy, "pools.yaml": small,
             **{f"s{i}.yaml": service(f"s{i}", "apps", f"10.0.50.10{i}") for i in range(4)}}
    root = tree(files)
    from homeops_lint.engine import Options, run

    result = run(Options(paths=[str(root)], root=str(root), select=["lb-pool-exhausted"]))
    [warning] = [f for f in result.findings if f.rule == "lb-pool-exhausted"]
    assert warning.severity.value == "warning" and "1 free address of 5" in warning.message
    # Three LoadBalancer Services without an address that only this pool can serve: 4 + 3 > 5.
    for i in range(3):
        (root / f"d{i}.yaml").write_text(service(f"d{i}", "apps", None))
    result = run(Options(paths=[str(root)], root=str(root), select=["lb-pool-exhausted"]))
    [error] = [f for f in result.findings if f.rule == "lb-pool-exhausted"]
    assert error.severity.value == "error" and "must hand out 7" in error.message
    # A headroom of 0 silences the warning but never the error.
    (root / ".homeops-lint.yaml").write_text(policy + "limits: {pool_headroom: 0}\n")
    for i in range(3):
        (root / f"d{i}.yaml").unlink()
    assert not findings(root, "lb-pool-exhausted")


# --- the property: free addresses --------------------------------------------------------------
@st.composite
def pools_and_requests(draw):
    base = int(ipaddress.IPv4Address("10.20.0.0"))
    blocks = []
    for _ in range(draw(st.integers(1, 3))):
        prefix = draw(st.integers(26, 32))
        size = 1 << (32 - prefix)
        start = base + draw(st.integers(0, 15)) * 64
        if draw(st.booleans()):
            blocks.append({"cidr": f"{ipaddress.IPv4Address(start)}/{prefix}"})
        else:
            stop = start + draw(st.integers(0, size - 1))
            blocks.append({"start": str(ipaddress.IPv4Address(start)), "stop": str(ipaddress.IPv4Address(stop))})
    allow = draw(st.sampled_from([None, "Yes", "No"]))
    requested = draw(st.lists(st.integers(0, 16 * 64 - 1).map(lambda o: str(ipaddress.IPv4Address(base + o))),
                              max_size=12, unique=True))
    count = draw(st.integers(1, 70))
    return blocks, allow, requested, count


@settings(max_examples=EXAMPLES, deadline=None, database=None)
@given(pools_and_requests())
def test_property_free_addresses(tmp_path_factory, case) -> None:
    from homeops_lint.ipplan import free_in

    blocks, allow, requested, count = case
    root = tmp_path_factory.mktemp("repo")
    pool = {"apiVersion": "cilium.io/v2", "kind": "CiliumLoadBalancerIPPool", "metadata": {"name": "p"},
            "spec": {"blocks": blocks, **({"allowFirstLastIPs": allow} if allow else {})}}
    files = {"pool.yaml": json.dumps(pool)}
    for i, address in enumerate(requested):
        files[f"s{i}.yaml"] = service(f"s{i}", "apps", address)
    write_tree(root, files)
    plan = plan_of(root)
    [pool_plan] = [p for c in plan.clusters for p in c.pools if p.name == "p"]
    if not pool_plan.blocks:
        return  # overlapping or unparsable blocks are lb-pool-*'s business
    free = free_in(plan, "p", count)
    networks = [ipaddress.ip_network(b["cidr"]) for b in blocks if "cidr" in b]
    ranges = [(ipaddress.IPv4Address(b["start"]), ipaddress.IPv4Address(b["stop"])) for b in blocks if "start" in b]
    assert len(free) == len(set(free)) <= count
    for address in free:
        assert str(address) not in requested
        assert any(address in n for n in networks) or any(a <= address <= b for a, b in ranges)
        if allow == "No":
            edges = {x for n in networks if n.num_addresses >= 4 for x in (n[0], n[-1])}
            in_range = any(a <= address <= b for a, b in ranges)
            assert address not in edges or in_range
    if len(free) < count:  # then every address of the pool is taken
        assert pool_plan.free <= len(free)


# --- README tables ------------------------------------------------------------------------------
def test_readme_marker_round_trip(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(FIXTURES / "home-ops", repo)
    readme = repo / "README.md"
    current = readme.read_bytes()
    stale = current.replace(b"| 172.29.52.111 | bgp-default | Service/home-automation/mosquitto",
                            b"| 172.29.52.112 | bgp-default | Service/home-automation/mosquitto")
    assert stale != current
    readme.write_bytes(stale.replace(b"\n", b"\r\n"))  # CRLF survives the rewrite
    done = cli(str(repo), "--select", "docs-", "--no-cache", "--format", "json")
    [finding] = json.loads(done.stdout)["findings"]
    assert finding["rule"] == "docs-ip-table-drift" and "172.29.52.112" in finding["message"]
    assert finding["severity"] == "warning"
    fixed = cli(str(repo), "--select", "docs-", "--no-cache", "--fix")
    assert fixed.returncode == 0, fixed.stderr
    assert readme.read_bytes() == current.replace(b"\n", b"\r\n")
    before = readme.read_bytes()
    again = cli(str(repo), "--select", "docs-", "--no-cache", "--fix")
    assert again.returncode == 0 and b"fixed" not in again.stderr
    assert readme.read_bytes() == before
    assert cli(str(repo), "--select", "docs-", "--no-cache").returncode == 0


def test_readme_rewrite_touches_only_the_marked_lines() -> None:
    from homeops_lint.checks.docs import rewrite

    plan = plan_of(FIXTURES / "home-ops")
    text = ("# Title\n\n| keep | me |\n|---|---|\n\n<!-- homeops-lint:ip pool=bgp-ingress -->\nold\n"
            "<!-- /homeops-lint:ip -->\ntail without newline")
    new = rewrite(text, plan)
    assert new.startswith("# Title\n\n| keep | me |\n|---|---|\n\n<!-- homeops-lint:ip pool=bgp-ingress -->\n| address")
    assert new.endswith("<!-- /homeops-lint:ip -->\ntail without newline")
    assert "old" not in new and "172.29.52.201" in new and "172.29.52.101" not in new
    assert rewrite(new, plan) == new


def test_readme_marker_problems_are_reported_not_fixed() -> None:
    from homeops_lint.checks.docs import drifts, rewrite

    plan = plan_of(FIXTURES / "home-ops")
    unclosed = "<!-- homeops-lint:ip -->\n| a |\n"
    unknown = "<!-- homeops-lint:ip cluster=nope -->\n<!-- /homeops-lint:ip -->\n"
    assert "no closing" in drifts(unclosed, plan)[0].message
    assert "no cluster named nope" in drifts(unknown, plan)[0].message
    assert rewrite(unclosed, plan) == unclosed and rewrite(unknown, plan) == unknown
    # Markers shown as documentation (inline code, fenced code) are not tables.
    shown = "Use `<!-- homeops-lint:ip -->` markers:\n\n```\n<!-- homeops-lint:ip -->\n```\n"
    assert drifts(shown, plan) == []


# --- init -----------------------------------------------------------------------------------------
def test_init_infers_networks_and_pins_addresses(tmp_path: Path) -> None:
    import yaml

    done = cli("init", str(FIXTURES / "home-ops"), "--stdout", "--pin-addresses")
    assert done.returncode == 0, done.stderr
    text = done.stdout.decode()
    policy = yaml.safe_load(text)
    networks = policy["architecture"]["networks"]
    assert networks["nodes"] == ["172.29.51.0/24"]  # talconfig nodes[].networkInterfaces[].addresses
    assert networks["loadbalancer"] == ["172.29.52.0/24"]  # pools 172.29.52.50-220
    assert "# node/management subnets: from talos/talconfig.yaml" in text
    assert "# the LoadBalancer network: the smallest network that holds every pool" in text
    assert policy["architecture"]["addresses"]["monitoring/kube-prometheus-stack:grafana"] == "172.29.52.101"
    assert len(policy["architecture"]["addresses"]) == 6
    # The written policy is valid and its pins hold on the repository it came from.
    repo = tmp_path / "repo"
    shutil.copytree(FIXTURES / "home-ops", repo)
    (repo / ".homeops-lint.yaml").write_text(text)
    assert not findings(repo, "lb-ip-pin-mismatch")
    # The only policy problem is the pod network the reference cluster writes with host bits.
    assert [m for _p, _l, m in findings(repo, "policy-invalid")] == [
        "networks.pods: fd47:25e1:2f96:51:2000::/64 has host bits set; it means fd47:25e1:2f96:51::/64"]


def test_init_leaves_unknown_networks_empty(tree) -> None:
    import yaml

    talconfig = ("clusterName: c\nendpoint: https://10.1.0.10:6443\nkubernetesVersion: v1.31.0\n"
                 "nodes:\n  - hostname: a\n    ipAddress: 10.1.0.11\n    controlPlane: true\n")
    root = tree({"talos/talconfig.yaml": talconfig})
    text = cli("init", str(root), "--stdout").stdout.decode()
    networks = yaml.safe_load(text)["architecture"]["networks"]
    assert networks["nodes"] == [] and networks["loadbalancer"] == []
    assert "node addresses 10.1.0.11 are declared without a prefix length (fill in)" in text
    assert "no LoadBalancer pool found (fill in)" in text
