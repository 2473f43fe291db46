"""The real plan of each stack, computed once per test session and shared by every test.

One module holds the cache: pytest imports ``tests/conftest.py`` as ``conftest`` while
tests import ``tests.conftest``, two module objects that would each plan again.
A plan is cached with the stack files it was made from; when a test rewrites
them (``Pulumi.*.yaml``), the next request plans afresh.

Each run is also watched, without changing it: what every resource was registered
with (the provider's view, which the plan shows masked), what a reference to the
stack reads, and which programs ran, so tests need not run the program again to see them.
"""

from __future__ import annotations

import contextlib
import pickle
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from estate.engine import PROJECT_DIR, run_plan
from estate.plan_document import PlanDocument

if TYPE_CHECKING:
    from pulumi.runtime import MockResourceArgs

Plan = dict[str, Any]
# (type token, resource name) → the inputs the mocked provider received (a secret inside the RPC secret marker).
Registered = dict[tuple[str, str], dict[str, Any]]


@dataclass(frozen=True)
class SharedRun:
    """One stack's program run, as the engine made it for a fresh process."""

    plan: Plan
    warnings: list[warnings.WarningMessage]
    registered: Registered
    # What a StackReference to the stack reads: its outputs with secrets kept in the RPC secret marker.
    published: dict[str, Any]
    # Every program run of the plan it came from, in order: ``run_plan`` of the stack asked for, then of each
    # stack that run planned as a reference (which the engine must serve without running it again).
    program_runs: tuple[str, ...]


_PLANS: dict[tuple[str, tuple[tuple[str, str], ...]], SharedRun] = {}


def _stack_files(stack: str) -> tuple[tuple[str, str], ...]:
    """The files a stack's plan reads, as they are now (staging's settings also read production's stack file,
    and prod's previews read staging's outputs: its plan runs staging's program first)."""
    names = ("Pulumi.yaml", "Pulumi.prod.yaml", "Pulumi.staging.yaml", f"Pulumi.{stack}.yaml")
    return tuple((name, (PROJECT_DIR / name).read_text()) for name in dict.fromkeys(names))


# prod's program reads staging's outputs, so one run of prod's plans both committed stacks: a worker asked
# for staging first would otherwise plan it twice (alone, then again as prod's reference).
_PLANNED_WITH = {"staging": "prod"}


def _planned(stack: str) -> SharedRun:
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
    test_estate), and every stack the run planned (the stacks it references, too) joins the cache. Each
    referenced stack is then asked of ``run_plan`` too, as ``make plan`` asks for both stacks.
    """
    import estate.engine as engine
    from estate.mocks import ProviderMocks
    from estate.models.pulumi import offline_stack

    engine.forget_plans()
    # Each program run as it ends: its plan, warnings, registrations and what a reference to it reads.
    runs: dict[str, tuple[PlanDocument, list[warnings.WarningMessage], Registered, dict[str, Any]]] = {}
    order: list[str] = []
    running: list[Registered] = []  # prod's run plans staging inside it
    run_program = engine.run_program
    new_resource = ProviderMocks.new_resource

    def watched(self: ProviderMocks, args: MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        running[-1][(args.typ, args.name)] = args.inputs  # the innermost run registers it
        return new_resource(self, args)

    def recording(run_stack: str, *args: Any, **kwargs: Any) -> PlanDocument:
        order.append(run_stack)
        running.append({})
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                plan = run_program(run_stack, *args, **kwargs)
        finally:
            registered = running.pop()
        published = dict(offline_stack(plan.project, run_stack) or {})
        runs[run_stack] = (plan, list(caught), registered, published)
        return plan

    engine.run_program = recording
    ProviderMocks.new_resource = watched
    try:
        _ = run_plan(stack)
        for referenced in [s for s in runs if s != stack]:
            _ = run_plan(referenced)
    finally:
        engine.run_program = run_program
        ProviderMocks.new_resource = new_resource
    assert stack in runs, f"the engine did not run the program for {stack}"
    for run_stack, (plan, caught, registered, published) in runs.items():
        _ = _PLANS.setdefault(
            (run_stack, _stack_files(run_stack)),
            SharedRun(plan.to_json(), caught, registered, published, tuple(order)),
        )


def private_copy(plan: Plan) -> Plan:
    """A deep copy of a plan document (JSON data: dicts, lists, strings, numbers), twice as fast as ``copy.deepcopy``."""
    return pickle.loads(pickle.dumps(plan, pickle.HIGHEST_PROTOCOL))


def plan_of(stack: str) -> Plan:
    """A private copy of the stack's plan (computed once), safe to mutate."""
    return private_copy(_planned(stack).plan)


def plan_warnings(stack: str) -> list[warnings.WarningMessage]:
    """The warnings raised while planning the stack."""
    return _planned(stack).warnings


def shared_run(stack: str) -> SharedRun:
    """Everything the stack's shared run recorded (shared between tests: never modify it)."""
    return _planned(stack)


def shared_run_plan(stack: str, project_dir: Any = PROJECT_DIR) -> PlanDocument:
    """``estate.engine.run_plan`` for in-process command tests: the session's plan while the files are as committed."""
    if project_dir != PROJECT_DIR or not (PROJECT_DIR / f"Pulumi.{stack}.yaml").exists():
        return run_plan(stack, project_dir)
    return PlanDocument.from_json(plan_of(stack))
