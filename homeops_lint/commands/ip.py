"""``homeops-lint ip``: the LoadBalancer address plan of the repository, and questions about it.

    homeops-lint ip [PATH]                        the allocation table and the pool summary, per cluster
    homeops-lint ip ADDRESS|CIDR|RANGE [PATH]     who holds it, or what lies in it
    homeops-lint ip --free POOL [-n N] [PATH]     the next free addresses of a pool

A first argument that parses as an address, a CIDR or a ``start-stop`` range is a query; anything
else is the path. Exit codes: 0 answered, 2 usage error (unknown pool or cluster, bad policy).
An unchanged tree replays the previous answer from the cache, as the lint does.
"""
from __future__ import annotations

import csv
import io
import json
import os
import sys
from typing import TYPE_CHECKING, Any, Optional, Sequence

from ..ipplan import Answer, ClusterPlan, Plan, PoolPlan, Query, Row, answer, build_plan, markdown_table, \
    parse_query
from ..options import Options
from ..output import die, use_color

if TYPE_CHECKING:
    from ..cache import Cache

FORMATS = ("text", "json", "markdown", "csv")
# The lint's colours: problems red like errors, shared addresses cyan like info, headings bold.
_RED, _YELLOW, _CYAN, _BOLD, _DIM = "1;31", "33", "36", "1", "2"


def parser():  # type: ignore[no-untyped-def]
    import argparse

    from ..errors import argument_parser

    p = argument_parser(prog="homeops-lint ip", description=__doc__.split("\n\n")[0],
                        formatter_class=argparse.RawDescriptionHelpFormatter,
                        epilog="\n".join(__doc__.split("\n\n")[1].splitlines()))
    p.add_argument("args", nargs="*", metavar="[ADDRESS|CIDR|RANGE] [PATH]")
    p.add_argument("--free", metavar="POOL", help="list the next free addresses of POOL")
    p.add_argument("-n", type=int, default=5, metavar="N", help="how many free addresses (default 5)")
    p.add_argument("--cluster", metavar="NAME", help="only this cluster (a Flux entrypoint's folder name)")
    p.add_argument("--format", default="text", choices=FORMATS)
    p.add_argument("--config", metavar="FILE", help="policy file (default: .homeops-lint.yaml at the root)")
    p.add_argument("--root", metavar="DIR", help="the repository root")
    p.add_argument("--color", default="auto", choices=("auto", "always", "never"))
    p.add_argument("--cache-dir", metavar="DIR", help="cache folder (as for the lint)")
    p.add_argument("--no-cache", action="store_true", help="neither read nor write the cache")
    return p


def main(argv: Sequence[str]) -> int:
    args = parser().parse_args(list(argv))
    positional = list(args.args)
    query = parse_query(positional[0]) if positional else None
    if query is not None:
        positional = positional[1:]
    if len(positional) > 1:
        return _die("expected at most one query and one PATH")
    if args.n < 1:
        return _die("-n must be at least 1")
    if query is not None and args.free:
        return _die("give either a query or --free POOL, not both")
    path = positional[0] if positional else "."
    if not os.path.exists(path):
        return _die(f"{path}: no such file or folder")
    color = use_color(args.color, sys.stdout)
    options = Options(paths=[path], root=args.root, config=args.config, select=["lb-ip-pin-mismatch"])
    cache, key = _cache_lookup(args, options, query, color)
    if cache is not None:
        entry = cache.get("ip", key)
        if isinstance(entry, dict) and isinstance(entry.get("text"), str) and entry.get("code") == 0:
            sys.stdout.write(entry["text"])
            return 0
    from ..engine import run

    result = run(options)
    plan = build_plan(result.index, result.policy)
    if args.cluster is not None:
        if plan.cluster(args.cluster) is None:
            return _die(f"no cluster named {args.cluster} (clusters: {', '.join(c.name for c in plan.clusters)})")
        plan = Plan([c for c in plan.clusters if c.name == args.cluster], plan.pins)
    if args.free:
        pools = plan.pools_named(args.free)
        if not pools:
            names = sorted({p.name for c in plan.clusters for p in c.pools})
            return _die(f"no pool named {args.free} (pools: {', '.join(names) or 'none'})")
        if len(pools) > 1 and args.cluster is None:
            return _die(f"pool {args.free} is in several clusters; choose one with --cluster")
        text = render_free(pools[0], args.n, args.format)
    elif query is not None:
        text = render_answer(answer(plan, query), args.format, color)
    else:
        text = render_plan(plan, args.format, color)
    sys.stdout.write(text)
    if cache is not None:
        cache.put("ip", key, {"text": text, "code": 0})
    return 0


def _die(message: str) -> int:
    return die(message, prog="homeops-lint ip")


def _cache_lookup(args: Any, options: Options, query: Optional[Query], color: bool) -> tuple[Optional[Cache], str]:
    if args.no_cache or os.environ.get("HOMEOPS_LINT_NO_CACHE"):
        return None, ""
    from pathlib import Path

    from ..cache import Cache, default_dir, key_of, tree_key
    from ..discover import find_root

    try:
        root = Path(options.root).absolute() if options.root else find_root(options.paths)
        cache = Cache(Path(args.cache_dir).absolute() if args.cache_dir else default_dir(root))
        tree = tree_key(options, cache)
    except Exception:  # noqa: BLE001 - the engine reports policy errors itself; the cache never fails a run
        return None, ""
    return cache, key_of(tree, "ip", query.text if query else None, args.free, args.n, args.cluster, args.format,
                         color)


def _paint(text: str, code: str, on: bool) -> str:
    return f"\033[{code}m{text}\033[0m" if on and text else text


def _align(rows: list[list[str]], indent: str = "  ") -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return [indent + "  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip() for r in rows]


# --- the table ----------------------------------------------------------------------------------
def row_dicts(row: Row) -> dict[str, Any]:
    return {"address": str(row.address), "pool": row.pool, "role": row.role or None, "status": row.status,
            "pin_note": row.pin_note or None,
            "owners": [{"kind": o.kind, "namespace": o.namespace, "name": o.name, "values_key": o.values_key or None,
                        "workload": o.workload, "how": o.how, "path": o.path, "line": o.line, "column": o.column,
                        "via": o.via or None, "sharing_key": o.sharing_key} for o in row.owners]}


def pool_dict(pool: PoolPlan, first: int = 5) -> dict[str, Any]:
    return {"name": pool.name, "role": pool.role, "source": pool.source, "blocks": [str(b) for b in pool.blocks],
            "disabled": pool.disabled, "size": pool.size, "reserved_first_last": len(pool.reserved_edges()),
            "used": len(pool.used), "pinned_unused": len(pool.pinned - pool.used), "dynamic": pool.dynamic,
            "free": pool.free, "first_free": [str(a) for a in pool.free_addresses(first)]}


def render_plan(plan: Plan, fmt: str, color: bool) -> str:
    if fmt == "json":
        return json.dumps({"clusters": [{"name": c.name, "dynamic_services": c.dynamic,
                                         "rows": [row_dicts(r) for r in c.rows],
                                         "pools": [pool_dict(p) for p in c.pools]} for c in plan.clusters]},
                          indent=2) + "\n"
    if fmt == "csv":
        return _csv([r for c in plan.clusters for r in c.rows])
    if fmt == "markdown":
        return "".join(_markdown_cluster(c, len(plan.clusters) > 1) for c in plan.clusters)
    return "\n".join(_text_cluster(c, color) for c in plan.clusters)


def _csv(rows: list[Row]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["cluster", "address", "pool", "role", "status", "owner", "requested_by", "path", "line", "via"])
    for row in rows:
        for owner in row.owners:
            writer.writerow([row.cluster, str(row.address), row.pool or "", row.role, row.status, owner.ident,
                             owner.how, owner.path, owner.line, owner.via])
    return out.getvalue()


def _owner_cells(row: Row) -> list[list[str]]:
    """One line per owner; the address, pool and mark only on the first; the ``${VAR}`` chain last."""
    out = []
    for i, owner in enumerate(row.owners):
        first = i == 0
        out.append([str(row.address) if first else "", (row.pool or "-") if first else "",
                    (row.role or "-") if first else "", owner.ident, owner.how, owner.where,
                    row.mark if first else "", owner.via])
    return out


def _text_cluster(cluster: ClusterPlan, color: bool) -> str:
    lines = [_paint(f"cluster {cluster.name}", _BOLD, color)]
    if cluster.rows:
        header = ["address", "pool", "role", "owner", "requested by", "where", "", ""]
        table = [header] + [cells for row in cluster.rows for cells in _owner_cells(row)]
        aligned = _align(table)
        marks = [""] + [row.status for row in cluster.rows for _ in row.owners]
        for text, status in zip(aligned, marks):
            if not status:
                lines.append(_paint(text, _DIM, color) if text is aligned[0] else text)
            elif status in ("ok",):
                lines.append(text)
            else:
                lines.append(_paint(text, _CYAN if status == "shared" else _RED, color))
    else:
        lines.append("  no LoadBalancer address is requested")
    lines.append("")
    lines += _text_pools(cluster, color)
    problems = sum(1 for r in cluster.rows if r.problem)
    tail = f"{len(cluster.rows)} address{'es' if len(cluster.rows) != 1 else ''}"
    if cluster.dynamic:
        tail += f", {cluster.dynamic} LoadBalancer Service{'s' if cluster.dynamic != 1 else ''} without a fixed address"
    if problems:
        tail += ", " + _paint(f"{problems} marked", _RED, color)
    lines.append(f"  {tail}")
    return "\n".join(lines) + "\n"


def _text_pools(cluster: ClusterPlan, color: bool) -> list[str]:
    if not cluster.pools:
        return ["  no LoadBalancer pool"]
    table = [["pool", "role", "blocks", "size", "used", "free", "first free"]]
    notes = []
    for pool in cluster.pools:
        first = ", ".join(str(a) for a in pool.free_addresses(3))
        if not pool.allocatable:
            first = "(disabled)" if pool.disabled else "(reserved)"
        table.append([pool.name, pool.role, pool.describe(), str(pool.size), str(len(pool.used)), str(pool.free),
                      first])
        notes.append(pool)
    aligned = _align(table)
    out = [_paint(aligned[0], _DIM, color)]
    for text, pool in zip(aligned[1:], notes):
        out.append(_paint(text, _YELLOW, color) if pool.allocatable and pool.free < 2 else text)
    return out


def _markdown_cluster(cluster: ClusterPlan, heading: bool) -> str:
    lines = [f"## Cluster {cluster.name}", ""] if heading else []
    rows = []
    for row in cluster.rows:
        rows.append((str(row.address), row.pool or "-", "<br>".join(o.ident for o in row.owners),
                     "<br>".join(dict.fromkeys(o.how for o in row.owners)),
                     "<br>".join(f"`{o.where}`" + (f" ({o.via})" if o.via else "") for o in row.owners),
                     row.mark))
    lines += markdown_table(("address", "pool", "owner", "requested by", "where", "note"), rows)
    lines.append("")
    pools = [(p.name, p.role, p.describe(), str(p.size), str(len(p.used)), str(p.free),
              ", ".join(str(a) for a in p.free_addresses(3)) if p.allocatable else
              ("disabled" if p.disabled else "reserved")) for p in cluster.pools]
    lines += markdown_table(("pool", "role", "blocks", "size", "used", "free", "first free"), pools)
    return "\n".join(lines) + "\n"


# --- queries ------------------------------------------------------------------------------------
def render_answer(found: Answer, fmt: str, color: bool) -> str:
    query = found.query
    if fmt == "json":
        return json.dumps({"query": query.text, "range": str(query.range), "rows": [row_dicts(r) for r in found.rows],
                           "pools": [pool_dict(p) for p in found.pools],
                           "pinned": [{"address": str(a), "pins": keys} for a, keys in found.pinned]},
                          indent=2) + "\n"
    if fmt == "csv":
        return _csv(found.rows)
    if fmt == "markdown":
        fake = ClusterPlan("query", found.rows, found.pools)
        return _markdown_cluster(fake, False)
    lines: list[str] = []
    if query.single:
        address = query.range.start
        if found.rows:
            for row in found.rows:
                owners = ", ".join(f"{o.ident} ({o.how} at {o.where}{'; ' + o.via if o.via else ''})"
                                   for o in row.owners)
                mark = f" [{row.mark}]" if row.mark else ""
                where = f"pool {row.pool}" if row.pool else "no pool"
                lines.append(f"{address}: held by {owners}; {where}, cluster {row.cluster}"
                             + _paint(mark, _RED if row.problem else _CYAN, color))
        else:
            lines.append(f"{address}: {_free_state(found, address)}")
        for _address, keys in found.pinned:
            lines.append(f"  pinned in the policy to {', '.join(keys)}")
        return "\n".join(lines) + "\n"
    lines.append(f"{query.text} ({query.range.size} address{'es' if query.range.size != 1 else ''}): "
                 f"{len(found.rows)} held")
    if found.rows:
        table = [["address", "pool", "owner", "requested by", "where", "", ""]]
        for row in found.rows:
            table += [c[:2] + c[3:] for c in _owner_cells(row)]
        lines += _align(table)
    for pool in found.pools:
        lines.append(f"  pool {pool.name} ({pool.role}, cluster {pool.cluster}): {pool.describe()}; "
                     f"{len(pool.used)} used, {pool.free} free")
    if not found.pools:
        lines.append("  no pool overlaps it")
    for address, keys in found.pinned:
        lines.append(f"  {address} is pinned to {', '.join(keys)}")
    return "\n".join(lines) + "\n"


def _free_state(found: Answer, address: Any) -> str:
    pools = [p for p in found.pools if p.contains(address)]
    if not pools:
        return "in no pool; no Service can be given it"
    pool = pools[0]
    if int(address) in pool.reserved_edges():
        return f"the {'first' if any(int(address) == b.first for b in pool.blocks) else 'last'} address of a " \
               f"block of pool {pool.name}, which Cilium pre-allocates (allowFirstLastIPs \"No\")"
    if not pool.allocatable:
        return f"not in use; pool {pool.name} is {'disabled' if pool.disabled else 'reserved'}"
    if found.pinned:
        return f"not in use, but pinned (pool {pool.name}, cluster {pool.cluster})"
    return f"free in pool {pool.name} ({pool.role}, cluster {pool.cluster})"


def render_free(pool: PoolPlan, count: int, fmt: str) -> str:
    free = pool.free_addresses(count)
    if fmt == "json":
        return json.dumps({"pool": pool.name, "cluster": pool.cluster, "free": [str(a) for a in free],
                           "free_total": pool.free if pool.allocatable else 0}, indent=2) + "\n"
    if fmt == "csv":
        return "address\n" + "".join(f"{a}\n" for a in free)
    if fmt == "markdown":
        return "".join(f"- `{a}`\n" for a in free)
    if not pool.allocatable:
        sys.stderr.write(f"homeops-lint ip: pool {pool.name} is {'disabled' if pool.disabled else 'reserved'}; "
                         "it hands out no address\n")
    elif len(free) < count:
        sys.stderr.write(f"homeops-lint ip: pool {pool.name} has only {len(free)} free address"
                         f"{'es' if len(free) != 1 else ''}\n")
    return "".join(f"{a}\n" for a in free)

