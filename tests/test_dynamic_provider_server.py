"""Contract of tests/dynamic_provider_server.py with the installed Pulumi SDK.

The Supabase provider tests rely on the SDK's dynamic-provider server handing providers what the
engine's wire format means: whole numbers as floats, unknowns as `pulumi.output.Unknown`, secrets
in the rpc wrapper, the pickled provider under `__provider`. A probe provider reports what it
received, so an SDK upgrade that changes any of this fails here first.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from estate.sdk_internals import Unknown
from providers.supabase_management.wire import is_secret, is_unknown, reveal, whole_number
from tests.dynamic_provider_server import (
    UNKNOWN,
    DynamicProviderServer,
    ProbeProvider,
    deserialize,
    secret,
    serialize,
    urn,
)


@pytest.fixture(scope="module")
def server() -> Iterator[DynamicProviderServer]:
    with DynamicProviderServer({}) as running:
        yield running


PROBE = urn("pulumi-python:dynamic:Resource", "probe")
INPUTS: dict[str, object] = {
    "count": 10,
    "ratio": 0.5,
    "ref": UNKNOWN,
    "password": secret("hunter2"),
    "nested": {"list": [1, UNKNOWN]},
    "flag": True,
}


def test_check_sees_floats_unknown_objects_and_wrapped_secrets(server: DynamicProviderServer) -> None:
    reply = server.check(PROBE, serialize(ProbeProvider(), {}), serialize(ProbeProvider(), INPUTS))
    assert deserialize(reply.inputs)["seen"] == {
        "count": "float",
        "ratio": "float",
        "ref": "unknown",
        "password": "secret:str",
        "nested": "object",
        "flag": "bool",
    }


def test_create_sees_known_values_and_secret_outputs_stay_secret(server: DynamicProviderServer) -> None:
    known = {k: v for k, v in INPUTS.items() if k not in ("ref", "nested")}
    id_, outputs = server.create(PROBE, serialize(ProbeProvider(), known))
    recorded = deserialize(outputs)
    assert id_ == "probe-id"
    assert recorded["seen"] == {"count": "float", "ratio": "float", "password": "secret:str", "flag": "bool"}
    assert is_secret(recorded["token"]) and reveal(recorded["token"]) == "kept secret"


def test_wire_helpers_read_each_shape() -> None:
    assert is_unknown(Unknown()) and is_unknown(UNKNOWN) and not is_unknown("abc")
    assert whole_number(10.0) == 10 and whole_number(10) == 10
    assert whole_number(10.5) is None and whole_number(True) is None
    assert reveal({"a": secret([secret(1)])}) == {"a": [1]}
