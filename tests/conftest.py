"""Shared fixtures: the real plan of each stack, computed once per test session.

``estate.engine.run_plan`` sets Pulumi's mocks before it runs the program, so
every resource graph here is the program's own, under mocked providers. Tests
share these plans (tests/shared_plans.py) instead of planning again; a test that
needs a changed plan deep-copies one with ``plan_of``.
"""

from __future__ import annotations

import gc
import sys
from typing import Any

import pytest

from tests.shared_plans import plan_of, plan_warnings, shared_run_plan

__all__ = ["plan_of", "plan_warnings"]


@pytest.fixture(scope="session")
def prod_plan() -> dict[str, Any]:
    return plan_of("prod")


@pytest.fixture(scope="session")
def staging_plan() -> dict[str, Any]:
    return plan_of("staging")


@pytest.fixture
def shared_plans(monkeypatch: pytest.MonkeyPatch) -> None:
    """The commands called in-process plan with the session's plans (the program unpatched, the files as committed)."""
    import estate.engine

    monkeypatch.setattr(estate.engine, "run_plan", shared_run_plan)


# Test files that write stack files into the project (Pulumi.<name>.yaml) or judge every stack file there:
# under pytest-xdist they share one worker, so no test sees another's temporary stack file.
_PROJECT_STACK_FILE_TESTS = {"test_settings.py", "test_settings_guarantees.py", "test_hygiene.py"}
# Test files that read the project's source (tests/python_sources.py): one worker parses each file once.
_SOURCE_READING_TESTS = {"test_architecture.py", "test_sdk_internals.py", "test_dependencies.py"}


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist's own hook, which turns the groups into test ids
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """One pytest-xdist group per test file (module-scoped fixtures and caches are made once), or per set above."""
    for item in items:
        name = item.path.name
        if name in _PROJECT_STACK_FILE_TESTS:
            name = "project-stack-files"
        elif name in _SOURCE_READING_TESTS:
            name = "source-reading"
        item.add_marker(pytest.mark.xdist_group(name))


# Importing the test modules imports the provider SDKs and rewrites every assert: hundreds of thousands of
# long-lived objects, which each full cyclic collection walks again (seconds per worker). Collect with the
# collector paused, then freeze what was imported so the tests' collections skip it (as estate/engine.py
# does for a plan). The tests allocate in bursts (plans, policy views, parsed sources) and keep little: at the
# default young-generation threshold (700 allocations) the collector ran ~2,500 times per suite run, two CPU
# seconds in all; at 20,000 a tenth of that.
#
# pytest keeps each test module's rewritten code in __pycache__ unless the interpreter was told never to write
# bytecode (PYTHONDONTWRITEBYTECODE, set on this project's machines and CI): then every worker rewrites every
# module again, a second or two per run. `make compile` writes the project's bytecode regardless; collection
# does the same for the test modules, and restores the setting for the tests themselves.
_DONT_WRITE_BYTECODE = sys.dont_write_bytecode


@pytest.hookimpl(tryfirst=True)
def pytest_collection(session: pytest.Session) -> None:
    gc.disable()
    sys.dont_write_bytecode = False


def pytest_collection_finish(session: pytest.Session) -> None:
    sys.dont_write_bytecode = _DONT_WRITE_BYTECODE
    gc.freeze()
    gc.set_threshold(20000, 10, 10)
    gc.enable()
