"""Shared fixtures: the real plan of each stack, computed once per test session.

``estate.engine.run_plan`` sets Pulumi's mocks before it runs the program, so
every resource graph here is the program's own, under mocked providers.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from estate.engine import run_plan

_PLANS: dict[str, dict[str, Any]] = {}


def plan_of(stack: str) -> dict[str, Any]:
    """A private copy of the stack's plan (computed once), safe to mutate."""
    if stack not in _PLANS:
        _PLANS[stack] = run_plan(stack).to_json()
    return copy.deepcopy(_PLANS[stack])


@pytest.fixture(scope="session")
def prod_plan() -> dict[str, Any]:
    return plan_of("prod")


@pytest.fixture(scope="session")
def staging_plan() -> dict[str, Any]:
    return plan_of("staging")
