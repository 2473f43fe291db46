"""The program's layers import in one direction, and components carry nothing for the tooling.

Imports are read from the source (every ``import``, also inside functions and
``TYPE_CHECKING`` blocks), so nothing is imported to check them.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import plan_of

ROOT = Path(__file__).resolve().parent.parent


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(packages: tuple[str, ...]) -> dict[str, set[str]]:
    """Module → the modules of ``packages`` it imports."""
    modules = {_module_name(p): p for package in packages for p in sorted((ROOT / package).glob("*.py"))}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        imported: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                candidates = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
            elif isinstance(node, ast.Import):
                candidates = [alias.name for alias in node.names]
            else:
                continue
            imported |= {c for c in candidates if c in modules and c != name}
        graph[name] = imported
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every module that reaches itself, with the path back (one per cycle's entry point)."""
    found: list[list[str]] = []
    for start in sorted(graph):
        paths = [[start]]
        seen: set[str] = set()
        while paths:
            path = paths.pop()
            for nxt in sorted(graph[path[-1]]):
                if nxt == start:
                    found.append([*path, start])
                elif nxt not in seen:
                    seen.add(nxt)
                    paths.append([*path, nxt])
    return found


@pytest.mark.parametrize("packages", [("stacks", "components")])
def test_no_module_imports_one_that_imports_it_back(packages: tuple[str, ...]) -> None:
    cycles = _cycles(_imports(packages))
    assert cycles == [], "import cycles: " + "; ".join(" → ".join(cycle) for cycle in cycles)


def test_components_know_nothing_of_stacks_or_tooling() -> None:
    graph = _imports(("components", "stacks", "estate"))
    wrong = {
        name: sorted(d for d in deps if not d.startswith("components"))
        for name, deps in graph.items()
        if name.startswith("components")
    }
    assert {name: deps for name, deps in wrong.items() if deps} == {}


@pytest.mark.parametrize("stack", ["prod", "staging"])
def test_components_register_no_properties(stack: str) -> None:
    """A component's handles are Python attributes for the program; what it registers shows in the state.

    Nothing reads a component's registered properties but tooling, so none are
    registered (the relay used to declare its host and projects for ``estate alerts``).
    """
    carrying = {
        r["name"]: sorted(r["inputs"]) for r in plan_of(stack)["resources"] if not r["custom"] and r["inputs"]
    }
    assert carrying == {}
