"""One alert channel for the whole estate: every system of a stack posts to its Slack webhook.

``build_estate`` calls :func:`build_alerting` once the apps exist, and gives
each app repository :func:`alert_channel_secrets`. Routes, per system
(docs/alerting.md has the full table):

* Vercel apps: deployment failures and removed projects (account webhook),
  5xx anomalies (alert rule) → relay → Slack; Sentry issues for apps with
  ``error_tracking`` → relay → Slack.
* Pages projects: failed production deployments → relay → Slack.
* Workers (the chatbot and the relay itself) and databases: Cloudflare health
  checks → Slack, never through the relay.
* Account and zone (production stack only): certificates, origin
  reachability, HTTP DDoS, Cloudflare incidents → Slack.
* CI: every app repository's environment gets ``SLACK_ALERTS_WEBHOOK_URL``
  for its workflows' failure steps.
"""

from __future__ import annotations

from collections.abc import Mapping

import pulumi
import pulumiverse_sentry as sentry

from components.alert_relay import AlertRelay, AlertRelayArgs, relay_endpoint, relay_hostname
from components.cloudflare_notifications import (
    CloudflareNotifications,
    CloudflareNotificationsArgs,
    HealthCheckTarget,
)
from components.error_tracking import ErrorTracking, ErrorTrackingArgs
from components.vercel_alerts import VercelAlerts, VercelAlertsArgs
from stacks.built_app import BuiltApp
from stacks.catalog import APPS, RELAY_ORGANIZATION, App, PagesHosting, VercelHosting, WorkerHosting
from stacks.cloudflare_accounts import apps_account_id, worker_hostname
from stacks.organization_providers import OrganizationProviders
from stacks.settings import AlertingSettings, StackSettings

RELAY_SCRIPT = "estate-alert-relay"
# The Actions environment secret app workflows post their failures with.
CI_WEBHOOK_SECRET = "SLACK_ALERTS_WEBHOOK_URL"
# A Worker counts as down when it answers 5xx or not at all: 2xx-4xx means the
# script ran (a 404 on "/" is the app's business, not an outage).
WORKER_HEALTHY_CODES = ("2xx", "3xx", "4xx")


def alerting_of(settings: StackSettings) -> AlertingSettings:
    if settings.alerting is None:
        raise ValueError(f"stack {settings.stack}: settings carry no alerting; load them with load_settings")
    return settings.alerting


def slack_webhook_url(settings: StackSettings) -> pulumi.Output[str]:
    """The stack's alert channel (secret)."""
    return pulumi.Output.secret(alerting_of(settings).slack_webhook_url.reveal())


def alert_channel_secrets(settings: StackSettings) -> dict[str, pulumi.Input[str]]:
    """The Actions environment secrets every app repository gets for its failure steps."""
    return {CI_WEBHOOK_SECRET: slack_webhook_url(settings)}


def stack_relay_hostname(settings: StackSettings) -> str:
    """``estate-alert-relay[-<environment>].<account subdomain>.workers.dev``."""
    return relay_hostname(settings.resource_name(RELAY_SCRIPT), alerting_of(settings).relay_subdomain)


def stack_projects(settings: StackSettings) -> list[str]:
    """This stack's Pages and Vercel project names: the relay posts events about these only."""
    names: list[str] = []
    for app in APPS:
        hosting = settings.hosting[app.key]
        if isinstance(hosting, VercelHosting):
            names.append(settings.resource_name(app.key))
        elif isinstance(hosting, PagesHosting):
            names += [settings.resource_name(site.project_name) for site in hosting.sites]
    return names


def build_alerting(
    settings: StackSettings,
    providers: Mapping[str, OrganizationProviders],
    apps: Mapping[str, BuiltApp],
    generation: pulumi.Input[str],
) -> None:
    """Declares the alert routes of every system.

    ``apps``: every app of the catalog, built; read here: the Vercel projects
    (their IDs) and the databases (project ref and anon key, for the health
    probe). ``generation``: the stack's rotation schedule
    (``RotationSchedule.generation``); the relay's and the Vercel webhooks'
    secrets rotate with it.
    """
    alerting = alerting_of(settings)
    slack = slack_webhook_url(settings)
    hostname = stack_relay_hostname(settings)
    environment = settings.environment

    grace_days = settings.rotation.grace_days
    vercel_keyrings: list[pulumi.Output[str]] = []
    for org in settings.organizations.values():
        project_ids = [
            vercel.project_id for app in _apps_of(org.name) if (vercel := apps[app.key].vercel) is not None
        ]
        if project_ids:
            vercel_alerts = VercelAlerts(
                f"{org.name}-vercel-alerts",
                VercelAlertsArgs(
                    team_id=org.vercel_team_id,
                    environment=environment,
                    endpoint=relay_endpoint(hostname, "vercel"),
                    project_ids=project_ids,
                    generation=generation,
                    grace_days=grace_days,
                ),
                opts=pulumi.ResourceOptions(provider=providers[org.name].vercel),
            )
            vercel_keyrings += vercel_alerts.webhook_keyrings

    relay_org = settings.organizations[RELAY_ORGANIZATION]
    relay = AlertRelay(
        "alert-relay",
        AlertRelayArgs(
            account_id=apps_account_id(settings, relay_org),
            script_name=settings.resource_name(RELAY_SCRIPT),
            workers_dev_subdomain=alerting.relay_subdomain,
            environment=environment,
            slack_webhook_url=slack,
            generation=generation,
            grace_days=grace_days,
            vercel_webhook_keyrings=vercel_keyrings,
            projects=stack_projects(settings),
        ),
        opts=pulumi.ResourceOptions(provider=providers[RELAY_ORGANIZATION].cloudflare),
    )

    for org in settings.organizations.values():
        pages_projects = [
            settings.resource_name(site.project_name)
            for app in _apps_of(org.name)
            for hosting in [settings.hosting[app.key]]
            if isinstance(hosting, PagesHosting)
            for site in hosting.sites
        ]
        # Pages alerts belong to the account of the projects, health checks to the zone's.
        # In production both are the zone's account; staging's projects live in its own.
        separate_apps_account = not settings.is_production and bool(pages_projects)
        accounts = [
            (f"{org.name}-cloudflare-notifications", org.cloudflare_account_id, not separate_apps_account)
        ]
        if separate_apps_account:
            accounts.append(
                (f"{org.name}-cloudflare-apps-notifications", apps_account_id(settings, org), True)
            )
        for name, account_id, with_pages in accounts:
            zone_side = account_id == org.cloudflare_account_id
            CloudflareNotifications(
                name,
                CloudflareNotificationsArgs(
                    account_id=account_id,
                    zone_id=org.cloudflare_zone_id,
                    environment=environment,
                    slack_webhook_url=slack,
                    relay_endpoint=relay.cloudflare_endpoint,
                    relay_secret=relay.cloudflare_webhook_secret,
                    relay_live=relay.live,
                    pages_projects=pages_projects if with_pages else [],
                    health_checks=_health_checks(settings, org.name, apps, hostname) if zone_side else [],
                    account_alerts=settings.is_production and zone_side,
                ),
                opts=pulumi.ResourceOptions(provider=providers[org.name].cloudflare),
            )

    tracked = [app for app in APPS if app.error_tracking]
    if tracked:
        account = alerting.error_tracking
        if account is None:
            raise ValueError(
                f"stack {settings.stack}: {[app.key for app in tracked]} track errors, but no Sentry account"
            )
        sentry_provider = sentry.Provider("sentry", token=pulumi.Output.secret(account.auth_token.reveal()))
        for app in tracked:
            vercel = apps[app.key].vercel
            if vercel is None:
                raise ValueError(
                    f"catalog: {app.key} has error_tracking, which is wired into Vercel apps only"
                )
            org = settings.organizations[app.organization]
            ErrorTracking(
                f"{app.key}-error-tracking",
                ErrorTrackingArgs(
                    organization=account.organization,
                    team=account.team,
                    project_name=settings.resource_name(app.key),
                    environment=environment,
                    alert_endpoint=relay.sentry_endpoint,
                    vercel_project_id=vercel.project_id,
                    vercel_team_id=org.vercel_team_id,
                ),
                opts=pulumi.ResourceOptions(providers=[sentry_provider, providers[app.organization].vercel]),
            )


def _apps_of(organization: str) -> list[App]:
    return [app for app in APPS if app.organization == organization]


def _health_checks(
    settings: StackSettings, organization: str, apps: Mapping[str, BuiltApp], relay_host: str
) -> list[HealthCheckTarget]:
    """Probes of the systems nothing else watches at run time: Workers (the relay too) and databases."""
    checks: list[HealthCheckTarget] = []
    if organization == RELAY_ORGANIZATION:
        # Posts straight to Slack, not through the relay it watches.
        checks.append(
            HealthCheckTarget(
                name=settings.resource_name("alert-relay"),
                system=f"Worker {settings.resource_name(RELAY_SCRIPT)} (alert relay)",
                address=relay_host,
                path="/health",
                expected_codes=("200",),
            )
        )
    for app in _apps_of(organization):
        hosting = settings.hosting[app.key]
        if isinstance(hosting, WorkerHosting):
            checks.append(
                HealthCheckTarget(
                    name=settings.resource_name(f"{app.key}-worker"),
                    system=f"Worker {settings.resource_name(hosting.script_name)}",
                    address=worker_hostname(settings, app, hosting),
                    expected_codes=WORKER_HEALTHY_CODES,
                )
            )
        database = apps[app.key].database
        if database is not None:
            # PostgREST's root answers 200 with the anon key while the database serves;
            # the key is public by design (browsers carry it) but kept secret in the stack.
            checks.append(
                HealthCheckTarget(
                    name=settings.resource_name(f"{app.key}-database"),
                    system=f"Supabase project of {app.key}",
                    address=database.project_ref.apply(lambda project_ref: f"{project_ref}.supabase.co"),
                    path="/rest/v1/",
                    headers={"apikey": database.anon_key},
                )
            )
    return checks
