"""The arrows between lib's modules point down: no import cycle inside lib/, no experiment module that
imports another, and no module that reaches into another's private names. Read statically with `ast`
(imports inside functions included), so the test sees what the results cache's code hash sees."""

from __future__ import annotations

import ast
from pathlib import Path

import lib

LIB = Path(lib.__file__).parent


def _module(path: Path) -> str:
    parts = path.relative_to(LIB.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports() -> dict[str, list[tuple[str, list[str]]]]:
    """{module: [(imported lib module, names imported from it), ...]} for every module of lib/."""
    modules = {_module(p): p for p in LIB.rglob("*.py")}
    graph: dict[str, list[tuple[str, list[str]]]] = {}
    for name, path in modules.items():
        edges = []
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                edges += [(a.name, []) for a in node.names if a.name.startswith("lib")]
            elif (
                isinstance(node, ast.ImportFrom)
                and node.level == 0
                and (node.module or "").startswith("lib")
            ):
                for a in node.names:
                    sub = f"{node.module}.{a.name}"
                    edges.append((sub, []) if sub in modules else (node.module, [a.name]))
        graph[name] = [(m, names) for m, names in edges if m in modules and m != name]
    return graph


def _cycle(graph: dict[str, list[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node], _ = 1, stack.append(node)
        for nxt in graph.get(node, []):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt) :] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        state[node] = 2
        stack.pop()
        return None

    for node in graph:
        if node not in state and (found := visit(node)):
            return found
    return None


def test_no_import_cycle_inside_lib():
    graph = {
        m: [t for t, _ in edges if t not in ("lib", "lib.experiments")]
        for m, edges in _imports().items()
    }
    assert _cycle(graph) is None, f"import cycle: {' -> '.join(_cycle(graph))}"


def test_no_experiment_imports_another():
    sideways = [
        f"{m} -> {t}"
        for m, edges in _imports().items()
        if m.startswith("lib.experiments.")
        for t, _ in edges
        if t.startswith("lib.experiments.")
    ]
    assert not sideways, sideways


def test_no_module_imports_a_private_name_of_another():
    private = [
        f"{m} -> {t}.{n}"
        for m, edges in _imports().items()
        for t, names in edges
        for n in names
        if n.startswith("_") and not n.startswith("__")
    ]
    assert not private, private


def test_the_cycle_finder_finds_a_cycle():
    assert _cycle({"a": ["b"], "b": ["c"], "c": ["a"]}) == ["a", "b", "c", "a"]
    assert _cycle({"a": ["b"], "b": []}) is None
