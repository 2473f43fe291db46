"""Vercel deployment failures and error anomalies of one team's projects, sent to the alert relay."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumiverse_vercel as vercel

from providers.keyring import Keyring, KeyringArgs

VERCEL_ALERTS_TYPE = "estate:alerting:VercelAlerts"

# Project events worth a message: a failed build or deploy, a deleted project.
# Not `deployment.canceled`: builds skipped by a project's ignore command are
# canceled deployments, one per push of a branch that project does not build.
PROJECT_EVENTS = ("deployment.error", "project.removed")
# The event Vercel sends for its alert rules (see AlertRuleWebhookNotification).
ALERT_EVENT = "alerts.triggered"
# Built-in anomaly trigger: a spike of server errors on any route.
ERROR_ANOMALY_FILTER = "statusGroup:5xx"


@dataclass(frozen=True)
class VercelAlertsArgs:
    """Inputs of :class:`VercelAlerts`.

    ``team_id``: the Vercel team. ``environment``: suffix of the names.
    ``endpoint``: the relay's ``/vercel`` URL. ``project_ids``: this stack's
    projects in the team; only their events and anomalies are sent.
    ``generation``: the rotation schedule's current generation (RFC 3339); a
    new one replaces both webhooks, which is how their secrets rotate.
    ``grace_days``: how long the relay keeps accepting a replaced webhook's
    secret.
    """

    team_id: pulumi.Input[str]
    environment: str
    endpoint: str
    project_ids: Sequence[pulumi.Input[str]]
    generation: pulumi.Input[str]
    grace_days: int


class VercelAlerts(pulumi.ComponentResource):
    """Two account webhooks and an anomaly alert rule of one Vercel team.

    * A webhook on the projects' events (``PROJECT_EVENTS``), limited to
      ``project_ids``.
    * A built-in alert rule (``error_anomaly`` on 5xx, medium severity and
      up) scoped to the same projects, linked to a second webhook that
      subscribes to ``alerts.triggered``; Vercel requires that webhook to be
      account-wide, so the relay drops alerts naming another stack's project.

    Vercel signs each delivery with the webhook's own secret
    (``x-vercel-signature``, HMAC-SHA1 of the body). Vercel chooses that secret
    when it creates the webhook and no API call changes it (the provider's
    ``secret`` is computed, every input forces a new webhook), so rotating it
    is replacing the webhook: ``replacement_trigger`` on ``generation``. Pulumi
    creates the new webhook first and deletes the old one last, so events keep
    reaching the relay; each webhook's secret goes through a ``Keyring``, whose
    entries (the new secret, and the old one until ``grace_days`` after the
    rotation) are handed to the relay. Account webhooks need a Pro or
    Enterprise team.

    Outputs: ``webhook_keyrings`` (secret: ``Keyring.entries`` of each
    webhook).
    """

    webhook_keyrings: list[pulumi.Output[str]]

    def __init__(self, name: str, args: VercelAlertsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        if not args.project_ids:
            raise ValueError(
                f"VercelAlerts {name}: give at least one project; an empty list means every project"
            )
        if not args.endpoint.startswith("https://"):
            raise ValueError(f"VercelAlerts {name}: the endpoint must be https://, got {args.endpoint!r}")
        super().__init__(VERCEL_ALERTS_TYPE, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        rotated = pulumi.ResourceOptions(parent=self, replacement_trigger=args.generation)

        events = vercel.Webhook(
            f"{name}-project-events",
            team_id=args.team_id,
            endpoint=args.endpoint,
            events=list(PROJECT_EVENTS),
            project_ids=list(args.project_ids),
            opts=rotated,
        )
        alerts = vercel.Webhook(
            f"{name}-alerts",
            team_id=args.team_id,
            endpoint=args.endpoint,
            events=[ALERT_EVENT],
            opts=rotated,
        )
        rule = vercel.AlertRule(
            f"{name}-error-anomaly",
            team_id=args.team_id,
            type="built-in",
            name=f"estate {args.environment}: 5xx anomalies",
            rule_scope={"type": "include", "project_ids": list(args.project_ids)},
            triggers=[{"type": "error_anomaly", "filter": ERROR_ANOMALY_FILTER}],
            match_minimum_severity_level="medium",
            tags=["estate", args.environment],
            opts=child,
        )
        # A new webhook is a new link, created before the old link goes: through a rotation the
        # rule notifies both webhooks, and the old one's secret is the one the relay knows first.
        vercel.AlertRuleWebhookNotification(
            f"{name}-error-anomaly-to-relay",
            team_id=args.team_id,
            alert_rule_id=rule.id,
            webhook_id=alerts.id,
            opts=pulumi.ResourceOptions(
                parent=self, replace_on_changes=["webhookId"], delete_before_replace=False
            ),
        )

        self.webhook_keyrings = [
            Keyring(
                f"{webhook_name}-keyring",
                KeyringArgs(current=webhook.secret, since=args.generation, grace_days=args.grace_days),
                opts=child,
            ).entries
            for webhook_name, webhook in ((f"{name}-project-events", events), (f"{name}-alerts", alerts))
        ]
        self.register_outputs({"webhook_keyrings": self.webhook_keyrings})
