"""The house: the import graph of ``patrol/`` (every import, at module level or inside a function).

The stages depend downstream only where the README's Layout says so: drift never imports the
report stage, and the modules of ``patrol.service`` import each other without a cycle.
"""

from __future__ import annotations

import ast
from pathlib import Path

import patrol

ROOT = Path(patrol.__file__).parent


def _module(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _graph() -> dict[str, set[str]]:
    modules = {_module(p): p for p in ROOT.rglob("*.py")}
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = package.split(".")
                    base = ".".join([*parts[: len(parts) - node.level + 1], base]).strip(".")
                targets = [base] + [f"{base}.{a.name}" for a in node.names]
            graph[name].update(t for t in targets if t in modules and t != name)
    return graph


def _reach(graph: dict[str, set[str]], start: str, nodes: set[str]) -> set[str]:
    seen: set[str] = set()
    todo = list(graph[start] & nodes)
    while todo:
        n = todo.pop()
        if n not in seen:
            seen.add(n)
            todo.extend(graph[n] & nodes)
    return seen


def _cycles(graph: dict[str, set[str]], within: str) -> list[str]:
    """The modules of ``within.*`` that import themselves through other modules of ``within``."""
    nodes = {n for n in graph if n.startswith(within + ".")}
    return sorted(n for n in nodes if n in _reach(graph, n, nodes))


def test_the_graph_sees_function_level_imports() -> None:
    graph = _graph()
    assert "patrol.service.deliveries" in graph["patrol.service.scheduler"]  # imported inside a function
    assert "patrol.service.routes" in graph["patrol.service.api"]  # `from patrol.service import routes`


def test_no_import_cycle_within_service() -> None:
    assert _cycles(_graph(), "patrol.service") == []


def test_the_cycle_finder_finds_one() -> None:
    graph = {"p.a": {"p.b"}, "p.b": {"p.c"}, "p.c": {"p.a"}, "p.d": {"p.a"}}
    assert _cycles(graph, "p") == ["p.a", "p.b", "p.c"]


def test_drift_does_not_import_the_report_stage() -> None:
    graph = _graph()
    upward = {(m, t) for m, targets in graph.items() if m.startswith("patrol.drift") for t in targets
              if t.startswith("patrol.report")}  # fmt: skip
    assert upward == set()
