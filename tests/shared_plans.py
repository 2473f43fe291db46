"""The real plan of each stack, computed once per test session and shared by every test.

One module holds the cache: pytest imports ``tests/conftest.py`` as ``conftest`` while
tests import ``tests.conftest``, two module objects that would each plan again.
A plan is cached with the stack files it was made from; when a test rewrites
them (``Pulumi.*.yaml``), the next request plans afresh.
"""

from __future__ import annotations

import contextlib
import pickle
import warnings
from typing import Any

from estate.engine import PROJECT_DIR, run_plan
from estate.plan_document import PlanDocument

Plan = dict[str, Any]

_PLANS: dict[tuple[str, tuple[tuple[str, str], ...]], tuple[Plan, list[warnings.WarningMessage]]] = {}


def _stack_files(stack: str) -> tuple[tuple[str, str], ...]:
    """The files a stack's plan reads, as they are now (staging's settings also read production's stack file,
    and prod's previews read staging's outputs: its plan runs staging's program first)."""
    names = ("Pulumi.yaml", "Pulumi.prod.yaml", "Pulumi.staging.yaml", f"Pulumi.{stack}.yaml")
    return tuple((name, (PROJECT_DIR / name).read_text()) for name in dict.fromkeys(names))


# prod's program reads staging's outputs, so one run of prod's plans both committed stacks: a worker asked
# for staging first would otherwise plan it twice (alone, then again as prod's reference).
_PLANNED_WITH = {"staging": "prod"}


def _planned(stack: str) -> tuple[Plan, list[warnings.WarningMessage]]:
    key = (stack, _stack_files(stack))
    if key not in _PLANS and stack in _PLANNED_WITH:
        # When the other stack does not plan (a test broke its file), this one is planned alone below.
        with contextlib.suppress(Exception):
            _plan_afresh(_PLANNED_WITH[stack])
    if key not in _PLANS:
        _plan_afresh(stack)
    return _PLANS[key]


def _plan_afresh(stack: str) -> None:
    """Plans ``stack`` with the engine's own plan cache and stack references emptied, so the program really runs.

    Each program run's warnings are recorded with its plan (deprecated types and arguments are checked in
    test_estate), and every stack the run planned (the stacks it references, too) joins the cache.
    """
    import estate.engine as engine

    engine.forget_plans()
    runs: dict[str, tuple[PlanDocument, list[warnings.WarningMessage]]] = {}
    run_program = engine.run_program

    def recording(run_stack: str, *args: Any, **kwargs: Any) -> PlanDocument:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            plan = run_program(run_stack, *args, **kwargs)
        runs[run_stack] = (plan, list(caught))
        return plan

    engine.run_program = recording
    try:
        _ = run_plan(stack)
    finally:
        engine.run_program = run_program
    assert stack in runs, f"the engine did not run the program for {stack}"
    for run_stack, (plan, caught) in runs.items():
        _ = _PLANS.setdefault((run_stack, _stack_files(run_stack)), (plan.to_json(), caught))


def private_copy(plan: Plan) -> Plan:
    """A deep copy of a plan document (JSON data: dicts, lists, strings, numbers), twice as fast as ``copy.deepcopy``."""
    return pickle.loads(pickle.dumps(plan, pickle.HIGHEST_PROTOCOL))


def plan_of(stack: str) -> Plan:
    """A private copy of the stack's plan (computed once), safe to mutate."""
    return private_copy(_planned(stack)[0])


def plan_warnings(stack: str) -> list[warnings.WarningMessage]:
    """The warnings raised while planning the stack."""
    return _planned(stack)[1]


def shared_run_plan(stack: str, project_dir: Any = PROJECT_DIR) -> PlanDocument:
    """``estate.engine.run_plan`` for in-process command tests: the session's plan while the files are as committed."""
    if project_dir != PROJECT_DIR or not (PROJECT_DIR / f"Pulumi.{stack}.yaml").exists():
        return run_plan(stack, project_dir)
    return PlanDocument.from_json(plan_of(stack))
