"""The project's Python files as syntax trees, parsed once per test process.

Several tests read the code itself (imports, type tokens, component outputs, reaches into
the SDKs' internals, run-time dependencies); they share these trees and only read them.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path


@cache
def parsed(path: Path) -> ast.Module:
    """The syntax tree of ``path`` (shared between tests: never modify it)."""
    return ast.parse(path.read_text(), str(path))


def docstring_ids(tree: ast.Module) -> set[int]:
    """``id()`` of each docstring constant (module, class, function): text that mentions, not code that uses."""
    return {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
