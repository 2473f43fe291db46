"""Reading resources as the engine hands them to a policy: type token, camelCase props, options.

Props arrive wrapped by pulumi_policy: mappings and sequences are proxies (not
``dict``/``list``) that raise ``UnknownValueError`` on a value not known during
preview. The helpers here turn "unknown" and "absent" into values a rule can
branch on, so one unknown field never stops a whole rule.

Secrets differ between the two worlds the rules run in. In ``pulumi preview
--policy-pack``, the SDK unwraps secret values (``deserialize_properties``
without ``proxy_secrets``), so a rule sees the plaintext and cannot tell it was
secret, except through ``opts.additional_secret_outputs``. Offline, the plan
replaces every secret value with ``"[secret]"``. Rules therefore judge by names,
flags and value *shapes* (what both worlds see alike), and treat ``"[secret]"``
as "not visible" (:func:`visible_text`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Final

from pulumi_policy.proxy import UnknownValueError

# What the offline plan shows in place of a secret value.
OFFLINE_SECRET: Final = "[secret]"


class _Unknown:
    """A value the engine does not know yet (preview of a resource not yet created)."""

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Final = _Unknown()


def is_sequence(value: Any) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, str | bytes)


def field(props: Any, *path: str | int) -> Any:
    """``props[path[0]][path[1]]…``; None when absent, :data:`UNKNOWN` when not known yet."""
    current: Any = props
    try:
        for key in path:
            if isinstance(key, int):
                if not is_sequence(current) or not -len(current) <= key < len(current):
                    return None
            elif not isinstance(current, Mapping) or key not in current:
                return None
            current = current[key]
    except UnknownValueError:
        return UNKNOWN
    return current


def text(props: Any, *path: str | int) -> str | None:
    """A known string field, else None."""
    value = field(props, *path)
    return value if isinstance(value, str) else None


def visible_text(props: Any, *path: str | int) -> str | None:
    """A known string field that is not hidden as ``"[secret]"``, else None."""
    value = text(props, *path)
    return None if value == OFFLINE_SECRET else value


def flag(props: Any, *path: str | int) -> bool | _Unknown | None:
    """A boolean field: True/False, None when absent, :data:`UNKNOWN` when not known yet."""
    value = field(props, *path)
    if value is UNKNOWN or isinstance(value, bool):
        return value
    return None


def number(props: Any, *path: str | int) -> float | _Unknown | None:
    """A numeric field (the engine sends every number as a float)."""
    value = field(props, *path)
    if value is UNKNOWN:
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None


def items(props: Any, *path: str | int) -> Iterator[Any]:
    """The known elements of a sequence field (unknown elements are skipped)."""
    sequence = field(props, *path)
    if sequence is UNKNOWN or not is_sequence(sequence):
        return
    for index in range(len(sequence)):
        try:
            yield sequence[index]
        except UnknownValueError:
            continue


def is_secret_prop(props: Any, additional_secret_outputs: Sequence[str], name: str) -> bool:
    """Whether the property ``name`` is a Pulumi secret, in either world.

    Online the value arrives unwrapped, but the resource's registration lists it
    in ``additionalSecretOutputs`` (every SDK we use marks its secret inputs so);
    offline the plan shows ``"[secret]"``.
    """
    return name in additional_secret_outputs or field(props, name) == OFFLINE_SECRET


def stack_of(urn: str) -> str:
    """``urn:pulumi:<stack>::<project>::<type>::<name>`` → ``<stack>``."""
    head = urn.split("::", 1)[0]
    return head.split(":", 2)[2] if head.count(":") >= 2 else ""


def violation(problem: str, fix: str) -> str:
    """A violation message: what is wrong, then how to fix it (the runner splits on ``\\nfix: ``)."""
    return f"{problem}\nfix: {fix}"


FIX_MARKER: Final = "\nfix: "


def host_of(uri: str) -> str:
    """``https://a.example.com:443/path`` or ``a.example.com/path`` → ``a.example.com``."""
    rest = uri.split("://", 1)[-1]
    host = rest.split("/", 1)[0].split("?", 1)[0]
    if host.count(":") == 1:
        host = host.split(":", 1)[0]
    return host.strip().rstrip(".").lower()


def path_of(uri: str) -> str:
    """The path part of a destination such as ``a.example.com/.well-known/*`` (empty for none)."""
    rest = uri.split("://", 1)[-1]
    return "/" + rest.split("/", 1)[1] if "/" in rest else ""


def host_pattern_covers(pattern: str, host: str) -> bool:
    """Whether an Access hostname pattern covers ``host`` (which may itself be ``*.x``).

    ``*.x.pages.dev`` covers ``a.x.pages.dev`` and ``*.x.pages.dev`` but not ``x.pages.dev``.
    """
    pattern, host = pattern.lower(), host.lower()
    if pattern == host:
        return True
    if pattern.startswith("*."):
        suffix = pattern[1:]
        return host.endswith(suffix) and len(host) > len(suffix)
    return False
