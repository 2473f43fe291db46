"""``python -m estate import-file --stack NAME [--output FILE]``: input for ``pulumi import --file``.

Covers the whole estate as the stack's offline plan declares it: every
component (``"component": true``, so imported resources get the same parents,
and so the same URNs, as the program gives them) and every custom resource
with its provider's import ID (see ``stacks.adoption.IMPORT_FORMATS``). An ID
comes from ``estate:imports`` where the stack config gives one; otherwise it is
built from the declared inputs, with ``<placeholders>`` naming what to look up
in the provider's dashboard or API. Resources that cannot (or must not) be
imported are left out and listed on stderr with the reason; the next
``pulumi up`` creates them. Providers are referenced through ``nameTable``
(their URNs), so they must exist in the stack's state first.

The simpler path is usually ``estate:imports`` (the program adopts on ``up``);
see docs/operations.md.
"""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from estate.plan_document import PlanIndex
from policies.resource_types import VERCEL_ALERT_RULE, VERCEL_PROJECT, VERCEL_WEBHOOK
from stacks.adoption import ImportFormat, import_format

Plan = dict[str, Any]
Resource = dict[str, Any]

PROVIDER_PREFIX = "pulumi:providers:"
STACK_TYPE = "pulumi:pulumi:Stack"
# Inputs that carry another resource's ID, and that resource's type.
REFERENCE_TYPES: Mapping[str, str] = {
    "projectId": VERCEL_PROJECT,
    "alertRuleId": VERCEL_ALERT_RULE,
    "webhookId": VERCEL_WEBHOOK,
}

_FIELD = re.compile(r"\{(@?)([A-Za-z0-9_.]+)(\|colon)?\}")


class UnknownTypeError(Exception):
    """The plan has a custom resource type that ``IMPORT_FORMATS`` does not describe."""


@dataclass(frozen=True)
class Skipped:
    """A resource left out of the import file, and why."""

    name: str
    type: str
    reason: str


def _input(inputs: Mapping[str, Any], dotted: str) -> Any:
    value: Any = inputs
    for part in dotted.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None  # pyright: ignore[reportUnknownMemberType]
    return value


def _text(value: Any) -> str:
    if isinstance(value, list):
        return ",".join(str(v) for v in value)  # pyright: ignore[reportUnknownVariableType]
    return "" if value is None else str(value)


def render_id(template: str, resource: Resource, by_urn: Mapping[str, Resource]) -> str:
    """The import ID for ``resource`` from ``template`` (see ``ImportFormat``)."""
    inputs: Mapping[str, Any] = resource.get("inputs") or {}

    def field(match: re.Match[str]) -> str:
        reference, path, colon = match.group(1), match.group(2), match.group(3)
        if reference:
            return _referenced_id(resource, path, by_urn)
        value = _text(_input(inputs, path))
        return value.replace(":", "??") if colon else value

    return _FIELD.sub(field, template)


def _referenced_id(resource: Resource, input_name: str, by_urn: Mapping[str, Resource]) -> str:
    """The ID of the resource that feeds ``input_name``: its known import ID, else a placeholder."""
    wanted = REFERENCE_TYPES[input_name]
    for urn in resource["options"].get("depends_on") or []:
        source = by_urn.get(urn)
        if source is not None and source["type"] == wanted:
            known = source["options"].get("import_id")
            if known:
                return str(known).rsplit("/", 1)[-1]  # team_…/prj_… → prj_…
            return f"<ID of the {wanted.rsplit(':', 1)[-1]} {source['name']}>"
    return f"<ID of the resource behind {input_name}>"


def import_document(plan: Plan, *, strict: bool = True) -> tuple[dict[str, Any], list[Skipped]]:
    """The ``pulumi import --file`` document for a plan, and what it leaves out.

    A custom resource type without a known format raises :class:`UnknownTypeError`
    when ``strict``; otherwise its ID is a placeholder pointing at its SDK's docs.
    """
    index = PlanIndex(plan)
    providers = {r["urn"]: r for r in plan["resources"] if r["type"].startswith(PROVIDER_PREFIX)}
    name_table: dict[str, str] = {}
    entries: list[dict[str, Any]] = []
    skipped: list[Skipped] = []
    unknown: set[str] = set()

    for resource in plan["resources"]:
        kind = resource["type"]
        if kind.startswith(PROVIDER_PREFIX) or kind == STACK_TYPE:
            continue
        entry: dict[str, Any] = {"type": kind, "name": resource["name"]}
        parent = index.parent(resource)
        if parent is not None and parent["type"] != STACK_TYPE:
            entry["parent"] = parent["name"]
        if not resource.get("custom"):
            entries.append({**entry, "component": True})
            continue
        if resource.get("read"):
            # The engine reads it on every run (pulumi/pulumi builtins.go: "stack reference can not be imported").
            skipped.append(
                Skipped(resource["name"], kind, "a read: the engine reads it on every run, nothing to import")
            )
            continue
        known = import_format(kind)
        if known is None:
            unknown.add(kind)
            known = ImportFormat(
                f"<ID of {resource['name']}, see the Import section of {kind} in its SDK>", None
            )
        if known.template is None or not known.in_file:
            skipped.append(Skipped(resource["name"], kind, known.note))
            continue
        entry["id"] = resource["options"].get("import_id") or render_id(
            known.template, resource, index.by_urn
        )
        provider_ref = resource.get("provider")
        if provider_ref:
            provider = providers.get(str(provider_ref).rsplit("::", 1)[0])
            if provider is not None:
                name_table[provider["name"]] = provider["urn"]
                entry["provider"] = provider["name"]
        entries.append(entry)

    if unknown and strict:
        raise UnknownTypeError(
            f"no import format for {sorted(unknown)}: describe each in stacks.adoption.IMPORT_FORMATS "
            "from the `## Import` section of its SDK module"
        )
    return {"nameTable": dict(sorted(name_table.items())), "resources": entries}, skipped


def placeholders(document: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The entries whose ID still has something to look up."""
    return [entry for entry in document["resources"] if "<" in str(entry.get("id", ""))]


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "import-file",
        help="write the pulumi import --file input for a stack, with each provider's ID format",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--stack", required=True, help="stack name; reads Pulumi.<stack>.yaml")
    parser.add_argument("--output", type=Path, help="write the file here (default: stdout)")
    parser.add_argument(
        "--format",
        choices=("json",),
        default="json",
        help="json, the only format `pulumi import --file` reads",
    )
    parser.add_argument("--quiet", action="store_true", help="no summary on stderr")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from estate.output import plan_stacks, print_import_summary, write_text

    plans = plan_stacks([args.stack], quiet=args.quiet)
    if plans is None:
        return 2
    document, skipped = import_document(plans[0].to_json(), strict=False)
    text = json.dumps(document, indent=2) + "\n"
    if args.output is not None:
        args.output.write_text(text)
    else:
        write_text(text)
    if not args.quiet:
        print_import_summary(
            args.stack, document, placeholders(document), [asdict(item) for item in skipped], args.output
        )
    return 0
