"""The project's modules import each other without cycles, components know nothing of the rest and carry nothing for the tooling;
only estate/output.py writes to the terminal.

Imports are read from the source with ``ast`` (no module is imported): every
``import`` counts, at the top of a module, inside a function or under
``TYPE_CHECKING``, because each is a dependency a reader has to hold in their head.
A module's implicit import of its own package's ``__init__`` is not counted.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pytest

from tests.python_sources import docstring_ids, nodes, parsed
from tests.shared_plans import plan_of

REPOSITORY_ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("components", "stacks", "estate", "policies", "providers", "app-checks")


def project_modules(root: Path, packages: Iterable[str] = PACKAGES) -> dict[str, Path]:
    """Dotted module name → file, for every Python file under the packages."""
    modules: dict[str, Path] = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            modules[".".join(parts)] = path
    return modules


def import_edges(modules: Mapping[str, Path]) -> dict[str, set[str]]:
    """Module → the project modules it imports (``from a import b`` names ``a.b`` when that is a module)."""

    def resolve(name: str) -> str | None:
        while name:
            if name in modules:
                return name
            name = name.rpartition(".")[0]
        return None

    edges: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in nodes(parsed(path)):
            imported: list[str] = []
            if isinstance(node, ast.Import):
                imported = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                    base = ".".join([*anchor, *([base] if base else [])])
                imported = [f"{base}.{alias.name}" for alias in node.names] + [base]
            for target in filter(None, map(resolve, imported)):
                if target != name:
                    edges[name].add(target)
    return edges


def import_cycles(edges: Mapping[str, set[str]]) -> list[frozenset[str]]:
    """The strongly connected groups of two or more modules (Tarjan), each a cycle or knot of cycles."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[frozenset[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for target in sorted(edges.get(module, ())):
            if target not in index:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in on_stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            group: set[str] = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.add(member)
                if member == module:
                    break
            if len(group) > 1:
                cycles.append(frozenset(group))

    for module in sorted(edges):
        if module not in index:
            visit(module)
    return cycles


def describe(cycle: frozenset[str], edges: Mapping[str, set[str]]) -> str:
    return "; ".join(f"{m} → {', '.join(sorted(edges[m] & cycle))}" for m in sorted(cycle))


@pytest.fixture(scope="module")
def edges() -> dict[str, set[str]]:
    return import_edges(project_modules(REPOSITORY_ROOT))


def test_no_import_cycle_among_the_project_modules(edges: dict[str, set[str]]) -> None:
    found = import_cycles(edges)
    assert not found, "import cycles (move what both sides need into a module of its own): " + " | ".join(
        describe(cycle, edges) for cycle in found
    )


def test_components_import_neither_stacks_nor_tooling(edges: dict[str, set[str]]) -> None:
    reaching = {
        module: sorted(target for target in targets if target.split(".")[0] in ("stacks", "estate"))
        for module, targets in edges.items()
        if module.split(".")[0] == "components"
    }
    assert not {module: targets for module, targets in reaching.items() if targets}, (
        "components know nothing of stacks, settings or tooling"
    )


def test_the_policy_pack_imports_only_itself(edges: dict[str, set[str]]) -> None:
    """The pack ships on its own (``pulumi preview --policy-pack policies``): no project module outside it."""
    outside = {
        module: sorted(target for target in targets if not target.startswith("policies"))
        for module, targets in edges.items()
        if module.split(".")[0] == "policies"
    }
    assert not {module: targets for module, targets in outside.items() if targets}


def test_the_cycle_finder_finds_cycles_through_lazy_and_type_only_imports(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "a.py").write_text("def f():\n    from pkg.b import g\n    return g\n")
    (tmp_path / "pkg" / "b.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg import c\n"
    )
    (tmp_path / "pkg" / "c.py").write_text("from . import a\n")
    (tmp_path / "pkg" / "d.py").write_text("import pkg.a\n")
    edges = import_edges(project_modules(tmp_path, ["pkg"]))
    assert import_cycles(edges) == [frozenset({"pkg.a", "pkg.b", "pkg.c"})]


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


# --- type tokens, declared once (policies/resource_types.py) ------------------------------------------


def declared_type_tokens() -> dict[str, str]:
    """Token → its constant's name in policies/resource_types.py."""
    from policies import resource_types

    return {
        value: name
        for name, value in vars(resource_types).items()
        if name.isupper() and isinstance(value, str)
    }


def component_type_tokens() -> dict[str, tuple[str, str]]:
    """Each component's type token → (its module's path, its constant's name): each component declares its own."""
    tokens: dict[str, tuple[str, str]] = {}
    for path in sorted((REPOSITORY_ROOT / "components").glob("*.py")):
        for node in parsed(path).body:
            if (
                isinstance(node, ast.Assign)
                and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Name)
                and node.targets[0].id.endswith("_TYPE")
                and isinstance(node.value, ast.Constant)
                and isinstance(node.value.value, str)
            ):
                tokens[node.value.value] = (path.relative_to(REPOSITORY_ROOT).as_posix(), node.targets[0].id)
    return tokens


def _token_literals(path: Path, tokens: Mapping[str, str]) -> list[str]:
    tree = parsed(path)
    docstrings = docstring_ids(tree)
    return [
        f"line {node.lineno}: {tokens[node.value]}"
        for node in nodes(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and node.value in tokens
        and id(node) not in docstrings
    ]


def test_type_tokens_are_written_only_where_they_are_declared() -> None:
    """Provider types in policies/resource_types.py, each component's type in its own module."""
    components = component_type_tokens()
    assert len(components) >= 10, "the components' type constants (``<NAME>_TYPE = ...``) were not found"
    tokens = declared_type_tokens() | {token: name for token, (_, name) in components.items()}
    found: dict[str, list[str]] = {}
    for folder in (*PACKAGES, "tests", "benchmarks"):
        for path in sorted((REPOSITORY_ROOT / folder).rglob("*.py")):
            relative = path.relative_to(REPOSITORY_ROOT).as_posix()
            if relative == "policies/resource_types.py":
                continue
            own = {token for token, (module, _) in components.items() if module == relative}
            literals = _token_literals(path, {t: n for t, n in tokens.items() if t not in own})
            if literals:
                found[relative] = literals
    assert not found, f"import these constants from where they are declared instead: {found}"


def test_every_type_the_stacks_register_is_declared(
    prod_plan: dict[str, Any], staging_plan: dict[str, Any]
) -> None:
    tokens = declared_type_tokens()
    registered = {
        str(r["type"])
        for plan in (prod_plan, staging_plan)
        for r in plan["resources"]
        if r.get("custom") and not str(r["type"]).startswith("pulumi:providers:")
    }
    assert registered - set(tokens) == set(), "declare these in policies/resource_types.py"


def test_the_token_scan_sees_a_literal_outside_docstrings(tmp_path: Path) -> None:
    module = tmp_path / "module.py"
    module.write_text('"""Mentions vercel:index/project:Project."""\nKIND = "vercel:index/project:Project"\n')
    assert _token_literals(module, declared_type_tokens()) == ["line 2: VERCEL_PROJECT"]


def _component_outputs() -> dict[str, list[str]]:
    """Component class → the outputs it declares (annotated attributes of the class body)."""
    outputs: dict[str, list[str]] = {}
    for path in sorted((REPOSITORY_ROOT / "components").glob("*.py")):
        for node in parsed(path).body:
            if isinstance(node, ast.ClassDef) and any(
                isinstance(base, ast.Attribute) and base.attr == "ComponentResource" for base in node.bases
            ):
                outputs[node.name] = [
                    item.target.id
                    for item in node.body
                    if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name)
                ]
    return outputs


def test_every_component_output_is_read_by_the_program() -> None:
    """An output nothing reads is state to keep and docs to write: outputs exist for the program only.

    Read means an attribute access ``.<output>`` in stacks/, or, for the
    database, a catalog ``FromDatabase`` naming it.
    """
    read: set[str] = set()
    for path in sorted((REPOSITORY_ROOT / "stacks").glob("*.py")):
        for node in nodes(parsed(path)):
            if isinstance(node, ast.Attribute):
                read.add(node.attr)
    from stacks.catalog import APPS, FromDatabase

    read |= {v.source.output for app in APPS for v in app.env if isinstance(v.source, FromDatabase)}
    unread = {
        component: [name for name in names if name not in read]
        for component, names in _component_outputs().items()
    }
    assert {component: names for component, names in unread.items() if names} == {}


# --- one output module (estate/output.py) --------------------------------------------------------------

_TERMINAL_CLASSES = {"Console", "Table"}


def terminal_writes(path: Path) -> list[str]:
    """``N: what`` (N the line) for each place ``path`` writes to the terminal itself instead of through estate/output.py.

    A call of ``print`` (the builtin or a console's ``.print``), any use of ``sys.stdout``
    or ``sys.stderr``, a rich ``Console`` or ``Table`` built, any ``rich`` import.
    """
    found: list[tuple[int, str]] = []
    for node in nodes(parsed(path)):
        what = ""
        if isinstance(node, ast.Call):
            function = node.func
            if isinstance(function, ast.Name) and function.id in {"print", *_TERMINAL_CLASSES}:
                what = f"{function.id}(…)"
            elif isinstance(function, ast.Attribute) and function.attr in {"print", *_TERMINAL_CLASSES}:
                what = f".{function.attr}(…)"
        elif (
            isinstance(node, ast.Attribute)
            and node.attr in ("stdout", "stderr")
            and isinstance(node.value, ast.Name)
            and node.value.id == "sys"
        ):
            what = f"sys.{node.attr}"
        elif isinstance(node, ast.Import):
            what = ", ".join(
                f"import {alias.name}" for alias in node.names if alias.name.split(".")[0] == "rich"
            )
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if module.split(".")[0] == "rich" or (
                module == "sys" and any(alias.name in ("stdout", "stderr") for alias in node.names)
            ):
                what = f"from {module} import …"
        if what and isinstance(node, ast.stmt | ast.expr):
            found.append((node.lineno, what))
    return [f"{line}: {what}" for line, what in sorted(found)]


def test_only_the_output_module_writes_to_the_terminal() -> None:
    """Commands compute and call estate/output.py; text, tables, JSON on stdout, error lists all go through it."""
    output = REPOSITORY_ROOT / "estate" / "output.py"
    found = [
        f"{path.relative_to(REPOSITORY_ROOT).as_posix()}:{place}"
        for path in sorted((REPOSITORY_ROOT / "estate").rglob("*.py"))
        if path != output
        for place in terminal_writes(path)
    ]
    assert not found, "write through estate/output.py instead: " + "; ".join(found)


def test_the_terminal_scan_sees_each_way_of_writing(tmp_path: Path) -> None:
    module = tmp_path / "module.py"
    module.write_text(
        "import sys\n"
        "from rich.table import Table\n"
        "print('a')\n"
        "sys.stdout.write('b')\n"
        "def f(console):\n"
        "    console.print(Table())\n"
        "    sys.stderr.flush()\n"
        "sys.stdin.read()\n"
        "import rich.console, json\n"
        "from sys import stderr\n"
    )
    assert terminal_writes(module) == [
        "2: from rich.table import …",
        "3: print(…)",
        "4: sys.stdout",
        "6: .print(…)",
        "6: Table(…)",
        "7: sys.stderr",
        "9: import rich.console",
        "10: from sys import …",
    ]
