"""Pulumi mocks at the provider boundary: each registration answered as its provider would.

The answers come from the provider models (``estate/models/``: one table of
rules per provider, each with its source): the ID format, computed outputs,
defaults the provider applies, and what it stores for the inputs it was sent.
Generated values derive from the stack, type and resource name, so plans are
reproducible run to run. A type without a model falls back to "outputs are the
inputs" and is listed (:attr:`ProviderMocks.unmodelled`).
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi

from estate.models import TypeModel, evaluate, fields, get_path, set_path
from estate.models.registry import models
from estate.sdk_internals import is_secret, secret
from policies.resource_types import PERMISSION_GROUPS_LIST

# Cloudflare account permission groups that token lookups may ask for.
CLOUDFLARE_PERMISSION_GROUPS = (
    "Pages Write",
    "Pages Read",
    "Workers Scripts Write",
    "Workers Scripts Read",
    "Workers Routes Write",
    "Account Settings Read",
)


def _digest(*parts: str, length: int = 32) -> str:
    """A stable hex string per stack and parts: providers never reuse an ID across stacks."""
    return hashlib.sha256("/".join((pulumi.get_stack(), *parts)).encode()).hexdigest()[:length]


def _unwrap(value: Any) -> tuple[Any, bool]:
    """The value with every secret marker removed, and whether it held a secret."""
    if is_secret(value):
        return _unwrap(value["value"])[0], True
    if isinstance(value, Mapping):
        pairs = {k: _unwrap(v) for k, v in value.items()}
        return {k: v for k, (v, _) in pairs.items()}, any(s for _, s in pairs.values())
    if isinstance(value, list):
        items = [_unwrap(v) for v in value]
        return [v for v, _ in items], any(s for _, s in items)
    return value, False


@dataclass(frozen=True)
class Simulated:
    """What the provider answers for one create: the ID, the full state, and the keys it set or changed."""

    id: str
    state: dict[str, Any]
    changed: tuple[str, ...]
    # Paths of inputs the provider stores differently from what it was sent (or not at all):
    # each is a diff on the next `up` unless the provider's Diff hides it.
    stored_differently: tuple[str, ...] = ()


def simulate(model: TypeModel, stack: str, name: str, inputs: Mapping[str, Any]) -> Simulated:
    """Applies a type's rules to the inputs as the engine sent them (secrets stay secret, per property)."""
    plain: dict[str, Any] = {}
    secret_keys: set[str] = set()
    for key, value in inputs.items():
        plain[key], was_secret = _unwrap(value)
        if was_secret:
            secret_keys.add(key)
    state = dict(plain)
    for rule in model.defaults:
        f = fields(stack, model.type, name, state)
        set_path(state, rule.prop, lambda current, r=rule, f=f: evaluate(r.value, f, current), mode="default")
    stored_differently: list[str] = []
    for rule in model.stored:
        set_path(state, rule.prop, lambda current, r=rule: r.value(current, plain), mode="transform")
        sent = dict(get_path(plain, rule.prop))
        stored_differently += [
            path for path, value in get_path(state, rule.prop) if path in sent and sent[path] != value
        ]
    for prop in model.omitted:
        if prop in state:
            stored_differently.append(prop)
            del state[prop]
    late = []
    for rule in model.computed:
        if isinstance(rule.value, str) and "{id}" in rule.value:
            late.append(rule)
        else:
            state[rule.prop] = evaluate(rule.value, fields(stack, model.type, name, state))
    f = fields(stack, model.type, name, state)
    resource_id = str(evaluate(model.id.value, f)) if model.id else f"{name}-{f['hex8']}"
    f["id"] = resource_id
    for rule in late:
        state[rule.prop] = evaluate(rule.value, f)
    changed = tuple(sorted(key for key in state if key not in plain or state[key] != plain[key]))
    wrapped = {key: secret(value) if key in secret_keys else value for key, value in state.items()}
    return Simulated(resource_id, wrapped, changed, tuple(sorted(stored_differently)))


class ProviderMocks(pulumi.runtime.Mocks):
    """Answers resource registrations and invokes as the real providers would (see ``estate/models``)."""

    def __init__(self) -> None:
        self.unmodelled: set[str] = set()
        # Registrations run on executor threads: each keeps its own last answer.
        self._local = threading.local()

    @property
    def last_stored_differently(self) -> tuple[str, ...]:
        """What the last answer on this thread stored differently from its inputs (see :class:`Simulated`)."""
        return getattr(self._local, "stored_differently", ())

    def answer(self, args: pulumi.runtime.MockResourceArgs) -> Simulated:
        """The provider's answer to one create, with the keys it set or changed."""
        model = models().get(args.typ)
        if model is None:
            # Components are not the providers' business, and the engine gives provider resources their IDs.
            if args.custom and not args.typ.startswith("pulumi:providers:"):
                self.unmodelled.add(args.typ)
            model = TypeModel(args.typ)
        return simulate(model, pulumi.get_stack(), args.name, args.inputs)

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        answer = self.answer(args)
        self._local.stored_differently = answer.stored_differently
        return answer.id, answer.state

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        if args.token == PERMISSION_GROUPS_LIST:
            # terraform-provider-cloudflare v5.19.1 account_api_token_permission_groups list data source:
            # each group has a 32-hex id, a name and its scopes.
            return {
                "accountId": args.args.get("accountId"),
                "results": [
                    {
                        "id": _digest("permission-group", name),
                        "name": name,
                        "scopes": ["com.cloudflare.api.account"],
                    }
                    for name in CLOUDFLARE_PERMISSION_GROUPS
                ],
            }, []
        raise NotImplementedError(f"no mock for invoke {args.token}")
