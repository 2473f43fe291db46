"""Which Cloudflare account holds what, per stack.

Cloudflare API tokens scope to whole accounts (and zones), never to one Pages
project or one Worker. So the credentials a stack hands to app repositories
can change everything of their kind in that account, and environments are
separated by account:

* **The zone's account** (``cloudflareAccountId``) holds the zone and
  everything on it: DNS records of both stacks, health checks, the Access
  gates of custom domains (an Access application can gate only hostnames of
  zones in its own account), and production's Pages projects, Workers and
  their deploy tokens.
* **Staging's own account** (``cloudflareStagingAccountId``, staging stack
  only) holds staging's Pages projects, Workers (the alert relay too) and the
  deploy tokens for them, so no credential staging holds can deploy to a
  production project or overwrite a production Worker. Staging hostnames stay
  in the zone: a proxied CNAME to the project's pages.dev host. A Worker
  custom domain or route needs the zone in the Worker's account, so staging's
  Workers answer on ``<script>.<alertRelaySubdomain>.workers.dev`` (the
  staging account's workers.dev subdomain).
"""

from __future__ import annotations

from stacks.catalog import RELAY_ORGANIZATION, App, WorkerHosting
from stacks.settings import Organization, StackSettings


def apps_account_id(settings: StackSettings, org: Organization) -> str:
    """The account of this stack's Pages projects, Workers and their deploy tokens."""
    if settings.is_production:
        return org.cloudflare_account_id
    if org.cloudflare_staging_account_id is None:  # settings refuse this for orgs with Cloudflare apps
        raise ValueError(f"stack {settings.stack}: {org.name} has no cloudflareStagingAccountId")
    return org.cloudflare_staging_account_id


def zone_account_for_gates(settings: StackSettings, org: Organization) -> str | None:
    """The zone's account when it is not the apps account (its Access gates custom domains), else None."""
    return None if settings.is_production else org.cloudflare_account_id


def workers_dev_subdomain(settings: StackSettings, app: App) -> str | None:
    """Outside production, the workers.dev subdomain staging's Workers answer on; None where they have a custom domain."""
    if settings.is_production:
        return None
    if app.organization != RELAY_ORGANIZATION:
        raise ValueError(
            f"catalog: {app.key} is a Worker of {app.organization}; staging Workers answer on the "
            f"workers.dev subdomain of {RELAY_ORGANIZATION}'s staging account only"
        )
    if settings.alerting is None:
        raise ValueError(f"stack {settings.stack}: settings carry no alerting; load them with load_settings")
    return settings.alerting.relay_subdomain


def worker_hostname(settings: StackSettings, app: App, hosting: WorkerHosting) -> str:
    """Where the app's Worker answers in this stack."""
    subdomain = workers_dev_subdomain(settings, app)
    if subdomain is None:
        return settings.hostname(app, hosting.subdomain)
    return f"{settings.resource_name(hosting.script_name)}.{subdomain}.workers.dev"
