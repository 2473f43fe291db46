"""First ``up``: can the engine create the plan, in the order it would, on a fresh environment?

Each provider model (``estate/models``) says what a resource needs to exist
before it is created (``REQUIRES`` rows: a Worker before its custom domain, a
live endpoint before a webhook destination Cloudflare tests, a source branch
before a branch is cut from it, a healthy Supabase project before it is
configured, a Pages domain before Access covers it) and what it makes true once
created (``PROVIDES`` rows; ``<fact>@existing`` rows say what exists before the
first ``up``: repositories and their default branches). Each row has its source.

The engine creates independent resources in parallel, so a resource is
guaranteed to exist first only if it is a dependency: an input taken from its
outputs, an explicit ``depends_on``, or a parent (transitively; depending on a
component means depending on everything in it). A requirement is unmet when
nothing in the stack provides it, or when what provides it is not a dependency.

Facts in ``SOFT_FACTS`` are required only when the stack itself provides them:
a host outside the estate (a Slack webhook) is taken as live.

Facts in ``CROSS_STACK_FACTS`` are made true by another stack's ``up``: a
``StackReference`` reads the outputs of a stack that must have been ``up``
first (the engine answers ``unknown stack``, or finds no outputs, otherwise).
Nothing in this stack can provide them; the requirement is met when the
referenced stack is another stack of this project with a stack file, and
:func:`stacks_to_up_first` names the stacks whose ``up`` must come first.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from estate.models import PROVIDES, Rule, evaluate, fields
from estate.models.pulumi import STACK_UP, StackReferenceError, parse_reference
from estate.models.registry import models
from estate.plan_document import PlanIndex

EXISTING = "@existing"
SOFT_FACTS = frozenset({"live-host", "pages-domain"})
CROSS_STACK_FACTS = frozenset({STACK_UP})


@dataclass(frozen=True)
class UnmetPrecondition:
    """A resource the first ``up`` cannot create (yet), and why."""

    urn: str
    fact: str
    key: str
    provider_urns: tuple[str, ...]
    source: str
    # Why, when the generic sentences do not say it (another stack's `up`).
    reason: str = ""

    def __str__(self) -> str:
        if self.reason:
            return f"{self.urn}: needs {self.fact} {self.key!r}: {self.reason} [{self.source}]"
        if not self.provider_urns:
            return (
                f"{self.urn}: needs {self.fact} {self.key!r} to exist first, and nothing in this stack "
                f"creates it (on a fresh environment it does not exist) [{self.source}]"
            )
        return (
            f"{self.urn}: needs {self.fact} {self.key!r}, which {', '.join(self.provider_urns)} creates, but "
            f"does not depend on it: the engine may create them in either order; take an input from its "
            f"outputs or add depends_on [{self.source}]"
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "urn": self.urn,
            "fact": self.fact,
            "key": self.key,
            "created_by": list(self.provider_urns),
            "source": self.source,
            **({"reason": self.reason} if self.reason else {}),
        }


def _keys(rule: Rule, stack: str, resource: Mapping[str, Any]) -> list[str]:
    state = {**(resource.get("inputs") or {}), **(resource.get("outputs") or {})}
    f = fields(stack, str(resource["type"]), str(resource["name"]), state)
    if resource.get("id"):
        f["id"] = resource["id"]
    try:
        value = evaluate(rule.value, f)
    except (KeyError, IndexError, AttributeError):
        return []
    values = value if isinstance(value, list) else [value]
    return [str(v) for v in values if v not in (None, "") and "[secret]" not in str(v)]


def dependency_closure(resources: Iterable[Mapping[str, Any]]) -> dict[str, set[str]]:
    """URN → every URN created before it is (dependencies, parents, components' contents), transitively."""
    index = PlanIndex({"resources": list(resources)})
    records = index.by_urn

    def contents(urn: str) -> set[str]:
        return {str(child["urn"]) for child in index.descendants(records[urn])}

    direct: dict[str, set[str]] = {}
    for urn, record in records.items():
        deps = set((record.get("options") or {}).get("depends_on") or [])
        expanded = set(deps)
        for dep in deps:  # depending on a component is depending on everything in it
            if dep in records and not records[dep].get("custom", True):
                expanded |= contents(dep) - {urn}
        if record.get("parent"):  # a child is registered once its parent is
            expanded.add(str(record["parent"]))
        direct[urn] = expanded

    closure: dict[str, set[str]] = {}

    def visit(urn: str, path: frozenset[str]) -> set[str]:
        if urn in closure:
            return closure[urn]
        result: set[str] = set()
        for dep in direct.get(urn, ()):
            if dep in path:
                continue
            result.add(dep)
            result |= visit(dep, path | {dep})
        closure[urn] = result
        return result

    for urn in records:
        visit(urn, frozenset({urn}))
    return closure


def check_plan(plan: Mapping[str, Any]) -> tuple[list[UnmetPrecondition], int]:
    """Every unmet first-``up`` precondition, and how many requirements were checked."""
    stack = str(plan.get("stack", ""))
    resources = [r for r in plan["resources"] if r.get("custom")]
    table = models()
    existing: set[tuple[str, str]] = set()
    providers: dict[tuple[str, str], list[str]] = defaultdict(list)
    for resource in resources:
        model = table.get(str(resource["type"]))
        for rule in model.provides if model else ():
            assert rule.kind == PROVIDES
            for key in _keys(rule, stack, resource):
                if rule.prop.endswith(EXISTING):
                    existing.add((rule.prop.removesuffix(EXISTING), key))
                else:
                    providers[(rule.prop, key)].append(str(resource["urn"]))
    closure = dependency_closure(plan["resources"])
    unmet: list[UnmetPrecondition] = []
    checked = 0
    for resource in resources:
        model = table.get(str(resource["type"]))
        urn = str(resource["urn"])
        for rule in model.requires if model else ():
            for key in _keys(rule, stack, resource):
                if rule.prop in CROSS_STACK_FACTS:
                    checked += 1
                    reason = _other_stack_problem(plan, key)
                    if reason:
                        unmet.append(UnmetPrecondition(urn, rule.prop, key, (), rule.source, reason))
                    continue
                if (rule.prop, key) in existing:
                    checked += 1
                    continue
                made_by = [p for p in providers.get((rule.prop, key), []) if p != urn]
                if not made_by and rule.prop in SOFT_FACTS:
                    continue
                checked += 1
                if not made_by or not any(p in closure.get(urn, set()) for p in made_by):
                    unmet.append(UnmetPrecondition(urn, rule.prop, key, tuple(made_by), rule.source))
    return unmet, checked


def _referenced_stack(plan: Mapping[str, Any], name: str) -> tuple[str, str]:
    return parse_reference(name, str(plan.get("project", "")))


def _other_stack_problem(plan: Mapping[str, Any], name: str) -> str:
    """Why the stack ``name`` cannot be `up` before this one ("" when it can)."""
    from estate.engine import project_name, stacks_with_files

    try:
        project, stack = _referenced_stack(plan, name)
    except StackReferenceError as error:
        return str(error)
    if project != project_name():
        return (
            f"it names project {project}, not this project ({project_name()}): nothing here deploys it; "
            f"reference organization/{project_name()}/<stack>"
        )
    if stack == plan.get("stack"):
        return "a stack cannot read its own outputs before its own up: reference another stack"
    if stack not in stacks_with_files():
        return f"this project has no stack {stack} (no Pulumi.{stack}.yaml); stacks with a file: {stacks_with_files()}"
    return ""


def stacks_to_up_first(plan: Mapping[str, Any]) -> list[str]:
    """The stacks of this project whose `up` must come before this stack's first `up` (its stack references)."""
    found: list[str] = []
    table = models()
    for resource in plan["resources"]:
        model = table.get(str(resource["type"]))
        for rule in model.requires if model and resource.get("custom") else ():
            if rule.prop not in CROSS_STACK_FACTS:
                continue
            for key in _keys(rule, str(plan.get("stack", "")), resource):
                if not _other_stack_problem(plan, key):
                    found.append(_referenced_stack(plan, key)[1])
    return sorted(set(found))
