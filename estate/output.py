"""Terminal output for people (rich): plan trees, error lists, summaries.

Machines get ``--format json`` from each command instead; nothing here is parsed.
"""

from __future__ import annotations

import sys
from collections import Counter, defaultdict
from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import Any

from rich.console import Console
from rich.tree import Tree

APPLICATION_TYPE = "estate:app:Application"


def console(*, stderr: bool = False) -> Console:
    """A console that, when piped, keeps whole lines instead of cutting at 80 columns."""
    probe = Console(stderr=stderr)
    width = None if probe.is_terminal else 240
    return Console(stderr=stderr, highlight=False, width=width)


def print_error_list(title: str, problems: list[str]) -> None:
    """Errors go to stderr, all at once, each on its own line."""
    err = console(stderr=True)
    err.print(f"[bold red]error:[/] {title}")
    for problem in problems:
        err.print(f"  [red]-[/] {_escape(problem)}")


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


def short_type(type_token: str) -> str:
    """``cloudflare:index/dnsRecord:DnsRecord`` → ``cloudflare:DnsRecord``."""
    parts = type_token.split(":")
    return f"{parts[0]}:{parts[-1]}" if len(parts) == 3 else type_token


def app_of(resource: dict[str, Any], by_urn: dict[str, dict[str, Any]]) -> str | None:
    """The name of the Application a resource belongs to, if any."""
    current: dict[str, Any] | None = resource
    while current is not None:
        if current["type"] == APPLICATION_TYPE:
            return str(current["name"])
        parent = current.get("parent")
        current = by_urn.get(parent) if parent else None
    return None


def plan_summary(plan: dict[str, Any]) -> str:
    resources = plan["resources"]
    custom = [r for r in resources if r.get("custom")]
    apps = [r for r in resources if r["type"] == APPLICATION_TYPE]
    protected = sum(1 for r in resources if r["options"]["protect"])
    providers = Counter(
        r["type"].split(":")[0] for r in custom if not r["type"].startswith("pulumi:providers:")
    )
    spread = ", ".join(f"{name} {count}" for name, count in sorted(providers.items()))
    return f"{plan['stack']}: {len(custom)} resources in {len(apps)} apps ({spread}); {protected} protected"


def print_plan_tree(plan: dict[str, Any]) -> None:
    """The plan as a tree: apps, their components, their resources; then a summary line."""
    out = console()
    resources = plan["resources"]
    by_urn = {r["urn"]: r for r in resources}
    children: dict[str | None, list[dict[str, Any]]] = defaultdict(list)
    for resource in resources:
        parent = resource.get("parent")
        children[parent if parent in by_urn else None].append(resource)

    root = Tree(f"[bold]{plan['project']}[/] / [bold cyan]{plan['stack']}[/]")

    def label(resource: dict[str, Any]) -> str:
        options = resource["options"]
        flags = " [yellow](protected)[/]" if options["protect"] else ""
        flags += " [magenta](import)[/]" if options["import_id"] else ""
        detail = _detail(resource)
        return f"[green]{short_type(resource['type'])}[/] {_escape(resource['name'])}{flags}" + (
            f" [dim]{_escape(detail)}[/]" if detail else ""
        )

    def add(node: Tree, resource: dict[str, Any]) -> None:
        branch = node.add(label(resource))
        for child in children.get(resource["urn"], []):
            add(branch, child)

    shared = root.add("[bold]shared[/] [dim](providers, account-wide policies)[/]")
    for resource in children[None]:
        if resource["type"] == APPLICATION_TYPE:
            continue
        add(shared, resource)
    for resource in children[None]:
        if resource["type"] == APPLICATION_TYPE:
            add(root, resource)
    out.print(root)
    out.print(f"[bold]{plan_summary(plan)}[/]")


def _detail(resource: dict[str, Any]) -> str:
    """The one input that says most about a resource, for the tree."""
    inputs = resource.get("inputs") or {}
    type_token = resource["type"]
    if type_token.endswith(":DnsRecord"):
        proxied = "proxied" if inputs.get("proxied") else "dns only"
        return f"{inputs.get('name')} {inputs.get('type')} → {inputs.get('content')} ({proxied})"
    if type_token.endswith(":ZeroTrustAccessApplication"):
        return ", ".join(d.get("uri", "") for d in inputs.get("destinations", []))
    if type_token.endswith(":ProjectEnvironmentVariable"):
        sensitive = "sensitive" if inputs.get("sensitive") else "plain"
        return f"{inputs.get('key')} → {','.join(inputs.get('targets', []))} ({sensitive})"
    if type_token.endswith(":BranchProtection"):
        return f"{inputs.get('pattern')}"
    for key in ("domain", "hostname", "name", "secretName", "variableName", "file"):
        if isinstance(inputs.get(key), str):
            return str(inputs[key])
    return ""


def write_json(document: Any) -> None:
    import json

    sys.stdout.write(json.dumps(document, indent=2) + "\n")


# Helpers for the operator commands.


def progress(message: str, *, quiet: bool = False) -> AbstractContextManager[object]:
    """A spinner on stderr while something slow (a plan) runs; nothing when quiet or piped."""
    from contextlib import nullcontext

    err = console(stderr=True)
    if quiet or not err.is_terminal:
        return nullcontext()
    return err.status(f"[bold]{_escape(message)}[/]", spinner="dots")


def plan_stacks(stacks: Sequence[str], *, quiet: bool = False) -> list[dict[str, Any]] | None:
    """Plans each stack offline under a spinner, in order.

    On bad config or a missing stack file, prints every problem (stderr) and
    returns None; the caller exits with status 2.
    """
    from estate.plan import StackFileError, run_plan
    from stacks.settings import SettingsError

    plans: list[dict[str, Any]] = []
    for stack in stacks:
        try:
            with progress(f"planning {stack} offline…", quiet=quiet):
                plans.append(run_plan(stack))
        except SettingsError as error:
            print_error_list(
                f"stack {error.stack!r}: {len(error.problems)} config problem(s)",
                [str(problem) for problem in error.problems],
            )
            return None
        except StackFileError as error:
            print_error_list(f"cannot plan {stack!r}", list(error.problems))
            return None
    return plans
