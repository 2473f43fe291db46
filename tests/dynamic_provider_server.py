"""Drives Python dynamic providers the way the Pulumi engine does: over gRPC, through the SDK's own
dynamic-provider server (`python -m pulumi.dynamic`, which is what the engine's
`pulumi-resource-pulumi-python` plugin runs), with inputs serialized by `rpc.serialize_properties`.

It speaks the engine's side of the wire: the provider proto messages and the public
`pulumi.runtime.rpc` (de)serialization. What it needs beyond that (the `__provider` key and how
the SDK pickles a provider) comes from estate/sdk_internals.py; tests/test_dynamic_provider_server.py
checks the wire contract against the installed SDK, and tests/test_sdk_internals.py the internals,
so an SDK upgrade that changes either fails there rather than silently weakening the provider tests.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, cast

import grpc
from google.protobuf import struct_pb2
from pulumi.dynamic import CheckResult, CreateResult, ResourceProvider
from pulumi.runtime import rpc
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc
from typing_extensions import override

from estate.sdk_internals import DYNAMIC_PROVIDER_KEY, Unknown, pickle_provider

REPOSITORY_ROOT = Path(__file__).resolve().parent.parent
PROVIDER_KEY = DYNAMIC_PROVIDER_KEY
# What the engine sends for a value not known yet (an output of a resource not created yet).
UNKNOWN = rpc.UNKNOWN


def secret(value: object) -> dict[str, object]:
    """A value marked secret, as `serialize_properties` writes an `Output.secret` on the wire."""
    return cast("dict[str, object]", rpc.wrap_rpc_secret(value))


def serialize(provider: ResourceProvider, inputs: Mapping[str, object]) -> struct_pb2.Struct:
    """The inputs plus the pickled provider, serialized as the SDK sends a registration."""
    props: dict[str, object] = {**inputs, PROVIDER_KEY: pickle_provider(provider)}
    return _serialize(props)


def _serialize(props: Mapping[str, object]) -> struct_pb2.Struct:
    loop = asyncio.new_event_loop()
    try:
        return cast(struct_pb2.Struct, loop.run_until_complete(rpc.serialize_properties(dict(props), {})))
    finally:
        loop.close()


def deserialize(struct: struct_pb2.Struct) -> dict[str, Any]:  # pyright: ignore[reportExplicitAny]
    """What the engine would record (the secret wrappers kept, the pickled provider dropped)."""
    props = cast("dict[str, Any]", rpc.deserialize_properties(struct, keep_unknowns=True))  # pyright: ignore[reportExplicitAny]
    props.pop(PROVIDER_KEY, None)
    return props


@dataclass(frozen=True)
class CheckReply:
    inputs: struct_pb2.Struct
    failures: list[tuple[str, str]]


@dataclass(frozen=True)
class DiffReply:
    changes: str  # "none" | "some" | "unknown"
    replaces: list[str]
    delete_before_replace: bool


class DynamicProviderServer:
    """`python -m pulumi.dynamic` in a child process, with a typed client for its gRPC methods.

    `env` is added to the child's environment (the engine passes the provider its own
    environment: tokens and API URLs come from there). The child runs in the repository root,
    as the engine runs it in the project directory, so pickled providers import by reference.
    """

    def __init__(self, env: Mapping[str, str]) -> None:
        self._env: dict[str, str] = {**os.environ, **env}
        self._process: subprocess.Popen[bytes] | None = None
        self._channel: grpc.Channel | None = None
        self._stub: provider_pb2_grpc.ResourceProviderStub | None = None

    def __enter__(self) -> DynamicProviderServer:
        process = subprocess.Popen(
            [sys.executable, "-u", "-m", "pulumi.dynamic"],
            cwd=REPOSITORY_ROOT,
            env=self._env,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        self._process = process
        assert process.stdout is not None
        port = process.stdout.readline().decode().strip()
        if not port.isdigit():
            self.close()
            raise RuntimeError(f"pulumi.dynamic did not print its port (got {port!r})")
        self._channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        grpc.channel_ready_future(self._channel).result(timeout=30)
        self._stub = provider_pb2_grpc.ResourceProviderStub(self._channel)
        _ = self._call("Configure", provider_pb2.ConfigureRequest(args=_serialize({})))
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        if self._channel is not None:
            self._channel.close()
            self._channel = None
        if self._process is not None:
            self._process.kill()
            _ = self._process.wait(timeout=10)
            self._process = None

    def _call(self, method: str, request: object) -> Any:  # pyright: ignore[reportExplicitAny]
        assert self._stub is not None, "use the server as a context manager"
        return getattr(self._stub, method)(request, timeout=60)  # pyright: ignore[reportAny]

    # --- the engine's calls ------------------------------------------------------------------

    def check(self, urn: str, olds: struct_pb2.Struct, news: struct_pb2.Struct) -> CheckReply:
        reply = self._call("Check", provider_pb2.CheckRequest(urn=urn, olds=olds, news=news))
        failures = [(str(f.property), str(f.reason)) for f in reply.failures]  # pyright: ignore[reportAny]
        return CheckReply(cast(struct_pb2.Struct, reply.inputs), failures)

    def diff(self, urn: str, id_: str, olds: struct_pb2.Struct, news: struct_pb2.Struct) -> DiffReply:
        reply = self._call("Diff", provider_pb2.DiffRequest(id=id_, urn=urn, olds=olds, news=news))
        changes = {
            provider_pb2.DiffResponse.DIFF_NONE: "none",
            provider_pb2.DiffResponse.DIFF_SOME: "some",
        }.get(reply.changes, "unknown")  # pyright: ignore[reportAny]
        return DiffReply(changes, list(reply.replaces), bool(reply.deleteBeforeReplace))  # pyright: ignore[reportAny]

    def create(self, urn: str, properties: struct_pb2.Struct) -> tuple[str, struct_pb2.Struct]:
        reply = self._call("Create", provider_pb2.CreateRequest(urn=urn, properties=properties))
        return str(reply.id), cast(struct_pb2.Struct, reply.properties)  # pyright: ignore[reportAny]

    def read(
        self, urn: str, id_: str, properties: struct_pb2.Struct, inputs: struct_pb2.Struct | None = None
    ) -> tuple[str, struct_pb2.Struct, struct_pb2.Struct]:
        request = provider_pb2.ReadRequest(id=id_, urn=urn, properties=properties, inputs=inputs)
        reply = self._call("Read", request)
        return str(reply.id), cast(struct_pb2.Struct, reply.properties), cast(struct_pb2.Struct, reply.inputs)  # pyright: ignore[reportAny]

    def update(
        self, urn: str, id_: str, olds: struct_pb2.Struct, news: struct_pb2.Struct
    ) -> struct_pb2.Struct:
        reply = self._call("Update", provider_pb2.UpdateRequest(id=id_, urn=urn, olds=olds, news=news))
        return cast(struct_pb2.Struct, reply.properties)  # pyright: ignore[reportAny]

    def delete(self, urn: str, id_: str, properties: struct_pb2.Struct) -> None:
        _ = self._call("Delete", provider_pb2.DeleteRequest(id=id_, urn=urn, properties=properties))


def urn(type_: str, name: str, stack: str = "test") -> str:
    return f"urn:pulumi:{stack}::estate::{type_}::{name}"


# --- the contract probe (tests/test_dynamic_provider_server.py) ------------------------------


def _describe(value: object) -> str:
    if isinstance(value, Unknown):
        return "unknown"
    if rpc.is_rpc_secret(value):
        return "secret:" + _describe(rpc.unwrap_rpc_secret(value))
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


class ProbeProvider(ResourceProvider):
    """Answers check and create with the Python type of each input it received."""

    @override
    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:  # pyright: ignore[reportExplicitAny]
        return CheckResult({"seen": {k: _describe(v) for k, v in news.items() if k != PROVIDER_KEY}}, [])

    @override
    def create(self, props: dict[str, Any]) -> CreateResult:  # pyright: ignore[reportExplicitAny]
        seen = {k: _describe(v) for k, v in props.items() if k != PROVIDER_KEY}
        return CreateResult("probe-id", {"seen": seen, "count": 3, "token": secret("kept secret")})
