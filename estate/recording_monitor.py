"""A mock resource monitor that also records each registration's options.

``pulumi.runtime.set_mocks`` accepts a monitor; this one extends Pulumi's
``MockMonitor`` to keep what the engine would see: type, name, parent, inputs
and the resource options (protect, retain_on_delete, ignore_changes,
depends_on, import), in registration order.
"""

from __future__ import annotations

import threading
from typing import Any

import pulumi
from pulumi.runtime.mocks import MockMonitor, MockResourceArgs, Mocks


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

    def new_resource(self, args: MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        self.last_inputs = args.inputs
        return self.inner.new_resource(args)

    def call(self, args: Any) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        return self.inner.call(args)


class RecordingMonitor(MockMonitor):
    """Pulumi's mock monitor, recording every registration for the plan."""

    def __init__(self, mocks: Mocks) -> None:
        self.recorder = _InputRecorder(mocks)
        super().__init__(self.recorder)
        self.records: list[dict[str, Any]] = []
        self._records_lock = threading.Lock()

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 (gRPC method name)
        from estate.plan import public_value

        self.recorder.last_inputs = {}
        response = super().RegisterResource(request)
        if request.type == "pulumi:pulumi:Stack":
            return response
        record = {
                "urn": response.urn,
                "type": request.type,
                "name": request.name,
                "parent": request.parent or None,
                "custom": bool(request.custom),
                "inputs": public_value(self.recorder.last_inputs),
                "options": {
                    "protect": bool(request.protect),
                    "retain_on_delete": bool(request.retainOnDelete),
                    "ignore_changes": list(request.ignoreChanges),
                    "depends_on": sorted(request.dependencies),
                    "import_id": request.importId or None,
                },
                "provider": request.provider or None,
            }
        with self._records_lock:
            self.records.append(record)
        return response

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
