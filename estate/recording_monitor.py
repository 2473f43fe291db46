"""A mock resource monitor that also records each registration's options.

``pulumi.runtime.set_mocks`` accepts a monitor; this one extends Pulumi's
``MockMonitor`` to keep what the engine would see: type, name, parent, inputs
the resource options (protect, retain_on_delete, ignore_changes, depends_on,
import), and the outputs the provider models set or changed (``outputs``:
computed, defaulted or stored differently from the inputs).
"""

from __future__ import annotations

import threading
from typing import Any

import pulumi
from pulumi.runtime.mocks import MockMonitor, MockResourceArgs, Mocks

from estate.mocks import ProviderMocks


class _InputRecorder(Mocks):
    """Wraps the provider mocks to capture each resource's inputs."""

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

    def new_resource(self, args: MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        self.last_inputs = args.inputs
        resource_id, state = self.inner.new_resource(args)
        self.last_outputs = {
            key: value for key, value in state.items() if key not in args.inputs or args.inputs[key] != value
        }
        if isinstance(self.inner, ProviderMocks):
            self.last_stored_differently = list(self.inner.last_stored_differently)
        return resource_id, state

    def call(self, args: Any) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        return self.inner.call(args)


class RecordingMonitor(MockMonitor):
    """Pulumi's mock monitor, recording every registration for the plan."""

    def __init__(self, mocks: Mocks) -> None:
        self.recorder = _InputRecorder(mocks)
        super().__init__(self.recorder)
        self.records: list[dict[str, Any]] = []
        self._dynamic_providers: dict[str, str] = {}
        self._records_lock = threading.Lock()

    def RegisterResource(self, request: Any) -> Any:
        from estate.plan import SECRET, public_value

        self.recorder.last_inputs = {}
        self.recorder.last_outputs = {}
        self.recorder.last_stored_differently = []
        response = super().RegisterResource(request)
        if request.type == "pulumi:pulumi:Stack":
            return response
        # The program's and the schema's secret outputs (the SDK lists both in the request).
        secret_outputs = set(request.additionalSecretOutputs)
        record = {
            "urn": response.urn,
            "id": response.id or None,
            "type": request.type,
            "name": request.name,
            "parent": request.parent or None,
            "custom": bool(request.custom),
            "inputs": public_value(self.recorder.last_inputs),
            # What the provider computed, defaulted or stored differently from the inputs.
            "outputs": {
                key: SECRET if key in secret_outputs else public_value(value)
                for key, value in self.recorder.last_outputs.items()
            },
            # Input paths the provider stores differently from what it was sent (estate/models STORED rules).
            "stored_differently": self.recorder.last_stored_differently,
            "options": {
                "protect": bool(request.protect),
                "retain_on_delete": bool(request.retainOnDelete),
                "ignore_changes": list(request.ignoreChanges),
                "depends_on": sorted(request.dependencies),
                "replace_on_changes": list(request.replaceOnChanges),
                "delete_before_replace": bool(request.deleteBeforeReplace),
                "import_id": request.importId or None,
                # A value whose change replaces the resource (ResourceOptions.replacement_trigger).
                "replacement_trigger": _replacement_trigger(request),
            },
            "provider": request.provider or None,
        }
        if request.type.startswith("pulumi-python:dynamic"):
            # Which code the engine will run for it: the pickled provider's class.
            record["dynamic_provider"] = self._dynamic_provider(self.recorder.last_inputs.get("__provider"))
        with self._records_lock:
            self.records.append(record)
        return response

    def _dynamic_provider(self, pickled: Any) -> str | None:
        if not isinstance(pickled, str):
            return None
        if pickled not in self._dynamic_providers:
            import base64

            import dill  # pyright: ignore[reportMissingTypeStubs] (pulumi.dynamic pickles providers with dill)

            provider = dill.loads(base64.b64decode(pickled))  # pyright: ignore[reportUnknownMemberType]
            self._dynamic_providers[pickled] = f"{type(provider).__module__}.{type(provider).__qualname__}"
        return self._dynamic_providers[pickled]

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        """As the engine builds URNs: the parent's whole qualified type chain, then the type.

        (Pulumi's mock keeps only the nearest parent's type.) The root stack's type
        is not part of its children's URNs.
        """
        if parent:
            qualified_parent = parent.split("::")[2]
            if qualified_parent != "pulumi:pulumi:Stack":
                type_ = f"{qualified_parent}${type_}"
        return "urn:pulumi:" + "::".join([pulumi.get_stack(), pulumi.get_project(), type_, name])

    def plan_resources(self) -> list[dict[str, Any]]:
        """The registrations, ordered by URN: registration order varies run to run (threads)."""
        return sorted(self.records, key=lambda record: record["urn"])


def _replacement_trigger(request: Any) -> Any:
    """The ``replacement_trigger`` option as the engine receives it, secrets masked; None when unset."""
    from google.protobuf import json_format

    from estate.plan import public_value

    if not request.HasField("replacement_trigger"):
        return None
    return public_value(json_format.MessageToDict(request.replacement_trigger))
