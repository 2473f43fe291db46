"""Schema check: every registered resource's inputs against its provider's published schema.

The schemas are the compact extracts in ``estate/schemas/`` (one per provider, at
the pinned version; ``python -m estate.schemas.extract`` regenerates them). For
each custom resource of a provider package: the type token exists; every input
property is one the type takes (recursively, through object types and lists);
every required input is given; values have the schema's type (numbers arrive as
floats, as the engine sends them); values are among the allowed ones where the
schema lists them (enums, "Available values: ..."); no deprecated property is
set; and every ``ignore_changes`` entry names an input property.

Values shown as ``"[secret]"`` are not judged (the plan cannot see them), and
dynamic resources have no schema: their provider's own ``check`` judges them
(tests drive it through Pulumi's dynamic-provider server).

The engine's own types (``pulumi:pulumi:StackReference``: ``estate/models/pulumi.py``)
have no provider schema either; the engine's built-in provider checks them,
and so does :func:`check_engine_resource`, with the same rules.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from estate.sdk_internals import DYNAMIC_PROVIDER_KEY
from policies.resource_types import STACK_REFERENCE

SCHEMA_DIR = Path(__file__).resolve().parent / "schemas"
SECRET = "[secret]"
_PATH_PART = re.compile(r"\[[^\]]*\]|\.")


@dataclass(frozen=True)
class SchemaViolation:
    """One input that the provider's schema refuses."""

    urn: str
    type: str
    property: str
    problem: str
    allowed: tuple[str, ...] = ()

    def __str__(self) -> str:
        allowed = f"; allowed: {', '.join(self.allowed)}" if self.allowed else ""
        where = f" `{self.property}`" if self.property else ""
        return f"{self.urn}:{where} {self.problem}{allowed}"

    def to_json(self) -> dict[str, Any]:
        return {
            "urn": self.urn,
            "type": self.type,
            "property": self.property,
            "problem": self.problem,
            "allowed": list(self.allowed),
        }


@cache
def extracts() -> dict[str, dict[str, Any]]:
    """Package name → its schema extract."""
    found: dict[str, dict[str, Any]] = {}
    for path in sorted(SCHEMA_DIR.glob("*.json")):
        document = json.loads(path.read_text())
        found[str(document["package"])] = document
    return found


def _type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, Mapping):
        return "object"
    return type(value).__name__


def _matches(kind: str, value: Any) -> bool:
    if kind == "string":
        return isinstance(value, str)
    if kind == "integer":  # the engine sends every number as a float
        return isinstance(value, int | float) and not isinstance(value, bool) and float(value).is_integer()
    if kind == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "array":
        return isinstance(value, list)
    if kind == "object":
        return isinstance(value, Mapping)
    return True


class _Checker:
    def __init__(self, urn: str, type_: str, extract: Mapping[str, Any]) -> None:
        self.urn = urn
        self.type = type_
        self.types: Mapping[str, Any] = extract.get("types") or {}
        self.found: list[SchemaViolation] = []

    def report(self, path: str, problem: str, allowed: Sequence[str] = ()) -> None:
        self.found.append(SchemaViolation(self.urn, self.type, path, problem, tuple(allowed)))

    def properties(
        self, path: str, value: Mapping[str, Any], props: Mapping[str, Any], required: Sequence[str]
    ) -> None:
        for key, item in value.items():
            where = f"{path}.{key}" if path else key
            spec = props.get(key)
            if spec is None:
                close = difflib.get_close_matches(key, list(props), n=3)
                hint = f" (did you mean {', '.join(close)}?)" if close else ""
                self.report(where, f"is not a property of {self._owner(path)}{hint}", sorted(props))
                continue
            self.value(where, item, spec)
        for key in required:
            if value.get(key) is None:
                self.report(
                    f"{path}.{key}" if path else key, f"is required by {self._owner(path)} and not given"
                )

    def _owner(self, path: str) -> str:
        return self.type if not path else f"{self.type} `{path}`"

    def value(self, path: str, value: Any, spec: Mapping[str, Any]) -> None:
        if value is None or value == SECRET:
            return
        if spec.get("deprecated"):
            self.report(path, f"is deprecated: {spec['deprecated']}")
        kind = str(spec.get("type") or "any")
        if not _matches(kind, value):
            self.report(path, f"is a {_type_name(value)} ({json.dumps(value)[:60]}); the schema wants {kind}")
            return
        enum = spec.get("enum")
        if enum and value not in enum:
            self.report(path, f"= {json.dumps(value)} is not an allowed value", [json.dumps(v) for v in enum])
        if kind == "array" and "items" in spec:
            for index, item in enumerate(value):
                self.value(f"{path}[{index}]", item, spec["items"])
        elif kind == "object" and "values" in spec:
            for key, item in value.items():
                self.value(f"{path}[{json.dumps(key)}]", item, spec["values"])
        elif kind == "object" and spec.get("ref") in self.types:
            target = self.types[spec["ref"]]
            self.properties(path, value, target.get("properties") or {}, target.get("required") or [])

    def ignore_changes(self, entries: Sequence[str], inputs: Mapping[str, Any]) -> None:
        for entry in entries:
            parts = [p for p in _PATH_PART.split(entry) if p]
            props: Mapping[str, Any] = inputs
            for depth, part in enumerate(parts):
                if part == "*":
                    break
                spec = props.get(part)
                if spec is None:
                    close = difflib.get_close_matches(part, list(props), n=3)
                    hint = f" (did you mean {', '.join(close)}?)" if close else ""
                    self.report(
                        f"ignore_changes[{entry!r}]",
                        f"names no property of {self.type}{hint}: it guards nothing",
                        sorted(props) if depth == 0 else (),
                    )
                    break
                while spec.get("type") == "array" and "items" in spec:
                    spec = spec["items"]
                target = self.types.get(str(spec.get("ref") or ""))
                if target is None:
                    break
                props = target.get("properties") or {}


def check_engine_resource(resource: Mapping[str, Any]) -> list[SchemaViolation]:
    """What the engine's built-in provider refuses in a resource of its own (pulumi/pulumi builtins.go Check/Read).

    A stack reference takes exactly one input, ``name``, a string naming a stack
    as this project's self-managed backend parses it (``organization/<project>/<stack>``).
    """
    from estate.models.pulumi import StackReferenceError, parse_reference

    checker = _Checker(str(resource["urn"]), str(resource["type"]), {})
    if resource["type"] != STACK_REFERENCE:
        return checker.found
    inputs = {k: v for k, v in (resource.get("inputs") or {}).items() if k != DYNAMIC_PROVIDER_KEY}
    for key in sorted(set(inputs) - {"name"}):
        checker.report(key, f'unknown property "{key}": a stack reference takes only `name`', ["name"])
    name = inputs.get("name")
    if name is None:
        checker.report("name", 'missing required property "name"')
    elif not isinstance(name, str):
        checker.report("name", 'property "name" must be a string')
    else:
        urn = str(resource["urn"])
        urn_project = urn.split("::")[1] if urn.count("::") >= 2 else ""
        try:
            parse_reference(name, urn_project)
        except StackReferenceError as error:
            checker.report("name", str(error))
    return checker.found


def check_resource(resource: Mapping[str, Any]) -> list[SchemaViolation]:
    """The schema violations of one plan resource (none for types without a schema)."""
    from estate.models.pulumi import ENGINE_TYPES

    type_ = str(resource["type"])
    if type_ in ENGINE_TYPES:
        return check_engine_resource(resource)
    package = type_.split(":", 1)[0]
    extract = extracts().get(package)
    if extract is None or not resource.get("custom", True) or type_.startswith("pulumi:providers:"):
        return []
    checker = _Checker(str(resource["urn"]), type_, extract)
    spec = (extract.get("resources") or {}).get(type_)
    if spec is None:
        if type_ not in (extract.get("tokens") or []):
            close = difflib.get_close_matches(type_, extract.get("tokens") or [], n=3)
            checker.report("", f"type {type_} does not exist in {package} {extract.get('version')}", close)
        else:
            checker.report(
                "", f"type {type_} has no schema extract; regenerate: python -m estate.schemas.extract"
            )
        return checker.found
    if spec.get("deprecated"):
        checker.report("", f"type {type_} is deprecated: {spec['deprecated']}")
    inputs = {k: v for k, v in (resource.get("inputs") or {}).items() if k != DYNAMIC_PROVIDER_KEY}
    checker.properties("", inputs, spec.get("inputs") or {}, spec.get("required") or [])
    checker.ignore_changes(
        list((resource.get("options") or {}).get("ignore_changes") or []), spec.get("inputs") or {}
    )
    return checker.found


def check_plan(plan: Mapping[str, Any]) -> tuple[list[SchemaViolation], int]:
    """Every schema violation in the plan, and how many resources had a schema to check against."""
    from estate.models.pulumi import ENGINE_TYPES

    violations: list[SchemaViolation] = []
    checked = 0
    for resource in plan["resources"]:
        type_ = str(resource["type"])
        if (
            resource.get("custom")
            and type_.split(":", 1)[0] in extracts()
            and not type_.startswith("pulumi:providers:")
        ) or type_ in ENGINE_TYPES:
            checked += 1
        violations.extend(check_resource(resource))
    return violations, checked
