"""Runs the ``estate-guardrails`` pack offline, on a plan document, with pulumi_policy's own types.

Each plan resource becomes the ``PolicyResource`` / ``ResourceValidationArgs``
the analyzer would build (props wrapped by pulumi_policy's unknown-checking
proxy, options as ``PolicyResourceOptions``, the provider as
``PolicyProviderResource``), and each policy's own ``validate`` is called with
a collecting reporter. The rule code is the code ``pulumi preview --policy-pack
policies`` runs, so both give the same verdicts on the same resources.

Differences from the online analyzer, all documented in docs/policies.md:
resource policies see the plan's inputs, stack policies the inputs overlaid
with the outputs the provider models computed or stored (online, stack
policies see outputs, which is the state the provider stored); secret
values read ``"[secret]"`` (online they arrive unwrapped); options also carry
``retain_on_delete``, which the analyzer protocol lacks; and
``additional_secret_outputs`` is empty (the plan does not record it).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Awaitable, Mapping, Sequence
from dataclasses import dataclass
from inspect import isawaitable
from typing import Any, cast

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyCustomTimeouts,
    PolicyProviderResource,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from estate.sdk_internals import NotApplicableError, UnknownValueError, unknown_checking_proxy
from policies.engine_view import FIX_MARKER

_DEFAULT_FIX = "see docs/policies.md for this policy"


@dataclass(frozen=True)
class Violation:
    """One policy violation: which policy, how serious, on which resource, what is wrong, how to fix it."""

    policy: str
    enforcement_level: str
    urn: str | None
    message: str
    fix: str

    @property
    def mandatory(self) -> bool:
        return self.enforcement_level == EnforcementLevel.MANDATORY.value

    def to_json(self) -> dict[str, Any]:
        return {
            "policy": self.policy,
            "enforcement_level": self.enforcement_level,
            "urn": self.urn,
            "message": self.message,
            "fix": self.fix,
        }


class PlanDocumentError(ValueError):
    """The document is not a plan as ``estate plan --format json`` prints it."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("not a plan document: " + "; ".join(problems))


class PlanResourceOptions(PolicyResourceOptions):
    """``PolicyResourceOptions`` plus ``retain_on_delete``, which only the offline plan knows."""

    retain_on_delete: bool

    def __init__(
        self, *, protect: bool, retain_on_delete: bool, ignore_changes: list[str], parent: str | None
    ) -> None:
        super().__init__(
            protect=protect,
            ignore_changes=ignore_changes,
            delete_before_replace=None,
            aliases=[],
            custom_timeouts=PolicyCustomTimeouts(0, 0, 0),
            additional_secret_outputs=[],
            parent=parent,
        )
        self.retain_on_delete = retain_on_delete


def plan_document_problems(plan: Any) -> list[str]:
    """Everything that keeps ``plan`` from being checked, each naming the field and the fix."""
    fix = "pass the JSON that `python -m estate plan --stack NAME --format json` prints"
    if not isinstance(plan, Mapping):
        return [f"the document is a {type(plan).__name__}, not an object with `resources`; {fix}"]
    plan = cast(Mapping[str, Any], plan)
    resources = plan.get("resources")
    if not isinstance(resources, list):
        return [
            f"`resources` is {'missing' if resources is None else type(resources).__name__}, not a list; {fix}"
        ]
    problems: list[str] = []
    required: dict[str, type] = {"urn": str, "type": str, "name": str, "inputs": dict}
    for index, resource in enumerate(cast(list[Any], resources)):
        if not isinstance(resource, Mapping):
            problems.append(f"resources[{index}] is a {type(resource).__name__}, not an object")
            continue
        resource = cast(Mapping[str, Any], resource)
        for key, kind in required.items():
            value = resource.get(key)
            if key not in resource:
                problems.append(f"resources[{index}].{key} is missing")
            elif not isinstance(value, kind):
                wanted = "an object" if kind is dict else "a string"
                problems.append(f"resources[{index}].{key} = {json.dumps(value)[:60]}: must be {wanted}")
        if not isinstance(resource.get("options", {}), Mapping):
            problems.append(
                f"resources[{index}].options = {json.dumps(resource.get('options'))[:60]}: must be an object"
            )
    return [*problems, fix] if problems else []


def policy_resources(plan: Mapping[str, Any], *, with_outputs: bool = True) -> list[PolicyResource]:
    """The plan's resources as the analyzer hands them to policies (parents and dependencies linked).

    ``with_outputs``: props are the inputs overlaid with the outputs the provider
    models computed or stored, as stack policies see a resource's state online;
    without, the inputs alone, as resource policies see them.
    """
    # As the engine: a read (a StackReference, `Resource.get`) never reaches a policy pack (pulumi/pulumi#3950).
    records: list[Mapping[str, Any]] = [r for r in plan["resources"] if not r.get("read")]
    providers = {
        record["urn"]: record for record in records if str(record["type"]).startswith("pulumi:providers:")
    }
    built: dict[str, PolicyResource] = {}
    for record in records:
        options: Mapping[str, Any] = record.get("options") or {}
        built[record["urn"]] = PolicyResource(
            resource_type=record["type"],
            props=unknown_checking_proxy(
                {**(record.get("inputs") or {}), **((record.get("outputs") or {}) if with_outputs else {})}
            ),
            urn=record["urn"],
            name=record["name"],
            opts=PlanResourceOptions(
                protect=bool(options.get("protect")),
                retain_on_delete=bool(options.get("retain_on_delete")),
                ignore_changes=list(options.get("ignore_changes") or []),
                parent=record.get("parent"),
            ),
            provider=_provider(record.get("provider"), providers),
            parent=None,
            dependencies=[],
            property_dependencies={},
        )
    for record in records:
        resource = built[record["urn"]]
        resource.parent = built.get(record.get("parent") or "")
        depends_on: list[str] = list((record.get("options") or {}).get("depends_on") or [])
        resource.dependencies = [built[urn] for urn in depends_on if urn in built]
    return list(built.values())


def _provider(reference: Any, providers: Mapping[str, Mapping[str, Any]]) -> PolicyProviderResource | None:
    """A provider reference is ``<provider urn>::<provider id>``."""
    if not isinstance(reference, str):
        return None
    record = providers.get(reference.rsplit("::", 1)[0])
    if record is None:
        return None
    props = unknown_checking_proxy(dict(record.get("inputs") or {}))
    return PolicyProviderResource(record["type"], props, record["urn"], record["name"])


def _settle(result: Awaitable[Any] | None) -> None:
    """Policies may be async; the analyzer runs them to completion on a fresh loop, and so do we."""
    if result is not None and isawaitable(result):

        async def wait() -> None:
            await result

        asyncio.run(wait())


def _split(message: str) -> tuple[str, str]:
    problem, marker, fix = message.partition(FIX_MARKER)
    return problem, (fix if marker else _DEFAULT_FIX)


def run_policies(
    plan: Any,
    policies: Sequence[Policy] | None = None,
    *,
    default_level: EnforcementLevel | None = None,
    config: Mapping[str, Mapping[str, Any]] | None = None,
) -> list[Violation]:
    """Every violation of ``policies`` (default: the pack's) in the plan document, in policy then resource order.

    ``config``: policy name → that policy's config, as the pack's policy config
    would give it. Raises :class:`PlanDocumentError` for a malformed document.
    """
    from policies.pack import PACK_ENFORCEMENT_LEVEL, POLICIES

    problems = plan_document_problems(plan)
    if problems:
        raise PlanDocumentError(problems)
    resources = policy_resources(cast(Mapping[str, Any], plan))
    resource_view = policy_resources(cast(Mapping[str, Any], plan), with_outputs=False)
    violations: list[Violation] = []
    for policy in POLICIES if policies is None else policies:
        level = policy.enforcement_level or default_level or PACK_ENFORCEMENT_LEVEL
        if level == EnforcementLevel.DISABLED:
            continue
        if level == EnforcementLevel.REMEDIATE:
            # As the analyzer does: a violation left after remediation blocks.
            level = EnforcementLevel.MANDATORY
        policy_config = dict((config or {}).get(policy.name, {}))
        found: list[tuple[str, str | None]] = []
        try:
            if isinstance(policy, ResourceValidationPolicy) and policy.has_validation():
                for resource in resource_view:
                    args = ResourceValidationArgs(
                        resource.resource_type,
                        resource.props,
                        resource.urn,
                        resource.name,
                        resource.opts,
                        resource.provider,
                        policy_config,
                    )

                    def report_resource(
                        message: str,
                        _urn: str | None = None,
                        urn: str = resource.urn,
                        sink: list[tuple[str, str | None]] = found,
                    ) -> None:
                        sink.append((message, urn))  # a resource policy always blames its own resource

                    try:
                        _settle(policy.validate(args, report_resource))
                    except NotApplicableError:
                        continue
            elif isinstance(policy, StackValidationPolicy):

                def report_stack(
                    message: str, urn: str | None = None, sink: list[tuple[str, str | None]] = found
                ) -> None:
                    sink.append((message, urn or None))

                with contextlib.suppress(NotApplicableError):
                    _settle(policy.validate(StackValidationArgs(resources, policy_config), report_stack))
        except UnknownValueError as error:
            # As the analyzer does: a policy that meets an unknown value cannot judge, and says so.
            found = [(f"can't run during preview: {error.message}\nfix: {_DEFAULT_FIX}", None)]
            level = EnforcementLevel.ADVISORY
        for message, urn in found:
            problem, fix = _split(message)
            violations.append(Violation(policy.name, level.value, urn, problem, fix))
    return violations
