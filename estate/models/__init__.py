"""Provider models: what each provider returns and stores, as data, one table per provider.

A table is a tuple of :class:`Rule` rows. Each row says one thing a provider
does for one resource type, with a one-line ``source`` (the provider's source
path at the pinned version, or the vendor doc's URL). Adding a type is adding
rows. Row kinds:

``ID``        the ID the provider gives the resource (``value``: template).
``COMPUTED``  an output the provider computes whatever the inputs say.
``DEFAULT``   a value the provider applies when the input leaves ``prop`` out.
``STORED``    what the provider stores for an input after create/read
              (``value``: a function of the input value and all inputs,
              e.g. compact JSON); a stored value that differs from the input
              is a diff on the next ``up``.
``OMITTED``   an input the provider does not keep in its outputs.
``REPLACES``  a property whose change replaces the resource.
``NO_DIFF``   the provider's Diff never reports a change (``prop`` empty).
``PROVIDES``  a fact true once the resource exists (``prop``: fact name,
              ``value``: its key), for the first-``up`` order check.
``REQUIRES``  a fact that must be true before the resource is created.

Values: a literal; a template string (``str.format_map`` over ``inputs``,
``name``, ``stack`` and generated parts ``hex8``/``hex24``/``hex32``, ``uuid``,
``ref20``, ``suffix3``, ``num3`` (a number), ``password`` (``length``
characters); ``id`` once the ID is known: stable per stack, type and resource name); or a function.
``prop`` is a path into the engine's (camelCase) properties: ``httpConfig.port``,
``policies[].resources`` (``[]``: every element).

A type with no row falls back to "outputs are the inputs, the ID is
``<name>-<hex8>``" and is listed in the plan (``unmodelled_types``), so a new type
without a model is visible in every plan summary.

This module holds the row kinds and how rows are read; each provider's table is a
module next to it that imports them, and ``estate/models/registry.py`` gathers the
tables (:func:`estate.models.registry.models`), so no table imports its registry.
"""

from __future__ import annotations

import hashlib
import string
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

ID = "id"
COMPUTED = "computed"
DEFAULT = "default"
STORED = "stored"
OMITTED = "omitted"
REPLACES = "replaces"
NO_DIFF = "no-diff"
PROVIDES = "provides"
REQUIRES = "requires"
KINDS = (ID, COMPUTED, DEFAULT, STORED, OMITTED, REPLACES, NO_DIFF, PROVIDES, REQUIRES)

# A function value: (the input value at ``prop`` or None, all inputs) -> the value.
Transform = Callable[[Any, Mapping[str, Any]], Any]


@dataclass(frozen=True)
class Rule:
    """One thing a provider does for one resource type, and where that is written down."""

    type: str
    kind: str
    prop: str
    value: Any
    source: str

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"rule for {self.type}: kind {self.kind!r} is not one of {KINDS}")
        if not self.source.strip():
            raise ValueError(f"rule for {self.type} {self.kind} {self.prop!r}: every rule needs a source")


@dataclass
class TypeModel:
    """The rules of one type, grouped by kind."""

    type: str
    id: Rule | None = None
    computed: tuple[Rule, ...] = ()
    defaults: tuple[Rule, ...] = ()
    stored: tuple[Rule, ...] = ()
    omitted: frozenset[str] = frozenset()
    replaces: frozenset[str] = frozenset()
    no_diff: Rule | None = None
    provides: tuple[Rule, ...] = ()
    requires: tuple[Rule, ...] = ()


def build(tables: Iterable[Iterable[Rule]]) -> dict[str, TypeModel]:
    """Groups rows by type; a type with two ID rows is an error."""
    models: dict[str, TypeModel] = {}
    for table in tables:
        for rule in table:
            model = models.setdefault(rule.type, TypeModel(rule.type))
            if rule.kind == ID:
                if model.id is not None:
                    raise ValueError(f"{rule.type}: two ID rules")
                model.id = rule
            elif rule.kind == COMPUTED:
                model.computed += (rule,)
            elif rule.kind == DEFAULT:
                model.defaults += (rule,)
            elif rule.kind == STORED:
                model.stored += (rule,)
            elif rule.kind == OMITTED:
                model.omitted |= {rule.prop}
            elif rule.kind == REPLACES:
                model.replaces |= {rule.prop}
            elif rule.kind == NO_DIFF:
                model.no_diff = rule
            elif rule.kind == PROVIDES:
                model.provides += (rule,)
            else:
                model.requires += (rule,)
    return models


# --- values ---------------------------------------------------------------------------------


def digest(stack: str, *parts: str, length: int = 32) -> str:
    """A stable hex string per stack and parts: providers never reuse an ID across stacks."""
    return hashlib.sha256("/".join((stack, *parts)).encode()).hexdigest()[:length]


class _Fields(dict[str, Any]):
    """Template fields: the inputs, the resource name, and stable generated parts."""

    def __init__(self, stack: str, type_: str, name: str, inputs: Mapping[str, Any]) -> None:
        super().__init__(inputs=inputs, name=name, stack=stack)
        self._seed = (stack, type_, name)

    def __missing__(self, key: str) -> str:
        stack, type_, name = self._seed
        if key.startswith("hex") and key[3:].isdigit():
            length = int(key[3:])
            return "".join(digest(stack, type_, name, key, str(i)) for i in range(length // 32 + 1))[:length]
        if key == "uuid":
            h = digest(stack, type_, name, "uuid")
            return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"
        if key.startswith(("ref", "suffix")):
            length = int(key.removeprefix("ref").removeprefix("suffix"))
            h = digest(stack, type_, name, key, length=length * 2)
            alphabet = (
                string.ascii_lowercase if key.startswith("ref") else string.ascii_lowercase + string.digits
            )
            return "".join(alphabet[int(h[i : i + 2], 16) % len(alphabet)] for i in range(0, length * 2, 2))
        if key == "password":  # letters and digits, as long as the inputs ask
            length = int(self["inputs"].get("length") or 0)
            return "".join(
                digest(stack, type_, name, "password", str(i), length=64) for i in range(length // 64 + 1)
            )[:length]
        if key.startswith("num") and key[3:].isdigit():
            return str(1 + int(digest(stack, type_, name, "number"), 16) % 10 ** int(key[3:]))
        raise KeyError(key)


def evaluate(value: Any, fields: _Fields, current: Any = None) -> Any:
    """A rule's value for one resource: literal, template or function."""
    if callable(value):
        return value(current, fields["inputs"])
    if isinstance(value, str) and "{" in value:
        text = value.format_map(fields)
        # A lone number field is a number, as the provider returns it.
        return (
            int(text) if value.startswith("{num") and value.endswith("}") and value.count("{") == 1 else text
        )
    return value


def fields(stack: str, type_: str, name: str, inputs: Mapping[str, Any]) -> _Fields:
    return _Fields(stack, type_, name, inputs)


# --- property paths -------------------------------------------------------------------------


def get_path(value: Any, path: str) -> list[tuple[str, Any]]:
    """Every (concrete path, value) that ``path`` names in ``value``; missing parts name nothing."""
    found: list[tuple[str, Any]] = [("", value)]
    for part in path.split("."):
        each = part.endswith("[]")
        key = part.removesuffix("[]")
        step: list[tuple[str, Any]] = []
        for where, current in found:
            if not isinstance(current, Mapping) or key not in current:
                continue
            child = current[key]
            here = f"{where}.{key}" if where else key
            if each:
                if isinstance(child, list):
                    step.extend((f"{here}[{i}]", item) for i, item in enumerate(child))
            else:
                step.append((here, child))
        found = step
    return found


def set_path(value: dict[str, Any], path: str, new: Callable[[Any], Any], *, mode: str) -> None:
    """Sets ``path`` in ``value`` in place (copying the containers it changes).

    ``new`` gets the current value. ``mode``: ``"default"`` sets only where the
    last key is absent or null; ``"transform"`` changes only values that are
    there. Parents are never created: a default inside an object that the inputs
    leave out is not applied (nested defaults apply to a present object).
    """
    parts = path.split(".")

    def apply(current: Any, present: bool) -> tuple[bool, Any]:
        if mode == "default":
            return (True, new(None)) if not present or current is None else (False, current)
        return (True, new(current)) if present else (False, current)

    def walk(node: Any, index: int) -> Any:
        if not isinstance(node, Mapping):
            return node
        part = parts[index]
        each = part.endswith("[]")
        key = part.removesuffix("[]")
        copied = dict(node)
        last = index == len(parts) - 1
        if each:
            items = copied.get(key)
            if isinstance(items, list):
                copied[key] = [apply(item, True)[1] if last else walk(item, index + 1) for item in items]
            return copied
        if last:
            changed, result = apply(copied.get(key), key in copied)
            if changed:
                copied[key] = result
            return copied
        if isinstance(copied.get(key), Mapping):
            copied[key] = walk(copied[key], index + 1)
        return copied

    value.update(walk(value, 0))
