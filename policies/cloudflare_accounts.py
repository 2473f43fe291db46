"""Outside production, what deploy credentials can reach lives in a Cloudflare account of its own.

Cloudflare API tokens scope to whole accounts, never to one Pages project or
one Worker, so a staging deploy token in the account that holds production's
projects could ``wrangler pages deploy --branch main`` to them or overwrite
production Workers. Judged on what the engine sees, in a non-production stack:

- the *apps accounts* are the accounts of its Pages projects and domains,
  Workers scripts and workers.dev routes, and account API tokens (and every
  account a token's ``resources`` grant);
- the *zone accounts* are the accounts of what must sit with the zone: Access
  applications gating a hostname outside ``pages.dev`` / ``workers.dev`` (an
  Access application gates only hostnames of zones in its own account) and
  health-check notification policies (health checks are the zone's);
- the two must not meet, and the stack declares no Worker custom domain or
  route: both need the zone in the Worker's account, i.e. production's.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from pulumi_policy import PolicyResource, ReportViolation, StackValidationArgs

from policies.engine_view import host_of, items, stack_of, text, violation
from policies.environments import PRODUCTION, environment_of
from policies.resource_types import (
    ACCESS_APPLICATION,
    ACCOUNT_TOKEN,
    NOTIFICATION_POLICY,
    PAGES_DOMAIN,
    PAGES_PROJECT,
    WORKERS_CUSTOM_DOMAIN,
    WORKERS_ROUTE,
    WORKERS_SCRIPT,
    WORKERS_SCRIPT_SUBDOMAIN,
)

_APPS_TYPES = frozenset(
    {PAGES_PROJECT, PAGES_DOMAIN, WORKERS_SCRIPT, WORKERS_SCRIPT_SUBDOMAIN, ACCOUNT_TOKEN}
)
_PROVIDER_HOSTS = (".pages.dev", ".workers.dev")
_ACCOUNT_SCOPE = "com.cloudflare.api.account."


def _granted_accounts(token: PolicyResource) -> Iterator[str]:
    """Every account an account token's policies grant, from their ``resources`` JSON."""
    for policy in items(token.props, "policies"):
        resources = text(policy, "resources")
        try:
            scopes = json.loads(resources) if resources else {}
        except ValueError:
            continue
        if isinstance(scopes, dict):
            yield from (key.removeprefix(_ACCOUNT_SCOPE) for key in scopes if key.startswith(_ACCOUNT_SCOPE))


def _apps_accounts(resource: PolicyResource) -> Iterator[str]:
    if resource.resource_type in _APPS_TYPES and (account := text(resource.props, "accountId")):
        yield account
    if resource.resource_type == ACCOUNT_TOKEN:
        yield from _granted_accounts(resource)


def _zone_account(resource: PolicyResource) -> str | None:
    account = text(resource.props, "accountId")
    if resource.resource_type == ACCESS_APPLICATION:
        hosts = [host_of(uri) for d in items(resource.props, "destinations") if (uri := text(d, "uri"))]
        if any(not host.endswith(_PROVIDER_HOSTS) for host in hosts):
            return account
    if resource.resource_type == NOTIFICATION_POLICY and text(resource.props, "alertType") == (
        "health_check_status_notification"
    ):
        return account
    return None


def validate_staging_cloudflare_account(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    """Outside production, Pages projects, Workers and deploy tokens live in an account without the zone."""
    resources = list(args.resources)
    if not resources or environment_of(stack_of(resources[0].urn), args.get_config()) == PRODUCTION:
        return
    zone_accounts = {account for r in resources if (account := _zone_account(r))}
    for resource in resources:
        if resource.resource_type in (WORKERS_CUSTOM_DOMAIN, WORKERS_ROUTE):
            report_violation(
                violation(
                    f"{resource.name} puts a Worker of this non-production stack on a zone hostname: a custom "
                    "domain or route needs the zone in the Worker's account, which holds production",
                    "serve the Worker on workers.dev of the stack's own account (WorkerArgs.workers_dev_subdomain)",
                ),
                resource.urn,
            )
        for account in sorted(set(_apps_accounts(resource)) & zone_accounts):
            report_violation(
                violation(
                    f"{resource.name} is in (or grants) the zone's Cloudflare account {account}, which holds "
                    "production's Pages projects and Workers: a deploy token there can change production",
                    "put this stack's Pages projects, Workers and deploy tokens in its own account "
                    "(estate:organizations.<org>.cloudflareStagingAccountId)",
                ),
                resource.urn,
            )
