"""The engine's own resources (pulumi/pulumi 3.x, ``ENGINE`` below): ``pulumi:pulumi:StackReference``.

No provider plugin serves them: the engine's built-in provider does, reading
the referenced stack's outputs from the backend. A stack reference is a
*read* (the SDK gives it ``id=<stack name>``), so it is never created,
updated or deleted in the cloud, and it is never sent to a policy pack
(pulumi/pulumi#3950: reads are not analyzed).

Offline there is no backend: the plan of the referenced stack, run under
the mocks in the same process, stands in for its last ``up``
(:func:`register_offline_stack`; ``estate/plan.py`` plans referenced stacks
first). A reference to a stack that has no offline plan fails the plan, as
the engine fails on a stack that has never been ``up``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from estate.models import COMPUTED, ID, REPLACES, REQUIRES, Rule
from estate.sdk_internals import is_secret
from policies.resource_types import STACK_REFERENCE

ENGINE = "pulumi/pulumi pkg/resource/deploy/builtins.go"
SDK = "pulumi 3.272.0 sdk/python/lib/pulumi/stack_reference.py"
DIY = "pulumi/pulumi pkg/backend/diy/store.go projectReferenceStore.ParseReference"
BACKEND = "pulumi/pulumi pkg/backend/backend.go backendClient.GetStackOutputs"

# The types the engine serves itself: no provider schema describes them (estate/schema_check.py).
ENGINE_TYPES = frozenset({STACK_REFERENCE})
# The fact a stack's `up` makes true for the stacks that reference it (estate/first_up.py).
STACK_UP = "stack-up"
# The only organization a self-managed (DIY) backend knows.
DIY_ORGANIZATION = "organization"

_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")


class StackReferenceError(ValueError):
    """A stack reference the engine would refuse, or one no offline plan can answer."""


def parse_reference(name: str, current_project: str) -> tuple[str, str]:
    """(project, stack) of a reference name, as a self-managed backend with project-scoped stacks parses it.

    ``stack``, ``organization/stack`` and ``organization/<project>/stack``; the
    organization must be the literal ``organization`` (``DIY`` above).
    """
    parts = name.split("/")
    if len(parts) > 3 or not all(parts):
        raise StackReferenceError(
            f"could not parse stack reference {name!r}: use organization/<project>/<stack>"
        )
    organization = parts[0] if len(parts) >= 2 else DIY_ORGANIZATION
    project = parts[1] if len(parts) == 3 else current_project
    stack = parts[-1]
    if organization != DIY_ORGANIZATION:
        raise StackReferenceError(
            f"stack reference {name!r}: organization name must be 'organization' on a "
            f"self-managed backend: use organization/{project}/{stack}"
        )
    if not _NAME.match(project) or not _NAME.match(stack):
        raise StackReferenceError(
            f"stack reference {name!r}: project and stack names may only contain "
            "alphanumerics, hyphens, underscores and periods (at most 100)"
        )
    return project, stack


def qualified_name(project: str, stack: str) -> str:
    """The fully qualified name of a stack on this project's self-managed backend."""
    return f"{DIY_ORGANIZATION}/{project}/{stack}"


# Outputs of the stacks planned offline in this process, by (project, stack): values as the engine's
# deserializer gives them (secrets wrapped in the RPC layer's secret marker).
_OFFLINE_STACKS: dict[tuple[str, str], dict[str, Any]] = {}


def register_offline_stack(project: str, stack: str, outputs: Mapping[str, Any]) -> None:
    """Records a stack's offline outputs: what a reference to it reads, as if it had been `up`."""
    _OFFLINE_STACKS[(project, stack)] = dict(outputs)


def offline_stack(project: str, stack: str) -> dict[str, Any] | None:
    return _OFFLINE_STACKS.get((project, stack))


def forget_offline_stacks() -> None:
    """Forgets every stack's offline outputs: a reference reads nothing until its stack is planned again."""
    _OFFLINE_STACKS.clear()


def _contains_secret(value: Any) -> bool:
    if isinstance(value, Mapping):
        return is_secret(value) or any(_contains_secret(v) for v in value.values())
    if isinstance(value, list):
        return any(_contains_secret(v) for v in value)
    return False


def _referenced_outputs(inputs: Mapping[str, Any]) -> dict[str, Any]:
    from pulumi import get_project

    name = str(inputs.get("name") or "")
    project, stack = parse_reference(name, get_project())
    outputs = offline_stack(project, stack)
    if outputs is None:
        raise StackReferenceError(
            f"stack reference {name!r}: stack {stack} of project {project} has no offline "
            f"plan in this process (the engine answers `unknown stack`): plan it first, "
            f"`python -m estate plan --stack {stack}`"
        )
    return outputs


def read_outputs(_current: Any, inputs: Mapping[str, Any]) -> dict[str, Any]:
    """The referenced stack's outputs, secrets kept secret (readStackReference)."""
    return dict(_referenced_outputs(inputs))


def secret_output_names(_current: Any, inputs: Mapping[str, Any]) -> list[str]:
    """The names of the outputs that hold a secret anywhere inside, sorted (readStackReference)."""
    return sorted(key for key, value in _referenced_outputs(inputs).items() if _contains_secret(value))


TABLE: tuple[Rule, ...] = (
    Rule(
        STACK_REFERENCE,
        ID,
        "",
        "{inputs[name]}",
        f"{SDK} (ResourceOptions(id=target_stack): a read); {ENGINE} Read returns req.ID",
    ),
    Rule(
        STACK_REFERENCE,
        COMPUTED,
        "outputs",
        read_outputs,
        f'{ENGINE} readStackReference ("outputs": the stack\'s outputs, secrets kept)',
    ),
    Rule(
        STACK_REFERENCE,
        COMPUTED,
        "secretOutputNames",
        secret_output_names,
        f"{ENGINE} readStackReference (outputs whose value HasSecrets, sorted)",
    ),
    Rule(STACK_REFERENCE, REPLACES, "name", None, f"{ENGINE} Diff (a changed name replaces the reference)"),
    # A stack that was never `up` has no root resource: its outputs are empty, and `unknown stack` if never init-ed.
    Rule(
        STACK_REFERENCE,
        REQUIRES,
        STACK_UP,
        "{inputs[name]}",
        f"{BACKEND} (unknown stack; no outputs before its first up)",
    ),
)
