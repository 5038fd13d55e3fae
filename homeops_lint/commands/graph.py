"""``homeops-lint graph [PATH]``: what Flux applies, as a tree (text), JSON, Graphviz or Mermaid.

entrypoint → Flux Kustomizations (with dependsOn) → paths → objects counted by kind; bootstrap-only
components are marked where Flux reaches them, listed where the bootstrap phase defines them, and
the files nothing applies are listed at the end.
"""
from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Optional, Sequence

if TYPE_CHECKING:
    from ..engine import Result

FORMATS = ("text", "json", "dot", "mermaid")


@dataclass
class NodeView:
    id: str
    name: str
    namespace: str
    file: str
    line: int
    path: Optional[str]
    parent: Optional[str]
    depends_on: list[str] = field(default_factory=list)
    target_namespace: Optional[str] = None
    state: str = "ok"  # ok | external | unresolved (unknown variables) | missing
    objects: dict[str, int] = field(default_factory=dict)
    bootstrap: list[str] = field(default_factory=list)  # bootstrap-only components it applies
    children: list["NodeView"] = field(default_factory=list)
    synthetic: bool = False
    scope: str = ""  # "<cluster>:" in front of every id when the repo holds several clusters


@dataclass
class GraphView:
    root: str
    mode: str
    entrypoints: list[str]
    nodes: list[NodeView]  # top-level (roots), children nested
    bootstrap: list[dict[str, Any]]
    unreachable: list[dict[str, str]]
    loose: dict[str, int] = field(default_factory=dict)  # no-flux mode: everything, by kind


def build_view(result: Result) -> GraphView:
    from ..checks.flux import unreachable_skip
    from ..components import SourceLookup, bootstrap_definitions, bootstrap_entries, load_components, match_document
    from ..flux import dead_files, is_flux_kustomization

    index, policy = result.index, result.policy
    graph = index.graph
    components = load_components(policy.architecture)
    entries = {e.name: e for e in bootstrap_entries(policy.architecture) if e.name in components}
    selected = {n: components[n] for n in entries}
    sources = SourceLookup((a.doc, a.namespace) for a in index.applied)

    def view(node: Any, parent: Optional[str], scope: str) -> NodeView:
        ns = node.namespace or "flux-system"
        spec = node.spec
        deps = []
        for dep in spec.get("dependsOn") or [] if isinstance(spec.get("dependsOn"), list) else []:
            if isinstance(dep, dict) and isinstance(dep.get("name"), str):
                dep_ns = dep.get("namespace") if isinstance(dep.get("namespace"), str) else ns
                deps.append(dep["name"] if dep_ns == ns else f"{dep_ns}/{dep['name']}")
        state = ("external" if node.external else "ok" if node.path is not None
                 else "unresolved" if node.unresolved else "missing")
        target = spec.get("targetNamespace") if isinstance(spec.get("targetNamespace"), str) else None
        out = NodeView(f"{scope}{ns}/{node.name}", node.name, ns, node.doc.path, node.doc.pos("spec", "path").line,
                       node.path, parent, deps, target, state, synthetic=node.synthetic, scope=scope)
        child_docs = {id(c.doc) for c in node.children}
        marked: set[str] = set()
        for applied in node.objects:
            doc = applied.doc
            if id(doc) in child_docs or (is_flux_kustomization(doc) and doc is node.doc):
                continue
            label = doc.kind or doc.doc_class.value
            out.objects[label] = out.objects.get(label, 0) + 1
            for match in match_document(doc, applied.namespace, selected, sources):
                if entries[match.component].mode == "forbid":
                    marked.add(f"{match.component} ({doc.path})")
                else:
                    marked.add(f"{match.component} (adopted: {doc.path})")
        out.bootstrap = sorted(marked)
        out.children = [view(c, out.id, scope) for c in node.children]
        return out

    scopes = cluster_scopes([root.doc.path for root in graph.roots])
    nodes = [view(root, None, scopes[root.doc.path]) for root in graph.roots]
    definitions = bootstrap_definitions(index.files, selected, index.is_applied) if selected else []
    bootstrap = []
    for name, entry in sorted(entries.items()):
        defs = [d.describe() for d in definitions if d.component == name]
        bootstrap.append({"component": name, "mode": entry.mode, "defined": sorted(set(defs))})
    skip = unreachable_skip(_options(result, "flux-unreachable"), index.files)
    unreachable = [{"path": d.path, "kind": d.kind, "message": d.message}
                   for d in dead_files(index.files, graph, skip)]
    loose: dict[str, int] = {}
    if graph.mode == "no-flux":
        for applied in index.applied:
            if applied.doc.kind:
                loose[applied.doc.kind] = loose.get(applied.doc.kind, 0) + 1
    return GraphView(str(result.root), graph.mode, [d.path for d in graph.entrypoints], nodes, bootstrap,
                     unreachable, loose)


def cluster_scopes(root_files: list[str]) -> dict[str, str]:
    """The id prefix of each root's tree: "" for a single cluster; else the cluster's name (the
    folder after ``clusters/``) or, when that is missing or ambiguous, the root file's folder.
    Every cluster has its own ``flux-system/flux-system``; without a prefix they would merge."""
    folders = {path: path.rpartition("/")[0] or "." for path in root_files}
    if len(set(folders.values())) <= 1:
        return {path: "" for path in root_files}

    def name(folder: str) -> str:
        parts = folder.split("/")
        found = [parts[i + 1] for i in range(len(parts) - 1) if parts[i] == "clusters"]
        return found[-1] if found else folder

    names = {folder: name(folder) for folder in set(folders.values())}
    if len(set(names.values())) < len(names):
        names = {folder: folder for folder in names}
    return {path: names[folder] + ":" for path, folder in folders.items()}


def _options(result: Result, rule_id: str) -> dict[str, Any]:
    rule = result.catalog.get(rule_id)
    merged = dict(rule.options) if rule else {}
    merged.update(result.policy.rule_config(rule_id).get("options", {}))
    return merged


def _counts(objects: dict[str, int]) -> str:
    items = sorted(objects.items(), key=lambda kv: (-kv[1], kv[0]))
    return ", ".join(f"{n} {k}" for k, n in items) if items else "nothing"


# --- text ---------------------------------------------------------------------------------------
def render_text(view: GraphView) -> str:
    lines = [f"Flux graph of {view.root}"]
    if view.mode == "no-flux":
        lines.append("No Flux entrypoint and no Flux Kustomization: every manifest counts as applied.")
        lines.append(f"  {_counts(view.loose)}")
    else:
        how = {"entrypoints": "entrypoint", "inferred-roots": "inferred root (no flux-system sync found)"}
        lines.append(f"{how.get(view.mode, view.mode)}: {', '.join(view.entrypoints) or '-'}")
    lines.append("")

    def walk(node: NodeView, prefix: str, last: bool, top: bool) -> None:
        branch = "" if top else ("└── " if last else "├── ")
        head = f"{node.namespace}/{node.name}" if node.namespace != "flux-system" else node.name
        where = f"./{node.path}" if node.path else {
            "external": "(another repository: not followed)", "unresolved": "(path has unknown variables)",
        }.get(node.state, "(path missing or outside the repository)")
        extra = []
        if node.target_namespace:
            extra.append(f"→ ns {node.target_namespace}")
        if node.depends_on:
            extra.append("after " + ", ".join(node.depends_on))
        source = "" if not node.synthetic else "  [FluxInstance sync]"
        lines.append(f"{prefix}{branch}{head}  {where}{'  ' + '  '.join(extra) if extra else ''}{source}")
        inner = prefix + ("" if top else ("    " if last else "│   "))
        bar = "│ " if node.children else "  "
        if node.objects:
            lines.append(f"{inner}{bar}  {_counts(node.objects)}")
        for mark in node.bootstrap:
            if "(adopted: " in mark:  # mode: adopt — intentional, checked by bootstrap-adopt-mismatch
                lines.append(f"{inner}{bar}  ↺ adopts the bootstrap install: {mark.replace('(adopted: ', '(')}")
            else:
                lines.append(f"{inner}{bar}  !! bootstrap-only component in Flux: {mark}")
        for i, child in enumerate(node.children):
            walk(child, inner, i == len(node.children) - 1, False)

    for root in view.nodes:
        walk(root, "", True, True)
        lines.append("")
    if view.bootstrap:
        lines.append("Bootstrap-only components (architecture.bootstrap_only):")
        width = max(len(b["component"]) for b in view.bootstrap)
        for item in view.bootstrap:
            mode = " (adopt)" if item["mode"] == "adopt" else ""
            shown = item["defined"][:3] + ([f"+{len(item['defined']) - 3} more"] if len(item["defined"]) > 3 else [])
            where = "; ".join(shown) if shown else "no bootstrap definition found in the repo"
            lines.append(f"  {item['component']:<{width}}{mode}  {where}")
        lines.append("")
    if view.unreachable:
        lines.append(f"Unreachable: {len(view.unreachable)} file(s) nothing applies:")
        for item in view.unreachable:
            lines.append(f"  ✗ {item['path']}: {item['message']}")
    elif view.mode == "entrypoints":
        lines.append("Unreachable: none")
    return "\n".join(lines).rstrip() + "\n"


# --- json ---------------------------------------------------------------------------------------
def _node_json(node: NodeView) -> dict[str, Any]:
    return {"id": node.id, "name": node.name, "namespace": node.namespace, "file": node.file,
            "line": node.line, "path": node.path, "targetNamespace": node.target_namespace,
            "dependsOn": node.depends_on, "state": node.state, "synthetic": node.synthetic,
            "objects": dict(sorted(node.objects.items())), "bootstrapOnly": node.bootstrap,
            "children": [_node_json(c) for c in node.children]}


def render_json(view: GraphView) -> str:
    data = {"version": 1, "mode": view.mode, "entrypoints": view.entrypoints,
            "kustomizations": [_node_json(n) for n in view.nodes], "bootstrapOnly": view.bootstrap,
            "unreachable": view.unreachable}
    if view.loose:
        data["applied"] = dict(sorted(view.loose.items()))
    return json.dumps(data, indent=2, sort_keys=False) + "\n"


# --- dot and mermaid ----------------------------------------------------------------------------
def _all(nodes: list[NodeView]) -> list[NodeView]:
    out: list[NodeView] = []
    stack = list(nodes)
    while stack:
        node = stack.pop(0)
        out.append(node)
        stack[0:0] = node.children
    return out


def _dep_id(node: NodeView, dep: str) -> str:
    return node.scope + (dep if "/" in dep else f"{node.namespace}/{dep}")


def render_dot(view: GraphView) -> str:
    def q(text: str) -> str:
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'

    lines = ["digraph flux {", "  rankdir=LR;", '  node [shape=box, fontname="Helvetica", fontsize=10];']
    nodes = _all(view.nodes)
    ids = {n.id for n in nodes}
    for node in nodes:
        label = f"{node.id}\\n{'./' + node.path if node.path else node.state}"
        if node.objects:
            label += "\\n" + _counts(node.objects).replace(", ", "\\n")
        style = ""
        if node.bootstrap:
            style = ', color=red, penwidth=2, fontcolor=red'
            label += "\\n!! bootstrap-only: " + ", ".join(b.split(" ")[0] for b in node.bootstrap)
        elif node.state != "ok":
            style = ", style=dashed"
        lines.append(f"  {q(node.id)} [label={q(label).replace(chr(92) * 2 + 'n', chr(92) + 'n')}{style}];")
    for node in nodes:
        for child in node.children:
            lines.append(f"  {q(node.id)} -> {q(child.id)};")
        for dep in node.depends_on:
            target = _dep_id(node, dep)
            if target in ids:
                lines.append(f'  {q(node.id)} -> {q(target)} [style=dashed, color=gray, label="dependsOn"];')
    for item in view.unreachable:
        lines.append(f'  {q("dead:" + item["path"])} [label={q(item["path"] + " (unreachable)")}, '
                     "shape=note, style=dashed, color=gray, fontcolor=gray];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def render_mermaid(view: GraphView) -> str:
    idents: dict[str, str] = {}

    def ident(text: str) -> str:
        # Mermaid ids are [A-Za-z0-9_]: the sanitised id, numbered when two ids sanitise alike.
        if text not in idents:
            base = "n_" + re.sub(r"[^A-Za-z0-9_]", "_", text)
            taken = set(idents.values())
            idents[text] = base if base not in taken else next(
                f"{base}_{n}" for n in range(2, len(taken) + 3) if f"{base}_{n}" not in taken)
        return idents[text]

    def label(text: str) -> str:
        return text.replace('"', "'")

    lines = ["flowchart LR"]
    nodes = _all(view.nodes)
    ids = {n.id for n in nodes}
    for node in nodes:
        text = f"{node.id}<br/>{'./' + node.path if node.path else node.state}"
        if node.objects:
            text += "<br/>" + _counts(node.objects)
        lines.append(f'  {ident(node.id)}["{label(text)}"]')
        if node.bootstrap:
            lines.append(f"  class {ident(node.id)} bootstrap")
    for node in nodes:
        for child in node.children:
            lines.append(f"  {ident(node.id)} --> {ident(child.id)}")
        for dep in node.depends_on:
            target = _dep_id(node, dep)
            if target in ids:
                lines.append(f"  {ident(node.id)} -.->|dependsOn| {ident(target)}")
    for item in view.unreachable:
        lines.append(f'  {ident("dead_" + item["path"])}["{label(item["path"])}<br/>unreachable"]')
        lines.append(f"  class {ident('dead_' + item['path'])} dead")
    lines.append("  classDef bootstrap fill:#fdd,stroke:#c00,stroke-width:2px")
    lines.append("  classDef dead fill:#eee,stroke:#999,stroke-dasharray:4 3,color:#777")
    return "\n".join(lines) + "\n"


RENDERERS = {"text": render_text, "json": render_json, "dot": render_dot, "mermaid": render_mermaid}


def main(argv: Sequence[str]) -> int:
    from ..errors import argument_parser

    parser = argument_parser(
        prog="homeops-lint graph",
        description="Show what Flux applies: entrypoint → Kustomizations → paths → objects by kind; "
                    "bootstrap-only components and unreachable files are marked.")
    parser.add_argument("path", nargs="?", default=".", metavar="PATH", help="repo root (default: .)")
    parser.add_argument("--format", default="text", choices=FORMATS)
    parser.add_argument("--config", metavar="FILE", help="policy file (default: .homeops-lint.yaml at the root)")
    parser.add_argument("--output", "-o", metavar="FILE", help="write to FILE instead of stdout")
    args = parser.parse_args(list(argv))
    from ..engine import Options, run
    from ..output import write_output

    result = run(Options(paths=[args.path], config=args.config, select=["flux-unreachable"]))
    text = RENDERERS[args.format](build_view(result))
    write_output(text, args.output)
    if not args.output:
        sys.stdout.flush()
    return 0
