"""Cloudflare notification policies of one account, delivered to the stack's alert channel."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_cloudflare as cloudflare

CLOUDFLARE_NOTIFICATIONS_TYPE = "estate:alerting:CloudflareNotifications"

# Pages' own environment names: "production" is each project's production branch,
# which is the deploy branch of the stack that owns the project.
PAGES_PRODUCTION = "ENVIRONMENT_PRODUCTION"
PAGES_DEPLOYMENT_FAILED = "EVENT_DEPLOYMENT_FAILED"
# Account-wide alert types: certificates, HTTP DDoS, Cloudflare's own incidents.
# Every plan has them (docs/alerting.md). Universal SSL and HTTP DDoS take no
# filter ("Other options / filters: None" in Cloudflare's notification list), so
# they cover every zone of the account. Passive origin monitoring is left out: it
# watches proxied origins, and every proxied host here is served by Cloudflare
# itself (Pages, Workers), so it could never fire.
ZONE_ALERT_TYPES = ("universal_ssl_event_type", "dos_attack_l7")
ACCOUNT_ALERT_TYPES = ("incident_alert",)
# The health checks probe HTTPS; the provider defaults http_config.port to 80
# whatever the type (healthcheck schema.go at v5.19.1; terraform-provider-cloudflare#6800).
HTTPS_PORT = 443
_HEALTH_CHECK_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_SLACK_WEBHOOK = re.compile(r"^(https://hooks\.slack\.com/services/[^/]+/[^/]+)/([^/]+)$")


def split_slack_webhook(url: str) -> tuple[str, str]:
    """A Slack incoming-webhook URL as Cloudflare's webhook destination wants it: (URL, secret).

    Cloudflare takes the last path segment of a Slack URL out of ``url`` and
    keeps it as the destination's ``secret``; through the API it must be sent
    that way, or the stored URL differs from the declared one on every refresh
    (Cloudflare's "Configure webhooks" docs, cloudflare/cloudflare-docs#10832).
    """
    match = _SLACK_WEBHOOK.match(url)
    if match is None:
        # The value is a credential: never show it.
        raise ValueError(
            "the Slack webhook URL must be https://hooks.slack.com/services/<team>/<channel>/<secret>"
        )
    return match.group(1), match.group(2)


@dataclass(frozen=True)
class HealthCheckTarget:
    """One HTTPS endpoint Cloudflare probes from its edge.

    ``name``: letters, digits, ``-`` and ``_`` (Cloudflare's rule). ``system``:
    what it watches, shown in the description. ``address``: the hostname.
    ``path``: the probed path. ``expected_codes``: answers that count as
    healthy, e.g. ``("2xx",)``; anything else, or no answer, counts as a
    failure. ``headers``: request headers (values may be secrets).
    """

    name: str
    system: str
    address: pulumi.Input[str]
    path: str = "/"
    expected_codes: Sequence[str] = ("2xx",)
    headers: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class CloudflareNotificationsArgs:
    """Inputs of :class:`CloudflareNotifications`.

    ``account_id`` / ``zone_id``: the organization's account and zone.
    ``environment``: suffix of every name, so both stacks' policies can share
    the account. ``slack_webhook_url``: the alert channel (secret); Cloudflare
    formats messages for Slack itself. ``relay_endpoint`` / ``relay_secret``:
    the relay's ``/cloudflare`` route and its ``cf-webhook-auth`` secret, for
    the alerts that need the relay (Pages deployments: see the class).
    ``relay_live``: the resources that make the relay answer at
    ``relay_endpoint`` (its script and its workers.dev route); Cloudflare sends
    a test POST when it creates a webhook destination, so the relay's
    destination is created after them.
    ``pages_projects``: this stack's Pages projects in the account.
    ``health_checks``: endpoints to probe. ``account_alerts``: declare the
    account- and zone-wide policies; exactly one stack per account does
    (production), or every alert would reach both channels.
    """

    account_id: pulumi.Input[str]
    zone_id: pulumi.Input[str]
    environment: str
    slack_webhook_url: pulumi.Input[str]
    relay_endpoint: pulumi.Input[str] | None = None
    relay_secret: pulumi.Input[str] | None = None
    relay_live: Sequence[pulumi.Resource] = field(default_factory=tuple)
    pages_projects: Sequence[str] = field(default_factory=tuple)
    health_checks: Sequence[HealthCheckTarget] = field(default_factory=tuple)
    account_alerts: bool = False


class CloudflareNotifications(pulumi.ComponentResource):
    """Notification destinations, policies and health checks of one Cloudflare account.

    * Slack destination (when a health check or account alert posts to it): a
      notification webhook with the channel's incoming
      webhook, its secret last segment in ``secret`` and the URL without it
      (as Cloudflare stores a Slack destination); Cloudflare recognises Slack
      and formats for it.
    * Pages deployment failures (``pages_event_alert``, production
      environment, failed deployments) go through the relay: the policy's
      project filter takes project UUIDs, which the provider does not expose,
      so the policy covers the account and the relay keeps this stack's
      projects (``pages_projects``).
    * Health checks (Workers, databases) with a
      ``health_check_status_notification`` policy limited to their IDs, posting
      both Unhealthy and Healthy so recovery is seen too.
    * With ``account_alerts``: Universal SSL and HTTP DDoS (no filters: these
      types take none, so they cover every zone of the account), and
      Cloudflare incidents (major, critical).

    Needs a paid plan on the account: notification webhooks and standalone
    health checks are not on Free (docs/alerting.md).

    Outputs: none; nothing in the estate reads them.
    """

    def __init__(
        self, name: str, args: CloudflareNotificationsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        bad_names = [check.name for check in args.health_checks if not _HEALTH_CHECK_NAME.match(check.name)]
        if bad_names:
            raise ValueError(
                f"CloudflareNotifications {name}: health check names {bad_names} need [A-Za-z0-9_-]"
            )
        if args.pages_projects and (args.relay_endpoint is None or args.relay_secret is None):
            raise ValueError(
                f"CloudflareNotifications {name}: Pages alerts need relay_endpoint and relay_secret"
            )
        super().__init__(CLOUDFLARE_NOTIFICATIONS_TYPE, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        label = f"estate {args.environment}"

        # A destination only where a policy posts to it: Cloudflare tests each one on creation.
        to_slack: cloudflare.NotificationPolicyMechanismsArgsDict = {}
        if args.health_checks or args.account_alerts:
            slack_parts = pulumi.Output.secret(args.slack_webhook_url).apply(split_slack_webhook)
            slack = cloudflare.NotificationPolicyWebhooks(
                f"{name}-slack",
                account_id=args.account_id,
                name=f"{label}: Slack alert channel",
                url=pulumi.Output.secret(slack_parts.apply(lambda parts: parts[0])),
                secret=pulumi.Output.secret(slack_parts.apply(lambda parts: parts[1])),
                # Kept secret as a whole: the URL names the workspace and channel.
                opts=pulumi.ResourceOptions(parent=self, additional_secret_outputs=["url"]),
            )
            to_slack = {"webhooks": [{"id": slack.id}]}

        def policy(
            suffix: str,
            alert_type: str,
            title: str,
            mechanisms: cloudflare.NotificationPolicyMechanismsArgsDict,
            filters: cloudflare.NotificationPolicyFiltersArgsDict | None = None,
        ) -> None:
            cloudflare.NotificationPolicy(
                f"{name}-{suffix}",
                account_id=args.account_id,
                name=f"{label}: {title}",
                description="Managed by the estate stack (docs/alerting.md).",
                alert_type=alert_type,
                enabled=True,
                mechanisms=mechanisms,
                filters=filters,
                opts=child,
            )

        if args.pages_projects and args.relay_endpoint is not None and args.relay_secret is not None:
            relay = cloudflare.NotificationPolicyWebhooks(
                f"{name}-relay",
                account_id=args.account_id,
                name=f"{label}: alert relay",
                url=args.relay_endpoint,
                secret=pulumi.Output.secret(args.relay_secret),
                opts=pulumi.ResourceOptions(parent=self, depends_on=list(args.relay_live)),
            )
            policy(
                "pages-failed",
                "pages_event_alert",
                f"Pages deployment failed ({', '.join(sorted(args.pages_projects))})",
                {"webhooks": [{"id": relay.id}]},
                {"environments": [PAGES_PRODUCTION], "events": [PAGES_DEPLOYMENT_FAILED]},
            )

        health_check_ids: list[pulumi.Output[str]] = []
        for check in args.health_checks:
            health_check = cloudflare.Healthcheck(
                f"{name}-health-{check.name}",
                zone_id=args.zone_id,
                name=check.name,
                description=f"{check.system}; managed by the estate stack",
                address=check.address,
                type="HTTPS",
                http_config={
                    "method": "GET",
                    "port": HTTPS_PORT,
                    "path": check.path,
                    "expected_codes": list(check.expected_codes),
                    "follow_redirects": False,
                    "header": {key: [value] for key, value in check.headers.items()},
                },
                interval=60,
                timeout=10,
                retries=2,
                # Three failed rounds before alerting: one slow answer is not an outage.
                consecutive_fails=3,
                consecutive_successes=2,
                opts=child,
            )
            health_check_ids.append(health_check.id)
        if health_check_ids:
            policy(
                "health",
                "health_check_status_notification",
                "health checks",
                to_slack,
                {"health_check_ids": health_check_ids, "statuses": ["Unhealthy", "Healthy"]},
            )

        if args.account_alerts:
            policy("ssl", "universal_ssl_event_type", "Universal SSL certificates", to_slack)
            policy("ddos", "dos_attack_l7", "HTTP DDoS attack", to_slack)
            policy(
                "incident",
                "incident_alert",
                "Cloudflare incident",
                to_slack,
                {"incident_impacts": ["INCIDENT_IMPACT_MAJOR", "INCIDENT_IMPACT_CRITICAL"]},
            )

        self.register_outputs({})
