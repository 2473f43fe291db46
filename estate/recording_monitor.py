"""The recorder: every registration of a program run under the mocks, as the plan's resources.

It sits on both sides of the mocks: :class:`_InputRecorder` wraps the provider
mocks to capture what each registration sent and what the provider models
answered, and the mock monitor (``estate/sdk_internals.py``) reports each
registration's options. Together they make one :class:`PlanResource` per
registration: type, name, parent, inputs, the resource options (protect,
retain_on_delete, ignore_changes, depends_on, import, …), and the outputs the
provider models set or changed (computed, defaulted or stored differently from
the inputs).
"""

from __future__ import annotations

import threading
from typing import Any

from pulumi.runtime import MockCallArgs, MockResourceArgs, Mocks

from estate.mocks import ProviderMocks
from estate.plan_document import DYNAMIC_TYPE_PREFIX, SECRET, PlanResource, ResourceOptions
from estate.sdk_internals import (
    DYNAMIC_PROVIDER_KEY,
    Registration,
    RegistrationMonitor,
    dynamic_provider_class,
    is_resource_reference,
    is_secret,
)


def public_value(value: Any) -> Any:
    """A deserialized property value with every secret replaced by ``"[secret]"``.

    A reference to another resource becomes its URN; a dynamic resource's pickled
    provider is dropped (the plan names its class instead).
    """
    if isinstance(value, dict):
        if is_secret(value):
            return SECRET
        if is_resource_reference(value):
            return value.get("urn")  # pyright: ignore[reportUnknownMemberType]
        return {k: public_value(v) for k, v in value.items() if k != DYNAMIC_PROVIDER_KEY}  # pyright: ignore[reportUnknownVariableType]
    if isinstance(value, list):
        return [public_value(v) for v in value]  # pyright: ignore[reportUnknownVariableType]
    return value


class _InputRecorder(Mocks):
    """Wraps the provider mocks to capture each resource's inputs and the provider's answer."""

    def __init__(self, inner: Mocks) -> None:
        self.inner = inner
        # Registrations run on executor threads; each hands its inputs to its own thread.
        self._local = threading.local()

    @property
    def last_inputs(self) -> dict[str, Any]:
        return getattr(self._local, "inputs", {})

    @last_inputs.setter
    def last_inputs(self, inputs: dict[str, Any]) -> None:
        self._local.inputs = inputs

    @property
    def last_stored_differently(self) -> list[str]:
        return getattr(self._local, "stored_differently", [])

    @last_stored_differently.setter
    def last_stored_differently(self, paths: list[str]) -> None:
        self._local.stored_differently = paths

    @property
    def last_outputs(self) -> dict[str, Any]:
        """The outputs the provider set or changed (computed, defaulted, normalised) for the last registration."""
        return getattr(self._local, "outputs", {})

    @last_outputs.setter
    def last_outputs(self, outputs: dict[str, Any]) -> None:
        self._local.outputs = outputs

    def reset(self) -> None:
        self.last_inputs = {}
        self.last_outputs = {}
        self.last_stored_differently = []

    def new_resource(self, args: MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        self.last_inputs = args.inputs
        resource_id, state = self.inner.new_resource(args)
        self.last_outputs = {
            key: value for key, value in state.items() if key not in args.inputs or args.inputs[key] != value
        }
        if isinstance(self.inner, ProviderMocks):
            self.last_stored_differently = list(self.inner.last_stored_differently)
        return resource_id, state

    def call(self, args: MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        return self.inner.call(args)


class PlanRecorder:
    """Records every registration of one program run; hand :attr:`mocks` and :attr:`monitor` to ``set_mocks``."""

    def __init__(self, mocks: Mocks) -> None:
        self.mocks = _InputRecorder(mocks)
        self.monitor = RegistrationMonitor(
            self.mocks, on_register=self._record, before_register=self.mocks.reset
        )
        self._resources: list[PlanResource] = []
        self._dynamic_providers: dict[str, str] = {}
        self._lock = threading.Lock()

    def _record(self, registration: Registration) -> None:
        # A read (a ``StackReference``, ``Resource.get``) is recorded with ``read`` set: its outputs are
        # what was read; the engine creates nothing for it and never shows it to a policy pack.
        inputs = self.mocks.last_inputs
        secret_outputs = registration.additional_secret_outputs
        resource = PlanResource(
            urn=registration.urn,
            id=registration.id,
            type=registration.type,
            name=registration.name,
            parent=registration.parent,
            custom=registration.custom,
            inputs=public_value(inputs),
            outputs={
                key: SECRET if key in secret_outputs else public_value(value)
                for key, value in self.mocks.last_outputs.items()
            },
            stored_differently=tuple(self.mocks.last_stored_differently),
            options=ResourceOptions(
                protect=registration.protect,
                retain_on_delete=registration.retain_on_delete,
                ignore_changes=registration.ignore_changes,
                depends_on=tuple(sorted(registration.dependencies)),
                replace_on_changes=registration.replace_on_changes,
                delete_before_replace=registration.delete_before_replace,
                import_id=registration.import_id,
                replacement_trigger=public_value(registration.replacement_trigger),
            ),
            provider=registration.provider,
            read=registration.read,
            # Which code the engine will run for a dynamic resource: the pickled provider's class.
            dynamic_provider=self._dynamic_provider(inputs.get(DYNAMIC_PROVIDER_KEY))
            if registration.type.startswith(DYNAMIC_TYPE_PREFIX)
            else None,
        )
        with self._lock:
            self._resources.append(resource)

    def _dynamic_provider(self, pickled: Any) -> str | None:
        if not isinstance(pickled, str):
            return None
        if pickled not in self._dynamic_providers:
            self._dynamic_providers[pickled] = dynamic_provider_class(pickled)
        return self._dynamic_providers[pickled]

    def plan_resources(self) -> tuple[PlanResource, ...]:
        """The registrations, ordered by URN: registration order varies run to run (threads)."""
        return tuple(sorted(self._resources, key=lambda resource: resource.urn))
