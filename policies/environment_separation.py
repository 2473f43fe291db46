"""Each stack stays inside its own environment: hostnames, names, GitHub environments, keys, databases.

The stack's environment comes from the resource URNs (see ``environments``).
Then, judged on what the engine sees:

- every hostname the stack serves or points DNS at (DNS records, Vercel and
  Pages domains, Worker domains and routes, Access destinations) and every
  account-wide name (Vercel/Pages projects, Workers, Supabase projects) belongs
  to the environment: ``-staging`` labels outside production, none in it;
- GitHub deployment environments, and the Actions secrets and variables set on
  them, are the stack's own: a staging stack writing into ``production`` would
  overwrite production's secrets;
- values that are visible (Vercel variables, Actions secrets and variables:
  all of them in ``pulumi preview``, which unwraps secrets; only the plain ones
  offline) hold no Stripe key of the other mode (``sk_/rk_/pk_live_`` only in
  production, ``_test_`` only outside it), no hostname of the estate's zones
  that belongs to another environment, and no Supabase project this stack does
  not declare. The one exception: in the production stack, a Vercel variable
  whose only targets are ``preview``/``development`` may point at staging's
  Supabase project (previews read staging's public settings through a stack
  reference, which the engine never shows a policy); the policy
  ``previews-get-no-production-values`` judges what such variables carry.
  Messages name hostnames, refs and key *prefixes*, never values.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence

from pulumi_policy import PolicyResource, ReportViolation, StackValidationArgs

from policies.credential_patterns import STRIPE_KEY
from policies.engine_view import host_of, items, stack_of, text, violation, visible_text
from policies.environments import PRODUCTION, environment_of, host_belongs, name_belongs, name_for
from policies.resource_types import (
    ACCESS_APPLICATION,
    ACTIONS_ENVIRONMENT_SECRET,
    ACTIONS_ENVIRONMENT_VARIABLE,
    ACTIONS_SECRETS,
    ACTIONS_VARIABLES,
    DEPLOYMENT_POLICY,
    DNS_RECORD,
    PAGES_DOMAIN,
    PAGES_PROJECT,
    REPOSITORY_ENVIRONMENT,
    SUPABASE_PROJECT,
    VERCEL_ENV_VAR,
    VERCEL_PROJECT,
    VERCEL_PROJECT_DOMAIN,
    WORKERS_CUSTOM_DOMAIN,
    WORKERS_ROUTE,
)

# A Supabase project ref (20 lower-case letters) in the places it shows up.
_SUPABASE_REF_IN_TEXT = re.compile(
    r"(?<![a-z0-9])([a-z]{20})\.supabase\.(?:co|com|in)\b|postgres\.([a-z]{20})[:@]"
)
_SUPABASE_REF = re.compile(r"^[a-z]{20}$")
_HOSTNAME_IN_TEXT = re.compile(
    r"(?<![a-z0-9.-])(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}(?![a-z0-9-])"
)


def _served_hostnames(resource: PolicyResource) -> Iterator[tuple[str, str]]:
    """(hostname, what it is) for every hostname field of the resource."""
    token, props = resource.resource_type, resource.props
    if token == DNS_RECORD:
        if name := text(props, "name"):
            yield host_of(name), "DNS record name"
        if text(props, "type") == "CNAME" and (target := text(props, "content")):
            yield host_of(target), "DNS record target"
    elif token == VERCEL_PROJECT_DOMAIN and (domain := text(props, "domain")):
        yield host_of(domain), "Vercel project domain"
    elif token == PAGES_DOMAIN and (domain := text(props, "name")):
        yield host_of(domain), "Pages custom domain"
    elif token == WORKERS_CUSTOM_DOMAIN and (hostname := text(props, "hostname")):
        yield host_of(hostname), "Worker custom domain"
    elif token == WORKERS_ROUTE and (pattern := text(props, "pattern")):
        yield host_of(pattern), "Worker route"
    elif token == ACCESS_APPLICATION:
        for destination in items(props, "destinations"):
            if uri := text(destination, "uri"):
                yield host_of(uri), "Access destination"
        for uri in items(props, "selfHostedDomains"):
            if isinstance(uri, str):
                yield host_of(uri), "Access domain"
        if domain := text(props, "domain"):
            yield host_of(domain), "Access domain"


def _zone_hostnames(resource: PolicyResource) -> Iterator[str]:
    """Hostnames in the estate's own zones (not provider targets such as pages.dev)."""
    for host, what in _served_hostnames(resource):
        if what in (
            "DNS record name",
            "Vercel project domain",
            "Pages custom domain",
            "Worker custom domain",
        ):
            yield host


_NAME_FIELDS: dict[str, tuple[str, str]] = {
    VERCEL_PROJECT: ("name", "Vercel project"),
    PAGES_PROJECT: ("name", "Pages project"),
    PAGES_DOMAIN: ("projectName", "Pages project of a domain"),
    SUPABASE_PROJECT: ("name", "Supabase project"),
    WORKERS_CUSTOM_DOMAIN: ("service", "Worker behind a custom domain"),
    WORKERS_ROUTE: ("script", "Worker behind a route"),
}
_GITHUB_ENVIRONMENT_TYPES = frozenset(
    {REPOSITORY_ENVIRONMENT, DEPLOYMENT_POLICY, ACTIONS_ENVIRONMENT_SECRET, ACTIONS_ENVIRONMENT_VARIABLE}
)


def _is_url_prop(name: str) -> bool:
    squashed = name.replace("_", "").lower()
    return squashed.endswith("url") or squashed.endswith("urls")


def _visible_values(resource: PolicyResource) -> Iterator[tuple[str, str]]:
    """(what holds it, value) for each value the policy can read and judge.

    Variable and secret values (named by their key), and every URL-valued
    property of any resource (``site_url`` of the Supabase auth settings, …).
    """
    token, props = resource.resource_type, resource.props
    value_props: tuple[str, ...] = ()
    name: str | None = None
    if token == VERCEL_ENV_VAR:
        name, value_props = text(props, "key"), ("value",)
    elif token in ACTIONS_VARIABLES:
        name, value_props = text(props, "variableName"), ("value",)
    elif token in ACTIONS_SECRETS:
        name, value_props = text(props, "secretName"), ("value", "plaintextValue")
    for prop in value_props:
        if (value := visible_text(props, prop)) is not None:
            yield name or "(unnamed)", value
    for prop in props if isinstance(props, Mapping) else ():
        if not _is_url_prop(str(prop)):
            continue
        for value in [visible_text(props, prop), *(v for v in items(props, prop) if isinstance(v, str))]:
            if value is not None:
                yield f"{resource.name}.{prop}", value


def supabase_refs(name: str, value: str) -> set[str]:
    """Supabase project refs a value points at: in URLs, hostnames, pooler users, or a bare ``*_PROJECT_REF``."""
    refs = {ref for match in _SUPABASE_REF_IN_TEXT.finditer(value) for ref in match.groups() if ref}
    if name.replace("_", "").upper().endswith("PROJECTREF") and _SUPABASE_REF.match(value):
        refs.add(value)
    return refs


def _project_refs(resource: PolicyResource) -> Iterator[tuple[str, str]]:
    """(property, ref) for each ``project_ref``-like property (Supabase Management API resources)."""
    for prop in _REF_PROPS:
        value = visible_text(resource.props, prop)
        if value is not None and _SUPABASE_REF.match(value):
            yield prop, value


_REF_PROPS = ("project_ref", "projectRef")


def own_supabase_refs(resources: Sequence[PolicyResource]) -> set[str]:
    """Refs of the stack's own Supabase projects.

    Online, a project's outputs (``endpoint``, ``dbHost``) name it; in both
    worlds, a resource that depends on one of the stack's projects and carries
    a ``project_ref`` got it from that project.
    """
    projects = {r.urn for r in resources if r.resource_type == SUPABASE_PROJECT}
    refs: set[str] = set()
    for resource in resources:
        if resource.resource_type == SUPABASE_PROJECT:
            for key in ("project_ref", "db_host", "pooler_user", "endpoint", "dbHost", "apiUrl"):
                if value := text(resource.props, key):
                    refs |= supabase_refs(key, value)
        elif any(dependency.urn in projects for dependency in resource.dependencies):
            refs |= {ref for _, ref in _project_refs(resource)}
    return refs


def _previews_only(resource: PolicyResource, environment: str) -> bool:
    """A production-stack Vercel variable that serves only previews and ``vercel dev`` (staging's data)."""
    if environment != PRODUCTION or resource.resource_type != VERCEL_ENV_VAR:
        return False
    targets = {t for t in items(resource.props, "targets") if isinstance(t, str)}
    return bool(targets) and targets <= {"preview", "development"}


def validate_environment_separation(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    """Nothing in a stack points at another environment's domains, projects, keys or databases."""
    resources = args.resources
    if not resources:
        return
    environment = environment_of(stack_of(resources[0].urn), args.get_config())
    reported: set[tuple[str, str]] = set()

    def report(problem: str, fix: str, urn: str) -> None:
        if (urn, problem) not in reported:
            reported.add((urn, problem))
            report_violation(violation(problem, fix), urn)

    other = "production" if environment != PRODUCTION else "another environment"

    zones = {host.split(".", 1)[1] for r in resources for host in _zone_hostnames(r) if host.count(".") >= 2}
    own_refs = own_supabase_refs(resources)

    # A pages.dev host is the one Cloudflare assigned to a project (its `subdomain`, suffixed when the
    # name was taken): it belongs where that project's name belongs.
    assigned = {
        host_of(sub).removeprefix("*."): name
        for r in resources
        if r.resource_type == PAGES_PROJECT
        if (sub := text(r.props, "subdomain")) and (name := text(r.props, "name"))
    }

    def belongs(host: str) -> bool:
        project = assigned.get(host.removeprefix("*."))
        return name_belongs(project, environment) if project else host_belongs(host, environment)

    for resource in resources:
        props, urn = resource.props, resource.urn
        for host, what in _served_hostnames(resource):
            if not belongs(host):
                report(
                    f"{what} {host} in the {environment} stack belongs to {other}",
                    f"use {name_for(host, environment)}",
                    urn,
                )
        if resource.resource_type in _NAME_FIELDS:
            prop, what = _NAME_FIELDS[resource.resource_type]
            name = text(props, prop)
            if name and not name_belongs(name, environment):
                report(
                    f"{what} {name} in the {environment} stack belongs to {other}: both stacks "
                    "would manage (and fight over) the same account-wide resource",
                    f"name it {name_for(name, environment)} (StackSettings.resource_name adds the "
                    "suffix outside production)",
                    urn,
                )
        if resource.resource_type in _GITHUB_ENVIRONMENT_TYPES:
            github_environment = text(props, "environment")
            if github_environment and github_environment != environment:
                report(
                    f"the {environment} stack writes to GitHub environment {github_environment} of "
                    f"{text(props, 'repository') or '?'}: it would replace that environment's secrets and "
                    "branch rules with this stack's",
                    f"use the environment {environment} (the stack's `estate:environment`)",
                    urn,
                )

        for name, value in _visible_values(resource):
            for match in STRIPE_KEY.finditer(value):
                kind, mode = match.group("kind"), match.group("mode")
                if (mode == "live") != (environment == PRODUCTION):
                    wanted = "live" if environment == PRODUCTION else "test"
                    report(
                        f"{name} holds a {mode}-mode Stripe key ({kind}_{mode}_…) in the {environment} stack",
                        f"set it from a {wanted}-mode key ({kind}_{wanted}_…) of the {environment} Stripe "
                        "account",
                        urn,
                    )
            for host in _HOSTNAME_IN_TEXT.findall(value.lower()):
                in_zone = any(host == zone or host.endswith(f".{zone}") for zone in zones)
                if in_zone and not host_belongs(host, environment):
                    report(
                        f"{name} points at {host}, which belongs to {other}, from the {environment} stack",
                        f"point it at {name_for(host, environment)}",
                        urn,
                    )
            foreign_refs = (
                set() if _previews_only(resource, environment) else supabase_refs(name, value) - own_refs
            )
            for ref in sorted(foreign_refs):
                report(
                    f"{name} points at Supabase project {ref}, which the {environment} stack does not "
                    "declare (another environment's database?)",
                    "take the value from this stack's own SupabaseDatabase outputs",
                    urn,
                )
        for prop, ref in _project_refs(resource):
            if ref not in own_refs:
                report(
                    f"{resource.name}.{prop} points at Supabase project {ref}, which the {environment} stack "
                    "does not declare (another environment's database?)",
                    "take the ref from this stack's own supabase.Project (its id)",
                    urn,
                )
