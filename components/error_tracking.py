"""Error tracking of one app in one environment: a Sentry project, its alerts, its DSN in the app."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumiverse_sentry as sentry
import pulumiverse_vercel as vercel

ERROR_TRACKING_TYPE = "estate:alerting:ErrorTracking"

# Sentry's Next.js SDK reads the DSN from these: the server and edge runtimes
# from SENTRY_DSN, the browser bundle from NEXT_PUBLIC_SENTRY_DSN (at build time).
DSN_VARIABLES = ("SENTRY_DSN", "NEXT_PUBLIC_SENTRY_DSN")
# Sentry's rule registry (src/sentry/rules); the provider takes the raw IDs.
FIRST_SEEN = "sentry.rules.conditions.first_seen_event.FirstSeenEventCondition"
REGRESSION = "sentry.rules.conditions.regression_event.RegressionEventCondition"
EVENT_FREQUENCY = "sentry.rules.conditions.event_frequency.EventFrequencyCondition"
NOTIFY_SERVICE = "sentry.rules.actions.notify_event_service.NotifyEventServiceAction"
# Sentry's WebHooks plugin: posts each alerted issue as JSON to its URLs.
WEBHOOKS_PLUGIN = "webhooks"


@dataclass(frozen=True)
class ErrorTrackingArgs:
    """Inputs of :class:`ErrorTracking`.

    ``organization`` / ``team``: the Sentry slugs owning the project.
    ``project_name``: the Sentry project (also its slug), one per environment.
    ``platform``: Sentry's platform name. ``environment``: suffix of alert names.
    ``alert_endpoint``: where the WebHooks plugin posts (the relay's secret
    Sentry route). ``errors_per_hour``: an issue seen more often than this in an
    hour alerts again, even if it is not new. ``vercel_project_id`` /
    ``vercel_team_id``: the app's Vercel project, which gets the DSN.
    """

    organization: str
    team: str
    project_name: str
    environment: str
    alert_endpoint: pulumi.Input[str]
    vercel_project_id: pulumi.Input[str]
    vercel_team_id: pulumi.Input[str]
    platform: str = "javascript-nextjs"
    errors_per_hour: int = 100


class ErrorTracking(pulumi.ComponentResource):
    """A Sentry project with a client key, two issue alerts, and the DSN in the Vercel project.

    Alerts (both through the WebHooks plugin to the relay, then Slack): a new
    or regressed issue, at most once per issue every 30 minutes; and an issue
    seen more than ``errors_per_hour`` times in an hour, an error rate. The DSN
    is a secret in the stack and a sensitive variable in Vercel, for
    ``production`` (the target the stack's project deploys).

    Needs a Sentry provider and a Vercel provider in ``opts.providers``.

    Outputs: none; nothing in the estate reads them (the DSN reaches the app through Vercel).
    """

    def __init__(
        self, name: str, args: ErrorTrackingArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        if args.errors_per_hour < 1:
            raise ValueError(f"ErrorTracking {name}: errors_per_hour must be at least 1")
        super().__init__(ERROR_TRACKING_TYPE, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        project = sentry.SentryProject(
            f"{name}-project",
            organization=args.organization,
            teams=[args.team],
            name=args.project_name,
            slug=args.project_name,
            platform=args.platform,
            opts=child,
        )
        key = sentry.SentryKey(
            f"{name}-key",
            organization=args.organization,
            project=project.slug,
            name=f"{args.project_name} (estate)",
            opts=pulumi.ResourceOptions(parent=self, additional_secret_outputs=["dsnPublic", "dsnCsp"]),
        )
        plugin = sentry.SentryPlugin(
            f"{name}-webhooks",
            organization=args.organization,
            project=project.slug,
            plugin=WEBHOOKS_PLUGIN,
            config={"urls": pulumi.Output.secret(args.alert_endpoint)},
            opts=pulumi.ResourceOptions(parent=self, additional_secret_outputs=["config"]),
        )
        to_relay = [{"id": NOTIFY_SERVICE, "service": WEBHOOKS_PLUGIN}]
        after_plugin = pulumi.ResourceOptions(parent=self, depends_on=[plugin])
        sentry.SentryIssueAlert(
            f"{name}-new-issue",
            organization=args.organization,
            project=project.slug,
            name=f"estate {args.environment}: new or regressed issue",
            action_match="any",
            filter_match="all",
            frequency=30,
            conditions=[{"id": FIRST_SEEN}, {"id": REGRESSION}],
            actions=to_relay,
            opts=after_plugin,
        )
        sentry.SentryIssueAlert(
            f"{name}-error-rate",
            organization=args.organization,
            project=project.slug,
            name=f"estate {args.environment}: more than {args.errors_per_hour} events of an issue per hour",
            action_match="any",
            filter_match="all",
            frequency=60,
            conditions=[
                {
                    "id": EVENT_FREQUENCY,
                    "value": str(args.errors_per_hour),
                    "comparisonType": "count",
                    "interval": "1h",
                }
            ],
            actions=to_relay,
            opts=after_plugin,
        )

        dsn = pulumi.Output.secret(key.dsn_public)
        for variable in DSN_VARIABLES:
            vercel.ProjectEnvironmentVariable(
                f"{name}-env-{variable}",
                project_id=args.vercel_project_id,
                team_id=args.vercel_team_id,
                key=variable,
                value=dsn,
                targets=["production"],
                sensitive=True,
                opts=child,
            )

        self.register_outputs({})
