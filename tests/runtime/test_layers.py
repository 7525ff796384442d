"""The package's layering holds: no import cycle, one-way flow, a thin CLI, small modules.

Imports are read with ``ast`` (function-level imports included, ``TYPE_CHECKING`` blocks
excluded), so a back-edge hidden inside a function is caught too. ``../shared/tools/layers.py``
runs the same checks from outside the repository.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

from conftest import ROOT

PACKAGE = ROOT / "svcqa"

# package -> packages it must never import (data flows files -> ingest -> scoring -> store and
# renderers; jobs is the only layer that combines them; the CLI only calls the public API)
FORBIDDEN = {
    "svcqa.render": ("svcqa.history", "svcqa.rectify", "svcqa.ingest", "svcqa.jobs", "svcqa.cli"),
    "svcqa.ingest": ("svcqa.render", "svcqa.history", "svcqa.scoring", "svcqa.rectify", "svcqa.jobs", "svcqa.cli"),
    "svcqa.scoring": ("svcqa.render", "svcqa.history", "svcqa.ingest", "svcqa.rectify", "svcqa.jobs", "svcqa.cli"),
    "svcqa.rubric": ("svcqa.scoring", "svcqa.render", "svcqa.history", "svcqa.ingest", "svcqa.rectify", "svcqa.jobs", "svcqa.cli"),
    "svcqa.history": ("svcqa.render", "svcqa.rectify", "svcqa.ingest", "svcqa.jobs", "svcqa.cli"),
    "svcqa.rectify": ("svcqa.history", "svcqa.jobs", "svcqa.cli"),
    "svcqa.fillable": ("svcqa.render", "svcqa.rectify", "svcqa.appeals", "svcqa.history", "svcqa.scoring", "svcqa.jobs", "svcqa.cli"),
    "svcqa.models": ("svcqa.ingest", "svcqa.scoring", "svcqa.history", "svcqa.render", "svcqa.rectify", "svcqa.jobs", "svcqa.cli"),
}  # fmt: skip
CLI_MAY_IMPORT = ("svcqa", "svcqa.errors", "svcqa.settings")
MAX_MODULE_LINES, MAX_FUNCTION_LINES = 600, 80
SIZE_EXEMPT = ("svcqa.sample",)  # the sample generator's data tables


@cache
def modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _resolve(name: str) -> str | None:
    while name and name not in modules():
        name = name.rpartition(".")[0]
    return name or None


def _type_checking_only(tree: ast.AST) -> set[int]:
    nodes: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            nodes.update(id(inner) for stmt in node.body for inner in ast.walk(stmt))
    return nodes


@cache
def imports() -> dict[str, frozenset[str]]:
    """module -> the svcqa modules it imports anywhere in its body."""
    graph = {}
    for name, path in modules().items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        skip = _type_checking_only(tree)
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        targets: set[str] = set()
        for node in ast.walk(tree):
            if id(node) in skip:
                continue
            if isinstance(node, ast.Import):
                targets.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*anchor, *([node.module] if node.module else [])])
                for alias in node.names:
                    full = f"{base}.{alias.name}"
                    targets.add(full if full in modules() else base)
        resolved = {_resolve(t) for t in targets if t.startswith("svcqa")}
        graph[name] = frozenset(r for r in resolved if r and r != name)
    return graph


def _under(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def _strongly_connected(graph: dict[str, frozenset[str]]) -> list[list[str]]:
    """Tarjan's components of the import graph: every set of modules that reach each other."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    components: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while not component or component[-1] != node:
                component.append(stack.pop())
            components.append(sorted(component))

    for node in graph:
        if node not in index:
            visit(node)
    return components


def test_no_import_cycles() -> None:
    """No module reaches itself through imports (a package face and its own submodule importing
    each other is the one shape tolerated: that is how a package re-exports its names)."""
    cycles = [
        " <-> ".join(c)
        for c in _strongly_connected(imports())
        if len(c) > 1 and not (len(c) == 2 and _under(c[1], c[0]))
    ]
    assert cycles == []


def test_data_flows_one_way() -> None:
    """render imports no store, form or ingest code; ingest no renderer; scoring no store; and so on."""
    back_edges = [
        f"{module} imports {target}"
        for module, targets in imports().items()
        for package, banned in FORBIDDEN.items()
        if _under(module, package)
        for target in targets
        if any(_under(target, b) for b in banned)
    ]
    assert back_edges == []


def test_migrations_are_self_contained() -> None:
    """A released migration never imports the live store or its codecs: changing them must not
    change what an old migration writes."""
    leaks = [
        f"{module} imports {target}"
        for module, targets in imports().items()
        if ".migrations" in module
        for target in targets
        if _under(target, "svcqa.history") and ".migrations" not in target
    ]
    assert leaks == []


def test_the_cli_uses_only_the_public_api() -> None:
    """Commands import ``svcqa`` (its ``__all__``), the errors and the settings, nothing deeper."""
    reach = [
        f"{module} -> {target}"
        for module, targets in imports().items()
        if _under(module, "svcqa.cli")
        for target in targets
        if not (target in CLI_MAY_IMPORT or _under(target, "svcqa.cli"))
    ]
    assert reach == []


def test_modules_and_functions_stay_small() -> None:
    """No module over 600 lines and no function over 80: each can be read in one sitting."""
    too_big = []
    for name, path in modules().items():
        if name.startswith(SIZE_EXEMPT):
            continue
        text = path.read_text(encoding="utf-8")
        if text.count("\n") > MAX_MODULE_LINES:
            too_big.append(f"{name}: {text.count(chr(10))} lines")
        if ".migrations" in name:
            continue  # a released migration's SQL is kept whole, as it shipped
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    too_big.append(f"{name}.{node.name}: {length} lines")
    assert too_big == []
