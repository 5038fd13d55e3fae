"""lb-: every LoadBalancer IP the applied set asks for lands in the right pool, and the pools are sane.

See rules/catalog/lb.yaml for each rule, and domain.md §1 and §3 for the Cilium LB-IPAM behaviour
the rules mirror (no_pool, pool_selector_mismatch, already_allocated, pool conflicts). The family
is one package: the requests (``requests.py``), the pools (``pools.py``), the IP plan
(``plan.py``) and the fixers (``fix.py``).
"""
from __future__ import annotations

from ...context import Context
from ...network import cilium_version, collect_requests, manifest_pools
from .fix import fix_allow_first_last, fix_lb_annotation
from .plan import check_exhausted, check_pins
from .pools import check_pool_declarations, check_pool_documents, check_pool_network, check_pool_overlap
from .requests import check_deprecated, check_duplicates, check_requests

# fixer id -> (the rule whose finding it fixes, function); ``homeops_lint/fix.py`` collects them.
FIXERS = {
    "lb-annotation-rename": ("lb-deprecated-annotation", fix_lb_annotation),
    "lb-pool-allow-first-last-quote": ("lb-pool-invalid", fix_allow_first_last),
}


def check(ctx: Context) -> None:
    pools = manifest_pools(ctx.index, ctx.policy)
    version = cilium_version(ctx.index, ctx.policy)
    requests = collect_requests(ctx.index, ctx.policy)
    check_pool_documents(ctx, version)
    check_pool_overlap(ctx, pools)
    check_pool_network(ctx, pools)
    check_pool_declarations(ctx, pools)
    check_requests(ctx, pools, requests, version)
    check_duplicates(ctx, requests)
    check_deprecated(ctx, requests)
    if ctx.enabled("lb-ip-pin-mismatch"):
        check_pins(ctx, requests)
    if ctx.enabled("lb-pool-exhausted"):
        check_exhausted(ctx)
