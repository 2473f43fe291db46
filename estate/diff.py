"""``python -m estate diff A B``: what two stacks declare differently, app by app.

Both stacks are planned offline (``estate.engine.run_plan``) and their resources
matched by *logical role*: the resource name with the stack's environment
marker removed (``oms-vercel-dns-oms-staging.gstarlink.com`` plays the role of
``oms-vercel-dns-oms.gstarlink.com``), never by URN. The report lists what one
stack has and the other lacks, then per app the aspects that differ (hosting,
domains, deploy branches, runtime and workflow variable *names*, Access
coverage, branch protection, required checks, secret *names*, database, other
inputs). Values of variables and secrets are never read or shown.

When one of the two is the production stack, everything in the other that
points at production is flagged: a production hostname, a production Supabase
project name, a production deploy branch (``main``), a Pages/Vercel/Worker name
without the environment suffix, the production GitHub environment. The command
then exits 1, so CI can gate on it; otherwise 0 (2 for unusable config).
"""

from __future__ import annotations

import argparse
import json
import re
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass
from typing import Any, Literal

from estate.plan_document import SECRET, SHARED, PlanIndex
from policies.environments import PRODUCTION, carries_marker, marker, name_belongs
from policies.environments import without_marker as neutral
from policies.resource_types import (
    ACCESS_APPLICATION,
    BRANCH_PROTECTION,
    DELIVERY_BRANCH,
    DEPLOYMENT_POLICY,
    DNS_RECORD,
    GITHUB_BRANCH,
    PAGES_DOMAIN,
    PAGES_PROJECT,
    PULL_REQUEST,
    REPOSITORY_ENVIRONMENT,
    SUPABASE_PITR,
    SUPABASE_PROJECT,
    VERCEL_PROJECT,
    WORKERS_CUSTOM_DOMAIN,
    WORKERS_ROUTE,
    WORKERS_SCRIPT,
    WORKERS_SCRIPT_SUBDOMAIN,
)
from policies.resource_types import ACTIONS_ENVIRONMENT_SECRET as ENVIRONMENT_SECRET
from policies.resource_types import ACTIONS_ENVIRONMENT_VARIABLE as ENVIRONMENT_VARIABLE
from policies.resource_types import VERCEL_ENV_VAR as VERCEL_ENV
from policies.resource_types import VERCEL_PROJECT_DOMAIN as VERCEL_DOMAIN

Plan = dict[str, Any]
Resource = dict[str, Any]
Profile = dict[str, dict[str, list[str]]]  # app → aspect → sorted values


# Aspects compared per app, in the order shown.
ASPECTS = (
    "hosting",
    "domains",
    "dns records",
    "deploy branches",
    "github environment",
    "runtime env names",
    "workflow variable names",
    "workflow secret names",
    "access coverage",
    "branch protection",
    "required checks",
    "database",
    "other settings",
)

# Inputs whose differences are not worth a line: file bodies and PR texts
# repeat what other aspects show.
_IGNORED_INPUTS = {"content", "body", "title", "commitMessage", "comment"}
# Inputs that carry another resource's ID differ per stack by nature (what they point at is
# compared through its own role); they are recognised by the key's last part (projectId,
# projectIds[], alertRuleId, project_ref, id). Account, zone and team IDs and repository
# names come from config, so they stay compared.
_CONFIG_ID_INPUTS = {"accountId", "zoneId", "teamId", "organization_id", "organizationId", "repositoryId"}

# Inputs an aspect of their own already compares.
_ASPECT_INPUTS: Mapping[str, tuple[str, ...]] = {
    VERCEL_ENV: ("key", "targets", "sensitive"),
    BRANCH_PROTECTION: ("requiredStatusChecks", "requiredPullRequestReviews"),
}
# Resources whose values are never shown, even when plain: variables and secrets.
_VALUE_HIDDEN_TYPES = {
    VERCEL_ENV,
    ENVIRONMENT_SECRET,
    ENVIRONMENT_VARIABLE,
}

# Where a resource names the branch it deploys or protects.
_BRANCH_FIELDS: Mapping[str, tuple[str, ...]] = {
    BRANCH_PROTECTION: ("pattern",),
    DEPLOYMENT_POLICY: ("branchPattern",),
    PAGES_PROJECT: ("productionBranch",),
    VERCEL_PROJECT: ("gitRepository.productionBranch",),
    # The branch a stack creates (its deploy branch, cut from main when missing; main itself is
    # only the source), and the branch its workflow deliveries are proposed to.
    GITHUB_BRANCH: ("branch",),
    PULL_REQUEST: ("baseRef",),
    DELIVERY_BRANCH: ("base",),
}
# Where a resource names a hosting project or Worker, which must carry the environment suffix.
_HOSTING_NAME_FIELDS: Mapping[str, tuple[str, ...]] = {
    PAGES_PROJECT: ("name",),
    PAGES_DOMAIN: ("projectName",),
    VERCEL_PROJECT: ("name",),
    WORKERS_CUSTOM_DOMAIN: ("service",),
    WORKERS_ROUTE: ("script",),
    WORKERS_SCRIPT: ("scriptName",),
    WORKERS_SCRIPT_SUBDOMAIN: ("scriptName",),
}
# Where a resource names the GitHub deployment environment it writes to.
_ENVIRONMENT_FIELDS: Mapping[str, tuple[str, ...]] = {
    REPOSITORY_ENVIRONMENT: ("environment",),
    DEPLOYMENT_POLICY: ("environment",),
    ENVIRONMENT_SECRET: ("environment",),
    ENVIRONMENT_VARIABLE: ("environment",),
}
_HOSTNAME = re.compile(r"(?:\*\.)?[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+")


# --- reading a plan -------------------------------------------------------------------------


def environment_of(plan: Plan) -> str:
    """The environment a plan serves, from its ``environment`` output."""
    return str((plan.get("outputs") or {}).get("environment") or plan["stack"])


def logical_role(resource: Resource, environment: str) -> str:
    """A resource's role across stacks: its type and its environment-neutral name."""
    return f"{resource['type']}::{neutral(resource['name'], environment)}"


def _is_reference(generic_key: str) -> bool:
    """Whether an input key (``[n]`` already made ``[]``) holds another resource's ID."""
    last = generic_key.split(".")[-1].replace("[]", "")
    return last not in _CONFIG_ID_INPUTS and bool(re.search(r"(?:Ids?|_ref|_id)$|^id$", last))


def get_path(inputs: Mapping[str, Any], dotted: str) -> Any:
    """``inputs['a']['b']`` for ``"a.b"``; None if any step is missing."""
    value: Any = inputs
    for part in dotted.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)  # pyright: ignore[reportUnknownMemberType]
    return value


def apps_by_urn(plan: Plan) -> dict[str, str]:
    """URN → the app a resource belongs to (``(shared)`` for providers and account-wide ones)."""
    index = PlanIndex(plan)
    return {urn: index.app_or_shared(resource) for urn, resource in index.by_urn.items()}


def _strings(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """Every string inside an input value, with its dotted path; secrets are skipped."""
    if isinstance(value, str):
        if value != SECRET:
            yield path, value
    elif isinstance(value, Mapping):
        for key, item in value.items():  # pyright: ignore[reportUnknownVariableType]
            yield from _strings(item, f"{path}.{key}" if path else str(key))  # pyright: ignore[reportUnknownArgumentType]
    elif isinstance(value, list):
        for index, item in enumerate(value):  # pyright: ignore[reportUnknownVariableType,reportUnknownArgumentType]
            yield from _strings(item, f"{path}[{index}]")


def _flatten(value: Any, path: str = "") -> dict[str, Any]:
    """Leaf values by dotted path, for comparing two resources' inputs key by key."""
    if isinstance(value, Mapping):
        flat: dict[str, Any] = {}
        for key, item in value.items():  # pyright: ignore[reportUnknownVariableType]
            flat |= _flatten(item, f"{path}.{key}" if path else str(key))  # pyright: ignore[reportUnknownArgumentType]
        return flat
    if isinstance(value, list):
        flat = {}
        for index, item in enumerate(value):  # pyright: ignore[reportUnknownVariableType,reportUnknownArgumentType]
            flat |= _flatten(item, f"{path}[{index}]")
        return flat
    return {path: value}


# --- per-app profile ------------------------------------------------------------------------


def _pages_dev_aliases(plan: Plan) -> dict[str, str]:
    """Each Pages project's assigned host (``subdomain``, suffixed when the name was taken) → ``<project>.pages.dev``.

    The assigned suffix is arbitrary, so comparisons name the project instead (previews too: ``*.``).
    """
    aliases: dict[str, str] = {}
    for resource in plan["resources"]:
        subdomain = (resource.get("outputs") or {}).get("subdomain")
        if resource["type"] == PAGES_PROJECT and isinstance(subdomain, str):
            name = f"{(resource.get('inputs') or {}).get('name')}.pages.dev"
            aliases |= {subdomain: name, f"*.{subdomain}": f"*.{name}"}
    return aliases


def _access_lines(inputs: Mapping[str, Any], aliases: Mapping[str, str]) -> list[str]:
    policies: list[Any] = inputs.get("policies") or []
    decisions = sorted({str(p.get("decision") or "allow") for p in policies if isinstance(p, Mapping)}) or [
        "allow"
    ]
    uris = [str(d.get("uri")) for d in inputs.get("destinations") or [] if isinstance(d, Mapping)]
    return [f"{aliases.get(uri, uri)} ({'/'.join(decisions)})" for uri in uris]


def _protection_lines(inputs: Mapping[str, Any]) -> list[str]:
    lines: list[str] = []
    if inputs.get("enforceAdmins"):
        lines.append("admins included")
    if inputs.get("allowsForcePushes") is False:
        lines.append("no force pushes")
    if inputs.get("allowsDeletions") is False:
        lines.append("no deletion")
    if inputs.get("requireConversationResolution"):
        lines.append("conversations resolved")
    for review in inputs.get("requiredPullRequestReviews") or []:
        count = int(review.get("requiredApprovingReviewCount") or 0)
        lines.append(f"{count} approving review{'s' if count != 1 else ''}")
        if review.get("dismissStaleReviews"):
            lines.append("stale reviews dismissed")
        if review.get("requireLastPushApproval"):
            lines.append("last push approved")
    for checks in inputs.get("requiredStatusChecks") or []:
        if checks.get("strict"):
            lines.append("branch up to date before merge")
    return lines


def profile(plan: Plan) -> Profile:
    """Each app's aspects (see ``ASPECTS``) as sorted lists of names, never values."""
    app_by_urn = apps_by_urn(plan)
    aspects: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    aliases = _pages_dev_aliases(plan)
    for resource in plan["resources"]:
        app = app_by_urn[resource["urn"]]
        inputs: Mapping[str, Any] = resource.get("inputs") or {}
        kind = resource["type"]
        add = aspects[app]
        for field in _BRANCH_FIELDS.get(kind, ()):
            if kind in (GITHUB_BRANCH, PULL_REQUEST, DELIVERY_BRANCH):
                continue  # the deploy branch again (created, delivered to): shown once
            value = get_path(inputs, field)
            if isinstance(value, str):
                add["deploy branches"].add(value)
        if kind == VERCEL_PROJECT:
            add["hosting"].add(f"Vercel project {inputs.get('name')}")
        elif kind == PAGES_PROJECT:
            add["hosting"].add(f"Pages project {inputs.get('name')}")
        elif kind in (WORKERS_CUSTOM_DOMAIN, WORKERS_ROUTE):
            add["hosting"].add(f"Worker {inputs.get('service') or inputs.get('script')}")
        if kind == DNS_RECORD:
            add["domains"].add(str(inputs.get("name")))
            proxied = "proxied" if inputs.get("proxied") else "DNS only"
            content = aliases.get(str(inputs.get("content")), inputs.get("content"))
            add["dns records"].add(f"{inputs.get('name')} {inputs.get('type')} → {content} ({proxied})")
        elif kind == VERCEL_DOMAIN:
            add["domains"].add(str(inputs.get("domain")))
        elif kind == PAGES_DOMAIN:
            add["domains"].add(str(inputs.get("name")))
        elif kind == WORKERS_CUSTOM_DOMAIN:
            add["domains"].add(str(inputs.get("hostname")))
        elif kind == REPOSITORY_ENVIRONMENT:
            add["github environment"].add(str(inputs.get("environment")))
        elif kind == VERCEL_ENV:
            sensitive = ", sensitive" if inputs.get("sensitive") else ""
            add["runtime env names"].add(
                f"{inputs.get('key')} ({'/'.join(inputs.get('targets') or [])}{sensitive})"
            )
        elif kind == ENVIRONMENT_VARIABLE:
            add["workflow variable names"].add(str(inputs.get("variableName")))
        elif kind == ENVIRONMENT_SECRET:
            add["workflow secret names"].add(str(inputs.get("secretName")))
        elif kind == ACCESS_APPLICATION:
            add["access coverage"].update(_access_lines(inputs, aliases))
        elif kind == BRANCH_PROTECTION:
            add["branch protection"].update(_protection_lines(inputs))
            for checks in inputs.get("requiredStatusChecks") or []:
                add["required checks"].update(str(c) for c in checks.get("contexts") or [])
        elif kind == SUPABASE_PROJECT:
            protected = ", protected" if resource["options"]["protect"] else ""
            add["database"].add(
                f"{inputs.get('name')} ({inputs.get('instance_size')}, {inputs.get('region')}{protected})"
            )
        elif kind == SUPABASE_PITR:
            add["database"].add(f"point-in-time recovery {inputs.get('variant')}")
    return {
        app: {aspect: sorted(values) for aspect, values in found.items()} for app, found in aspects.items()
    }


# --- comparing two plans --------------------------------------------------------------------

Status = Literal["same", "environment names", "differs"]


@dataclass(frozen=True)
class AspectDiff:
    """One aspect of one app in both stacks."""

    app: str
    aspect: str
    left: list[str]
    right: list[str]
    status: Status


@dataclass(frozen=True)
class OneSided:
    """A resource role that only one stack declares."""

    app: str
    type: str
    role: str
    name: str
    stack: str


@dataclass(frozen=True)
class Leak:
    """Something in a non-production stack that points at production."""

    stack: str
    app: str
    resource: str
    type: str
    field: str
    found: str
    reason: str


def _status(left: list[str], right: list[str], left_env: str, right_env: str) -> Status:
    if left == right:
        return "same"
    if sorted(neutral(v, left_env) for v in left) == sorted(neutral(v, right_env) for v in right):
        return "environment names"
    return "differs"


def _normalizer(environment: str, deploy_branches: set[str]) -> Callable[[Any], Any]:
    """Makes a value environment-neutral: the marker stripped, the environment's name and its
    deploy branches replaced by one token (staging's deploy branch is called "staging" too)."""
    words = [
        re.compile(rf"(?<![A-Za-z0-9_]){re.escape(word)}(?![A-Za-z0-9_])")
        for word in sorted({environment, *deploy_branches})
    ]

    def normal(value: Any) -> Any:
        if not isinstance(value, str):
            return value
        text = neutral(value, environment)
        for pattern in words:
            text = pattern.sub("<env>", text)
        return text

    return normal


def _shown(value: Any, limit: int = 60) -> str:
    text = "—" if value is None else value if isinstance(value, str) else json.dumps(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _setting_differences(
    left: Resource, right: Resource, left_normal: Callable[[Any], Any], right_normal: Callable[[Any], Any]
) -> list[tuple[str, str, str]]:
    """(key, left value, right value) for each input that differs beyond environment naming.

    Variable and secret resources show key names only, never values.
    """
    a = _flatten(left.get("inputs") or {})
    b = _flatten(right.get("inputs") or {})
    hide_values = left["type"] in _VALUE_HIDDEN_TYPES
    differing: list[tuple[str, str, str]] = []
    for key in sorted(set(a) | set(b)):
        generic = re.sub(r"\[\d+\]", "[]", key)
        top = generic.split(".")[0].split("[")[0]
        if top in _IGNORED_INPUTS or _is_reference(generic) or top in _ASPECT_INPUTS.get(left["type"], ()):
            continue
        if left_normal(a.get(key)) != right_normal(b.get(key)):
            if hide_values:
                differing.append((key, "(value hidden)", "(value hidden)"))
            else:
                differing.append((key, _shown(a.get(key)), _shown(b.get(key))))
    return differing


def compare(left: Plan, right: Plan) -> dict[str, Any]:
    """The diff document of two plans: one-sided roles, per-app aspects, production leaks."""
    left_env, right_env = environment_of(left), environment_of(right)
    left_apps, right_apps = apps_by_urn(left), apps_by_urn(right)
    left_roles = {logical_role(r, left_env): r for r in left["resources"]}
    right_roles = {logical_role(r, right_env): r for r in right["resources"]}

    one_sided: list[OneSided] = []
    for roles, other, apps, stack, env in (
        (left_roles, right_roles, left_apps, left["stack"], left_env),
        (right_roles, left_roles, right_apps, right["stack"], right_env),
    ):
        for role in sorted(set(roles) - set(other)):
            resource = roles[role]
            one_sided.append(
                OneSided(
                    apps[resource["urn"]],
                    resource["type"],
                    neutral(resource["name"], env),
                    resource["name"],
                    stack,
                )
            )

    left_profile, right_profile = profile(left), profile(right)
    other_settings: dict[str, tuple[list[str], list[str]]] = defaultdict(lambda: ([], []))
    for role in sorted(set(left_roles) & set(right_roles)):
        a, b = left_roles[role], right_roles[role]
        app = left_apps[a["urn"]]
        left_normal = _normalizer(left_env, set(left_profile.get(app, {}).get("deploy branches", [])))
        right_normal = _normalizer(right_env, set(right_profile.get(app, {}).get("deploy branches", [])))
        for key, a_value, b_value in _setting_differences(a, b, left_normal, right_normal):
            name = neutral(a["name"], left_env)
            other_settings[app][0].append(f"{name} {key}: {a_value}")
            other_settings[app][1].append(f"{name} {key}: {b_value}")

    aspects: list[AspectDiff] = []
    for app in sorted(set(left_profile) | set(right_profile) | set(other_settings), key=_app_order):
        for aspect in ASPECTS:
            if aspect == "other settings":
                if app in other_settings:
                    aspects.append(AspectDiff(app, aspect, *other_settings[app], "differs"))
                continue
            a_values = left_profile.get(app, {}).get(aspect, [])
            b_values = right_profile.get(app, {}).get(aspect, [])
            if a_values or b_values:
                aspects.append(
                    AspectDiff(
                        app, aspect, a_values, b_values, _status(a_values, b_values, left_env, right_env)
                    )
                )

    leaks: list[Leak] = []
    if left_env == PRODUCTION and right_env != PRODUCTION:
        leaks = production_leaks(left, right)
    elif right_env == PRODUCTION and left_env != PRODUCTION:
        leaks = production_leaks(right, left)

    return {
        "left": {"stack": left["stack"], "environment": left_env},
        "right": {"stack": right["stack"], "environment": right_env},
        "only_in": [asdict(o) for o in one_sided],
        "aspects": [asdict(a) for a in aspects],
        "points_at_production": [asdict(leak) for leak in leaks],
        "summary": _summary(left["stack"], right["stack"], one_sided, aspects, leaks),
    }


def _app_order(app: str) -> tuple[int, str]:
    return (1 if app == SHARED else 0, app)


def _summary(
    left: str, right: str, one_sided: list[OneSided], aspects: list[AspectDiff], leaks: list[Leak]
) -> str:
    only_left = sum(1 for o in one_sided if o.stack == left)
    only_right = len(one_sided) - only_left
    differing = [a for a in aspects if a.status == "differs"]
    renamed = sum(1 for a in aspects if a.status == "environment names")
    apps = len({a.app for a in differing})
    leak_text = f"{len(leaks)} thing(s) point at production" if leaks else "nothing points at production"
    return (
        f"{left} ↔ {right}: {only_left} only in {left}, {only_right} only in {right}; "
        f"{len(differing)} aspect(s) differ in {apps} app(s), {renamed} differ only by environment names; "
        f"{leak_text}"
    )


# --- what points at production --------------------------------------------------------------


def _serving_hosts(plan: Plan) -> set[str]:
    """Every hostname a plan serves or gates: custom domains, DNS names, *.pages.dev hosts."""
    hosts: set[str] = set()
    for resource in plan["resources"]:
        inputs: Mapping[str, Any] = resource.get("inputs") or {}
        kind = resource["type"]
        if kind == DNS_RECORD:
            hosts.add(str(inputs.get("name")))
        elif kind == VERCEL_DOMAIN:
            hosts.add(str(inputs.get("domain")))
        elif kind == PAGES_DOMAIN:
            hosts.add(str(inputs.get("name")))
        elif kind == WORKERS_CUSTOM_DOMAIN:
            hosts.add(str(inputs.get("hostname")))
        elif kind == PAGES_PROJECT:
            # The host Cloudflare assigned (suffixed when the name was taken), as the provider reports it.
            assigned = (resource.get("outputs") or {}).get("subdomain") or f"{inputs.get('name')}.pages.dev"
            hosts |= {str(assigned), f"*.{assigned}"}
        elif kind == VERCEL_PROJECT:
            hosts.add(f"{inputs.get('name')}.vercel.app")
        elif kind == ACCESS_APPLICATION:
            for destination in inputs.get("destinations") or []:
                uri = str(destination.get("uri") or "")
                hosts.add(uri.split("/")[0])
    return {host.lower() for host in hosts if host and host != "None"}


def _names_in(plan: Plan, fields: Mapping[str, tuple[str, ...]]) -> set[str]:
    found: set[str] = set()
    for resource in plan["resources"]:
        for field in fields.get(resource["type"], ()):
            value = get_path(resource.get("inputs") or {}, field)
            if isinstance(value, str):
                found.add(value)
    return found


def production_leaks(production: Plan, other: Plan) -> list[Leak]:
    """Everything in ``other`` (a non-production stack) that points at ``production``."""
    environment = environment_of(other)
    suffix = marker(environment)
    production_hosts = _serving_hosts(production)
    production_branches = _names_in(production, {BRANCH_PROTECTION: ("pattern",)})
    production_hosting = _names_in(production, _HOSTING_NAME_FIELDS)
    production_databases = _names_in(production, {SUPABASE_PROJECT: ("name",)})
    production_environment = environment_of(production)
    app_by_urn = apps_by_urn(other)
    # Hostnames by input text: the same workflow files are delivered to several repositories, scanned once.
    hosts_in: dict[str, list[str]] = {}

    leaks: list[Leak] = []
    for resource in other["resources"]:
        inputs: Mapping[str, Any] = resource.get("inputs") or {}
        kind = resource["type"]

        def flag(field: str, found: str, reason: str, resource: Resource = resource) -> None:
            leaks.append(
                Leak(
                    other["stack"],
                    app_by_urn[resource["urn"]],
                    resource["name"],
                    resource["type"],
                    field,
                    found,
                    reason,
                )
            )

        for path, text in _strings(inputs):
            if text not in hosts_in:
                hosts_in[text] = sorted(set(_HOSTNAME.findall(text.lower())))
            for host in hosts_in[text]:
                if host in production_hosts:
                    flag(path, host, "a production hostname")
        for field in _BRANCH_FIELDS.get(kind, ()):
            value = get_path(inputs, field)
            if isinstance(value, str) and value in production_branches:
                flag(field, value, "the production deploy branch")
        for field in _HOSTING_NAME_FIELDS.get(kind, ()):
            value = get_path(inputs, field)
            if not isinstance(value, str):
                continue
            if value in production_hosting:
                flag(field, value, "a production Pages/Vercel/Worker name")
            elif not name_belongs(value, environment):
                flag(field, value, f"a Pages/Vercel/Worker name without the {suffix} suffix")
        if kind == ENVIRONMENT_VARIABLE:
            value = inputs.get("value")
            if isinstance(value, str) and value in production_hosting:
                flag("value", value, "a workflow variable naming a production Pages/Vercel/Worker project")
            elif value == production_environment:
                flag("value", production_environment, "a workflow variable naming the production environment")
        for field in _ENVIRONMENT_FIELDS.get(kind, ()):
            if inputs.get(field) == production_environment:
                flag(field, production_environment, "the production GitHub environment")
        if kind == SUPABASE_PROJECT:
            name = inputs.get("name")
            if isinstance(name, str) and name in production_databases:
                flag("name", name, "a production Supabase project name")
            elif isinstance(name, str) and not name_belongs(name, environment):
                flag("name", name, f"a Supabase project name without the {suffix} suffix")
        if kind in (DNS_RECORD, VERCEL_DOMAIN, PAGES_DOMAIN, WORKERS_CUSTOM_DOMAIN):
            field = {DNS_RECORD: "name", VERCEL_DOMAIN: "domain", PAGES_DOMAIN: "name"}.get(kind, "hostname")
            host = str(inputs.get(field) or "")
            if host and host not in production_hosts and not carries_marker(host.split(".")[0], environment):
                flag(field, host, f"a hostname whose first label lacks the {suffix} marker")
    return sorted(set(leaks), key=lambda leak: (leak.app, leak.resource, leak.field, leak.found))


# --- command --------------------------------------------------------------------------------


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "diff",
        help="compare two stacks app by app; flag anything that points at production",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("left", help="a stack name, e.g. prod")
    parser.add_argument("right", help="another stack name, e.g. staging")
    parser.add_argument(
        "--format", choices=("table", "json"), default="table", help="table for people, json for machines"
    )
    parser.add_argument("--all", action="store_true", help="also list the aspects that are the same")
    parser.add_argument("--quiet", action="store_true", help="print only the summary line (and the flags)")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from estate.output import plan_stacks, print_diff, print_error_list, write_json

    if args.left == args.right:
        print_error_list(
            "nothing to compare",
            [f"both stacks are {args.left!r}: give two different stacks, e.g. `diff prod staging`"],
        )
        return 2
    plans = plan_stacks([args.left, args.right], quiet=args.quiet or args.format == "json")
    if plans is None:
        return 2
    document = compare(plans[0].to_json(), plans[1].to_json())
    if args.format == "json":
        write_json(document)
    else:
        print_diff(document, show_same=args.all, quiet=args.quiet)
    return 1 if document["points_at_production"] else 0
