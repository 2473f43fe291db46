"""Everything the estate relies on that the Pulumi SDKs do not publish as API, in one place.

The offline plan runs the real program under Pulumi's public mocks API, but to see
what the engine would see it needs a few details of the SDKs' internals: the mock
monitor's registration requests, the markers the RPC layer puts in deserialized
properties, the root stack's exported outputs, how a dynamic provider is pickled
into its inputs, the policy SDK's "not applicable" signal and unknown-value
proxy; and, for speed, it switches off the SDK's capture of source positions.
Each is named here once; tests/test_sdk_internals.py checks every one of them
against the installed SDKs, so an upgrade that changes one fails there, loudly,
instead of quietly changing what a plan shows.

Three reaches stay where they are, because their package may not import the tooling,
and the same contract test covers them: the program's settings list the config keys
Pulumi holds (``stacks/settings.py``: ``pulumi.runtime.config.CONFIG``), the policy
pack, which ships on its own, catches ``pulumi_policy.proxy.UnknownValueError``
(``policies/engine_view.py``), and the dynamic providers, which the engine runs
without the tooling, recognise ``pulumi.output.Unknown``
(``providers/supabase_management/wire.py``). tests/test_sdk_internals.py also fails when any other
module of the project reaches into the SDKs' internals.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Generator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Final

import pulumi
from pulumi.dynamic.dynamic import PROVIDER_KEY as _PROVIDER_KEY
from pulumi.dynamic.dynamic import serialize_provider as _serialize_provider  # pyright: ignore[reportUnknownVariableType]
from pulumi.output import Unknown
from pulumi.runtime import resource as _resource
from pulumi.runtime import rpc as _rpc
from pulumi.runtime.mocks import MockMonitor, Mocks
from pulumi_policy.policy import _NotApplicableError  # pyright: ignore[reportPrivateUsage]
from pulumi_policy.proxy import (
    UNKNOWN_ARRAY_VALUE,
    UNKNOWN_BOOLEAN_VALUE,
    UNKNOWN_STRING_VALUE,
    UnknownValueError,
    unknown_checking_proxy,
)

__all__ = [
    "DYNAMIC_PROVIDER_KEY",
    "RESOURCE_SIG",
    "SECRET_SIG",
    "SIG_KEY",
    "STACK_TYPE",
    "UNKNOWN",
    "UNKNOWN_ARRAY",
    "UNKNOWN_BOOLEAN",
    "UNKNOWN_STRING",
    "NotApplicableError",
    "Registration",
    "RegistrationMonitor",
    "Unknown",
    "UnknownValueError",
    "dynamic_provider_class",
    "is_resource_reference",
    "is_secret",
    "pickle_provider",
    "secret",
    "stack_outputs",
    "unknown_checking_proxy",
    "without_source_positions",
]

# --- markers in deserialized properties (pulumi/runtime/rpc.py) -------------------------------------

# The key under which the RPC layer marks a special value inside a property map.
SIG_KEY: Final[str] = _rpc._special_sig_key  # pyright: ignore[reportPrivateUsage]
# ``{SIG_KEY: SECRET_SIG, "value": ...}``: a secret value.
SECRET_SIG: Final[str] = _rpc._special_secret_sig  # pyright: ignore[reportPrivateUsage]
# ``{SIG_KEY: RESOURCE_SIG, "urn": ..., "id": ...}``: a reference to another resource.
RESOURCE_SIG: Final[str] = _rpc._special_resource_sig  # pyright: ignore[reportPrivateUsage]
# What the engine sends for a value not known yet (an output of a resource not created yet); the
# dynamic-provider server hands it to check and diff as an ``Unknown`` (``pulumi.output``, not exported).
UNKNOWN: Final[str] = _rpc.UNKNOWN
# The type of the root stack resource every program registers first.
STACK_TYPE: Final = "pulumi:pulumi:Stack"


def is_secret(value: Any) -> bool:
    """Whether a deserialized property value is marked secret."""
    return isinstance(value, Mapping) and value.get(SIG_KEY) == SECRET_SIG  # pyright: ignore[reportUnknownMemberType]


def secret(value: Any) -> dict[str, Any]:
    """``value`` marked secret, as the RPC layer hands a secret to mocks and providers."""
    return {SIG_KEY: SECRET_SIG, "value": value}


def is_resource_reference(value: Any) -> bool:
    """Whether a deserialized property value is a reference to another resource (its ``urn`` names it)."""
    return isinstance(value, Mapping) and value.get(SIG_KEY) == RESOURCE_SIG  # pyright: ignore[reportUnknownMemberType]


# --- dynamic providers (pulumi/dynamic/dynamic.py) --------------------------------------------------

# The input under which a dynamic resource carries its pickled provider (base64 of dill); wrapped
# as a secret unless the provider sets ``serialize_as_secret_always = False`` (ours all do).
DYNAMIC_PROVIDER_KEY: Final[str] = _PROVIDER_KEY


def pickle_provider(provider: Any) -> str:
    """The provider as the SDK pickles it into a dynamic resource's inputs."""
    return str(_serialize_provider(provider))


def dynamic_provider_class(pickled: str) -> str:
    """``module.Class`` of a pickled dynamic provider: the code the engine will run for the resource."""
    import dill  # pyright: ignore[reportMissingTypeStubs] (pulumi.dynamic pickles providers with dill)

    provider = dill.loads(base64.b64decode(pickled))  # pyright: ignore[reportUnknownMemberType]
    return f"{type(provider).__module__}.{type(provider).__qualname__}"


# --- the root stack's outputs (pulumi/runtime/stack.py) ---------------------------------------------


def stack_outputs() -> dict[str, Any]:
    """What the program exported (``pulumi.export``): the root ``Stack`` resource keeps it in ``outputs``."""
    root = pulumi.runtime.get_root_resource()
    return dict(getattr(root, "outputs", None) or {})


# --- the mock monitor (pulumi/runtime/mocks.py) -----------------------------------------------------


@dataclass(frozen=True)
class Registration:
    """One resource registration (or read) as the engine receives it: the fields of its gRPC request."""

    urn: str
    id: str | None
    type: str
    name: str
    parent: str | None
    custom: bool
    # The program's and the schema's secret outputs (the SDK lists both in the request).
    additional_secret_outputs: frozenset[str]
    protect: bool
    retain_on_delete: bool
    ignore_changes: tuple[str, ...]
    dependencies: tuple[str, ...]
    replace_on_changes: tuple[str, ...]
    delete_before_replace: bool
    import_id: str | None
    provider: str | None
    # ``ResourceOptions.replacement_trigger``: a value whose change replaces the resource (None: unset).
    replacement_trigger: Any = None
    # A read of an existing resource (``Resource.get``, ``StackReference``): ``id`` is what was read.
    read: bool = False


class RegistrationMonitor(MockMonitor):
    """Pulumi's mock monitor with the engine's URNs, telling ``on_register`` about each registration and read.

    ``before_register`` runs on the registering thread before the mocks answer (the
    mocks' per-thread state is reset there); the root stack is not reported.
    """

    def __init__(
        self,
        mocks: Mocks,
        on_register: Callable[[Registration], None],
        before_register: Callable[[], None] | None = None,
    ) -> None:
        super().__init__(mocks)
        self._on_register = on_register
        self._before_register = before_register

    def RegisterResource(self, request: Any) -> Any:  # the gRPC method's name
        if self._before_register is not None:
            self._before_register()
        response = super().RegisterResource(request)  # pyright: ignore[reportUnknownMemberType] (untyped in the SDK)
        if request.type == STACK_TYPE:
            return response
        self._on_register(
            Registration(
                urn=response.urn,
                id=response.id or None,
                type=request.type,
                name=request.name,
                parent=request.parent or None,
                custom=bool(request.custom),
                additional_secret_outputs=frozenset(request.additionalSecretOutputs),
                protect=bool(request.protect),
                retain_on_delete=bool(request.retainOnDelete),
                ignore_changes=tuple(request.ignoreChanges),
                dependencies=tuple(request.dependencies),
                replace_on_changes=tuple(request.replaceOnChanges),
                delete_before_replace=bool(request.deleteBeforeReplace),
                import_id=request.importId or None,
                provider=request.provider or None,
                replacement_trigger=_replacement_trigger(request),
            )
        )
        return response

    def ReadResource(self, request: Any) -> Any:  # the gRPC method's name
        if self._before_register is not None:
            self._before_register()
        response = super().ReadResource(request)  # pyright: ignore[reportUnknownMemberType] (untyped in the SDK)
        self._on_register(
            Registration(
                urn=response.urn,
                id=request.id or None,
                type=request.type,
                name=request.name,
                parent=request.parent or None,
                custom=True,
                additional_secret_outputs=frozenset(request.additionalSecretOutputs),
                protect=False,
                retain_on_delete=False,
                ignore_changes=(),
                dependencies=tuple(request.dependencies),
                replace_on_changes=(),
                delete_before_replace=False,
                import_id=None,
                provider=request.provider or None,
                read=True,
            )
        )
        return response

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        """As the engine builds URNs: the parent's whole qualified type chain, then the type.

        (Pulumi's mock keeps only the nearest parent's type.) The root stack's type
        is not part of its children's URNs.
        """
        if parent:
            qualified_parent = parent.split("::")[2]
            if qualified_parent != STACK_TYPE:
                type_ = f"{qualified_parent}${type_}"
        return "urn:pulumi:" + "::".join([pulumi.get_stack(), pulumi.get_project(), type_, name])


def _replacement_trigger(request: Any) -> Any:
    """The ``replacement_trigger`` option as the engine receives it (a protobuf ``Value``); None when unset."""
    from google.protobuf import json_format

    if not request.HasField("replacement_trigger"):
        return None
    return json_format.MessageToDict(request.replacement_trigger)


# --- source positions (pulumi/runtime/resource.py) ----------------------------------------------


@contextmanager
def without_source_positions() -> Generator[None]:
    """Registrations carry no stack trace or source position while this is active.

    For every resource the SDK captures the Python stack (``traceback.extract_stack``)
    and turns each frame into a ``file://`` URI, so that the engine can show where
    the program declared it: about a fifth of an offline plan, read by nobody (the
    mocks and the plan document ignore it). A real ``pulumi up`` never enters this.
    """
    from pulumi.runtime.proto import source_pb2

    captured = _resource._get_stack_trace  # pyright: ignore[reportPrivateUsage]
    empty = source_pb2.StackTrace()
    _resource._get_stack_trace = lambda: empty  # pyright: ignore[reportPrivateUsage]
    try:
        yield
    finally:
        _resource._get_stack_trace = captured  # pyright: ignore[reportPrivateUsage]


# --- the policy SDK (pulumi_policy/policy.py, proxy.py) ---------------------------------------------

# What ``args.not_applicable(reason)`` raises: the analyzer skips the policy for that resource (or
# stack) without a violation, and so does the offline runner.
NotApplicableError: Final = _NotApplicableError
# The policy props' proxy (``unknown_checking_proxy``) raises ``UnknownValueError`` on a value not
# known during preview; the analyzer turns it into an advisory "can't run during preview".
# The analyzer's sentinels for a value not known yet, by type: what the proxy raises on.
UNKNOWN_STRING: Final[str] = UNKNOWN_STRING_VALUE
UNKNOWN_BOOLEAN: Final[str] = UNKNOWN_BOOLEAN_VALUE
UNKNOWN_ARRAY: Final[str] = UNKNOWN_ARRAY_VALUE
