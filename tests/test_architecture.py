"""The package's rooms import only downstream-to-upstream: data flows one way, and nothing imports in a cycle.

Rooms in the order data flows through them; a room may import its own modules and the rooms before
it, never one after it. The shared ground (event types, errors, configuration, the bounded cache,
logging) is importable from everywhere and imports no room.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "logflow"
SHARED = ("logflow.event", "logflow.errors", "logflow.config", "logflow.cache", "logflow.logs")
ORDER = [
    "source",
    "decode",
    "parse",
    "enrich",
    "mining",
    "route",
    "sink",
    "deadletter",
    "worker",
    "admin",
    "analyze",
    "demo",
]
TOP = ("logflow", "logflow.cli", "logflow.__main__")  # may import anything


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


PATHS = {p: None for p in ROOT.rglob("*.py")}


def imports(path: Path) -> set[str]:
    """Every logflow module ``path`` imports, at any depth of its code (function-level imports included).

    ``from logflow.analyze import es_source`` imports the module ``logflow.analyze.es_source``.
    """
    known = {module_name(p) for p in PATHS}
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("logflow"):
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                found.add(sub if sub in known else node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.startswith("logflow"))
    return found


def room(module: str) -> str | None:
    """The room of a module (``logflow.parse.grok`` -> ``parse``), None for shared ground and the top."""
    if module in TOP or any(module == s or module.startswith(s + ".") for s in SHARED):
        return None
    return module.split(".")[1]


MODULES = {module_name(p): imports(p) for p in PATHS}


def test_every_module_is_in_a_room_or_on_the_shared_ground() -> None:
    unplaced = [m for m in MODULES if room(m) is not None and room(m) not in ORDER]
    assert unplaced == []


def test_the_shared_ground_imports_no_room() -> None:
    offending = {m: sorted(i for i in deps if room(i) is not None) for m, deps in MODULES.items() if room(m) is None}
    assert {m: deps for m, deps in offending.items() if deps and m not in TOP} == {}


def test_no_room_imports_a_room_that_comes_after_it() -> None:
    """decode never imports enrich, the sink never imports the worker, and so on down the flow."""
    backward = []
    for module, deps in MODULES.items():
        own = room(module)
        if own is None:
            continue
        for dep in deps:
            other = room(dep)
            if other is not None and ORDER.index(other) > ORDER.index(own):
                backward.append(f"{module} imports {dep}")
    assert backward == []


def test_modules_import_one_another_without_cycles() -> None:
    graph = {m: {d for d in deps if d in MODULES and d != m} for m, deps in MODULES.items()}
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append([*path[path.index(nxt) :], nxt] if nxt in path else [node, nxt])
            elif nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert cycles == []


def test_there_are_at_most_twelve_top_level_modules() -> None:
    assert len(list(ROOT.glob("*.py"))) <= 12
