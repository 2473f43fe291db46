"""The project's Python files as syntax trees, parsed once per test process.

Several tests read the code itself (imports, type tokens, component outputs, reaches into
the SDKs' internals, run-time dependencies, terminal writes); they share these trees and
their node lists, and only read them. Their test files share one pytest-xdist group
(tests/conftest.py), so a suite parses each file once.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path


@cache
def parsed(path: Path) -> ast.Module:
    """The syntax tree of ``path`` (shared between tests: never modify it)."""
    return ast.parse(path.read_text(), str(path))


_NODES: dict[int, tuple[ast.Module, list[ast.AST]]] = {}


def nodes(tree: ast.Module) -> list[ast.AST]:
    """Every node of ``tree`` in ``ast.walk`` order, listed once per tree (a full walk costs more than a parse's third)."""
    entry = _NODES.get(id(tree))
    if entry is None or entry[0] is not tree:
        entry = _NODES[id(tree)] = (tree, list(ast.walk(tree)))
    return entry[1]


def docstring_ids(tree: ast.Module) -> set[int]:
    """``id()`` of each docstring constant (module, class, function): text that mentions, not code that uses."""
    return {
        id(node.body[0].value)
        for node in nodes(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
