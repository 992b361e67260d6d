"""The package's shape: imports run one way, down the layers, and no module outgrows a reading.

Every `import` in `allocator/` counts, wherever it stands: at module level, inside a function
(a deferred import still ties the two modules together) and under `if TYPE_CHECKING:`. The rooms,
lowest first:

    errors, version, plan, findings, labels  <  scenario  <  model  <  solving  <  analysis
        <  whatif  <  report  <  cli  <  the façade (__init__.py, __main__.py)

A module may import from its own room or from a lower one, never from a higher one, and no set
of modules may import each other round in a circle (within a room either). No module is over
500 lines.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from functools import cache
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "allocator"
MAX_LINES = 500

# Each room's rank; rooms on one rank may import each other (the cycle check still applies).
RANKS = {
    "errors": 0,
    "version": 0,
    "plan": 0,
    "findings": 0,  # the plan's diagnosis and shadow prices, records the plan holds
    "labels": 0,  # the planners' words for the scenario's codes
    "catalogue": 0,  # every text a planner reads, one catalogue per language
    "scenario": 1,
    "model": 2,
    "solving": 3,
    "analysis": 4,
    "whatif": 5,
    "report": 6,
    "cli": 7,
    "__init__": 8,
    "__main__": 8,
}


@cache
def modules() -> dict[str, Path]:
    """Dotted name -> file, for every module of the package."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def room(module: str) -> str:
    """The room of a dotted module name: the first part under `allocator`, '__init__' for it."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _is_package(module: str) -> bool:
    return modules()[module].name == "__init__.py"


def _imported_names(module: str, node: ast.Import | ast.ImportFrom) -> Iterator[str]:
    """The dotted names one import statement brings in (absolute, relative resolved)."""
    if isinstance(node, ast.Import):
        yield from (alias.name for alias in node.names)
        return
    base = node.module or ""
    if node.level:
        package = module.split(".") if _is_package(module) else module.split(".")[:-1]
        anchor = package[: len(package) - node.level + 1]
        base = ".".join([*anchor, base] if base else anchor)
    yield base
    # `from allocator.cli import explain` imports the submodule `allocator.cli.explain`.
    yield from (f"{base}.{alias.name}" for alias in node.names)


def _target(name: str) -> str | None:
    """The package module a dotted name lands in: the longest prefix that is a module."""
    parts = name.split(".")
    while parts:
        candidate = ".".join(parts)
        if candidate in modules():
            return candidate
        parts.pop()
    return None


@cache
def edges() -> dict[str, dict[str, int]]:
    """Module -> {imported package module: line of the first such import}."""
    graph: dict[str, dict[str, int]] = {}
    for module, path in modules().items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        out: dict[str, int] = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                for name in _imported_names(module, node):
                    target = _target(name)
                    if target is not None and target != module:
                        out.setdefault(target, node.lineno)
        graph[module] = out
    return graph


def _where(module: str, line: int) -> str:
    return f"{modules()[module].relative_to(PACKAGE.parent)}:{line}"


def strongly_connected(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """Tarjan's strongly connected components, each sorted, in a stable order."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, {})):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            components.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return components


def test_every_room_has_a_rank() -> None:
    unranked = sorted({room(module) for module in modules()} - RANKS.keys())
    assert not unranked, f"rooms without a place in the layers (add them to RANKS): {unranked}"


def test_no_import_cycles() -> None:
    graph = edges()
    cycles = [c for c in strongly_connected(graph) if len(c) > 1]
    lines = []
    for cycle in cycles:
        lines.append("cycle: " + ", ".join(cycle))
        for module in cycle:
            for target, line in sorted(graph[module].items()):
                if target in cycle:
                    lines.append(f"  {module} -> {target}  ({_where(module, line)})")
    assert not cycles, "modules that import each other round in a circle:\n" + "\n".join(lines)


def test_imports_run_down_the_layers() -> None:
    upward = [
        f"{module} ({room(module)}) -> {target} ({room(target)})  ({_where(module, line)})"
        for module, targets in sorted(edges().items())
        for target, line in sorted(targets.items())
        if RANKS.get(room(target), 0) > RANKS.get(room(module), 0)  # unranked: the test above
    ]
    assert not upward, "imports from a higher room:\n" + "\n".join(upward)


def test_no_module_over_500_lines() -> None:
    long = {
        str(path.relative_to(PACKAGE.parent)): count
        for path in modules().values()
        if (count := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert not long, f"modules over {MAX_LINES} lines (split them): {long}"


def test_the_walk_sees_deferred_and_type_checking_imports() -> None:
    """The checker itself: it must see the imports that only run late or never."""
    graph = edges()
    assert "allocator.cli.explain" in graph["allocator.cli"]  # `from allocator.cli import explain`
    assert "allocator.analysis.shadow" in graph["allocator"]  # under `if TYPE_CHECKING:`
    cycle = {"a": {"b": 1}, "b": {"c": 1}, "c": {"a": 1}, "d": {"a": 1}}
    assert [c for c in strongly_connected(cycle) if len(c) > 1] == [["a", "b", "c"]]
