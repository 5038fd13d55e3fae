"""The package's import graph: no cycle, and the library never imports the commands.

The graph is read from the source with ``ast``: every ``import`` and ``from ... import`` in a
module, at the top and inside functions alike, so that a cycle hidden in a function body (which
only bites at run time, on one code path) is caught too. Imports under ``if TYPE_CHECKING:`` never
run, so they make no cycle (a lower module may name a type of a higher one in an annotation); the
layering rule counts them all the same: the library does not even name the commands.
"""
from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "homeops_lint"
COMMANDS = ("homeops_lint.cli", "homeops_lint.commands", "homeops_lint.__main__")


def module_name(path: Path, package: Path = PACKAGE) -> str:
    parts = list(path.relative_to(package.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def is_type_checking(node: ast.AST) -> bool:
    test = node.test if isinstance(node, ast.If) else None
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or \
        (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def import_nodes(tree: ast.AST, type_only: bool) -> list[ast.AST]:
    """Every import statement below ``tree``; those under ``if TYPE_CHECKING:`` only with ``type_only``."""
    out: list[ast.AST] = []
    todo = [tree]
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            out.append(node)
        for child in ast.iter_child_nodes(node):
            if type_only or not is_type_checking(child):
                todo.append(child)
            else:
                todo.extend(child.orelse)  # type: ignore[attr-defined]
    return out


def imported_modules(path: Path, name: str, known: set[str], type_only: bool = False) -> set[str]:
    """The package modules ``path`` imports (a ``from pkg import sub`` names the submodule)."""
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    out: set[str] = set()
    for node in import_nodes(ast.parse(path.read_text(encoding="utf-8"), str(path)), type_only):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[:len(package) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                out.add(sub if sub in known else target)
    return {target for target in out if target in known and target != name}


def import_graph(package: Path = PACKAGE, type_only: bool = False) -> dict[str, set[str]]:
    """Module -> the package modules it imports (with ``type_only``, also those only annotations need)."""
    paths = {module_name(path, package): path for path in package.rglob("*.py")}
    known = set(paths)
    return {name: imported_modules(path, name, known, type_only) for name, path in paths.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan, iterative)."""
    order: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in sorted(graph):
        if start in order:
            continue
        work = [(start, iter(sorted(graph[start])))]
        order[start] = low[start] = len(order)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, targets = work[-1]
            for target in targets:
                if target not in order:
                    order[target] = low[target] = len(order)
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(sorted(graph[target]))))
                    break
                if target in on_stack:
                    low[node] = min(low[node], order[target])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == order[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
    return found


def is_command(name: str) -> bool:
    return any(name == c or name.startswith(c + ".") for c in COMMANDS)


def test_the_graph_sees_imports_inside_functions(tmp_path):
    """The reader itself: a cycle that only exists through a function-level import is found."""
    package = tmp_path / "homeops_lint"
    (package / "commands").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "commands" / "__init__.py").write_text("")
    (package / "a.py").write_text("from . import b\n")
    (package / "b.py").write_text("def late():\n    from .a import thing\n    from .commands import lint\n")
    (package / "c.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .b import late\n"
                                  "else:\n    from . import d\n")
    (package / "d.py").write_text("from .c import x\n")
    (package / "commands" / "lint.py").write_text("import json\n")
    graph = import_graph(package)
    assert graph["homeops_lint.b"] == {"homeops_lint.a", "homeops_lint.commands.lint"}
    assert graph["homeops_lint.c"] == {"homeops_lint.d"}  # the TYPE_CHECKING branch never runs
    assert import_graph(package, type_only=True)["homeops_lint.c"] == {"homeops_lint.b", "homeops_lint.d"}
    assert graph["homeops_lint.commands.lint"] == set()  # the standard library is not part of the graph
    assert cycles(graph) == [["homeops_lint.a", "homeops_lint.b"], ["homeops_lint.c", "homeops_lint.d"]]
    assert is_command("homeops_lint.commands.lint") and not is_command("homeops_lint.b")


def test_no_import_cycle():
    found = cycles(import_graph())
    assert not found, "import cycles (move what the modules share into a module below them):\n" + \
        "\n".join(" <-> ".join(component) for component in found)


def test_the_library_never_imports_the_commands():
    graph = import_graph(type_only=True)
    assert "homeops_lint.commands.lint" in graph and "homeops_lint.engine" in graph
    wrong = sorted(f"{name} imports {target}" for name, targets in graph.items() if not is_command(name)
                   for target in targets if is_command(target))
    assert not wrong, "library modules import the CLI layer:\n" + "\n".join(wrong)


MAX_MODULE_LINES = 600  # issue #17: a module that outgrows this has more than one job; split it


def long_modules(package: Path = PACKAGE, limit: int = MAX_MODULE_LINES) -> dict[str, int]:
    sizes = {module_name(path, package): len(path.read_text(encoding="utf-8").splitlines())
             for path in package.rglob("*.py")}
    return {name: lines for name, lines in sorted(sizes.items()) if lines > limit}


def test_long_modules_are_found(tmp_path):
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "short.py").write_text("x = 1\n" * 10)
    (package / "long.py").write_text("x = 1\n" * 11)
    assert long_modules(package, limit=10) == {"pkg.long": 11}


def test_no_module_over_600_lines():
    assert long_modules() == {}, "split these modules along their seams (docs/DEVELOPING.md)"
