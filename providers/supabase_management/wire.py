"""Values as the Pulumi engine hands them to a dynamic provider.

The dynamic-provider server (``pulumi/dynamic/__main__.py``) decodes every request with
``rpc.deserialize_properties``: numbers arrive as floats (protobuf ``Struct`` has only doubles),
values not known yet arrive as ``pulumi.output.Unknown`` objects (check and diff keep them), and
secrets arrive wrapped as ``{"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
"value": ...}``. In-process calls (tests, ``pulumi.runtime`` mocks) see Python ints, ``Output``s
and the string sentinel ``rpc.UNKNOWN`` instead. Every provider reads its inputs through these
helpers so both paths mean the same thing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import cast

import pulumi
from pulumi.output import Unknown
from pulumi.runtime.rpc import UNKNOWN, is_rpc_secret, unwrap_rpc_secret, wrap_rpc_secret


def is_unknown(value: object) -> bool:
    """True for a value the engine does not know yet, in any of its three shapes."""
    return isinstance(value, (pulumi.Output, Unknown)) or (isinstance(value, str) and value == UNKNOWN)


def is_secret(value: object) -> bool:
    """True for a value the engine marked secret."""
    return bool(is_rpc_secret(value))


def reveal(value: object) -> object:
    """The value without the engine's secret wrappers, at any depth."""
    value = cast(object, unwrap_rpc_secret(value)) if is_rpc_secret(value) else value
    if isinstance(value, Mapping):
        return {str(k): reveal(v) for k, v in cast("Mapping[object, object]", value).items()}
    if isinstance(value, (list, tuple)):
        return [reveal(item) for item in cast("list[object]", value)]
    return value


def as_secret(value: object) -> object:
    """Wraps a plain value so the engine stores it encrypted (outputs the server serializes)."""
    return value if is_rpc_secret(value) else cast(object, wrap_rpc_secret(value))


def whole_number(value: object) -> int | None:
    """An int, or a float holding a whole number (how the engine sends ints); else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None
