"""No import loop inside the data hub: neither at module level nor hidden in a function.

The graph is read from the source (every ``import`` / ``from … import`` of a
``citybase.datahub`` module, wherever it stands; only ``if TYPE_CHECKING:`` blocks are left
out, since they never run). A loop fails the test naming its modules and edges.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "citybase" / "datahub"


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    hidden: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            hidden.update(id(n) for n in ast.walk(node))
    return hidden


def _imports(path: Path, modules: set[str]) -> dict[str, int]:
    """The datahub modules ``path`` imports, with the line of the first import of each."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    hidden = _type_checking_nodes(tree)
    found: dict[str, int] = {}
    for node in ast.walk(tree):
        if id(node) in hidden:
            continue
        names: list[str] = []
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module == "citybase.datahub":
                names = [a.name for a in node.names]
            elif node.module.startswith("citybase.datahub."):
                names = [node.module.split(".")[2]]
        elif isinstance(node, ast.Import):
            names = [
                a.name.split(".")[2] for a in node.names if a.name.startswith("citybase.datahub.")
            ]
        for name in names:
            if name in modules and name != path.stem:
                found.setdefault(name, node.lineno)
    return found


def import_graph() -> dict[str, dict[str, int]]:
    modules = {p.stem for p in PACKAGE.glob("*.py")}
    return {p.stem: _imports(p, modules) for p in sorted(PACKAGE.glob("*.py"))}


def loops(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in graph:
        if v not in index:
            visit(v)
    return out


def test_the_data_hub_has_no_import_loop() -> None:
    graph = import_graph()
    assert len(graph) > 40 and graph["loading"]  # the graph was really read
    found = loops(graph)
    described = [
        ", ".join(f"{a} → {b} (line {graph[a][b]})" for a in loop for b in graph[a] if b in loop)
        for loop in found
    ]
    assert not found, "import loops in citybase.datahub: " + "; ".join(described)


def test_the_check_finds_a_loop_hidden_in_a_function(tmp_path: Path) -> None:
    """The detector itself: a loop made only by a function-level import is found."""
    graph = {"a": {"b": 3}, "b": {"c": 9}, "c": {"a": 40}, "d": {"a": 1}}
    assert loops(graph) == [["a", "b", "c"]]
    src = tmp_path / "x.py"
    src.write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from citybase.datahub import y\n"
        "def f():\n    from citybase.datahub.z import g\n",
        encoding="utf-8",
    )
    assert _imports(src, {"x", "y", "z"}) == {"z": 5}
